// Interval timers (setitimer, alarm), POSIX timers (timer_create …) and timerfds on virtual time. Each timer is plain
// data with an absolute deadline on the monotonic clock; the roottask has the kernel model call it at the earliest one.

import { E } from "../fs/errno.ts";
import { O_NONBLOCK } from "../fs/abi.ts";
import type { LinuxThread, Sys } from "./context.ts";
import { timerSignal } from "./signal.ts";
import { Bytes, decodeTimespec, encodeTimespec } from "./structs.ts";

const SIGEV_SIGNAL = 0, SIGEV_NONE = 1, SIGEV_THREAD_ID = 4;
const SI_TIMER = -2, SI_KERNEL = 0x80;
const SIGALRM = 14, SIGVTALRM = 26, SIGPROF = 27;
const ITIMER_SIGNALS = [SIGALRM, SIGVTALRM, SIGPROF];
const TIMER_ABSTIME = 1, TFD_TIMER_ABSTIME = 1, TFD_CLOEXEC = 0o2000000;
const REALTIME_CLOCKS = new Set([0, 5, 8, 11]);
/** Clocks timers accept: REALTIME, MONOTONIC, PROCESS/THREAD_CPUTIME, BOOTTIME and the ALARM ones. */
const TIMER_CLOCKS = new Set([0, 1, 2, 3, 7, 8, 9]);
const TIMERFD_CLOCKS = new Set([0, 1, 7, 8, 9]);
const TIMERS_PER_PROCESS = 1024;

export interface ArmedTimer {
  pid: number;
  /** itimer (id = ITIMER_REAL/VIRTUAL/PROF), posix (id = the timer id) or timerfd (id = its inode). */
  kind: "itimer" | "posix" | "timerfd";
  id: number;
  clock: number;
  /** Monotonic virtual ns of the next expiry; 0 = disarmed. */
  deadlineNs: number;
  intervalNs: number;
  notify: number;
  signo: number;
  /** SIGEV_THREAD_ID's target thread. */
  tid: number;
  /** sigev_value, handed over in si_value. */
  value: number;
  /** posix: overruns of the last signal; timerfd: expirations not read yet. */
  overrun: number;
}

/** Every timer of every process, in creation order (plain data). */
export class Timers {
  readonly all: ArmedTimer[] = [];

  find(pid: number, kind: ArmedTimer["kind"], id: number): ArmedTimer | undefined {
    return this.all.find((t) => t.pid === pid && t.kind === kind && t.id === id);
  }

  remove(t: ArmedTimer): void {
    this.all.splice(this.all.indexOf(t), 1);
  }

  /** A process ended: its timers go (a timerfd lives with its description, which the file server closes). */
  dropProcess(pid: number): void {
    for (const t of this.all.filter((x) => x.pid === pid && x.kind !== "timerfd")) this.remove(t);
  }

  /** fork: itimers and POSIX timers are not inherited. execve: POSIX timers go, itimers stay. */
  dropPosix(pid: number): void {
    for (const t of this.all.filter((x) => x.pid === pid && x.kind === "posix")) this.remove(t);
  }

  /** The earliest deadline that has to act (signals; timerfds someone waits for), or 0. */
  next(waited: (key: string) => boolean): number {
    let best = 0;
    for (const t of this.all) {
      if (t.deadlineNs === 0 || (t.kind === "posix" && t.notify === SIGEV_NONE)) continue;
      if (t.kind === "timerfd" && !waited(timerfdKey(t.id))) continue;
      if (best === 0 || t.deadlineNs < best) best = t.deadlineNs;
    }
    return best;
  }
}

export const timerfdKey = (ino: number) => `anon:${ino}`;

/** Expirations due by `now`; the timer moves to its next period (or disarms). */
function advance(t: ArmedTimer, now: number): number {
  if (t.deadlineNs === 0 || now < t.deadlineNs) return 0;
  if (t.intervalNs === 0) {
    t.deadlineNs = 0;
    return 1;
  }
  const n = 1 + Math.floor((now - t.deadlineNs) / t.intervalNs);
  t.deadlineNs += n * t.intervalNs;
  return n;
}

