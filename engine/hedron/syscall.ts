// The syscall entry path (with the foreign-syscall check of HEDRON.md §8) and the table from hypercall number to handler.
// Each handler reads its arguments through `Args`, a typed view of the caller's registers, and ends in one status.

import { CpuState, R11, R8, RAX, RDI, RDX, RSI, RSP } from "../cpu/state.ts";
import { USER_LIMIT } from "../memory/address-space.ts";
import { PAGE_SIZE } from "../memory/frames.ts";
import {
  BAD_CAP, BAD_CPU, BAD_DEV, BAD_HYP, BAD_PAR, EC_BIND_PT, EC_BIND_SC, EC_CTRL, HC_CALL, HC_CREATE_EC, HC_CREATE_PD,
  HC_CREATE_PT, HC_CREATE_SC, HC_CREATE_SM, HYPERCALL_NAMES,
  PD_CREATE_EC, PD_CREATE_PD, PD_CREATE_PT, PD_CREATE_SC, PD_CREATE_SM, PT_CALL, PT_CTRL, RIGHTS_ALL, SC_CTRL, SM_DOWN,
  SM_UP, SUCCESS, TIMEOUT, statusName,
} from "./abi.ts";
import { CRD_MEM, CRD_NULL, CRD_OBJ, decodeCrd, delegate, encodeCrd, NULL_CRD, revokeRange, type Crd } from "./capspace.ts";
import { CREATE_OBJECT, cyclesToUs, DELEGATE_ITEM, NSCT_CHECK, SYSCALL_ENTRY, SYSCALL_EXIT } from "./costs.ts";
import type { Ec } from "./ec.ts";
import { call, deliverEvent, finishHypercall, NO_STATUS, reply } from "./ipc.ts";
import type { Kernel } from "./kernel.ts";
import type { Pd } from "./pd.ts";
import { MAX_PRIO, MIN_PRIO } from "./sc.ts";
import { smTryDown, smUp } from "./sm.ts";
import { UTCB_NSCT } from "./utcb.ts";

/** ARG1 = RDI (number, flags, selector), ARG2 = RSI, ARG3 = RDX, ARG4 = RAX, ARG5 = R8 (HEDRON.md §1). */
export class Args {
  constructor(readonly s: CpuState) {}

  get nr(): number {
    return this.s.gpr[2 * RDI] & 0xff;
  }

  get flags(): number {
    return (this.s.gpr[2 * RDI] >>> 8) & 0xf;
  }

  /** ARG1 bits 63:12. */
  get sel(): number {
    return (this.s.gpr[2 * RDI] >>> 12) + (this.s.gpr[2 * RDI + 1] >>> 0) * 0x100000;
  }

  get arg2(): number {
    return this.s.get(RSI);
  }

  get arg3(): number {
    return this.s.get(RDX);
  }

  get arg4(): number {
    return this.s.get(RAX);
  }

  get arg5(): number {
    return this.s.get(R8);
  }

  lo(reg: number): number {
    return this.s.gpr[2 * reg] >>> 0;
  }

  hi(reg: number): number {
    return this.s.gpr[2 * reg + 1] >>> 0;
  }

  crd(reg: number): Crd {
    return decodeCrd(this.s.gpr[2 * reg], this.s.gpr[2 * reg + 1]);
  }

  /** create_sc's quantum-priority descriptor in ARG4: prio bits 7:0, quantum (µs) bits 63:12. */
  qpd(): { prio: number; quantum: number } {
    return { prio: this.lo(RAX) & 0xff, quantum: (this.lo(RAX) >>> 12) + this.hi(RAX) * 0x100000 };
  }
}

type Handler = (k: Kernel, ec: Ec, a: Args, instrLength: number) => number;

function hex(n: number): string {
  return "0x" + n.toString(16);
}

const createPd: Handler = (k, ec, a) => {
  const pd = k.pdOf(ec);
  if (!k.freeSelector(pd, a.sel)) return BAD_CAP;
  if (!k.capOf(pd, a.arg2, "pd", PD_CREATE_PD)) return BAD_CAP;
  const foreign = (a.lo(RAX) & 1) === 1;
  const foreignBase = (a.lo(RAX) >>> 1) + a.hi(RAX) * 0x80000000;
  const created = k.newPd(`pd${k.nextObject}`, { foreign, foreignBase });
  k.caps.insert(pd, a.sel, "pd", created.id, RIGHTS_ALL, -1);
  const initial = a.crd(RDX);
  if (initial.type === CRD_OBJ) {
    const r = delegate(k.caps, { pd, fromKernel: false }, initial, created, initial, 0);
    k.charge(ec.cpu, r.items * DELEGATE_ITEM, "delegation");
  }
  return SUCCESS;
};

