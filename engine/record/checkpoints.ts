// Checkpoints in host memory for an open recording: every re-execution a seek does captures the machine at each
// chunk end it passes, so the next seek near there restores one of those instead of the recording's snapshot, which
// may lie up to a snapshot interval (2^23 instructions by default) back. Stepping back and scrubbing then re-execute at
// most one chunk. What is kept is what a recorded snapshot holds (head and memory runs, restored and checked by the same
// code), bounded by a byte budget; the oldest re-execution's checkpoints go first.

import type { Machine } from "../machine.ts";
import type { ReplayPoint } from "./replayer.ts";
import { captureSnapshot, MemoryShadow } from "./snapshot.ts";

/** One capture's memory runs over the previous capture of the same re-execution (all non-zero frames on a keyframe). */
interface MemoryLink {
  runs: Uint8Array;
  previous: MemoryLink | null;
}

interface Checkpoint {
  icount: number;
  head: Uint8Array;
  memory: MemoryLink;
  events: number;
  inputs: number;
  run: number;
}

/** Default budget: room for a few hundred checkpoints of a small guest (a head is about 1 MiB uncompressed). */
const DEFAULT_BUDGET_BYTES = 256 << 20;

export class CheckpointCache {
  /** Sorted by instruction count; at most one per count (the first re-execution to pass a chunk end keeps it). */
  private points: Checkpoint[] = [];
  private bytes = 0;
  private runs = 0;
  /** Re-executions in the order they were last used (the first is evicted first). */
  private used: number[] = [];

  constructor(private readonly budgetBytes = DEFAULT_BUDGET_BYTES) {}

  get size(): number {
    return this.points.length;
  }

  /** The latest checkpoint at or before `icount`, as replay() restores it, or null. */
  before(icount: number): ReplayPoint | null {
    const point = this.points[this.after(icount) - 1];
    if (!point) return null;
    this.touch(point.run);
    const memory: Uint8Array[] = [];
    for (let link: MemoryLink | null = point.memory; link; link = link.previous) memory.push(link.runs);
    return { icount: point.icount, head: point.head, memory: memory.reverse(), events: point.events, inputs: point.inputs };
  }

  /**
   * A capture function for one re-execution (replay's onChunkEnd): checkpoints it at every chunk end not yet
   * held. It gives up for the rest of the run when one capture alone would take more than an eighth of the budget.
   */
  capturer(): (machine: Machine, point: { events: number; inputs: number }) => void {
    const run = ++this.runs;
    const shadow = new MemoryShadow();
    let previous: MemoryLink | null = null;
    let stopped = false;
    return (machine, { events, inputs }) => {
      // A chunk end already held is not captured again: the shadow then diffs the next capture against the last one.
      if (stopped || this.points[this.after(machine.icount) - 1]?.icount === machine.icount) return;
      const snap = captureSnapshot(machine, shadow);
      if (snap.head.length + snap.memory.length > this.budgetBytes / 8) {
        stopped = true;
        return;
      }
      const link: MemoryLink = { runs: snap.memory, previous: snap.keyframe ? null : previous };
      previous = link;
      const point: Checkpoint = { icount: machine.icount, head: snap.head, memory: link, events, inputs, run };
      this.insert(point);
      this.touch(run);
      this.evict(point);
    };
  }

  /** The index of the first checkpoint after `icount` (binary search). */
  private after(icount: number): number {
    let lo = 0, hi = this.points.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.points[mid].icount <= icount) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  private insert(point: Checkpoint): void {
    this.points.splice(this.after(point.icount), 0, point);
    this.bytes += sizeOf(point);
  }

  private touch(run: number): void {
    const i = this.used.indexOf(run);
    if (i >= 0) this.used.splice(i, 1);
    this.used.push(run);
  }

  /**
   * Drops checkpoints until the budget holds: the least recently used re-execution's first, the earliest of it
   * first, never the newest checkpoint. (Memory links older checkpoints share stay while a later one needs them:
   * at most a keyframe's interval of deltas more than counted.)
   */
  private evict(keep: Checkpoint): void {
    while (this.bytes > this.budgetBytes && this.points.length > 1) {
      const run = this.used[0];
      const victim = this.points.find((p) => p.run === run && p !== keep);
      if (!victim) {
        // Nothing of this run to drop: it goes to the back while it still holds the newest checkpoint.
        this.used.shift();
        if (keep.run === run) this.used.push(run);
        continue;
      }
      this.points.splice(this.points.indexOf(victim), 1);
      this.bytes -= sizeOf(victim);
    }
  }
}

function sizeOf(point: Checkpoint): number {
  return point.head.length + point.memory.runs.length;
}
