// Signals: dispositions, mask and alternate stack as process state; CPU faults and self-sent signals go to installed
// handlers through a real rt_sigframe (sigframe.ts), or kill the process as Linux's default action (force_sig) does.

import { E } from "../fs/errno.ts";
import {
  DEFAULT_IGNORED, MINSIGSTKSZ, NSIG, SIG_BLOCK, SIG_DFL, SIG_IGN, SIG_SETMASK, SIG_UNBLOCK, SIGKILL, SIGSTOP,
  SS_DISABLE, SS_ONSTACK,
} from "./abi.ts";
import { CpuState, RAX, RDI, RDX, RSI, RSP } from "../../cpu/state.ts";
import { FXSAVE_SIZE } from "../../hedron/fxsave.ts";
import { PageFault, USER_LIMIT } from "../../memory/address-space.ts";
import type { LinuxProcess, LinuxThread, PendingSignal, Sys } from "./context.ts";
import { terminate } from "./process.ts";
import {
  decodeFpstate, decodeUcontext, deliveryStack, encodeFpstate, encodeSiginfo, encodeUcontext, frameAddresses, onAltstack,
  resetFpu, RT_SIGFRAME, SI_KERNEL, SI_TKILL, SI_USER, type SigInfo,
} from "./sigframe.ts";
import { Bytes, SIGACTION, STACK_T } from "./structs.ts";

const SIGSET_SIZE = 8;
const SS_AUTODISARM = 0x80000000;
const SA_SIGINFO = 4, SA_RESTART = 0x10000000, SA_RESTORER = 0x04000000, SA_ONSTACK = 0x08000000, SA_NODEFER = 0x40000000, SA_RESETHAND = 0x80000000;
const SIGILL = 4, SIGTRAP = 5, SIGBUS = 7, SIGFPE = 8, SIGSEGV = 11;
/** Signals Linux dequeues first (SYNCHRONOUS_MASK): the ones CPU faults raise. */
const SYNCHRONOUS = [SIGSEGV, SIGBUS, SIGILL, SIGTRAP, SIGFPE, 31];
/** Job-control stop signals; there is no job control, so they are dropped. */
const STOP_SIGNALS = new Set([19, 20, 21, 22]);
/** Bits of SIGKILL and SIGSTOP in the low word of a sigset: they can never be blocked. */
const UNBLOCKABLE = (1 << (SIGKILL - 1)) | (1 << (SIGSTOP - 1));

export function emptySigactions(): LinuxProcess["sigactions"] {
  const list = [];
  for (let i = 0; i <= NSIG; i++) list.push({ handler: SIG_DFL, flags: 0, restorer: 0, maskLo: 0, maskHi: 0 });
  return list;
}

export function rtSigaction(s: Sys): number {
  const sig = s.int(0), act = s.u64(1), oact = s.u64(2);
  if (s.u64(3) !== SIGSET_SIZE || sig < 1 || sig > NSIG) return -E.EINVAL;
  if (act !== 0 && (sig === SIGKILL || sig === SIGSTOP)) return -E.EINVAL;
  const next = act !== 0 ? new Bytes(s.read(act, SIGACTION.SIZE)) : null;
  const cur = s.proc.sigactions[sig];
  if (oact !== 0) {
    const b = Bytes.alloc(SIGACTION.SIZE);
    b.setU64(SIGACTION.handler, cur.handler);
    b.setU64(SIGACTION.flags, cur.flags);
    b.setU64(SIGACTION.restorer, cur.restorer);
    b.setU32(SIGACTION.mask, cur.maskLo);
    b.setU32(SIGACTION.mask + 4, cur.maskHi);
    s.write(oact, b.bytes);
  }
  if (next) {
    s.proc.sigactions[sig] = {
      handler: next.u64(SIGACTION.handler),
      flags: next.u32(SIGACTION.flags),
      restorer: next.u64(SIGACTION.restorer),
      maskLo: next.u32(SIGACTION.mask) & ~UNBLOCKABLE,
      maskHi: next.u32(SIGACTION.mask + 4),
    };
    // Setting a disposition to ignore discards that signal if it is pending (POSIX).
    if (action(s.proc, sig) === "ignore") for (const t of s.proc.threads) t.pending = t.pending.filter((p) => p.sig !== sig);
  }
  return 0;
}

