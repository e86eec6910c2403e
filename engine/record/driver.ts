// The one loop that recording and re-execution share: runs a machine chunk by chunk with block tracing on.
// Replay is only exact if it splits run budgets exactly as the recording did, so neither has a loop of its own.

import type { Machine, MachineConfig } from "../machine.ts";
import type { BlockStream } from "./codec.ts";
import { MEMORY_SLICES, stateHash } from "./state-hash.ts";

/**
 * Defaults: a chunk per 2^20 instructions (~1 M); a snapshot per 2^23 (~8.4 M), which bounds a seek to
 * re-executing 8.4 M instructions with a cold JIT: `replay --to` anywhere in a 10^9-instruction recording took
 * 0.84 s wall as a process (2^24: 1.1 s), for snapshots of 14 MB instead of 8.6 MB there.
 */
export const DEFAULT_CHUNK_INSTRUCTIONS = 1 << 20;
export const DEFAULT_SNAPSHOT_INSTRUCTIONS = 1 << 23;

/** What of a MachineConfig a recording stores as JSON (module bytes go to the `module` table; stdin and host reads are inputs). */
export type StoredConfig = Omit<MachineConfig, "modules" | "readStdin" | "hostIo" | "consoleSink"> & {
  modules: { name: string; kind: "foreign" | "native" | "hybrid"; argv: string[] }[];
};

export function storedConfig(config: MachineConfig): StoredConfig {
  const { modules, readStdin: _stdin, hostIo: _hostIo, consoleSink: _sink, ...rest } = config;
  const disk = config.disk ? { disk: { path: config.disk.path, writable: config.disk.writable } } : {};
  return { ...rest, ...disk, mediator: config.mediator === true, modules: modules.map((m) => ({ name: m.name, kind: m.kind, argv: m.argv })) };
}

export interface ChunkEnd {
  firstIcount: number;
  lastIcount: number;
  vcycles: number;
  /** Views of the driver's trace buffers: valid until the next step (the recorder encodes, replay compares them). */
  streams: BlockStream[];
  stateHash: string;
  halted: boolean;
}

/**
 * Runs `machine` to the next multiple of `chunkInstructions` (or its halt) and returns the chunk: the blocks
 * each CPU executed and the state hash at its end. `trace` false runs the same budgets without tracing.
 */
export class ChunkDriver {
  private readonly buffers: Float64Array[];

  constructor(
    readonly machine: Machine,
    readonly chunkInstructions: number,
    readonly trace: boolean,
  ) {
    // A chunk retires ≤ chunkInstructions plus one block, and a block is ≥ 1 instruction except when its first
    // instruction faults: twice the chunk is room for any plausible number of those.
    this.buffers = machine.cpus.map(() => new Float64Array(trace ? 2 * chunkInstructions + 65536 : 0));
    if (trace) machine.cpus.forEach((cpu, i) => (cpu.blockTrace = this.buffers[i]));
    this.chunkStart = machine.icount;
    this.chunkEnd = this.nextBoundary();
  }

  /** Where the open chunk began and the boundary it ends at: a debugger may advance a chunk in parts (runTo). */
  private chunkStart: number;
  chunkEnd: number;

  /**
   * Runs up to instruction `limit` (a chunk boundary, or an earlier stop point); true if the machine halted.
   * `finishBlock`: a CPU an exact stop left inside a block runs that block to its end, as an unstopped run would.
   */
  runTo(limit: number, finishBlock = false): boolean {
    const m = this.machine;
    while (m.icount < limit || (finishBlock && m.cpus.some((cpu) => cpu.midBlock))) {
      if (m.run(Math.max(1, limit - m.icount)) === "halted") return true;
      if (this.trace) {
        for (const cpu of m.cpus) {
          if (cpu.blockTraceLength >= cpu.blockTrace!.length) throw new Error(`record: block trace overflow on CPU ${cpu.index}`);
        }
      }
    }
    return false;
  }

  /** The next chunk boundary above the current instruction count. */
  nextBoundary(): number {
    return (Math.floor(this.machine.icount / this.chunkInstructions) + 1) * this.chunkInstructions;
  }

  /**
   * Runs one chunk and collects it; the trace buffers are reset for the next. The state hash covers one
   * memory slice (chosen by the chunk's number), or all of memory at the end of the run.
   */
  step(): ChunkEnd {
    const m = this.machine;
    const firstIcount = this.chunkStart;
    const halted = this.runTo(this.chunkEnd, true);
    this.chunkStart = m.icount;
    this.chunkEnd = this.nextBoundary();
    const streams = m.cpus.map((cpu, i) => ({ addresses: this.buffers[i].subarray(0, cpu.blockTraceLength), length: cpu.blockTraceLength }));
    for (const cpu of m.cpus) cpu.blockTraceLength = 0;
    const slice = halted ? -1 : Math.floor(firstIcount / this.chunkInstructions) % MEMORY_SLICES;
    return { firstIcount, lastIcount: m.icount, vcycles: m.vcycles, streams, stateHash: stateHash(m, slice), halted };
  }
}
