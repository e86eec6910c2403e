// Re-execute mode: rebuilds the recorded machine, feeds it the recorded input, and checks it against the recording —
// every event field, console write, input, block address, state and world hash — stopping at the first divergence.

import { GPR_NAMES } from "../cpu/state.ts";
import type { MachineEvent } from "../events.ts";
import { Machine, type MachineConfig } from "../machine.ts";
import { DecodeError } from "./codec.ts";
import { ChunkDriver, type ChunkEnd, type StoredConfig } from "./driver.ts";
import { type EventBatch, renderCapture } from "./event-chunk.ts";
import { CONSOLE_CLOSED_INPUT, replayingHostIo } from "./host-io.ts";
import { replayingDiskIo, type DiskIo } from "../roottask/fat/disk.ts";
import type { ChunkRecord, ConsoleRecord, InputRecord, Recording } from "./recording.ts";
import type { HostIo } from "../roottask/fs/host.ts";
import { RecordingError } from "./schema.ts";
import { CheckpointCache } from "./checkpoints.ts";
import { restoreSnapshot, worldHash } from "./snapshot.ts";
import { stateHash } from "./state-hash.ts";

export interface ReplayOptions {
  /** Stop at this instruction count (the first block end at or after it); default: the end of the recording. */
  to?: number;
  /** Compare events, blocks and state hashes with the recording (default true). */
  verify?: boolean;
  /** Called after every chunk (progress bars). */
  onChunk?: (icount: number) => void;
  /** Called once the machine is built, before it runs (to attach console or event listeners). */
  onStart?: (machine: Machine) => void;
  /** Start from the latest snapshot at or before `to` instead of from boot (default: when `to` is given). */
  fromSnapshot?: boolean;
  /** A later point than the recording's snapshot to start a plain replay from (engine/record/checkpoints.ts). */
  base?: ReplayPoint | null;
  /**
   * A machine an earlier plain replay of this recording returned: a plain seek that restores a snapshot or checkpoint
   * restores over it instead of booting a new one, so its compiled code is kept (the earlier result is then void).
   */
  reuse?: Machine | null;
  /** Called at every chunk end of a plain replay with the counts a checkpoint there needs. */
  onChunkEnd?: (machine: Machine, point: { events: number; inputs: number }) => void;
}

/** A machine state to restore (a snapshot's head and memory chain) and how many events and inputs came before it. */
export interface ReplayPoint {
  icount: number;
  head: Uint8Array;
  memory: readonly Uint8Array[];
  events: number;
  inputs: number;
  /** Captured in this process without hashes (a checkpoint): restored without the hash check. */
  unchecked?: boolean;
}

export interface Divergence {
  /** The trace chunk (1-based sequence number) in which replay first differed, and its range. */
  chunk: number;
  firstIcount: number;
  lastIcount: number;
  /** The instruction count at which the difference was seen. */
  icount: number;
  /** One sentence: what differed. */
  what: string;
  /** "integrity": the file's rows differ from what was recorded (digest chain); "execution": re-execution differed. */
  kind: "integrity" | "execution";
}

export interface ReplayResult {
  machine: Machine;
  /** Where re-execution started: 0, or the instruction count of the snapshot it restored. */
  startIcount: number;
  icount: number;
  chunksVerified: number;
  divergence: Divergence | null;
  /** True when replay ran to the recording's end (not stopped by --to or a divergence). */
  complete: boolean;
  /**
   * Runs the same machine on to a later instruction count, without verification (budgets split at the recorded
   * chunk boundaries, as recording did); returns where it stopped. What the Seeker uses to seek forward cheaply.
   */
  continueTo(to: number): number;
}


