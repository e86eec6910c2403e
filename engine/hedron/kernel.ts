// The Hedron kernel model: object tables, boot, object creation and destruction, virtual time, events, and the CPU loop.
// All state is plain records in maps keyed by id (a snapshot is data); guest ECs run on ExecUnits, host ECs call the HostRuntime.

import { EXIT_BUDGET, EXIT_EXCEPTION, EXIT_SYSCALL } from "../cpu/cpu.ts";
import { RDI, RSP, type CpuState } from "../cpu/state.ts";
import type { CaptureRenderer, EventKind, EventListener, MachineEvent, RawEventSink } from "../events.ts";
import { PERM_R, PERM_RW, USER_LIMIT, type AddressSpace } from "../memory/address-space.ts";
import { FramePool, PAGE_SIZE } from "../memory/frames.ts";
import {
  ABORT, BAD_CAP, TIMEOUT, HIP_ADDR, HYPERCALL_NAMES, RIGHTS_ALL, ROOT_EC_SEL, ROOT_PD_SEL, ROOT_SC_PRIO, ROOT_SC_QUANTUM_US, ROOT_SC_SEL,
  ROOT_UTCB_ADDR, SEL_NUM, VEC_RECALL, VEC_STARTUP, vectorName,
} from "./abi.ts";
import { CapTable, type Capability, type ObjKind } from "./capspace.ts";
import { CPI, COST_TABLE, TSC_KHZ } from "./costs.ts";
import { createEc, type Ec } from "./ec.ts";
import { buildHip, HIP_API_VERSION, MEM_AVAILABLE, MEM_HYPERVISOR, MEM_MODULE, MEM_RESERVED, type HipMemory } from "./hip.ts";
import { deliverEvent, exceptionEntry, wakeWithStatus } from "./ipc.ts";
import { createPd, type Pd } from "./pd.ts";
import { createPt, type Pt } from "./pt.ts";
import { createSc, refill, type Sc } from "./sc.ts";
import { createCpuSched, dequeue, enqueue, popNext, topPriority, type CpuSched } from "./scheduler.ts";
import { createSm, type Sm } from "./sm.ts";
import { syscallEntry } from "./syscall.ts";
import { Utcb } from "./utcb.ts";

/** What the kernel needs of a CPU (engine/cpu/cpu.ts implements it). */
export interface ExecUnit {
  icount: number;
  readTsc: () => number;
  exitVector: number;
  exitErrorCode: number;
  exitAddress: number;
  exitInstrLength: number;
  load(state: CpuState, space: AddressSpace): void;
  save(state: CpuState): void;
  run(budget: number): number;
}

/** The host PD's code: a portal bound to a host EC runs `portal` synchronously; its return is the reply. */
export interface HostRuntime {
  portal(ec: number, ip: number, portalId: number): void;
  /** The deadline of a reply the host withheld for `callerEc` passed (it is cleared; the host decides what to reply). */
  replyDue?(callerEc: number): void;
  /** The host's own deadline (Kernel.hostDeadline) passed: what a host thread blocked on a semaphore with a timeout would see. */
  deadlineDue?(): void;
}

/** A reply a host handler withheld (ipc.ts withholdReply): who waits, on which donated SC, and until when. */
export interface WithheldReply {
  caller: number;
  /** The host PD whose EC withheld it; only its ECs may reply. */
  server: number;
  donor: number;
  kind: "ipc" | "event";
  callId: number;
  callName: string;
  /** Virtual cycles on the caller's CPU; 0 = none. */
  deadline: number;
}

export interface BootModule {
  name: string;
  bytes: Uint8Array;
  cmdline: string;
}

export interface KernelConfig {
  frames: FramePool;
  cpus: number;
  /** Where the kernel prints its banner (the VGA text console). */
  print?: (text: string) => void;
}

/** Cost categories of virtual time, for stats and charts. */
export type CostCategory = "instructions" | "syscall" | "ipc" | "exception" | "delegation" | "switch" | "service";

