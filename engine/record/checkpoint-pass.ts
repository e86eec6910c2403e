// A background pass over an open recording that checkpoints it everywhere: one machine re-executes the whole run,
// a chunk at a time, and the cache gets a checkpoint at every chunk end (or every second, fourth… when the budget
// would not hold them all). Once it is done, a seek anywhere restores a checkpoint at most a chunk (or stride)
// before its target instead of a recorded snapshot up to a snapshot interval back. The lab's engine worker runs
// it in slices while it is idle; a seek between two slices is not delayed by more than one.

import type { Machine } from "../machine.ts";
import type { CheckpointCache } from "./checkpoints.ts";
import type { ChunkRecord, Recording } from "./recording.ts";
import { replay } from "./replayer.ts";
import { KEYFRAME_EVERY, MemoryShadow } from "./snapshot.ts";

/** Of the cache's budget, what the pass plans to fill (the rest stays for seeks' own checkpoints). */
const PASS_SHARE = 0.75;

export class CheckpointPass {
  private readonly chunks: ChunkRecord[];
  /** Inputs consumed by the end of each chunk (what a checkpoint there must resume from). */
  private readonly inputsBy: number[];
  private machine: Machine | null = null;
  private continueTo: ((icount: number) => number) | null = null;
  private capture: ReturnType<CheckpointCache["capturer"]> | null = null;
  private next = 0;
  /** Checkpoint every `stride`-th chunk end: doubled whenever the whole run's checkpoints would not fit. */
  private stride = 1;
  private captured = 0;
  private capturedBytes = 0;
  finished = false;

  constructor(
    private readonly rec: Recording,
    private readonly cache: CheckpointCache,
  ) {
    this.chunks = rec.chunks();
    const inputs = rec.inputs();
    this.inputsBy = [];
    let consumed = 0;
    for (const chunk of this.chunks) {
      while (consumed < inputs.length && inputs[consumed].chunk <= chunk.seq) consumed++;
      this.inputsBy.push(consumed);
    }
  }

  /** How far the pass has come, as chunks of the recording. */
  get progress(): { done: number; total: number; stride: number } {
    return { done: this.next, total: this.chunks.length, stride: this.stride };
  }

  /** Runs the pass for about `ms` milliseconds (at least one chunk); false once it has covered the recording. */
  advance(ms: number): boolean {
    if (this.finished) return false;
    const until = performance.now() + ms;
    if (this.machine === null) {
      const start = replay(this.rec, { to: 0, verify: false, fromSnapshot: false });
      this.machine = start.machine;
      this.continueTo = start.continueTo;
      // Its own memory shadow: seeks between two slices capture through the cache's.
      this.capture = this.cache.capturer({ shadow: new MemoryShadow() });
    }
    const machine = this.machine, continueTo = this.continueTo!, capture = this.capture!;
    do {
      const chunk = this.chunks[this.next];
      if (chunk === undefined) return this.finish();
      // A run that ends before a chunk end it recorded cannot be checkpointed further (a plain replay checks nothing).
      if (continueTo(chunk.lastIcount) !== chunk.lastIcount) return this.finish();
      if (this.next % this.stride === this.stride - 1 && !this.cache.holds(chunk.lastIcount)) {
        const before = this.cache.heldBytes;
        capture(machine, { events: chunk.firstEvent + chunk.events, inputs: this.inputsBy[this.next] });
        this.captured++;
        this.capturedBytes += Math.max(0, this.cache.heldBytes - before);
        this.widenStride();
      }
      this.next++;
    } while (performance.now() < until);
    return true;
  }

  /**
   * Doubles the stride while the checkpoints of the chunks still ahead, at the size seen so far, would not fit.
   * Judged over whole keyframe intervals (a keyframe holds all memory, the deltas after it only changes).
   */
  private widenStride(): void {
    if (this.captured % KEYFRAME_EVERY !== 0) return;
    const perCheckpoint = this.capturedBytes / this.captured;
    const room = this.cache.budget * PASS_SHARE - this.cache.heldBytes;
    while (((this.chunks.length - this.next) / this.stride) * perCheckpoint > room && this.stride < this.chunks.length) this.stride *= 2;
  }

  private finish(): boolean {
    this.finished = true;
    this.machine = null;
    this.continueTo = null;
    this.capture = null;
    return false;
  }
}
