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
import type { LinuxProcess, PendingSignal, Sys } from "./context.ts";
import { terminate } from "./process.ts";
import {
  decodeFpstate, decodeUcontext, deliveryStack, encodeFpstate, encodeSiginfo, encodeUcontext, frameAddresses, onAltstack,
  resetFpu, RT_SIGFRAME, SI_KERNEL, SI_TKILL, SI_USER, SigInfo,
} from "./sigframe.ts";
import { Bytes, SIGACTION, STACK_T } from "./structs.ts";

const SIGSET_SIZE = 8;
const SS_AUTODISARM = 0x80000000;
const SA_SIGINFO = 4, SA_RESTORER = 0x04000000, SA_ONSTACK = 0x08000000, SA_NODEFER = 0x40000000, SA_RESETHAND = 0x80000000;
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
    if (action(s.proc, sig) === "ignore") s.proc.pending = s.proc.pending.filter((p) => p.sig !== sig);
  }
  return 0;
}

export function rtSigprocmask(s: Sys): number {
  const how = s.int(0), set = s.u64(1), oset = s.u64(2);
  if (s.u64(3) !== SIGSET_SIZE) return -E.EINVAL;
  const proc = s.proc;
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
  for (const { sig } of s.proc.pending) {
    const word = sig <= 32 ? 0 : 4;
    b.setU32(word, b.u32(word) | (1 << ((sig - 1) % 32)));
  }
  s.write(s.u64(0), b.bytes.subarray(0, s.u64(1)));
  return 0;
}

