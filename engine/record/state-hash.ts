// The machine-state hash stored at every trace-chunk end: what replay compares to prove it re-executed the same run.
// Taken every chunk, so it must stay cheap: registers and clocks always, memory in rotating slices (all of it at the end).

import { createHash } from "node:crypto";
import type { Machine } from "../machine.ts";
import { PAGE_SIZE } from "../memory/frames.ts";

/** Memory is hashed in this many interleaved slices, one per chunk: hashing all of it every chunk cost ~45% of run time. */
export const MEMORY_SLICES = 8;

/**
 * SHA-256 over: instruction count, each CPU's clock, every EC's wait state and registers, the reference
 * count of every frame, and the contents of the frames in use — all of them (slice -1), or those whose
 * number is ≡ slice mod MEMORY_SLICES. A difference in memory is thus seen within MEMORY_SLICES chunks;
 * block addresses, registers and events, compared exactly, usually show it in the chunk that caused it.
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
    h.update(new Uint8Array(s.st.buffer, s.st.byteOffset, s.st.byteLength));
  }
  const { refs, bytes } = machine.frames;
  h.update(new Uint8Array(refs.buffer, refs.byteOffset, refs.byteLength));
  if (slice >= 0) {
    for (let f = slice; f < refs.length; f += MEMORY_SLICES) if (refs[f] !== 0) h.update(bytes.subarray(f * PAGE_SIZE, (f + 1) * PAGE_SIZE));
    return h.digest("hex");
  }
  // Frames in use, in runs of consecutive frames (one update per run, not per page).
  let f = 0;
  while (f < refs.length) {
    if (refs[f] === 0) {
      f++;
      continue;
    }
    const start = f;
    while (f < refs.length && refs[f] !== 0) f++;
    h.update(bytes.subarray(start * PAGE_SIZE, f * PAGE_SIZE));
  }
  return h.digest("hex");
}
