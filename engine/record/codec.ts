// Byte-level encodings of a recording: varints, checked compressed blobs, and the block-address trace.
// Everything read back comes from a file that may be damaged, so every read is bounds-checked.

import { crc32, deflateRawSync, inflateRawSync } from "node:zlib";

/** A blob or varint stream that does not decode; callers turn it into a RecordingError with context. */
export class DecodeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "DecodeError";
  }
}

const UTF8 = new TextEncoder();
let stringScratch = new Uint8Array(4096);

/** Appends unsigned varints (LEB128, exact for integers below 2^53), raw bytes and float64s to a growing buffer. */
export class ByteWriter {
  private buf: Uint8Array;
  private view: Uint8Array = new Uint8Array(0);
  length = 0;

  /** `capacity`: the bytes expected (the buffer still grows past it). */
  constructor(capacity = 1024) {
    this.buf = new Uint8Array(Math.max(capacity, 16));
  }

  private reserve(extra: number): void {
    if (this.length + extra <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.length + extra) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.length));
    this.buf = next;
  }

  /** Unsigned integer 0 ≤ v < 2^53. */
  uint(v: number): void {
    if (v < 0x80 && v >= 0 && this.length < this.buf.length) {
      this.buf[this.length++] = v;
      return;
    }
    this.reserve(8);
    const buf = this.buf;
    let n = this.length;
    if (v <= 0xffffffff) {
      this.length = putVarint32(buf, n, v);
      return;
    }
    while (v >= 0x80) {
      buf[n++] = (v % 0x80) | 0x80;
      v = Math.floor(v / 0x80);
    }
    buf[n++] = v;
    this.length = n;
  }

  /** Signed integer, |v| < 2^52, zigzag-encoded so small magnitudes stay short. */
  int(v: number): void {
    if (v === (v | 0) && v > -0x40000000 && v < 0x40000000) this.uint((v << 1) ^ (v >> 31));
    else this.uint(v >= 0 ? v * 2 : -v * 2 - 1);
  }

  /** One byte 0 ≤ b < 0x80 (a one-byte varint). */
  byte(b: number): void {
    if (this.length === this.buf.length) this.reserve(1);
    this.buf[this.length++] = b;
  }

  /** Appends `len` bytes of `src` from `start` (a loop for short runs: no view object per copy). */
  copy(src: Uint8Array, start: number, len: number): void {
    this.reserve(len);
    const buf = this.buf;
    let n = this.length;
    if (len <= 32) for (let i = 0; i < len; i++) buf[n++] = src[start + i];
    else {
      buf.set(src.subarray(start, start + len), n);
      n += len;
    }
    this.length = n;
  }

  /**
   * The buffer, with room for `extra` more bytes at `length`: tight encoding loops write there themselves and then
   * set `length` (a method call per byte was most of their cost).
   */
  room(extra: number): Uint8Array {
    this.reserve(extra);
    return this.buf;
  }

  /** Overwrites the byte at `at`, written earlier, with 0 ≤ b < 0x80. */
  setByte(at: number, b: number): void {
    this.buf[at] = b;
  }

  bytes(data: Uint8Array): void {
    this.uint(data.length);
    this.raw(data);
  }

  raw(data: Uint8Array): void {
    this.reserve(data.length);
    this.buf.set(data, this.length);
    this.length += data.length;
  }

  f64(v: number): void {
    this.reserve(8);
    new DataView(this.buf.buffer).setFloat64(this.length, v, true);
    this.length += 8;
  }

  /** UTF-8, length-prefixed, through one scratch buffer (the recorder writes a string for most events). */
  string(s: string): void {
    if (stringScratch.length < s.length * 3) stringScratch = new Uint8Array(s.length * 3);
    const { written } = UTF8.encodeInto(s, stringScratch);
    this.uint(written);
    this.raw(stringScratch.subarray(0, written));
  }

  /** The bytes written, as a view of the buffer (the same view while buffer and length stay: making one is not free). */
  finish(): Uint8Array {
    if (this.view.buffer !== this.buf.buffer || this.view.length !== this.length) this.view = this.buf.subarray(0, this.length);
    return this.view;
  }
}

