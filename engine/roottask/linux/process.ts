// Process syscalls: exit, ids, thread-setup calls musl and glibc make at start, arch_prctl, resource limits.
// One process, one thread for now: ids are fixed at creation and the caller is root (uid/gid 0).

import { USER_LIMIT } from "../../memory/address-space.ts";
import { E } from "../fs/errno.ts";
import { ARCH_GET_FS, ARCH_GET_GS, ARCH_SET_FS, RLIM_NLIMITS } from "./abi.ts";
import { readCString, type Sys } from "./context.ts";
import { Bytes, RLIMIT_SIZE } from "./structs.ts";

/** Ends the process: exit status for a normal exit, or 128 + signal with `signal` set when a signal killed it. */
export function terminate(s: Sys, status: number, signal: number): number {
  const proc = s.proc;
  proc.exited = true;
  proc.exitStatus = status;
  proc.killedBy = signal;
  s.frame.exited = true;
  s.frame.exitStatus = status;
  s.fs.exitProcess(proc.pid);
  return 0;
}

/** exit and exit_group are the same while a process has one thread. */
export function exit(s: Sys): number {
  return terminate(s, s.int(0) & 0xff, 0);
}

export function getpid(s: Sys): number {
  return s.proc.pid;
}

export function getppid(s: Sys): number {
  return s.proc.ppid;
}

export function gettid(s: Sys): number {
  return s.proc.tid;
}

/** getuid, geteuid, getgid, getegid, getgroups (an empty list): everything runs as root. */
export function getuid(): number {
  return 0;
}

export function getresuid(s: Sys): number {
  const zero = new Uint8Array(4);
  for (let i = 0; i < 3; i++) s.write(s.u64(i), zero);
  return 0;
}

/** getpgrp, getpgid(0 or self), getsid: each process leads its own group and session. */
export function getpgid(s: Sys): number {
  const pid = s.int(0);
  return pid === 0 || pid === s.proc.pid ? s.proc.pid : -E.ESRCH;
}

export function getpgrp(s: Sys): number {
  return s.proc.pid;
}

export function setpgid(s: Sys): number {
  const pid = s.int(0), pgid = s.int(1);
  if (pgid < 0) return -E.EINVAL;
  return pid === 0 || pid === s.proc.pid ? 0 : -E.ESRCH;
}

/** setsid: the caller already leads its process group, which Linux refuses. */
export function setsid(): number {
  return -E.EPERM;
}

export function setTidAddress(s: Sys): number {
  s.proc.clearChildTid = s.u64(0);
  return s.proc.tid;
}

const ROBUST_LIST_HEAD_SIZE = 24;

export function setRobustList(s: Sys): number {
  if (s.u64(1) !== ROBUST_LIST_HEAD_SIZE) return -E.EINVAL;
  s.proc.robustList = s.u64(0);
  return 0;
}

export function archPrctl(s: Sys): number {
  const code = s.int(0), addr = s.u64(1);
  const word = Bytes.alloc(8);
  switch (code) {
    case ARCH_SET_FS:
      if (addr >= USER_LIMIT) return -E.EPERM;
      s.frame.fsBase = addr;
      s.frame.fsBaseChanged = true;
      return 0;
    case ARCH_GET_FS:
      word.setU64(0, s.frame.fsBase);
      s.write(addr, word.bytes);
      return 0;
    case ARCH_GET_GS:
      word.setU64(0, s.frame.gsBase);
      s.write(addr, word.bytes);
      return 0;
    default:
      // ARCH_SET_GS needs a way to hand a new GS base back to the roottask; the frame has none yet.
      return -E.EINVAL;
  }
}

/** Linux's limits for a fresh process; -1 is RLIM_INFINITY. */
export function defaultRlimits(fdLimit: number): [number, number][] {
  const limits: [number, number][] = [];
  for (let i = 0; i < RLIM_NLIMITS; i++) limits.push([-1, -1]);
  limits[3] = [8 << 20, -1]; // RLIMIT_STACK
  limits[4] = [0, -1]; // RLIMIT_CORE
  limits[7] = [fdLimit, fdLimit]; // RLIMIT_NOFILE
  limits[8] = [8 << 20, 8 << 20]; // RLIMIT_MEMLOCK
  limits[13] = [0, 0]; // RLIMIT_NICE
  limits[14] = [0, 0]; // RLIMIT_RTPRIO
  return limits;
}

const asUnsigned = (v: number) => (v < 0 ? Infinity : v);

