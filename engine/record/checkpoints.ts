// Checkpoints in host memory for an open recording: the machine captured at chunk ends, so a seek near one restores
// it instead of the recording's snapshot, which may lie up to a snapshot interval (2^23 instructions by default) back,
// and re-executes at most one chunk. A seek captures the last chunk end before its target (stepping back from there
// is then cheap); a background pass (checkpoint-pass.ts) captures them all. What is kept is what a recorded snapshot
// holds (head and memory runs, restored by the same code; not hashed, as it never leaves this process), bounded by a
// byte budget; the least recently used re-execution's checkpoints go first.

import { deflateRawSync, inflateRawSync } from "node:zlib";
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
  /** Deflated: a head is mostly per-frame tables of zeros (about 1 MiB, 40 KiB deflated), so many more fit. */
  head: Uint8Array;
  memory: MemoryLink;
  events: number;
  inputs: number;
  run: number;
}

/** Default budget: room for a thousand checkpoints of a small guest (a head deflates to about 40 KiB). */
const DEFAULT_BUDGET_BYTES = 256 << 20;

export class CheckpointCache {
  /** Sorted by instruction count; at most one per count (the first re-execution to pass a chunk end keeps it). */
  private points: Checkpoint[] = [];
  private bytes = 0;
  private runs = 0;
  /** Re-executions in the order they were last used (the first is evicted first). */
  private used: number[] = [];
  private readonly shadow = new MemoryShadow();

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
    return { icount: point.icount, head: inflateRawSync(point.head), memory: memory.reverse(), events: point.events, inputs: point.inputs, unchecked: true };
  }

  /** Bytes the checkpoints hold. */
  get heldBytes(): number {
    return this.bytes;
  }

  get budget(): number {
    return this.budgetBytes;
  }

  /** True when a checkpoint is held at exactly this instruction count. */
  holds(icount: number): boolean {
    return this.points[this.after(icount) - 1]?.icount === icount;
  }

  /**
   * A capture function for one re-execution (replay's onChunkEnd): checkpoints it at every chunk end not yet held
   * from instruction `from` on. It gives up for the rest of the run when one capture alone would take more than an
   * eighth of the budget. Runs that may interleave (a seek during a background pass) each need their own `shadow`:
   * a run's memory is stored as changes since its previous capture. Returns the bytes the checkpoint takes (0: none
   * was taken).
   */
  capturer(options: { from?: number; shadow?: MemoryShadow } = {}): (machine: Machine, point: { events: number; inputs: number }) => number {
    const run = ++this.runs;
    const from = options.from ?? 0;
    // The default shadow serves every seek (one ends before the next starts): its copy is as large as guest memory.
    const shadow = options.shadow ?? this.shadow;
    shadow.restart();
    let previous: MemoryLink | null = null;
    let stopped = false;
    return (machine, { events, inputs }) => {
      // A chunk end already held is not captured again: the shadow then diffs the next capture against the last one.
      if (stopped || machine.icount < from || this.holds(machine.icount)) return 0;
      const snap = captureSnapshot(machine, shadow, { hashed: false });
      const head = deflateRawSync(snap.head, { level: 1 });
      if (head.length + snap.memory.length > this.budgetBytes / 8) {
        stopped = true;
        return 0;
      }
      const link: MemoryLink = { runs: snap.memory, previous: snap.keyframe ? null : previous };
      previous = link;
      const point: Checkpoint = { icount: machine.icount, head, memory: link, events, inputs, run };
      this.insert(point);
      this.touch(run);
      this.evict(point);
      return sizeOf(point);
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
