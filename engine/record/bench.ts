// Record/replay measurements for `hedron-lab bench record`: overheads and speeds as ratios of runs made side by side.
// The host is shared and noisy, so times are this process's CPU time (on an idle host the same as wall time for
// this single-threaded work), each the best of a few alternating runs; the ratios, not the times, are the result.

import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { Machine, type MachineConfig } from "../machine.ts";
import { Recorder } from "./recorder.ts";
import { Recording } from "./recording.ts";
import { replay } from "./replayer.ts";

export interface RecordBench {
  guest: string;
  instructions: number;
  unrecordedMs: number;
  eventsOnlyMs: number;
  fullMs: number;
  replayVerifyMs: number;
  /** Re-execution to a point just before each snapshot boundary (the worst case a seek meets), slowest of them. */
  worstSeekMs: number;
  snapshotInstructions: number;
  traceBytesPerMillion: number;
  fileBytes: number;
}

/** CPU milliseconds (user + system) `fn` took: other processes' load, which wall time would include, is left out. */
function timed(fn: () => void): number {
  const start = process.cpuUsage();
  fn();
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1000;
}

function best(repeat: number, fn: () => void): number {
  let min = Infinity;
  for (let i = 0; i < repeat; i++) min = Math.min(min, timed(fn));
  return min;
}

/** Measures one guest: `config` must be deterministic (its readStdin is called afresh for every run). */
export function benchRecording(guest: string, config: () => MachineConfig, snapshotInstructions: number, repeat = 3): RecordBench {
  const dir = mkdtempSync(path.join(tmpdir(), "hedron-bench-"));
  const file = path.join(dir, "bench.hlrec");
  try {
    let instructions = 0;
    const unrecorded = () => {
      const m = new Machine(config());
      while (m.run(50_000_000) === "budget");
      instructions = m.icount;
    };
    const record = (instructionStream: boolean) => () => {
      new Recorder(file, config(), { instructionStream, snapshotInstructions, engineVersion: "bench" }).run();
    };
    // The first run in a process also pays for V8 compiling the engine: it is not counted. The three kinds of run then
    // alternate, so a change in the machine's load hits all of them alike instead of one.
    unrecorded();
    let unrecordedMs = Infinity, eventsOnlyMs = Infinity, fullMs = Infinity;
    for (let i = 0; i < repeat; i++) {
      unrecordedMs = Math.min(unrecordedMs, timed(unrecorded));
      eventsOnlyMs = Math.min(eventsOnlyMs, timed(record(false)));
      fullMs = Math.min(fullMs, timed(record(true)));
    }
    const rec = Recording.open(file);
    try {
      const replayVerifyMs = best(repeat, () => {
        const r = replay(rec);
        if (r.divergence) throw new Error(`bench: replay diverged: ${r.divergence.what}`);
      });
      const chunks = rec.chunks();
      let worstSeekMs = 0;
      for (let s = snapshotInstructions; s < instructions; s += snapshotInstructions) {
        // The last chunk end before the next snapshot: everything from the previous snapshot is re-executed.
        const before = chunks.filter((c) => c.lastIcount < s + snapshotInstructions).at(-1);
        if (before) worstSeekMs = Math.max(worstSeekMs, timed(() => replay(rec, { to: before.lastIcount - 1, verify: false })));
      }
      const summary = rec.summary();
      return {
        guest, instructions, unrecordedMs, eventsOnlyMs, fullMs, replayVerifyMs, worstSeekMs, snapshotInstructions,
        traceBytesPerMillion: summary.traceBytesPerMillion, fileBytes: statSync(file).size,
      };
    } finally {
      rec.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The targets, each as measured / target and pass or fail. */
export function formatRecordBench(b: RecordBench): string {
  const ratio = (x: number) => `${x.toFixed(2)}×`;
  const rows: [string, string, string, boolean][] = [
    ["recording overhead, event stream only", ratio(b.eventsOnlyMs / b.unrecordedMs), "≤ 1.10×", b.eventsOnlyMs / b.unrecordedMs <= 1.1],
    ["recording overhead, with instruction stream", ratio(b.fullMs / b.unrecordedMs), "≤ 1.50×", b.fullMs / b.unrecordedMs <= 1.5],
    ["instruction stream per 10^6 instructions", `${(b.traceBytesPerMillion / 1024).toFixed(1)} KiB`, "≤ 64 KiB", b.traceBytesPerMillion <= 65536],
    ["verified re-execution time / recording time", ratio(b.replayVerifyMs / b.fullMs), "≤ 1.00×", b.replayVerifyMs <= b.fullMs],
    [`worst seek (≤ ${(b.snapshotInstructions / 1e6).toFixed(1)} M instructions from a snapshot)`, `${b.worstSeekMs.toFixed(0)} ms CPU`, "≤ 1000 ms", b.worstSeekMs <= 1000],
  ];
  return [
    `record/replay on '${b.guest}': ${(b.instructions / 1e6).toFixed(1)} M instructions; CPU time unrecorded ${b.unrecordedMs.toFixed(0)} ms, ` +
      `events only ${b.eventsOnlyMs.toFixed(0)} ms, full ${b.fullMs.toFixed(0)} ms, verified replay ${b.replayVerifyMs.toFixed(0)} ms, ` +
      `file ${(b.fileBytes / 1024).toFixed(0)} KiB`,
    "",
    "| target | measured | target | |",
    "|---|---:|---:|---|",
    ...rows.map(([what, got, want, ok]) => `| ${what} | ${got} | ${want} | ${ok ? "met" : "NOT met"} |`),
    "",
    "Seek cost does not grow with the recording's length: a seek restores the nearest snapshot (an indexed lookup)",
    "and re-executes at most one snapshot interval, so the worst seek here bounds a seek in a 10^9-instruction recording.",
  ].join("\n");
}
