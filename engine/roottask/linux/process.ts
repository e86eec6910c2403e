// Process syscalls: exit, ids, thread-setup calls musl and glibc make at start, arch_prctl, resource limits.
// Processes and threads are Hedron objects the roottask creates (TaskHost); the caller is root (uid/gid 0).

import { USER_LIMIT } from "../../memory/address-space.ts";
import { E } from "../fs/errno.ts";
import { ARCH_GET_FS, ARCH_GET_GS, ARCH_SET_FS, RLIM_NLIMITS } from "./abi.ts";
import { BLOCKED, GuestErrno, readCString, type LinuxProcess, type Sys } from "./context.ts";
import { Bytes, RLIMIT_SIZE } from "./structs.ts";

/** Ends the process: exit status for a normal exit, or 128 + signal with `signal` set when a signal killed it. */
export function terminate(s: Sys, status: number, signal: number): number {
  const proc = s.proc;
  proc.exited = true;
  proc.exitStatus = status;
  proc.killedBy = signal;
  s.frame.exited = true;
  s.frame.exitStatus = status;
  if (s.fs.processes.has(proc.pid)) s.fs.exitProcess(proc.pid);
  return 0;
}

/** exit_group: the whole process ends. */
export function exitGroup(s: Sys): number {
  return terminate(s, s.int(0) & 0xff, 0);
}

/** exit: only the calling thread ends, unless it is the last one. */
export function exit(s: Sys): number {
  if (s.proc.threads.length <= 1) return terminate(s, s.int(0) & 0xff, 0);
  s.frame.threadExited = true;
  return 0;
}

export function getpid(s: Sys): number {
  return s.proc.pid;
}

/** The parent pid a process sees (getppid, /proc): init (1) once its parent is gone. */
export function visibleParent(s: Sys, proc: LinuxProcess): number {
  const parent = s.procs.get(proc.ppid);
  return parent && !parent.exited ? proc.ppid : s.host.tasks ? 1 : proc.ppid;
}

export function getppid(s: Sys): number {
  return visibleParent(s, s.proc);
}