/** Rebuilds the MachineConfig of a recording; stdin and mounted host folders are read from the recorded input. */
export function recordedConfig(rec: Recording, readStdin: (max: number) => Uint8Array, hostIo: HostIo, diskIo?: DiskIo, consoleSink?: MachineConfig["consoleSink"]): MachineConfig {
  const stored = rec.session.config as unknown as StoredConfig;
  const bad = (what: string): never => {
    throw new RecordingError("corrupt", rec.path, `the recording's run configuration is damaged (${what})`);
  };
  if (!Array.isArray(stored.modules) || !Array.isArray(stored.env) || !Array.isArray(stored.mounts)) bad("lists");
  for (const key of ["cpus", "memoryMiB", "seed"] as const) if (!Number.isInteger(stored[key])) bad(key);
  if (stored.cpus < 1 || stored.cpus > 64) bad("cpus");
  if (stored.memoryMiB < 1 || stored.memoryMiB > 4096) bad("memoryMiB");
  const files = rec.modules();
  const modules = stored.modules.map((m) => {
    const bytes = files.get(String(m.name));
    if (!bytes) bad(`module ${m.name} is missing`);
    if (m.kind !== "foreign" && m.kind !== "native" && m.kind !== "hybrid") bad("module kind");
    if (!Array.isArray(m.argv)) bad("argv");
    return { name: String(m.name), bytes: bytes!, kind: m.kind, argv: m.argv.map(String) };
  });
  return {
    modules,
    env: stored.env.map(String),
    cpus: stored.cpus,
    memoryMiB: stored.memoryMiB,
    // The quota decides where a guest's writes fail with ENOSPC, so a replay must use the recorded one.
    fsQuotaMiB: stored.fsQuotaMiB === undefined ? undefined : Number(stored.fsQuotaMiB),
    seed: stored.seed,
    strict: stored.strict === true,
    mediator: stored.mediator === true,
    mounts: stored.mounts.map((m) => ({ host: String(m.host), guest: String(m.guest) })),
    firstPid: typeof stored.firstPid === "number" ? stored.firstPid : undefined,
    maxProcs: typeof stored.maxProcs === "number" ? stored.maxProcs : undefined,
    // Recordings made before the wall clock was an input ran with CLOCK_REALTIME at the epoch.
    realtimeStartNs: typeof stored.realtimeStartNs === "number" ? stored.realtimeStartNs : undefined,
    terminal: recordedTerminal(stored.terminal),
    readStdin,
    hostIo,
    consoleSink,
    disk: stored.disk && diskIo ? { path: String(stored.disk.path), writable: stored.disk.writable === true, io: diskIo } : undefined,
  };
}

/** The recorded answer to "is the console a terminal?" (absent in older recordings: no). */
function recordedTerminal(t: unknown): MachineConfig["terminal"] {
  if (!t || typeof t !== "object") return undefined;
  const r = t as Record<string, unknown>;
  return { stdin: r.stdin === true, stdout: r.stdout === true, stderr: r.stderr === true, rows: Number(r.rows) || 24, cols: Number(r.cols) || 80 };
}

/** Divergence messages stay one short line, whatever a damaged recording holds. */
const clip = (text: string, max = 120) => {
  const flat = text.replace(/[\r\n\t]/g, " ");
  return flat.length > max ? `${flat.slice(0, max)}… (${flat.length} characters)` : flat;
};

function describeEvent(e: MachineEvent): string {
  return clip(`${e.kind} ${e.name}(${e.args}) = ${e.result} at instruction ${e.icount}, cycle ${e.vcycles}, cost ${e.cost}` +
    `${e.callId === undefined ? "" : `, call ${e.callId}`} [cpu ${e.cpu} pd ${e.pd} ec ${e.ec}]`, 300);
}

/** describeEvent of recorded event `i`, its text rendered from its capture: a capture that does not render is damage. */
function describeRecorded(rec: Recording, batch: EventBatch, i: number): string {
  try {
    return describeEvent(batch.get(i));
  } catch (err) {
    if (err instanceof DecodeError) throw new RecordingError("corrupt", rec.path, `the recording is corrupt (event text: ${err.message})`);
    throw err;
  }
}

const showBytes = (b: Uint8Array) => JSON.stringify(clip(Buffer.from(b).toString("latin1"), 60));

