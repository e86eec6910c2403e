// The personality's boundary types (host, syscall frame, process state) and the per-call view handlers use.
// Process state is plain data for snapshots; guest memory is reached only through the process's AddressSpace.

import { AddressSpace, PAGE_SIZE } from "../../memory/address-space.ts";
import { PATH_MAX } from "../fs/abi.ts";
import { E } from "../fs/errno.ts";
import type { FileServer } from "../fs/file-server.ts";
import type { NetStack } from "../net/stack.ts";
import type { AnonFiles } from "./epoll.ts";
import type { Timers } from "./timers.ts";
import type { Waits } from "./wait.ts";

/** Whether the CLI's streams are terminals, and the terminal size (absent: none of them is a terminal). */
export interface TerminalInfo {
  stdin: boolean;
  stdout: boolean;
  stderr: boolean;
  rows: number;
  cols: number;
}

export interface PersonalityHost {
  fileServer: FileServer;
  /** Guest fd 1/2 output when not redirected. */
  /** False when the host end is closed (the write fails with EPIPE). */
  writeConsole(stream: "stdout" | "stderr", bytes: Uint8Array): boolean;
  /** Blocking read of the CLI's stdin; an empty array is end of file. */
  readStdin(max: number): Uint8Array;
  /** Virtual time in ns (from virtual cycles). */
  nowNs(): number;
  /** CLOCK_REALTIME minus virtual time: the host's wall clock when the run started (recorded); absent = 1970. */
  realtimeOffsetNs?: number;
  /** Seeded PRNG for getrandom, /dev/urandom and AT_RANDOM. */
  random(bytes: Uint8Array): void;
  /** An unknown syscall stops the run (UnknownSyscallError). */
  strict: boolean;
  /** Optional extensions: terminal streams (default: none) and virtual CPU count (default 1). */
  terminal?: TerminalInfo;
  cpus?: number;
  /** The network service the socket calls use (absent: they fail as an engine error). */
  net?: NetStack;
  /** Processes and threads as Hedron objects (the roottask); without it fork, clone and execve are ENOSYS. */
  tasks?: TaskHost;
}

/** What the roottask does for the personality: every Linux process is a foreign PD, every thread an EC with its SC. */
export interface TaskHost {
  /** A new process whose memory is a copy of the caller's (fork, vfork, clone without CLONE_VM); pid or -errno. */
  fork(parent: LinuxProcess, thread: LinuxThread, stack: number, tls: number | null): number;
  /** A new thread in the caller's process (clone with CLONE_THREAD); tid or -errno. */
  spawnThread(proc: LinuxProcess, thread: LinuxThread, stack: number, tls: number | null): number;
  /** execve: replaces the image of the caller's process in place (frame.exec set); 0 or -errno. */
  exec(proc: LinuxProcess, thread: LinuxThread, path: string, argv: string[], envp: string[]): number;
  /** Ends another process (a fatal signal from outside), or the calling one's other threads. */
  terminate(proc: LinuxProcess, status: number, signal: number): void;
  /** Recalls a thread that runs user code, so signals pending at it are delivered now (not at its next syscall). */
  interrupt?(proc: LinuxProcess, thread: LinuxThread): void;
}

/** A handler's result meaning "the call waits": the roottask withholds the reply (BlockedCall says for what). */
export const BLOCKED = -0x10000;

export interface SyscallFrame {
  nr: number;
  /** The six arguments as unsigned doubles (exact below 2^53). */
  args: Float64Array;
  /** The same arguments as exact 32-bit halves. */
  argsLo: Int32Array;
  argsHi: Int32Array;
  rip: number;
  rsp: number;
  fsBase: number;
  gsBase: number;
  /** rax to write back (negative = -errno). */
  result: number;
  /** Set ≥ 0 (with `exited`) by exit, exit_group or a fatal signal. */
  exitStatus: number;
  exited: boolean;
  /** arch_prctl(ARCH_SET_FS) changed fsBase. */
  fsBaseChanged: boolean;
  /** rt_sigreturn: the roottask must restore the full register state from the signal frame. */
  sigreturn: boolean;
  /** execve replaced the image: the thread starts at `entry` with stack `stack` and every other register zero. */
  exec: { entry: number; stack: number } | null;
  /** exit (not exit_group) of one thread of several: only this thread ends. */
  threadExited: boolean;
  /** A wait a signal interrupted: under SA_RESTART the call starts again after the handler. */
  restart: boolean;
}

