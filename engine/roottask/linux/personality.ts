// The Linux personality: turns one forwarded Linux syscall into file-server and memory work and a result, and a CPU fault into a signal.
// Errors are values: every guest-visible failure is -errno, a bad guest pointer is -EFAULT, never an exception.

import type { CpuState } from "../../cpu/state.ts";
import { PageFault } from "../../memory/address-space.ts";
import { E } from "../fs/errno.ts";
import { FD_LIMIT } from "../fs/file-server.ts";
import {
  GuestErrno, LinuxProcess, PersonalityHost, Sys, SyscallFrame, UnknownSyscallError,
} from "./context.ts";
import { formatArgs, formatResult as formatResultText, Phase } from "./format.ts";
import { syscallName } from "./names.ts";
import { defaultRlimits, terminate } from "./process.ts";
import { deliverDue, deliverFault, emptySigactions, signalsDue, sigreturnState } from "./signal.ts";
import { BY_NUMBER, SyscallRow } from "./table.ts";

export type { LinuxProcess, PersonalityHost, SyscallFrame, TerminalInfo, Vma } from "./context.ts";
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
}

export class LinuxPersonality {
  /** Syscalls without a row: number → name (from the full x86-64 list) and how often they came. */
  readonly unknown = new Map<number, { name: string; count: number }>();
  private readonly sys: Sys;

  constructor(readonly host: PersonalityHost) {
    this.sys = new Sys(host);
    host.fileServer.attach({
      nowNs: () => host.nowNs(),
      writeConsole: (stream, bytes) => host.writeConsole(stream, bytes),
      readStdin: (max) => host.readStdin(max),
      random: (bytes) => host.random(bytes),
    });
  }

  /** A new process: its state record here and its FD table (stdin/stdout/stderr on 0–2) in the file server. */
  createProcess(p: ProcessParams): LinuxProcess {
    this.host.fileServer.createProcess(p.pid, p.cwd);
    return {
      pid: p.pid,
      ppid: p.ppid,
      tid: p.pid,
      space: p.space,
      execfn: p.execfn,
      comm: p.execfn.slice(p.execfn.lastIndexOf("/") + 1).slice(0, 15),
      brkStart: p.brkStart,
      brk: p.brkStart,
      mmapBase: p.mmapBase,
      vmas: [],
      clearChildTid: 0,
      robustList: 0,
      sigactions: emptySigactions(),
      sigmaskLo: 0,
      sigmaskHi: 0,
      altstack: { sp: 0, flags: 2, size: 0 },
      pending: [],
      rlimits: defaultRlimits(FD_LIMIT),
      exited: false,
      exitStatus: -1,
      killedBy: 0,
    };
  }

  /**
   * Runs one syscall: sets frame.result (and exited/exitStatus, fsBase/fsBaseChanged where the call does).
   * Throws UnknownSyscallError for a number without a row when host.strict; otherwise that is -ENOSYS.
   */
  syscall(proc: LinuxProcess, frame: SyscallFrame): void {
    frame.fsBaseChanged = false;
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
    this.sys.frame = frame;
    try {
      frame.result = row.handler(this.sys);
    } catch (error) {
      if (error instanceof PageFault) frame.result = -E.EFAULT;
      else if (error instanceof GuestErrno) frame.result = -error.errno;
      else throw error;
    }
  }

  /**
   * A CPU exception of the process, with its full register state: 0 when a handler was entered (`regs` now hold
   * the handler's entry state, to be written back), otherwise the signal that kills the process.
   */
  fault(proc: LinuxProcess, regs: CpuState, vector: number, errorCode: number, address: number): number {
    return deliverFault(proc, regs, vector, errorCode, address);
  }

  /** After syscall(): whether the return to user mode needs the full register state (returnToUser). */
  needsFullReturn(proc: LinuxProcess, frame: SyscallFrame): boolean {
    return !frame.exited && (frame.sigreturn || signalsDue(proc));
  }

  /**
   * The return to user mode with the full register state (rax = the result already): rt_sigreturn's restore, then
   * handlers of pending signals. A frame that cannot be read or written kills the process with SIGSEGV.
   */
  returnToUser(proc: LinuxProcess, frame: SyscallFrame, regs: CpuState): void {
    this.sys.proc = proc;
    this.sys.frame = frame;
    const sig = frame.sigreturn && !sigreturnState(proc, regs) ? 11 : deliverDue(proc, regs);
    if (sig) terminate(this.sys, 128 + sig, sig);
  }

  describe(nr: number): SyscallRow | undefined {
    return BY_NUMBER[nr];
  }

  /** The syscall's name, also for numbers without a row. */
  nameOf(nr: number): string {
    return BY_NUMBER[nr]?.name ?? syscallName(nr);
  }

  /** The decoded argument list alone (the event's `args`); out-buffers show their contents at "exit". */
  formatArgs(proc: LinuxProcess, frame: SyscallFrame, phase: Phase = "exit"): string {
    return formatArgs(BY_NUMBER[frame.nr], proc.space, frame, phase);
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
