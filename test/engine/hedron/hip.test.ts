// The HIP's byte layout: what buildHip writes, parseHip reads back, and a damaged page is refused.
// The roottask depends on this page alone to find CPUs and boot modules, so its bytes are pinned here.

import assert from "node:assert/strict";
import { test } from "node:test";
import { buildHip, HipError, MEM_AVAILABLE, MEM_MODULE, parseHip } from "../../../engine/hedron/hip.ts";

const memory = [
  { addr: 0, size: 0x20000000, type: MEM_AVAILABLE, aux: 0 },
  { addr: 0x101000, size: 35328, type: MEM_MODULE, aux: 0x10a000 },
];

test("fields sit at Hedron's offsets and the 16-bit sum over the HIP is zero", () => {
  const page = buildHip(2, memory, 2_800_000);
  const v = new DataView(page.buffer);
  assert.equal(v.getUint32(0, true), 0x41564f4e);
  assert.equal(v.getUint32(0x18, true), 5004);
  assert.equal(v.getUint32(0x1c, true), 2 ** 26);
  assert.equal(v.getUint32(0x20, true), 32);
  assert.equal(v.getUint32(0x2c, true), 4096);
  assert.equal(v.getUint32(0x34, true), 2_800_000);
  assert.equal(v.getUint16(0x0a, true), 48);
  assert.equal(v.getUint16(0x12, true), 24);
  let sum = 0;
  for (let at = 0; at < v.getUint16(6, true); at += 2) sum = (sum + v.getUint16(at, true)) & 0xffff;
  assert.equal(sum, 0);
});

test("parseHip reads back CPUs and memory descriptors, with type −2 for boot modules", () => {
  const hip = parseHip(buildHip(2, memory, 2_800_000));
  assert.deepEqual(hip.cpus.map((c) => [c.enabled, c.core]), [[true, 0], [true, 1]]);
  assert.deepEqual(hip.memory, memory);
  assert.equal(hip.tscKHz, 2_800_000);
});

test("a wrong checksum or signature is refused", () => {
  const page = buildHip(1, memory, 1000);
  page[0x40] ^= 1;
  assert.throws(() => parseHip(page), /checksum/);
  const other = buildHip(1, memory, 1000);
  other[0] = 0;
  assert.throws(() => parseHip(other), HipError);
});