export function newSyscallFrame(): SyscallFrame {
  return {
    nr: 0, args: new Float64Array(6), argsLo: new Int32Array(6), argsHi: new Int32Array(6), rip: 0, rsp: 0,
    fsBase: 0, gsBase: 0, result: 0, exitStatus: -1, exited: false, fsBaseChanged: false, sigreturn: false, exec: null,
    threadExited: false, restart: false,
  };
}

/** Sets argument `i` from a register's 32-bit halves, keeping the three views consistent. */
export function setSyscallArg(frame: SyscallFrame, i: number, lo: number, hi: number): void {
  frame.argsLo[i] = lo;
  frame.argsHi[i] = hi;
  frame.args[i] = (lo >>> 0) + (hi >>> 0) * 4294967296;
}

/** A mapping the personality made (mmap, brk); pages the loader mapped are not listed but are respected. */
export interface Vma {
  start: number;
  end: number;
  prot: number;
  flags: number;
  name: string;
}

export interface SigAction {
  handler: number;
  flags: number;
  restorer: number;
  maskLo: number;
  maskHi: number;
}

/** A signal raised but not yet delivered: si_code and sender as its siginfo will show them. */
export interface PendingSignal {
  sig: number;
  code: number;
  pid: number;
  /** A POSIX timer's signal (SI_TIMER): its id, overruns and sigev_value. */
  timer?: { id: number; overrun: number; value: number };
}

/** A Linux thread: an EC (with its SC) in the process's PD; signal mask, alternate stack and blocking are per thread. */
export interface LinuxThread {
  tid: number;
  /** The kernel EC that runs it. */
  ec: number;
  cpu: number;
  clearChildTid: number;
  robustList: number;
  sigmaskLo: number;
  sigmaskHi: number;
  altstack: { sp: number; flags: number; size: number };
  /** Signals raised at this thread (or at the process and picked for it) but not delivered yet. */
  pending: PendingSignal[];
  /** The syscall whose reply the roottask withholds while the thread waits, or null. */
  blocked: BlockedCall | null;
  /** While in rt_sigsuspend: the mask to restore once a handler has run. */
  suspendMask: [number, number] | null;
}

/**
 * A blocked syscall as data: what wakes it, and — once something finished it from outside (a futex wake, a signal,
 * a timeout, a vfork child's exec) — the result to return instead of running the call again.
 */
export interface BlockedCall {
  nr: number;
  /** Wake keys ("pipe:INO", "child:PID", "futex:PD:ADDR" …): a notify on one runs the call again. */
  keys: string[];
  result: number | null;
  /** Virtual time (ns) when the call times out with `timeoutResult`; 0 = never. */
  deadlineNs: number;
  timeoutResult: number;
  /** Interruptible by a signal with a handler (EINTR, or a restart under SA_RESTART). */
  interruptible: boolean;
  /** Bytes a pipe write already moved before it waited (set only then): what a signal makes it return. */
  progress?: number;
}

export interface LinuxProcess {
  pid: number;
  ppid: number;
  pgid: number;
  sid: number;
  /** Its threads; the first is the thread group leader (tid = pid) while it lives. */
  threads: LinuxThread[];
  space: AddressSpace;
  execfn: string;
  /** The thread name (prctl PR_SET_NAME), at most 15 bytes; starts as the executable's base name. */
  comm: string;
  brkStart: number;
  /** Current program break as the guest set it; pages up to it (rounded up) are mapped. */
  brk: number;
  /** Top of the mmap area: the allocator hands out the highest free range below it. */
  mmapBase: number;
  /** Sorted by start, non-overlapping. */
  vmas: Vma[];
  /** Index = signal number (1–64). */
  sigactions: SigAction[];
  /** [soft, hard] per RLIMIT_*; -1 = RLIM_INFINITY. */
  rlimits: [number, number][];
  exited: boolean;
  exitStatus: number;
  /** The signal that killed the process, 0 if it exited normally. */
  killedBy: number;
  /** The parent collected its exit status (wait4/waitid): the zombie is gone. */
  reaped: boolean;
}

/** A guest-visible failure raised deep in argument decoding; the dispatcher returns -errno. */
export class GuestErrno extends Error {
  constructor(readonly errno: number) {
    super(`errno ${errno}`);
  }
}

