// The recording file: written in batches, read back in view mode, and every kind of bad file refused clearly.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, statSync, truncateSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { Recording } from "../../../engine/record/recording.ts";
import { RecordingError, SCHEMA_VERSION } from "../../../engine/record/schema.ts";
import { writeSample } from "./sample.ts";

const dir = mkdtempSync(join(tmpdir(), "hedron-record-"));

const complete = join(dir, "complete.hlrec");
writeSample(complete, true);

test("a finished recording reads back: session, summary, events, console, inputs, chunks, snapshot", () => {
  const rec = Recording.open(complete);
  try {
    assert.equal(rec.session.status, "complete");
    assert.deepEqual(rec.session.args, ["hello", "a"]);
    assert.equal(rec.session.exitStatus, 2);
    const s = rec.summary();
    assert.equal(s.events, 5000);
    assert.equal(s.eventKinds.portal_call, 500);
    assert.equal(s.chunks, 50);
    assert.equal(s.verifiableIcount, 500_000);
    assert.equal(s.inputs, 1);
    assert.equal(s.frames, 3);
    const evs = rec.events(1000, 1500);
    assert.deepEqual(evs.map((e) => e.icount), [1000, 1100, 1200, 1300, 1400, 1500]);
    assert.equal(evs[0].callId, 1);
    assert.equal(evs[0].kind, "portal_call");
    assert.equal(evs[2].callId, undefined);
    assert.equal(rec.consoleText(100_000), "line 0\nline 500\nline 1000\n");
    assert.equal(rec.consoleText(100_000, ["stdout"]), "line 0\nline 1000\n");
    assert.deepEqual(rec.inputs().map((i) => [i.icount, i.kind, Buffer.from(i.data).toString()]), [[123_400, "stdin", "typed\n"]]);
    const chunks = rec.chunks();
    assert.equal(chunks[3].firstIcount, 30_000);
    assert.equal(chunks[3].stateHash, "hash399");
    const [blocks] = rec.chunkBlocks(chunks[3].seq);
    assert.equal(blocks.length, 100);
    assert.equal(blocks[1], 0x401000 + ((7 + 399) % 13) * 16);
    assert.equal(rec.snapshotAtOrBefore(249_999, 1 << 20), null);
    assert.equal(rec.snapshotAtOrBefore(400_000, 1 << 20)?.head.length, 50_000);
    assert.deepEqual(rec.modules().get("hello"), Uint8Array.of(0x7f, 0x45, 0x4c, 0x46));
  } finally {
    rec.close();
  }
});

test("the timeline gives events when zoomed in and per-kind buckets when zoomed out", () => {
  const rec = Recording.open(complete);
  try {
    const near = rec.timeline(10_000, 12_000, 10);
    assert.equal(near.detail, "events");
    assert.equal(near.detail === "events" && near.events.length, 21);
    const far = rec.timeline(0, 500_000, 10);
    assert.equal(far.detail, "buckets");
    if (far.detail !== "buckets") return;
    assert.equal(far.buckets.length, 10);
    assert.equal(far.buckets.reduce((n, b) => n + b.count, 0), 5000);
    assert.equal(far.buckets[0].count, 500);
    assert.equal(far.buckets[0].kinds.portal_call, 50);
    assert.equal(far.buckets[0].cost, 500 * 40);
    const byCycles = rec.timeline(0, 650_000, 5, "vcycles");
    assert.equal(byCycles.detail === "buckets" && byCycles.buckets[4].count, 1000);
  } finally {
    rec.close();
  }
});

test("the framebuffer at an instruction count is the keyframe plus the deltas up to it", () => {
  const rec = Recording.open(complete);
  try {
    assert.equal(rec.framebufferAt(999), null);
    assert.equal(rec.framebufferAt(1999)?.pixels[20], 0);
    const at2 = rec.framebufferAt(2500)!;
    assert.equal(at2.icount, 2000);
    assert.equal(at2.pixels[20], 9);
    assert.equal(at2.pixels[0], 0);
    assert.equal(rec.framebufferAt(3000)!.pixels[0], 0xee);
  } finally {
    rec.close();
  }
});

test("a recording never finished says incomplete and reads up to what was committed", () => {
  const path = join(dir, "unfinished.hlrec");
  writeSample(path, false);
  const rec = Recording.open(path);
  try {
    assert.equal(rec.session.status, "incomplete");
    assert.equal(rec.session.finalIcount, null);
    assert.equal(rec.summary().chunks, 50);
  } finally {
    rec.close();
  }
});

