// The integrity check of a recording without re-executing it: schema objects, the session's genesis digest, every
// chunk's sub-digests and link, and the final digest. Re-reads each table once, in the order the writer stored it.

import type Database from "better-sqlite3";
import { ChunkDigest, DIGEST_PARTS, finalDigest, genesisDigest, SUB_DIGEST_BYTES, type DigestPart, type RowValue } from "./digest.ts";
import type { SessionRecord } from "./recording.ts";
import { schemaDifferences } from "./schema.ts";
import { FINAL_FIELDS, GENESIS_FIELDS } from "./writer.ts";

/** Per table: the part of a chunk's digest it feeds and its columns, in the writer's order. */
const ROW_TABLES: readonly { table: string; part: DigestPart; columns: string }[] = [
  { table: "input", part: "input", columns: "chunk, icount, kind, data" },
  { table: "console", part: "console", columns: "chunk, icount, stream, data" },
  { table: "frame", part: "frames", columns: "chunk, icount, width, height, bytes_per_pixel, keyframe, data, crc" },
  { table: "snapshot", part: "snapshot", columns: "icount, chunk, vcycles, events, inputs, keyframe, data, crc, memory, memory_crc, state_hash, world_hash" },
];

const equal = (a: Uint8Array | null, b: Uint8Array) => a !== null && a instanceof Uint8Array && Buffer.compare(a, b) === 0;

/** Null when the file holds exactly what its recorder wrote; else the first difference, in one sentence. */
export function checkIntegrity(db: Database.Database, session: SessionRecord): string | null {
  const schema = schemaDifferences(db);
  if (schema.length > 0) return `the recording's schema was altered (${schema.slice(0, 3).join(", ")})`;
  const row = db.prepare(`SELECT genesis, final_digest, ${GENESIS_FIELDS.join(", ")}, ${FINAL_FIELDS.join(", ")} FROM session WHERE id = 1`).get() as Record<
    string,
    RowValue
  >;
  const modules = db.prepare("SELECT name, data FROM module").raw().all() as [string, Uint8Array][];
  const genesis = genesisDigest(GENESIS_FIELDS.map((f) => row[f]), modules.map(([n, d]) => [String(n), d instanceof Uint8Array ? d : Buffer.from(String(d))]));
  if (!equal(row.genesis as Uint8Array, genesis)) {
    return "the session record (guest, arguments, seed, configuration, chunking, instruction-stream flag) or a boot module differs from what was recorded";
  }

  const chunks = db.prepare("SELECT seq, first_icount, last_icount, vcycles, blocks, data, crc, state_hash, world_hash, first_event, events, event_data, event_crc, event_min_vcycles, event_max_vcycles, digests, link FROM trace_chunk ORDER BY seq").raw().all() as RowValue[][];
  const digests = chunks.map(() => new ChunkDigest());
  for (const { table, part, columns } of ROW_TABLES) {
    const chunkAt = columns.split(", ").indexOf("chunk");
    for (const values of db.prepare(`SELECT ${columns} FROM ${table} ORDER BY ${table === "snapshot" ? "icount" : "seq"}`).raw().iterate() as IterableIterator<RowValue[]>) {
      const chunk = values[chunkAt];
      if (typeof chunk !== "number" || !Number.isInteger(chunk) || chunk < 1 || chunk > chunks.length) {
        return `a ${table} row belongs to no committed chunk (chunk ${String(chunk).slice(0, 20)}): added or edited`;
      }
      digests[chunk - 1].add(part, values);
    }
  }
  let link: Uint8Array = genesis;
  let events = 0;
  for (let i = 0; i < chunks.length; i++) {
    const c = chunks[i];
    if (c[0] !== i + 1) return `trace chunk ${i + 1} is missing (the chunks are numbered ${String(c[0]).slice(0, 20)} there): rows deleted or renumbered`;
    if (c[9] !== events) return `chunk ${i + 1} says ${String(c[9]).slice(0, 20)} events came before it, the chunks before it hold ${events}`;
    events += typeof c[10] === "number" ? c[10] : NaN;
    const d = digests[i];
    d.add("trace chunk", c.slice(0, 9));
    d.add("events", c.slice(9, 15));
    const { parts, link: next } = d.finish(link);
    const stored = c[15];
    for (let p = 0; p < DIGEST_PARTS.length; p++) {
      const want = parts.subarray(p * SUB_DIGEST_BYTES, (p + 1) * SUB_DIGEST_BYTES);
      const got = stored instanceof Uint8Array ? stored.subarray(p * SUB_DIGEST_BYTES, (p + 1) * SUB_DIGEST_BYTES) : null;
      if (!equal(got, want)) return `chunk ${i + 1}: its ${DIGEST_PARTS[p]} rows differ from what was recorded`;
    }
    if (!equal(c[16] as Uint8Array, next)) return `chunk ${i + 1}: its digest link was altered`;
    link = next;
  }
  const final = row.final_digest as Uint8Array | null;
  if (session.status === "complete") {
    if (!equal(final, finalDigest(link, FINAL_FIELDS.map((f) => row[f])))) {
      return "the session's final record (status, instruction count, exit status, stop reason) or the last chunks differ from what was recorded";
    }
  } else if (final !== null) {
    return "the recording is marked incomplete but carries a final digest: its status was altered";
  }
  return null;
}