/** Low memory the PC reserves (BIOS, VGA at 0xb8000): frames 1..255 are taken at boot so addresses are real. */
export const LOW_MEMORY_FRAMES = 256;
/** Guest instructions one CPU runs before the machine moves to the CPU with the earliest clock. */
export const INTERLEAVE_INSTRUCTIONS = 20_000;

export class Kernel {
  readonly frames: FramePool;
  readonly cpuCount: number;
  readonly pds = new Map<number, Pd>();
  readonly ecs = new Map<number, Ec>();
  readonly scs = new Map<number, Sc>();
  readonly pts = new Map<number, Pt>();
  readonly sms = new Map<number, Sm>();
  /** Replies withheld by host handlers, by the blocked caller's EC id. */
  readonly withheld = new Map<number, WithheldReply>();
  readonly caps: CapTable;
  readonly cpus: CpuSched[];
  nextObject = 1;
  callSeq = 0;
  /** Instructions retired on all CPUs. */
  icount = 0;
  /** The CPU whose kernel path is executing (events and charges go to it). */
  nowCpu = 0;
  stopReason: string | null = null;
  host: HostRuntime | null = null;
  /**
   * Virtual cycles at which the host wants to run (its timers), 0 = never: the timeout of the semaphore down a
   * roottask timer thread would block in. Slices end there, and an idle machine jumps to it.
   */
  hostDeadline = 0;
  units: ExecUnit[] = [];
  private sliceStart: number[] = [];
  /**
   * A slice the run budget cut short (cpu -1: none): the next run() finishes it before scheduling anything, so
   * slice lengths, CPU choice and timeout checks never depend on how a run is split into budgets.
   */
  private readonly cut = { cpu: -1, left: 0 };
  readonly stats = {
    hypercalls: new Array<number>(HYPERCALL_NAMES.length).fill(0),
    badHypercalls: 0,
    portalCalls: 0,
    foreignSyscalls: 0,
    exceptions: new Map<number, number>(),
    contextSwitches: 0,
    costs: { instructions: 0, syscall: 0, ipc: 0, exception: 0, delegation: 0, switch: 0, service: 0 } as Record<CostCategory, number>,
  };
  rootPd = -1;
  rootEc = -1;
  rootSc = -1;
  private readonly listeners: EventListener[] = [];
  private readonly sinks: RawEventSink[] = [];
  /** Whether a subscriber wants host time: a clock reading costs about as much as recording the event. */
  private hostClock = false;
  /** The host time the events of one operation share (holdHostTime), NaN when each reads the clock. */
  private heldHostNs = NaN;
  /** The host clock reading of the last event since startHostTime (NaN: none). */
  private lastHostNs = NaN;
  private readonly hostStart = performance.now();
  private readonly print: (text: string) => void;

  constructor(config: KernelConfig) {
    this.frames = config.frames;
    this.cpuCount = config.cpus;
    this.print = config.print ?? (() => {});
    this.cpus = Array.from({ length: config.cpus }, (_, i) => createCpuSched(i));
    this.caps = new CapTable((kind, id) => this.object(kind, id));
  }

  // ---- objects ---------------------------------------------------------------------------------------------

  object(kind: ObjKind, id: number): { refs: number } {
    const table = { pd: this.pds, ec: this.ecs, sc: this.scs, pt: this.pts, sm: this.sms }[kind] as Map<number, { refs: number }>;
    const obj = table.get(id);
    if (!obj) throw new Error(`kernel: capability names missing ${kind} ${id}`);
    return obj;
  }

  pdOf(ec: Ec): Pd {
    const pd = this.pds.get(ec.pd);
    if (!pd) throw new Error(`kernel: EC ${ec.id} belongs to missing PD ${ec.pd}`);
    return pd;
  }

  utcb(ec: Ec): Utcb {
    return new Utcb(this.frames, ec.utcbFrame);
  }

  /** A capability of `pd` at `sel` of the given kind holding all of `rights`, else undefined (the caller answers BAD_CAP). */
  capOf(pd: Pd, sel: number, kind: ObjKind, rights: number): Capability | undefined {
    const cap = this.caps.lookup(pd, sel);
    if (!cap || cap.kind !== kind || (cap.rights & rights) !== rights) return undefined;
    return cap;
  }

