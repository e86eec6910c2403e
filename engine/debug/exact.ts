// Exact control of a machine for the debugger: run to an exact instruction count, stop at breakpoints, watched
// memory and matching events. Built on the CPU's exact stops, which keep block boundaries, so recordings stay valid.

import type { ExactStops } from "../cpu/cpu.ts";
import type { MachineEvent } from "../events.ts";
import type { Machine } from "../machine.ts";
import { PAGE_SIZE } from "../memory/frames.ts";

/** Why a run stopped: it reached its target count, hit a breakpoint / watchpoint / event filter, or the machine halted. */
export type StopReason = "target" | "breakpoint" | "watch" | "event" | "halted";

export interface Stop {
  reason: StopReason;
  icount: number;
  /** The event that stopped the run (reason "event"). */
  event?: MachineEvent;
}

/** A memory range whose change stops the run after the writing instruction. */
export interface Watchpoint {
  pd: number;
  address: number;
  length: number;
}

/** A general-purpose register (0–15, x86 numbering) of an EC whose change stops the run after the changing instruction. */
export interface RegisterWatch {
  ec: number;
  reg: number;
}

/** Stops on events: a syscall name (optionally an argument value), a portal, a PD, or an event kind. */
export interface EventFilter {
  kind?: MachineEvent["kind"];
  /** Syscall, hypercall or portal name. */
  name?: string;
  /** Text the decoded arguments must contain (e.g. an fd or a path). */
  args?: string;
  pd?: number;
}

/** Budget of one machine run while something may stop it: after a stop the kernel idles out the rest of it. */
const SLICE = 4096;
const NO_BREAKPOINTS: ReadonlySet<number> = new Set();

export function eventMatches(filter: EventFilter, event: MachineEvent): boolean {
  return (
    (filter.kind === undefined || filter.kind === event.kind) &&
    (filter.name === undefined || filter.name === event.name) &&
    (filter.pd === undefined || filter.pd === event.pd) &&
    (filter.args === undefined || event.args.includes(filter.args))
  );
}

/** Reads guest bytes of a PD without faulting (unmapped bytes read as -1). */
export function peekByte(machine: Machine, pd: number, address: number): number {
  const space = machine.kernel.pds.get(pd)?.space;
  if (!space) return -1;
  const page = Math.floor(address / PAGE_SIZE);
  const pte = space.lookup(page);
  if (pte < 0) return -1;
  return machine.frames.bytes[Math.floor(pte / 8) * PAGE_SIZE + (address - page * PAGE_SIZE)]!;
}

export class ExactControl {
  readonly breakpoints = new Set<number>();
  readonly watchpoints: Watchpoint[] = [];
  readonly registerWatches: RegisterWatch[] = [];
  readonly eventFilters: EventFilter[] = [];

  /**
   * `advance(target)` runs the machine toward `target` (a recorder advances chunk by chunk, a plain machine runs);
   * it returns true once the machine halted.
   */
  constructor(
    readonly machine: Machine,
    private readonly advance: (target: number) => boolean = (target) => machine.run(target - machine.icount) === "halted",
  ) {}

  /** Runs until exactly `target` instructions have retired, or (with `stopping`) a breakpoint, watchpoint or
   *  event filter stops it first. The instruction at the starting point never re-triggers its own breakpoint. */
  runTo(target: number, stopping = true): Stop {
    const m = this.machine;
    let event: MachineEvent | undefined;
    const filters = stopping ? this.eventFilters : [];
    const watches = stopping ? this.watchpoints.map((w) => ({ ...w, bytes: this.readWatched(w) })) : [];
    const registers = stopping ? this.registerWatches.map((w) => ({ ...w, value: this.registerValue(w, false) })) : [];
    const changed = (insideCpu: boolean) => watches.some((w) => this.changed(w)) || registers.some((w) => this.registerChanged(w, insideCpu));
    const watching = watches.length > 0 || registers.length > 0;
    const stops: ExactStops = {
      remaining: () => (event ? 0 : target - m.icount),
      breakpoints: stopping ? this.breakpoints : NO_BREAKPOINTS,
      watch: watching ? () => changed(true) : null,
      hit: null,
      resume: true,
    };
    // The CPU checks after instructions that stay in user mode; what the kernel writes for a syscall or an exception
    // (a read() buffer, a result in RAX) is seen at its events, so the stop lands right after the trapping instruction.
    const off = filters.length || watching
      ? m.onEvent((e) => {
          if (!event && filters.some((f) => eventMatches(f, e))) event = e;
          if (watching && stops.hit === null && changed(false)) stops.hit = "watch";
        })
      : () => undefined;
    const sliced = stops.breakpoints.size > 0 || stops.watch !== null || filters.length > 0;
    for (const cpu of m.cpus) cpu.stops = stops;
    try {
      while (m.icount < target) {
        const halted = this.advance(sliced ? Math.min(target, m.icount + SLICE) : target);
        if (event) return { reason: "event", icount: m.icount, event };
        if (stops.hit) return { reason: stops.hit, icount: m.icount };
        if (halted) return { reason: "halted", icount: m.icount };
      }
      return { reason: "target", icount: m.icount };
    } finally {
      for (const cpu of m.cpus) cpu.stops = null;
      off();
    }
  }

  /** Runs on until a breakpoint, watchpoint or event filter stops it, or the machine halts. */
  continue(): Stop {
    return this.runTo(Number.MAX_SAFE_INTEGER);
  }

  /** A watched register: the running CPU's copy while the EC executes on it, else the EC's saved state. */
  private registerValue(w: RegisterWatch, insideCpu: boolean): number {
    const k = this.machine.kernel;
    const sc = k.scs.get(k.cpus[k.nowCpu].current);
    const gpr = insideCpu && sc?.current === w.ec ? this.machine.cpus[k.nowCpu]!.r : k.ecs.get(w.ec)?.state.gpr;
    if (!gpr) return NaN;
    return (gpr[2 * w.reg] >>> 0) + (gpr[2 * w.reg + 1] >>> 0) * 0x100000000;
  }

  private registerChanged(w: RegisterWatch & { value: number }, insideCpu: boolean): boolean {
    const now = this.registerValue(w, insideCpu);
    if (now === w.value || (Number.isNaN(now) && Number.isNaN(w.value))) return false;
    w.value = now;
    return true;
  }

  private readWatched(w: Watchpoint): number[] {
    return Array.from({ length: w.length }, (_, i) => peekByte(this.machine, w.pd, w.address + i));
  }

  private changed(w: Watchpoint & { bytes: number[] }): boolean {
    for (let i = 0; i < w.length; i++) {
      const now = peekByte(this.machine, w.pd, w.address + i);
      if (now !== w.bytes[i]) {
        w.bytes = this.readWatched(w);
        return true;
      }
    }
    return false;
  }
}