export function sigaltstack(s: Sys): number {
  const ss = s.u64(0), old = s.u64(1);
  const proc = s.proc;
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

function blocked(proc: LinuxProcess, sig: number): boolean {
  return sig <= 32 ? ((proc.sigmaskLo >>> (sig - 1)) & 1) === 1 : ((proc.sigmaskHi >>> (sig - 33)) & 1) === 1;
}

/** What an unblocked signal does now: nothing (ignored), kill the process, or wait for a handler to run. */
function action(proc: LinuxProcess, sig: number): "ignore" | "kill" | "handler" {
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
  const proc = s.proc;
  for (const p of [...proc.pending]) {
    if (blocked(proc, p.sig)) continue;
    const what = action(proc, p.sig);
    if (what === "handler") continue;
    proc.pending.splice(proc.pending.indexOf(p), 1);
    if (what === "kill") {
      terminate(s, 128 + p.sig, p.sig);
      return;
    }
  }
}

/** A signal the process sends itself: pending first, then acted on at once unless blocked (as Linux does). */
export function raise(s: Sys, sig: number, code: number): number {
  if (sig === 0) return 0;
  if (sig < 1 || sig > NSIG) return -E.EINVAL;
  const proc = s.proc;
  if (action(proc, sig) === "ignore") return 0;
  if (!proc.pending.some((p) => p.sig === sig)) proc.pending.push({ sig, code, pid: proc.pid });
  if (sig === SIGKILL) return terminate(s, 128 + sig, sig);
  deliverPending(s);
  return 0;
}

/** kill(pid, sig): pid 0 and -1 include the caller, which is the only process there is to signal. */
export function kill(s: Sys): number {
  const pid = s.int(0);
  if (pid !== s.proc.pid && pid !== 0 && pid !== -1 && pid !== -s.proc.pid) return -E.ESRCH;
  return raise(s, s.int(1), SI_USER);
}

export function tgkill(s: Sys): number {
  if (s.int(0) <= 0 || s.int(1) <= 0) return -E.EINVAL;
  if (s.int(0) !== s.proc.pid || s.int(1) !== s.proc.tid) return -E.ESRCH;
  return raise(s, s.int(2), SI_TKILL);
}

export function tkill(s: Sys): number {
  if (s.int(0) <= 0) return -E.EINVAL;
  if (s.int(0) !== s.proc.tid) return -E.ESRCH;
  return raise(s, s.int(1), SI_TKILL);
}

/** rt_sigreturn: only flags the call; the roottask hands over the full register state (sigreturnState). */
export function rtSigreturn(s: Sys): number {
  s.frame.sigreturn = true;
  return 0;
}

/** The next pending signal a handler should run for now: synchronous ones first, then the lowest number. */
function nextDeliverable(proc: LinuxProcess): PendingSignal | undefined {
  let best: PendingSignal | undefined;
  const rank = (sig: number) => (SYNCHRONOUS.includes(sig) ? 0 : 100) + sig;
  for (const p of proc.pending) {
    if (blocked(proc, p.sig) || action(proc, p.sig) !== "handler") continue;
    if (!best || rank(p.sig) < rank(best.sig)) best = p;
  }
  return best;
}

/** Whether returning to user mode needs the full register state (a handler to enter). */
export function signalsDue(proc: LinuxProcess): boolean {
  return proc.pending.length > 0 && nextDeliverable(proc) !== undefined;
}

/**
 * Enters the handler of `info.signo`: writes the rt_sigframe and fpstate, updates mask and disposition, and sets
 * `regs` to the handler's entry state. False when the frame cannot be written (Linux then forces SIGSEGV).
 */
export function deliverSignal(proc: LinuxProcess, regs: CpuState, info: SigInfo): boolean {
  const sig = info.signo;
  const act = proc.sigactions[sig];
  // x86-64 Linux has no vDSO fallback for the return path: without SA_RESTORER the frame is refused.
  if (!(act.flags & SA_RESTORER)) return false;
  const rsp = regs.get(RSP);
  const alt = proc.altstack;
  const { sp, entering } = deliveryStack(rsp, alt, (act.flags & SA_ONSTACK) !== 0);
  const { frame, fpstate } = frameAddresses(sp);
  const onAlt = onAltstack(alt, rsp);
  const stack = {
    sp: alt.sp, size: alt.size,
    flags: (alt.size === 0 ? SS_DISABLE : onAlt ? SS_ONSTACK : 0) | (alt.flags & SS_AUTODISARM),
  };
  try {
    const saved = { restorer: act.restorer, stack, maskLo: proc.sigmaskLo, maskHi: proc.sigmaskHi };
    proc.space.write(frame, encodeUcontext(regs, info, saved, fpstate));
    if (act.flags & SA_SIGINFO) proc.space.write(frame + RT_SIGFRAME.info, encodeSiginfo(info));
    proc.space.write(fpstate, encodeFpstate(regs));
  } catch (error) {
    if (error instanceof PageFault) return false;
    throw error;
  }
  proc.sigmaskLo = (proc.sigmaskLo | act.maskLo) >>> 0;
  proc.sigmaskHi = (proc.sigmaskHi | act.maskHi) >>> 0;
  if (!(act.flags & SA_NODEFER)) setBlocked(proc, sig);
  if (act.flags & SA_RESETHAND) proc.sigactions[sig] = { ...act, handler: SIG_DFL };
  if (entering && alt.flags & SS_AUTODISARM) proc.altstack = { sp: 0, flags: SS_DISABLE, size: 0 };
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

function setBlocked(proc: LinuxProcess, sig: number): void {
  if (sig === SIGKILL || sig === SIGSTOP) return;
  if (sig <= 32) proc.sigmaskLo = (proc.sigmaskLo | (1 << (sig - 1))) >>> 0;
  else proc.sigmaskHi = (proc.sigmaskHi | (1 << (sig - 33))) >>> 0;
}

/** Delivers every deliverable pending signal (each new frame on top of the last, as Linux's exit loop does). */
export function deliverDue(proc: LinuxProcess, regs: CpuState): number {
  for (let p = nextDeliverable(proc); p; p = nextDeliverable(proc)) {
    proc.pending.splice(proc.pending.indexOf(p), 1);
    const info: SigInfo = { signo: p.sig, code: p.code, addr: 0, pid: p.pid, trapno: 0, err: 0, cr2: 0 };
    if (!deliverSignal(proc, regs, info)) return SIGSEGV;
  }
  return 0;
}

/** rt_sigreturn's work: registers, FPU, mask and a disarmed alternate stack back from the frame at RSP - 8. */
export function sigreturnState(proc: LinuxProcess, regs: CpuState): boolean {
  const frame = regs.get(RSP) - 8;
  try {
    const ctx = decodeUcontext(proc.space.read(frame, RT_SIGFRAME.info), regs);
    if (ctx.fpstate !== 0) decodeFpstate(proc.space.read(ctx.fpstate, FXSAVE_SIZE), regs);
    else resetFpu(regs);
    proc.sigmaskLo = (ctx.maskLo & ~UNBLOCKABLE) >>> 0;
    proc.sigmaskHi = ctx.maskHi >>> 0;
    if (ctx.stack.flags & SS_AUTODISARM && proc.altstack.size === 0) {
      proc.altstack = { sp: ctx.stack.sp, flags: (ctx.stack.flags & ~SS_ONSTACK) >>> 0, size: ctx.stack.size };
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
export function deliverFault(proc: LinuxProcess, regs: CpuState, vector: number, errorCode: number, address: number): number {
  const mapped = proc.vmas.some((v) => address >= v.start && address < v.end);
  const info = faultSignal(vector, errorCode, address, regs, mapped);
  const sig = info.signo;
  if (blocked(proc, sig) || action(proc, sig) !== "handler") return sig;
  if (!deliverSignal(proc, regs, info)) return SIGSEGV;
  return deliverDue(proc, regs);
}