export function rtSigprocmask(s: Sys): number {
  const how = s.int(0), set = s.u64(1), oset = s.u64(2);
  if (s.u64(3) !== SIGSET_SIZE) return -E.EINVAL;
  const proc = s.thread;
  let lo = proc.sigmaskLo, hi = proc.sigmaskHi;
  if (set !== 0) {
    if (how !== SIG_BLOCK && how !== SIG_UNBLOCK && how !== SIG_SETMASK) return -E.EINVAL;
    const b = new Bytes(s.read(set, SIGSET_SIZE));
    const setLo = b.u32(0), setHi = b.u32(4);
    if (how === SIG_BLOCK) { lo |= setLo; hi |= setHi; }
    else if (how === SIG_UNBLOCK) { lo &= ~setLo; hi &= ~setHi; }
    else { lo = setLo; hi = setHi; }
  }
  if (oset !== 0) {
    const b = Bytes.alloc(SIGSET_SIZE);
    b.setU32(0, proc.sigmaskLo);
    b.setU32(4, proc.sigmaskHi);
    s.write(oset, b.bytes);
  }
  proc.sigmaskLo = (lo & ~UNBLOCKABLE) >>> 0;
  proc.sigmaskHi = hi >>> 0;
  deliverPending(s);
  return 0;
}

export function rtSigpending(s: Sys): number {
  if (s.u64(1) > SIGSET_SIZE) return -E.EINVAL;
  const b = Bytes.alloc(SIGSET_SIZE);
  for (const { sig } of s.thread.pending) {
    const word = sig <= 32 ? 0 : 4;
    b.setU32(word, b.u32(word) | (1 << ((sig - 1) % 32)));
  }
  s.write(s.u64(0), b.bytes.subarray(0, s.u64(1)));
  return 0;
}

export function sigaltstack(s: Sys): number {
  const ss = s.u64(0), old = s.u64(1);
  const proc = s.thread;
  const next = ss !== 0 ? new Bytes(s.read(ss, STACK_T.SIZE)) : null;
  if (next) {
    const flags = next.u32(STACK_T.flags);
    if (flags & ~(SS_DISABLE | SS_AUTODISARM)) return -E.EINVAL;
    if (!(flags & SS_DISABLE) && next.u64(STACK_T.size) < MINSIGSTKSZ) return -E.ENOMEM;
  }
  const onAlt = onAltstack(proc.altstack, s.frame.rsp);
  if (old !== 0) {
    const b = Bytes.alloc(STACK_T.SIZE);
    b.setU64(STACK_T.sp, proc.altstack.sp);
    const flags = (onAlt ? SS_ONSTACK : 0) | (proc.altstack.flags & SS_AUTODISARM);
    b.setU32(STACK_T.flags, proc.altstack.size === 0 ? SS_DISABLE : flags);
    b.setU64(STACK_T.size, proc.altstack.size);
    s.write(old, b.bytes);
  }
  if (next) {
    // The stack a handler runs on cannot be changed under it.
    if (onAlt) return -E.EPERM;
    const flags = next.u32(STACK_T.flags);
    proc.altstack = flags & SS_DISABLE
      ? { sp: 0, flags: SS_DISABLE, size: 0 }
      : { sp: next.u64(STACK_T.sp), flags, size: next.u64(STACK_T.size) };
  }
  return 0;
}

function blocked(proc: LinuxThread, sig: number): boolean {
  return sig <= 32 ? ((proc.sigmaskLo >>> (sig - 1)) & 1) === 1 : ((proc.sigmaskHi >>> (sig - 33)) & 1) === 1;
}

/** What an unblocked signal does now: nothing (ignored), kill the process, or wait for a handler to run. */
export function action(proc: LinuxProcess, sig: number): "ignore" | "kill" | "handler" {
  if (sig === SIGKILL) return "kill";
  const handler = proc.sigactions[sig].handler;
  if (handler === SIG_IGN) return "ignore";
  if (handler !== SIG_DFL) return "handler";
  return DEFAULT_IGNORED.has(sig) || STOP_SIGNALS.has(sig) ? "ignore" : "kill";
}

/**
 * Acts on pending signals that are no longer blocked: fatal ones end the process, ignored ones go.
 * Signals with a handler stay pending: they are delivered on the way back to user mode (deliverDue).
 */
