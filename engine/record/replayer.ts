// Re-execute mode: rebuilds the recorded machine, feeds it the recorded input, and checks it against the recording —
// every event, every trace chunk's block addresses and state hash — stopping at the first divergence or at any icount.

import { GPR_NAMES } from "../cpu/state.ts";
import type { MachineEvent } from "../events.ts";
import { Machine, type MachineConfig } from "../machine.ts";
import { DecodeError } from "./codec.ts";
import { ChunkDriver, type StoredConfig } from "./driver.ts";
import { replayingHostIo } from "./host-io.ts";
import type { ChunkRecord, InputRecord, Recording } from "./recording.ts";
import type { HostIo } from "../roottask/fs/host.ts";
import { RecordingError } from "./schema.ts";
import { restoreSnapshot } from "./snapshot.ts";

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
}

const EVENT_PAGE = 4096;

/** Rebuilds the MachineConfig of a recording; stdin and mounted host folders are read from the recorded input. */
export function recordedConfig(rec: Recording, readStdin: (max: number) => Uint8Array, hostIo: HostIo): MachineConfig {
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
    seed: stored.seed,
    strict: stored.strict === true,
    mediator: stored.mediator === true,
    mounts: stored.mounts.map((m) => ({ host: String(m.host), guest: String(m.guest) })),
    firstPid: typeof stored.firstPid === "number" ? stored.firstPid : undefined,
    maxProcs: typeof stored.maxProcs === "number" ? stored.maxProcs : undefined,
    readStdin,
    hostIo,
  };
}

function describeEvent(e: MachineEvent): string {
  return `${e.kind} ${e.name}(${e.args}) = ${e.result} at instruction ${e.icount}, cycle ${e.vcycles} [pd ${e.pd} ec ${e.ec}]`;
}

/** Replays a recording; with verification on, stops at the first difference and names it. */
export function replay(rec: Recording, options: ReplayOptions = {}): ReplayResult {
  const verify = options.verify ?? true;
  const toEnd = options.to === undefined;
  const to = options.to ?? Number.POSITIVE_INFINITY;
  const chunks = rec.chunks();
  let current: ChunkRecord | undefined;
  let divergence: Divergence | null = null;
  // Null while the machine is being built (mounted folders are read then, at instruction 0).
  let built: Machine | null = null;
  const now = () => (built ? built.icount : 0);
  const diverge = (icount: number, what: string) => {
    if (divergence) return;
    const c = current ?? { seq: 0, firstIcount: 0, lastIcount: 0 };
    divergence = { chunk: c.seq, firstIcount: c.firstIcount, lastIcount: c.lastIcount, icount, what };
    built?.kernel.stop(`replay diverged: ${what}`);
  };

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

  const machine = new Machine(recordedConfig(rec, readStdin, hostIo));
  built = machine;
  if (divergence) machine.kernel.stop(`replay diverged: ${(divergence as Divergence).what}`);

  // Events are compared one by one with the recorded ones, fetched a page at a time.
  let page: MachineEvent[] = [];
  let pageAt = 0;
  let lastSeq = 0;
  if (verify) {
    machine.onEvent((e) => {
      if (divergence) return;
      if (pageAt >= page.length) {
        page = rec.eventsAfter(lastSeq, EVENT_PAGE);
        lastSeq += page.length;
        pageAt = 0;
      }
      const want = page[pageAt++];
      if (!want) {
        diverge(e.icount, `replay produced an event the recording does not have: ${describeEvent(e)}`);
      } else if (
        want.kind !== e.kind || want.icount !== e.icount || want.vcycles !== e.vcycles || want.name !== e.name ||
        want.args !== e.args || want.result !== e.result || want.pd !== e.pd || want.ec !== e.ec
      ) {
        diverge(Math.min(want.icount, e.icount), `recorded ${describeEvent(want)}, replayed ${describeEvent(e)}`);
      }
    });
  }

  let startIcount = 0;
  if (options.fromSnapshot ?? !toEnd) {
    const snap = rec.snapshotAtOrBefore(to, machine.frames.bytes.length + (64 << 20));
    if (snap) {
      try {
        restoreSnapshot(machine, snap.state);
      } catch (err) {
        if (err instanceof DecodeError) throw new RecordingError("corrupt", rec.path, `the snapshot at instruction ${snap.icount} does not restore (${err.message})`);
        throw err;
      }
      startIcount = snap.icount;
      lastSeq = snap.events;
      nextInput = snap.inputs;
    }
  }
  options.onStart?.(machine);
  const blocks = verify && rec.session.instructionStream;
  const driver = new ChunkDriver(machine, rec.session.chunkInstructions, blocks);
  let verified = 0;
  for (const chunk of chunks) {
    if (chunk.lastIcount <= startIcount) continue;
    current = chunk;
    if (to < chunk.lastIcount) {
      driver.runTo(to);
      return { machine, startIcount, icount: machine.icount, chunksVerified: verified, divergence, complete: false };
    }
    const got = driver.step();
    if (divergence) break;
    if (!verify) {
      options.onChunk?.(machine.icount);
      continue;
    }
    const where = `chunk ${chunk.seq} (instructions ${chunk.firstIcount}–${chunk.lastIcount})`;
    if (got.firstIcount !== chunk.firstIcount || got.lastIcount !== chunk.lastIcount) {
      diverge(got.lastIcount, `${where} ended at instruction ${got.lastIcount} on replay`);
      break;
    }
    const blockDiff = blocks ? firstBlockDifference(rec.chunkBlocks(chunk.seq), got.streams.map((s) => s.addresses)) : null;
    if (blockDiff) {
      diverge(got.lastIcount, `${where}: ${blockDiff}`);
      break;
    }
    if (got.stateHash !== chunk.stateHash) {
      diverge(got.lastIcount, `${where}: machine state hash differs at its end (recorded ${chunk.stateHash.slice(0, 16)}…, replayed ${got.stateHash.slice(0, 16)}…)`);
      break;
    }
    verified++;
    options.onChunk?.(machine.icount);
    if (got.halted) break;
  }
  const session = rec.session;
  if (!divergence && verify && toEnd && session.status === "complete") {
    if (machine.icount !== session.finalIcount) {
      current = chunks[chunks.length - 1];
      diverge(machine.icount, `the run ended at instruction ${machine.icount}, recorded ${session.finalIcount}`);
    } else if (machine.exitStatus !== session.exitStatus) {
      diverge(machine.icount, `exit status ${machine.exitStatus}, recorded ${session.exitStatus}`);
    }
  }
  return { machine, startIcount, icount: machine.icount, chunksVerified: verified, divergence, complete: divergence === null && toEnd };
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