const createEc: Handler = (k, ec, a) => {
  const pd = k.pdOf(ec);
  if (!k.freeSelector(pd, a.sel)) return BAD_CAP;
  const owner = k.capOf(pd, a.arg2, "pd", PD_CREATE_EC);
  if (!owner) return BAD_CAP;
  const target = k.pds.get(owner.obj)!;
  const cpu = a.lo(RDX) & 0xfff;
  const utcbAddr = a.arg3 - (a.lo(RDX) & 0xfff);
  if (utcbAddr >= USER_LIMIT) return BAD_PAR;
  if (cpu >= k.cpuCount) return BAD_CPU;
  const mapIn = a.flags & 8 ? pd : target;
  if (utcbAddr !== 0 && mapIn.space.lookup(utcbAddr / PAGE_SIZE) >= 0) return BAD_PAR;
  const created = k.newEc(`ec${k.nextObject}`, target, { cpu, global: (a.flags & 1) === 1, evt: a.arg5, utcbAddr, rsp: a.arg4, mapIn });
  k.caps.insert(pd, a.sel, "ec", created.id, RIGHTS_ALL, -1);
  return SUCCESS;
};

const createSc: Handler = (k, ec, a) => {
  const pd = k.pdOf(ec);
  if (!k.freeSelector(pd, a.sel)) return BAD_CAP;
  if (!k.capOf(pd, a.arg2, "pd", PD_CREATE_SC)) return BAD_CAP;
  const ecCap = k.capOf(pd, a.arg3, "ec", EC_BIND_SC);
  const target = ecCap ? k.ecs.get(ecCap.obj) : undefined;
  if (!target || !target.global || target.wait === "dead") return BAD_CAP;
  const { prio, quantum } = a.qpd();
  if (prio < MIN_PRIO || prio > MAX_PRIO || quantum === 0 || target.sc >= 0) return BAD_PAR;
  const sc = k.newSc(target, prio, quantum);
  k.caps.insert(pd, a.sel, "sc", sc.id, RIGHTS_ALL, -1);
  return SUCCESS;
};

const createPt: Handler = (k, ec, a) => {
  const pd = k.pdOf(ec);
  if (!k.freeSelector(pd, a.sel)) return BAD_CAP;
  if (!k.capOf(pd, a.arg2, "pd", PD_CREATE_PT)) return BAD_CAP;
  const ecCap = k.capOf(pd, a.arg3, "ec", EC_BIND_PT);
  const target = ecCap ? k.ecs.get(ecCap.obj) : undefined;
  if (!target || target.global || target.wait === "dead") return BAD_CAP;
  const pt = k.newPt(target, a.lo(RAX), a.arg5);
  k.caps.insert(pd, a.sel, "pt", pt.id, RIGHTS_ALL, -1);
  return SUCCESS;
};

const createSm: Handler = (k, ec, a) => {
  const pd = k.pdOf(ec);
  if (!k.freeSelector(pd, a.sel)) return BAD_CAP;
  if (!k.capOf(pd, a.arg2, "pd", PD_CREATE_SM)) return BAD_CAP;
  const sm = k.newSm(a.arg3);
  k.caps.insert(pd, a.sel, "sm", sm.id, RIGHTS_ALL, -1);
  return SUCCESS;
};

const revoke: Handler = (k, ec, a) => {
  const own = k.pdOf(ec);
  const crd = a.crd(RSI);
  let pd: Pd = own;
  if (a.flags & 2) {
    const cap = k.capOf(own, a.arg3, "pd", 0);
    if (!cap) return BAD_CAP;
    pd = k.pds.get(cap.obj)!;
  }
  let items = 0;
  if (crd.type === CRD_OBJ) {
    const count = 2 ** crd.order;
    const base = crd.base - (crd.base % count);
    const inRange = [...pd.objects.keys()].filter((s) => s >= base && s < base + count);
    for (const sel of inRange) {
      const cap = k.caps.lookup(pd, sel);
      if (cap) items += k.caps.revoke(cap, crd.rights, (a.flags & 1) === 1, (id) => k.pds.get(id));
    }
    k.reap();
  } else if (crd.type !== CRD_NULL) {
    items = revokeRange(pd, crd);
  }
  k.charge(ec.cpu, items * DELEGATE_ITEM, "delegation");
  return SUCCESS;
};

