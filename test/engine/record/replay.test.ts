// Record and re-execute real guests on the real machine: identical replays, divergences found where they happen,
// stops at any instruction count, and a recorder killed with SIGKILL leaving a usable, incomplete file.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { GUEST_DIR } from "../../../engine/cli/run.ts";
import type { MachineConfig } from "../../../engine/machine.ts";
import { encodeTraceChunk, packBlob } from "../../../engine/record/codec.ts";
import { Recorder, type RecordOptions } from "../../../engine/record/recorder.ts";
import { Recording } from "../../../engine/record/recording.ts";
import { replay, Seeker } from "../../../engine/record/replayer.ts";
import { stateHash } from "../../../engine/record/state-hash.ts";
import { rechain } from "./rechain.ts";

const dir = mkdtempSync(join(tmpdir(), "hedron-replay-"));

function config(guest: string, argv: string[], stdin: Uint8Array[] = []): MachineConfig {
  const queue = [...stdin];
  return {
    modules: [{ name: guest, bytes: readFileSync(join(GUEST_DIR, guest)), kind: "foreign", argv: [guest, ...argv] }],
    env: ["HEDRON_LAB=1"], cpus: 1, memoryMiB: 64, seed: 5, strict: false, mounts: [],
    readStdin: (max) => {
      const next = queue.shift() ?? new Uint8Array(0);
      assert.ok(next.length <= max);
      return next;
    },
  };
}

function record(name: string, cfg: MachineConfig, options: Partial<RecordOptions> = {}): { path: string; stdout: string } {
  const path = join(dir, `${name}.hlrec`);
  const recorder = new Recorder(path, cfg, { chunkInstructions: 4096, snapshotInstructions: 1 << 20, engineVersion: "test", ...options });
  const out: Buffer[] = [];
  recorder.machine.onConsole((stream, bytes) => {
    if (stream === "stdout") out.push(Buffer.from(bytes));
  });
  recorder.run();
  return { path, stdout: Buffer.concat(out).toString() };
}

test("recording then verified replay of hello, sort and cat (with stdin) is identical chunk for chunk", () => {
  const runs = [
    record("hello", config("hello", ["x", "y"])),
    record("sort", config("sort", ["300"])),
    record("cat", config("cat", [], [Buffer.from("first line\n"), Buffer.from("second line\n")]), { chunkInstructions: 256, snapshotInstructions: 1 << 16 }),
  ];
  assert.match(runs[0].stdout, /argv\[2\] = "y"/);
  assert.equal(runs[2].stdout, "first line\nsecond line\n");
  for (const { path, stdout } of runs) {
    const rec = Recording.open(path);
    try {
      assert.equal(rec.session.status, "complete");
      assert.equal(rec.consoleText(Number.MAX_SAFE_INTEGER, ["stdout"]), stdout);
      const chunks = rec.summary().chunks;
      assert.ok(chunks >= 3, `${path}: ${chunks} chunks`);
      const result = replay(rec);
      assert.equal(result.divergence, null, JSON.stringify(result.divergence));
      assert.equal(result.complete, true);
      assert.equal(result.chunksVerified, chunks);
      assert.equal(result.icount, rec.session.finalIcount);
    } finally {
      rec.close();
    }
  }
});

test("an altered recorded stdin byte is reported as a divergence in the chunk where the guest read it", () => {
  const { path } = record("cat-altered", config("cat", [], [Buffer.from("some input for the guest\n")]), { chunkInstructions: 128, snapshotInstructions: 1 << 16 });
  const db = new Database(path);
  const input = db.prepare("SELECT seq, icount, data FROM input WHERE length(data) > 0 ORDER BY seq LIMIT 1").get() as { seq: number; icount: number; data: Buffer };
  input.data[5] = "I".charCodeAt(0);
  db.prepare("UPDATE input SET data = ? WHERE seq = ?").run(input.data, input.seq);
  const readChunk = db.prepare("SELECT seq FROM trace_chunk WHERE first_icount <= ? AND last_icount >= ? ORDER BY seq LIMIT 1").pluck().get(input.icount, input.icount) as number;
  db.close();
  const tampered = Recording.open(path);
  assert.match(tampered.checkIntegrity() ?? "", new RegExp(`^chunk ${readChunk}: its input rows differ`));
  tampered.close();
  rechain(path);
  const rec = Recording.open(path);
  try {
    assert.equal(rec.checkIntegrity(), null);
    const result = replay(rec);
    const d = result.divergence;
    assert.ok(d, "the altered input must be noticed");
    assert.equal(d.chunk, readChunk);
    assert.ok(d.icount >= input.icount, `divergence at ${d.icount}, input read at ${input.icount}`);
    assert.ok(d.firstIcount <= input.icount && input.icount <= d.lastIcount);
    assert.equal(result.complete, false);
  } finally {
    rec.close();
  }
});