/** The time left to the next expiry (0 when disarmed), without consuming expirations. */
function remaining(t: ArmedTimer, now: number): number {
  if (t.deadlineNs === 0) return 0;
  if (now < t.deadlineNs) return t.deadlineNs - now;
  if (t.intervalNs === 0) return 0;
  return t.intervalNs - ((now - t.deadlineNs) % t.intervalNs);
}

/**
 * Acts on every timer due by `now`: a signal to its process (or thread), a timerfd's waiters woken. Returns the
 * threads that run user code and must be interrupted (recalled) so a handler enters now.
 */
export function expireTimers(s: Sys, timers: Timers, now: number): LinuxThread[] {
  const interrupt: LinuxThread[] = [];
  for (const t of [...timers.all]) {
    const n = advance(t, now);
    if (n === 0) continue;
    if (t.kind === "timerfd") {
      t.overrun += n;
      s.waits.notify(timerfdKey(t.id));
      continue;
    }
    const proc = s.procs.get(t.pid);
    if (!proc || proc.exited) {
      timers.remove(t);
      continue;
    }
    if (t.kind === "posix" && t.notify === SIGEV_NONE) continue;
    const thread = t.kind === "posix" && t.notify === SIGEV_THREAD_ID ? proc.threads.find((x) => x.tid === t.tid) : undefined;
    const timer = t.kind === "posix" ? { id: t.id, overrun: n - 1, value: t.value } : undefined;
    if (timer) t.overrun = n - 1;
    const signo = t.kind === "itimer" ? ITIMER_SIGNALS[t.id] : t.signo;
    const running = timerSignal(s, proc, { sig: signo, code: t.kind === "itimer" ? SI_KERNEL : SI_TIMER, pid: 0, timer }, thread);
    if (running && !interrupt.includes(running)) interrupt.push(running);
  }
  return interrupt;
}

// ---- timespec / timeval pairs ----

function readTimespecNs(s: Sys, at: number): number {
  const { sec, nsec } = decodeTimespec(s.read(at, 16));
  return sec >= 0 && nsec >= 0 && nsec < 1e9 ? sec * 1e9 + nsec : -1;
}

function writeItimerspec(s: Sys, at: number, intervalNs: number, valueNs: number): void {
  const b = new Uint8Array(32);
  b.set(encodeTimespec(intervalNs), 0);
  b.set(encodeTimespec(valueNs), 16);
  s.write(at, b);
}

function readTimeval(b: Bytes, off: number): number {
  const sec = b.i64(off), usec = b.i64(off + 8);
  return sec >= 0 && usec >= 0 && usec < 1e6 ? sec * 1e9 + usec * 1e3 : -1;
}

function writeItimerval(s: Sys, at: number, intervalNs: number, valueNs: number): void {
  const b = Bytes.alloc(32);
  // Linux rounds a remaining time up to a whole microsecond (never 0 while armed).
  const us = (ns: number) => Math.ceil(ns / 1e3);
  b.setU64(0, Math.floor(us(intervalNs) / 1e6));
  b.setU64(8, us(intervalNs) % 1e6);
  b.setU64(16, Math.floor(us(valueNs) / 1e6));
  b.setU64(24, us(valueNs) % 1e6);
  s.write(at, b.bytes);
}

// ---- setitimer, getitimer, alarm ----

function itimer(s: Sys, which: number): ArmedTimer {
  let t = s.timers.find(s.pid, "itimer", which);
  if (!t) {
    t = { pid: s.pid, kind: "itimer", id: which, clock: 1, deadlineNs: 0, intervalNs: 0, notify: SIGEV_SIGNAL, signo: ITIMER_SIGNALS[which], tid: 0, value: 0, overrun: 0 };
    s.timers.all.push(t);
  }
  return t;
}

export function getitimer(s: Sys): number {
  const which = s.int(0);
  if (which < 0 || which > 2) return -E.EINVAL;
  const t = itimer(s, which), now = s.host.nowNs();
  writeItimerval(s, s.u64(1), t.intervalNs, remaining(t, now));
  return 0;
}

