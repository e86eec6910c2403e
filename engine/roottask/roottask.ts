// The roottask: a host PD that boots from the HIP and the `userland` archive, creates a PD/EC/SC and portals per app
// through counted hypercalls, and serves those portals (startup, exceptions, foreign syscalls, native services).
// Its ECs run TypeScript: a portal's entry IP selects the handler, the portal id names the process and the slot.

import { CpuState, R10, R11, R8, R9, RAX, RBP, RBX, RCX, RDI, RDX, RSI, RSP } from "../cpu/state.ts";
import { ElfError, ElfMapError, parseElf } from "../elf/elf.ts";
import { loadElf } from "../elf/loader.ts";
import {
  HIP_ADDR, RIGHTS_ALL, ROOT_PD_SEL, SEL_EXC, VEC_RECALL, VEC_STARTUP, vectorName,
} from "../hedron/abi.ts";
import { memCrd, objCrd } from "../hedron/capspace.ts";
import { LINUX_WORK_DEFAULT, linuxWork, TSC_KHZ } from "../hedron/costs.ts";
import type { Ec } from "../hedron/ec.ts";
import { replyWithheld, setWithheldDeadline, withheldMessage, withholdReply } from "../hedron/ipc.ts";
import { MEM_MODULE, parseHip, type Hip } from "../hedron/hip.ts";
import type { HostRuntime, Kernel } from "../hedron/kernel.ts";
import {
  EXC_FS_BASE, EXC_GS_BASE, EXC_INST_LEN, EXC_MTD, EXC_QUAL0, EXC_QUAL1, EXC_RIP, MTD_ACDB, MTD_ALL_GPR, MTD_BSD, MTD_FPU,
  MTD_FS_GS, MTD_GPR_R8_R15, MTD_RFLAGS, MTD_RIP_LEN, MTD_RSP, Utcb,
} from "../hedron/utcb.ts";
import { disassemble, hexBytes } from "../disasm.ts";
import { describeFault, PERM_RW, PERM_RWX, type AddressSpace } from "../memory/address-space.ts";
import { PAGE_SIZE } from "../memory/frames.ts";
import { ByteWriter } from "../record/codec.ts";
import type { DebugCon } from "../devices/debugcon.ts";
import type { SerialPort } from "../devices/serial.ts";
import { AT_FDCWD, O_RDONLY } from "./fs/abi.ts";
import { E } from "./fs/errno.ts";
import { FileServer } from "./fs/file-server.ts";
import type { HostIo } from "./fs/host.ts";
import { imageDiskIo, type DiskConfig } from "./fat/disk.ts";
import { FatVolume } from "./fat/volume.ts";
import { NetStack, SocketWouldBlock } from "./net/stack.ts";
import { NativeNetWaits, SERVICE_NET, serveNet } from "./net/service.ts";
import { Hypercalls, XFER_DELEGATE, XFER_FROM_KERNEL } from "./hypercalls.ts";
import { BLOCKED, newSyscallFrame, setSyscallArg, UnknownSyscallError, type LinuxProcess, type LinuxThread, type SyscallFrame, type TerminalInfo } from "./linux/context.ts";
import { type Phase, renderSyscall } from "./linux/format.ts";
import { LinuxPersonality } from "./linux/personality.ts";
import { sharedPages } from "./linux/memory.ts";
import { ProcessTable, SIGNAL_NAMES, SIGNAL_OF_VECTOR, type AppKind, type FaultReport, type Process } from "./process.ts";
import { appKind } from "./app-kind.ts";
import { ALLOC_BASE, FIRST_SERVICE, LAST_SERVICE, serve, SERVICE_ECHO, SERVICE_EXIT, SERVICE_RAW_ECHO, type ServiceHost } from "./services.ts";
import { readTar, TarError } from "./tar.ts";

/** The archive's manifest: one app per entry, in start order. */
export const MANIFEST = "etc/apps.json";
export const ENVIRONMENT = "etc/environment";
export interface ManifestApp {
  name: string;
  kind: AppKind;
  path: string;
  argv: string[];
}

/** Per-app selector layout (HEDRON.md §10), relative to the app's block in the root PD and absolute in the app's PD. */
const SEL_PD = 32, SEL_EC = 33, SEL_SC = 34, SEL_FOREIGN = 50;
/** The semaphore the roottask ups when the app exits (the process service's wait delegates it to the parent). */
const SEL_EXIT_SM = 45;
/** Where the framebuffer service maps the framebuffer in an app: at FB_WINDOW + its physical address (same alignment). */
const FB_WINDOW = 0x10000000000;
/**
 * Each app's objects live in an aligned block of root selectors, delegated into the app with one CRD: 128 selectors
 * per CPU, because a thread on CPU c has event base 127·c (its exception portals at 127·c + vector, its
 * foreign-syscall portal at EVT + 50 + c = 128·c + 50), so threads of one process can run on every CPU.
 */
const MIN_BLOCK_ORDER = 7;
const FIRST_BLOCK = 0x1000;
const evtOf = (cpu: number) => 127 * cpu;
/** Root selectors of threads beyond each process's first: an EC and an SC each, never reused. */
const FIRST_THREAD_SEL = 0x2000000;
/** Per-CPU roottask ECs whose UTCBs carry withheld replies when a blocked syscall finishes later. */
const WAKER_SEL = 0x140;
const WAKER_UTCB = 0x7fff00200000;
/** Length of `syscall`: the instruction length a foreign-syscall message carries. */
const SYSCALL_LENGTH = 2;
/** Per-CPU handler ECs of the roottask. */
const HANDLER_SEL = 0x100;
const HANDLER_UTCB = 0x7fff00000000;
/** Per-CPU "mediator library" EC and its portal (HEDRON.md §10: one extra IPC per forwarded syscall, optional). */
const MEDIATOR_EC_SEL = 0x180;
const MEDIATOR_PT_SEL = 0x1c0;
const MEDIATOR_UTCB = 0x7fff00100000;
/** Physical memory appears in the roottask at phys + PHYS_WINDOW (aligned to 2^32 pages, so every CRD order fits). */
const PHYS_WINDOW = 0x100000000000;
/** Guest UTCB address (above the Linux stack top 0x7ffffffde000) and the top of the Linux mmap area. */
export const APP_UTCB = 0x7fffffffd000;
export const MMAP_BASE = 0x7ffff0000000;
const APP_PRIO = 1;
const APP_QUANTUM_US = 10_000;