const pdCtrl: Handler = (k, ec, a) => {
  const pd = k.pdOf(ec);
  const op = a.flags & 3;
  if (op === 0) {
    const crd = a.crd(RSI);
    let found: Crd = NULL_CRD;
    if (crd.type === CRD_OBJ) {
      const cap = k.caps.lookup(pd, crd.base);
      if (cap) found = { type: CRD_OBJ, rights: cap.rights, order: 0, base: crd.base };
    } else if (crd.type === CRD_MEM) {
      const pte = pd.space.lookup(crd.base);
      if (pte >= 0) found = { type: CRD_MEM, rights: pte & 7, order: 0, base: crd.base };
    }
    ec.state.set(RSI, encodeCrd(found));
    return SUCCESS;
  }
  if (op !== 2) return BAD_PAR;
  const srcCap = k.capOf(pd, a.sel, "pd", 0);
  const dstCap = k.capOf(pd, a.arg2, "pd", 0);
  if (!srcCap || !dstCap) return BAD_CAP;
  const fromKernel = (a.lo(RAX) & (1 << 11)) !== 0;
  if (fromKernel && !pd.privileged) return BAD_CAP;
  const hotspot = (a.lo(RAX) >>> 12) + a.hi(RAX) * 0x100000;
  const src = k.pds.get(srcCap.obj)!;
  const dst = k.pds.get(dstCap.obj)!;
  const r = delegate(k.caps, { pd: src, fromKernel }, a.crd(RDX), dst, a.crd(R8), hotspot);
  k.charge(ec.cpu, r.items * DELEGATE_ITEM, "delegation");
  ec.state.set(RDX, encodeCrd(r.crd));
  return SUCCESS;
};

const ecCtrl: Handler = (k, ec, a) => {
  const cap = k.capOf(k.pdOf(ec), a.sel, "ec", EC_CTRL);
  const target = cap ? k.ecs.get(cap.obj) : undefined;
  if (!target || target.wait === "dead") return BAD_CAP;
  if ((a.flags & 3) !== 0) return BAD_PAR;
  if (target.host) return BAD_PAR;
  target.recall = true;
  return SUCCESS;
};

const scCtrl: Handler = (k, ec, a) => {
  const cap = k.capOf(k.pdOf(ec), a.sel, "sc", SC_CTRL);
  const sc = cap ? k.scs.get(cap.obj) : undefined;
  if (!sc) return BAD_CAP;
  const us = cyclesToUs(sc.time);
  ec.state.set(RSI, Math.floor(us / 0x100000000));
  ec.state.set(RDX, us % 0x100000000);
  return SUCCESS;
};

const ptCtrl: Handler = (k, ec, a) => {
  const cap = k.capOf(k.pdOf(ec), a.sel, "pt", PT_CTRL);
  const pt = cap ? k.pts.get(cap.obj) : undefined;
  if (!pt) return BAD_CAP;
  pt.portalId = a.arg2;
  return SUCCESS;
};

const smCtrl: Handler = (k, ec, a) => {
  const down = (a.flags & 1) === 1;
  const cap = k.capOf(k.pdOf(ec), a.sel, "sm", down ? SM_DOWN : SM_UP);
  const sm = cap ? k.sms.get(cap.obj) : undefined;
  if (!sm) return BAD_CAP;
  if (!down) {
    const woken = smUp(sm);
    const waiter = woken >= 0 ? k.ecs.get(woken) : undefined;
    if (waiter) {
      finishHypercall(waiter, SUCCESS);
      k.charge(waiter.cpu, SYSCALL_EXIT, "syscall");
      k.makeRunnable(waiter);
    }
    return SUCCESS;
  }
  if (smTryDown(sm, (a.flags & 2) === 2)) return SUCCESS;
  const deadline = a.lo(RSI) * 0x100000000 + a.lo(RDX);
  if (deadline !== 0 && deadline <= k.cpus[ec.cpu].clock) return TIMEOUT;
  if (ec.host) throw new Error(`kernel: host EC ${ec.id} (${ec.name}) would block on a semaphore`);
  ec.wait = "sm";
  sm.waiters.push({ ec: ec.id, deadline });
  return NO_STATUS;
};

const callHandler: Handler = (k, ec, a, instrLength) => {
  const cap = k.capOf(k.pdOf(ec), a.sel, "pt", PT_CALL);
  const pt = cap ? k.pts.get(cap.obj) : undefined;
  if (!pt) return BAD_CAP;
  return call(k, ec, pt, "ipc", `pt ${a.sel}`, { errorCode: 0, address: 0, instLength: instrLength }, instrLength, (a.flags & 1) === 1);
};