function deliverPending(s: Sys): void {
  const thread = s.thread;
  for (const p of [...thread.pending]) {
    if (blocked(thread, p.sig)) continue;
    const what = action(s.proc, p.sig);
    if (what === "handler") continue;
    thread.pending.splice(thread.pending.indexOf(p), 1);
    if (what === "kill") {
      terminate(s, 128 + p.sig, p.sig);
      return;
    }
  }
}

/** A signal the calling thread sends itself: pending first, then acted on at once unless blocked (as Linux does). */
export function raise(s: Sys, sig: number, code: number): number {
  if (sig === 0) return 0;
  if (sig < 1 || sig > NSIG) return -E.EINVAL;
  const thread = s.thread;
  if (action(s.proc, sig) === "ignore") return 0;
  if (!thread.pending.some((p) => p.sig === sig)) thread.pending.push({ sig, code, pid: s.proc.pid });
  if (sig === SIGKILL) return terminate(s, 128 + sig, sig);
  deliverPending(s);
  return 0;
}

/**
 * A signal from outside the thread (another process, another thread, a child's exit): ignored, fatal (the process
 * ends at once), or pending at `thread` (default: the first thread not blocking it) — a blocked call it waits in
 * is interrupted, to return EINTR or restart once the handler has run.
 */
export function signalFrom(s: Sys, target: LinuxProcess, sig: number, code: number, thread?: LinuxThread): void {
  if (sig === 0 || target.exited) return;
  const what = action(target, sig);
  if (what === "ignore") return;
  const to = thread ?? target.threads.find((t) => !blocked(t, sig)) ?? target.threads[0];
  if (!to) return;
  if (what === "kill" && (sig === SIGKILL || !blocked(to, sig))) {
    if (target === s.proc) terminate(s, 128 + sig, sig);
    else s.host.tasks?.terminate(target, 128 + sig, sig);
    return;
  }
  if (!to.pending.some((p) => p.sig === sig)) to.pending.push({ sig, code, pid: s.proc.pid });
  if (what !== "handler" || blocked(to, sig) || to === s.thread) return;
  if (!to.blocked) {
    // It runs user code (or waits for its CPU): recalled, it enters the handler before its next instruction.
    s.host.tasks?.interrupt?.(target, to);
  } else if (to.blocked.interruptible && to.blocked.result === null) {
    to.blocked.result = -E.EINTR;
    s.waits.remove(to.tid, to.blocked.keys);
    s.waits.makeDue(to.tid);
  }
}

/**
 * A timer's signal (no sending process): like signalFrom, but a pending signal of the same timer counts an overrun,
 * and a thread that runs user code is returned, to be interrupted so its handler enters now.
 */
export function timerSignal(s: Sys, target: LinuxProcess, p: PendingSignal, thread?: LinuxThread): LinuxThread | null {
  if (target.exited) return null;
  const what = action(target, p.sig);
  if (what === "ignore") return null;
  const to = thread ?? target.threads.find((t) => !blocked(t, p.sig)) ?? target.threads[0];
  if (!to) return null;
  if (what === "kill" && !blocked(to, p.sig)) {
    s.host.tasks?.terminate(target, 128 + p.sig, p.sig);
    return null;
  }
  const queued = to.pending.find((q) => q.sig === p.sig);
  if (queued) {
    if (queued.timer && p.timer && queued.timer.id === p.timer.id) queued.timer.overrun += 1 + p.timer.overrun;
    return null;
  }
  to.pending.push(p);
  if (what !== "handler" || blocked(to, p.sig)) return null;
  if (!to.blocked) return to;
  if (to.blocked.interruptible && to.blocked.result === null) {
    to.blocked.result = -E.EINTR;
    s.waits.remove(to.tid, to.blocked.keys);
    s.waits.makeDue(to.tid);
  }
  return null;
}

/** The processes kill(pid) names: one (pid > 0), the caller's group (0), every process (-1), a group (< -1). */
function killTargets(s: Sys, pid: number): LinuxProcess[] {
  const all = [...(s.host.tasks ? s.procs.values() : [s.proc])].filter((p) => !p.exited);
  if (pid > 0) return all.filter((p) => p.pid === pid);
  if (pid === 0) return all.filter((p) => p.pgid === s.proc.pgid);
  if (pid === -1) return all;
  return all.filter((p) => p.pgid === -pid);
}

