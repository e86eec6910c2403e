// The machine-state hash stored at every trace-chunk end: what replay compares to prove it re-executed the same run.
// Taken every chunk, so it must stay cheap: registers and clocks always, memory in rotating slices (all of it at the end),
// and frames of zeros (most allocated memory) only checked, not hashed.

import { createHash } from "node:crypto";
import type { Machine } from "../machine.ts";
import { PAGE_SIZE } from "../memory/frames.ts";

/*
 * What replay compares of the machine, in one place:
 *   - stateHash (here, every chunk end): instruction count, CPU clocks, every EC's registers and wait state, frame
 *     reference counts, the contents of every non-zero frame in use (one slice per chunk, all at the run's end);
 *   - worldHash (snapshot.ts, at snapshots and the run's end): the whole Machine object graph — anything a component
 *     adds to the Machine (processes, threads, sockets) is covered with no list to update — and freed frames' contents.
 * Snapshots save the same graph plus memory, so state a component adds is saved and hashed alike.
 */

/** Memory is hashed in this many interleaved slices, one per chunk: hashing all of it every chunk cost ~45% of run time. */
export const MEMORY_SLICES = 8;

const ZERO_PAGE = Buffer.alloc(PAGE_SIZE);

/** True when a frame holds only zeros (memcmp: ~10× faster than hashing it, and most allocated frames are). */
export function zeroFrame(memory: Buffer, frame: number): boolean {
  return memory.compare(ZERO_PAGE, 0, PAGE_SIZE, frame * PAGE_SIZE, (frame + 1) * PAGE_SIZE) === 0;
}

/**
 * SHA-256 over: instruction count, each CPU's clock, every EC's wait state and registers, the reference
 * count of every frame, and the number and contents of every non-zero frame in use — all of them (slice -1),
 * or those whose number is ≡ slice mod MEMORY_SLICES. Zero frames are left out (the numbers keep the input
 * unambiguous). A difference in memory is thus seen within MEMORY_SLICES chunks; block addresses, registers
 * and events, compared exactly, usually show it in the chunk that caused it.
 */
export function stateHash(machine: Machine, slice = -1): string {
  const h = createHash("sha256");
  const k = machine.kernel;
  const head = new Float64Array(2 + k.cpus.length);
  head[0] = k.icount;
  head[1] = k.ecs.size;
  k.cpus.forEach((cpu, i) => (head[2 + i] = cpu.clock));
  h.update(new Uint8Array(head.buffer));
  const scalars = new Float64Array(7);
  for (const ec of k.ecs.values()) {
    const s = ec.state;
    scalars[0] = ec.id;
    scalars[1] = s.rip;
    scalars[2] = s.rflags;
    scalars[3] = s.fsBase;
    scalars[4] = s.gsBase;
    scalars[5] = s.mxcsr;
    scalars[6] = s.fpuControl;
    h.update(new Uint8Array(scalars.buffer));
    h.update(ec.wait);
    h.update(new Uint8Array(s.gpr.buffer, s.gpr.byteOffset, s.gpr.byteLength));
    h.update(new Uint8Array(s.xmm.buffer, s.xmm.byteOffset, s.xmm.byteLength));
    h.update(new Uint8Array(s.stx.buffer, s.stx.byteOffset, s.stx.byteLength));
  }
  const { refs, bytes } = machine.frames;
  h.update(new Uint8Array(refs.buffer, refs.byteOffset, refs.byteLength));
  const memory = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
  const run = new Float64Array(2);
  const live = (f: number) => refs[f] !== 0 && !zeroFrame(memory, f);
  const step = slice >= 0 ? MEMORY_SLICES : 1;
  // Runs of frames (consecutive within the slice) as [first, count] and their contents: one update per run.
  let f = slice >= 0 ? slice : 0;
  while (f < refs.length) {
    if (!live(f)) {
      f += step;
      continue;
    }
    const first = f;
    let count = 0;
    while (f < refs.length && live(f)) {
      count++;
      f += step;
    }
    run[0] = first;
    run[1] = count;
    h.update(new Uint8Array(run.buffer));
    if (step === 1) h.update(bytes.subarray(first * PAGE_SIZE, (first + count) * PAGE_SIZE));
    else for (let i = 0; i < count; i++) h.update(bytes.subarray((first + i * step) * PAGE_SIZE, (first + i * step + 1) * PAGE_SIZE));
  }
  return h.digest("hex");
}