/** Handler entry IPs: what a portal bound to a roottask EC runs. */
const IP_EXCEPTION = 1, IP_STARTUP = 2, IP_FOREIGN = 3, IP_SERVICE = 4, IP_MEDIATOR = 5;

/** Foreign syscalls and exceptions carry RFLAGS and the FPU too: entering a signal handler saves them in its frame. */
const MTD_FOREIGN = (MTD_ACDB | MTD_BSD | MTD_RSP | MTD_RIP_LEN | MTD_GPR_R8_R15 | MTD_FS_GS | MTD_RFLAGS | MTD_FPU) >>> 0;
const MTD_EXCEPTION = (MTD_ALL_GPR | MTD_FPU) >>> 0;
/** A reply that replaces the whole user state (signal handler entry, rt_sigreturn). */
const MTD_FULL_STATE = MTD_FOREIGN;
const ARG_REGS = [RDI, RSI, RDX, R10, R8, R9];

export interface RoottaskConfig {
  env: string[];
  strict: boolean;
  seed: number;
  /** Make the seed's simulated mediator IPC before each forwarded syscall (§9's third column). */
  mediator: boolean;
  mounts: { host: string; guest: string }[];
  hostIo?: HostIo;
  /** `--disk`: a FAT image the FAT service mounts at /disk. */
  disk?: DiskConfig;
  /**
   * The pid of the first process. Default: 1000 when it is a Linux program (not 1, which Linux programs take for
   * init), 1 when it is a native app (the seed's numbering).
   */
  firstPid?: number;
  /** Live processes at most; fork beyond it fails with EAGAIN (default 256). */
  maxProcs?: number;
  /** CLOCK_REALTIME at boot (ns since 1970; default 0). */
  realtimeStartNs?: number;
  /** Console streams that are terminals (default: none). */
  terminal?: TerminalInfo;
  /** The linear framebuffer the framebuffer service hands out (physical address, geometry). */
  framebuffer?: { phys: number; width: number; height: number; pitch: number };
  readStdin(max: number): Uint8Array;
  serial: SerialPort;
  debugcon: DebugCon;
  /** False when the host end is closed (the write fails with EPIPE). */
  writeConsole(stream: "stdout" | "stderr", bytes: Uint8Array): boolean;
  nowNs(): number;
}

/** "ud2 (0f 0b)", or the raw bytes when they decode to nothing valid. */
function describeInstruction(bytes: number[], rip: number): string {
  const [first] = disassemble(Uint8Array.from(bytes), rip, 1);
  if (!first || !first.valid) return `bytes ${hexBytes(Uint8Array.from(bytes))} (not a valid instruction)`;
  return `${first.text} (${hexBytes(first.bytes)})`;
}

export class Roottask implements HostRuntime {
  readonly processes = new ProcessTable();
  readonly fileServer: FileServer;
  /** The FAT service of `--disk`, or null. */
  readonly disk: FatVolume | null;
  /** The network service: sockets on the lab's loopback and UNIX sockets. */
  readonly net = new NetStack();
  /** Native apps' network calls waiting (withheld replies) for a socket to change. */
  readonly nativeNetWaits = new NativeNetWaits();
  readonly personality: LinuxPersonality;
  /** Forwarded syscalls by name (stats). */
  readonly syscallCounts = new Map<string, number>();
  readonly faults: FaultReport[] = [];
  hip: Hip | null = null;
  private readonly hc: Hypercalls;
  private nextBlock = FIRST_BLOCK;
  private env: string[] = [];
  private cpuCount = 1;
  private spawned = 0;
  private fbWindow = -1;
  private readonly services: ServiceHost;
  private prng: number;
  private readonly frame: SyscallFrame = newSyscallFrame();
  /** Where a syscall event's capture is built (reused: listeners copy it during the emit). */
  private readonly capture = new ByteWriter();
  private blockOrder = MIN_BLOCK_ORDER;
  private nextThreadSel = FIRST_THREAD_SEL;
  /** Root selector of the EC (and + 1 its SC) of every thread not created with its process, by tid. */
  private readonly threadSels = new Map<number, number>();
  /** The full user state an EC starts with (fork children, new threads), by EC id; taken at its STARTUP. */
  private readonly starts = new Map<number, CpuState>();
  /** The foreign-syscall message being served (fork and clone copy the caller's state from it). */
  private current: { utcb: Utcb; frame: SyscallFrame } | null = null;
  private readonly maxProcs: number;
  /** Scratch for a full user state read from and written back to a UTCB (signal delivery). */
  private readonly regs = new CpuState();
  private readonly encoder = new TextEncoder();

  constructor(
    private readonly kernel: Kernel,
    private readonly config: RoottaskConfig,
  ) {
    this.prng = config.seed >>> 0;
    this.maxProcs = config.maxProcs ?? 256;
    this.hc = new Hypercalls(kernel, kernel.rootEc);
    const disk = config.disk;
    this.disk = disk ? new FatVolume(disk.io ?? imageDiskIo(disk.path, disk.writable), disk.writable, config.nowNs) : null;
    this.fileServer = new FileServer({ mounts: config.mounts, hostIo: config.hostIo, disk: this.disk ?? undefined });
    const host = {
      fileServer: this.fileServer,
      writeConsole: config.writeConsole,
      readStdin: config.readStdin,
      nowNs: config.nowNs,
      realtimeOffsetNs: config.realtimeStartNs ?? 0,
      terminal: config.terminal,
      random: (bytes: Uint8Array) => this.random(bytes),
      strict: config.strict,
      net: this.net,
      tasks: {
        fork: (parent: LinuxProcess, thread: LinuxThread, stack: number, tls: number | null) => this.fork(parent, thread, stack, tls),
        spawnThread: (proc: LinuxProcess, thread: LinuxThread, stack: number, tls: number | null) => this.spawnThread(proc, thread, stack, tls),
        exec: (proc: LinuxProcess, thread: LinuxThread, path: string, argv: string[], envp: string[]) => this.exec(proc, thread, path, argv, envp, 0),
        terminate: (proc: LinuxProcess, status: number, signal: number) => this.terminate(this.processes.get(proc.pid), status, signal, null),
        interrupt: (proc: LinuxProcess, thread: LinuxThread) => this.recall(proc, thread),
      },
    };
    this.personality = new LinuxPersonality(host);
    const linuxChange = this.net.onChange;
    this.net.onChange = (id) => {
      linuxChange?.(id);
      this.nativeNetWaits.changed(id);
    };
    this.net.onDropRights = (files) => files.forEach((file) => this.fileServer.dropHeld(file));
    this.services = {
      fileServer: this.fileServer,
      net: this.net,
      writeConsole: config.writeConsole,
      space: (p) => this.kernel.hostSpace(this.hc.ec, p.selBase + SEL_PD),
      log: (text) => this.log(text),
      spawn: (parent, path, argv) => this.spawnFile(parent, path, argv),
      wait: (parent, pid) => {
        const child = this.processes.procs.get(pid);
        if (!child || child.ppid !== parent.pid) return { status: -E.ECHILD, exitSm: 0 };
        return child.state === "exited" ? { status: child.exitStatus, exitSm: 0 } : { status: -E.EAGAIN, exitSm: child.selBase + SEL_EXIT_SM };
      },
      cpus: (p) => [p.cpu, this.cpuCount],
      framebuffer: (p) => this.delegateFramebuffer(p),
    };
  }