/** The first difference between recorded and replayed console writes of one chunk, or null. */
function consoleDifference(recorded: ConsoleRecord[], replayed: ConsoleRecord[]): string | null {
  for (let i = 0; i < Math.max(recorded.length, replayed.length); i++) {
    const a = recorded[i];
    const b = replayed[i];
    if (!a) return `replay wrote ${showBytes(b.data)} to ${b.stream} at instruction ${b.icount}, which the recording does not have`;
    if (!b) return `the recording has ${a.stream} output ${showBytes(a.data)} at instruction ${a.icount} that replay did not write`;
    if (a.stream !== b.stream || a.icount !== b.icount || Buffer.compare(a.data, b.data) !== 0) {
      return `${a.stream} output at instruction ${a.icount}: recorded ${showBytes(a.data)}, replayed ${showBytes(b.data)} (${b.stream}, instruction ${b.icount})`;
    }
  }
  return null;
}

/** What a replayed machine's configuration reads the recorded input through: the replay that restored it last. */
interface ReplayWiring {
  readStdin: (max: number) => Uint8Array;
  hostIo: HostIo;
  diskIo: DiskIo;
  consoleSink: (stream: "stdout" | "stderr") => boolean;
}

/** Machines replay() built, with their current wiring: those a later plain seek may restore over (options.reuse). */
const wired = new WeakMap<Machine, ReplayWiring>();

/** Host folder and disk access that forward every call to the machine's current wiring. */
function forwardingHostIo(through: () => ReplayWiring): HostIo {
  return {
    lstat: (path) => through().hostIo.lstat(path),
    readdir: (path) => through().hostIo.readdir(path),
    readlink: (path) => through().hostIo.readlink(path),
    read: (path, offset, max) => through().hostIo.read(path, offset, max),
  };
}

function forwardingDiskIo(through: () => ReplayWiring): DiskIo {
  return { read: (lba, count) => through().diskIo.read(lba, count), commit: (writes) => through().diskIo.commit(writes) };
}

