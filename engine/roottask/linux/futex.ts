// futex: wait queues per (process, address) kept as data in Waits; a wait withholds the reply, a wake finishes it.
// Time-outs run on virtual time, so two runs wake the same waiters at the same instruction.

import { E } from "../fs/errno.ts";
import { BLOCKED, type LinuxProcess, type Sys } from "./context.ts";
import { Bytes, decodeTimespec, TIMESPEC_SIZE } from "./structs.ts";
import type { Waits } from "./wait.ts";

export const FUTEX_BITSET_ALL = 0xffffffff;
const FUTEX_WAIT = 0, FUTEX_WAKE = 1, FUTEX_REQUEUE = 3, FUTEX_CMP_REQUEUE = 4, FUTEX_WAKE_OP = 5;
const FUTEX_WAIT_BITSET = 9, FUTEX_WAKE_BITSET = 10;
const FUTEX_PRIVATE_FLAG = 128, FUTEX_CLOCK_REALTIME = 256;

/** Every futex word is private to its process here: no memory is shared between PDs. */
const futexKey = (proc: LinuxProcess, addr: number) => `${proc.pid}:${addr}`;

/** Wakes up to `count` waiters of the word whose bitset meets `bitset`: their FUTEX_WAIT returns 0. */
export function futexWake(waits: Waits, proc: LinuxProcess, addr: number, count: number, bitset: number): number {
  const key = futexKey(proc, addr);
  const list = waits.futexes.get(key);
  if (!list) return 0;
  let woken = 0;
  for (let i = 0; i < list.length && woken < count; ) {
    const w = list[i];
    if ((w.bitset & bitset) === 0) {
      i++;
      continue;
    }
    list.splice(i, 1);
    const thread = proc.threads.find((t) => t.tid === w.tid);
    if (thread?.blocked && thread.blocked.result === null) {
      thread.blocked.result = 0;
      waits.makeDue(thread.tid);
    }
    woken++;
  }
  if (list.length === 0) waits.futexes.delete(key);
  return woken;
}

/** Moves up to `count` waiters from one word to another (FUTEX_REQUEUE). */
function requeue(waits: Waits, proc: LinuxProcess, from: number, to: number, count: number): number {
  const list = waits.futexes.get(futexKey(proc, from));
  if (!list || count <= 0) return 0;
  const moved = list.splice(0, count);
  if (list.length === 0) waits.futexes.delete(futexKey(proc, from));
  const dest = waits.futexes.get(futexKey(proc, to));
  if (dest) dest.push(...moved);
  else waits.futexes.set(futexKey(proc, to), moved);
  return moved.length;
}

function readWord(s: Sys, addr: number): number {
  if (addr % 4 !== 0) return -E.EINVAL;
  return new Bytes(s.read(addr, 4)).u32(0);
}

function wait(s: Sys, addr: number, expected: number, timeout: number, absolute: boolean, bitset: number): number {
  if (bitset === 0) return -E.EINVAL;
  const word = readWord(s, addr);
  if (word < 0) return word;
  if (word !== expected >>> 0) return -E.EAGAIN;
  let deadlineNs = 0;
  if (timeout !== 0) {
    const { sec, nsec } = decodeTimespec(s.read(timeout, TIMESPEC_SIZE));
    if (sec < 0 || nsec < 0 || nsec >= 1e9) return -E.EINVAL;
    const now = s.host.nowNs();
    deadlineNs = absolute ? sec * 1e9 + nsec : now + sec * 1e9 + nsec;
    if (deadlineNs <= now) return -E.ETIMEDOUT;
  }
  const result = s.block([], { deadlineNs, timeoutResult: -E.ETIMEDOUT });
  const key = futexKey(s.proc, addr);
  const entry = { tid: s.thread.tid, bitset };
  const list = s.waits.futexes.get(key);
  if (list) list.push(entry);
  else s.waits.futexes.set(key, [entry]);
  return result === BLOCKED ? BLOCKED : result;
}

/** FUTEX_WAKE_OP's operation on the second word, and its comparison of the old value. */
function wakeOp(s: Sys, addr2: number, encoded: number): { ok: boolean } | number {
  const old = readWord(s, addr2);
  if (old < 0) return old;
  const op = (encoded >>> 28) & 0xf, cmp = (encoded >>> 24) & 0xf;
  let oparg = (encoded >>> 12) & 0xfff;
  const cmparg = encoded & 0xfff;
  if (op & 8) oparg = 1 << (oparg & 31);
  let next: number;
  switch (op & 7) {
    case 0: next = oparg; break; // SET
    case 1: next = old + oparg; break; // ADD
    case 2: next = old | oparg; break; // OR
    case 3: next = old & ~oparg; break; // ANDN
    case 4: next = old ^ oparg; break; // XOR
    default: return -E.ENOSYS;
  }
  const b = Bytes.alloc(4);
  b.setU32(0, next >>> 0);
  s.write(addr2, b.bytes);
  const signedOld = old | 0;
  const ok = [signedOld === cmparg, signedOld !== cmparg, signedOld < cmparg, signedOld <= cmparg, signedOld > cmparg, signedOld >= cmparg][cmp];
  if (ok === undefined) return -E.ENOSYS;
  return { ok };
}

/** futex(uaddr, op, val, timeout | val2, uaddr2, val3). */
export function futex(s: Sys): number {
  const addr = s.u64(0), op = s.int(1), val = s.int(2), timeout = s.u64(3), addr2 = s.u64(4), val3 = s.uint(5);
  const cmd = op & ~(FUTEX_PRIVATE_FLAG | FUTEX_CLOCK_REALTIME);
  if (op & FUTEX_CLOCK_REALTIME && cmd !== FUTEX_WAIT_BITSET && cmd !== FUTEX_WAIT) return -E.ENOSYS;
  const count = val < 0 ? 0x7fffffff : val;
  switch (cmd) {
    case FUTEX_WAIT: return wait(s, addr, val, timeout, false, FUTEX_BITSET_ALL);
    case FUTEX_WAIT_BITSET: return wait(s, addr, val, timeout, true, val3);
    case FUTEX_WAKE: return addr % 4 ? -E.EINVAL : futexWake(s.waits, s.proc, addr, count, FUTEX_BITSET_ALL);
    case FUTEX_WAKE_BITSET: return val3 === 0 ? -E.EINVAL : futexWake(s.waits, s.proc, addr, count, val3);
    case FUTEX_REQUEUE: case FUTEX_CMP_REQUEUE: {
      if (cmd === FUTEX_CMP_REQUEUE) {
        const word = readWord(s, addr);
        if (word < 0) return word;
        if (word !== val3) return -E.EAGAIN;
      }
      const moveMax = Math.min(timeout, 0x7fffffff);
      const woken = futexWake(s.waits, s.proc, addr, count, FUTEX_BITSET_ALL);
      return woken + requeue(s.waits, s.proc, addr, addr2, moveMax);
    }
    case FUTEX_WAKE_OP: {
      const r = wakeOp(s, addr2, val3);
      if (typeof r === "number") return r;
      const n = futexWake(s.waits, s.proc, addr, count, FUTEX_BITSET_ALL);
      return n + (r.ok ? futexWake(s.waits, s.proc, addr2, Math.min(timeout, 0x7fffffff), FUTEX_BITSET_ALL) : 0);
    }
    default: return -E.ENOSYS;
  }
}