const replyHandler: Handler = (k, ec) => {
  if (ec.caller < 0) {
    // No one to reply to: the EC waits for its next call.
    ec.wait = "idle";
    return NO_STATUS;
  }
  reply(k, ec);
  return NO_STATUS;
};

const hardware: Handler = (k, ec) => (k.pdOf(ec).privileged ? BAD_DEV : BAD_CAP);

/** Hypercall number → handler (HEDRON.md §2); numbers beyond the table are BAD_HYP. */
export const HYPERCALLS: readonly Handler[] = [
  callHandler, replyHandler, createPd, createEc, createSc, createPt, createSm, revoke,
  pdCtrl, ecCtrl, scCtrl, ptCtrl, smCtrl, hardware, hardware, hardware,
];

/** Handlers that create objects also pay for the object. */
const CREATES = new Set([HC_CREATE_PD, HC_CREATE_EC, HC_CREATE_SC, HC_CREATE_PT, HC_CREATE_SM]);

/**
 * A `syscall` instruction of a guest EC. The entry path saves the user RSP in R11; an EC of a foreign PD
 * whose UTCB lacks NSCT is not decoded at all: its syscall is delivered like an exception to EVT + base + CPU.
 */
export function syscallEntry(k: Kernel, ec: Ec, instrLength: number): void {
  k.charge(ec.cpu, SYSCALL_ENTRY, "syscall");
  ec.state.gpr[2 * R11] = ec.state.gpr[2 * RSP];
  ec.state.gpr[2 * R11 + 1] = ec.state.gpr[2 * RSP + 1];
  const pd = k.pdOf(ec);
  if (pd.foreign) {
    k.charge(ec.cpu, NSCT_CHECK, "syscall");
    if ((k.utcb(ec).flags & UTCB_NSCT) === 0) {
      k.stats.foreignSyscalls++;
      deliverEvent(k, ec, pd.foreignBase + ec.cpu, { errorCode: 0, address: 0, instLength: instrLength }, "foreign syscall", instrLength);
      return;
    }
    pd.nsctUsed = true;
  }
  dispatch(k, ec, instrLength);
}

/** Decodes and runs one native hypercall, writes its status, and returns to the EC unless it blocked. */
export function dispatch(k: Kernel, ec: Ec, instrLength: number): number {
  const a = new Args(ec.state);
  const nr = a.nr;
  const handler = HYPERCALLS[nr];
  const text = k.tracing ? `sel=${a.sel} f=${a.flags} rsi=${hex(a.arg2)} rdx=${hex(a.arg3)} rax=${hex(a.arg4)} r8=${hex(a.arg5)}` : "";
  let status: number;
  if (handler) {
    k.stats.hypercalls[nr]++;
    status = handler(k, ec, a, instrLength);
    if (CREATES.has(nr) && status === SUCCESS) k.charge(ec.cpu, CREATE_OBJECT, "delegation");
  } else {
    k.stats.badHypercalls++;
    status = BAD_HYP;
  }
  if (k.tracing && nr !== HC_CALL) {
    k.emit("hypercall", ec, HYPERCALL_NAMES[nr] ?? `hypercall ${nr}`, text, status === NO_STATUS ? "" : statusName(status), SYSCALL_ENTRY);
  }
  if (status !== NO_STATUS) {
    finishHypercall(ec, status);
    k.charge(ec.cpu, SYSCALL_EXIT, "syscall");
  }
  return status;
}

/**
 * A hypercall of a host EC (the roottask's TypeScript code): the same dispatch, with ARG1..ARG5 given as numbers.
 * Returns the status; outputs (pd_ctrl, sc_ctrl) are in the EC's registers.
 */
export function hostHypercall(k: Kernel, ecId: number, arg1: number, arg2 = 0, arg3 = 0, arg4 = 0, arg5 = 0): number {
  const ec = k.ecs.get(ecId);
  if (!ec || !ec.host) throw new Error(`kernel: hostHypercall from EC ${ecId}, which is not a host EC`);
  const s = ec.state;
  s.set(RDI, arg1);
  s.set(RSI, arg2);
  s.set(RDX, arg3);
  s.set(RAX, arg4);
  s.set(R8, arg5);
  const saved = k.nowCpu;
  k.nowCpu = ec.cpu;
  k.charge(ec.cpu, SYSCALL_ENTRY, "syscall");
  const status = dispatch(k, ec, 0);
  k.nowCpu = saved;
  return status === NO_STATUS ? SUCCESS : status;
}

/** ARG1 as a number: hypercall number, flags, selector. */
export function arg1(nr: number, sel = 0, flags = 0): number {
  return sel * 4096 + flags * 256 + nr;
}