export function kill(s: Sys): number {
  const pid = s.int(0), sig = s.int(1);
  if (sig < 0 || sig > NSIG) return -E.EINVAL;
  const targets = killTargets(s, pid);
  if (targets.length === 0) return -E.ESRCH;
  // The caller last: a fatal signal to itself must not stop it signalling the others.
  for (const p of targets) if (p !== s.proc) signalFrom(s, p, sig, SI_USER);
  if (targets.includes(s.proc)) return raise(s, sig, SI_USER);
  return 0;
}

/** The thread with id `tid` (in process `tgid` when given), with its process. */
function findThread(s: Sys, tid: number, tgid = -1): { proc: LinuxProcess; thread: LinuxThread } | null {
  for (const proc of s.host.tasks ? s.procs.values() : [s.proc]) {
    if (proc.exited || (tgid > 0 && proc.pid !== tgid)) continue;
    const thread = proc.threads.find((t) => t.tid === tid);
    if (thread) return { proc, thread };
  }
  return null;
}

function threadKill(s: Sys, tgid: number, tid: number, sig: number): number {
  if (sig < 0 || sig > NSIG) return -E.EINVAL;
  const found = findThread(s, tid, tgid);
  if (!found) return -E.ESRCH;
  if (found.thread === s.thread) return raise(s, sig, SI_TKILL);
  signalFrom(s, found.proc, sig, SI_TKILL, found.thread);
  return 0;
}

export function tgkill(s: Sys): number {
  if (s.int(0) <= 0 || s.int(1) <= 0) return -E.EINVAL;
  return threadKill(s, s.int(0), s.int(1), s.int(2));
}

export function tkill(s: Sys): number {
  if (s.int(0) <= 0) return -E.EINVAL;
  return threadKill(s, -1, s.int(0), s.int(1));
}

/** rt_sigsuspend: waits with the given mask until a handler runs (EINTR); the old mask comes back after it. */
export function rtSigsuspend(s: Sys): number {
  if (s.u64(1) !== SIGSET_SIZE) return -E.EINVAL;
  const b = new Bytes(s.read(s.u64(0), SIGSET_SIZE));
  const thread = s.thread;
  thread.suspendMask ??= [thread.sigmaskLo, thread.sigmaskHi];
  thread.sigmaskLo = (b.u32(0) & ~UNBLOCKABLE) >>> 0;
  thread.sigmaskHi = b.u32(4);
  if (signalsDue(s.proc, thread)) return -E.EINTR;
  return s.block([]);
}

/** pause: waits until a handler runs. */
export function pause(s: Sys): number {
  return signalsDue(s.proc, s.thread) ? -E.EINTR : s.block([]);
}

/** rt_sigreturn: only flags the call; the roottask hands over the full register state (sigreturnState). */
export function rtSigreturn(s: Sys): number {
  s.frame.sigreturn = true;
  return 0;
}

/** The next pending signal a handler should run for now: synchronous ones first, then the lowest number. */
function nextDeliverable(proc: LinuxProcess, thread: LinuxThread): PendingSignal | undefined {
  let best: PendingSignal | undefined;
  const rank = (sig: number) => (SYNCHRONOUS.includes(sig) ? 0 : 100) + sig;
  for (const p of thread.pending) {
    if (blocked(thread, p.sig) || action(proc, p.sig) !== "handler") continue;
    if (!best || rank(p.sig) < rank(best.sig)) best = p;
  }
  return best;
}

/** Whether returning to user mode needs the full register state (a handler to enter). */
export function signalsDue(proc: LinuxProcess, thread: LinuxThread): boolean {
  return thread.pending.length > 0 && nextDeliverable(proc, thread) !== undefined;
}

/** SA_RESTART of the handler the next delivery enters (an interrupted call restarts instead of failing EINTR). */
export function nextRestarts(proc: LinuxProcess, thread: LinuxThread): boolean {
  const p = nextDeliverable(proc, thread);
  return !!p && (proc.sigactions[p.sig].flags & SA_RESTART) !== 0;
}