/** Thrown in strict mode for a syscall without a table row; the roottask stops the run naming it. */
export class UnknownSyscallError extends Error {
  constructor(readonly nr: number, readonly syscallName: string, readonly pid: number) {
    super(`process ${pid} made syscall ${nr} (${syscallName}), which the Linux personality does not implement`);
  }
}

const decoder = new TextDecoder();

/** The argument view one handler call sees; reused across calls (no allocation per syscall). */
export class Sys {
  proc!: LinuxProcess;
  thread!: LinuxThread;
  frame!: SyscallFrame;

  constructor(
    readonly host: PersonalityHost,
    readonly waits: Waits,
    /** Every Linux process by pid, zombies included until reaped. */
    readonly procs: Map<number, LinuxProcess>,
    /** State of the epoll and eventfd descriptions. */
    readonly anon: AnonFiles,
    /** Interval timers, POSIX timers and timerfds. */
    readonly timers: Timers,
  ) {}

  /** While a blocked call runs again: the deadline it set the first time (a timeout counts from the first call). */
  resumedDeadlineNs = 0;

  /** While a blocked call runs again: the bytes it moved before it blocked (a pipe write's progress). */
  resumedProgress = 0;

  /** The deadline `ns` from now, or the one the call set before it blocked. */
  deadlineAfter(ns: number): number {
    return this.resumedDeadlineNs > 0 ? this.resumedDeadlineNs : this.host.nowNs() + ns;
  }

  /** Blocks the call until a notify on one of `keys` (it then runs again), a timeout or a signal. */
  block(keys: string[], opts: { deadlineNs?: number; timeoutResult?: number; interruptible?: boolean; progress?: number } = {}): number {
    this.thread.blocked = {
      nr: this.frame.nr, keys, result: null, deadlineNs: opts.deadlineNs ?? 0, timeoutResult: opts.timeoutResult ?? 0,
      interruptible: opts.interruptible ?? true,
    };
    if (opts.progress) this.thread.blocked.progress = opts.progress;
    this.waits.enqueue(this.thread.tid, keys);
    return BLOCKED;
  }

  get fs(): FileServer {
    return this.host.fileServer;
  }

  get pid(): number {
    return this.proc.pid;
  }

  /** A C int argument: the low 32 bits, signed (the kernel ignores the upper half). */
  int(i: number): number {
    return this.frame.argsLo[i];
  }

  uint(i: number): number {
    return this.frame.argsLo[i] >>> 0;
  }

  /** An unsigned long / size_t / pointer argument. */
  u64(i: number): number {
    return this.frame.args[i];
  }

  /** A signed long / off_t argument. */
  s64(i: number): number {
    return this.frame.argsHi[i] * 4294967296 + (this.frame.argsLo[i] >>> 0);
  }

  /** Guest bytes; every page is checked before anything is allocated, so a wild length is just EFAULT. */
  read(addr: number, len: number): Uint8Array {
    const space = this.proc.space;
    for (let at = addr; at < addr + len; at = (Math.floor(at / PAGE_SIZE) + 1) * PAGE_SIZE) space.translate(at, 0);
    return space.read(addr, len);
  }

  write(addr: number, bytes: Uint8Array): void {
    this.proc.space.write(addr, bytes);
  }

  /** A NUL-terminated path argument; ENAMETOOLONG past PATH_MAX, PageFault (→ EFAULT) on a bad pointer. */
  path(i: number): string {
    return decoder.decode(readCString(this.proc.space, this.u64(i), PATH_MAX));
  }
}

/** Reads a C string a page at a time; GuestErrno(ENAMETOOLONG) when no NUL comes within `max` bytes. */
export function readCString(space: AddressSpace, addr: number, max: number): Uint8Array {
  const parts: Uint8Array[] = [];
  let total = 0;
  while (total < max) {
    const at = addr + total;
    const phys = space.translate(at, 0);
    const chunk = Math.min(PAGE_SIZE - (at % PAGE_SIZE), max - total);
    const page = space.frames.bytes.subarray(phys, phys + chunk);
    const nul = page.indexOf(0);
    if (nul >= 0) {
      parts.push(page.slice(0, nul));
      total += nul;
      const out = new Uint8Array(total);
      let off = 0;
      for (const p of parts) {
        out.set(p, off);
        off += p.length;
      }
      return out;
    }
    parts.push(page.slice());
    total += chunk;
  }
  throw new GuestErrno(E.ENAMETOOLONG);
}