  newPd(name: string, opts: { privileged?: boolean; host?: boolean; foreign?: boolean; foreignBase?: number }): Pd {
    const pd = createPd(this.nextObject++, name, this.frames, opts);
    this.pds.set(pd.id, pd);
    return pd;
  }

  /** Creates an EC with a fresh UTCB frame, mapped at utcbAddr (if non-zero) in `mapIn`. */
  newEc(
    name: string,
    pd: Pd,
    p: { cpu: number; global: boolean; evt: number; utcbAddr: number; rsp: number; mapIn: Pd },
  ): Ec {
    const frame = this.frames.alloc();
    if (p.utcbAddr !== 0) {
      const vpn = p.utcbAddr / PAGE_SIZE;
      p.mapIn.space.share(vpn, frame, PERM_RW);
      p.mapIn.utcbPages.add(vpn);
    }
    const ec = createEc(this.nextObject++, name, {
      pd: pd.id, cpu: p.cpu, global: p.global, host: pd.host, evt: p.evt, utcbAddr: p.utcbAddr, utcbFrame: frame, rsp: p.rsp,
    });
    this.ecs.set(ec.id, ec);
    return ec;
  }

  newSc(ec: Ec, prio: number, quantumUs: number): Sc {
    const sc = createSc(this.nextObject++, ec.id, ec.cpu, prio, quantumUs);
    this.scs.set(sc.id, sc);
    ec.sc = sc.id;
    if (!ec.host && ec.wait === "running") this.ready(sc);
    return sc;
  }

  newPt(ec: Ec, mtd: number, ip: number): Pt {
    const pt = createPt(this.nextObject++, ec.id, mtd, ip);
    this.pts.set(pt.id, pt);
    return pt;
  }

  newSm(counter: number): Sm {
    const sm = createSm(this.nextObject++, counter);
    this.sms.set(sm.id, sm);
    return sm;
  }

  /** True when `sel` is a valid, empty selector of `pd`. */
  freeSelector(pd: Pd, sel: number): boolean {
    return sel < SEL_NUM && !pd.objects.has(sel);
  }

  /** Destroys every object whose last capability went away (cascading: a dead PD drops its own capabilities). */
  reap(): void {
    while (this.caps.orphans.length > 0) {
      const { kind, id } = this.caps.orphans.shift()!;
      switch (kind) {
        case "pd": this.destroyPd(id); break;
        case "ec": this.destroyEc(id); break;
        case "sc": this.destroySc(id); break;
        case "pt": this.pts.delete(id); break;
        case "sm": this.destroySm(id); break;
      }
    }
  }

  private destroyPd(id: number): void {
    const pd = this.pds.get(id);
    if (!pd) return;
    pd.dead = true;
    // Capabilities first: the PD's own may name its ECs, which must still exist while they are removed.
    for (const cap of this.caps.capsOf(pd)) this.caps.remove(cap, (p) => this.pds.get(p));
    // ECs keep no PD alive here (NOVA would): an EC whose PD is gone cannot run, so it dies with it.
    for (const ec of this.ecs.values()) if (ec.pd === id) this.destroyEc(ec.id);
    pd.space.destroy();
    this.pds.delete(id);
  }

  private destroyEc(id: number): void {
    const ec = this.ecs.get(id);
    if (!ec) return;
    this.stopEc(ec);
    const pd = this.pds.get(ec.pd);
    if (pd && ec.utcbAddr !== 0) {
      const vpn = ec.utcbAddr / PAGE_SIZE;
      if (pd.utcbPages.delete(vpn)) pd.space.unmap(vpn);
    }
    this.frames.release(ec.utcbFrame);
    if (ec.sc >= 0) {
      const sc = this.scs.get(ec.sc);
      if (sc) this.stopSc(sc);
    }
    this.ecs.delete(id);
  }

  private destroySc(id: number): void {
    const sc = this.scs.get(id);
    if (!sc) return;
    this.stopSc(sc);
    const ec = this.ecs.get(sc.ec);
    if (ec && ec.sc === id) ec.sc = -1;
    this.scs.delete(id);
  }

