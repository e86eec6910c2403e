// Exact control: runs land on exactly the asked instruction count with the JIT on and off, a run stopped at
// arbitrary points records the same file as one never stopped, and a replay seek lands exactly too.

import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Machine, type MachineConfig } from "../../../engine/machine.ts";
import { ExactControl } from "../../../engine/debug/exact.ts";
import { Recorder } from "../../../engine/record/recorder.ts";
import { Recording } from "../../../engine/record/recording.ts";
import { replay } from "../../../engine/record/replayer.ts";

const SORT = new Uint8Array(readFileSync(new URL("../../../engine/guests/bin/sort", import.meta.url)));

function config(): MachineConfig {
  return {
    modules: [{ name: "sort", bytes: SORT, kind: "foreign", argv: ["sort"] }],
    env: [], cpus: 1, memoryMiB: 64, seed: 1, strict: false, mounts: [], readStdin: () => new Uint8Array(0),
  };
}

/** The guest EC's rip and registers: what the Inspector shows. */
function guestState(m: Machine): string {
  const ec = [...m.kernel.ecs.values()].find((e) => !e.host && e.wait !== "dead");
  return ec ? `${ec.state.rip.toString(16)} ${Array.from(ec.state.gpr).join(",")}` : "none";
}

for (const jit of [true, false]) {
  test(`step N lands on exactly icount+N with the JIT ${jit ? "on" : "off"}, in the same state as a run stepped one by one`, () => {
    const m = new Machine(config());
    if (!jit) for (const cpu of m.cpus) cpu.jitThreshold = Infinity;
    const control = new ExactControl(m);
    const reference = new Machine(config());
    const single = new ExactControl(reference);
    // A breakpoint no code has makes every instruction single-stepped: the reference for "exact".
    single.breakpoints.add(-1);
    for (const n of [1, 7, 1000, 1, 100_000, 3]) {
      const target = m.icount + n;
      const stop = control.runTo(target);
      assert.equal(stop.reason, "target");
      assert.equal(m.icount, target);
      assert.equal(single.runTo(target).icount, target);
      assert.equal(guestState(m), guestState(reference), `state at ${target}`);
    }
    const far = m.icount + 1_000_000;
    assert.equal(control.runTo(far).icount, far);
  });
}

test("a recorded run stopped at arbitrary instructions writes the same recording and replays verified", () => {
  const dir = mkdtempSync(join(tmpdir(), "hedron-exact-"));
  try {
    const plain = new Recorder(join(dir, "plain.hlrec"), config(), { engineVersion: "test", chunkInstructions: 1 << 16 });
    plain.run();
    const stepped = new Recorder(join(dir, "stepped.hlrec"), config(), { engineVersion: "test", chunkInstructions: 1 << 16 });
    const control = new ExactControl(stepped.machine, (target) => stepped.advanceTo(target));
    for (const target of [1, 1000, 65_536, 65_537, 200_003, 1_000_000]) {
      assert.equal(control.runTo(target).icount, target);
    }
    stepped.run();
    const a = Recording.open(join(dir, "plain.hlrec"));
    const b = Recording.open(join(dir, "stepped.hlrec"));
    assert.deepEqual(b.chunks(), a.chunks());
    const result = replay(b);
    assert.equal(result.divergence, null);
    // A seek with exact stops lands on the instruction itself, not the end of its block.
    for (const to of [12_345, 200_003]) {
      const seek = replay(b, {
        to,
        verify: false,
        onStart: (machine) => {
          const stops = { remaining: () => to - machine.icount, breakpoints: new Set<number>(), watch: null, hit: null, resume: false };
          for (const cpu of machine.cpus) cpu.stops = stops;
        },
      });
      assert.equal(seek.machine.icount, to);
    }
    a.close();
    b.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
