// Every class of edit to a recording is found by `replay --verify`: first by the digest chain, and — for every edit
// that changes what the guest sees — by re-execution too, even when the forger recomputes the whole chain.
import { test } from "node:test";
import assert from "node:assert/strict";
import { copyFileSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { GUEST_DIR } from "../../../engine/cli/run.ts";
import { packBlob, unpackBlob } from "../../../engine/record/codec.ts";
import { EventBatch, EventColumnWriter } from "../../../engine/record/event-chunk.ts";
import type { MachineEvent } from "../../../engine/events.ts";
import { Recorder } from "../../../engine/record/recorder.ts";
import { Recording } from "../../../engine/record/recording.ts";
import { RecordingError, SCHEMA_VERSION } from "../../../engine/record/schema.ts";
import { replay } from "../../../engine/record/replayer.ts";
import { rechain } from "./rechain.ts";

const dir = mkdtempSync(join(tmpdir(), "hedron-tamper-"));
const original = join(dir, "cat.hlrec");
// cat with two stdin reads (the second longer than 32 bytes), small chunks, a snapshot mid-run.
{
  const stdin = [Buffer.from("first line\n"), Buffer.from("second line, long enough to pass thirty-two bytes\n")];
  new Recorder(
    original,
    {
      modules: [{ name: "cat", bytes: readFileSync(join(GUEST_DIR, "cat")), kind: "foreign", argv: ["cat"] }],
      env: ["HEDRON_LAB=1"], cpus: 1, memoryMiB: 64, seed: 3, strict: false, mounts: [], readStdin: () => stdin.shift() ?? new Uint8Array(0),
    },
    { chunkInstructions: 128, snapshotInstructions: 256, engineVersion: "test" },
  ).run();
}

let n = 0;
function tampered(edit: (db: Database.Database) => void): string {
  const path = join(dir, `t${n++}.hlrec`);
  copyFileSync(original, path);
  const db = new Database(path);
  try {
    edit(db);
  } finally {
    db.close();
  }
  return path;
}

/** The first difference verify reports (a divergence, or a recording too damaged to replay), or null. */
function verify(path: string): string | null {
  const rec = Recording.open(path);
  try {
    const d = replay(rec).divergence;
    return d ? `${d.kind}: ${d.what}` : null;
  } catch (err) {
    if (err instanceof RecordingError) return `error: ${err.message}`;
    throw err;
  } finally {
    rec.close();
  }
}

function chunkEvents(db: Database.Database, chunk: number): MachineEvent[] {
  const row = db.prepare("SELECT event_data, event_crc FROM trace_chunk WHERE seq = ?").get(chunk) as { event_data: Buffer; event_crc: number };
  const batch = new EventBatch(unpackBlob(row.event_data, row.event_crc, 1 << 26), SCHEMA_VERSION);
  return Array.from({ length: batch.length }, (_, i) => batch.get(i));
}

/** Rewrites the events of one chunk through `change` (a chunk's events live in one columnar blob). */
function editEvents(db: Database.Database, change: (events: MachineEvent[]) => void, seq?: number): void {
  const chunk = seq ?? (db.prepare("SELECT max(seq) FROM trace_chunk WHERE events > 0").pluck().get() as number);
  const events = chunkEvents(db, chunk);
  change(events);
  const w = new EventColumnWriter();
  for (const e of events) w.add(e);
  const packed = packBlob(w.finish(), true);
  db.prepare("UPDATE trace_chunk SET event_data = ?, event_crc = ?, events = ? WHERE seq = ?").run(packed.data, packed.crc, events.length, chunk);
  const after = db.prepare("SELECT seq, events FROM trace_chunk WHERE seq > ? ORDER BY seq").all(chunk) as { seq: number; events: number }[];
  let first = (db.prepare("SELECT first_event FROM trace_chunk WHERE seq = ?").pluck().get(chunk) as number) + events.length;
  for (const c of after) {
    db.prepare("UPDATE trace_chunk SET first_event = ? WHERE seq = ?").run(first, c.seq);
    first += c.events;
  }
}

const lastEvent = (events: MachineEvent[]) => events[events.length - 1];

/** [class, edit, found by re-execution after the forger recomputed the digest chain?] */
const TAMPERINGS: [string, (db: Database.Database) => void, boolean][] = [
  ["stdin byte after offset 32 (the issue's probe)", (db) => db.exec("UPDATE input SET data = CAST(replace(CAST(data AS TEXT), 'line', 'LINE') AS BLOB)"), true],
  ["input instruction count", (db) => db.exec("UPDATE input SET icount = icount + 1 WHERE seq = 1"), true],
  ["input kind", (db) => db.exec("UPDATE input SET kind = 'host-read' WHERE seq = 1"), true],
  ["input row deleted", (db) => db.exec("DELETE FROM input WHERE seq = 2"), true],
  ["input row appended", (db) => db.exec("INSERT INTO input (chunk, icount, kind, data) SELECT max(seq), 0, 'stdin', x'41' FROM trace_chunk"), true],
  ["console text replaced", (db) => db.exec("UPDATE console SET data = CAST('other text\n' AS BLOB) WHERE seq = (SELECT min(seq) FROM console)"), true],
  ["console stream changed", (db) => db.exec("UPDATE console SET stream = 'stderr' WHERE seq = (SELECT min(seq) FROM console)"), true],
  ["console row appended", (db) => db.exec("INSERT INTO console (chunk, icount, stream, data) SELECT max(seq), 1, 'stdout', x'41' FROM trace_chunk"), true],
  ["console row deleted", (db) => db.exec("DELETE FROM console WHERE seq = (SELECT max(seq) FROM console)"), true],
  ["event cost", (db) => editEvents(db, (e) => void (lastEvent(e).cost += 1)), true],
  ["event call id", (db) => {
    const chunk = (db.prepare("SELECT seq FROM trace_chunk ORDER BY seq").pluck().all() as number[]).find((c) => chunkEvents(db, c).some((e) => e.callId !== undefined))!;
    editEvents(db, (e) => void (e.find((x) => x.callId !== undefined)!.callId! += 1), chunk);
  }, true],
  ["event name", (db) => editEvents(db, (e) => void (lastEvent(e).name = "other")), true],
  ["event arguments", (db) => editEvents(db, (e) => void (lastEvent(e).args += " ")), true],
  ["event result", (db) => editEvents(db, (e) => void (lastEvent(e).result = "-EPERM")), true],
  ["event virtual cycles", (db) => editEvents(db, (e) => void (lastEvent(e).vcycles += 1)), true],
  ["event PD / EC", (db) => editEvents(db, (e) => void (lastEvent(e).ec += 1)), true],
  ["event appended at the end", (db) => editEvents(db, (e) => void e.push({ ...lastEvent(e) })), true],
  ["event deleted", (db) => editEvents(db, (e) => void e.splice(0, 1), 1), true],
  ["event host time (measured, not guest-visible)", (db) => editEvents(db, (e) => void (lastEvent(e).hostNs += 5)), false],
  ["session seed", (db) => db.exec("UPDATE session SET seed = seed + 1"), true],
  ["configuration seed", (db) => db.exec("UPDATE session SET config = json_set(config, '$.seed', 99)"), true],
  ["session and configuration seed together", (db) => db.exec("UPDATE session SET seed = 99, config = json_set(config, '$.seed', 99)"), true],
  ["configuration environment", (db) => db.exec("UPDATE session SET config = json_set(config, '$.env[0]', 'HEDRON_LAB=2')"), true],
  ["instruction-stream flag off", (db) => db.exec("UPDATE session SET instruction_stream = 0"), true],
  ["chunk size", (db) => db.exec("UPDATE session SET chunk_instructions = 64"), true],
  ["final instruction count", (db) => db.exec("UPDATE session SET final_icount = final_icount + 1"), true],
  ["exit status", (db) => db.exec("UPDATE session SET exit_status = 3"), true],
  ["stop reason", (db) => db.exec("UPDATE session SET stop_reason = 'killed'"), true],
  ["created timestamp (metadata)", (db) => db.exec("UPDATE session SET created = '2000-01-01'"), false],
  ["boot module byte", (db) => db.exec("UPDATE module SET data = CAST(replace(CAST(data AS TEXT), 'ELF', 'ELG') AS BLOB)"), true],
  ["chunk state hash", (db) => db.exec("UPDATE trace_chunk SET state_hash = 'x' || substr(state_hash, 2) WHERE seq = 2"), true],
  ["chunk world hash", (db) => db.exec("UPDATE trace_chunk SET world_hash = 'x' || substr(world_hash, 2) WHERE world_hash IS NOT NULL AND seq = (SELECT max(seq) FROM trace_chunk)"), true],
  ["chunk block count", (db) => db.exec("UPDATE trace_chunk SET blocks = blocks + 1 WHERE seq = 1"), true],
  ["chunk virtual cycles", (db) => db.exec("UPDATE trace_chunk SET vcycles = vcycles + 1 WHERE seq = 1"), true],
  ["last chunk deleted", (db) => db.exec("DELETE FROM trace_chunk WHERE seq = (SELECT max(seq) FROM trace_chunk)"), true],
  ["snapshot state hash", (db) => db.exec("UPDATE snapshot SET state_hash = 'x' || substr(state_hash, 2)"), true],
  ["snapshot event count", (db) => db.exec("UPDATE snapshot SET events = events + 1"), true],
  ["snapshot input count", (db) => db.exec("UPDATE snapshot SET inputs = inputs + 1"), true],
  ["frame row added (derived from memory)", (db) => db.exec("INSERT INTO frame (chunk, icount, width, height, bytes_per_pixel, keyframe, data, crc) VALUES (1, 1, 1, 1, 4, 1, x'00', 0)"), false],
  ["digest link", (db) => db.exec("UPDATE trace_chunk SET link = zeroblob(32) WHERE seq = 1"), false],
  ["extra table", (db) => db.exec("CREATE TABLE note (x)"), false],
];

for (const [what, edit, byExecution] of TAMPERINGS) {
  test(`tampering found by verify: ${what}`, () => {
    const path = tampered(edit);
    const found = verify(path);
    assert.ok(found, `${what}: verify passed a tampered recording`);
    assert.match(found, /^integrity: /, `${what}: the digest chain names it first`);
    assert.ok(found.length < 500 && !found.includes("\n"), "one short line");
    if (!byExecution) return;
    rechain(path);
    const forged = verify(path);
    assert.ok(forged, `${what}: re-execution passed a tampered recording whose digests were recomputed`);
  });
}

test("the untouched recording verifies, also after recomputing its digest chain", () => {
  assert.equal(verify(original), null);
  const path = tampered(() => {});
  rechain(path);
  assert.equal(verify(path), null);
});
