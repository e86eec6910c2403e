// Opens recordings of older schema versions. Version 1 (an event row per event, full snapshots, no digest chain) is
// converted into a temporary file of the current schema: one reader for every version, and old files stay untouched.
// Version 2 has the current tables and differs only inside its event blobs (text where version 3 stores captures):
// it is read in place, EventBatch decoding its blobs by the file's version, so its digest chain still vouches for it.

import type Database from "better-sqlite3";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type { ConsoleStream, EventKind, MachineEvent } from "../events.ts";
import { decodeTraceChunk, DecodeError, unpackBlob } from "./codec.ts";
import { RecordingError, SCHEMA_VERSION } from "./schema.ts";
import { RecordingWriter } from "./writer.ts";

const MAX_BLOB = 1 << 28;

interface Cursor<T> {
  next: T | undefined;
  it: IterableIterator<T>;
}

function cursor<T>(it: IterableIterator<T>): Cursor<T> {
  return { it, next: it.next().value as T | undefined };
}

/** Hands `use` every row of `c` with icount ≤ `upTo` (all that are left when `upTo` is Infinity). */
function drain<T extends { icount: number }>(c: Cursor<T>, upTo: number, use: (row: T) => void): void {
  while (c.next !== undefined && c.next.icount <= upTo) {
    use(c.next);
    c.next = c.it.next().value as T | undefined;
  }
}

/**
 * Writes a current-version copy of the version 1 recording open in `db` and returns its path (a file in a fresh temporary
 * folder). Rows go to the chunk whose instruction range holds them; the copy's digest chain vouches for the copy,
 * not for the original, which had none.
 */
export function migrateLegacy(source: string, db: Database.Database): string {
  const target = path.join(mkdtempSync(path.join(tmpdir(), "hedron-migrated-")), path.basename(source));
  try {
    const s = db.prepare("SELECT * FROM session WHERE id = 1").get() as Record<string, unknown>;
    const modules = new Map((db.prepare("SELECT name, data FROM module").all() as { name: string; data: Buffer }[]).map((m) => [String(m.name), m.data]));
    const writer = new RecordingWriter(
      target,
      {
        guest: String(s.guest), args: JSON.parse(String(s.args)) as string[], seed: Number(s.seed),
        config: JSON.parse(String(s.config)) as Record<string, unknown>, engineVersion: String(s.engine_version), created: String(s.created),
        chunkInstructions: Number(s.chunk_instructions), snapshotInstructions: Number(s.snapshot_instructions),
        instructionStream: s.instruction_stream === 1,
      },
      modules,
    );
    try {
      type Ev = { icount: number; vcycles: number; host_ns: number; kind: string; cpu: number; pd: number; ec: number; name: string; args: string; result: string; cost: number; call_id: number | null };
      const events = cursor(db.prepare("SELECT * FROM event ORDER BY seq").iterate() as IterableIterator<Ev>);
      const inputs = cursor(db.prepare("SELECT icount, kind, data FROM input ORDER BY seq").iterate() as IterableIterator<{ icount: number; kind: string; data: Buffer }>);
      const consoles = cursor(db.prepare("SELECT icount, stream, data FROM console ORDER BY seq").iterate() as IterableIterator<{ icount: number; stream: string; data: Buffer }>);
      type Fr = { icount: number; width: number; height: number; bytes_per_pixel: number; keyframe: number; data: Buffer; crc: number };
      const frames = cursor(db.prepare("SELECT * FROM frame ORDER BY seq").iterate() as IterableIterator<Fr>);
      type Snap = { icount: number; vcycles: number; data: Buffer; crc: number; state_hash: string };
      const snapshots = new Map((db.prepare("SELECT icount, vcycles, data, crc, state_hash FROM snapshot").all() as Snap[]).map((r) => [r.icount, r]));
      type Chunk = { first_icount: number; last_icount: number; vcycles: number; blocks: number; data: Buffer; crc: number; state_hash: string };
      const chunks = db.prepare("SELECT * FROM trace_chunk ORDER BY seq").all() as Chunk[];
      chunks.forEach((c, i) => {
        const upTo = i === chunks.length - 1 ? Infinity : c.last_icount;
        drain(events, upTo, (e) => {
          const event: MachineEvent = {
            kind: e.kind as EventKind, icount: e.icount, vcycles: e.vcycles, hostNs: e.host_ns, cpu: e.cpu, pd: e.pd, ec: e.ec,
            name: String(e.name), args: String(e.args), result: String(e.result), cost: e.cost,
          };
          if (e.call_id !== null) event.callId = e.call_id;
          writer.add(event);
        });
        drain(inputs, upTo, (r) => writer.input(r.icount, String(r.kind), r.data));
        drain(consoles, upTo, (r) => writer.console(r.icount, r.stream as ConsoleStream, r.data));
        drain(frames, upTo, (r) => writer.frame(r.icount, r.width, r.height, r.bytes_per_pixel, r.keyframe === 1, unpackBlob(r.data, r.crc, MAX_BLOB)));
        const streams = decodeTraceChunk(unpackBlob(c.data, c.crc, MAX_BLOB), MAX_BLOB).map((a) => ({ addresses: a, length: a.length }));
        const snap = snapshots.get(c.last_icount);
        writer.chunk(c.first_icount, c.last_icount, c.vcycles, streams, String(c.state_hash), null, snap && {
          icount: snap.icount, vcycles: snap.vcycles, keyframe: true, head: unpackBlob(snap.data, snap.crc, 1 << 30), memory: new Uint8Array(0), stateHash: String(snap.state_hash), worldHash: "",
        });
      });
      if (s.status === "complete") {
        writer.finish({
          icount: Number(s.final_icount), vcycles: Number(s.final_vcycles), exitStatus: s.exit_status === null ? null : Number(s.exit_status),
          stopReason: String(s.stop_reason ?? "exit"),
        });
      }
    } finally {
      writer.close();
    }
    return target;
  } catch (err) {
    if (err instanceof RecordingError) throw err;
    const detail = err instanceof DecodeError || err instanceof SyntaxError ? err.message : String((err as Error).message ?? err);
    throw new RecordingError("corrupt", source, `a schema version 1 recording that does not convert to version ${SCHEMA_VERSION} (${detail.slice(0, 200)})`);
  }
}
