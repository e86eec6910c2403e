// The Linux personality: turns one forwarded Linux syscall into file-server and memory work and a result, and a CPU fault into a signal.
// Errors are values: every guest-visible failure is -errno, a bad guest pointer is -EFAULT, never an exception.

import { RAX, type CpuState } from "../../cpu/state.ts";
import { ByteWriter } from "../../record/codec.ts";
import { PageFault } from "../../memory/address-space.ts";
import { E } from "../fs/errno.ts";
import { FD_LIMIT } from "../fs/file-server.ts";
import {
  GuestErrno, type LinuxProcess, type LinuxThread, newSyscallFrame, type PersonalityHost, Sys, type SyscallFrame, UnknownSyscallError,
} from "./context.ts";
import { FUTEX_BITSET_ALL, futexWake } from "./futex.ts";
import { captureSyscall, formatResult as formatResultText, type Phase, renderSyscall } from "./format.ts";
import { syscallName } from "./names.ts";
import { defaultRlimits, terminate } from "./process.ts";
import { deliverDue, deliverFault, emptySigactions, nextRestarts, resetHandlers, signalFrom, signalsDue, sigreturnState } from "./signal.ts";
import { AnonFiles } from "./epoll.ts";
import { expireTimers, Timers } from "./timers.ts";
import { Waits } from "./wait.ts";
import { vsyscallCall } from "./vsyscall.ts";
import { VEC_GP, VEC_PF } from "../../hedron/abi.ts";
import { SocketWouldBlock, socketWaitKey } from "../net/stack.ts";

const SIGCHLD = 17, CLD_EXITED = 1, CLD_KILLED = 2;
/** Length of the `syscall` instruction: a restarted call re-executes it. */
const SYSCALL_LENGTH = 2;
import { BY_NUMBER, type SyscallRow } from "./table.ts";

export type { LinuxProcess, LinuxThread, PersonalityHost, SyscallFrame, TaskHost, TerminalInfo, Vma } from "./context.ts";
export { BLOCKED } from "./context.ts";
export { newSyscallFrame, setSyscallArg, UnknownSyscallError } from "./context.ts";
export type { SyscallRow } from "./table.ts";

export interface ProcessParams {
  pid: number;
  ppid: number;
  space: LinuxProcess["space"];
  brkStart: number;
  mmapBase: number;
  cwd: string;
  execfn: string;
  /** The main thread's EC and CPU (0 for personality-only tests). */
  ec?: number;
  cpu?: number;
}

/** Syscalls an interrupted wait restarts under SA_RESTART (Linux's ERESTARTSYS paths). */
const RESTARTABLE = new Set([0, 1, 16, 17, 18, 19, 20, 61, 202, 247, 295, 296]);

function newThread(tid: number, ec: number, cpu: number, from?: LinuxThread): LinuxThread {
  return {
    tid, ec, cpu, clearChildTid: 0, robustList: 0,
    sigmaskLo: from?.sigmaskLo ?? 0, sigmaskHi: from?.sigmaskHi ?? 0,
    altstack: from ? { ...from.altstack } : { sp: 0, flags: 2, size: 0 },
    pending: [], blocked: null, suspendMask: null,
  };
}

export class LinuxPersonality {
  /** Syscalls without a row: number → name (from the full x86-64 list) and how often they came. */
  readonly unknown = new Map<number, { name: string; count: number }>();
  /** Every Linux process by pid (zombies until reaped). */
  readonly procs = new Map<number, LinuxProcess>();
  readonly waits = new Waits();
  readonly anon = new AnonFiles();
  readonly timers = new Timers();
  private readonly sys: Sys;

  constructor(readonly host: PersonalityHost) {
    this.sys = new Sys(host, this.waits, this.procs, this.anon, this.timers);
    host.fileServer.attach({
      // File times are wall-clock times, like CLOCK_REALTIME.
      nowNs: () => (host.realtimeOffsetNs ?? 0) + host.nowNs(),
      writeConsole: (stream, bytes) => host.writeConsole(stream, bytes),
      readStdin: (max) => host.readStdin(max),
      random: (bytes) => host.random(bytes),
      changed: (key) => this.waits.notify(key),
    });
    if (host.net) host.net.onChange = (id) => this.waits.notify(socketWaitKey(id));
  }