export function gettid(s: Sys): number {
  return s.thread.tid;
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

/** The live process `pid` names (0 = the caller), or null. */
function processOf(s: Sys, pid: number): LinuxProcess | null {
  if (pid === 0 || pid === s.proc.pid) return s.proc;
  const p = s.procs.get(pid);
  return p && !p.reaped ? p : null;
}

export function getpgid(s: Sys): number {
  const p = processOf(s, s.int(0));
  return p ? p.pgid : -E.ESRCH;
}

export function getsid(s: Sys): number {
  const p = processOf(s, s.int(0));
  return p ? p.sid : -E.ESRCH;
}

export function getpgrp(s: Sys): number {
  return s.proc.pgid;
}

/** setpgid: the caller or one of its children (not yet exec'd is not tracked), into a group of the same session. */
export function setpgid(s: Sys): number {
  const pid = s.int(0), pgid = s.int(1);
  if (pgid < 0) return -E.EINVAL;
  const p = processOf(s, pid);
  if (!p || (p !== s.proc && p.ppid !== s.proc.pid)) return -E.ESRCH;
  if (p.sid !== s.proc.sid) return -E.EPERM;
  if (p.pid === p.sid) return -E.EPERM;
  const group = pgid === 0 ? p.pid : pgid;
  if (group !== p.pid && ![...s.procs.values()].some((q) => !q.exited && q.pgid === group && q.sid === s.proc.sid)) return -E.EPERM;
  p.pgid = group;
  return 0;
}

/** setsid: a new session and group led by the caller, unless it already leads a group. */
export function setsid(s: Sys): number {
  const p = s.proc;
  if ([...s.procs.values()].some((q) => !q.exited && q.pgid === p.pid)) return -E.EPERM;
  p.pgid = p.pid;
  p.sid = p.pid;
  return p.pid;
}

export function setTidAddress(s: Sys): number {
  s.thread.clearChildTid = s.u64(0);
  return s.thread.tid;
}

const ROBUST_LIST_HEAD_SIZE = 24;

export function setRobustList(s: Sys): number {
  if (s.u64(1) !== ROBUST_LIST_HEAD_SIZE) return -E.EINVAL;
  s.thread.robustList = s.u64(0);
  return 0;
}

// ---- fork, clone, execve ----

const CLONE_VM = 0x100, CLONE_FS = 0x200, CLONE_FILES = 0x400, CLONE_SIGHAND = 0x800, CLONE_VFORK = 0x4000;
const CLONE_PARENT = 0x8000, CLONE_THREAD = 0x10000, CLONE_SETTLS = 0x80000, CLONE_PARENT_SETTID = 0x100000;
const CLONE_CHILD_CLEARTID = 0x200000, CLONE_CHILD_SETTID = 0x1000000;
const CLONE_SUPPORTED = 0xff | CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_VFORK | CLONE_PARENT | CLONE_THREAD |
  CLONE_SETTLS | CLONE_PARENT_SETTID | CLONE_CHILD_CLEARTID | CLONE_CHILD_SETTID | 0x400000 /* CLONE_DETACHED */ |
  0x80000000 /* CLONE_IO */ | 0x40000 /* CLONE_SYSVSEM */;
const SIGCHLD = 17;

function writeTid(s: Sys, at: number, tid: number, space = s.proc.space): void {
  const b = Bytes.alloc(4);
  b.setU32(0, tid);
  space.write(at, b.bytes);
}

/** The vfork parent waits (unkillably, as Linux's vfork_done) until the child execs or exits. */
function vforkWait(s: Sys, child: number): number {
  s.block([`vfork:${child}`], { interruptible: false });
  s.thread.blocked!.result = child;
  return BLOCKED;
}

function cloneCommon(s: Sys, flags: number, stack: number, parentTid: number, childTid: number, tls: number): number {
  const tasks = s.host.tasks;
  if (!tasks) return -E.ENOSYS;
  if (flags & ~CLONE_SUPPORTED) return -E.EINVAL;
  if (flags & CLONE_THREAD && (flags & (CLONE_VM | CLONE_SIGHAND)) !== (CLONE_VM | CLONE_SIGHAND)) return -E.EINVAL;
  if (flags & CLONE_SIGHAND && !(flags & CLONE_VM)) return -E.EINVAL;
  const tlsValue = flags & CLONE_SETTLS ? tls : null;
  if (flags & CLONE_THREAD) {
    const tid = tasks.spawnThread(s.proc, s.thread, stack, tlsValue);
    if (tid < 0) return tid;
    const thread = s.proc.threads.find((t) => t.tid === tid)!;
    if (flags & CLONE_PARENT_SETTID) writeTid(s, parentTid, tid);
    if (flags & CLONE_CHILD_SETTID) writeTid(s, childTid, tid);
    if (flags & CLONE_CHILD_CLEARTID) thread.clearChildTid = childTid;
    return tid;
  }
  // A new process: CLONE_VM without CLONE_THREAD (posix_spawn's vfork-style clone) also gets a copy, which the
  // child only uses until it execs; the parent then waits as with CLONE_VFORK.
  const pid = tasks.fork(s.proc, s.thread, stack, tlsValue);
  if (pid < 0) return pid;
  const child = s.procs.get(pid)!;
  if (flags & CLONE_PARENT) child.ppid = s.proc.ppid;
  if (flags & CLONE_PARENT_SETTID) writeTid(s, parentTid, pid);
  if (flags & CLONE_CHILD_SETTID) writeTid(s, childTid, pid, child.space);
  if (flags & CLONE_CHILD_CLEARTID) child.threads[0].clearChildTid = childTid;
  return flags & (CLONE_VFORK | CLONE_VM) ? vforkWait(s, pid) : pid;
}

export function fork(s: Sys): number {
  return cloneCommon(s, SIGCHLD, 0, 0, 0, 0);
}

export function vfork(s: Sys): number {
  return cloneCommon(s, CLONE_VM | CLONE_VFORK | SIGCHLD, 0, 0, 0, 0);
}

/** clone(flags, stack, parent_tid, child_tid, tls) — the x86-64 argument order. */
export function clone(s: Sys): number {
  return cloneCommon(s, s.uint(0), s.u64(1), s.u64(2), s.u64(3), s.u64(4));
}

/** clone3: glibc tries it first and falls back to clone on ENOSYS, as on kernels before 5.3. */
export function clone3(): number {
  return -E.ENOSYS;
}

/** A NULL-terminated array of string pointers (argv, envp). */
function stringArray(s: Sys, at: number): string[] {
  const out: string[] = [];
  if (at === 0) return out;
  for (let i = 0; ; i++) {
    if (i >= 0x20000) throw new GuestErrno(E.E2BIG);
    const ptr = s.proc.space.readU64(at + i * 8);
    if (ptr === 0) return out;
    out.push(new TextDecoder().decode(readCString(s.proc.space, ptr, 0x20000)));
  }
}

export function execve(s: Sys): number {
  if (!s.host.tasks) return -E.ENOSYS;
  const path = s.path(0);
  return s.host.tasks.exec(s.proc, s.thread, path, stringArray(s, s.u64(1)), stringArray(s, s.u64(2)));
}

export function execveat(s: Sys): number {
  if (!s.host.tasks) return -E.ENOSYS;
  const dirfd = s.int(0), path = s.path(1);
  if (s.int(4) & ~0x1100) return -E.EINVAL;
  let full = path;
  if (!path.startsWith("/")) {
    const base = dirfd === -100 ? s.fs.getcwd(s.pid) : s.fs.pathOfFd(s.pid, dirfd);
    if (typeof base === "number") return base;
    full = path === "" ? base : `${base === "/" ? "" : base}/${path}`;
  }
  return s.host.tasks.exec(s.proc, s.thread, full, stringArray(s, s.u64(2)), stringArray(s, s.u64(3)));
}

// ---- wait4 / waitid ----

const WNOHANG = 1, WEXITED = 4, WNOWAIT = 0x01000000, __WALL = 0x40000000, __WCLONE = 0x80000000;
const P_ALL = 0, P_PID = 1, P_PGID = 2, P_PIDFD = 3;
const CLD_EXITED = 1, CLD_KILLED = 2;

/** The children a wait selects: pid > 0 that one, -1 any, 0 the caller's group, < -1 group -pid. */
function waitable(s: Sys, pid: number): LinuxProcess[] {
  const out: LinuxProcess[] = [];
  for (const p of s.procs.values()) {
    if (p.ppid !== s.proc.pid || p.reaped) continue;
    if (pid > 0 ? p.pid === pid : pid === -1 ? true : pid === 0 ? p.pgid === s.proc.pgid : p.pgid === -pid) out.push(p);
  }
  return out;
}

/** The status word wait4 reports: exit code in bits 15:8, or the killing signal in bits 6:0. */
function waitStatus(p: LinuxProcess): number {
  return p.killedBy ? p.killedBy : (p.exitStatus & 0xff) << 8;
}

export function wait4(s: Sys): number {
  const pid = s.int(0), statusPtr = s.u64(1), options = s.uint(2), rusage = s.u64(3);
  if (options & ~(WNOHANG | 2 /* WUNTRACED */ | 8 /* WCONTINUED */ | __WALL | __WCLONE | 0x20000000 /* __WNOTHREAD */)) return -E.EINVAL;
  const children = waitable(s, pid);
  if (children.length === 0) return -E.ECHILD;
  const done = children.find((p) => p.exited);
  if (!done) return options & WNOHANG ? 0 : s.block([`child:${s.proc.pid}`]);
  if (statusPtr !== 0) {
    const b = Bytes.alloc(4);
    b.setU32(0, waitStatus(done));
    s.write(statusPtr, b.bytes);
  }
  if (rusage !== 0) s.write(rusage, new Uint8Array(RUSAGE_SIZE));
  done.reaped = true;
  return done.pid;
}

const SIGINFO_SIZE = 128;

export function waitid(s: Sys): number {
  const idtype = s.int(0), id = s.int(1), infop = s.u64(2), options = s.uint(3);
  if (!(options & WEXITED) || options & ~(WNOHANG | WEXITED | 2 | 8 | WNOWAIT | __WALL | __WCLONE | 0x20000000)) return -E.EINVAL;
  let pid: number;
  switch (idtype) {
    case P_ALL: pid = -1; break;
    case P_PID: if (id <= 0) return -E.EINVAL; pid = id; break;
    case P_PGID: if (id < 0) return -E.EINVAL; pid = id === 0 ? 0 : -id; break;
    case P_PIDFD: return -E.EINVAL;
    default: return -E.EINVAL;
  }
  const children = waitable(s, pid);
  if (children.length === 0) return -E.ECHILD;
  const done = children.find((p) => p.exited);
  if (!done && !(options & WNOHANG)) return s.block([`child:${s.proc.pid}`]);
  if (infop !== 0) {
    const b = Bytes.alloc(SIGINFO_SIZE);
    if (done) {
      b.setU32(0, SIGCHLD);
      b.setU32(8, done.killedBy ? CLD_KILLED : CLD_EXITED);
      b.setU32(16, done.pid);
      b.setU32(24, done.killedBy ? done.killedBy : done.exitStatus & 0xff);
    }
    s.write(infop, b.bytes);
  }
  if (done && !(options & WNOWAIT)) done.reaped = true;
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
  if (!processOf(s, pid)) return -E.ESRCH;
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
  if (pid !== 0 && pid !== s.proc.pid && !s.proc.threads.some((t) => t.tid === pid)) return -E.ESRCH;
  if (len < CPU_MASK_BYTES || len % CPU_MASK_BYTES !== 0) return -E.EINVAL;
  const mask = Bytes.alloc(CPU_MASK_BYTES);
  const cpus = Math.min(s.host.cpus ?? 1, 32);
  mask.setU32(0, cpus === 32 ? 0xffffffff : (1 << cpus) - 1);
  s.write(s.u64(2), mask.bytes);
  return CPU_MASK_BYTES;
}

export function schedSetaffinity(s: Sys): number {
  const pid = s.int(0);
  if (pid !== 0 && pid !== s.proc.pid && !s.proc.threads.some((t) => t.tid === pid)) return -E.ESRCH;
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

/** membarrier: every thread of a process already sees every store in program order here (CPUs interleave, never overlap). */
export function membarrier(s: Sys): number {
  const cmd = s.int(0);
  if (cmd === 0) return 1 | 8 | 16; // QUERY: GLOBAL, PRIVATE_EXPEDITED, REGISTER_PRIVATE_EXPEDITED
  return cmd === 1 || cmd === 8 || cmd === 16 ? 0 : -E.EINVAL;
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