  /** Seeded PRNG (xorshift32): getrandom, AT_RANDOM; the same seed gives the same bytes. */
  random(bytes: Uint8Array): void {
    for (let i = 0; i < bytes.length; i++) {
      let x = this.prng || 0x9e3779b9;
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      this.prng = x >>> 0;
      bytes[i] = this.prng & 0xff;
    }
  }

  log(text: string): void {
    const bytes = this.encoder.encode(`[ INFO] ${text}\n`);
    this.config.serial.write(bytes);
    this.config.debugcon.write(bytes);
  }

  private ownSpace(): AddressSpace {
    return this.kernel.pds.get(this.kernel.rootPd)!.space;
  }

  /** Maps physical memory into the roottask by delegation from the kernel, in aligned power-of-two chunks. */
  private mapPhysical(phys: number, size: number): number {
    this.delegateChunks(phys, size, ROOT_PD_SEL, 0, PHYS_WINDOW, PERM_RWX, XFER_DELEGATE | XFER_FROM_KERNEL);
    return phys + PHYS_WINDOW;
  }

  /** Delegates pages [start, start + size) of `srcBase`'s space to `dstPd` at `dstBase` + start, in aligned power-of-two chunks. */
  private delegateChunks(start: number, size: number, dstPd: number, srcBase: number, dstBase: number, perms: number, xfer: number): void {
    let page = Math.floor(start / PAGE_SIZE);
    const end = Math.ceil((start + size) / PAGE_SIZE);
    const src = srcBase / PAGE_SIZE, dst = dstBase / PAGE_SIZE;
    while (page < end) {
      let order = 0;
      while (order < 20 && page % 2 ** (order + 1) === 0 && page + 2 ** (order + 1) <= end) order++;
      this.hc.delegate(ROOT_PD_SEL, dstPd, memCrd(page + src, order, perms), memCrd(page + dst, order, perms), xfer);
      page += 2 ** order;
    }
  }

  /** The framebuffer service: the roottask's mapping of the framebuffer, delegated read-write into the app. */
  private delegateFramebuffer(proc: Process): [number, number, number, number] | null {
    const fb = this.config.framebuffer;
    if (!fb) return null;
    const size = fb.pitch * fb.height;
    if (this.fbWindow < 0) this.fbWindow = this.mapPhysical(fb.phys, size);
    this.delegateChunks(fb.phys, size, proc.selBase + SEL_PD, PHYS_WINDOW, FB_WINDOW, PERM_RW, XFER_DELEGATE);
    return [FB_WINDOW + fb.phys, fb.width, fb.height, fb.pitch];
  }

  /** The process service's start: a program the file server holds, its kind read from the ELF. */
  private spawnFile(parent: Process, path: string, argv: string[]): number {
    const fs = this.fileServer;
    const fd = fs.open(parent.pid, AT_FDCWD, path, O_RDONLY, 0);
    if (fd < 0) return fd;
    const chunks: Uint8Array[] = [];
    while (fs.read(parent.pid, fd, 1 << 20, (bytes) => chunks.push(bytes.slice())) > 0);
    fs.close(parent.pid, fd);
    const elf = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
    chunks.reduce((at, c) => (elf.set(c, at), at + c.length), 0);
    const name = path.slice(path.lastIndexOf("/") + 1);
    const child = this.spawn({ name, kind: appKind(elf), path, argv }, elf, this.env, this.spawned++ % this.cpuCount, parent.pid);
    return child ? child.pid : -E.ENOEXEC;
  }

  /** The roottask's main: runs on the root EC with RSP = HIP address (HEDRON.md §7). */
  boot(): void {
    this.hc.ec = this.kernel.rootEc;
    const hipAddr = this.kernel.ecs.get(this.kernel.rootEc)!.state.get(RSP);
    if (hipAddr !== HIP_ADDR) throw new Error(`roottask: started with RSP 0x${hipAddr.toString(16)}, not the HIP`);
    const hip = parseHip(this.ownSpace().read(hipAddr, PAGE_SIZE));
    this.hip = hip;
    this.log(`Hedron roottask (lab model), HIP API ${hip.apiVersion}, ${hip.cpus.length} CPU(s), TSC ${hip.tscKHz} kHz`);
    const cpus = hip.cpus.filter((c) => c.enabled).length;
    this.cpuCount = cpus;
    this.personality.host.cpus = cpus;
    this.blockOrder = MIN_BLOCK_ORDER + Math.ceil(Math.log2(cpus));
    for (let cpu = 0; cpu < cpus; cpu++) {
      this.hc.createEc(HANDLER_SEL + cpu, ROOT_PD_SEL, { cpu, utcb: HANDLER_UTCB + cpu * PAGE_SIZE });
      this.hc.createEc(WAKER_SEL + cpu, ROOT_PD_SEL, { cpu, utcb: WAKER_UTCB + cpu * PAGE_SIZE });
      if (this.config.mediator) {
        this.hc.createEc(MEDIATOR_EC_SEL + cpu, ROOT_PD_SEL, { cpu, utcb: MEDIATOR_UTCB + cpu * PAGE_SIZE });
        this.hc.createPt(MEDIATOR_PT_SEL + cpu, ROOT_PD_SEL, MEDIATOR_EC_SEL + cpu, 0, IP_MEDIATOR);
      }
    }
    const entries = new Map<string, Uint8Array>();
    for (const m of hip.memory.filter((d) => d.type === MEM_MODULE)) {
      const cmdAddr = this.mapPhysical(m.aux, PAGE_SIZE);
      const cmdline = new TextDecoder().decode(this.ownSpace().readCString(cmdAddr));
      const bytes = this.ownSpace().read(this.mapPhysical(m.addr, m.size), m.size);
      this.log(`boot module '${cmdline}': ${m.size} bytes at 0x${m.addr.toString(16)}`);
      if (cmdline !== "userland") continue;
      for (const e of readTar(bytes)) {
        entries.set(e.name, e.data);
        this.fileServer.addFile("/" + e.name, e.data, e.mode);
      }
    }
    const manifest = entries.get(MANIFEST);
    if (!manifest) throw new TarError(`roottask: the userland archive has no ${MANIFEST}`);
    // NUL-separated, as /proc/PID/environ: values may hold newlines.
    const env = new TextDecoder().decode(entries.get(ENVIRONMENT) ?? new Uint8Array()).split("\0").filter((l) => l);
    const apps = JSON.parse(new TextDecoder().decode(manifest)) as ManifestApp[];
    this.log(`userland: ${entries.size} file(s), ${apps.length} app(s)`);
    this.env = env;
    this.processes.nextPid = this.config.firstPid ?? (apps[0]?.kind === "native" ? 1 : 1000);
    this.processes.firstPid = this.processes.nextPid;
    for (const app of apps) this.spawn(app, entries.get(app.path), env, this.spawned++ % cpus);
  }

