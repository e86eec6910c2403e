// Code-frame tracking in the frame pool: writes by any path other than the CPU's fast stores must bump the
// frame's code epoch so CPUs drop instructions decoded from it.

import { test } from "node:test";
import assert from "node:assert/strict";
import { AddressSpace, PERM_RW } from "../../../engine/memory/address-space.ts";
import { FramePool } from "../../../engine/memory/frames.ts";

test("AddressSpace.write bumps the epoch of a frame marked as code, once per mark", () => {
  const frames = new FramePool(1);
  const space = new AddressSpace(frames);
  space.mapAnonymous(0x1000, 0x2000, PERM_RW);
  const frame = Math.floor(space.lookup(1) / 8);
  space.write(0x1000, Uint8Array.of(1));
  assert.equal(frames.codeEpoch[frame], 0, "plain data frames are not tracked");
  frames.markCode(frame);
  assert.equal(frames.codeMarks, 1);
  space.write(0x1ffe, Uint8Array.of(1, 2, 3, 4)); // straddles into the next (non-code) frame
  assert.equal(frames.codeEpoch[frame], 1);
  assert.equal(frames.code[frame], 0, "the mark is cleared until a CPU decodes from the frame again");
  space.write(0x1000, Uint8Array.of(9));
  assert.equal(frames.codeEpoch[frame], 1);
  assert.equal(frames.codeWrites, 1);
});

test("a code frame that is freed and reallocated counts as rewritten", () => {
  const frames = new FramePool(1);
  const f = frames.alloc();
  frames.markCode(f);
  frames.release(f);
  const again = frames.alloc();
  assert.equal(again, f);
  assert.equal(frames.codeEpoch[f], 1);
});
