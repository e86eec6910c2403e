// Checkpoints kept in memory by seeks: a later seek that restores one lands in exactly the state a seek from the
// recording's own snapshot reaches, and the run goes on from there with the same input and output to its end.

import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Machine, MachineConfig } from "../../../engine/machine.ts";
import { CheckpointCache } from "../../../engine/record/checkpoints.ts";
import { ExactControl } from "../../../engine/debug/exact.ts";
import { seekExact } from "../../../engine/debug/reverse.ts";
import { Recorder } from "../../../engine/record/recorder.ts";
import { Recording } from "../../../engine/record/recording.ts";
import { worldHash } from "../../../engine/record/snapshot.ts";
import { stateHash } from "../../../engine/record/state-hash.ts";

const CAT = new Uint8Array(readFileSync(new URL("../../../engine/guests/bin/cat", import.meta.url)));
const CHUNK = 1 << 11;

/** cat copying 2,000 stdin reads of varying length: every read is a recorded input, every write an event. */
function config(): MachineConfig {
  let read = 0;
  return {
    modules: [{ name: "cat", bytes: CAT, kind: "foreign", argv: ["cat"] }],
    env: [], cpus: 1, memoryMiB: 64, seed: 1, strict: false, mounts: [],
    readStdin: (max) => (read++ < 2000 ? new TextEncoder().encode(`line ${read} ${"x".repeat(read % 97)}\n`).subarray(0, max) : new Uint8Array(0)),
  };
}

/** The state at `icount`, and the stdout the machine writes from there to its end. */
function seekAndFinish(rec: Recording, icount: number, cache?: CheckpointCache): { state: string; world: string; rest: string; exit: number } {
  const machine: Machine = seekExact(rec, icount, undefined, cache);
  assert.equal(machine.icount, icount);
  const state = stateHash(machine);
  const world = worldHash(machine);
  let rest = "";
  machine.onConsole((stream, bytes) => (rest += stream === "stdout" ? Buffer.from(bytes).toString("latin1") : ""));
  new ExactControl(machine).runTo(Number.MAX_SAFE_INTEGER);
  return { state, world, rest, exit: machine.exitStatus };
}

/** Records the cat run with small chunks and one snapshot interval over the whole run (every seek re-executes from
 *  the start unless a checkpoint helps), then hands the recording and its length to `check`. */
function withRecording(check: (rec: Recording, total: number) => void): void {
  const dir = mkdtempSync(join(tmpdir(), "hedron-checkpoints-"));
  try {
    const file = join(dir, "cat.hlrec");
    new Recorder(file, config(), { engineVersion: "test", chunkInstructions: CHUNK, snapshotInstructions: 1 << 30 }).run();
    const rec = Recording.open(file);
    check(rec, rec.session.finalIcount!);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test("a seek restored from a checkpoint reaches the state a seek from the recorded snapshot reaches, and ends the same", () => {
  withRecording((rec, total) => {
    assert.ok(total > 40 * CHUNK, `the run is long enough for many chunks (${total} instructions)`);

    const cache = new CheckpointCache();
    seekExact(rec, total - 5, undefined, cache);
    assert.ok(cache.size >= 40, `the first seek checkpointed the chunk ends it passed (${cache.size})`);

    for (const at of [Math.floor(total / 3) + 17, Math.floor(total / 2), total - CHUNK - 3, 5 * CHUNK]) {
      const base = cache.before(at);
      assert.ok(base && at - base.icount <= CHUNK + 64, `a checkpoint lies within a chunk before ${at} (${base?.icount})`);
      assert.ok(base.events > 0 && base.inputs > 0, "it counts the events and inputs before it");
      assert.deepEqual(seekAndFinish(rec, at, cache), seekAndFinish(rec, at), `state at ${at} and the run from there`);
    }
  });
});

test("the checkpoint budget drops the least recently used re-execution's checkpoints, and seeks stay exact", () => {
  withRecording((rec, total) => {
    // Room for a handful of checkpoints only (a head is around a megabyte here).
    const cache = new CheckpointCache(24 << 20);
    seekExact(rec, Math.floor(total / 2), undefined, cache);
    const afterFirst = cache.size;
    assert.ok(afterFirst > 0 && afterFirst < 40, `the budget bounds the first run's checkpoints (${afterFirst})`);
    const at = total - 7;
    assert.deepEqual(seekAndFinish(rec, at, cache), seekAndFinish(rec, at));
    assert.ok(cache.before(at)!.icount > total / 2, "the newer re-execution's checkpoints were kept");
  });
});