  /**
   * A process's kernel objects in a fresh selector block: PD (foreign for Linux and hybrid apps), its exit
   * semaphore, service portals, and exception, startup and foreign-syscall portals for every CPU its threads may
   * use (a native app: its own CPU), then its first EC (not yet runnable: no SC).
   */
  private createProcessObjects(name: string, kind: AppKind, cpu: number, ppid: number, utcbMapped: boolean): Process {
    const base = this.nextBlock;
    this.nextBlock += 1 << this.blockOrder;
    const proc = this.processes.add({
      ppid, name, kind, cpu, selBase: base, pdId: -1, ecId: -1, entry: 0, rsp: 0, allocNext: ALLOC_BASE,
    });
    const foreign = kind !== "native";
    this.hc.createPd(base + SEL_PD, ROOT_PD_SEL, null, foreign, SEL_FOREIGN);
    // The portal id names the process and what the portal is for (vector, service slot, SEL_FOREIGN).
    const portal = (slot: number, mtd: number, ip: number, onCpu: number, code = slot) => {
      this.hc.createPt(base + slot, ROOT_PD_SEL, HANDLER_SEL + onCpu, mtd, ip);
      this.hc.ptCtrl(base + slot, proc.pid * 256 + code);
    };
    for (let s = FIRST_SERVICE; s <= LAST_SERVICE; s++) portal(s, 0, IP_SERVICE, cpu);
    // Linux apps reach the network service through their syscalls; native and hybrid apps call its portal.
    if (kind !== "foreign") portal(SERVICE_NET, 0, IP_SERVICE, cpu);
    this.hc.createSm(base + SEL_EXIT_SM, ROOT_PD_SEL, 0);
    for (let c = 0; c < this.cpuCount; c++) {
      if (kind === "native" && c !== cpu) continue;
      const evt = kind === "native" ? 0 : evtOf(c);
      for (let v = 0; v < SEL_EXC; v++) portal(evt + v, v === VEC_STARTUP ? MTD_RIP_LEN | MTD_RSP : MTD_EXCEPTION, v === VEC_STARTUP ? IP_STARTUP : IP_EXCEPTION, c, v);
      portal(evt + SEL_FOREIGN + c, MTD_FOREIGN, IP_FOREIGN, c, SEL_FOREIGN);
    }
    // Without a UTCB mapped NSCT reads clear, so a plain Linux program's every syscall is foreign and a write to
    // that address faults as on Linux; an app built with the SDK (or booted as hybrid) may turn hybrid (HEDRON.md §8).
    this.hc.createEc(base + SEL_EC, base + SEL_PD, { cpu, utcb: utcbMapped ? APP_UTCB : 0, global: true, evt: kind === "native" ? 0 : evtOf(cpu) });
    proc.pdId = this.kernel.objectAt(this.kernel.rootPd, base + SEL_PD);
    proc.ecId = this.kernel.objectAt(this.kernel.rootPd, base + SEL_EC);
    this.kernel.ecs.get(proc.ecId)!.name = name;
    this.kernel.pds.get(proc.pdId)!.name = name;
    return proc;
  }

  /** Makes the first EC runnable and hands the block's capabilities to the app at the same selectors. */
  private startProcess(proc: Process, argv: string[]): void {
    const base = proc.selBase;
    // The SC makes the EC runnable; it first runs (STARTUP) once the machine runs, after the delegation below
    // has put everything in the block (portals, PD, EC, SC) at the same selectors in the app's own space.
    this.hc.createSc(base + SEL_SC, ROOT_PD_SEL, base + SEL_EC, APP_PRIO, APP_QUANTUM_US);
    this.hc.delegate(ROOT_PD_SEL, base + SEL_PD, objCrd(base, this.blockOrder, RIGHTS_ALL), objCrd(0, this.blockOrder, RIGHTS_ALL));
    this.log(`process ${proc.pid} '${proc.name}' (${proc.kind}) on CPU ${proc.cpu}: entry 0x${proc.entry.toString(16)}, pd ${proc.pdId}, ec ${proc.ecId}`);
    const ec = this.kernel.ecs.get(proc.ecId)!;
    if (this.kernel.tracing) this.kernel.emit("process_start", ec, proc.name, argv.join(" "), `pid ${proc.pid}`, 0);
  }

  /** Creates a process: PD (foreign for Linux and hybrid apps), portals, EC, SC; loads its ELF. */
  spawn(app: ManifestApp, elf: Uint8Array | undefined, env: string[], cpu: number, ppid = 0): Process | null {
    if (!elf) throw new TarError(`roottask: app '${app.name}' has no file ${app.path} in the archive`);
    const proc = this.createProcessObjects(app.name, app.kind, cpu, ppid, app.kind !== "foreign" || appKind(elf) !== "foreign");
    const space = this.kernel.hostSpace(this.hc.ec, proc.selBase + SEL_PD);
    try {
      const random16 = new Uint8Array(16);
      this.random(random16);
      const image = loadElf(parseElf(elf), space, { argv: app.argv, envp: env, execfn: "/" + app.path, random16 });
      proc.entry = image.entry;
      proc.rsp = image.rsp;
      if (app.kind !== "native") {
        proc.linux = this.personality.createProcess({
          pid: proc.pid, ppid: 0, space, brkStart: image.brkStart, mmapBase: MMAP_BASE, cwd: "/", execfn: "/" + app.path, ec: proc.ecId, cpu,
        });
      } else {
        this.fileServer.createProcess(proc.pid, "/");
      }
    } catch (error) {
      if (!(error instanceof ElfError)) throw error;
      if (error instanceof ElfMapError) {
        this.execFailed(proc, error.message);
        return null;
      }
      this.log(`${app.name}: ${error.message}`);
      // As a shell reports an exec failure: one line on stderr, so exit status 126 never comes unexplained.
      this.config.writeConsole("stderr", new TextEncoder().encode(`${app.name}: cannot execute: ${error.message}\n`));
      this.terminate(proc, 126, 0, null);
      return null;
    }
    this.startProcess(proc, app.argv);
    return proc;
  }

