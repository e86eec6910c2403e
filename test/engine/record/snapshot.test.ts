// Snapshots: the whole machine serialised as data and restored over a fresh machine, continuing exactly as the original.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { GUEST_DIR } from "../../../engine/cli/run.ts";
import { Machine, type MachineConfig } from "../../../engine/machine.ts";
import { ByteWriter, DecodeError } from "../../../engine/record/codec.ts";
import { ChunkDriver } from "../../../engine/record/driver.ts";
import { Recorder } from "../../../engine/record/recorder.ts";
import { Recording } from "../../../engine/record/recording.ts";
import { replay } from "../../../engine/record/replayer.ts";
import { captureSnapshot, restoreSnapshot } from "../../../engine/record/snapshot.ts";

function config(argv: string[]): MachineConfig {
  return {
    modules: [{ name: "sort", bytes: readFileSync(join(GUEST_DIR, "sort")), kind: "foreign", argv: ["sort", ...argv] }],
    env: [], cpus: 1, memoryMiB: 32, seed: 3, strict: false, mounts: [], readStdin: () => new Uint8Array(0),
  };
}

function console(machine: Machine): string[] {
  const out: string[] = [];
  machine.onConsole((stream, bytes) => {
    if (stream === "stdout") out.push(Buffer.from(bytes).toString());
  });
  return out;
}

test("a machine restored from a snapshot mid-run continues exactly as the original, chunk hash for chunk hash", () => {
  const original = new Machine(config(["300"]));
  const outA = console(original);
  const a = new ChunkDriver(original, 8192, true);
  for (let i = 0; i < 12; i++) a.step();
  const snapshot = captureSnapshot(original);
  const copy = new Machine(config(["300"]));
  const outB = console(copy);
  restoreSnapshot(copy, snapshot.head, [snapshot.memory]);
  assert.equal(copy.icount, original.icount);
  assert.equal(copy.vcycles, original.vcycles);
  const b = new ChunkDriver(copy, 8192, true);
  let chunks = 0;
  for (;;) {
    const x = a.step();
    const y = b.step();
    assert.equal(y.stateHash, x.stateHash, `chunk ${chunks} after the restore`);
    assert.deepEqual(y.streams, x.streams);
    chunks++;
    if (x.halted) {
      assert.ok(y.halted);
      break;
    }
  }
  assert.ok(chunks > 5);
  assert.equal(copy.exitStatus, 0);
  // Output after the snapshot point is the same; output before it happened only in the original.
  assert.ok(outA.join("").endsWith(outB.join("")));
  assert.match(outB.join(""), /ints: n=300 sorted=1/);
});

test("restoring checks the state hash, the format and the machine, and refuses damaged data with a DecodeError", () => {
  const m = new Machine(config(["50"]));
  new ChunkDriver(m, 4096, false).step();
  const { head, memory } = captureSnapshot(m);
  assert.throws(() => restoreSnapshot(m, head, [memory]), /has not run yet/);
  const damaged = memory.slice();
  // Flip a byte deep inside the memory section: the restore completes, but its hash cannot match.
  damaged[damaged.length - 5000] ^= 0x10;
  assert.throws(() => restoreSnapshot(new Machine(config(["50"])), head, [damaged]), (err: unknown) => err instanceof DecodeError && /state hash/.test(err.message));
  assert.throws(() => restoreSnapshot(new Machine(config(["50"])), head.subarray(0, head.length >> 1), [memory]), DecodeError);
  assert.throws(() => restoreSnapshot(new Machine(config(["50"])), head), /memory does not match its format/);
  assert.throws(() => restoreSnapshot(new Machine(config(["50"])), Uint8Array.of(1, 2, 3)), DecodeError);
  const hostile = new ByteWriter();
  hostile.string("HLSNAP");
  hostile.uint(1);
  hostile.string("0");
  hostile.uint(13); // an object ...
  hostile.string("Function"); // ... claiming a class the machine does not have
  assert.throws(() => restoreSnapshot(new Machine(config(["50"])), hostile.finish()), /no class for/);
});

test("seeking with --to restores the nearest snapshot and lands in the same state as replay from boot", () => {
  const dir = mkdtempSync(join(tmpdir(), "hedron-snapshot-"));
  const path = join(dir, "sort.hlrec");
  new Recorder(path, config(["400"]), { chunkInstructions: 16384, snapshotInstructions: 100_000, engineVersion: "test" }).run();
  const rec = Recording.open(path);
  try {
    const s = rec.summary();
    assert.ok(s.snapshots >= 3, `${s.snapshots} snapshots`);
    const to = Math.floor(rec.session.finalIcount! * 0.8);
    const seek = replay(rec, { to });
    assert.ok(seek.startIcount > 0, "the seek must start from a snapshot");
    assert.equal(seek.divergence, null, JSON.stringify(seek.divergence));
    const fromBoot = replay(rec, { to, fromSnapshot: false });
    assert.equal(fromBoot.startIcount, 0);
    assert.equal(seek.icount, fromBoot.icount);
    const ec = (r: typeof seek) => [...r.machine.kernel.ecs.values()].find((e) => !e.host)!.state;
    assert.deepEqual(ec(seek).gpr, ec(fromBoot).gpr);
    assert.equal(ec(seek).rip, ec(fromBoot).rip);
    // Verification also works from a snapshot: every chunk after it is checked.
    const verified = replay(rec, { fromSnapshot: true, to: rec.session.finalIcount! });
    assert.equal(verified.divergence, null);
  } finally {
    rec.close();
  }
});
