// Scheduling context: priority, quantum and consumed time, bound to one global EC on one CPU.
// `current` follows donation: while the bound EC waits in a call, the SC's time runs the callee chain.

import { usToCycles } from "./costs.ts";

export interface Sc {
  id: number;
  refs: number;
  ec: number;
  /** The EC that runs when this SC is picked: its own EC, or the local EC it is lent to. */
  current: number;
  cpu: number;
  prio: number;
  quantumUs: number;
  /** Cycles left of the current quantum. */
  left: number;
  /** Cycles consumed in total (sc_ctrl). */
  time: number;
  queued: boolean;
  dead: boolean;
}

export const MIN_PRIO = 1;
export const MAX_PRIO = 127;

export function createSc(id: number, ec: number, cpu: number, prio: number, quantumUs: number): Sc {
  return { id, refs: 0, ec, current: ec, cpu, prio, quantumUs, left: usToCycles(quantumUs), time: 0, queued: false, dead: false };
}

export function refill(sc: Sc): void {
  sc.left = usToCycles(sc.quantumUs);
}