  private stopSc(sc: Sc): void {
    const cpu = this.cpus[sc.cpu];
    dequeue(cpu, sc);
    if (cpu.current === sc.id) cpu.current = -1;
    sc.dead = true;
  }

  private destroySm(id: number): void {
    const sm = this.sms.get(id);
    if (!sm) return;
    sm.dead = true;
    for (const w of sm.waiters.splice(0)) {
      const ec = this.ecs.get(w.ec);
      if (ec) wakeWithStatus(this, ec, BAD_CAP);
    }
    this.sms.delete(id);
  }

  /** Kills an EC (no handler for its event, or its handler died): a caller it serves gets ABORT or dies too. */
  killEc(ec: Ec, reason: string): void {
    if (ec.wait === "dead") return;
    if (this.tracing) this.emit("exception", ec, "kill", `ec ${ec.id} (${ec.name})`, reason, 0);
    this.stopEc(ec);
  }

  /** Takes an EC out of every queue; a caller it was serving gets ABORT (an IPC) or dies (an event it cannot survive). */
  private stopEc(ec: Ec): void {
    if (ec.wait === "dead") return;
    const wasBlockedOn = ec.wait;
    ec.wait = "dead";
    this.withheld.delete(ec.id);
    if (wasBlockedOn === "sm") for (const sm of this.sms.values()) sm.waiters = sm.waiters.filter((w) => w.ec !== ec.id);
    for (const other of this.ecs.values()) other.waiters = other.waiters.filter((w) => w !== ec.id);
    if (ec.sc >= 0) {
      const sc = this.scs.get(ec.sc);
      if (sc) this.stopSc(sc);
    }
    const callerId = ec.caller;
    ec.caller = -1;
    const donor = ec.donor >= 0 ? this.scs.get(ec.donor) : undefined;
    ec.donor = -1;
    for (const w of ec.waiters.splice(0)) {
      const waiter = this.ecs.get(w);
      if (waiter && waiter.wait === "busy") this.makeRunnable(waiter);
    }
    const caller = callerId >= 0 ? this.ecs.get(callerId) : undefined;
    if (!caller || caller.wait === "dead") return;
    if (donor && !donor.dead) donor.current = caller.id;
    if (ec.callKind === "ipc") wakeWithStatus(this, caller, ABORT);
    else this.killEc(caller, `its handler EC ${ec.id} died`);
  }

  /**
   * The roottask's view of a PD it holds a capability for (the seed maps such memory into itself): ELF loading and
   * the personality's guest-memory access use it instead of one delegation hypercall per page.
   */
  hostSpace(ecId: number, pdSel: number): AddressSpace {
    const ec = this.ecs.get(ecId);
    const own = ec ? this.pds.get(ec.pd) : undefined;
    if (!ec || !ec.host || !own?.privileged) throw new Error(`kernel: EC ${ecId} may not access other PDs' memory`);
    const cap = this.capOf(own, pdSel, "pd", 0);
    if (!cap) throw new Error(`kernel: selector ${pdSel} of the root PD is no PD`);
    return this.pds.get(cap.obj)!.space;
  }

  /** The kernel object behind a selector of a PD (for the roottask's bookkeeping and the inspector). */
  objectAt(pdId: number, sel: number): number {
    const pd = this.pds.get(pdId);
    const cap = pd ? this.caps.lookup(pd, sel) : undefined;
    return cap ? cap.obj : -1;
  }

  // ---- scheduling ------------------------------------------------------------------------------------------

  /** The SC an EC runs on: its own, or the one donated to it by its caller. */
  scOf(ec: Ec): Sc | undefined {
    const id = ec.sc >= 0 ? ec.sc : ec.donor;
    const sc = id >= 0 ? this.scs.get(id) : undefined;
    return sc && !sc.dead ? sc : undefined;
  }

  /** Marks an EC runnable and queues the SC that will run it. */
  makeRunnable(ec: Ec): void {
    if (ec.wait === "dead") return;
    ec.wait = "running";
    const sc = this.scOf(ec);
    if (sc) {
      sc.current = ec.id;
      this.ready(sc);
    }
  }