test("an altered block address in the trace is reported with its chunk, CPU and block index", () => {
  const { path } = record("sort-trace", config("sort", ["200"]));
  const rec0 = Recording.open(path);
  const chunk = rec0.chunks()[2];
  const [blocks] = rec0.chunkBlocks(chunk.seq);
  rec0.close();
  blocks[17] += 1;
  const db = new Database(path);
  const packed = packBlob(encodeTraceChunk([{ addresses: blocks, length: blocks.length }]));
  db.prepare("UPDATE trace_chunk SET data = ?, crc = ? WHERE seq = ?").run(packed.data, packed.crc, chunk.seq);
  db.close();
  rechain(path);
  const rec = Recording.open(path);
  try {
    const d = replay(rec).divergence;
    assert.ok(d);
    assert.equal(d.chunk, chunk.seq);
    assert.match(d.what, /CPU 0 block 17: recorded 0x[0-9a-f]+, replayed 0x[0-9a-f]+/);
  } finally {
    rec.close();
  }
});

test("replay stops at a chosen instruction count and exposes the machine state there", () => {
  const { path } = record("sort-seek", config("sort", ["200"]));
  const rec = Recording.open(path);
  try {
    const final = rec.session.finalIcount!;
    const target = Math.floor(final / 2);
    const half = replay(rec, { to: target });
    assert.equal(half.divergence, null);
    assert.equal(half.complete, false);
    assert.ok(half.icount >= target && half.icount < target + 1000, `stopped at ${half.icount} for ${target}`);
    assert.equal(half.machine.roottask.processes.procs.get(half.machine.roottask.processes.firstPid)!.state, "running");
    const guestEc = [...half.machine.kernel.ecs.values()].find((ec) => !ec.host)!;
    assert.ok(guestEc.state.rip > 0x400000, "the guest EC's registers are there to inspect");
    const again = replay(rec, { to: target });
    assert.equal(again.icount, half.icount);
    assert.deepEqual([...again.machine.kernel.ecs.values()].find((ec) => !ec.host)!.state.gpr, guestEc.state.gpr);
    const full = replay(rec);
    assert.equal(full.machine.roottask.processes.procs.get(full.machine.roottask.processes.firstPid)!.state, "exited");
  } finally {
    rec.close();
  }
});

