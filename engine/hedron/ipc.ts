// Portal IPC: call and reply (UTCB words and typed items), event delivery in the exception layout, exception entry.
// A call to a host EC runs its handler synchronously and replies on return; a guest callee runs on the caller's SC.

import { R11, RDI } from "../cpu/state.ts";
import { BAD_CAP, BAD_CPU, HC_REPLY, RFLAGS_ON_RETURN, TIMEOUT, vectorName } from "./abi.ts";
import { decodeCrd, delegate, encodeCrd } from "./capspace.ts";
import {
  DELEGATE_ITEM, EXC_STATE_LOAD, EXC_STATE_SAVE, EXCEPTION_ENTRY, IPC_CALL, IPC_REPLY, PD_SWITCH, SYSCALL_ENTRY,
  SYSCALL_EXIT, UTCB_WORD,
} from "./costs.ts";
import type { Ec } from "./ec.ts";
import type { Kernel } from "./kernel.ts";
import type { Pd } from "./pd.ts";
import type { Pt } from "./pt.ts";
import type { Sc } from "./sc.ts";
import { MAX_WORDS, UTCB_DEL_WINDOW, type Qualification, type Utcb } from "./utcb.ts";

/** Returned by hypercall paths that must not write a status (a successful call, or an EC that blocked). */
export const NO_STATUS = -1;

const TRANSFER_DELEGATE = 1;
const TRANSFER_TRANSLATE_OR_DELEGATE = 2;
const TRANSFER_FROM_KERNEL = 1 << 11;

/** Ends a hypercall that blocked: status in RDI, RFLAGS = R11 = 0x200, and the EC runs again. */
export function wakeWithStatus(k: Kernel, ec: Ec, status: number): void {
  if (ec.wait === "dead") return;
  finishHypercall(ec, status);
  k.charge(ec.cpu, SYSCALL_EXIT, "syscall");
  k.makeRunnable(ec);
}

export function finishHypercall(ec: Ec, status: number): void {
  ec.state.set(RDI, status);
  returnToUser(ec);
}

/** The sysret side of every hypercall: RFLAGS = R11 = 0x200 (RCX already holds the return RIP). */
function returnToUser(ec: Ec): void {
  ec.state.set(R11, RFLAGS_ON_RETURN);
  ec.state.rflags = RFLAGS_ON_RETURN | 2;
}

/**
 * Typed items of `src` (delegations) into the receiver's delegate window. The receiver's typed-item slots then
 * describe what arrived. Translate items are not modelled and arrive as the null CRD.
 */
function transferItems(k: Kernel, srcPd: Pd, src: Utcb, dstPd: Pd, dst: Utcb): number {
  const count = src.typed;
  if (count === 0) return 0;
  const window = decodeCrd(dst.u32(UTCB_DEL_WINDOW), dst.u32(UTCB_DEL_WINDOW + 4));
  let items = 0;
  const results: [number, number][] = [];
  for (let i = 0; i < count; i++) {
    const [crdLo, crdHi, metaLo, metaHi] = src.typedItem(i);
    const kind = metaLo & 3;
    const fromKernel = (metaLo & TRANSFER_FROM_KERNEL) !== 0 && srcPd.privileged;
    if (kind !== TRANSFER_DELEGATE && kind !== TRANSFER_TRANSLATE_OR_DELEGATE) {
      results.push([0, metaLo]);
      continue;
    }
    const hotspot = (metaLo >>> 12) + (metaHi >>> 0) * 0x100000;
    const r = delegate(k.caps, { pd: srcPd, fromKernel }, decodeCrd(crdLo, crdHi), dstPd, window, hotspot);
    items += r.items;
    results.push([encodeCrd(r.crd), metaLo]);
  }
  results.forEach(([crd, meta], i) => dst.setTypedItem(i, crd, meta));
  dst.setItems(dst.untyped, count);
  return items;
}

/** Copies an IPC message (untyped words, typed items) from sender to receiver; returns the modelled cost. */
function transferMessage(k: Kernel, from: Ec, to: Ec): number {
  const src = k.utcb(from);
  const dst = k.utcb(to);
  const words = Math.min(src.untyped, MAX_WORDS);
  dst.copyWordsFrom(src, words);
  dst.setItems(words, 0);
  const items = transferItems(k, k.pdOf(from), src, k.pdOf(to), dst);
  if (items > 0) k.charge(from.cpu, items * DELEGATE_ITEM, "delegation");
  return words * UTCB_WORD;
}

/** A portal's trace text per handler EC, kept outside the kernel objects (it is not machine state): the same string
 *  for every call, so a recorder's string table finds it by its cached hash instead of hashing a fresh one. */
const portalTexts = new WeakMap<Pt, { ec: Ec; name: string; portalId: number; text: string }>();

function portalCallText(pt: Pt, callee: Ec): string {
  const cached = portalTexts.get(pt);
  if (cached && cached.ec === callee && cached.name === callee.name && cached.portalId === pt.portalId) return cached.text;
  const text = `pt ${pt.id} id ${pt.portalId} → ec ${callee.id} (${callee.name})`;
  portalTexts.set(pt, { ec: callee, name: callee.name, portalId: pt.portalId, text });
  return text;
}

