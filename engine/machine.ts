// The machine: frame pool, virtual CPUs, the Hedron kernel model, devices and the roottask (with the Linux personality), wired.
// Deterministic: guest-visible time is virtual, the PRNG is seeded; host time appears only in events and stats.

import { Cpu, DEFAULT_JIT_MODE, type JitMode } from "./cpu/cpu.ts";
import { DebugCon } from "./devices/debugcon.ts";
import { Framebuffer } from "./devices/framebuffer.ts";
import { SerialPort } from "./devices/serial.ts";
import { VirtualTimer } from "./devices/timer.ts";
import { VgaText } from "./devices/vga.ts";
import type { ConsoleListener, ConsoleStream, EventListener, RawEventSink } from "./events.ts";
import { HYPERCALL_NAMES, vectorName } from "./hedron/abi.ts";
import { COST_TABLE, costsByKind, type CallKindCost } from "./hedron/costs.ts";
import { Kernel } from "./hedron/kernel.ts";
import { FramePool } from "./memory/frames.ts";
import type { HostIo } from "./roottask/fs/host.ts";
import type { DiskConfig } from "./roottask/fat/disk.ts";
import type { FaultReport, Process } from "./roottask/process.ts";
import { ENVIRONMENT, MANIFEST, Roottask, type ManifestApp } from "./roottask/roottask.ts";
import { SocketFile } from "./roottask/net/stack.ts";
import type { TerminalInfo } from "./roottask/linux/context.ts";
import { writeTar, type TarEntry } from "./roottask/tar.ts";

export interface MachineConfig {
  modules: { name: string; bytes: Uint8Array; kind: "foreign" | "native" | "hybrid"; argv: string[] }[];
  env: string[];
  cpus: number;
  memoryMiB: number;
  /** Most file data the in-memory file system holds, in MiB (default: half of memoryMiB); writes beyond get ENOSPC. */
  fsQuotaMiB?: number;
  seed: number;
  strict: boolean;
  mounts: { host: string; guest: string }[];
  /** How mounted host folders are read (default: the host's file system); the recorder and replayer substitute their own. */
  hostIo?: HostIo;
  /** `--disk`: a FAT image mounted at /disk (read-only unless writable). */
  disk?: DiskConfig;
  /** Blocking read of the host's stdin; an empty array is end of file. */
  readStdin(max: number): Uint8Array;
  /**
   * The host end of the guest's stdout/stderr: false when nobody reads it any more (a closed pipe), so the guest's
   * write fails with EPIPE as on Linux. Default: the output goes only to the console listeners.
   */
  consoleSink?: (stream: "stdout" | "stderr", bytes: Uint8Array) => boolean;
  /** Simulate the seed's mediator library: one extra IPC per forwarded syscall (default off). */
  mediator?: boolean;
  /** How the CPUs run hot code (default DEFAULT_JIT_MODE). */
  jit?: JitMode;
  /** The first process's pid (default: 1000 for a Linux program, 1 for a native app) and the process limit (256). */
  firstPid?: number;
  maxProcs?: number;
  /**
   * CLOCK_REALTIME at boot, in ns since 1970 (the CLI takes the host's wall clock at the run's start; a recording
   * keeps it, so a replay reads the same times). Absent: 0, the epoch.
   */
  realtimeStartNs?: number;
  /**
   * Which of the guest's console streams are terminals, and the terminal's size (the CLI asks the host's fds; a
   * recording keeps the answer). Absent: none — every tty ioctl on the console is ENOTTY, as on a pipe.
   */
  terminal?: TerminalInfo;
}

/** Guest memory the machine accepts: boot needs 16 MiB (each process's 8 MiB stack is mapped up front). */
export const MEMORY_MIB = { min: 16, max: 4096 } as const;

/** A configuration the machine cannot run (from a recording or a host API, not the CLI's checked flags). */
export class MachineConfigError extends Error {
  override readonly name = "MachineConfigError";
}

function checkConfig(config: MachineConfig): void {
  const { memoryMiB, fsQuotaMiB } = config;
  if (!Number.isInteger(memoryMiB) || memoryMiB < MEMORY_MIB.min || memoryMiB > MEMORY_MIB.max) {
    throw new MachineConfigError(`guest memory must be ${MEMORY_MIB.min} to ${MEMORY_MIB.max} MiB, not ${memoryMiB}`);
  }
  if (fsQuotaMiB !== undefined && (!Number.isInteger(fsQuotaMiB) || fsQuotaMiB < 1)) {
    throw new MachineConfigError(`the file-system quota must be a whole number of MiB from 1, not ${fsQuotaMiB}`);
  }
}

