// A booted kernel with a small host PD (the test's own TypeScript handlers) for exercising hypercalls without a CPU.
// Guest ECs are driven through the real entry points (syscallEntry, exceptionEntry) with registers set as `syscall` leaves them.

import { RCX, RDI, RDX, RSI, RAX, R8 } from "../../../engine/cpu/state.ts";
import { ROOT_PD_SEL } from "../../../engine/hedron/abi.ts";
import type { Ec } from "../../../engine/hedron/ec.ts";
import { Kernel, type HostRuntime } from "../../../engine/hedron/kernel.ts";
import { arg1, hostHypercall, syscallEntry } from "../../../engine/hedron/syscall.ts";
import type { Utcb } from "../../../engine/hedron/utcb.ts";
import { FramePool } from "../../../engine/memory/frames.ts";

export type Handler = (utcb: Utcb, portalId: number, ec: number) => void;

export class TestHost implements HostRuntime {
  readonly handlers = new Map<number, Handler>();
  readonly calls: { ec: number; ip: number; portalId: number }[] = [];

  constructor(private readonly kernel: Kernel) {}

  portal(ec: number, ip: number, portalId: number): void {
    this.calls.push({ ec, ip, portalId });
    const h = this.handlers.get(ip);
    if (!h) throw new Error(`test host: no handler at ip ${ip}`);
    h(this.kernel.utcb(this.kernel.ecs.get(ec)!), portalId, ec);
  }
}

export interface Booted {
  k: Kernel;
  host: TestHost;
  root: number;
  printed: string[];
  /** A hypercall of the root EC. */
  hc(nr: number, sel?: number, flags?: number, a2?: number, a3?: number, a4?: number, a5?: number): number;
}

export function boot(cpus = 1): Booted {
  const printed: string[] = [];
  const k = new Kernel({ frames: new FramePool(16), cpus, print: (t) => printed.push(t) });
  k.boot([{ name: "userland", bytes: new TextEncoder().encode("module bytes"), cmdline: "userland" }]);
  const host = new TestHost(k);
  k.host = host;
  const root = k.rootEc;
  return {
    k, host, root, printed,
    hc: (nr, sel = 0, flags = 0, a2 = 0, a3 = 0, a4 = 0, a5 = 0) => hostHypercall(k, root, arg1(nr, sel, flags), a2, a3, a4, a5),
  };
}

/** The kernel object a root selector names. */
export function obj(b: Booted, sel: number): number {
  return b.k.objectAt(b.k.rootPd, sel);
}

/** A guest EC's `syscall` with ARG1..ARG5 in RDI, RSI, RDX, RAX, R8 (RCX = return RIP as the CPU leaves it). */
export function guestHypercall(k: Kernel, ec: Ec, a1: number, a2 = 0, a3 = 0, a4 = 0, a5 = 0): void {
  ec.state.set(RDI, a1);
  ec.state.set(RSI, a2);
  ec.state.set(RDX, a3);
  ec.state.set(RAX, a4);
  ec.state.set(R8, a5);
  ec.state.rip += 2;
  ec.state.set(RCX, ec.state.rip);
  syscallEntry(k, ec, 2);
}

export { ROOT_PD_SEL };
