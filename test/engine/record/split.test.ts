// Split invariance: a run must not depend on how its instructions are handed out in run() budgets, or a recording
// (chunked budgets) would not be the run the user made (one big budget). Two CPUs make the interleaving observable.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { GUEST_DIR } from "../../../engine/cli/run.ts";
import { Machine, type MachineConfig } from "../../../engine/machine.ts";
import { Recorder } from "../../../engine/record/recorder.ts";
import { Recording } from "../../../engine/record/recording.ts";
import { replay } from "../../../engine/record/replayer.ts";
import { stateHash } from "../../../engine/record/state-hash.ts";

/** Two processes, one per CPU: every event's icount and vcycles depend on how the CPUs were interleaved. */
function twoCpus(): MachineConfig {
  const app = (name: string, argv: string[]) => ({ name, bytes: readFileSync(join(GUEST_DIR, name)), kind: "foreign" as const, argv: [name, ...argv] });
  return {
    modules: [app("sort", ["600"]), app("fileio", [])],
    env: ["HEDRON_LAB=1"], cpus: 2, memoryMiB: 64, seed: 3, strict: false, mounts: [],
    readStdin: () => new Uint8Array(0),
  };
}

interface Run {
  events: string[];
  console: string;
  hash: string;
  icount: number;
}

/** Runs a machine to its end through `drive`, keeping everything the run shows except host time. */
function observe(machine: Machine, drive: () => void): Run {
  const events: string[] = [];
  const out: string[] = [];
  machine.onEvent((e) => events.push(JSON.stringify({ ...e, hostNs: 0 })));
  machine.onConsole((stream, bytes) => out.push(`${stream}:${Buffer.from(bytes).toString()}`));
  drive();
  return { events, console: out.join(""), hash: stateHash(machine), icount: machine.icount };
}

function unrecorded(budgets: number[]): Run {
  const m = new Machine(twoCpus());
  return observe(m, () => {
    for (let i = 0; m.run(budgets[i % budgets.length]) === "budget"; i++);
  });
}

test("a 2-CPU run gives the same interleaving, events and final state for any budget split, recorded or not", () => {
  const whole = unrecorded([50_000_000]);
  assert.ok(whole.icount > 200_000, `${whole.icount} instructions`);
  assert.ok(new Set(whole.events.map((e) => JSON.parse(e).cpu)).size === 2, "both CPUs produce events");
  assert.match(whole.console, /stdout:/);
  for (const budgets of [[4096], [777, 12_345, 3], [20_000]]) {
    const split = unrecorded(budgets);
    assert.equal(split.icount, whole.icount, `budgets ${budgets}`);
    assert.deepEqual(split.events, whole.events, `budgets ${budgets}`);
    assert.equal(split.console, whole.console);
    assert.equal(split.hash, whole.hash, `budgets ${budgets}`);
  }
  // One instruction per run() over a prefix (a whole run at that rate is slow): its events are a prefix of the whole run's.
  const m = new Machine(twoCpus());
  const events: string[] = [];
  m.onEvent((e) => events.push(JSON.stringify({ ...e, hostNs: 0 })));
  while (m.icount < 60_000 && m.run(1) === "budget");
  assert.ok(events.length > 10);
  assert.deepEqual(events, whole.events.slice(0, events.length), "single-instruction budgets");

  const dir = mkdtempSync(join(tmpdir(), "hedron-split-"));
  try {
    const path = join(dir, "two-cpus.hlrec");
    const recorder = new Recorder(path, twoCpus(), { chunkInstructions: 5000, snapshotInstructions: 1 << 16, engineVersion: "test" });
    const recorded = observe(recorder.machine, () => recorder.run());
    assert.equal(recorded.icount, whole.icount);
    assert.deepEqual(recorded.events, whole.events);
    assert.equal(recorded.hash, whole.hash);
    const rec = Recording.open(path);
    try {
      // From boot, and from a snapshot taken in the middle of a slice on CPU 1 or 0.
      const full = replay(rec);
      assert.equal(full.divergence, null, JSON.stringify(full.divergence));
      assert.equal(stateHash(full.machine), whole.hash);
      const to = Math.floor(whole.icount * 0.8);
      const seek = replay(rec, { to });
      assert.ok(seek.startIcount > 0, "the seek starts from a snapshot");
      assert.equal(seek.divergence, null, JSON.stringify(seek.divergence));
    } finally {
      rec.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
