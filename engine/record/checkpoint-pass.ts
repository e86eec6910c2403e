// A background pass over an open recording that checkpoints it everywhere: one machine re-executes the whole run,
// a chunk at a time, and the cache gets a checkpoint at every chunk end (or every second, fourth… when the budget
// would not hold them all). Once it is done, a seek anywhere restores a checkpoint at most a chunk (or stride)
// before its target instead of a recorded snapshot up to a snapshot interval back. The lab's engine worker runs
// it in slices while it is idle; a seek between two slices is not delayed by more than one.

import type { Machine } from "../machine.ts";
import type { CheckpointCache } from "./checkpoints.ts";
import type { ChunkRecord, InputRecord, Recording } from "./recording.ts";
import { replay } from "./replayer.ts";
import { KEYFRAME_EVERY, MemoryShadow } from "./snapshot.ts";

/** Of the cache's budget, what the pass plans to fill (the rest stays for seeks' own checkpoints). */
const PASS_SHARE = 0.75;
/** Inside a chunk, a checkpoint about every this many milliseconds of re-execution, so a seek re-executes no more. */
const STEP_MS = 20;
/** Instructions between two checkpoints inside a chunk, at least. */
const MIN_STEP = 4096;

export class CheckpointPass {
  private readonly chunks: ChunkRecord[];
  private readonly inputs: InputRecord[];
  /** Inputs consumed by the end of each chunk (what a checkpoint there must resume from). */
  private readonly inputsBy: number[];
  private machine: Machine | null = null;
  private continueTo: ((icount: number) => number) | null = null;
  private capture: ReturnType<CheckpointCache["capturer"]> | null = null;
  private next = 0;
  /** Checkpoint every `stride`-th chunk end: doubled whenever the whole run's checkpoints would not fit. */
  private stride = 1;
  /** Instructions of about STEP_MS of re-execution, as last measured. */
  private step = MIN_STEP;
  private captured = 0;
  private capturedBytes = 0;
  finished = false;

  /** `stepMs`: re-execution time between two checkpoints inside a chunk (default STEP_MS). */
  constructor(
    private readonly rec: Recording,
    private readonly cache: CheckpointCache,
    private readonly stepMs = STEP_MS,
  ) {
    this.chunks = rec.chunks();
    const inputs = (this.inputs = rec.inputs());
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

  /** Runs the pass for about `ms` milliseconds (at least one step); false once it has covered the recording. */
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
    const machine = this.machine, continueTo = this.continueTo!;
    do {
      const chunk = this.chunks[this.next];
      if (chunk === undefined) return this.finish();
      const started = performance.now(), from = machine.icount;
      const end = chunk.lastIcount;
      // Where re-executing a chunk is slow (syscall-heavy code), also stop about every stepMs of it inside the chunk.
      const target = this.stride === 1 && this.step < end - from ? from + this.step : end;
      const reached = continueTo(target);
      this.step = Math.max(MIN_STEP, Math.round(((reached - from) / Math.max(performance.now() - started, 0.01)) * this.stepMs));
      if (reached >= end) {
        // A run that ends before a chunk end it recorded cannot be checkpointed further (a plain replay checks nothing).
        if (reached !== end) return this.finish();
        if (this.next % this.stride === this.stride - 1) this.checkpoint(chunk.firstEvent + chunk.events, this.inputsBy[this.next]);
        this.next++;
      } else {
        const counts = this.countsBefore(chunk, reached);
        if (counts !== null) this.checkpoint(counts.events, counts.inputs);
      }
    } while (performance.now() < until);
    return true;
  }

  private checkpoint(events: number, inputs: number): void {
    const bytes = this.capture!(this.machine!, { events, inputs });
    if (bytes === 0) return;
    this.captured++;
    this.capturedBytes += bytes;
    this.widenStride();
  }

  /**
   * The events and inputs recorded before instruction `icount` inside `chunk`, or null when one lies within an
   * instruction of it (whether the machine stopped before or after it would be a guess).
   */
  private countsBefore(chunk: ChunkRecord, icount: number): { events: number; inputs: number } | null {
    const batch = this.rec.eventBatch(chunk.seq);
    let events = chunk.firstEvent;
    for (let i = 0; i < batch.length; i++) {
      const at = batch.icount[i];
      if (Math.abs(at - icount) <= 1) return null;
      if (at < icount) events++;
    }
    let inputs = this.next > 0 ? this.inputsBy[this.next - 1] : 0;
    for (; inputs < this.inputs.length && this.inputs[inputs].icount <= icount + 1; inputs++) {
      if (this.inputs[inputs].icount >= icount - 1) return null;
    }
    return { events, inputs };
  }

  /**
   * Doubles the stride while the checkpoints still ahead would not fit: as many per instruction as so far (inside
   * chunks too), or with a stride above one, one per `stride` chunk ends, at the size seen so far. Judged over whole
   * keyframe intervals (a keyframe holds all memory, the deltas after it only changes).
   */
  private widenStride(): void {
    if (this.captured % KEYFRAME_EVERY !== 0) return;
    const perCheckpoint = this.capturedBytes / this.captured;
    const room = this.cache.budget * PASS_SHARE - this.cache.heldBytes;
    const left = this.chunks.length - this.next;
    const done = this.machine!.icount, total = this.chunks[this.chunks.length - 1].lastIcount;
    const ahead = () => (this.stride === 1 ? Math.max(left, (this.captured * (total - done)) / Math.max(done, 1)) : left / this.stride);
    while (ahead() * perCheckpoint > room && this.stride < this.chunks.length) this.stride *= 2;
  }

  private finish(): boolean {
    this.finished = true;
    this.machine = null;
    this.continueTo = null;
    this.capture = null;
    return false;
  }
}