/** Replays a recording; with verification on, checks the file's digest chain, then stops at the first difference and names it. */
export function replay(rec: Recording, options: ReplayOptions = {}): ReplayResult {
  const verify = options.verify ?? true;
  const toEnd = options.to === undefined;
  const to = options.to ?? Number.POSITIVE_INFINITY;
  // Verification walks every chunk; a plain seek reads only those after its snapshot (below).
  const chunks = verify ? rec.chunks() : [];
  let current: ChunkRecord | undefined;
  let divergence: Divergence | null = null;
  // Null while the machine is being built (mounted folders are read then, at instruction 0).
  let built: Machine | null = null;
  const now = () => (built ? built.icount : 0);
  const diverge = (icount: number, what: string) => {
    if (divergence) return;
    const c = current ?? { seq: 0, firstIcount: 0, lastIcount: 0 };
    divergence = { chunk: c.seq, firstIcount: c.firstIcount, lastIcount: c.lastIcount, icount, what: clip(what, 400), kind: "execution" };
    built?.kernel.stop(`replay diverged: ${divergence.what}`);
  };
  const session = rec.session;
  if (verify) {
    const problem = rec.checkIntegrity() ?? sessionProblem(rec);
    if (problem) {
      // Built without mounts: their recorded input is among what can no longer be trusted.
      const machine = bootRecorded(rec, () => ({ ...recordedConfig(rec, () => new Uint8Array(0), replayingHostIo(() => null, () => {})), mounts: [] }), problem);
      return {
        machine, startIcount: 0, icount: 0, chunksVerified: 0, complete: false, continueTo: () => machine.icount,
        divergence: { chunk: 0, firstIcount: 0, lastIcount: 0, icount: 0, what: clip(problem, 400), kind: "integrity" },
      };
    }
  }

  // Recorded input, handed out call by call; a different read pattern is itself a divergence.
  const inputs = rec.inputs();
  let nextInput = 0;
  const take = (kind: string, asked: string): InputRecord | null => {
    const input = inputs[nextInput++];
    const icount = now();
    if (!input || input.kind !== kind) {
      diverge(icount, `the guest's ${asked} at instruction ${icount} has no recorded ${kind} input (next: ${input ? input.kind : "none"})`);
      return null;
    }
    if (verify && input.icount !== icount) diverge(icount, `${asked} (input #${nextInput}) happened at instruction ${icount}, recorded at ${input.icount}`);
    return input;
  };
  const readStdin = (max: number): Uint8Array => {
    const input = take("stdin", "stdin read");
    if (!input) return new Uint8Array(0);
    if (input.data.length > max) {
      diverge(now(), `stdin read #${nextInput} asked for ${max} bytes, the recording returned ${input.data.length}`);
      return input.data.subarray(0, max);
    }
    return input.data;
  };
  const hostIo = replayingHostIo((kind, asked) => take(kind, asked)?.data ?? null, (what) => diverge(now(), what));
  // A write the recorded host refused (its stdout was closed) is refused again at the same instruction.
  const consoleSink = (stream: "stdout" | "stderr"): boolean => {
    const input = inputs[nextInput];
    if (!input || input.kind !== CONSOLE_CLOSED_INPUT || input.icount !== now() || new TextDecoder().decode(input.data) !== stream) return true;
    nextInput++;
    return false;
  };

  const diskIo = replayingDiskIo((kind, asked) => take(kind, asked)?.data ?? null, (what) => diverge(now(), what));
  const base = !verify && options.base && options.base.icount <= to ? options.base : null;
  const restorable = options.fromSnapshot ?? !toEnd;
  // A plain seek may restore over the machine an earlier one left (its CPUs keep their compiled code): it needs a
  // snapshot or checkpoint to restore, and this replay's input wired into the machine in place of that one's.
  const reused = !verify && restorable && options.reuse && wired.has(options.reuse) && (base || rec.snapshotIcountAtOrBefore(to) > 0) ? options.reuse : null;
  const wiring: ReplayWiring = { readStdin, hostIo, diskIo, consoleSink };
  let machine: Machine;
  if (reused) {
    machine = reused;
    wired.set(machine, wiring);
  } else {
    // Building reads the mounted folders from the recorded input; a recording without it cannot boot.
    const through = (): ReplayWiring => wired.get(machine) ?? wiring;
    machine = bootRecorded(
      rec,
      () => recordedConfig(rec, (max) => through().readStdin(max), forwardingHostIo(through), forwardingDiskIo(through), (stream) => through().consoleSink(stream)),
      () => (divergence as Divergence | null)?.what ?? null,
    );
    wired.set(machine, wiring);
  }
  built = machine;
  if (divergence) machine.kernel.stop(`replay diverged: ${(divergence as Divergence).what}`);

  // Events are compared one by one with the recorded ones (every field but host time), a chunk's batch at a time.
  let produced = 0;
  let batch: EventBatch | null = null;
  let batchStart = 0;
  let batchChunk = 0;
  /** The recorded batch holding event `n` (its first event is then `batchStart`), null past the recording's last. */
  const recordedBatch = (n: number): EventBatch | null => {
    if (!batch || n < batchStart || n >= batchStart + batch.length) {
      let c = chunks[batchChunk];
      while (c && c.firstEvent + c.events <= n) c = chunks[++batchChunk];
      if (!c) return null;
      batch = rec.eventBatch(c.seq);
      batchStart = c.firstEvent;
    }
    return batch;
  };
  const consoleWrites: ConsoleRecord[] = [];
  if (verify) {
    machine.onRawEvent({
      hostTime: false,
      event(kind, icount, vcycles, hostNs, cpu, pd, ec, name, args, result, cost, callId, capture) {
        if (divergence) return;
        const n = produced++;
        const want = recordedBatch(n);
        const i = n - batchStart;
        if (want && want.matches(i, kind, icount, vcycles, cpu, pd, ec, name, args, result, cost, callId, capture)) return;
        // Only now is the replayed event built, its text rendered, for the message.
        if (capture !== null) ({ args, result } = renderCapture(capture));
        const e: MachineEvent = { kind, icount, vcycles, hostNs, cpu, pd, ec, name, args, result, cost, callId: Number.isNaN(callId) ? undefined : callId };
        if (!want) diverge(icount, `replay produced an event the recording does not have: ${describeEvent(e)}`);
        else diverge(Math.min(want.icount[i], icount), `event #${produced}: recorded ${describeRecorded(rec, want, i)}, replayed ${describeEvent(e)}`);
      },
    });
    machine.onConsole((stream, bytes) => consoleWrites.push({ icount: machine.icount, stream, data: bytes.slice() }));
  }

  let startIcount = 0;
  if (restorable) {
    const snap = base && base.icount > rec.snapshotIcountAtOrBefore(to) ? base : rec.snapshotAtOrBefore(to, machine.frames.bytes.length + (64 << 20));
    if (snap) {
      try {
        restoreSnapshot(machine, snap.head, snap.memory, { checked: snap !== base || !base.unchecked, over: reused !== null });
      } catch (err) {
        // A machine half restored over is no machine to reuse again.
        wired.delete(machine);
        if (err instanceof DecodeError) throw new RecordingError("corrupt", rec.path, `the snapshot at instruction ${snap.icount} does not restore (${err.message})`);
        throw err;
      }
      startIcount = snap.icount;
      produced = snap.events;
      nextInput = snap.inputs;
    }
  }
  options.onStart?.(machine);
  const blocks = verify && session.instructionStream;
  const driver = new ChunkDriver(machine, session.chunkInstructions, blocks);
  let ended = false;
  const continueTo = (target: number): number => {
    while (machine.icount < target && !ended) ended = driver.runTo(Math.min(target, driver.nextBoundary()));
    return machine.icount;
  };
  let verified = 0;
  let inputsBefore = 0;
  for (const chunk of verify ? chunks : rec.chunksAfter(startIcount)) {
    if (chunk.lastIcount <= startIcount) continue;
    current = chunk;
    if (to < chunk.lastIcount) {
      continueTo(to);
      return { machine, startIcount, icount: machine.icount, chunksVerified: verified, divergence, complete: false, continueTo };
    }
    consoleWrites.length = 0;
    const got = driver.step();
    ended = got.halted;
    if (divergence) break;
    if (!verify) {
      if (got.lastIcount === chunk.lastIcount) options.onChunkEnd?.(machine, { events: chunk.firstEvent + chunk.events, inputs: nextInput });
      options.onChunk?.(machine.icount);
      if (got.halted) break;
      continue;
    }
    const where = `chunk ${chunk.seq} (instructions ${chunk.firstIcount}–${chunk.lastIcount})`;
    const problem = chunkDifference(rec, chunk, got, blocks, produced, nextInput, consoleWrites, machine);
    if (problem) {
      diverge(got.lastIcount, `${where}: ${problem}`);
      break;
    }
    while (inputsBefore < inputs.length && inputs[inputsBefore].chunk <= chunk.seq) inputsBefore++;
    if (nextInput !== inputsBefore) {
      diverge(got.lastIcount, `${where}: the guest consumed ${nextInput} inputs by its end, the recording has ${inputsBefore} (next unread: ${inputs[nextInput]?.kind ?? "none"})`);
      break;
    }
    verified++;
    options.onChunk?.(machine.icount);
    if (got.halted) break;
  }
  if (!divergence && verify && toEnd) {
    const last = chunks[chunks.length - 1];
    current = last;
    if (verified < chunks.filter((c) => c.lastIcount > startIcount).length) {
      diverge(machine.icount, `the run ended at instruction ${machine.icount}; the recording has chunks up to instruction ${last.lastIcount}`);
    } else if (nextInput !== inputs.length) {
      diverge(machine.icount, `the recording holds ${inputs.length - nextInput} inputs the run never read`);
    } else if (session.status === "complete") {
      if (machine.icount !== session.finalIcount) diverge(machine.icount, `the run ended at instruction ${machine.icount}, recorded ${session.finalIcount}`);
      else if (machine.vcycles !== session.finalVcycles) diverge(machine.icount, `the run ended at cycle ${machine.vcycles}, recorded ${session.finalVcycles}`);
      else if (!session.hostStop && machine.exitStatus !== session.exitStatus) diverge(machine.icount, `exit status ${machine.exitStatus}, recorded ${session.exitStatus}`);
      else if (!session.hostStop && (machine.stopReason ?? "exit") !== session.stopReason) {
        diverge(machine.icount, `the run stopped with "${machine.stopReason ?? "exit"}", recorded "${session.stopReason}"`);
      }
    }
  }
  return { machine, startIcount, icount: machine.icount, chunksVerified: verified, divergence, complete: divergence === null && toEnd, continueTo };
}