  /** The caller's user state as a forked child or new thread starts with it: the syscall returns 0 there. */
  private callerState(stack: number, tls: number | null): CpuState {
    const cur = this.current;
    if (!cur) throw new Error("roottask: fork outside a foreign syscall");
    const regs = new CpuState();
    cur.utcb.loadState(regs);
    regs.set(RAX, 0);
    regs.set(R11, regs.rflags);
    regs.set(RSP, stack !== 0 ? stack : cur.frame.rsp);
    regs.rip = cur.frame.rip;
    regs.fsBase = tls ?? (cur.frame.fsBaseChanged ? cur.frame.fsBase : regs.fsBase);
    return regs;
  }

  /** fork: a new foreign PD with a copy of the caller's memory; the child returns 0 from the same syscall. */
  private fork(parentLinux: LinuxProcess, thread: LinuxThread, stack: number, tls: number | null): number {
    if (this.processes.running >= this.maxProcs) return -E.EAGAIN;
    const parent = this.processes.get(parentLinux.pid);
    const regs = this.callerState(stack, tls);
    const cpu = this.spawned++ % this.cpuCount;
    const parentPd = this.kernel.pds.get(parent.pdId)!;
    const proc = this.createProcessObjects(parent.name, parent.kind, cpu, parent.pid, parentPd.utcbPages.size > 0);
    const space = this.kernel.hostSpace(this.hc.ec, proc.selBase + SEL_PD);
    space.copyFrom(parentLinux.space, parentPd.utcbPages, sharedPages(parentLinux));
    proc.entry = regs.rip;
    proc.rsp = regs.get(RSP);
    proc.linux = this.personality.forkProcess(parentLinux, thread, proc.pid, proc.ecId, cpu, space);
    this.starts.set(proc.ecId, regs);
    this.startProcess(proc, [parent.name]);
    return proc.pid;
  }

  /** clone(CLONE_THREAD): an EC and SC in the caller's PD, on the next CPU in turn; it returns 0 on `stack`. */
  private spawnThread(linux: LinuxProcess, creator: LinuxThread, stack: number, tls: number | null): number {
    const proc = this.processes.get(linux.pid);
    const regs = this.callerState(stack, tls);
    const cpu = this.spawned++ % this.cpuCount;
    const tid = this.processes.nextPid++;
    const sel = this.nextThreadSel;
    this.nextThreadSel += 2;
    this.hc.createEc(sel, proc.selBase + SEL_PD, { cpu, utcb: 0, global: true, evt: evtOf(cpu) });
    const ecId = this.kernel.objectAt(this.kernel.rootPd, sel);
    this.kernel.ecs.get(ecId)!.name = `${proc.name}:${tid}`;
    this.threadSels.set(tid, sel);
    this.personality.addThread(linux, tid, ecId, cpu, creator);
    this.starts.set(ecId, regs);
    this.hc.createSc(sel + 1, ROOT_PD_SEL, sel, APP_PRIO, APP_QUANTUM_US);
    return tid;
  }

  /** A thread's EC and SC go (exit of one thread, execve, or the end of its process). */
  private endThread(proc: Process, thread: LinuxThread): void {
    const sel = this.threadSels.get(thread.tid);
    this.threadSels.delete(thread.tid);
    this.starts.delete(thread.ec);
    if (sel !== undefined) this.hc.revoke(objCrd(sel, 1, RIGHTS_ALL), true);
    else if (thread.ec === proc.ecId) {
      this.hc.revoke(objCrd(proc.selBase + SEL_EC, 0, RIGHTS_ALL), true);
      this.hc.revoke(objCrd(proc.selBase + SEL_SC, 0, RIGHTS_ALL), true);
    }
  }

  /** The bytes of an executable for execve, with `/proc/self/exe` naming the caller's image; or -errno. */
  private readExecutable(pid: number, path: string, execfn: string): Uint8Array | number {
    const fs = this.fileServer;
    const resolved = path === "/proc/self/exe" || path === `/proc/${pid}/exe` ? execfn : path;
    const st = fs.stat(pid, AT_FDCWD, resolved, true);
    if (typeof st === "number") return st;
    if ((st.mode & 0o170000) === 0o040000) return -E.EACCES;
    const access = fs.access(pid, AT_FDCWD, resolved, 1, true);
    if (access < 0) return access;
    const fd = fs.open(pid, AT_FDCWD, resolved, O_RDONLY, 0);
    if (fd < 0) return fd;
    const chunks: Uint8Array[] = [];
    while (fs.read(pid, fd, 1 << 20, (bytes) => chunks.push(bytes.slice())) > 0);
    fs.close(pid, fd);
    const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
    chunks.reduce((at, c) => (out.set(c, at), at + c.length), 0);
    return out;
  }

