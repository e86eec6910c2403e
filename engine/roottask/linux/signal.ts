// Signal syscalls: dispositions, the blocked mask and the alternate stack are recorded in process state;
// a signal sent to the process itself kills it when its default action says so. Handler delivery comes later.

import { E } from "../fs/errno.ts";
import {
  DEFAULT_IGNORED, MINSIGSTKSZ, NSIG, SIG_BLOCK, SIG_DFL, SIG_IGN, SIG_SETMASK, SIG_UNBLOCK, SIGKILL, SIGSTOP,
  SS_DISABLE, SS_ONSTACK,
} from "./abi.ts";
import type { LinuxProcess, Sys } from "./context.ts";
import { terminate } from "./process.ts";
import { Bytes, SIGACTION, STACK_T } from "./structs.ts";

const SIGSET_SIZE = 8;
const SS_AUTODISARM = 0x80000000;
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
    if (action(s.proc, sig) === "ignore") s.proc.pending = s.proc.pending.filter((p) => p !== sig);
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
  for (const sig of s.proc.pending) {
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
  if (old !== 0) {
    const b = Bytes.alloc(STACK_T.SIZE);
    b.setU64(STACK_T.sp, proc.altstack.sp);
    b.setU32(STACK_T.flags, proc.altstack.size === 0 ? SS_DISABLE : proc.altstack.flags & ~SS_ONSTACK);
    b.setU64(STACK_T.size, proc.altstack.size);
    s.write(old, b.bytes);
  }
  if (next) {
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
 * Signals with a handler stay pending until handler delivery exists.
 */
function deliverPending(s: Sys): void {
  const proc = s.proc;
  for (const sig of [...proc.pending]) {
    if (blocked(proc, sig)) continue;
    const what = action(proc, sig);
    if (what === "handler") continue;
    proc.pending.splice(proc.pending.indexOf(sig), 1);
    if (what === "kill") {
      terminate(s, 128 + sig, sig);
      return;
    }
  }
}

/** A signal the process sends itself: pending first, then acted on at once unless blocked (as Linux does). */
export function raise(s: Sys, sig: number): number {
  if (sig === 0) return 0;
  if (sig < 1 || sig > NSIG) return -E.EINVAL;
  const proc = s.proc;
  if (action(proc, sig) === "ignore") return 0;
  if (!proc.pending.includes(sig)) proc.pending.push(sig);
  if (sig === SIGKILL) return terminate(s, 128 + sig, sig);
  deliverPending(s);
  return 0;
}

/** kill(pid, sig): pid 0 and -1 include the caller, which is the only process there is to signal. */
export function kill(s: Sys): number {
  const pid = s.int(0);
  if (pid !== s.proc.pid && pid !== 0 && pid !== -1 && pid !== -s.proc.pid) return -E.ESRCH;
  return raise(s, s.int(1));
}

export function tgkill(s: Sys): number {
  if (s.int(0) <= 0 || s.int(1) <= 0) return -E.EINVAL;
  if (s.int(0) !== s.proc.pid || s.int(1) !== s.proc.tid) return -E.ESRCH;
  return raise(s, s.int(2));
}

export function tkill(s: Sys): number {
  if (s.int(0) <= 0) return -E.EINVAL;
  if (s.int(0) !== s.proc.tid) return -E.ESRCH;
  return raise(s, s.int(1));
}