/**
 * Seeks in a recording with the engine kept open (the UI's scrubbing, the debugger's stepping): a seek forward
 * within reach continues the machine it has; any other restores the nearest snapshot (chain) or checkpoint and re-executes from it.
 */
export class Seeker {
  private current: ReplayResult | null = null;
  /** Chunk ends earlier seeks passed: a later seek near them re-executes at most a chunk. */
  private readonly checkpoints = new CheckpointCache();

  constructor(readonly rec: Recording) {}

  /** The machine as it was at instruction `icount` (the first block end at or after it). */
  seek(icount: number): Machine {
    const snapshot = this.rec.snapshotIcountAtOrBefore(icount);
    const now = this.current;
    if (now && now.machine.icount <= icount && now.machine.icount >= snapshot) {
      now.continueTo(icount);
      return now.machine;
    }
    if (now && now.machine.icount === icount) return now.machine;
    this.current = replay(this.rec, { to: icount, verify: false, base: this.checkpoints.before(icount), onChunkEnd: this.checkpoints.capturer({ from: icount - this.rec.session.chunkInstructions }), reuse: now?.machine });
    return this.current.machine;
  }
}

/**
 * Builds the recorded machine. Its configuration and modules come from the file, so a failure to boot (a damaged
 * ELF, a mount without its recorded input) is a property of the recording, reported as a RecordingError.
 */
