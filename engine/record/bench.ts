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
import { CheckpointCache } from "./checkpoints.ts";
import { CheckpointPass } from "./checkpoint-pass.ts";
import { seekExact } from "../debug/reverse.ts";

export interface RecordBench {
  guest: string;
  instructions: number;
  unrecordedMs: number;
  eventsOnlyMs: number;
  fullMs: number;
  replayVerifyMs: number;
  /** Re-execution to a point just before each snapshot boundary (the worst case a seek meets), slowest of them. */
  worstSeekMs: number;
  /** Seeks to random points with the engine open (each over the previous one's machine), median and slowest. */
  openSeeks: SeekFigures;
  /** The same after the background checkpoint pass, which took `passMs`. */
  passedSeeks: SeekFigures;
  passMs: number;
  snapshotInstructions: number;
  traceBytesPerMillion: number;
  fileBytes: number;
  /** The events-only recording: its event count, compressed event bytes and file size. */
  events: number;
  eventBytes: number;
  eventsOnlyFileBytes: number;
}

export interface SeekFigures {
  medianMs: number;
  worstMs: number;
}

/** Seeks with the engine open, as the lab's UI makes them: each over the machine the last one left. */
function openSeeks(rec: Recording, cache: CheckpointCache, start: Machine | null, count: number): { figures: SeekFigures; machine: Machine | null } {
  let machine = start;
  let seed = 12345;
  const times: number[] = [];
  for (let i = 0; i < count; i++) {
    seed = (Math.imul(seed, 1103515245) + 12345) & 0x7fffffff;
    const at = Math.floor((seed / 0x80000000) * rec.session.finalIcount!);
    times.push(timed(() => (machine = seekExact(rec, at, undefined, cache, machine))));
  }
  times.sort((a, b) => a - b);
  return { figures: { medianMs: times[count >> 1], worstMs: times[count - 1] }, machine };
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
    let eventsOnly = { events: 0, eventBytes: 0, fileBytes: 0 };
    const record = (instructionStream: boolean) => () => {
      const r = new Recorder(file, config(), { instructionStream, snapshotInstructions, engineVersion: "bench" }).run();
      if (!instructionStream) eventsOnly = { events: r.events, eventBytes: r.eventBytes, fileBytes: statSync(file).size };
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
      // The lab's UI: a first seek, then seeks anywhere (each over the last one's machine), before and after the
      // background pass has checkpointed the whole recording.
      const cache = new CheckpointCache();
      const first = seekExact(rec, Math.floor(instructions / 2), undefined, cache);
      const before = openSeeks(rec, cache, first, 20);
      const pass = new CheckpointPass(rec, cache);
      const passMs = timed(() => {
        while (pass.advance(50));
      });
      const after = openSeeks(rec, cache, before.machine, 20);
      const summary = rec.summary();
      return {
        guest, instructions, unrecordedMs, eventsOnlyMs, fullMs, replayVerifyMs, worstSeekMs, snapshotInstructions,
        openSeeks: before.figures, passedSeeks: after.figures, passMs,
        traceBytesPerMillion: summary.traceBytesPerMillion, fileBytes: statSync(file).size,
        events: eventsOnly.events, eventBytes: eventsOnly.eventBytes, eventsOnlyFileBytes: eventsOnly.fileBytes,
      };
    } finally {
      rec.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The targets per guest: the CPU-bound one and the syscall-heavy one have their own overhead bounds. */
export interface RecordTargets {
  eventsOnly: number;
  full: number;
}

export const CPU_TARGETS: RecordTargets = { eventsOnly: 1.1, full: 1.3 };
export const SYSCALL_TARGETS: RecordTargets = { eventsOnly: 1.3, full: 1.5 };

/** The targets for one guest, each as measured / target and met or not. */
export function formatRecordBench(b: RecordBench, targets: RecordTargets = CPU_TARGETS): string {
  const ratio = (x: number) => `${x.toFixed(2)}×`;
  const perEvent = b.events > 0 ? b.eventsOnlyFileBytes / b.events : 0;
  const rows: [string, string, string, boolean | null][] = [
    ["recording overhead, events only", ratio(b.eventsOnlyMs / b.unrecordedMs), `≤ ${targets.eventsOnly.toFixed(2)}×`, b.eventsOnlyMs / b.unrecordedMs <= targets.eventsOnly],
    ["recording overhead, with instruction stream", ratio(b.fullMs / b.unrecordedMs), `≤ ${targets.full.toFixed(2)}×`, b.fullMs / b.unrecordedMs <= targets.full],
    ["instruction stream per 10^6 instructions", `${(b.traceBytesPerMillion / 1024).toFixed(1)} KiB`, "≤ 64 KiB", b.traceBytesPerMillion <= 65536],
    ["whole file per 10^6 instructions (with instruction stream)", `${((b.fileBytes * 1e6) / b.instructions / 1024).toFixed(1)} KiB`, "", null],
    [`events-only file per event (${b.events.toLocaleString("en-US")} events)`, `${perEvent.toFixed(1)} B`, b.events > 10_000 ? "≤ 8 B" : "", b.events > 10_000 ? perEvent <= 8 : null],
    ["compressed event columns per event", `${(b.events > 0 ? b.eventBytes / b.events : 0).toFixed(2)} B`, "", null],
    ["verified re-execution time / recording time", ratio(b.replayVerifyMs / b.fullMs), "≤ 1.00×", b.replayVerifyMs <= b.fullMs],
    [`worst seek (≤ ${(b.snapshotInstructions / 1e6).toFixed(1)} M instructions from a snapshot)`, `${b.worstSeekMs.toFixed(0)} ms CPU`, "≤ 1000 ms", b.worstSeekMs <= 1000],
    ["second seeks, engine open, 20 anywhere: median / worst", `${b.openSeeks.medianMs.toFixed(0)} / ${b.openSeeks.worstMs.toFixed(0)} ms CPU`, "", null],
    [`the same after the background checkpoint pass (${b.passMs.toFixed(0)} ms CPU)`, `${b.passedSeeks.medianMs.toFixed(0)} / ${b.passedSeeks.worstMs.toFixed(0)} ms CPU`, "≤ 100 ms", b.passedSeeks.worstMs <= 100],
  ];
  return [
    `record/replay on '${b.guest}': ${(b.instructions / 1e6).toFixed(1)} M instructions; CPU time unrecorded ${b.unrecordedMs.toFixed(0)} ms, ` +
      `events only ${b.eventsOnlyMs.toFixed(0)} ms, full ${b.fullMs.toFixed(0)} ms, verified replay ${b.replayVerifyMs.toFixed(0)} ms ` +
      `(${((b.instructions / b.replayVerifyMs) / 1000).toFixed(1)} M instructions/s), file ${(b.fileBytes / 1024).toFixed(0)} KiB`,
    "",
    "| target | measured | target | |",
    "|---|---:|---:|---|",
    ...rows.map(([what, got, want, ok]) => `| ${what} | ${got} | ${want} | ${ok === null ? "" : ok ? "met" : "NOT met"} |`),
  ].join("\n");
}