export interface MachineStats {
  instructions: number;
  vcycles: number;
  hostMs: number;
  mips: number;
  portalCalls: number;
  foreignSyscalls: Record<string, number>;
  hypercalls: Record<string, number>;
  unknownSyscalls: { number: number; name: string; count: number }[];
  exceptions: Record<string, number>;
  contextSwitches: number;
  /** Virtual cycles by category (modelled), and the cost table they come from. */
  costs: Record<string, number>;
  costTable: Record<string, number>;
  /** Modelled cycles per call kind (linux:NAME, native:portal call, native:HYPERCALL), split by part. */
  costsByKind: Record<string, CallKindCost>;
  /**
   * The JIT over all CPUs: mode, functions compiled (a block or a region each), host ms compiling, entries into
   * compiled code, and the generated code's size (JavaScript source bytes).
   */
  jit: { mode: JitMode; compiledRegions: number; compileMs: number; exits: number; codeBytes: number };
}

/** The boot module the roottask unpacks: every app under bin/, a manifest, and the environment. */
export function buildUserland(config: Pick<MachineConfig, "modules" | "env">): Uint8Array {
  const entries: TarEntry[] = [];
  const apps: ManifestApp[] = [];
  for (const m of config.modules) {
    const path = `bin/${m.name}`;
    entries.push({ name: path, data: m.bytes, mode: 0o755 });
    apps.push({ name: m.name, kind: m.kind, path, argv: m.argv });
  }
  const encoder = new TextEncoder();
  entries.push({ name: MANIFEST, data: encoder.encode(JSON.stringify(apps)), mode: 0o644 });
  entries.push({ name: ENVIRONMENT, data: encoder.encode(config.env.map((e) => e + "\0").join("")), mode: 0o644 });
  return writeTar(entries);
}

export class Machine {
  readonly frames: FramePool;
  readonly kernel: Kernel;
  readonly roottask: Roottask;
  readonly cpus: Cpu[];
  readonly serial: SerialPort;
  readonly debugcon: DebugCon;
  readonly timer: VirtualTimer;
  readonly framebuffer: Framebuffer;
  private vgaText: VgaText | null = null;
  /** The roottask starts on the first run(), so console and event listeners attached after construction see its boot. */
  private booted = false;
  private halted = false;
  exitStatus = 0;
  private hostMs = 0;
  private readonly consoleListeners: ConsoleListener[] = [];
  private readonly mediator: boolean;
  private readonly fsQuotaMiB: number;

  constructor(config: MachineConfig) {
    checkConfig(config);
    this.mediator = config.mediator ?? false;
    this.frames = new FramePool(config.memoryMiB);
    this.kernel = new Kernel({ frames: this.frames, cpus: config.cpus, print: (text) => this.vga.write(text) });
    const sink = (stream: ConsoleStream, bytes: Uint8Array): boolean => {
      if (config.consoleSink && (stream === "stdout" || stream === "stderr") && !config.consoleSink(stream, bytes)) return false;
      for (const l of this.consoleListeners) l(stream, bytes);
      return true;
    };
    this.serial = new SerialPort(sink);
    this.debugcon = new DebugCon(sink);
    this.timer = new VirtualTimer(() => this.kernel.cpus[this.kernel.nowCpu].clock);
    const userland = buildUserland(config);
    this.fsQuotaMiB = config.fsQuotaMiB ?? Math.floor(config.memoryMiB / 2);
    if (userland.length > this.fsQuotaMiB * 1024 * 1024) {
      throw new MachineConfigError(`the boot modules (${(userland.length / 1048576).toFixed(1)} MiB) do not fit in the file-system quota of ${this.fsQuotaMiB} MiB`);
    }
    this.kernel.boot([{ name: "userland", bytes: userland, cmdline: "userland" }]);
    this.framebuffer = new Framebuffer(this.frames);
    this.cpus = Array.from({ length: config.cpus }, (_, i) => new Cpu(this.frames, i));
    for (const cpu of this.cpus) cpu.jitMode = config.jit ?? DEFAULT_JIT_MODE;
    this.kernel.attach(this.cpus);
    this.roottask = new Roottask(this.kernel, {
      env: config.env, strict: config.strict, seed: config.seed, mediator: config.mediator ?? false, mounts: config.mounts, firstPid: config.firstPid, maxProcs: config.maxProcs, realtimeStartNs: config.realtimeStartNs, terminal: config.terminal, hostIo: config.hostIo, disk: config.disk, readStdin: config.readStdin,
      serial: this.serial, debugcon: this.debugcon, writeConsole: sink, nowNs: () => this.timer.nowNs(),
      framebuffer: { phys: this.framebuffer.physAddr, width: this.framebuffer.width, height: this.framebuffer.height, pitch: this.framebuffer.pitch },
    });
    this.kernel.host = this.roottask;
    this.roottask.fileServer.tree.quotaBytes = this.fsQuotaMiB * 1024 * 1024;
  }