  /** A new process: its state record here and its FD table (stdin/stdout/stderr on 0–2) in the file server. */
  createProcess(p: ProcessParams): LinuxProcess {
    this.host.fileServer.createProcess(p.pid, p.cwd);
    const proc: LinuxProcess = {
      pid: p.pid,
      ppid: p.ppid,
      pgid: p.pid,
      sid: p.pid,
      threads: [newThread(p.pid, p.ec ?? 0, p.cpu ?? 0)],
      space: p.space,
      execfn: p.execfn,
      comm: p.execfn.slice(p.execfn.lastIndexOf("/") + 1).slice(0, 15),
      brkStart: p.brkStart,
      brk: p.brkStart,
      mmapBase: p.mmapBase,
      vmas: [],
      sigactions: emptySigactions(),
      rlimits: defaultRlimits(FD_LIMIT),
      exited: false,
      exitStatus: -1,
      killedBy: 0,
      reaped: false,
    };
    this.procs.set(proc.pid, proc);
    return proc;
  }

  /** fork: the child's record, a copy of the parent's with one thread (the caller's mask and stack), and its FD table. */
  forkProcess(parent: LinuxProcess, thread: LinuxThread, pid: number, ec: number, cpu: number, space: LinuxProcess["space"]): LinuxProcess {
    this.host.fileServer.forkProcess(parent.pid, pid);
    const child: LinuxProcess = {
      ...parent,
      pid, ppid: parent.pid, space,
      threads: [{ ...newThread(pid, ec, cpu, thread), robustList: thread.robustList }],
      vmas: parent.vmas.map((v) => ({ ...v })),
      sigactions: parent.sigactions.map((a) => ({ ...a })),
      rlimits: parent.rlimits.map(([cur, max]) => [cur, max] as [number, number]),
      exited: false, exitStatus: -1, killedBy: 0, reaped: false,
    };
    this.procs.set(pid, child);
    // A timerfd is a description the child shares; interval and POSIX timers are the parent's alone.
    return child;
  }

  /** A new thread of `proc` (clone with CLONE_THREAD): the creator's signal mask, no alternate stack. */
  addThread(proc: LinuxProcess, tid: number, ec: number, cpu: number, creator: LinuxThread): LinuxThread {
    const thread = newThread(tid, ec, cpu, creator);
    thread.altstack = { sp: 0, flags: 2, size: 0 };
    proc.threads.push(thread);
    return thread;
  }

  /**
   * A thread ends (exit of one of several, or its process's end): its child-tid word is cleared and one futex waiter
   * on it woken (pthread_join), and it leaves every wait queue.
   */
  removeThread(proc: LinuxProcess, thread: LinuxThread): void {
    if (thread.blocked) this.waits.remove(thread.tid, thread.blocked.keys);
    this.waits.remove(thread.tid, []);
    thread.blocked = null;
    if (thread.clearChildTid !== 0 && !proc.exited) {
      try {
        proc.space.write(thread.clearChildTid, new Uint8Array(4));
        futexWake(this.waits, proc, thread.clearChildTid, 1, FUTEX_BITSET_ALL);
      } catch (error) {
        if (!(error instanceof PageFault)) throw error;
      }
    }
    proc.threads.splice(proc.threads.indexOf(thread), 1);
  }

  /** execve succeeded: the new image's memory layout, default handlers, close-on-exec descriptors closed. */
  execReset(proc: LinuxProcess, brkStart: number, execfn: string): void {
    proc.brkStart = brkStart;
    proc.brk = brkStart;
    proc.vmas = [];
    // Re-executing through /proc/<pid>/exe runs that file again: the image keeps its real name (busybox does this).
    const via = /^\/proc\/(self|[0-9]+)\/exe$/.exec(execfn);
    const named = via ? (via[1] === "self" ? proc : this.procs.get(Number(via[1]))) : undefined;
    proc.execfn = named ? named.execfn : execfn;
    proc.comm = execfn.slice(execfn.lastIndexOf("/") + 1).slice(0, 15);
    resetHandlers(proc);
    this.timers.dropPosix(proc.pid);
    for (const t of proc.threads) t.altstack = { sp: 0, flags: 2, size: 0 };
    this.host.fileServer.execProcess(proc.pid);
    this.waits.notify(`vfork:${proc.pid}`);
  }

