// Time travel on a recording: seek to an exact instruction count, and search forward or backward for the next stop
// (breakpoint, watchpoint, event). Backward is re-execution: run from the start and keep the last stop before here.

import type { Machine } from "../machine.ts";
import type { Recording } from "../record/recording.ts";
import { replay } from "../record/replayer.ts";
import type { CheckpointCache } from "../record/checkpoints.ts";
import { ExactControl, type EventFilter, type RegisterWatch, type Stop, type Watchpoint } from "./exact.ts";

export interface StopSpec {
  addresses: number[];
  events: EventFilter[];
  watch: Watchpoint[];
  /** Registers whose change stops ("who last changed RAX?"). */
  registers?: RegisterWatch[];
}

/**
 * Re-executes a recording (from its nearest snapshot or checkpoint) to exactly `icount`, or its end if that comes
 * first; over `reuse`, a machine an earlier seek in it returned, where it can (replay's `reuse`).
 */
export function seekExact(rec: Recording, icount: number, onChunk?: (icount: number) => void, checkpoints?: CheckpointCache, reuse?: Machine | null): Machine {
  const result = replay(rec, {
    to: icount,
    verify: false,
    onChunk,
    onStart: (machine) => stopExactlyAt(machine, icount),
    base: checkpoints?.before(icount),
    // The chunk end before the target only: stepping back from it is then cheap (checkpoint-pass.ts does the rest).
    onChunkEnd: checkpoints?.capturer({ from: icount - rec.session.chunkInstructions }),
    reuse,
  });
  for (const cpu of result.machine.cpus) cpu.stops = null;
  return result.machine;
}

/** Makes the machine's CPUs stop at exactly `icount` instead of the end of the block it falls in (clear cpu.stops after). */
export function stopExactlyAt(machine: Machine, icount: number): void {
  const stops = { remaining: () => icount - machine.icount, breakpoints: new Set<number>(), watch: null, hit: null, resume: false };
  for (const cpu of machine.cpus) cpu.stops = stops;
}

/** An ExactControl with these stops armed; `advance` as ExactControl takes it (a recorder's advanceTo). */
export function controlFor(machine: Machine, spec: StopSpec, advance?: (target: number) => boolean): ExactControl {
  const control = new ExactControl(machine, advance);
  for (const address of spec.addresses) control.breakpoints.add(address);
  control.eventFilters.push(...spec.events);
  control.watchpoints.push(...spec.watch);
  control.registerWatches.push(...(spec.registers ?? []));
  return control;
}

/** Forward from `machine` (already at its starting point) to the next stop; null when the run ends first. */
export function nextStop(machine: Machine, spec: StopSpec): Stop | null {
  const stop = controlFor(machine, spec).continue();
  return stop.reason === "halted" ? null : stop;
}

/**
 * The last stop strictly before instruction `before`: re-executes from the start with the stops armed and keeps the
 * latest one (rr's reverse-continue answers the same question with checkpoints). Null if there is none.
 */
export function previousStop(rec: Recording, before: number, spec: StopSpec): Stop | null {
  const machine = seekExact(rec, 0);
  const control = controlFor(machine, spec);
  let last: Stop | null = null;
  for (;;) {
    const stop = control.runTo(before);
    if (stop.reason === "target" || stop.reason === "halted") return last;
    if (stop.icount < before) last = stop;
  }
}
