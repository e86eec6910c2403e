// Hostile recordings: the fuzzer at its CI size, and the reproducers it and the issue found, each a clear one-line
// RecordingError (or an honest report) instead of an internal error, a hang or a false "verified".
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { copyFileSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { GUEST_DIR } from "../../../engine/cli/run.ts";
import type { MachineConfig } from "../../../engine/machine.ts";
import { RECORDINGS_DIR } from "../../../engine/record/make-recordings.ts";
import { Recorder } from "../../../engine/record/recorder.ts";
import { Recording } from "../../../engine/record/recording.ts";
import { replay } from "../../../engine/record/replayer.ts";
import { RecordingError } from "../../../engine/record/schema.ts";
import { fuzzRecordings } from "./fuzz-recordings.ts";
import { rechain } from "./rechain.ts";

const dir = mkdtempSync(join(tmpdir(), "hedron-hostile-"));
const ROOT = join(import.meta.dirname, "../../..");

function copyOf(name: string, edit?: (db: Database.Database) => void): string {
  const path = join(dir, `${Math.random().toString(36).slice(2)}-${name}`);
  copyFileSync(join(RECORDINGS_DIR, name), path);
  if (edit) {
    const db = new Database(path);
    edit(db);
    db.close();
  }
  return path;
}

/** Opens and verifies; returns the RecordingError's message (asserting it is one short line), or null. */
function refusal(path: string): string | null {
  try {
    const rec = Recording.open(path);
    try {
      rec.summary();
      replay(rec);
    } finally {
      rec.close();
    }
    return null;
  } catch (err) {
    assert.ok(err instanceof RecordingError, `not a RecordingError: ${(err as Error).stack}`);
    assert.ok(!err.message.includes("\n") && err.message.length < 400, `one short line: ${err.message}`);
    return err.message;
  }
}

test("the recording fuzzer (CI size: 150 cases) finds no internal error, hang or multi-line message", () => {
  assert.deepEqual(fuzzRecordings(150, 1), []);
});

test("a dropped table is named, not 'no such table'", () => {
  assert.match(refusal(copyOf("hello.hlrec", (db) => db.exec("DROP TABLE console"))) ?? "", /lacks its console table \(damaged or edited\)/);
});

test("chunk_instructions = 2^33 is a damaged session record, not a RangeError", () => {
  assert.match(refusal(copyOf("hello.hlrec", (db) => db.exec("UPDATE session SET chunk_instructions = 8589934592"))) ?? "", /session record is damaged \(chunk_instructions 8589934592\)/);
});

test("fuzzer reproducers: non-blob module, event data and console data, schema text with newlines", () => {
  assert.match(refusal(copyOf("hello.hlrec", (db) => db.exec("UPDATE module SET data = 2147483648"))) ?? "", /holds a number, not file bytes/);
  assert.match(refusal(copyOf("hello.hlrec", (db) => db.exec("UPDATE trace_chunk SET event_data = 8589934592 WHERE seq = 2"))) ?? "", /where compressed data belongs/);
  const path = copyOf("hello.hlrec", (db) => db.exec("UPDATE console SET data = 1e308"));
  const rec = Recording.open(path);
  assert.throws(() => rec.consoleText(), /console output stored as a number/);
  rec.close();
  const error = new RecordingError("corrupt", "x", "malformed database schema (snapshot) - unrecognized token: \"snapshot (\n  icount INTEGER\n");
  assert.ok(!error.message.includes("\n"));
});

function catConfig(mounts: MachineConfig["mounts"] = [], argv: string[] = []): MachineConfig {
  return {
    modules: [{ name: "cat", bytes: readFileSync(join(GUEST_DIR, "cat")), kind: "foreign", argv: ["cat", ...argv] }],
    env: ["HEDRON_LAB=1"], cpus: 1, memoryMiB: 64, seed: 1, strict: false, mounts, readStdin: () => new Uint8Array(0),
  };
}

test("a mount in the config without its recorded input is a clear error, not a read of the host", () => {
  const host = mkdtempSync(join(tmpdir(), "hedron-hostile-mount-"));
  writeFileSync(join(host, "a.txt"), "alpha\n");
  const path = join(dir, "mount.hlrec");
  new Recorder(path, catConfig([{ host, guest: "/mnt" }], ["/mnt/a.txt"]), { chunkInstructions: 4096, engineVersion: "test" }).run();
  const db = new Database(path);
  db.exec("DELETE FROM input WHERE kind LIKE 'host-%'");
  db.close();
  const rec0 = Recording.open(path);
  assert.match(replay(rec0).divergence?.what ?? "", /input rows differ/);
  rec0.close();
  rechain(path);
  assert.match(refusal(path) ?? "", /the recorded machine does not boot: .*has no recorded host-/);
});

test("an incomplete recording with no committed chunk is described and verified honestly", () => {
  const path = join(dir, "zero.hlrec");
  const recorder = new Recorder(path, catConfig(), { chunkInstructions: 4096, engineVersion: "test" });
  const copy = join(dir, "zero-copy.hlrec");
  copyFileSync(path, copy);
  copyFileSync(path + "-wal", copy + "-wal");
  const cli = (...args: string[]) => spawnSync(process.execPath, [join(ROOT, "bin/hedron-lab.js"), ...args], { encoding: "utf8" });
  const info = cli("info", copy);
  assert.equal(info.status, 0, info.stderr);
  assert.match(info.stdout, /incomplete: the recorder stopped before its first chunk end; nothing was committed/);
  assert.match(info.stdout, /trace +no chunk committed/);
  assert.doesNotMatch(info.stdout, /without the instruction stream/);
  const verify = cli("replay", "--verify", copy);
  assert.equal(verify.status, 1);
  assert.match(verify.stderr, /nothing to verify: the recording holds no committed chunk/);
  assert.doesNotMatch(verify.stderr, /identical/);
  recorder.finish();
});

test("a recording copied without its -wal file says so", () => {
  const path = join(dir, "wal.hlrec");
  const recorder = new Recorder(path, catConfig(), { chunkInstructions: 4096, engineVersion: "test" });
  const copy = join(dir, "wal-copy.hlrec");
  copyFileSync(path, copy);
  assert.ok(!existsSync(copy + "-wal"));
  const message = refusal(copy) ?? "";
  assert.match(message, /its .*wal-copy\.hlrec-wal file is missing: copy FILE-wal along with FILE/);
  assert.doesNotMatch(message, /not a Hedron Lab recording/);
  recorder.finish();
});

// The fixture was recorded before processes changed the boot sequence, so this engine re-executes it differently:
// it must open and read as before, and re-execution must end in a one-line verdict, never an error.
test("a recording made before the columnar format (schema version 1) still opens, reads, and re-executes to a one-line verdict", () => {
  const rec = Recording.open(join(import.meta.dirname, "fixtures/v1-cat-stdin.hlrec"));
  try {
    assert.equal(rec.migratedFrom, 1);
    assert.equal(rec.consoleText(Number.MAX_SAFE_INTEGER, ["stdout"]), "typed into the recorded run\nsecond line\n");
    assert.equal(rec.summary().events, 129);
    const result = replay(rec);
    assert.equal(result.divergence?.kind, "execution");
    assert.match(result.divergence!.what, /^event #\d+: recorded hypercall \S+\(/);
    assert.ok(result.divergence!.what.length <= 400 && !result.divergence!.what.includes("\n"));
  } finally {
    rec.close();
  }
});

// Made by the engine of schema version 2 (event text stored as text, no captures) from recordings/fileio.hlrec: it is
// read in place, and this engine's captures, rendered, must equal its stored text event for event.
test("a recording of schema version 2 opens in place, reads its event text, and re-executes identically", () => {
  const rec = Recording.open(join(import.meta.dirname, "fixtures/v2-fileio.hlrec"));
  try {
    assert.equal(rec.migratedFrom, null);
    assert.equal(rec.schemaVersion, 2);
    assert.equal(rec.checkIntegrity(), null);
    const syscalls = [...rec.events()].filter((e) => e.kind === "foreign_syscall");
    assert.equal(syscalls.length, 137);
    assert.equal(syscalls.find((e) => e.name === "open")?.args, '"fileio-test.txt", O_RDWR|O_CREAT|O_TRUNC|O_LARGEFILE, 0644');
    const result = replay(rec);
    assert.equal(result.divergence, null, result.divergence?.what);
  } finally {
    rec.close();
  }
});

test("a recording from an unknown future schema gets one line naming the versions", () => {
  const path = copyOf("hello.hlrec", (db) => db.pragma("user_version = 9"));
  assert.equal(refusal(path), `${path}: recorded with a newer Hedron Lab (schema version 9; this build reads versions 1–3): open it with a newer hedron-lab`);
});