  /** Queues an SC on its CPU; an idle CPU's clock catches up with the CPU that woke it. */
  ready(sc: Sc): void {
    const cpu = this.cpus[sc.cpu];
    cpu.clock = Math.max(cpu.clock, this.cpus[this.nowCpu].clock);
    enqueue(cpu, sc);
  }

  private runnableSc(sc: Sc | undefined): boolean {
    if (!sc || sc.dead) return false;
    const ec = this.ecs.get(sc.current);
    return !!ec && ec.wait === "running" && !ec.host;
  }

  /** Makes sure the CPU runs a runnable SC if it has one; false when idle. */
  private settle(cpu: CpuSched): boolean {
    if (cpu.current >= 0 && !this.runnableSc(this.scs.get(cpu.current))) cpu.current = -1;
    while (cpu.current < 0) {
      const next = popNext(cpu);
      if (next < 0) return false;
      const sc = this.scs.get(next);
      if (!sc) continue;
      sc.queued = false;
      if (this.runnableSc(sc)) {
        cpu.current = next;
        this.stats.contextSwitches++;
      }
    }
    return true;
  }

  /** The busy CPU with the earliest clock (lowest index on ties): deterministic interleaving. */
  private pickCpu(): CpuSched | undefined {
    let best: CpuSched | undefined;
    for (const cpu of this.cpus) if (this.settle(cpu) && (!best || cpu.clock < best.clock)) best = cpu;
    return best;
  }

  /** Semaphore deadlines that passed on the clock `now` time out; so do withheld replies (the host is told). */
  private expireTimeouts(now: number): void {
    if (this.hostDeadline > 0 && this.hostDeadline <= now) {
      this.hostDeadline = 0;
      this.host?.deadlineDue?.();
    }
    for (const w of [...this.withheld.values()]) {
      if (w.deadline === 0 || w.deadline > now) continue;
      const ec = this.ecs.get(w.caller);
      if (ec) this.cpus[ec.cpu].clock = Math.max(this.cpus[ec.cpu].clock, w.deadline);
      w.deadline = 0;
      this.host?.replyDue?.(w.caller);
    }
    for (const sm of this.sms.values()) {
      for (const w of [...sm.waiters]) {
        if (w.deadline === 0 || w.deadline > now) continue;
        sm.waiters.splice(sm.waiters.indexOf(w), 1);
        const ec = this.ecs.get(w.ec);
        if (!ec) continue;
        this.cpus[ec.cpu].clock = Math.max(this.cpus[ec.cpu].clock, w.deadline);
        wakeWithStatus(this, ec, TIMEOUT);
      }
    }
  }

  /** With every CPU idle, virtual time jumps to the earliest semaphore deadline; false if there is none. */
  private jumpToDeadline(): boolean {
    let earliest = Infinity;
    for (const sm of this.sms.values()) for (const w of sm.waiters) if (w.deadline > 0) earliest = Math.min(earliest, w.deadline);
    for (const w of this.withheld.values()) if (w.deadline > 0) earliest = Math.min(earliest, w.deadline);
    if (earliest === Infinity && this.hostDeadline === 0) return false;
    if (this.hostDeadline > 0 && this.hostDeadline <= earliest) {
      // Every CPU is idle: time passes on all of them up to the host's deadline.
      for (const cpu of this.cpus) cpu.clock = Math.max(cpu.clock, this.hostDeadline);
      earliest = this.hostDeadline;
    }
    this.expireTimeouts(earliest);
    return true;
  }

