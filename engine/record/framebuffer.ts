// Framebuffer deltas for the `frame` table: runs of changed bytes against the previous frame.
// Most updates touch a few lines of a large buffer, so storing runs keeps recordings small.

import { ByteReader, ByteWriter, DecodeError } from "./codec.ts";

/** Unchanged stretches shorter than this are folded into the surrounding run (a run header costs ~4 bytes). */
const MIN_GAP = 8;

/** Encodes the bytes of `next` that differ from `prev` (same length) as (skip, length, bytes) runs. */
export function diffFrame(prev: Uint8Array, next: Uint8Array): Uint8Array {
  const w = new ByteWriter();
  let pos = 0;
  let i = 0;
  const n = next.length;
  while (i < n) {
    if (prev[i] === next[i]) {
      i++;
      continue;
    }
    const start = i;
    let end = i + 1;
    for (let j = end; j < n; j++) {
      if (prev[j] !== next[j]) end = j + 1;
      else if (j - end >= MIN_GAP) break;
    }
    w.uint(start - pos);
    w.bytes(next.subarray(start, end));
    pos = end;
    i = end;
  }
  return w.finish();
}

/** Applies runs made by diffFrame to `target` in place; a damaged delta throws DecodeError and stops. */
export function applyFrameDiff(target: Uint8Array, delta: Uint8Array): void {
  const r = new ByteReader(delta);
  let pos = 0;
  while (!r.done) {
    pos += r.uint();
    const run = r.bytes(target.length);
    if (pos + run.length > target.length) throw new DecodeError("framebuffer delta writes past the end of the frame");
    target.set(run, pos);
    pos += run.length;
  }
}