/**
 * Enters the handler of `info.signo`: writes the rt_sigframe and fpstate, updates mask and disposition, and sets
 * `regs` to the handler's entry state. False when the frame cannot be written (Linux then forces SIGSEGV).
 */
export function deliverSignal(proc: LinuxProcess, thread: LinuxThread, regs: CpuState, info: SigInfo): boolean {
  const sig = info.signo;
  const act = proc.sigactions[sig];
  // x86-64 Linux has no vDSO fallback for the return path: without SA_RESTORER the frame is refused.
  if (!(act.flags & SA_RESTORER)) return false;
  const rsp = regs.get(RSP);
  const alt = thread.altstack;
  const { sp, entering } = deliveryStack(rsp, alt, (act.flags & SA_ONSTACK) !== 0);
  const { frame, fpstate } = frameAddresses(sp);
  const onAlt = onAltstack(alt, rsp);
  const stack = {
    sp: alt.sp, size: alt.size,
    flags: (alt.size === 0 ? SS_DISABLE : onAlt ? SS_ONSTACK : 0) | (alt.flags & SS_AUTODISARM),
  };
  try {
    // After rt_sigsuspend the handler's return restores the mask from before the call, not the one it waited with.
    const mask = thread.suspendMask ?? [thread.sigmaskLo, thread.sigmaskHi];
    const saved = { restorer: act.restorer, stack, maskLo: mask[0], maskHi: mask[1] };
    proc.space.write(frame, encodeUcontext(regs, info, saved, fpstate));
    if (act.flags & SA_SIGINFO) proc.space.write(frame + RT_SIGFRAME.info, encodeSiginfo(info));
    proc.space.write(fpstate, encodeFpstate(regs));
  } catch (error) {
    if (error instanceof PageFault) return false;
    throw error;
  }
  thread.suspendMask = null;
  thread.sigmaskLo = (thread.sigmaskLo | act.maskLo) >>> 0;
  thread.sigmaskHi = (thread.sigmaskHi | act.maskHi) >>> 0;
  if (!(act.flags & SA_NODEFER)) setBlocked(thread, sig);
  if (act.flags & SA_RESETHAND) proc.sigactions[sig] = { ...act, handler: SIG_DFL };
  if (entering && alt.flags & SS_AUTODISARM) thread.altstack = { sp: 0, flags: SS_DISABLE, size: 0 };
  regs.set(RDI, sig);
  regs.set(RSI, frame + RT_SIGFRAME.info);
  regs.set(RDX, frame + RT_SIGFRAME.uc);
  regs.set(RAX, 0);
  regs.set(RSP, frame);
  regs.rip = act.handler;
  regs.rflags &= ~(0x400 | 0x100 | 0x10000); // DF, TF, RF
  resetFpu(regs);
  return true;
}

function setBlocked(thread: LinuxThread, sig: number): void {
  if (sig === SIGKILL || sig === SIGSTOP) return;
  if (sig <= 32) thread.sigmaskLo = (thread.sigmaskLo | (1 << (sig - 1))) >>> 0;
  else thread.sigmaskHi = (thread.sigmaskHi | (1 << (sig - 33))) >>> 0;
}

/** Delivers every deliverable pending signal (each new frame on top of the last, as Linux's exit loop does). */
export function deliverDue(proc: LinuxProcess, thread: LinuxThread, regs: CpuState): number {
  for (let p = nextDeliverable(proc, thread); p; p = nextDeliverable(proc, thread)) {
    thread.pending.splice(thread.pending.indexOf(p), 1);
    const info: SigInfo = { signo: p.sig, code: p.code, addr: 0, pid: p.pid, trapno: 0, err: 0, cr2: 0, timer: p.timer };
    if (!deliverSignal(proc, thread, regs, info)) return SIGSEGV;
  }
  return 0;
}