function bootRecorded(rec: Recording, config: () => MachineConfig, why: string | (() => string | null)): Machine {
  try {
    return new Machine(config());
  } catch (err) {
    if (err instanceof RecordingError) throw err;
    const reason = (typeof why === "string" ? why : why()) ?? (err as Error).message;
    throw new RecordingError("corrupt", rec.path, `the recorded machine does not boot: ${clip(String(reason), 200)}`);
  }
}

/** Session fields that must agree with the stored configuration the machine is built from. */
function sessionProblem(rec: Recording): string | null {
  const s = rec.session;
  const config = s.config as unknown as StoredConfig;
  if (config.seed !== s.seed) return `the session's seed ${s.seed} differs from the configuration's ${String(config.seed)}`;
  const main = Array.isArray(config.modules) ? config.modules[0] : undefined;
  if (!main || main.name !== s.guest || JSON.stringify(main.argv) !== JSON.stringify(s.args)) return "the session's guest or arguments differ from the configuration's";
  // Without the flag replay skips block comparisons, so a flag switched off must not pass for a recording made so.
  if (!s.instructionStream && rec.chunks().some((c) => c.blocks > 0)) return "the session says no instruction stream, yet its chunks hold block addresses";
  return null;
}

/** Everything replay checks at a chunk's end, in order; null when the chunk re-executed exactly as recorded. */
function chunkDifference(
  rec: Recording, chunk: ChunkRecord, got: ChunkEnd, blocks: boolean, produced: number, inputsConsumed: number, consoleWrites: ConsoleRecord[],
  machine: Machine,
): string | null {
  if (got.firstIcount !== chunk.firstIcount || got.lastIcount !== chunk.lastIcount) return `it ended at instruction ${got.lastIcount} on replay`;
  if (got.vcycles !== chunk.vcycles) return `virtual time at its end: recorded cycle ${chunk.vcycles}, replayed ${got.vcycles}`;
  const recordedEvents = chunk.firstEvent + chunk.events;
  if (produced !== recordedEvents) {
    const missing = produced < recordedEvents ? describeRecorded(rec, rec.eventBatch(chunk.seq), produced - chunk.firstEvent) : null;
    return `replay produced ${produced - chunk.firstEvent} events, the recording has ${chunk.events}${missing ? ` (first missing: ${missing})` : ""}`;
  }
  const consoleDiff = consoleDifference(rec.chunkConsole(chunk.seq), consoleWrites);
  if (consoleDiff) return consoleDiff;
  const blockDiff = blocks ? firstBlockDifference(rec.chunkBlocks(chunk.seq), got.streams.map((s) => s.addresses)) : null;
  if (blockDiff) return blockDiff;
  if (got.stateHash !== chunk.stateHash) {
    return `machine state hash differs at its end (recorded ${chunk.stateHash.slice(0, 16)}…, replayed ${got.stateHash.slice(0, 16)}…)`;
  }
  const snap = rec.snapshotAtChunk(chunk.seq);
  if (snap) {
    const where = `the snapshot at instruction ${snap.icount}`;
    if (snap.icount !== got.lastIcount || snap.vcycles !== got.vcycles) return `${where} does not fall on the chunk's end`;
    if (snap.events !== produced || snap.inputs !== inputsConsumed) return `${where} counts ${snap.events} events and ${snap.inputs} inputs before it, replay ${produced} and ${inputsConsumed}`;
    const full = stateHash(machine);
    if (snap.stateHash !== full || snap.embeddedStateHash !== full) return `${where}: its state hash differs from the replayed state`;
    if (snap.worldHash !== (chunk.worldHash ?? "") || (snap.embeddedWorldHash ?? "") !== snap.worldHash) return `${where}: its world hash differs from the chunk's`;
  }
  if (chunk.worldHash) {
    const world = worldHash(machine);
    if (world !== chunk.worldHash) {
      return `the world hash (kernel objects, file server, processes, freed memory) differs at its end (recorded ${chunk.worldHash.slice(0, 16)}…, replayed ${world.slice(0, 16)}…)`;
    }
  }
  return null;
}

