// The roottask's process table: pid, PD/EC/SC selectors, CPU, exit status and fault report of every app it started.
// Plain records keyed by pid (snapshots are data); the Linux side of a process lives in the personality's LinuxProcess.

import type { LinuxProcess } from "./linux/context.ts";

export type AppKind = "foreign" | "native" | "hybrid";

/** Why a process died of an exception it had no handler for (the CLI prints `text`; #UD bytes get disassembled). */
export interface FaultReport {
  pid: number;
  name: string;
  /** The exception vector; -1 for an image that could not be loaded ("exec"). */
  vector: number;
  /** "#PF", "#GP", "#UD" … or "exec" */
  kind: string;
  signal: number;
  /** Faulting address for #PF, the instruction address otherwise. */
  address: number;
  rip: number;
  errorCode: number;
  /** Up to 15 bytes at RIP (what was readable), for naming the instruction. */
  bytes: number[];
  text: string;
}

export interface Process {
  pid: number;
  ppid: number;
  name: string;
  kind: AppKind;
  cpu: number;
  /** First of the block of root selectors holding this process's PD, EC, SC and portals. */
  selBase: number;
  /** Kernel object ids (for events and the inspector). */
  pdId: number;
  ecId: number;
  entry: number;
  rsp: number;
  state: "running" | "exited";
  exitStatus: number;
  /** Signal that killed it, 0 if it exited. */
  signal: number;
  fault: FaultReport | null;
  linux: LinuxProcess | null;
  /** Next address the allocation service hands out (native apps). */
  allocNext: number;
}

export class ProcessTable {
  readonly procs = new Map<number, Process>();
  nextPid = 1;
  /** The pid of the first process started (the run's exit status is its status). */
  firstPid = 1;

  add(p: Omit<Process, "pid" | "state" | "exitStatus" | "signal" | "fault" | "linux">): Process {
    const proc: Process = { ...p, pid: this.nextPid++, state: "running", exitStatus: -1, signal: 0, fault: null, linux: null };
    this.procs.set(proc.pid, proc);
    return proc;
  }

  get(pid: number): Process {
    const p = this.procs.get(pid);
    if (!p) throw new Error(`roottask: no process ${pid}`);
    return p;
  }

  get running(): number {
    let n = 0;
    for (const p of this.procs.values()) if (p.state === "running") n++;
    return n;
  }
}

/** Linux signal numbers for the exceptions a process cannot survive without a handler. */
export const SIGNAL_OF_VECTOR: Record<number, number> = {
  0: 8 /* #DE → SIGFPE */, 1: 5 /* #DB → SIGTRAP */, 3: 5 /* #BP → SIGTRAP */, 4: 11, 5: 11, 6: 4 /* #UD → SIGILL */,
  7: 4, 13: 11 /* #GP → SIGSEGV */, 14: 11 /* #PF → SIGSEGV */, 16: 8 /* #MF → SIGFPE */, 17: 7 /* #AC → SIGBUS */,
  19: 8 /* #XM → SIGFPE */,
};

export const SIGNAL_NAMES: Record<number, string> = { 4: "SIGILL", 5: "SIGTRAP", 7: "SIGBUS", 8: "SIGFPE", 11: "SIGSEGV" };
