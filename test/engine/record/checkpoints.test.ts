// Checkpoints kept in memory for seeks (a seek's own, the background pass's) and seeks restored over the machine an
// earlier seek left: each lands in exactly the state a seek from the recording's own snapshot on a new machine
// reaches, and the run goes on from there with the same input and output to its end.

import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Machine, MachineConfig } from "../../../engine/machine.ts";
import { CheckpointCache } from "../../../engine/record/checkpoints.ts";
import { CheckpointPass } from "../../../engine/record/checkpoint-pass.ts";
import { ExactControl } from "../../../engine/debug/exact.ts";
import { seekExact } from "../../../engine/debug/reverse.ts";
import { Recorder } from "../../../engine/record/recorder.ts";
import { Recording } from "../../../engine/record/recording.ts";
import { worldHash } from "../../../engine/record/snapshot.ts";
import { stateHash } from "../../../engine/record/state-hash.ts";
import { tinyElf } from "../../helpers/tiny-elf.ts";

const CAT = new Uint8Array(readFileSync(new URL("../../../engine/guests/bin/cat", import.meta.url)));
const PROCS = new Uint8Array(readFileSync(new URL("../../../engine/guests/bin/procs", import.meta.url)));
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

interface Finish {
  state: string;
  world: string;
  rest: string;
  exit: number;
}

/** The state of `machine`, and the stdout it writes from there to its end. */
function finish(machine: Machine): Finish {
  const state = stateHash(machine);
  const world = worldHash(machine);
  let rest = "";
  machine.onConsole((stream, bytes) => (rest += stream === "stdout" ? Buffer.from(bytes).toString("latin1") : ""));
  new ExactControl(machine).runTo(Number.MAX_SAFE_INTEGER);
  return { state, world, rest, exit: machine.exitStatus };
}

/** Seeks to `icount` on a new machine (from a checkpoint when the cache has one near) and runs on to the end. */
function seekAndFinish(rec: Recording, icount: number, cache?: CheckpointCache): Finish {
  const machine: Machine = seekExact(rec, icount, undefined, cache);
  assert.equal(machine.icount, icount);
  return finish(machine);
}

/** Runs a background pass over the whole recording, a slice at a time as the lab's worker does. */
function passOver(rec: Recording, cache: CheckpointCache): CheckpointPass {
  const pass = new CheckpointPass(rec, cache);
  let slices = 0;
  while (pass.advance(5)) slices++;
  assert.ok(slices > 1, "the pass ran in several slices");
  assert.equal(pass.progress.done, pass.progress.total, "it went through every chunk");
  return pass;
}