/** rt_sigreturn's work: registers, FPU, mask and a disarmed alternate stack back from the frame at RSP - 8. */
export function sigreturnState(proc: LinuxProcess, thread: LinuxThread, regs: CpuState): boolean {
  const frame = regs.get(RSP) - 8;
  try {
    const ctx = decodeUcontext(proc.space.read(frame, RT_SIGFRAME.info), regs);
    if (ctx.fpstate !== 0) decodeFpstate(proc.space.read(ctx.fpstate, FXSAVE_SIZE), regs);
    else resetFpu(regs);
    thread.sigmaskLo = (ctx.maskLo & ~UNBLOCKABLE) >>> 0;
    thread.sigmaskHi = ctx.maskHi >>> 0;
    if (ctx.stack.flags & SS_AUTODISARM && thread.altstack.size === 0) {
      thread.altstack = { sp: ctx.stack.sp, flags: (ctx.stack.flags & ~SS_ONSTACK) >>> 0, size: ctx.stack.size };
    }
  } catch (error) {
    if (error instanceof PageFault) return false;
    throw error;
  }
  return true;
}

/** The signal, si_code and si_addr a CPU exception raises (arch/x86/kernel/traps.c and fault.c). */
export function faultSignal(vector: number, errorCode: number, address: number, regs: CpuState, mapped: boolean): SigInfo {
  const info: SigInfo = { signo: SIGSEGV, code: SI_KERNEL, addr: 0, pid: 0, trapno: vector, err: errorCode, cr2: 0 };
  switch (vector) {
    case 14:
      // Linux decides by the VMA, not the present bit: a PROT_NONE mapping faults "not present" yet is ACCERR.
      // Kernel addresses are MAPERR, reported as protection faults.
      info.code = address < USER_LIMIT && (errorCode & 1 || mapped) ? 2 /* SEGV_ACCERR */ : 1 /* SEGV_MAPERR */;
      info.addr = address;
      info.cr2 = address;
      info.err = errorCode | 4 | (address >= USER_LIMIT ? 1 : 0); // X86_PF_USER, X86_PF_PROT
      break;
    case 0:
      Object.assign(info, { signo: SIGFPE, code: 1 /* FPE_INTDIV */, addr: regs.rip });
      break;
    case 6:
    case 7:
      Object.assign(info, { signo: SIGILL, code: 2 /* ILL_ILLOPN */, addr: regs.rip });
      break;
    case 1:
      Object.assign(info, { signo: SIGTRAP, code: 2 /* TRAP_TRACE */, addr: regs.rip });
      break;
    case 3:
      info.signo = SIGTRAP;
      break;
    case 16:
      Object.assign(info, { signo: SIGFPE, code: fpeCode(regs.fpuStatus & ~regs.fpuControl), addr: regs.rip });
      break;
    case 19:
      Object.assign(info, { signo: SIGFPE, code: fpeCode(regs.mxcsr & ~(regs.mxcsr >> 7)), addr: regs.rip });
      break;
    case 17:
      Object.assign(info, { signo: SIGBUS, code: 1 /* BUS_ADRALN */ });
      break;
  }
  return info;
}

/** FPE_* for the unmasked exception bits (invalid, divide, overflow, denormal/underflow, precision). */
function fpeCode(err: number): number {
  if (err & 0x01) return 7; // FPE_FLTINV
  if (err & 0x04) return 3; // FPE_FLTDIV
  if (err & 0x08) return 4; // FPE_FLTOVF
  if (err & 0x12) return 5; // FPE_FLTUND
  if (err & 0x20) return 6; // FPE_FLTRES
  return 0;
}

/**
 * A CPU exception: enters the handler (0) or names the signal that kills the process. A blocked or ignored
 * synchronous signal kills anyway (force_sig), as does a frame that cannot be written (SIGSEGV).
 */
export function deliverFault(proc: LinuxProcess, thread: LinuxThread, regs: CpuState, vector: number, errorCode: number, address: number): number {
  const mapped = proc.vmas.some((v) => address >= v.start && address < v.end);
  const info = faultSignal(vector, errorCode, address, regs, mapped);
  const sig = info.signo;
  if (blocked(thread, sig) || action(proc, sig) !== "handler") return sig;
  if (!deliverSignal(proc, thread, regs, info)) return SIGSEGV;
  return deliverDue(proc, thread, regs);
}

/** execve: handled signals go back to their default action (ignored ones stay ignored); masks and pending stay. */
export function resetHandlers(proc: LinuxProcess): void {
  proc.sigactions.forEach((act, sig) => {
    if (act.handler !== SIG_IGN && act.handler !== SIG_DFL) proc.sigactions[sig] = { handler: SIG_DFL, flags: 0, restorer: 0, maskLo: 0, maskHi: 0 };
  });
}