export function setitimer(s: Sys): number {
  const which = s.int(0), newAt = s.u64(1), oldAt = s.u64(2);
  if (which < 0 || which > 2) return -E.EINVAL;
  let value = 0, interval = 0;
  if (newAt !== 0) {
    const b = new Bytes(s.read(newAt, 32));
    interval = readTimeval(b, 0);
    value = readTimeval(b, 16);
    if (interval < 0 || value < 0) return -E.EINVAL;
  }
  const t = itimer(s, which), now = s.host.nowNs();
  if (oldAt !== 0) writeItimerval(s, oldAt, t.intervalNs, remaining(t, now));
  t.deadlineNs = value > 0 ? now + value : 0;
  t.intervalNs = value > 0 ? interval : 0;
  return 0;
}

/** alarm: ITIMER_REAL in whole seconds; returns the seconds left of the previous one (rounded, at least 1). */
export function alarm(s: Sys): number {
  const secs = s.uint(0);
  const t = itimer(s, 0), now = s.host.nowNs();
  const left = remaining(t, now);
  t.deadlineNs = secs > 0 ? now + secs * 1e9 : 0;
  t.intervalNs = 0;
  return left === 0 ? 0 : Math.max(1, Math.round(left / 1e9));
}

// ---- POSIX timers ----

export function timerCreate(s: Sys): number {
  const clock = s.int(0), sevAt = s.u64(1), idAt = s.u64(2);
  if (!TIMER_CLOCKS.has(clock)) return -E.EINVAL;
  let notify = SIGEV_SIGNAL, signo = SIGALRM, tid = 0, value = 0;
  const mine = s.timers.all.filter((t) => t.pid === s.pid && t.kind === "posix");
  let id = 0;
  while (mine.some((t) => t.id === id)) id++;
  if (sevAt !== 0) {
    const b = new Bytes(s.read(sevAt, 64));
    value = b.u64(0);
    signo = b.i32(8);
    notify = b.i32(12);
    tid = b.i32(16);
    if (notify !== SIGEV_SIGNAL && notify !== SIGEV_NONE && notify !== SIGEV_THREAD_ID) return -E.EINVAL;
    if (notify !== SIGEV_NONE && (signo < 1 || signo > 64)) return -E.EINVAL;
    if (notify === SIGEV_THREAD_ID && !s.proc.threads.some((t) => t.tid === tid)) return -E.EINVAL;
  } else value = id;
  if (mine.length >= TIMERS_PER_PROCESS) return -E.EAGAIN;
  const out = Bytes.alloc(4);
  out.setU32(0, id);
  s.write(idAt, out.bytes);
  s.timers.all.push({ pid: s.pid, kind: "posix", id, clock, deadlineNs: 0, intervalNs: 0, notify, signo, tid, value, overrun: 0 });
  return 0;
}

function posixTimer(s: Sys): ArmedTimer | undefined {
  return s.timers.find(s.pid, "posix", s.int(0));
}

/** An absolute expiry on `clock` as a monotonic deadline (realtime clocks are offset by the wall-clock start). */
function absoluteDeadline(s: Sys, clock: number, ns: number): number {
  return REALTIME_CLOCKS.has(clock) ? ns - (s.host.realtimeOffsetNs ?? 0) : ns;
}

/** Arms `t` from an itimerspec at `at` (relative, or absolute with `absolute`); the old setting goes to `oldAt`. */
function arm(s: Sys, t: ArmedTimer, at: number, absolute: boolean, oldAt: number): number {
  const interval = readTimespecNs(s, at), value = readTimespecNs(s, at + 16);
  if (interval < 0 || value < 0) return -E.EINVAL;
  const now = s.host.nowNs();
  if (oldAt !== 0) writeItimerspec(s, oldAt, t.intervalNs, remaining(t, now));
  t.overrun = 0;
  if (value === 0) {
    t.deadlineNs = 0;
    t.intervalNs = 0;
    return 0;
  }
  // A deadline already passed expires at the next check; it is never 0 (which means disarmed).
  t.deadlineNs = Math.max(1, absolute ? absoluteDeadline(s, t.clock, value) : now + value);
  t.intervalNs = interval;
  return 0;
}

