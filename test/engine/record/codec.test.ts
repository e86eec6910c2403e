// Byte encodings of recordings: varints, checked blobs, the block-address trace and framebuffer deltas.
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  ByteReader, ByteWriter, DecodeError, decodeTraceChunk, encodeTraceChunk, packBlob, unpackBlob,
} from "../../../engine/record/codec.ts";
import { applyFrameDiff, diffFrame } from "../../../engine/record/framebuffer.ts";

test("varints round-trip unsigned values up to 2^53 and signed values both ways", () => {
  const values = [0, 1, 127, 128, 300, 2 ** 31, 2 ** 32 + 5, 0x7ffffffff000, 2 ** 53 - 1];
  const signed = [0, -1, 1, -64, 64, -(2 ** 47), 2 ** 47 - 1, -123456789];
  const w = new ByteWriter();
  for (const v of values) w.uint(v);
  for (const v of signed) w.int(v);
  w.string("héllo");
  w.f64(-0.5);
  const r = new ByteReader(w.finish());
  for (const v of values) assert.equal(r.uint(), v);
  for (const v of signed) assert.equal(r.int(), v);
  assert.equal(r.string(), "héllo");
  assert.equal(r.f64(), -0.5);
  assert.ok(r.done);
});

test("a varint cut short or a length past the end is a DecodeError, not garbage", () => {
  assert.throws(() => new ByteReader(Uint8Array.of(0x80, 0x80)).uint(), DecodeError);
  assert.throws(() => new ByteReader(Uint8Array.of(0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01)).uint(), DecodeError);
  assert.throws(() => new ByteReader(Uint8Array.of(5, 1, 2)).bytes(), DecodeError);
  assert.throws(() => new ByteReader(Uint8Array.of(100, 1, 2)).bytes(10), DecodeError);
});

test("block traces round-trip exactly and a loop compresses to well under 64 KiB per 10^6 instructions", () => {
  // A loop of 4 blocks (≈5 instructions each) with a call out every 100 iterations, at user addresses.
  const base = 0x401000;
  const blocks: number[] = [];
  for (let i = 0; blocks.length < 200_000; i++) {
    blocks.push(base + 0x10, base + 0x24, base + 0x31, base + 0x48);
    if (i % 100 === 0) blocks.push(0x7ffff7a01000 + (i % 7) * 16, base + 0x50);
  }
  const addrs = Float64Array.from(blocks);
  const other = Float64Array.of(0x401000, 0x401010, 0x400ff0);
  const packed = packBlob(encodeTraceChunk([{ addresses: addrs, length: addrs.length }, { addresses: other, length: 2 }]));
  const back = decodeTraceChunk(unpackBlob(packed.data, packed.crc, 1 << 26), 1 << 20);
  assert.deepEqual(back, [addrs, other.subarray(0, 2)]);
  // 200 000 blocks of ~5 instructions ≈ 10^6 instructions.
  assert.ok(packed.data.length < 64 * 1024, `trace of 200k blocks took ${packed.data.length} bytes`);
});

test("block traces with misses everywhere, deltas beyond 2^30 and repeated addresses round-trip", () => {
  let x = 12345;
  const random = () => (x = (Math.imul(x, 1103515245) + 12345) >>> 0);
  const streams = [0, 1, 2].map((cpu) => {
    const addresses = new Float64Array(50_000);
    for (let i = 0; i < addresses.length; i++) {
      const r = random();
      // Mostly a few loop blocks, some anywhere in user space, runs of one address (a block looping on itself).
      addresses[i] = r % 7 === 0 ? (r % 0x7fff_ffff) * 4096 + 0x10 : r % 5 === 0 && i > 0 ? addresses[i - 1] : 0x400000 + cpu * 0x1000 + (r % 12) * 0x20;
    }
    return { addresses, length: addresses.length };
  });
  const back = decodeTraceChunk(encodeTraceChunk(streams), 1 << 20);
  assert.deepEqual(back, streams.map((s) => s.addresses));
  assert.deepEqual(decodeTraceChunk(encodeTraceChunk([{ addresses: new Float64Array(0), length: 0 }]), 10), [new Float64Array(0)]);
});

test("trace chunks of recordings before the predicted format (a delta per block) still decode", () => {
  // One CPU, three blocks: 0x401000, then +0x10, then -0x20, as zigzag varints.
  const formatOne = Uint8Array.of(1, 3, 0x80, 0xc0, 0x80, 0x04, 0x20, 0x3f);
  assert.deepEqual(decodeTraceChunk(formatOne, 10), [Float64Array.of(0x401000, 0x401010, 0x400ff0)]);
});

test("a trace chunk with trailing bytes, missing entries, too many blocks or an overlong prediction is rejected", () => {
  const raw = encodeTraceChunk([{ addresses: Float64Array.of(10, 20, 30), length: 3 }]);
  assert.throws(() => decodeTraceChunk(Uint8Array.of(...raw, 0), 100), /trailing/);
  assert.throws(() => decodeTraceChunk(raw.subarray(0, raw.length - 1), 100), DecodeError);
  assert.throws(() => decodeTraceChunk(raw, 2), /more than 2 blocks/);
  // PREDICTED | 1 CPU, 2 blocks, then 5 predicted.
  assert.throws(() => decodeTraceChunk(Uint8Array.of(0x81, 0x02, 2, 5), 100), /predicts 5 blocks where 2 are left/);
});

test("a blob with a flipped byte fails its checksum; one that inflates past its limit is refused", () => {
  const packed = packBlob(new Uint8Array(100_000).fill(7));
  const damaged = Buffer.from(packed.data);
  damaged[damaged.length >> 1] ^= 0x40;
  assert.throws(() => unpackBlob(damaged, packed.crc, 1 << 20), /checksum/);
  assert.throws(() => unpackBlob(packed.data, packed.crc, 1000), DecodeError);
  assert.equal(unpackBlob(packed.data, packed.crc, 1 << 20).length, 100_000);
});

test("framebuffer deltas carry only the changed runs and rebuild the new frame exactly", () => {
  const prev = new Uint8Array(640 * 480 * 4);
  for (let i = 0; i < prev.length; i++) prev[i] = (i * 31) & 0xff;
  const next = prev.slice();
  next.fill(0xff, 4000, 4100);
  next[200_000] = 1;
  next[prev.length - 1] ^= 0xff;
  const delta = diffFrame(prev, next);
  assert.ok(delta.length < 200, `delta of 3 small changes took ${delta.length} bytes`);
  const rebuilt = prev.slice();
  applyFrameDiff(rebuilt, delta);
  assert.deepEqual(rebuilt, next);
  assert.equal(diffFrame(next, next).length, 0);
  const bad = new ByteWriter();
  bad.uint(prev.length - 2);
  bad.bytes(Uint8Array.of(1, 2, 3, 4));
  assert.throws(() => applyFrameDiff(prev.slice(), bad.finish()), DecodeError);
});