  /** Runs guest code until `budget` instructions retired, everything is blocked or exited, or a stop. */
  run(budget: number): "halted" | "budget" {
    let left = budget;
    while (left > 0) {
      if (this.stopReason !== null) return "halted";
      let cpu: CpuSched;
      let want: number;
      const cutSc = this.cut.cpu >= 0 ? this.scs.get(this.cpus[this.cut.cpu].current) : undefined;
      // A recall made between two runs is an event: it goes through the scheduling path below, not the cut slice.
      if (cutSc && this.runnableSc(cutSc) && !this.ecs.get(cutSc.current)!.recall) {
        cpu = this.cpus[this.cut.cpu];
        want = this.cut.left;
        this.cut.cpu = -1;
        this.nowCpu = cpu.index;
      } else {
        this.cut.cpu = -1;
        const next = this.pickCpu();
        if (!next) {
          if (this.jumpToDeadline()) continue;
          return "halted";
        }
        cpu = next;
        this.nowCpu = cpu.index;
        this.expireTimeouts(cpu.clock);
        if (!this.settle(cpu)) continue;
        const sc = this.scs.get(cpu.current)!;
        const ec = this.ecs.get(sc.current)!;
        if (cpu.lastEc !== ec.id) {
          if (cpu.lastEc >= 0) this.charge(cpu.index, COST_TABLE.CONTEXT_SWITCH, "switch");
          cpu.lastEc = ec.id;
          if (this.tracing) this.emit("schedule", ec, `sc ${sc.id}`, `prio ${sc.prio}`, "", COST_TABLE.CONTEXT_SWITCH);
        }
        if (ec.startup || ec.recall) {
          const vector = ec.startup ? VEC_STARTUP : VEC_RECALL;
          deliverEvent(this, ec, vector, { errorCode: 0, address: 0, instLength: 0 }, vectorName(vector), 0);
          // A busy handler makes the EC wait and retry; otherwise the event has been delivered.
          if (ec.wait !== "busy") {
            if (vector === VEC_STARTUP) ec.startup = false;
            else ec.recall = false;
          }
          continue;
        }
        want = Math.max(1, Math.min(this.cpus.length > 1 ? INTERLEAVE_INSTRUCTIONS : Infinity, Math.ceil(sc.left / CPI)));
        if (this.hostDeadline > cpu.clock) want = Math.min(want, Math.ceil((this.hostDeadline - cpu.clock) / CPI));
      }
      const sc = this.scs.get(cpu.current)!;
      const ec = this.ecs.get(sc.current)!;
      const unit = this.units[cpu.index];
      if (!unit) throw new Error(`kernel: no CPU attached for virtual CPU ${cpu.index}`);
      unit.load(ec.state, this.pdOf(ec).space);
      const start = unit.icount;
      this.sliceStart[cpu.index] = start;
      const exit = unit.run(Math.min(want, left));
      unit.save(ec.state);
      const retired = unit.icount - start;
      this.sliceStart[cpu.index] = unit.icount;
      left -= Math.max(retired, 1);
      this.icount += retired;
      this.charge(cpu.index, retired * CPI, "instructions");
      if (exit === EXIT_BUDGET && retired < want) {
        // Stopped at a block end inside the slice: the same EC goes on with the rest of it, without a preemption.
        this.cut.cpu = cpu.index;
        this.cut.left = want - retired;
        continue;
      }
      if (exit === EXIT_SYSCALL) syscallEntry(this, ec, unit.exitInstrLength);
      else if (exit === EXIT_EXCEPTION) exceptionEntry(this, ec, unit.exitVector, unit.exitErrorCode, unit.exitAddress, unit.exitInstrLength);
      this.preempt(cpu, sc);
    }
    return "budget";
  }

  /** Quantum used up → refill and requeue at the tail; a higher priority waiting → requeue at the head. */
  private preempt(cpu: CpuSched, sc: Sc): void {
    if (cpu.current !== sc.id || sc.dead) return;
    if (sc.left <= 0) {
      refill(sc);
      cpu.current = -1;
      enqueue(cpu, sc);
    } else if (topPriority(cpu) > sc.prio) {
      cpu.current = -1;
      enqueue(cpu, sc, true);
    }
  }

  /** Attaches the CPUs that run guest ECs; rdtsc reads the CPU's virtual clock. */
  attach(units: ExecUnit[]): void {
    if (units.length !== this.cpuCount) throw new Error(`kernel: ${units.length} CPUs attached, ${this.cpuCount} configured`);
    this.units = units;
    units.forEach((unit, i) => {
      this.sliceStart[i] = unit.icount;
      unit.readTsc = () => this.cpus[i].clock + (unit.icount - this.sliceStart[i]) * CPI;
    });
  }