export function timerSettime(s: Sys): number {
  const t = posixTimer(s);
  if (!t) return -E.EINVAL;
  if (s.int(1) & ~TIMER_ABSTIME) return -E.EINVAL;
  return arm(s, t, s.u64(2), (s.int(1) & TIMER_ABSTIME) !== 0, s.u64(3));
}

export function timerGettime(s: Sys): number {
  const t = posixTimer(s);
  if (!t) return -E.EINVAL;
  writeItimerspec(s, s.u64(1), t.intervalNs, remaining(t, s.host.nowNs()));
  return 0;
}

export function timerGetoverrun(s: Sys): number {
  const t = posixTimer(s);
  return t ? Math.min(t.overrun, 0x7fffffff) : -E.EINVAL;
}

export function timerDelete(s: Sys): number {
  const t = posixTimer(s);
  if (!t) return -E.EINVAL;
  s.timers.remove(t);
  return 0;
}

// ---- timerfd ----

export function timerfdCreate(s: Sys): number {
  const clock = s.int(0), flags = s.int(1);
  if (!TIMERFD_CLOCKS.has(clock)) return -E.EINVAL;
  if (flags & ~(O_NONBLOCK | TFD_CLOEXEC)) return -E.EINVAL;
  const fd = s.fs.openAnonymous(s.pid, "timerfd", flags);
  if (fd < 0) return fd;
  const ino = s.fs.file(s.pid, fd)!.ino;
  s.timers.all.push({ pid: s.pid, kind: "timerfd", id: ino, clock, deadlineNs: 0, intervalNs: 0, notify: SIGEV_NONE, signo: 0, tid: 0, value: 0, overrun: 0 });
  return fd;
}

/** The timer behind a timerfd, or an errno (EBADF, EINVAL for another kind of fd). */
function timerfdOf(s: Sys, fd: number): ArmedTimer | number {
  const file = s.fs.file(s.pid, fd);
  if (!file) return -E.EBADF;
  const t = s.fs.tree.node(file.ino).device === "timerfd" ? s.timers.all.find((x) => x.kind === "timerfd" && x.id === file.ino) : undefined;
  return t ?? -E.EINVAL;
}

export function timerfdSettime(s: Sys): number {
  const t = timerfdOf(s, s.int(0));
  if (typeof t === "number") return t;
  if (s.int(1) & ~(TFD_TIMER_ABSTIME | 2)) return -E.EINVAL;
  return arm(s, t, s.u64(2), (s.int(1) & TFD_TIMER_ABSTIME) !== 0, s.u64(3));
}

export function timerfdGettime(s: Sys): number {
  const t = timerfdOf(s, s.int(0));
  if (typeof t === "number") return t;
  t.overrun += advance(t, s.host.nowNs());
  writeItimerspec(s, s.u64(1), t.intervalNs, remaining(t, s.host.nowNs()));
  return 0;
}

/** Whether a timerfd has expirations to read (its POLLIN), counting those due by now. */
export function timerfdReady(s: Sys, ino: number): boolean {
  const t = s.timers.all.find((x) => x.kind === "timerfd" && x.id === ino);
  if (!t) return false;
  t.overrun += advance(t, s.host.nowNs());
  return t.overrun > 0;
}

/** read of a timerfd: the 8-byte expiration count, waiting for the next expiry when there is none; null for other fds. */
export function timerfdRead(s: Sys, fd: number, buf: number, len: number): number | null {
  const file = s.fs.file(s.pid, fd);
  if (!file || s.fs.tree.node(file.ino).device !== "timerfd") return null;
  if (len < 8) return -E.EINVAL;
  const t = timerfdOf(s, fd) as ArmedTimer;
  t.overrun += advance(t, s.host.nowNs());
  if (t.overrun === 0) {
    if (file.flags & O_NONBLOCK) return -E.EAGAIN;
    return s.block([timerfdKey(t.id)]);
  }
  const b = Bytes.alloc(8);
  b.setU64(0, t.overrun);
  s.write(buf, b.bytes);
  t.overrun = 0;
  return 8;
}