function expectError(path: string, kind: RecordingError["kind"], message: RegExp): void {
  assert.throws(() => Recording.open(path), (err: unknown) => {
    assert.ok(err instanceof RecordingError, `expected a RecordingError, got ${String(err)}`);
    assert.equal(err.kind, kind);
    assert.match(err.message, message);
    return true;
  });
}

test("a missing, empty or foreign file is one clear error each", () => {
  expectError(join(dir, "nope.hlrec"), "missing", /no such recording/);
  const empty = join(dir, "empty.hlrec");
  writeFileSync(empty, "");
  expectError(empty, "empty", /empty/);
  const text = join(dir, "text.hlrec");
  writeFileSync(text, "#!/bin/sh\necho this is not a recording\n".repeat(50));
  expectError(text, "foreign", /not a Hedron Lab recording/);
  const other = join(dir, "other.sqlite");
  const db = new Database(other);
  db.exec("CREATE TABLE t (x); INSERT INTO t VALUES (1)");
  db.close();
  expectError(other, "foreign", /SQLite database, but not a Hedron Lab recording/);
});

test("a recording from a newer schema is refused with the versions named", () => {
  const path = join(dir, "newer.hlrec");
  writeFileSync(path, readFileSync(complete));
  const db = new Database(path);
  db.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
  db.close();
  expectError(path, "newer", new RegExp(`schema version ${SCHEMA_VERSION + 1}.*versions 1–${SCHEMA_VERSION}`));
});

test("a truncated recording is reported as truncated", () => {
  const path = join(dir, "truncated.hlrec");
  writeFileSync(path, readFileSync(complete));
  truncateSync(path, Math.floor(statSync(path).size / 2));
  expectError(path, "truncated", /truncated/);
  truncateSync(path, 60);
  expectError(path, "truncated", /truncated/);
});

/** Opens a recording and reads every table through the view API. */
function readEverything(path: string): void {
  const rec = Recording.open(path);
  try {
    rec.summary();
    rec.events();
    rec.consoleText();
    for (const c of rec.chunks()) rec.chunkBlocks(c.seq);
    rec.snapshotAtOrBefore(1e9, 1 << 20);
    rec.framebufferAt(1e9);
  } finally {
    rec.close();
  }
}

test("damaged pages are reported as corrupt, never a crash", () => {
  const bytes = readFileSync(complete);
  const pageSize = bytes.readUInt16BE(16);
  let caught = 0;
  // Scribble over each page in turn (page 1's damage reads as a foreign file, tested above): every
  // outcome must be a clean read or a RecordingError of kind "corrupt".
  for (let p = 1; p < bytes.length / pageSize; p++) {
    const damaged = Buffer.from(bytes);
    for (let i = 0; i < 64; i++) damaged[p * pageSize + 200 + i * 13] ^= 0x5a;
    const path = join(dir, "damaged.hlrec");
    writeFileSync(path, damaged);
    try {
      readEverything(path);
    } catch (err) {
      assert.ok(err instanceof RecordingError, `page ${p}: ${String(err)}`);
      assert.equal(err.kind, "corrupt", `page ${p}: ${err.message}`);
      assert.doesNotMatch(err.message, /\n/);
      caught++;
    }
  }
  assert.ok(caught > 0);
});

test("a damaged trace chunk, snapshot or frame blob is reported as corrupt by its checksum", () => {
  for (const [table, column] of [["trace_chunk", "seq"], ["snapshot", "icount"], ["frame", "seq"]]) {
    const path = join(dir, `blob-${table}.hlrec`);
    writeFileSync(path, readFileSync(complete));
    const db = new Database(path);
    const row = db.prepare(`SELECT ${column} AS id, data FROM ${table} ORDER BY ${column} LIMIT 1`).get() as { id: number; data: Buffer };
    row.data[row.data.length >> 1] ^= 1;
    db.prepare(`UPDATE ${table} SET data = ? WHERE ${column} = ?`).run(row.data, row.id);
    db.close();
    assert.throws(() => readEverything(path), (err: unknown) => {
      assert.ok(err instanceof RecordingError);
      assert.equal(err.kind, "corrupt");
      assert.match(err.message, /checksum mismatch/);
      return true;
    }, table);
  }
});