  /**
   * A process ended (its state says how): threads leave the wait queues, a vfork parent resumes, the parent is
   * told (SIGCHLD, its wait4 runs again), orphans lose their parent and nobody waits for a zombie of a non-Linux parent.
   */
  processExited(proc: LinuxProcess): void {
    for (const t of [...proc.threads]) this.removeThread(proc, t);
    this.timers.dropProcess(proc.pid);
    this.waits.notify(`vfork:${proc.pid}`);
    for (const child of this.procs.values()) {
      if (child.ppid !== proc.pid) continue;
      child.ppid = 1;
      if (child.exited) child.reaped = true;
    }
    const parent = this.procs.get(proc.ppid);
    if (!parent || parent.exited) {
      proc.reaped = true;
      return;
    }
    this.waits.notify(`child:${parent.pid}`);
    const { proc: savedProc, thread: savedThread, frame: savedFrame } = this.sys;
    this.sys.proc = proc;
    this.sys.frame = newSyscallFrame();
    signalFrom(this.sys, parent, SIGCHLD, proc.killedBy ? CLD_KILLED : CLD_EXITED);
    this.sys.proc = savedProc;
    this.sys.thread = savedThread;
    this.sys.frame = savedFrame;
  }

  /**
   * Runs one syscall: sets frame.result (and exited/exitStatus, fsBase/fsBaseChanged where the call does).
   * BLOCKED means the call waits (thread.blocked says for what). Throws UnknownSyscallError for a number without a
   * row when host.strict; otherwise that is -ENOSYS.
   */
  syscall(proc: LinuxProcess, thread: LinuxThread, frame: SyscallFrame): void {
    frame.fsBaseChanged = false;
    frame.exec = null;
    frame.threadExited = false;
    frame.restart = false;
    const row = BY_NUMBER[frame.nr];
    if (!row) {
      const name = syscallName(frame.nr);
      const entry = this.unknown.get(frame.nr);
      if (entry) entry.count++;
      else this.unknown.set(frame.nr, { name, count: 1 });
      frame.result = -E.ENOSYS;
      if (this.host.strict) throw new UnknownSyscallError(frame.nr, name, proc.pid);
      return;
    }
    this.sys.proc = proc;
    this.sys.thread = thread;
    this.sys.frame = frame;
    try {
      frame.result = row.handler(this.sys);
    } catch (error) {
      if (error instanceof PageFault) frame.result = -E.EFAULT;
      else if (error instanceof GuestErrno) frame.result = -error.errno;
      // The reply waits until the socket changes; the call then runs again from the start.
      else if (error instanceof SocketWouldBlock) frame.result = this.sys.block([socketWaitKey(error.socketId)]);
      else throw error;
    }
  }

  /**
   * The blocked call of `thread` is due: it finishes with the result something set (a wake, a signal, a timeout),
   * or runs again (and may block again).
   */
  resume(proc: LinuxProcess, thread: LinuxThread, frame: SyscallFrame): void {
    const b = thread.blocked;
    if (!b) throw new Error(`personality: thread ${thread.tid} has no blocked call to resume`);
    thread.blocked = null;
    this.waits.remove(thread.tid, b.keys);
    if (b.result === null) {
      this.sys.resumedDeadlineNs = b.deadlineNs;
      this.sys.resumedProgress = b.progress ?? 0;
      try {
        return this.syscall(proc, thread, frame);
      } finally {
        this.sys.resumedDeadlineNs = 0;
        this.sys.resumedProgress = 0;
      }
    }
    // A signal ends a pipe write that moved bytes already with their count, not EINTR (nor a restart).
    if (b.result === -E.EINTR && b.progress) b.result = b.progress;
    frame.fsBaseChanged = false;
    frame.exec = null;
    frame.threadExited = false;
    frame.result = b.result;
    frame.restart = b.result === -E.EINTR && RESTARTABLE.has(b.nr);
  }

  /** The blocked call of `thread` timed out. */
  timeout(thread: LinuxThread): void {
    const b = thread.blocked;
    if (!b || b.result !== null) return;
    b.result = b.timeoutResult;
    this.waits.remove(thread.tid, b.keys);
    this.waits.makeDue(thread.tid);
  }

  /**
   * Timers due by virtual time `now` act (signals, timerfd wake-ups); returns the threads running user code that
   * must be interrupted so a handler enters now.
   */
  expireTimers(now: number): LinuxThread[] {
    const { proc, thread, frame } = this.sys;
    this.sys.frame = newSyscallFrame();
    try {
      return expireTimers(this.sys, this.timers, now);
    } finally {
      this.sys.proc = proc;
      this.sys.thread = thread;
      this.sys.frame = frame;
    }
  }

  /** Virtual ns of the next timer that has to act, 0 = none. */
  nextTimerNs(): number {
    return this.timers.next((key) => this.waits.queues.has(key));
  }