export class ByteReader {
  offset = 0;
  private readonly view: DataView;

  constructor(private readonly buf: Uint8Array) {
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  }

  get done(): boolean {
    return this.offset >= this.buf.length;
  }

  uint(): number {
    // Most varints are one byte (trace counts and deltas, event columns): no multiply-and-scale loop for them.
    const first = this.offset < this.buf.length ? this.buf[this.offset] : 0x80;
    if (first < 0x80) {
      this.offset++;
      return first;
    }
    let v = 0;
    let scale = 1;
    for (let i = 0; i < 8; i++) {
      if (this.offset >= this.buf.length) throw new DecodeError("varint runs past the end of the data");
      const b = this.buf[this.offset++];
      v += (b & 0x7f) * scale;
      if (b < 0x80) return v;
      scale *= 0x80;
    }
    throw new DecodeError("varint longer than 8 bytes");
  }

  int(): number {
    const z = this.uint();
    if (z < 0x80000000) return (z >>> 1) ^ -(z & 1); // zigzag of an int32, in integer ops
    return z % 2 === 0 ? z / 2 : -(z + 1) / 2;
  }

  /** A length-prefixed byte string; `max` bounds what a damaged length can make us allocate. */
  bytes(max = this.buf.length): Uint8Array {
    const len = this.uint();
    if (len > max) throw new DecodeError(`byte string of ${len} bytes exceeds its limit of ${max}`);
    return this.raw(len);
  }

  raw(len: number): Uint8Array {
    if (this.offset + len > this.buf.length) throw new DecodeError("byte string runs past the end of the data");
    const out = this.buf.subarray(this.offset, this.offset + len);
    this.offset += len;
    return out;
  }

  f64(): number {
    if (this.offset + 8 > this.buf.length) throw new DecodeError("float64 runs past the end of the data");
    const v = this.view.getFloat64(this.offset, true);
    this.offset += 8;
    return v;
  }

  string(): string {
    return new TextDecoder("utf-8", { fatal: false }).decode(this.bytes());
  }
}

export interface PackedBlob {
  data: Buffer;
  crc: number;
}

/** `fast` trades some size for speed (deflate level 1): snapshots are large and taken while the guest waits. */
export function packBlob(raw: Uint8Array, fast = false): PackedBlob {
  const data = deflateRawSync(raw, fast ? { level: 1 } : {});
  return { data, crc: crc32(data) };
}

/** Inverse of packBlob; `maxBytes` stops a damaged or hostile blob from inflating without bound. */
export function unpackBlob(data: Uint8Array, crc: number, maxBytes: number): Uint8Array {
  if (!(data instanceof Uint8Array)) throw new DecodeError(`a ${data === null ? "null" : typeof data} where compressed data belongs`);
  if (crc32(data) >>> 0 !== crc >>> 0) throw new DecodeError("checksum mismatch");
  try {
    return inflateRawSync(data, { maxOutputLength: maxBytes });
  } catch (err) {
    throw new DecodeError(`does not decompress (${(err as Error).message})`);
  }
}

/**
 * Writes the varint of 0 ≤ v < 2^32 into `buf` at `at` (room checked by the caller, ByteWriter.room) and returns the
 * position after it. Below 2^32 shifts (unsigned) are exact and much cheaper than the division larger values need.
 */
export function putVarint32(buf: Uint8Array, at: number, v: number): number {
  while (v >= 0x80) {
    buf[at++] = (v & 0x7f) | 0x80;
    v >>>= 7;
  }
  buf[at++] = v;
  return at;
}

/** One virtual CPU's executed block addresses within a chunk. */
export interface BlockStream {
  addresses: Float64Array;
  length: number;
}

/**
 * A trace chunk. Format 2: the first varint is PREDICTED | the CPU count; per CPU, the count of blocks, then
 * alternately the number of blocks its predictor got right and, for the one it missed, the zigzag varint of its
 * difference from the block before; the stream ends with a count of right predictions. The predictor (fresh per CPU
 * and chunk, so chunks decode on their own) guesses the block that came last time after the same recent blocks (a
 * rolling hash of their addresses): on the CPU-bound bench guest it is right for 95% of blocks, so a loop costs a
 * count instead of a varint per block, and the bytes deflate sees shrink by as much.
 * Format 1 (recordings before it): the CPU count alone, then per CPU the count and every block's zigzag delta.
 */
