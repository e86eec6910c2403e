// Per-CPU ready queues: round robin within a priority, higher priority first (HEDRON.md §3), plus each CPU's virtual clock.
// Queues hold SC ids only; the kernel decides what is runnable, this file decides the order.

import { MAX_PRIO, type Sc } from "./sc.ts";

export interface CpuSched {
  index: number;
  /** Virtual cycles elapsed on this CPU (its TSC). */
  clock: number;
  /** The SC the CPU runs now, -1 when idle. */
  current: number;
  /** queues[prio] = SC ids in FIFO order. */
  queues: number[][];
  /** The EC that ran last (schedule events fire when it changes). */
  lastEc: number;
}

export function createCpuSched(index: number): CpuSched {
  return { index, clock: 0, current: -1, queues: Array.from({ length: MAX_PRIO + 1 }, () => []), lastEc: -1 };
}

export function enqueue(cpu: CpuSched, sc: Sc, front = false): void {
  if (sc.queued || cpu.current === sc.id) return;
  if (front) cpu.queues[sc.prio].unshift(sc.id);
  else cpu.queues[sc.prio].push(sc.id);
  sc.queued = true;
}

export function dequeue(cpu: CpuSched, sc: Sc): void {
  if (!sc.queued) return;
  const q = cpu.queues[sc.prio];
  const i = q.indexOf(sc.id);
  if (i >= 0) q.splice(i, 1);
  sc.queued = false;
}

/** Highest queued priority, 0 if the queues are empty. */
export function topPriority(cpu: CpuSched): number {
  for (let p = MAX_PRIO; p > 0; p--) if (cpu.queues[p].length > 0) return p;
  return 0;
}

/** Removes and returns the next SC id to run, -1 if none. */
export function popNext(cpu: CpuSched): number {
  const p = topPriority(cpu);
  return p === 0 ? -1 : cpu.queues[p].shift()!;
}