  // ---- time, stats, events ---------------------------------------------------------------------------------

  charge(cpuIndex: number, cycles: number, category: CostCategory): void {
    const cpu = this.cpus[cpuIndex];
    cpu.clock += cycles;
    this.stats.costs[category] += cycles;
    if (cpu.current >= 0) {
      const sc = this.scs.get(cpu.current);
      if (sc) {
        sc.time += cycles;
        sc.left -= cycles;
      }
    }
  }

  /** Virtual time: the furthest CPU clock. */
  get vcycles(): number {
    let max = 0;
    for (const cpu of this.cpus) max = Math.max(max, cpu.clock);
    return max;
  }

  get tracing(): boolean {
    return this.listeners.length > 0 || this.sinks.length > 0;
  }

  onEvent(listener: EventListener): () => void {
    return subscribe(this.listeners, listener, () => this.subscribersChanged());
  }

  /** Subscribes a sink to every event as plain values (events.ts): no per-event object, no text for captured events. */
  onRawEvent(sink: RawEventSink): () => void {
    return subscribe(this.sinks, sink, () => this.subscribersChanged());
  }

  private subscribersChanged(): void {
    this.hostClock = this.listeners.length > 0 || this.sinks.some((s) => s.hostTime !== false);
  }

  /** Starts a host handler's work: its events read the clock as usual, and holdHostTime reuses the last reading. */
  startHostTime(): void {
    this.lastHostNs = NaN;
  }

  /**
   * The events emitted until releaseHostTime are one operation with the handler's last event (its syscall event,
   * the reply hypercall and the portal_reply it performs) and share that event's host clock reading, or a new one if
   * the handler emitted none: a clock read costs 60-150 ns here, and recording a syscall took four.
   */
  holdHostTime(): void {
    this.heldHostNs = this.lastHostNs === this.lastHostNs ? this.lastHostNs : this.hostNow();
  }

  releaseHostTime(): void {
    this.heldHostNs = NaN;
  }

  private hostNow(): number {
    return this.hostClock ? Math.round((performance.now() - this.hostStart) * 1e6) : 0;
  }

  /** Emits one event on behalf of `ec` (or the kernel with ec = null); callers check `tracing` before building text. */
  emit(kind: EventKind, ec: Ec | null, name: string, args: string, result: string, cost: number, callId?: number): void {
    this.deliver(kind, ec, name, args, result, cost, callId ?? NaN, null, null);
  }

  /**
   * Emits an event whose text `render` builds from `capture` (valid during the call only): raw sinks store the
   * capture, and the text is built only if an event listener wants it.
   */
  emitCaptured(kind: EventKind, ec: Ec | null, name: string, capture: Uint8Array, render: CaptureRenderer, cost: number): void {
    this.deliver(kind, ec, name, "", "", cost, NaN, capture, render);
  }

  private deliver(
    kind: EventKind, ec: Ec | null, name: string, args: string, result: string, cost: number, callId: number,
    capture: Uint8Array | null, render: CaptureRenderer | null,
  ): void {
    const cpu = ec ? ec.cpu : this.nowCpu;
    const icount = this.icount, vcycles = this.cpus[cpu].clock, pd = ec ? ec.pd : -1, ecId = ec ? ec.id : -1;
    const held = this.heldHostNs;
    const hostNs = held === held ? held : this.hostNow();
    this.lastHostNs = hostNs;
    for (let i = 0; i < this.sinks.length; i++) {
      this.sinks[i].event(kind, icount, vcycles, hostNs, cpu, pd, ecId, name, args, result, cost, callId, capture);
    }
    if (this.listeners.length === 0) return;
    if (render) ({ args, result } = render(capture!));
    const event: MachineEvent = {
      kind, icount, vcycles, hostNs, cpu, pd, ec: ecId, name, args, result, cost, callId: Number.isNaN(callId) ? undefined : callId,
    };
    for (const l of this.listeners) l(event);
  }

  stop(reason: string): void {
    if (this.stopReason === null) this.stopReason = reason;
  }