/**
 * Calls `pt` from `caller`. kind "ipc": an explicit call (UTCB message). kind "event": an exception, startup or
 * foreign syscall (exception layout filled per the portal's MTD). `retryLength` rewinds RIP when the callee is
 * busy, so the blocked caller re-executes its `syscall` once woken.
 */
export function call(
  k: Kernel,
  caller: Ec,
  pt: Pt,
  kind: "ipc" | "event",
  name: string,
  qual: Qualification,
  retryLength: number,
  nonBlocking = false,
): number {
  const callee = k.ecs.get(pt.ec);
  if (!callee || callee.wait === "dead") {
    if (kind === "event") k.killEc(caller, `${name}: the portal's EC is dead`);
    return BAD_CAP;
  }
  if (callee.cpu !== caller.cpu) {
    if (kind === "event") k.killEc(caller, `${name}: the portal's EC runs on CPU ${callee.cpu}, not ${caller.cpu}`);
    return BAD_CPU;
  }
  if (caller.host && !callee.host) throw new Error(`kernel: host EC ${caller.id} cannot wait for guest EC ${callee.id} (${name})`);
  if (callee.wait !== "idle") {
    if (nonBlocking) return TIMEOUT;
    if (callee.host) throw new Error(`kernel: host EC ${callee.id} (${callee.name}) called re-entrantly through ${name}`);
    caller.wait = "busy";
    caller.state.rip -= retryLength;
    callee.waiters.push(caller.id);
    return NO_STATUS;
  }
  const callerPd = k.pdOf(caller);
  const calleePd = k.pdOf(callee);
  let cost = IPC_CALL + (callerPd !== calleePd ? PD_SWITCH : 0);
  if (kind === "ipc") cost += transferMessage(k, caller, callee);
  else {
    // EXC_STATE_SAVE is calibrated on the whole exception-layout transfer: no per-word cost on top.
    k.utcb(callee).saveState(caller.state, pt.mtd, qual);
    cost += EXC_STATE_SAVE;
  }
  k.charge(caller.cpu, cost, "ipc");
  k.stats.portalCalls++;
  callee.caller = caller.id;
  callee.callKind = kind;
  callee.callId = ++k.callSeq;
  callee.callName = name;
  caller.wait = "call";
  const sc = k.scOf(caller);
  callee.donor = sc ? sc.id : -1;
  if (k.tracing) k.emit("portal_call", caller, name, portalCallText(pt, callee), "", cost, callee.callId);
  if (callee.host) {
    callee.wait = "running";
    k.charge(callee.cpu, SYSCALL_EXIT, "syscall");
    k.startHostTime();
    k.host!.portal(callee.id, pt.ip, pt.portalId);
    // A handler that withheld its reply (withholdReply) leaves the caller blocked in its call.
    if (callee.caller !== caller.id) return NO_STATUS;
    // The handler's return is its `reply` hypercall.
    k.charge(callee.cpu, SYSCALL_ENTRY, "syscall");
    k.stats.hypercalls[HC_REPLY]++;
    if (k.tracing) {
      k.holdHostTime();
      k.emit("hypercall", callee, "reply", "sel=0", "SUCCESS", SYSCALL_ENTRY);
    }
    reply(k, callee);
    k.releaseHostTime();
    return NO_STATUS;
  }
  // The callee runs at once on the donated time: a return to user mode (§9's 791 counts it), not a scheduler switch.
  k.charge(caller.cpu, SYSCALL_EXIT, "syscall");
  k.cpus[caller.cpu].lastEc = callee.id;
  callee.state.rip = pt.ip;
  callee.state.set(RDI, pt.portalId);
  callee.state.rflags = RFLAGS_ON_RETURN | 2;
  callee.wait = "running";
  if (sc) sc.current = callee.id;
  return NO_STATUS;
}

/** Frees a callee for its next call, letting ECs that found it busy retry. */
function release(k: Kernel, callee: Ec): void {
  callee.caller = -1;
  callee.donor = -1;
  callee.wait = "idle";
  for (const w of callee.waiters.splice(0)) {
    const waiter = k.ecs.get(w);
    if (waiter && waiter.wait === "busy") k.makeRunnable(waiter);
  }
}

/** The callee's reply: message or registers back to its caller, which resumes; the callee waits for the next call. */
export function reply(k: Kernel, callee: Ec): void {
  const caller = callee.caller >= 0 ? k.ecs.get(callee.caller) : undefined;
  const donor = callee.donor >= 0 ? k.scs.get(callee.donor) : undefined;
  const { callKind: kind, callName: name, callId } = callee;
  release(k, callee);
  if (!caller || caller.wait === "dead") {
    if (k.tracing) k.emit("portal_reply", callee, name, "", "caller gone", 0, callId);
    return;
  }
  const cost = replyFrom(k, callee, caller, kind, donor);
  if (k.tracing) k.emit("portal_reply", caller, name, "", "", cost, callId);
}

