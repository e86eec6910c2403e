// Semaphore: a counter and a FIFO of blocked ECs, each with an optional deadline in virtual TSC ticks.
// Operations return which EC to wake; the kernel does the waking, so this file stays free of scheduling.

export interface SmWaiter {
  ec: number;
  /** Absolute TSC deadline; 0 = none. */
  deadline: number;
}

export interface Sm {
  id: number;
  refs: number;
  counter: number;
  waiters: SmWaiter[];
  dead: boolean;
}

export function createSm(id: number, counter: number): Sm {
  return { id, refs: 0, counter, waiters: [], dead: false };
}

/** up: wakes the first waiter (returned), else counts. */
export function smUp(sm: Sm): number {
  const first = sm.waiters.shift();
  if (first) return first.ec;
  sm.counter++;
  return -1;
}

/** down: takes a count if there is one (true); `zero` takes all of them. False = the caller must block. */
export function smTryDown(sm: Sm, zero: boolean): boolean {
  if (sm.counter === 0) return false;
  sm.counter = zero ? 0 : sm.counter - 1;
  return true;
}

export function smRemoveWaiter(sm: Sm, ec: number): boolean {
  const i = sm.waiters.findIndex((w) => w.ec === ec);
  if (i < 0) return false;
  sm.waiters.splice(i, 1);
  return true;
}