const PREDICTED = 0x100;
const PREDICTOR_BITS = 14;
const predictor = new Float64Array(1 << PREDICTOR_BITS);

/** The history hash after block `rip`: each block shifts older ones out (about ten shape a guess). */
function history(h: number, rip: number): number {
  return ((h << 3) ^ (rip | 0)) | 0;
}

/** The predictor's entry for a history (a collision only costs a miss). */
function predictorSlot(h: number): number {
  return Math.imul(h, 0x9e3779b1) >>> (32 - PREDICTOR_BITS);
}

/** The encoder's buffer, kept across chunks: a fresh one per chunk (zeroed megabytes) cost a tenth of encoding. */
const traceWriter = new ByteWriter(1 << 20);

/** The encoded chunk: a view of a buffer the next call reuses, so pack or copy it before encoding another. */
export function encodeTraceChunk(streams: readonly BlockStream[]): Uint8Array {
  const w = traceWriter;
  w.length = 0;
  w.uint(PREDICTED | streams.length);
  for (const { addresses, length } of streams) {
    w.uint(length);
    predictor.fill(0);
    // Room for a miss on every block (a one-byte count and a delta within ±2^30), grown for the rare larger delta.
    let buf = w.room(length * 6 + 5);
    let at = w.length;
    let prev = 0, hits = 0, h = 0;
    for (let i = 0; i < length; i++) {
      const a = addresses[i];
      const slot = predictorSlot(h);
      h = history(h, a);
      if (predictor[slot] === a) {
        hits++;
        prev = a;
        continue;
      }
      predictor[slot] = a;
      at = putVarint32(buf, at, hits);
      hits = 0;
      const d = a - prev;
      prev = a;
      if (d === (d | 0) && d > -0x40000000 && d < 0x40000000) {
        // ByteWriter.int's zigzag varint, written in place.
        at = putVarint32(buf, at, (d << 1) ^ (d >> 31));
      } else {
        w.length = at;
        w.int(d);
        buf = w.room((length - i) * 6 + 5);
        at = w.length;
      }
    }
    w.length = putVarint32(buf, at, hits);
  }
  return w.finish();
}

/** Inverse of encodeTraceChunk (both formats); `maxBlocks` bounds what a damaged count can make us allocate. */
export function decodeTraceChunk(raw: Uint8Array, maxBlocks: number): Float64Array[] {
  const r = new ByteReader(raw);
  const first = r.uint();
  const predicted = first >= PREDICTED && first < 2 * PREDICTED;
  const cpus = predicted ? first - PREDICTED : first;
  if (cpus > 64) throw new DecodeError(`trace chunk for ${cpus} CPUs`);
  const out: Float64Array[] = [];
  let total = 0;
  for (let c = 0; c < cpus; c++) {
    const n = r.uint();
    total += n;
    if (total > maxBlocks) throw new DecodeError(`trace chunk holds more than ${maxBlocks} blocks`);
    const addresses = new Float64Array(n);
    let prev = 0, h = 0;
    if (!predicted) {
      for (let i = 0; i < n; i++) {
        prev += r.int();
        addresses[i] = prev;
      }
    } else {
      predictor.fill(0);
      for (let i = 0; ; ) {
        const hits = r.uint();
        if (hits > n - i) throw new DecodeError(`trace chunk predicts ${hits} blocks where ${n - i} are left`);
        for (const end = i + hits; i < end; i++) {
          addresses[i] = prev = predictor[predictorSlot(h)];
          h = history(h, prev);
        }
        if (i === n) break;
        const slot = predictorSlot(h);
        prev += r.int();
        predictor[slot] = addresses[i++] = prev;
        h = history(h, prev);
      }
    }
    out.push(addresses);
  }
  if (!r.done) throw new DecodeError("trace chunk has trailing bytes");
  return out;
}