/** Moves the reply in `from`'s UTCB to `caller` and resumes it on the donated SC; returns the modelled cost. */
function replyFrom(k: Kernel, from: Ec, caller: Ec, kind: "ipc" | "event", donor: Sc | undefined): number {
  const callerPd = k.pdOf(caller);
  let cost = IPC_REPLY + (callerPd !== k.pdOf(from) ? PD_SWITCH : 0) + SYSCALL_EXIT;
  if (kind === "ipc") cost += transferMessage(k, from, caller);
  else {
    const utcb = k.utcb(from);
    utcb.loadState(caller.state);
    const items = transferItems(k, k.pdOf(from), utcb, callerPd, k.utcb(caller));
    if (items > 0) k.charge(from.cpu, items * DELEGATE_ITEM, "delegation");
    cost += EXC_STATE_LOAD;
  }
  k.charge(caller.cpu, cost, "ipc");
  // A successful call leaves RDI alone: its low byte already reads 0 = call = SUCCESS.
  if (kind === "ipc") returnToUser(caller);
  caller.wait = "running";
  if (!caller.host) k.cpus[caller.cpu].lastEc = caller.id;
  if (donor && !donor.dead) donor.current = caller.id;
  return cost;
}

/**
 * A host handler keeps the reply capability of the call it serves instead of replying (a blocking service call):
 * the caller stays blocked in its call, visibly, and the handler EC is free for the next call. `deadline` (virtual
 * cycles on the caller's CPU, 0 = none) makes the kernel tell the host when it passes (HostRuntime.replyDue).
 */
export function withholdReply(k: Kernel, callee: Ec, deadline: number): void {
  const caller = k.ecs.get(callee.caller);
  if (!callee.host || !caller) throw new Error(`kernel: EC ${callee.id} withholds a reply it does not owe`);
  k.withheld.set(caller.id, {
    caller: caller.id, server: callee.pd, donor: callee.donor, kind: callee.callKind, callId: callee.callId, callName: callee.callName, deadline,
  });
  if (k.tracing) k.emit("portal_reply", caller, callee.callName, "", "withheld", 0, callee.callId);
  release(k, callee);
}

/** Sets or clears (0) the deadline of a withheld reply. */
export function setWithheldDeadline(k: Kernel, callerId: number, deadline: number): void {
  const w = k.withheld.get(callerId);
  if (w) w.deadline = deadline;
}

/** Re-reads a withheld call's message (the caller's state in the exception layout) into `into`. */
export function withheldMessage(k: Kernel, callerId: number, into: Utcb, mtd: number, instLength: number): void {
  const caller = k.ecs.get(callerId);
  if (!caller || !k.withheld.has(callerId)) throw new Error(`kernel: EC ${callerId} has no withheld call`);
  into.saveState(caller.state, mtd, { errorCode: 0, address: 0, instLength });
}

/** Sends a withheld reply from the UTCB of `via`, a host EC of the PD that withheld it; the caller runs again. */
export function replyWithheld(k: Kernel, callerId: number, via: Ec): void {
  const w = k.withheld.get(callerId);
  const caller = k.ecs.get(callerId);
  if (!w || !caller || caller.wait === "dead") throw new Error(`kernel: EC ${callerId} has no withheld call to reply to`);
  if (via.pd !== w.server || !via.host) throw new Error(`kernel: EC ${via.id} replies for a call PD ${w.server} withheld`);
  k.withheld.delete(callerId);
  const donor = w.donor >= 0 ? k.scs.get(w.donor) : undefined;
  k.stats.hypercalls[HC_REPLY]++;
  const cost = replyFrom(k, via, caller, w.kind, donor);
  if (k.tracing) k.emit("portal_reply", caller, w.callName, "", "", cost, w.callId);
  k.makeRunnable(caller);
}

/** Delivers an event to portal EVT + offset of the EC's PD; no portal there kills the EC (HEDRON.md §6). */
export function deliverEvent(k: Kernel, ec: Ec, offset: number, qual: Qualification, name: string, retryLength: number): void {
  const pd = k.pdOf(ec);
  const sel = ec.evt + offset;
  const cap = k.caps.lookup(pd, sel);
  const pt = cap && cap.kind === "pt" ? k.pts.get(cap.obj) : undefined;
  if (!pt) {
    k.killEc(ec, `${name}: no portal at EVT+${offset} (selector ${sel})`);
    return;
  }
  call(k, ec, pt, "event", name, qual, retryLength);
}

/** A CPU exception of a guest EC: counted, then delivered to EVT + vector with the fault's qualification. */
export function exceptionEntry(k: Kernel, ec: Ec, vector: number, errorCode: number, address: number, instLength: number): void {
  k.charge(ec.cpu, EXCEPTION_ENTRY, "exception");
  k.stats.exceptions.set(vector, (k.stats.exceptions.get(vector) ?? 0) + 1);
  if (k.tracing) {
    k.emit("exception", ec, vectorName(vector), `rip=0x${ec.state.rip.toString(16)} addr=0x${address.toString(16)} err=0x${errorCode.toString(16)}`, "", EXCEPTION_ENTRY);
  }
  deliverEvent(k, ec, vector, { errorCode, address, instLength }, vectorName(vector), 0);
}
