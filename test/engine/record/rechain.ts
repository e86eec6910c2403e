// A forger's tool for the tamper tests: recomputes a recording's whole digest chain after an edit, so the test can
// show that re-execution (not only the digest check) finds every edit that changes what the guest sees.
import Database from "better-sqlite3";
import { ChunkDigest, finalDigest, genesisDigest, type RowValue } from "../../../engine/record/digest.ts";
import { FINAL_FIELDS, GENESIS_FIELDS } from "../../../engine/record/writer.ts";

export function rechain(path: string): void {
  const db = new Database(path);
  try {
    const s = db.prepare(`SELECT status, ${GENESIS_FIELDS.join(", ")}, ${FINAL_FIELDS.join(", ")} FROM session`).get() as Record<string, RowValue>;
    const modules = db.prepare("SELECT name, data FROM module").raw().all() as [string, Uint8Array][];
    let link: Uint8Array = genesisDigest(GENESIS_FIELDS.map((f) => s[f]), modules);
    db.prepare("UPDATE session SET genesis = ?").run(link);
    const chunks = db.prepare("SELECT seq, first_icount, last_icount, vcycles, blocks, data, crc, state_hash, world_hash, first_event, events, event_data, event_crc, event_min_vcycles, event_max_vcycles FROM trace_chunk ORDER BY seq").raw().all() as RowValue[][];
    const rows = (sql: string, seq: number) => db.prepare(sql).raw().all(seq) as RowValue[][];
    for (const c of chunks) {
      const d = new ChunkDigest();
      const seq = c[0] as number;
      for (const r of rows("SELECT chunk, icount, kind, data FROM input WHERE chunk = ? ORDER BY seq", seq)) d.add("input", r);
      for (const r of rows("SELECT chunk, icount, stream, data FROM console WHERE chunk = ? ORDER BY seq", seq)) d.add("console", r);
      for (const r of rows("SELECT chunk, icount, width, height, bytes_per_pixel, keyframe, data, crc FROM frame WHERE chunk = ? ORDER BY seq", seq)) d.add("frames", r);
      for (const r of rows("SELECT icount, chunk, vcycles, events, inputs, keyframe, data, crc, memory, memory_crc, state_hash, world_hash FROM snapshot WHERE chunk = ? ORDER BY icount", seq)) d.add("snapshot", r);
      d.add("trace chunk", c.slice(0, 9));
      d.add("events", c.slice(9, 15));
      const { parts, link: next } = d.finish(link);
      db.prepare("UPDATE trace_chunk SET digests = ?, link = ? WHERE seq = ?").run(parts, next, seq);
      link = next;
    }
    if (s.status === "complete") db.prepare("UPDATE session SET final_digest = ?").run(finalDigest(link, FINAL_FIELDS.map((f) => s[f])));
  } finally {
    db.close();
  }
}