/** "CPU 0 block 1234: recorded 0x401000, replayed 0x401010", or null when the streams are equal. */
function firstBlockDifference(recorded: Float64Array[], replayed: Float64Array[]): string | null {
  if (recorded.length !== replayed.length) return `recorded on ${recorded.length} CPUs, replayed on ${replayed.length}`;
  for (let c = 0; c < recorded.length; c++) {
    const a = recorded[c];
    const b = replayed[c];
    const n = Math.min(a.length, b.length);
    for (let i = 0; i < n; i++) {
      if (a[i] !== b[i]) return `CPU ${c} block ${i}: recorded 0x${a[i].toString(16)}, replayed 0x${b[i].toString(16)}`;
    }
    if (a.length !== b.length) return `CPU ${c} executed ${b.length} blocks, recorded ${a.length}`;
  }
  return null;
}

const hex = (n: number) => "0x" + n.toString(16);

/** The full machine state where replay stopped, as JSON-ready data: kernel objects, registers, processes, files. */
export function machineState(machine: Machine) {
  const k = machine.kernel;
  const fs = machine.roottask.fileServer;
  const files: { path: string; size: number; mode: string }[] = [];
  const walk = (dir: number, prefix: string) => {
    const node = fs.tree.node(dir);
    if (node.mount >= 0 || !node.entries) return;
    for (const [name, ino] of node.entries) {
      const child = fs.tree.node(ino);
      const path = `${prefix}/${name}`;
      files.push({ path, size: child.size, mode: child.mode.toString(8) });
      if (child.entries) walk(ino, path);
    }
  };
  walk(fs.tree.root, "");
  return {
    ...machine.inspect(),
    registers: [...k.ecs.values()].filter((ec) => !ec.host).map((ec) => ({
      ec: ec.id, name: ec.name, rip: hex(ec.state.rip), rflags: hex(ec.state.rflags), fsBase: hex(ec.state.fsBase), gsBase: hex(ec.state.gsBase),
      ...Object.fromEntries(GPR_NAMES.map((name, i) => [name, "0x" + ec.state.getBig(i).toString(16)])),
    })),
    memory: { framesInUse: machine.frames.used, frameSize: 4096 },
    files,
    fds: [...fs.processes.values()].map((p) => ({
      pid: p.pid, cwd: p.cwd,
      fds: p.fds.flatMap((slot, fd) => {
        const file = slot ? fs.files.get(slot.file) : undefined;
        return file ? [{ fd, ino: file.ino, offset: file.offset, flags: hex(file.flags) }] : [];
      }),
    })),
  };
}
