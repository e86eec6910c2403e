// Time syscalls: every clock reads the machine's virtual time (host.nowNs()), never the host clock; the realtime
// clocks add the wall clock of the run's start (recorded). A sleep withholds the reply until virtual time reaches
// its deadline: an idle machine jumps there at once.

import { E } from "../fs/errno.ts";
import { CLOCK_ID, CLOCK_MONOTONIC_COARSE, CLOCK_REALTIME, CLOCK_REALTIME_COARSE, CLOCK_THREAD_CPUTIME_ID, TIMER_ABSTIME } from "./abi.ts";
import type { Sys } from "./context.ts";
import { Bytes, decodeTimespec, encodeTimespec, encodeTimeval, TIMESPEC_SIZE, TMS_SIZE } from "./structs.ts";

/** Named clocks and the per-process/thread CPU clocks (negative ids, as clock_getcpuclockid builds them). */
function validClock(clock: number): boolean {
  return clock in CLOCK_ID || clock < 0;
}

/** CLOCK_REALTIME and its kin (COARSE, ALARM, TAI) run at the wall clock of the run's start plus virtual time. */
const REALTIME_CLOCKS = new Set([CLOCK_REALTIME, CLOCK_REALTIME_COARSE, 8, 11]);

export function realtimeNs(s: Sys): number {
  return (s.host.realtimeOffsetNs ?? 0) + s.host.nowNs();
}

function clockNs(s: Sys, clock: number): number {
  return REALTIME_CLOCKS.has(clock) ? realtimeNs(s) : s.host.nowNs();
}

export function clockGettime(s: Sys): number {
  const clock = s.int(0);
  if (!validClock(clock)) return -E.EINVAL;
  s.write(s.u64(1), encodeTimespec(clockNs(s, clock)));
  return 0;
}

/** Coarse clocks tick with the 4 ms jiffy (HZ=250), the others resolve to 1 ns. */
export function clockGetres(s: Sys): number {
  const clock = s.int(0);
  if (!validClock(clock)) return -E.EINVAL;
  const res = clock === CLOCK_REALTIME_COARSE || clock === CLOCK_MONOTONIC_COARSE ? 4_000_000 : 1;
  if (s.u64(1) !== 0) s.write(s.u64(1), encodeTimespec(res));
  return 0;
}

export function gettimeofday(s: Sys): number {
  if (s.u64(0) !== 0) s.write(s.u64(0), encodeTimeval(realtimeNs(s)));
  if (s.u64(1) !== 0) s.write(s.u64(1), new Uint8Array(8));
  return 0;
}

export function time(s: Sys): number {
  const now = Math.floor(realtimeNs(s) / 1e9);
  if (s.u64(0) !== 0) {
    const b = Bytes.alloc(8);
    b.setU64(0, now);
    s.write(s.u64(0), b.bytes);
  }
  return now;
}

/** A sleep's length in ns from a timespec, or -1 when it is invalid. */
function requestNs(s: Sys, at: number): number {
  const { sec, nsec } = decodeTimespec(s.read(at, TIMESPEC_SIZE));
  return sec >= 0 && nsec >= 0 && nsec < 1e9 ? sec * 1e9 + nsec : -1;
}

/** Sleeps until virtual time `deadlineNs`: the reply is withheld; an idle machine jumps to the deadline. */
function sleepUntil(s: Sys, deadlineNs: number): number {
  if (deadlineNs <= s.host.nowNs()) return 0;
  return s.block([], { deadlineNs, timeoutResult: 0 });
}

export function nanosleep(s: Sys): number {
  const ns = requestNs(s, s.u64(0));
  return ns < 0 ? -E.EINVAL : sleepUntil(s, s.deadlineAfter(ns));
}

export function clockNanosleep(s: Sys): number {
  const clock = s.int(0), flags = s.int(1);
  // clock_nanosleep returns the error number itself, not -1 with errno.
  if (!validClock(clock) || clock === CLOCK_THREAD_CPUTIME_ID || flags & ~TIMER_ABSTIME) return -E.EINVAL;
  const ns = requestNs(s, s.u64(2));
  if (ns < 0) return -E.EINVAL;
  // An absolute time on a realtime clock is a wall-clock time: the deadline is on virtual time.
  const absolute = REALTIME_CLOCKS.has(clock) ? ns - (s.host.realtimeOffsetNs ?? 0) : ns;
  return sleepUntil(s, flags & TIMER_ABSTIME ? absolute : s.deadlineAfter(ns));
}

/** times(): all of the process's time is user time, in USER_HZ (100) ticks; returns ticks since boot. */
export function times(s: Sys): number {
  const ticks = Math.floor(s.host.nowNs() / 1e7);
  if (s.u64(0) !== 0) {
    const b = Bytes.alloc(TMS_SIZE);
    b.setU64(0, ticks);
    s.write(s.u64(0), b.bytes);
  }
  return ticks;
}