  // ---- boot ------------------------------------------------------------------------------------------------

  /**
   * Boots as Hedron does: HIP, root PD/EC/SC at selectors 32/33/34, boot modules in physical memory, the root
   * EC's start registers (RSP = HIP, RDI = boot CPU). The roottask is a host PD, so it starts when the machine calls it.
   */
  boot(modules: BootModule[], reserved: HipMemory[] = []): Ec {
    for (let f = 1; f < LOW_MEMORY_FRAMES; f++) {
      if (this.frames.alloc() !== f) throw new Error("kernel: boot needs a fresh frame pool (low memory is taken first)");
    }
    const root = this.newPd("root", { privileged: true, host: true });
    const ec = this.newEc("root", root, { cpu: 0, global: true, evt: 0, utcbAddr: ROOT_UTCB_ADDR, rsp: HIP_ADDR, mapIn: root });
    const sc = this.newSc(ec, ROOT_SC_PRIO, ROOT_SC_QUANTUM_US);
    this.caps.insert(root, ROOT_PD_SEL, "pd", root.id, RIGHTS_ALL, -1);
    this.caps.insert(root, ROOT_EC_SEL, "ec", ec.id, RIGHTS_ALL, -1);
    this.caps.insert(root, ROOT_SC_SEL, "sc", sc.id, RIGHTS_ALL, -1);
    this.rootPd = root.id;
    this.rootEc = ec.id;
    this.rootSc = sc.id;
    ec.state.set(RDI, 0);
    ec.state.set(RSP, HIP_ADDR);

    const memory: HipMemory[] = [
      { addr: 0, size: this.frames.frameCount * PAGE_SIZE, type: MEM_AVAILABLE, aux: 0 },
      { addr: 0, size: LOW_MEMORY_FRAMES * PAGE_SIZE, type: MEM_RESERVED, aux: 0 },
      ...reserved,
    ];
    for (const m of modules) {
      const addr = this.placeContiguous(m.bytes);
      const cmdline = this.placeContiguous(new TextEncoder().encode(m.cmdline + "\0"));
      memory.push({ addr, size: m.bytes.length, type: MEM_MODULE, aux: cmdline });
    }
    const hipFrame = this.frames.alloc();
    memory.push({ addr: hipFrame * PAGE_SIZE, size: PAGE_SIZE, type: MEM_HYPERVISOR, aux: 0 });
    this.frames.bytes.set(buildHip(this.cpuCount, memory, TSC_KHZ), hipFrame * PAGE_SIZE);
    root.space.map(HIP_ADDR / PAGE_SIZE, hipFrame, PERM_R);
    if (HIP_ADDR >= USER_LIMIT) throw new Error("kernel: HIP address outside user space");

    this.print(`Hedron Microhypervisor (lab model), API ${Math.floor(HIP_API_VERSION / 1000)}.${HIP_API_VERSION % 1000} x86-64, ${this.cpuCount} CPU(s), ${Math.round((this.frames.frameCount * PAGE_SIZE) / 1048576)} MiB\n`);
    this.print(`TSC ${TSC_KHZ} kHz (virtual), ${modules.length} boot module(s)\n`);
    return ec;
  }

  /** Copies bytes into freshly allocated, physically contiguous frames; returns the physical address. */
  placeContiguous(bytes: Uint8Array): number {
    const count = Math.max(1, Math.ceil(bytes.length / PAGE_SIZE));
    const first = this.frames.alloc();
    for (let i = 1; i < count; i++) {
      if (this.frames.alloc() !== first + i) throw new Error("kernel: boot module placement needs contiguous frames");
    }
    this.frames.bytes.set(bytes, first * PAGE_SIZE);
    return first * PAGE_SIZE;
  }
}

/** Adds `item` to `list`, then calls `changed`; the returned function removes it again (and calls `changed`). */
function subscribe<T>(list: T[], item: T, changed: () => void): () => void {
  list.push(item);
  changed();
  return () => {
    const i = list.indexOf(item);
    if (i >= 0) list.splice(i, 1);
    changed();
  };
}