  /**
   * execve: the new image replaces the old one in the same PD and PID; other threads end; `#!` scripts run their
   * interpreter (up to 4 deep, as Linux). Errors before the old image is gone are -errno; a load that fails after
   * it kills the process (SIGSEGV), as Linux does past its point of no return.
   */
  private exec(linux: LinuxProcess, thread: LinuxThread, path: string, argv: string[], envp: string[], depth: number): number {
    const proc = this.processes.get(linux.pid);
    const bytes = this.readExecutable(linux.pid, path, linux.execfn);
    if (typeof bytes === "number") return bytes;
    if (bytes[0] === 0x23 && bytes[1] === 0x21) {
      if (depth >= 4) return -E.ELOOP;
      const end = bytes.indexOf(10);
      const line = new TextDecoder().decode(bytes.subarray(2, end < 0 ? Math.min(bytes.length, 256) : end)).trim();
      const space = line.search(/[ \t]/);
      const interp = space < 0 ? line : line.slice(0, space);
      const arg = space < 0 ? "" : line.slice(space).trim();
      if (!interp) return -E.ENOEXEC;
      return this.exec(linux, thread, interp, [interp, ...(arg ? [arg] : []), path, ...argv.slice(1)], envp, depth + 1);
    }
    let elf;
    try {
      elf = parseElf(bytes);
    } catch (error) {
      if (error instanceof ElfError) return -E.ENOEXEC;
      throw error;
    }
    if (appKind(bytes) === "native") return -E.ENOEXEC;
    const execfn = path.startsWith("/") ? path : `${this.fileServer.getcwd(linux.pid)}/${path}`.replace(/^\/\//, "/");
    for (const other of [...linux.threads]) {
      if (other === thread) continue;
      this.personality.removeThread(linux, other);
      this.endThread(proc, other);
    }
    const pd = this.kernel.pds.get(proc.pdId)!;
    linux.space.clear(pd.utcbPages);
    try {
      const random16 = new Uint8Array(16);
      this.random(random16);
      const image = loadElf(elf, linux.space, { argv, envp, execfn, random16 });
      this.personality.execReset(linux, image.brkStart, execfn);
      this.current!.frame.exec = { entry: image.entry, stack: image.rsp };
    } catch (error) {
      if (!(error instanceof ElfError)) throw error;
      this.execFailed(proc, `execve ${path}: ${error.message}`);
      return 0;
    }
    proc.name = execfn.slice(execfn.lastIndexOf("/") + 1);
    pd.name = proc.name;
    this.kernel.ecs.get(thread.ec)!.name = proc.name;
    if (this.kernel.tracing) this.kernel.emit("process_start", this.kernel.ecs.get(thread.ec)!, proc.name, argv.join(" "), `pid ${proc.pid} (execve)`, 0);
    return 0;
  }

  /** An image that fails to load after exec's point of no return: Linux kills the process with SIGSEGV. */
  private execFailed(proc: Process, why: string): void {
    const text = `process ${proc.pid} '${proc.name}' killed by SIGSEGV: exec failed after the point of no return: ${why}`;
    this.terminate(proc, 128 + 11, 11, { pid: proc.pid, name: proc.name, vector: -1, kind: "exec", signal: 11, address: 0, rip: 0, errorCode: 0, bytes: [], text });
  }

  /** Ends a process: status recorded, its capabilities revoked (the kernel destroys PD, EC, SC and portals). */
  terminate(proc: Process, status: number, signal: number, fault: FaultReport | null): void {
    if (proc.state === "exited") return;
    if (proc.linux) for (const t of proc.linux.threads) if (this.threadSels.has(t.tid)) this.endThread(proc, t);
    proc.state = "exited";
    proc.exitStatus = status;
    proc.signal = signal;
    proc.fault = fault;
    if (fault) this.faults.push(fault);
    const ec = this.kernel.ecs.get(proc.ecId) ?? null;
    if (this.kernel.tracing) this.kernel.emit("process_exit", ec, proc.name, `pid ${proc.pid}`, signal ? SIGNAL_NAMES[signal] ?? `signal ${signal}` : `status ${status}`, 0);
    if (proc.linux) {
      proc.linux.exited = true;
      proc.linux.exitStatus = status;
      proc.linux.killedBy = signal;
    }
    if (this.fileServer.processes.has(proc.pid)) this.fileServer.exitProcess(proc.pid);
    // Wake a parent waiting in the process service before the revoke below destroys the semaphore.
    this.hc.smUp(proc.selBase + SEL_EXIT_SM);
    this.hc.revoke(objCrd(proc.selBase, this.blockOrder, RIGHTS_ALL), true);
    this.starts.delete(proc.ecId);
    if (proc.linux) this.personality.processExited(proc.linux);
    this.log(fault ? fault.text : `process ${proc.pid} '${proc.name}' exited with status ${status}`);
    if (this.processes.running === 0) this.log("all processes have exited");
  }

  // ---- portal handlers (HostRuntime) ----

  portal(ec: number, ip: number, portalId: number): void {
    const saved = this.hc.ec;
    this.hc.ec = ec;
    try {
      if (ip === IP_MEDIATOR) return;
      const proc = this.processes.get(Math.floor(portalId / 256));
      const slot = portalId % 256;
      const handler = this.kernel.ecs.get(ec)!;
      const utcb = this.kernel.utcb(handler);
      switch (ip) {
        case IP_STARTUP: return this.startup(proc, utcb, handler.caller);
        case IP_EXCEPTION: return this.exception(proc, slot, utcb, handler.caller);
        case IP_FOREIGN: return this.foreignSyscall(proc, utcb, handler);
        case IP_SERVICE: return this.service(proc, slot, utcb, handler);
        default: throw new Error(`roottask: portal with unknown entry ${ip}`);
      }
    } finally {
      this.drainDue();
      this.hc.ec = saved;
      this.armTimer();
    }
  }

  /** A withheld reply's deadline passed: the blocked call times out (HostRuntime). */
  replyDue(callerEc: number): void {
    const found = this.personality.threadOfEc(callerEc);
    if (!found) return;
    this.personality.timeout(found.thread);
    const saved = this.hc.ec;
    try {
      this.drainDue();
    } finally {
      this.hc.ec = saved;
      this.armTimer();
    }
  }

  /** The Linux timers' deadline passed (HostRuntime): signals go out (running targets are recalled), waits wake. */
  deadlineDue(): void {
    const saved = this.hc.ec;
    try {
      this.hc.ec = this.kernel.rootEc;
      for (const thread of this.personality.expireTimers(this.config.nowNs())) {
        const found = this.personality.threadById(thread.tid);
        if (found) this.recall(found.proc, thread);
      }
      this.drainDue();
    } finally {
      this.hc.ec = saved;
      this.armTimer();
    }
  }

  /** ec_ctrl recall of a thread's EC: its next entry to user code is a RECALL event, where pending signals enter. */
  private recall(proc: LinuxProcess, thread: LinuxThread): void {
    this.hc.ecRecall(this.threadSels.get(thread.tid) ?? this.processes.get(proc.pid).selBase + SEL_EC);
  }

  /** The kernel calls back (deadlineDue) at the next Linux timer that has to act, in virtual cycles. */
  private armTimer(): void {
    const ns = this.personality.nextTimerNs();
    this.kernel.hostDeadline = ns === 0 ? 0 : Math.max(1, Math.ceil((ns * TSC_KHZ) / 1e6));
  }

  /**
   * Finishes or re-runs every blocked syscall that became due (a pipe changed, a child exited, a futex wake, a
   * signal, a timeout): the caller's message is read again into the waker EC's UTCB of its CPU and, unless the
   * call blocks again, the withheld reply goes out from there.
   */
  private drainDue(): void {
    const due = this.personality.waits.due;
    const nativeDue = this.nativeNetWaits.due;
    while (due.length > 0 || nativeDue.length > 0) {
      if (due.length === 0) {
        this.resumeNativeNet(nativeDue.shift()!);
        continue;
      }
      const tid = due.shift()!;
      const found = this.personality.threadById(tid);
      if (!found?.thread.blocked || !this.kernel.withheld.has(found.thread.ec)) continue;
      const { proc: linux, thread } = found;
      const waker = this.kernel.ecs.get(this.kernel.objectAt(this.kernel.rootPd, WAKER_SEL + thread.cpu))!;
      const utcb = this.kernel.utcb(waker);
      withheldMessage(this.kernel, thread.ec, utcb, MTD_FOREIGN, SYSCALL_LENGTH);
      this.hc.ec = waker.id;
      this.serveForeign(this.processes.get(linux.pid), linux, thread, utcb, waker, true);
    }
  }

  /** A native app's waiting network call runs again in the waker's UTCB; the withheld reply goes out unless it waits on. */
  private resumeNativeNet(callerEc: number): void {
    const waits = this.nativeNetWaits.waiting;
    const wait = waits.get(callerEc);
    const caller = this.kernel.ecs.get(callerEc);
    if (!wait) return;
    if (!caller || !this.kernel.withheld.has(callerEc)) {
      waits.delete(callerEc);
      return;
    }
    const waker = this.kernel.ecs.get(this.kernel.objectAt(this.kernel.rootPd, WAKER_SEL + caller.cpu))!;
    const utcb = this.kernel.utcb(waker);
    this.nativeNetWaits.restore(wait, utcb);
    this.hc.ec = waker.id;
    try {
      serveNet(this.net, this.fileServer, wait.pid, utcb);
    } catch (error) {
      if (!(error instanceof SocketWouldBlock)) throw error;
      wait.socketId = error.socketId;
      return;
    }
    waits.delete(callerEc);
    this.kernel.charge(caller.cpu, LINUX_WORK_DEFAULT, "service");
    replyWithheld(this.kernel, callerEc, waker);
  }

  /** RIP = ELF entry, RSP = the Linux-layout initial stack; a native app also gets RDI = CPU, RSI = UTCB, RDX = CPU count. */
  private startup(proc: Process, utcb: Utcb, ecId: number): void {
    const start = this.starts.get(ecId);
    if (start) {
      // A forked child or a new thread: the whole user state of the parent's syscall return.
      this.starts.delete(ecId);
      this.regs.copyFrom(start);
      return this.replyFullState(utcb);
    }
    utcb.setU64(EXC_MTD, MTD_RIP_LEN | MTD_RSP | (proc.kind === "native" ? MTD_ACDB | MTD_BSD : 0));
    utcb.setU64(EXC_RIP, proc.entry);
    utcb.setGprValue(RSP, proc.rsp);
    if (proc.kind !== "native") return;
    for (const r of [RAX, RCX, RBX, RBP]) utcb.setGprValue(r, 0);
    utcb.setGprValue(RDI, proc.cpu);
    utcb.setGprValue(RSI, APP_UTCB);
    utcb.setGprValue(RDX, this.cpuCount);
  }

  private service(proc: Process, slot: number, utcb: Utcb, handler: Ec): void {
    if (slot === SERVICE_EXIT) return this.terminate(proc, utcb.word(0) & 0xff, 0, null);
    // The echo portals exist to measure bare IPC (§9's round-trip rows): they do no modelled work.
    if (slot !== SERVICE_ECHO && slot !== SERVICE_RAW_ECHO) this.kernel.charge(this.kernel.nowCpu, LINUX_WORK_DEFAULT, "service");
    try {
      serve(slot, proc, utcb, this.services);
    } catch (error) {
      if (!(error instanceof SocketWouldBlock)) throw error;
      // The caller waits in its portal call, as a blocked Linux syscall does; the socket's next change runs it again.
      this.nativeNetWaits.park(handler.caller, proc.pid, error.socketId, utcb);
      withholdReply(this.kernel, handler, 0);
    }
  }

  /** Replies with the whole user state in `regs` (all GPRs, RIP, RFLAGS, fs/gs base, FPU). */
  private replyFullState(utcb: Utcb): void {
    utcb.saveState(this.regs, MTD_FULL_STATE, { errorCode: 0, address: 0, instLength: utcb.u64(EXC_INST_LEN) });
  }

  /**
   * A CPU exception: a Linux process with a handler for the signal enters it; otherwise the process dies with
   * 128 + signal and a one-line report.
   */
  private exception(proc: Process, vector: number, utcb: Utcb, ecId: number): void {
    const rip = utcb.u64(EXC_RIP);
    const errorCode = utcb.u64(EXC_QUAL0);
    const address = vector === 14 ? utcb.u64(EXC_QUAL1) : rip;
    let signal = SIGNAL_OF_VECTOR[vector] ?? 11;
    const thread = proc.linux?.threads.find((t) => t.ec === ecId);
    if (vector === VEC_RECALL) {
      // Recalled for a timer's signal: enter its handler (or die of it) from the interrupted user state.
      utcb.loadState(this.regs);
      const fatal = proc.linux && thread ? this.personality.recalled(proc.linux, thread, this.regs) : 0;
      if (fatal === 0) return this.replyFullState(utcb);
      return this.terminate(proc, 128 + fatal, fatal, null);
    }
    if (proc.linux && thread) {
      utcb.loadState(this.regs);
      signal = this.personality.fault(proc.linux, thread, this.regs, vector, errorCode, utcb.u64(EXC_QUAL1));
      if (signal === 0) return this.replyFullState(utcb);
    }
    const bytes: number[] = [];
    const space = this.kernel.hostSpace(this.hc.ec, proc.selBase + SEL_PD);
    for (let i = 0; i < 15; i++) {
      try {
        bytes.push(space.read(rip + i, 1)[0]);
      } catch {
        break;
      }
    }
    const kind = vectorName(vector);
    const hex = (n: number) => "0x" + n.toString(16);
    const what =
      vector === 14 ? `page fault (${describeFault(errorCode)}) at ${hex(address)}`
      : vector === 6 ? `invalid opcode at ${hex(rip)}: ${describeInstruction(bytes, rip)}`
      : vector === 13 ? `general protection fault${errorCode ? ` (error code ${hex(errorCode)})` : ""}`
      : vector === 0 ? "divide error"
      : `${kind} exception`;
    const text = `process ${proc.pid} '${proc.name}' killed by ${SIGNAL_NAMES[signal] ?? `signal ${signal}`}: ${what}, rip ${hex(rip)}`;
    this.terminate(proc, 128 + signal, signal, { pid: proc.pid, name: proc.name, vector, kind, signal, address, rip, errorCode, bytes, text });
  }

  /** The foreign-syscall portal: Linux ABI from the UTCB's exception layout → personality → reply registers. */
  private foreignSyscall(proc: Process, utcb: Utcb, handler: Ec): void {
    const linux = proc.linux;
    if (!linux) throw new Error(`roottask: process ${proc.pid} made a foreign syscall but has no Linux personality`);
    const thread = linux.threads.find((t) => t.ec === handler.caller);
    if (!thread) throw new Error(`roottask: EC ${handler.caller} of process ${proc.pid} is no thread of it`);
    if (this.config.mediator) {
      // An empty message: the exception layout stays in place (the event reply reads it by mtd, not by word count).
      utcb.setItems(0, 0);
      this.hc.call(MEDIATOR_PT_SEL + thread.cpu);
      this.hc.ec = handler.id;
    }
    this.serveForeign(proc, linux, thread, utcb, handler, false);
  }

  /**
   * One forwarded syscall (or a blocked one run again, `resumed`): decode, run, then reply through `via`'s UTCB —
   * directly (the portal's reply) or as the withheld reply — or withhold the reply while the call waits.
   */
  private serveForeign(proc: Process, linux: LinuxProcess, thread: LinuxThread, utcb: Utcb, via: Ec, resumed: boolean): void {
    const f = this.frame;
    f.nr = utcb.gprHalves(RAX)[0];
    ARG_REGS.forEach((reg, i) => {
      const [lo, hi] = utcb.gprHalves(reg);
      setSyscallArg(f, i, lo, hi);
    });
    const returnRip = utcb.gpr(RCX);
    const userRsp = utcb.gpr(R11);
    f.rip = returnRip;
    f.rsp = userRsp;
    f.fsBase = utcb.u64(EXC_FS_BASE);
    f.gsBase = utcb.u64(EXC_GS_BASE);
    f.result = 0;
    f.exitStatus = -1;
    f.exited = false;
    f.fsBaseChanged = false;
    f.sigreturn = false;
    const name = this.personality.nameOf(f.nr);
    this.current = { utcb, frame: f };
    try {
      if (resumed) this.personality.resume(linux, thread, f);
      else this.personality.syscall(linux, thread, f);
    } catch (error) {
      if (!(error instanceof UnknownSyscallError)) throw error;
      this.kernel.stop(error.message);
      f.result = -38;
    } finally {
      this.current = null;
    }
    const ec = this.kernel.ecs.get(thread.ec) ?? null;
    if (f.result === BLOCKED) {
      if (this.kernel.tracing) this.emitSyscall(ec, name, linux, f, "entry", 0);
      const deadline = this.deadlineCycles(thread);
      if (resumed) setWithheldDeadline(this.kernel, thread.ec, deadline);
      else withholdReply(this.kernel, via, deadline);
      return;
    }
    const work = linuxWork(name, f.result);
    this.kernel.charge(resumed ? thread.cpu : this.kernel.nowCpu, work, "service");
    this.syscallCounts.set(name, (this.syscallCounts.get(name) ?? 0) + 1);
    // Captured after the call, so out-buffers and out-structs show what the syscall wrote.
    if (this.kernel.tracing) this.emitSyscall(ec, name, linux, f, "exit", work);
    if (f.threadExited) {
      this.personality.removeThread(linux, thread);
      this.endThread(proc, thread);
      return;
    }
    if (this.personality.needsFullReturn(linux, thread, f)) {
      const regs = this.regs;
      if (f.exec) {
        regs.copyFrom(new CpuState());
        regs.rip = f.exec.entry;
        regs.set(RSP, f.exec.stack);
        regs.rflags = 0x202;
      } else {
        utcb.loadState(regs);
        regs.set(RAX, f.result);
        regs.set(R11, regs.rflags); // what `syscall` leaves in R11 (the kernel's entry path reused it for RSP)
        regs.set(RSP, userRsp);
        regs.rip = returnRip;
        if (f.fsBaseChanged) regs.fsBase = f.fsBase;
      }
      this.personality.returnToUser(linux, thread, f, regs);
      if (!f.exited) {
        this.replyFullState(utcb);
        if (resumed) replyWithheld(this.kernel, thread.ec, via);
        return;
      }
    }
    if (f.exited) {
      this.terminate(proc, f.exitStatus, linux.killedBy, null);
      return;
    }
    let mtd = MTD_ACDB | MTD_RSP | MTD_RIP_LEN;
    if (f.fsBaseChanged) {
      mtd |= MTD_FS_GS;
      utcb.setU64(EXC_FS_BASE, f.fsBase);
      utcb.setU64(EXC_GS_BASE, f.gsBase);
    }
    utcb.setU64(EXC_MTD, mtd);
    utcb.setU64(EXC_RIP, returnRip);
    utcb.setGprValue(RSP, userRsp);
    utcb.setGprValue(RAX, f.result);
    if (resumed) replyWithheld(this.kernel, thread.ec, via);
  }

  /** A blocked call's deadline (virtual ns) as cycles on its thread's CPU clock; 0 = none. */
  /** The foreign_syscall event, its text left to render from the capture when somebody views it. */
  private emitSyscall(ec: Ec | null, name: string, linux: LinuxProcess, f: SyscallFrame, phase: Phase, work: number): void {
    const w = this.capture;
    w.length = 0;
    this.personality.capture(linux, f, phase, w);
    this.kernel.emitCaptured("foreign_syscall", ec, name, w.finish(), renderSyscall, work);
  }

  private deadlineCycles(thread: LinuxThread): number {
    const ns = thread.blocked?.deadlineNs ?? 0;
    if (ns === 0) return 0;
    const now = this.config.nowNs();
    return this.kernel.cpus[thread.cpu].clock + Math.max(1, Math.ceil(((ns - now) * TSC_KHZ) / 1e6));
  }
}
