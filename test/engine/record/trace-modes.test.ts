// The block trace is the same whatever runs the code: compiled regions that chain blocks without returning to the
// dispatch loop (JavaScript and WebAssembly) record every block they enter, exactly as the interpreter's loop does,
// so a recording made with one JIT mode replays with any other.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { GUEST_DIR } from "../../../engine/cli/run.ts";
import { JIT_MODES, type JitMode } from "../../../engine/cpu/cpu.ts";
import { Machine } from "../../../engine/machine.ts";
import { ChunkDriver } from "../../../engine/record/driver.ts";

interface Traced { chunks: { streams: number[][]; stateHash: string; lastIcount: number }[]; entries: number; exits: number }

/** Records the guest's block trace in chunks, after `untraced` chunks run without one (compiling code untraced). */
function trace(guest: string, argv: string[], jit: JitMode, cpus = 1, untraced = 0): Traced {
  const machine = new Machine({
    modules: [{ name: guest, bytes: readFileSync(join(GUEST_DIR, guest)), kind: "foreign", argv: [guest, ...argv] }],
    env: [], cpus, memoryMiB: 64, seed: 3, strict: false, mounts: [], jit, readStdin: () => new Uint8Array(0),
  });
  const before = new ChunkDriver(machine, 1 << 16, false);
  for (let k = 0; k < untraced; k++) assert.equal(before.step().halted, false);
  const driver = new ChunkDriver(machine, 1 << 16, true);
  const chunks: Traced["chunks"] = [];
  let entries = 0;
  for (;;) {
    const end = driver.step();
    chunks.push({ streams: end.streams.map((s) => Array.from(s.addresses)), stateHash: end.stateHash, lastIcount: end.lastIcount });
    entries += end.streams.reduce((n, s) => n + s.length, 0);
    if (end.halted) break;
  }
  return { chunks, entries, exits: machine.cpus.reduce((n, cpu) => n + cpu.jitExits, 0) };
}

for (const [guest, argv, cpus, chains] of [["bench", ["1"], 1, true], ["threads", [], 2, false]] as const) {
  test(`${guest}: every JIT mode records the interpreter's block trace, chunk for chunk`, () => {
    const reference = trace(guest, [...argv], "off", cpus);
    assert.ok(reference.chunks.length > 3, `${reference.chunks.length} chunks`);
    for (const mode of JIT_MODES.filter((m) => m !== "off")) {
      const run = trace(guest, [...argv], mode, cpus);
      assert.equal(run.chunks.length, reference.chunks.length, mode);
      run.chunks.forEach((chunk, k) => assert.deepEqual(chunk, reference.chunks[k], `${mode}, chunk ${k}`));
      // On the CPU-bound guest regions really chained blocks: far fewer calls from the dispatch loop than entries.
      if (chains && (mode === "wasm" || mode === "regions")) assert.ok(run.exits * 2 < run.entries, `${mode}: ${run.exits} calls for ${run.entries} blocks`);
    }
  });
}

test("a trace begun after regions compiled without one is recorded in full (they are compiled again)", () => {
  const reference = trace("bench", ["1"], "off", 1, 20);
  const run = trace("bench", ["1"], "wasm", 1, 20);
  assert.ok(reference.chunks.length > 3, `${reference.chunks.length} chunks`);
  assert.equal(run.chunks.length, reference.chunks.length);
  run.chunks.forEach((chunk, k) => assert.deepEqual(chunk, reference.chunks[k], `chunk ${k}`));
  assert.ok(run.exits * 2 < run.entries, `${run.exits} calls for ${run.entries} blocks`);
});