/** The shared part of prlimit64/getrlimit/setrlimit. */
function rlimit(s: Sys, resource: number, newPtr: number, oldPtr: number): number {
  if (resource < 0 || resource >= RLIM_NLIMITS) return -E.EINVAL;
  let next: [number, number] | null = null;
  if (newPtr !== 0) {
    const b = new Bytes(s.read(newPtr, RLIMIT_SIZE));
    const cur = b.u64(0) >= 2 ** 64 - 1 ? -1 : b.u64(0);
    const max = b.u64(8) >= 2 ** 64 - 1 ? -1 : b.u64(8);
    if (asUnsigned(cur) > asUnsigned(max)) return -E.EINVAL;
    next = [cur, max];
  }
  if (oldPtr !== 0) {
    const [cur, max] = s.proc.rlimits[resource];
    const b = Bytes.alloc(RLIMIT_SIZE);
    b.setU64(0, cur);
    b.setU64(8, max);
    s.write(oldPtr, b.bytes);
  }
  if (next) s.proc.rlimits[resource] = next;
  return 0;
}

export function prlimit64(s: Sys): number {
  const pid = s.int(0);
  if (pid !== 0 && pid !== s.proc.pid) return -E.ESRCH;
  return rlimit(s, s.int(1), s.u64(2), s.u64(3));
}

export function getrlimit(s: Sys): number {
  return rlimit(s, s.int(0), 0, s.u64(1));
}

export function setrlimit(s: Sys): number {
  return rlimit(s, s.int(0), s.u64(1), 0);
}

const CPU_MASK_BYTES = 8;

export function schedGetaffinity(s: Sys): number {
  const pid = s.int(0), len = s.uint(1);
  if (pid !== 0 && pid !== s.proc.pid) return -E.ESRCH;
  if (len < CPU_MASK_BYTES || len % CPU_MASK_BYTES !== 0) return -E.EINVAL;
  const mask = Bytes.alloc(CPU_MASK_BYTES);
  const cpus = Math.min(s.host.cpus ?? 1, 32);
  mask.setU32(0, cpus === 32 ? 0xffffffff : (1 << cpus) - 1);
  s.write(s.u64(2), mask.bytes);
  return CPU_MASK_BYTES;
}

export function schedSetaffinity(s: Sys): number {
  const pid = s.int(0);
  if (pid !== 0 && pid !== s.proc.pid) return -E.ESRCH;
  s.read(s.u64(2), Math.min(s.uint(1), CPU_MASK_BYTES));
  return 0;
}

/**
 * rseq: restartable sequences are not modelled. Linux built without CONFIG_RSEQ answers ENOSYS, and glibc
 * (which registers rseq at start) falls back silently — so this is a known answer, not an unknown syscall.
 */
export function rseq(): number {
  return -E.ENOSYS;
}

export function schedYield(): number {
  return 0;
}

/** wait4/waitid: there is no fork yet, so a process never has children. */
export function wait4(): number {
  return -E.ECHILD;
}

const PR_GET_DUMPABLE = 3, PR_SET_DUMPABLE = 4, PR_SET_NAME = 15, PR_GET_NAME = 16;
const TASK_COMM_LEN = 16;

/** prctl: the thread name and the dumpable flag; other options are not modelled (EINVAL, as for unknown ones). */
export function prctl(s: Sys): number {
  switch (s.int(0)) {
    case PR_SET_NAME: {
      const raw = readCString(s.proc.space, s.u64(1), TASK_COMM_LEN * 4);
      s.proc.comm = new TextDecoder().decode(raw.subarray(0, TASK_COMM_LEN - 1));
      return 0;
    }
    case PR_GET_NAME: {
      const out = new Uint8Array(TASK_COMM_LEN);
      out.set(new TextEncoder().encode(s.proc.comm).subarray(0, TASK_COMM_LEN - 1));
      s.write(s.u64(1), out);
      return 0;
    }
    case PR_GET_DUMPABLE: return 1;
    case PR_SET_DUMPABLE: return s.u64(1) <= 1 ? 0 : -E.EINVAL;
    default: return -E.EINVAL;
  }
}

const RUSAGE_SIZE = 144;

/** getrusage: user time = virtual time so far (all guest time is user time); the rest is zero. */
export function getrusage(s: Sys): number {
  const who = s.int(0);
  if (who !== 0 && who !== -1 && who !== 1) return -E.EINVAL;
  const b = Bytes.alloc(RUSAGE_SIZE);
  if (who !== -1) {
    const ns = s.host.nowNs();
    b.setU64(0, Math.floor(ns / 1e9));
    b.setU64(8, Math.floor((ns % 1e9) / 1000));
  }
  s.write(s.u64(1), b.bytes);
  return 0;
}
