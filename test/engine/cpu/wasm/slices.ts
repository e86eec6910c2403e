// Running a bare CPU the way the kernel does, in budget slices, for tests that compare where each JIT mode stops.

import assert from "node:assert/strict";
import { type Cpu, EXIT_BUDGET, EXIT_EXCEPTION } from "../../../../engine/cpu/cpu.ts";

/**
 * Runs `cpu` in slices of `budget` instructions until it stops with an exception, calling `afterSlice` after each
 * (a test's change to memory between two slices): the icount at every stop.
 */
export function runInSlices(cpu: Cpu, budget: number, afterSlice?: () => void): number[] {
  const stops: number[] = [];
  for (;;) {
    const why = cpu.run(budget);
    stops.push(cpu.icount);
    afterSlice?.();
    if (why === EXIT_BUDGET) continue;
    assert.equal(why, EXIT_EXCEPTION);
    return stops;
  }
}