/** Records a run with the chunks and snapshot interval given, then hands the recording and its length to `check`. */
function withRecording(machine: MachineConfig, chunkInstructions: number, snapshotInstructions: number, check: (rec: Recording, total: number) => void): void {
  const dir = mkdtempSync(join(tmpdir(), "hedron-checkpoints-"));
  try {
    const file = join(dir, "run.hlrec");
    new Recorder(file, machine, { engineVersion: "test", chunkInstructions, snapshotInstructions }).run();
    const rec = Recording.open(file);
    check(rec, rec.session.finalIcount!);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The cat run with one snapshot interval over all of it: every seek re-executes from the start unless a checkpoint helps. */
const withCatRecording = (check: (rec: Recording, total: number) => void) => withRecording(config(), CHUNK, 1 << 30, check);

test("a seek checkpoints the chunk end before its target: stepping back from there re-executes less than a chunk", () => {
  withCatRecording((rec, total) => {
    const cache = new CheckpointCache();
    const at = Math.floor(total / 2) + 11;
    seekExact(rec, at, undefined, cache);
    const base = cache.before(at - 1);
    assert.ok(base && at - base.icount <= CHUNK, `a checkpoint lies within a chunk before ${at} (${base?.icount})`);
    assert.ok(cache.size <= 2, `only near the target (${cache.size})`);
    assert.deepEqual(seekAndFinish(rec, at - 1, cache), seekAndFinish(rec, at - 1));
  });
});

test("after the background pass, a seek anywhere restores a checkpoint within a chunk and reaches the same state", () => {
  withCatRecording((rec, total) => {
    assert.ok(total > 40 * CHUNK, `the run is long enough for many chunks (${total} instructions)`);
    const cache = new CheckpointCache();
    passOver(rec, cache);
    assert.ok(cache.size >= 40, `the pass checkpointed every chunk end (${cache.size})`);

    for (const at of [Math.floor(total / 3) + 17, Math.floor(total / 2), total - CHUNK - 3, 5 * CHUNK]) {
      const base = cache.before(at);
      assert.ok(base && at - base.icount <= CHUNK + 64, `a checkpoint lies within a chunk before ${at} (${base?.icount})`);
      assert.ok(base.events > 0 && base.inputs > 0, "it counts the events and inputs before it");
      assert.deepEqual(seekAndFinish(rec, at, cache), seekAndFinish(rec, at), `state at ${at} and the run from there`);
    }
  });
});

test("a pass that also checkpoints inside chunks counts the events and inputs before each point, and seeks stay exact", () => {
  // Chunks of 2^16 instructions, and a checkpoint about every 0.2 ms of re-execution: many inside each chunk.
  withRecording(config(), 1 << 16, 1 << 30, (rec, total) => {
    const cache = new CheckpointCache();
    const pass = new CheckpointPass(rec, cache, 0.2);
    while (pass.advance(5));
    const chunks = rec.chunks().length;
    assert.ok(cache.size > 2 * chunks, `checkpoints inside chunks (${cache.size} for ${chunks} chunks)`);
    const chunkEnds = new Set(rec.chunks().map((c) => c.lastIcount));
    let inside = 0;
    for (const f of [0.13, 0.37, 0.52, 0.81, 0.97]) {
      const at = Math.floor(total * f);
      if (!chunkEnds.has(cache.before(at)!.icount)) inside++;
      assert.deepEqual(seekAndFinish(rec, at, cache), seekAndFinish(rec, at), `state at ${at} and the run from there`);
    }
    assert.ok(inside >= 3, `most seeks restored a checkpoint inside a chunk (${inside} of 5)`);
  });
});

test("a pass over a small budget checkpoints every few chunk ends instead, and seeks stay exact", () => {
  withCatRecording((rec, total) => {
    const budget = 4 << 20;
    const cache = new CheckpointCache(budget);
    const pass = passOver(rec, cache);
    assert.ok(pass.progress.stride > 1, `the stride widened (${pass.progress.stride})`);
    assert.ok(cache.heldBytes <= budget, `within the budget (${cache.heldBytes} bytes)`);
    assert.ok(cache.size > 2, `still checkpoints along the run (${cache.size})`);
    const at = total - 7;
    assert.deepEqual(seekAndFinish(rec, at, cache), seekAndFinish(rec, at));
  });
});

test("the checkpoint budget drops the least recently used re-execution's checkpoints, and seeks stay exact", () => {
  withCatRecording((rec, total) => {
    // Room for a handful of checkpoints only.
    const cache = new CheckpointCache(1 << 20);
    passOver(rec, cache);
    seekExact(rec, Math.floor(total / 2), undefined, cache);
    assert.ok(cache.heldBytes <= 1 << 20, `the budget holds (${cache.heldBytes} bytes)`);
    const at = Math.floor(total / 2) - 3;
    assert.ok(cache.before(at)!.icount > at - CHUNK, "the newest re-execution's checkpoint was kept");
    assert.deepEqual(seekAndFinish(rec, at, cache), seekAndFinish(rec, at));
  });
});

test("seeks restored over the previous seek's machine reach the states seeks on new machines reach, across fork and execve", () => {
  // The procs guest forks 50 children and re-executes itself: address spaces come and go, frames change from
  // data to code and back between the points sought, so compiled code kept across a restore must be exactly
  // what still holds.
  const procs: MachineConfig = {
    modules: [{ name: "procs", bytes: PROCS, kind: "foreign", argv: ["procs"] }],
    env: ["LC_ALL=C", "PATH=/bin"], cpus: 1, memoryMiB: 512, seed: 1, strict: false, mounts: [],
    readStdin: () => new Uint8Array(0),
  };
  withRecording(procs, 1 << 15, 1 << 19, (rec, total) => {
    assert.ok(total > 4 << 19, `the run spans several snapshots (${total} instructions)`);
    const cache = new CheckpointCache();
    let machine: Machine | null = null;
    const points = [0.9, 0.2, 0.55, 0.3].map((f) => Math.floor(total * f) + 5);
    for (const at of points) {
      machine = seekExact(rec, at, undefined, cache, machine);
      assert.equal(machine.icount, at);
      const fresh = seekExact(rec, at);
      assert.equal(stateHash(machine), stateHash(fresh), `state at ${at}`);
    }
    // World hashes differ in code-cache bookkeeping only (which frames hold decoded code): compare the rest.
    const { world: _reusedWorld, ...reused } = finish(machine!);
    const { world: _freshWorld, ...fresh } = seekAndFinish(rec, points.at(-1)!);
    assert.deepEqual(reused, fresh, "the run from the last point");
  });
});

/**
 * A program that rewrites its code: 30,000 times it writes `mov eax, 3i+1; ret` into one RWX page, calls it and
 * adds the result; it exits with the sum's low byte (232). The page's frame holds different code at every point.
 */
const REWRITER = tinyElf([
  ...[0xb8, 9, 0, 0, 0, 0x31, 0xff, 0xbe, 0, 0x10, 0, 0], // mov eax, 9 (mmap); xor edi, edi; mov esi, 4096
  ...[0xba, 7, 0, 0, 0, 0x41, 0xba, 0x22, 0, 0, 0], // mov edx, RWX; mov r10d, MAP_PRIVATE|MAP_ANONYMOUS
  ...[0x49, 0xc7, 0xc0, 0xff, 0xff, 0xff, 0xff, 0x45, 0x31, 0xc9, 0x0f, 0x05], // mov r8, -1; xor r9d, r9d; syscall
  ...[0x48, 0x89, 0xc3, 0x45, 0x31, 0xe4, 0x45, 0x31, 0xed], // mov rbx, rax; xor r12d, r12d; xor r13d, r13d
  ...[0xc6, 0x03, 0xb8, 0x43, 0x8d, 0x44, 0x64, 0x01], // loop: mov byte [rbx], 0xb8; lea eax, [r12+r12*2+1]
  ...[0x89, 0x43, 0x01, 0xc6, 0x43, 0x05, 0xc3], // mov [rbx+1], eax; mov byte [rbx+5], 0xc3
  ...[0xff, 0xd3, 0x49, 0x01, 0xc5, 0x49, 0xff, 0xc4], // call rbx; add r13, rax; inc r12
  ...[0x49, 0x81, 0xfc, 0x30, 0x75, 0x00, 0x00, 0x72, 0xe0], // cmp r12, 30000; jb loop
  ...[0x44, 0x89, 0xef, 0x81, 0xe7, 0xff, 0, 0, 0, 0xb8, 0xe7, 0, 0, 0, 0x0f, 0x05], // edi = r13 & 0xff; exit_group
]);

test("seeks restored over the previous seek's machine do not run code it decoded from a page rewritten since", () => {
  const rewriter: MachineConfig = {
    modules: [{ name: "rewriter", bytes: REWRITER, kind: "foreign", argv: ["rewriter"] }],
    env: [], cpus: 1, memoryMiB: 64, seed: 1, strict: false, mounts: [], readStdin: () => new Uint8Array(0),
  };
  withRecording(rewriter, 1 << 11, 1 << 15, (rec, total) => {
    assert.ok(total > 300_000, `the program ran (${total} instructions)`);
    let machine: Machine | null = null;
    for (const at of [0.9, 0.3, 0.31, 0.8, 0.5, 0.2, 0.6].map((f) => Math.floor(total * f) + 3)) {
      machine = seekExact(rec, at, undefined, new CheckpointCache(), machine);
      assert.equal(stateHash(machine), stateHash(seekExact(rec, at)), `state at ${at}`);
    }
    new ExactControl(machine!).runTo(Number.MAX_SAFE_INTEGER);
    assert.equal(machine!.exitStatus, 232);
  });
});
