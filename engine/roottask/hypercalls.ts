// The roottask's hypercall library: typed wrappers that put arguments in registers and enter the kernel's syscall dispatch.
// The roottask is host code, but every object it creates goes through the same counted, costed, traced hypercalls as a guest's.

import { RDX, RSI } from "../cpu/state.ts";
import {
  HC_CALL, HC_CREATE_EC, HC_CREATE_PD, HC_CREATE_PT, HC_CREATE_SC, HC_CREATE_SM, HC_EC_CTRL, HC_PD_CTRL, HC_PT_CTRL,
  HC_REVOKE, HC_SC_CTRL, HC_SM_CTRL, statusName, SUCCESS,
} from "../hedron/abi.ts";
import { encodeCrd, type Crd } from "../hedron/capspace.ts";
import type { Kernel } from "../hedron/kernel.ts";
import { arg1, hostHypercall } from "../hedron/syscall.ts";

/** Transfer-item flags for pd_ctrl delegate. */
export const XFER_DELEGATE = 1;
export const XFER_FROM_KERNEL = 1 << 11;

export class HypercallError extends Error {
  constructor(
    readonly call: string,
    readonly status: number,
  ) {
    super(`roottask: ${call} failed with ${statusName(status)}`);
  }
}

export class Hypercalls {
  constructor(
    private readonly kernel: Kernel,
    /** The host EC making the calls (the root EC at boot, a handler EC while serving). */
    public ec: number,
  ) {}

  private check(call: string, status: number): void {
    if (status !== SUCCESS) throw new HypercallError(call, status);
  }

  private hc(nr: number, sel: number, flags: number, a2 = 0, a3 = 0, a4 = 0, a5 = 0): number {
    return hostHypercall(this.kernel, this.ec, arg1(nr, sel, flags), a2, a3, a4, a5);
  }

  createPd(sel: number, owner: number, initial: Crd | null, foreign: boolean, foreignBase = 0): void {
    this.check("create_pd", this.hc(HC_CREATE_PD, sel, 0, owner, initial ? encodeCrd(initial) : 0, foreign ? foreignBase * 2 + 1 : 0));
  }

  createEc(sel: number, pd: number, o: { cpu: number; utcb: number; rsp?: number; evt?: number; global?: boolean }): void {
    const flags = o.global ? 1 : 0;
    this.check("create_ec", this.hc(HC_CREATE_EC, sel, flags, pd, o.utcb + o.cpu, o.rsp ?? 0, o.evt ?? 0));
  }

  createSc(sel: number, pd: number, ec: number, prio: number, quantumUs: number): void {
    this.check("create_sc", this.hc(HC_CREATE_SC, sel, 0, pd, ec, quantumUs * 4096 + prio));
  }

  createPt(sel: number, pd: number, ec: number, mtd: number, ip: number): void {
    this.check("create_pt", this.hc(HC_CREATE_PT, sel, 0, pd, ec, mtd, ip));
  }

  createSm(sel: number, pd: number, counter: number): void {
    this.check("create_sm", this.hc(HC_CREATE_SM, sel, 0, pd, counter));
  }

  ptCtrl(sel: number, id: number): void {
    this.check("pt_ctrl", this.hc(HC_PT_CTRL, sel, 0, id));
  }

  /** revoke: `self` also removes the rights from the range itself; `pd` revokes in another PD. */
  revoke(crd: Crd, self: boolean, pd?: number): void {
    this.check("revoke", this.hc(HC_REVOKE, 0, (self ? 1 : 0) | (pd !== undefined ? 2 : 0), encodeCrd(crd), pd ?? 0));
  }

  /** pd_ctrl delegate from PD `src` to PD `dst`; returns the CRD that arrived (as a word). */
  delegate(src: number, dst: number, send: Crd, window: Crd, xfer = XFER_DELEGATE, hotspot = 0): number {
    this.check("pd_ctrl delegate", this.hc(HC_PD_CTRL, src, 2, dst, encodeCrd(send), hotspot * 4096 + xfer, encodeCrd(window)));
    return this.kernel.ecs.get(this.ec)!.state.get(RDX);
  }

  /** pd_ctrl lookup in the caller's own PD; returns the CRD word found (0 = null). */
  lookup(crd: Crd): number {
    this.check("pd_ctrl lookup", this.hc(HC_PD_CTRL, 0, 0, encodeCrd(crd)));
    return this.kernel.ecs.get(this.ec)!.state.get(RSI);
  }

  ecRecall(sel: number): void {
    this.check("ec_ctrl", this.hc(HC_EC_CTRL, sel, 0));
  }

  /** Time the SC consumed, in µs. */
  scTime(sel: number): number {
    this.check("sc_ctrl", this.hc(HC_SC_CTRL, sel, 0));
    const s = this.kernel.ecs.get(this.ec)!.state;
    return s.get(RSI) * 0x100000000 + s.get(RDX);
  }

  smUp(sel: number): void {
    this.check("sm_ctrl up", this.hc(HC_SM_CTRL, sel, 0));
  }

  /** Non-blocking for host ECs: returns the status (SUCCESS or TIMEOUT) instead of waiting. */
  smDownNow(sel: number): number {
    return this.hc(HC_SM_CTRL, sel, 1, 0, 1);
  }

  /** Calls a portal (bound to a host EC); returns the status. */
  call(sel: number, nonBlocking = false): number {
    return this.hc(HC_CALL, sel, nonBlocking ? 1 : 0);
  }
}