  /** A recalled thread (a timer's signal is pending at it): enter the handlers; non-zero = the signal that kills it. */
  recalled(proc: LinuxProcess, thread: LinuxThread, regs: CpuState): number {
    return signalsDue(proc, thread) ? deliverDue(proc, thread, regs) : 0;
  }

  /** The Linux thread an EC runs, with its process. */
  threadOfEc(ec: number): { proc: LinuxProcess; thread: LinuxThread } | null {
    for (const proc of this.procs.values()) {
      const thread = proc.threads.find((t) => t.ec === ec);
      if (thread) return { proc, thread };
    }
    return null;
  }

  threadById(tid: number): { proc: LinuxProcess; thread: LinuxThread } | null {
    for (const proc of this.procs.values()) {
      if (proc.exited) continue;
      const thread = proc.threads.find((t) => t.tid === tid);
      if (thread) return { proc, thread };
    }
    return null;
  }

  /**
   * A CPU exception of the process, with its full register state: 0 when a handler was entered (`regs` now hold
   * the handler's entry state, to be written back), otherwise the signal that kills the process.
   */
  fault(proc: LinuxProcess, thread: LinuxThread, regs: CpuState, vector: number, errorCode: number, address: number): number {
    // A call into the legacy vsyscall page faults (#GP: it is above user space); Linux emulates it, so does the lab.
    const vsyscall = vector === VEC_GP || vector === VEC_PF ? vsyscallCall(proc.space, regs) : null;
    if (vsyscall) {
      this.syscall(proc, thread, vsyscall.frame);
      vsyscall.finish(vsyscall.frame.result);
      return 0;
    }
    return deliverFault(proc, thread, regs, vector, errorCode, address);
  }

  /** After syscall(): whether the return to user mode needs the full register state (returnToUser). */
  needsFullReturn(proc: LinuxProcess, thread: LinuxThread, frame: SyscallFrame): boolean {
    return !frame.exited && (frame.sigreturn || frame.exec !== null || signalsDue(proc, thread));
  }

  /**
   * The return to user mode with the full register state (rax = the result already): rt_sigreturn's restore, an
   * interrupted call's restart (SA_RESTART), then handlers of pending signals. A frame that cannot be read or
   * written kills the process with SIGSEGV.
   */
  returnToUser(proc: LinuxProcess, thread: LinuxThread, frame: SyscallFrame, regs: CpuState): void {
    this.sys.proc = proc;
    this.sys.thread = thread;
    this.sys.frame = frame;
    if (frame.restart && nextRestarts(proc, thread)) {
      regs.rip -= SYSCALL_LENGTH;
      regs.set(RAX, frame.nr);
    }
    const sig = frame.sigreturn && !sigreturnState(proc, thread, regs) ? 11 : deliverDue(proc, thread, regs);
    if (sig) terminate(this.sys, 128 + sig, sig);
  }

  describe(nr: number): SyscallRow | undefined {
    return BY_NUMBER[nr];
  }

  /** The syscall's name, also for numbers without a row. */
  nameOf(nr: number): string {
    return BY_NUMBER[nr]?.name ?? syscallName(nr);
  }

  /**
   * Appends the capture a syscall event's text is later rendered from (format.ts) to `w`: at "exit" after the call
   * (out-buffers then show their contents), at "entry" for a call that blocked.
   */
  capture(proc: LinuxProcess, frame: SyscallFrame, phase: Phase, w: ByteWriter): void {
    captureSyscall(BY_NUMBER[frame.nr], proc.space, frame, phase, w);
  }

  /** The decoded argument list alone (the event's `args`), rendered from a capture as the event's text is. */
  formatArgs(proc: LinuxProcess, frame: SyscallFrame, phase: Phase = "exit"): string {
    const w = new ByteWriter();
    this.capture(proc, frame, phase, w);
    return renderSyscall(w.finish()).args;
  }

  /** strace-like call text, e.g. `write(1, "hello\n", 6)`; call it after syscall() to see out-buffers. */
  formatCall(proc: LinuxProcess, frame: SyscallFrame, phase: Phase = "exit"): string {
    return `${this.nameOf(frame.nr)}(${this.formatArgs(proc, frame, phase)})`;
  }

  /** strace-like result text, e.g. `6` or `-1 ENOENT (No such file or directory)`. */
  formatResult(frame: SyscallFrame): string {
    return formatResultText(BY_NUMBER[frame.nr], frame);
  }
}