  /** One line when a write failed because the file-system quota was full, else null. */
  fsQuotaReport(): string | null {
    const tree = this.roottask.fileServer.tree;
    return tree.quotaRefusals > 0 ? `file-system quota reached (--fs-quota ${this.fsQuotaMiB} MiB): ${tree.quotaRefusals} write(s) failed with ENOSPC` : null;
  }

  /** The VGA text console (created on the kernel's first print, once boot has reserved low memory). */
  get vga(): VgaText {
    return (this.vgaText ??= new VgaText(this.frames));
  }

  onEvent(listener: EventListener): () => void {
    return this.kernel.onEvent(listener);
  }

  /** Events as plain values with captures instead of text (the recorder's and the verifier's path, events.ts). */
  onRawEvent(sink: RawEventSink): () => void {
    return this.kernel.onRawEvent(sink);
  }

  onConsole(listener: ConsoleListener): () => void {
    this.consoleListeners.push(listener);
    return () => {
      const i = this.consoleListeners.indexOf(listener);
      if (i >= 0) this.consoleListeners.splice(i, 1);
    };
  }

  /** Runs up to `budget` guest instructions; "halted" when every process has exited or the run was stopped. */
  run(budget = Number.MAX_SAFE_INTEGER): "halted" | "budget" {
    const start = performance.now();
    if (!this.booted) {
      this.booted = true;
      this.roottask.boot();
    }
    const result = this.kernel.run(budget);
    this.hostMs += performance.now() - start;
    if (result === "halted") {
      this.halted = true;
      this.settle();
    }
    return result;
  }

  /** After a halt: the exit status is the first process's; live processes with nothing runnable are a deadlock. */
  private settle(): void {
    const procs = this.roottask.processes;
    if (procs.running > 0 && this.kernel.stopReason === null) {
      const waitingIn = (p: Process) => {
        const calls = (p.linux?.threads ?? []).flatMap((t) => (t.blocked ? [this.roottask.personality.nameOf(t.blocked.nr)] : []));
        calls.push(...this.roottask.nativeNetWaits.callsOf(p.pid));
        return calls.length > 0 ? ` in ${calls.join(", ")}` : "";
      };
      const stuck = [...procs.procs.values()].filter((p) => p.state === "running").map((p) => `${p.pid} '${p.name}'${waitingIn(p)}`);
      this.kernel.stop(`deadlock: process(es) ${stuck.join(", ")} blocked with nothing left to run`);
    }
    const first = procs.procs.get(procs.firstPid);
    this.exitStatus = first && first.state === "exited" ? first.exitStatus : this.kernel.stopReason !== null ? 1 : 0;
  }

  get icount(): number {
    return this.kernel.icount;
  }

  get vcycles(): number {
    return this.kernel.vcycles;
  }

  /**
   * Why the run ended abnormally, in one line: a stop (--strict, deadlock), or else — once halted — the report of
   * the first process an unhandled exception killed. Null for a run whose processes all exited by themselves.
   */
  get stopReason(): string | null {
    return this.kernel.stopReason ?? (this.halted ? (this.faults[0]?.text ?? null) : null);
  }

  /** Unhandled exceptions that killed processes, one report each (the CLI prints `text`). */
  get faults(): FaultReport[] {
    return this.roottask.faults;
  }

