// The virtual timer: guest-visible time derived from a CPU's virtual cycles, never from the host clock.
// Deterministic by construction: the same instructions and kernel paths give the same nanoseconds on every run.

import { cyclesToNs, cyclesToUs, TSC_KHZ } from "../hedron/costs.ts";

export class VirtualTimer {
  readonly tscKHz = TSC_KHZ;

  /** `cycles` reads the virtual clock of the CPU that is asking (the kernel's current CPU). */
  constructor(private readonly cycles: () => number) {}

  nowCycles(): number {
    return this.cycles();
  }

  nowNs(): number {
    return cyclesToNs(this.cycles());
  }

  nowUs(): number {
    return cyclesToUs(this.cycles());
  }
}
