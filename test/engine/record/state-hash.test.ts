// The state hash must see every difference in memory it covers — including a frame of zeros against one that is not,
// since zero frames are skipped rather than hashed — and only the slice it was asked for.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { GUEST_DIR } from "../../../engine/cli/run.ts";
import { Machine } from "../../../engine/machine.ts";
import { PAGE_SIZE } from "../../../engine/memory/frames.ts";
import { MEMORY_SLICES, stateHash } from "../../../engine/record/state-hash.ts";

function machine(): Machine {
  const m = new Machine({
    modules: [{ name: "hello", bytes: readFileSync(join(GUEST_DIR, "hello")), kind: "foreign", argv: ["hello"] }],
    env: [], cpus: 1, memoryMiB: 16, seed: 1, strict: false, mounts: [], readStdin: () => new Uint8Array(0),
  });
  m.run(5000);
  return m;
}

test("the state hash sees a byte change in any frame in use, zero or not, in the full hash and in its slice only", () => {
  const m = machine();
  const { refs, bytes } = m.frames;
  const inUse = [...refs.keys()].filter((f) => refs[f] !== 0);
  const isZero = (f: number) => bytes.subarray(f * PAGE_SIZE, (f + 1) * PAGE_SIZE).every((b) => b === 0);
  const zero = inUse.find(isZero)!;
  const data = inUse.find((f) => !isZero(f))!;
  assert.ok(zero !== undefined && data !== undefined, "the machine has zero and non-zero frames in use");
  for (const frame of [zero, data]) {
    const full = stateHash(m);
    const slices = Array.from({ length: MEMORY_SLICES }, (_, s) => stateHash(m, s));
    const at = frame * PAGE_SIZE + 123;
    const old = bytes[at];
    bytes[at] = old ^ 0x5a;
    assert.notEqual(stateHash(m), full, `frame ${frame}`);
    for (let s = 0; s < MEMORY_SLICES; s++) {
      if (s === frame % MEMORY_SLICES) assert.notEqual(stateHash(m, s), slices[s], `frame ${frame} slice ${s}`);
      else assert.equal(stateHash(m, s), slices[s], `frame ${frame} slice ${s}`);
    }
    bytes[at] = old;
    assert.equal(stateHash(m), full);
  }
  // Moving non-zero contents to another zero frame in use changes the hash although the bytes hashed are the same.
  const full = stateHash(m);
  const page = bytes.slice(data * PAGE_SIZE, (data + 1) * PAGE_SIZE);
  bytes.fill(0, data * PAGE_SIZE, (data + 1) * PAGE_SIZE);
  bytes.set(page, zero * PAGE_SIZE);
  assert.notEqual(stateHash(m), full);
});