test("a recorder killed with SIGKILL leaves a file that opens, says incomplete, and replays to its last chunk", async () => {
  const path = join(dir, "killed.hlrec");
  const child = spawn(process.execPath, ["--import", "tsx", join(import.meta.dirname, "record-child.ts"), path], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  let seen = 0;
  let finished = false;
  await new Promise<void>((resolve) => {
    child.stdout.setEncoding("utf8");
    child.stdout.on("data", (text: string) => {
      seen += (text.match(/^chunk /gm) ?? []).length;
      if (text.includes("finished")) finished = true;
      if (seen >= 8 && child.exitCode === null && !child.killed) child.kill("SIGKILL");
    });
    child.on("exit", () => resolve());
  });
  assert.equal(finished, false, "the child must be killed mid-run");
  assert.equal(child.signalCode, "SIGKILL");
  const rec = Recording.open(path);
  try {
    assert.equal(rec.session.status, "incomplete");
    const s = rec.summary();
    assert.ok(s.chunks >= 8, `${s.chunks} chunks committed`);
    const result = replay(rec);
    assert.equal(result.divergence, null, JSON.stringify(result.divergence));
    assert.equal(result.chunksVerified, s.chunks);
    assert.equal(result.icount, s.verifiableIcount);
  } finally {
    rec.close();
  }
});

test("a recording without the instruction stream still replays and verifies by events and state hashes", () => {
  const { path } = record("sort-no-blocks", config("sort", ["200"]), { instructionStream: false });
  const rec = Recording.open(path);
  try {
    assert.equal(rec.session.instructionStream, false);
    assert.equal(rec.summary().traceBytes < 50 * rec.summary().chunks, true, "chunks hold no block addresses");
    const result = replay(rec);
    assert.equal(result.divergence, null, JSON.stringify(result.divergence));
    assert.equal(result.chunksVerified, rec.summary().chunks);
  } finally {
    rec.close();
  }
});

test("a mounted host folder is recorded as input: replay never reads it, so a changed host file still verifies", () => {
  const host = mkdtempSync(join(tmpdir(), "hedron-mount-"));
  writeFileSync(join(host, "notes.txt"), "recorded contents\n");
  const cfg = { ...config("cat", ["/mnt/notes.txt"]), mounts: [{ host, guest: "/mnt" }] };
  const { path, stdout } = record("cat-mount", cfg, { chunkInstructions: 128, snapshotInstructions: 256 });
  assert.equal(stdout, "recorded contents\n");
  writeFileSync(join(host, "notes.txt"), "CHANGED on the host after recording, and longer\n");
  const rec = Recording.open(path);
  try {
    const kinds = new Set(rec.inputs().map((i) => i.kind));
    assert.ok(kinds.has("host-lstat") && kinds.has("host-read"), [...kinds].join(", "));
    const out: Buffer[] = [];
    const result = replay(rec, {
      onStart: (m) => m.onConsole((stream, bytes) => stream === "stdout" && out.push(Buffer.from(bytes))),
    });
    assert.equal(result.divergence, null, JSON.stringify(result.divergence));
    assert.equal(result.complete, true);
    assert.equal(Buffer.concat(out).toString(), "recorded contents\n");
    // A seek starts from a snapshot: the rows read while building the machine and after the snapshot still line up.
    const seek = replay(rec, { to: rec.session.finalIcount! - 10 });
    assert.ok(seek.startIcount > 0, "the seek starts from a snapshot");
    assert.equal(seek.divergence, null, JSON.stringify(seek.divergence));
    // Not even the mount root is looked at: replay works with the folder gone.
    rmSync(host, { recursive: true, force: true });
    const again = replay(rec);
    assert.equal(again.divergence, null, JSON.stringify(again.divergence));
  } finally {
    rec.close();
    rmSync(host, { recursive: true, force: true });
  }
});

test("a recorded host read that differs from the call replay makes is a divergence", () => {
  const host = mkdtempSync(join(tmpdir(), "hedron-mount-"));
  writeFileSync(join(host, "a.txt"), "alpha\n");
  const { path } = record("cat-mount-altered", { ...config("cat", ["/mnt/a.txt"]), mounts: [{ host, guest: "/mnt" }] }, { chunkInstructions: 512 });
  rmSync(host, { recursive: true, force: true });
  const db = new Database(path);
  const row = db.prepare("SELECT seq, icount, data FROM input WHERE kind = 'host-read' ORDER BY seq LIMIT 1").get() as { seq: number; icount: number; data: Buffer };
  const text = row.data.toString("latin1").replace("a.txt", "b.txt");
  db.prepare("UPDATE input SET data = ? WHERE seq = ?").run(Buffer.from(text, "latin1"), row.seq);
  db.close();
  rechain(path);
  const rec = Recording.open(path);
  try {
    const d = replay(rec).divergence;
    assert.ok(d, "the altered host read must be noticed");
    assert.equal(d.icount, row.icount);
    assert.match(d.what, /read \/.*a\.txt .* differs from the recorded one \(read \/.*b\.txt\)/);
  } finally {
    rec.close();
  }
});

test("the Seeker's forward seek on the open engine reaches the same state as a fresh seek, and seeks back", () => {
  const { path } = record("sort-seeker", config("sort", ["300"]), { chunkInstructions: 4096, snapshotInstructions: 1 << 15 });
  const rec = Recording.open(path);
  try {
    const final = rec.session.finalIcount!;
    const seeker = new Seeker(rec);
    const points = [Math.floor(final * 0.3), Math.floor(final * 0.3) + 5000, Math.floor(final * 0.7), Math.floor(final * 0.1)];
    for (const at of points) {
      const m = seeker.seek(at);
      const fresh = replay(rec, { to: at, verify: false }).machine;
      assert.equal(m.icount, fresh.icount);
      assert.equal(stateHash(m), stateHash(fresh), `state at ${at}`);
    }
  } finally {
    rec.close();
  }
});