  stats(): MachineStats {
    const k = this.kernel.stats;
    const hypercalls: Record<string, number> = {};
    k.hypercalls.forEach((n, nr) => {
      if (n > 0) hypercalls[HYPERCALL_NAMES[nr]] = n;
    });
    const exceptions: Record<string, number> = {};
    for (const [vector, n] of k.exceptions) exceptions[vectorName(vector)] = n;
    return {
      instructions: this.icount,
      vcycles: this.vcycles,
      hostMs: Math.round(this.hostMs),
      mips: this.hostMs > 0 ? +(this.icount / this.hostMs / 1000).toFixed(2) : 0,
      portalCalls: k.portalCalls,
      foreignSyscalls: Object.fromEntries(this.roottask.syscallCounts),
      hypercalls,
      unknownSyscalls: [...this.roottask.personality.unknown].map(([number, u]) => ({ number, name: u.name, count: u.count })),
      exceptions,
      contextSwitches: k.contextSwitches,
      costs: { ...k.costs },
      costTable: { ...COST_TABLE },
      costsByKind: costsByKind({ foreign: Object.fromEntries(this.roottask.syscallCounts), hypercalls, exceptions, mediator: this.mediator }),
      jit: {
        mode: this.cpus[0].jitMode,
        compiledRegions: this.cpus.reduce((n, c) => n + c.jitCompiled, 0),
        compileMs: +this.cpus.reduce((n, c) => n + c.jitCompileMs, 0).toFixed(1),
        exits: this.cpus.reduce((n, c) => n + c.jitExits, 0),
        codeBytes: this.cpus.reduce((n, c) => n + c.jitCodeBytes, 0),
      },
    };
  }

  /** The Linux process and thread an EC runs (for --trace and the UI), or null. */
  taskOfEc(ec: number): { pid: number; tid: number } | null {
    const found = ec >= 0 ? this.roottask.personality.threadOfEc(ec) : null;
    return found ? { pid: found.proc.pid, tid: found.thread.tid } : null;
  }

  /** All kernel objects and processes as plain data (the UI inspector). */
  inspect() {
    const k = this.kernel;
    return {
      icount: k.icount,
      vcycles: k.vcycles,
      cpus: k.cpus.map((c) => ({ index: c.index, clock: c.clock, sc: c.current, queued: c.queues.flat() })),
      pds: [...k.pds.values()].map((pd) => ({
        id: pd.id, name: pd.name, privileged: pd.privileged, host: pd.host, foreign: pd.foreign, foreignBase: pd.foreignBase, nsctUsed: pd.nsctUsed,
        pages: pd.space.pages.size,
        caps: [...pd.objects].map(([sel, id]) => {
          const cap = k.caps.caps.get(id)!;
          return { sel, kind: cap.kind, obj: cap.obj, rights: cap.rights };
        }),
      })),
      ecs: [...k.ecs.values()].map((ec) => ({
        id: ec.id, name: ec.name, pd: ec.pd, cpu: ec.cpu, global: ec.global, host: ec.host, wait: ec.wait, evt: ec.evt,
        utcb: ec.utcbAddr, sc: ec.sc, caller: ec.caller, rip: ec.state.rip, rsp: ec.state.get(4),
      })),
      scs: [...k.scs.values()].map((sc) => ({ id: sc.id, ec: sc.ec, current: sc.current, cpu: sc.cpu, prio: sc.prio, quantumUs: sc.quantumUs, time: sc.time })),
      pts: [...k.pts.values()].map((pt) => ({ id: pt.id, ec: pt.ec, mtd: pt.mtd, ip: pt.ip, portalId: pt.portalId })),
      sms: [...k.sms.values()].map((sm) => ({ id: sm.id, counter: sm.counter, waiters: sm.waiters.map((w) => w.ec) })),
      processes: [...this.roottask.processes.procs.values()].map((p) => ({
        pid: p.pid, ppid: p.linux?.ppid ?? p.ppid, pgid: p.linux?.pgid ?? p.pid, name: p.name, kind: p.kind, cpu: p.cpu, state: p.state,
        exitStatus: p.exitStatus, signal: p.signal, pd: p.pdId, ec: p.ecId,
        // One row per Linux thread: its EC, CPU, and the syscall it is blocked in (its reply withheld), if any.
        threads: (p.linux?.threads ?? []).map((t) => ({
          tid: t.tid, ec: t.ec, cpu: t.cpu, blockedIn: t.blocked ? this.roottask.personality.nameOf(t.blocked.nr) : null,
        })),
        sockets: this.roottask.fileServer.servicesOf(p.pid)
          .filter((service): service is SocketFile => service instanceof SocketFile && this.roottask.net.sockets.has(service.socketId))
          .map((file) => this.roottask.net.describe(file.socket)),
      })),
      withheldReplies: [...k.withheld.values()].map((w) => ({ ec: w.caller, call: w.callName, deadline: w.deadline })),
    };
  }
}
