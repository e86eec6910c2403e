// The soft-float f80 divide, square root, add, multiply and the format conversions (fst m64/m32, fistp m64, fld m64/m32)
// against the host's x87: random operands (normals across the whole exponent range, quotients near overflow and
// underflow, ties, exact squares, denormals, zeros, infinities, NaNs; double and float patterns of every class) in every
// rounding mode and precision control, compared bit for bit through a small native helper built with gcc.

import { after, test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as f80 from "../../../engine/cpu/f80.ts";

/**
 * Reads records of (control word u16, a f80, b f80, a double's bits u64, a float's bits u32); writes a / b, sqrt(a),
 * a + b and a * b as f80 each, then a stored as a double and as a float (fstp), a stored as an int64 (fistp), and the
 * double and the float loaded (fld) as f80.
 */
const HELPER = String.raw`
#include <stdio.h>
#include <stdint.h>
#include <string.h>
int main(void) {
  unsigned char in[34], out[80];
  while (fread(in, sizeof in, 1, stdin) == 1) {
    uint16_t cw; long double a = 0, b = 0, q, r, sum, prod, ld, lf;
    double d, dIn; float f, fIn; int64_t i;
    memcpy(&cw, in, 2); memcpy(&a, in + 2, 10); memcpy(&b, in + 12, 10); memcpy(&dIn, in + 22, 8); memcpy(&fIn, in + 30, 4);
    __asm__ volatile ("fldcw %0" :: "m"(cw));
    __asm__ volatile ("fdiv %%st(1), %%st" : "=t"(q) : "0"(a), "u"(b));
    __asm__ volatile ("fsqrt" : "=t"(r) : "0"(a));
    __asm__ volatile ("fadd %%st(1), %%st" : "=t"(sum) : "0"(a), "u"(b));
    __asm__ volatile ("fmul %%st(1), %%st" : "=t"(prod) : "0"(a), "u"(b));
    __asm__ volatile ("fldt %1; fstpl %0" : "=m"(d) : "m"(a));
    __asm__ volatile ("fldt %1; fstps %0" : "=m"(f) : "m"(a));
    __asm__ volatile ("fldt %1; fistpll %0" : "=m"(i) : "m"(a));
    __asm__ volatile ("fldl %1; fstpt %0" : "=m"(ld) : "m"(dIn));
    __asm__ volatile ("flds %1; fstpt %0" : "=m"(lf) : "m"(fIn));
    __asm__ volatile ("fninit");
    memcpy(out, &q, 10); memcpy(out + 10, &r, 10); memcpy(out + 20, &sum, 10); memcpy(out + 30, &prod, 10);
    memcpy(out + 40, &d, 8); memcpy(out + 48, &f, 4); memcpy(out + 52, &i, 8); memcpy(out + 60, &ld, 10); memcpy(out + 70, &lf, 10);
    fwrite(out, sizeof out, 1, stdout);
  }
  return 0;
}
`;

function buildHelper(): string | null {
  if (process.platform !== "linux" || process.arch !== "x64") return null;
  const dir = mkdtempSync(join(tmpdir(), "hedron-f80-"));
  after(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, "h.c"), HELPER);
  const exe = join(dir, "h");
  return spawnSync("gcc", ["-O1", "-o", exe, join(dir, "h.c")]).status === 0 ? exe : null;
}

/** xorshift32: a fixed-seed stream, so a failure reproduces. */
let seed = 0x2545f491;
function rand32(): number {
  seed ^= seed << 13; seed ^= seed >>> 17; seed ^= seed << 5;
  return seed >>> 0;
}
const below = (n: number): number => rand32() % n;

/** A mantissa (high, low) with the integer bit set: random, or a rounding-sensitive pattern. */
function mantissa(): [number, number] {
  switch (below(6)) {
    case 0: return [0x80000000, below(4)];
    case 1: return [0xffffffff, (0xffffffff - below(4)) >>> 0];
    case 2: return [(0x80000000 | rand32()) >>> 0, (rand32() & ~0x7ff) >>> 0]; // few low bits: exact or tie-prone
    default: return [(0x80000000 | rand32()) >>> 0, rand32()];
  }
}

/** One f80 operand as (sign|exponent, high, low); `near` is an exponent the value clusters around. */
function operand(near: number): [number, number, number] {
  const s = below(2) << 15;
  const k = below(40);
  if (k === 0) return [s, 0, 0];
  if (k === 1) return [s | 0x7fff, 0x80000000, 0];
  if (k === 2) return [s | 0x7fff, (0xc0000000 | rand32()) >>> 0, rand32()]; // quiet NaN
  if (k === 3) return [s | 0x7fff, (0x80000000 | (rand32() & 0x3fffffff) | 1) >>> 0, rand32()]; // signalling NaN
  if (k === 4) return [s, rand32() & 0x7fffffff, rand32()]; // denormal
  if (k === 5) return [s, (0x80000000 | rand32()) >>> 0, rand32()]; // pseudo-denormal
  if (k === 6) return [s | (1 + below(0x7ffe)), rand32() & 0x7fffffff, rand32()]; // unnormal: an invalid operand
  const [h, l] = mantissa();
  const e = k < 12 ? 1 + below(0x7ffe) : Math.min(0x7ffe, Math.max(1, near + below(129) - 64));
  return [s | e, h, l];
}

/** A double (exponent field bits 11) or float (8) bit pattern as (high, low) words: zeros, denormals, the extremes, NaNs. */
function binaryPattern(expBits: number): [number, number] {
  const expMax = (1 << expBits) - 1;
  const field = [0, 0, 1, expMax, expMax - 1, below(expMax + 1)][below(6)];
  const fraction = below(5) === 0 ? [0, 1, 0xffffffff][below(3)] : rand32();
  const sign = below(2) * 0x80000000;
  if (expBits === 8) return [0, (sign | (field << 23) | (fraction & 0x7fffff)) >>> 0];
  return [(sign | (field << 20) | (rand32() & 0xfffff)) >>> 0, fraction >>> 0];
}

/** An operand whose square root is exact or lies near a rounding boundary: (r or r + 1/2 at the precision)^2. */
function nearSquare(): [number, number, number] {
  // r with 32 significant bits squares exactly into 64; a half-unit offset makes the root a near-tie at 32 bits.
  const r = (0x80000000 | rand32()) >>> 0, sq = BigInt(r) * BigInt(r) + (below(2) ? 0n : BigInt(below(3)) - 1n);
  const top = sq >> 63n ? 0 : 1, m = sq << BigInt(top);
  return [(16383 + below(64) - 32) & 0x7fff, Number(m >> 32n), Number(m & 0xffffffffn)];
}

/** Control words: all invalid-operation exceptions masked; precision 24/53/64 bits; every rounding mode. */
function controlWord(): number {
  return 0x007f | ([0, 2, 3][below(3)] << 8) | (below(4) << 10);
}

test("f80 divide, square root, add, multiply and conversions agree bit for bit with the host x87 in every rounding and precision mode", (t) => {
  const helper = buildHelper();
  if (!helper) { t.skip("needs gcc on an x86-64 Linux host"); return; }
  const N = 60_000;
  const input = Buffer.alloc(34 * N);
  for (let n = 0; n < N; n++) {
    const o = 34 * n;
    input.writeUInt16LE(controlWord(), o);
    // Exponent pairs that land the quotient in range, near overflow, near the denormal range or beyond it; a near the
    // double's and the float's overflow and denormal ranges for the stores.
    const ea = [16383, 0x7ffe - 40, 40, 1, 16383 + 1024, 16383 - 1022 - 20, 16383 + 128, 16383 - 126 - 10][below(8)];
    const eb = ea === 16383 ? 16383 : [16383, 16383 - (ea >> 1), 0x7ffe - 20, 20][below(4)];
    for (const [at, near] of [[o + 2, ea], [o + 12, eb]]) {
      const [se, h, l] = at === o + 2 && below(8) === 0 ? nearSquare() : operand(near);
      input.writeUInt32LE(l, at); input.writeUInt32LE(h, at + 4); input.writeUInt16LE(se, at + 8);
    }
    const [dh, dl] = binaryPattern(11);
    input.writeUInt32LE(dl, o + 22); input.writeUInt32LE(dh, o + 26);
    input.writeUInt32LE(binaryPattern(8)[1], o + 30);
  }
  const r = spawnSync(helper, [], { input, maxBuffer: 80 * N + 1024 });
  assert.equal(r.status, 0);
  const host = r.stdout;
  assert.equal(host.length, 80 * N);
  const w = new Uint32Array(24);
  const out = Buffer.alloc(80);
  const hex = (b: Buffer, at: number, size = 10): string => b.subarray(at, at + size).toString("hex");
  const failures: string[] = [];
  for (let n = 0; n < N && failures.length < 8; n++) {
    const o = 34 * n;
    const cw = input.readUInt16LE(o);
    f80.setControl(cw);
    for (let k = 0; k < 2; k++) {
      w[3 * k] = input.readUInt32LE(o + 2 + 10 * k);
      w[3 * k + 1] = input.readUInt32LE(o + 6 + 10 * k);
      w[3 * k + 2] = input.readUInt16LE(o + 10 + 10 * k);
    }
    f80.div(w, 6, 0, 3);
    f80.sqrt(w, 9, 0);
    f80.add(w, 12, 0, 3, false);
    f80.mul(w, 15, 0, 3);
    for (const [k, at] of [6, 9, 12, 15].entries()) Buffer.from(new Uint8Array(w.buffer, at * 4, 10)).copy(out, 10 * k);
    f80.toBinary(w, 0, true);
    out.writeInt32LE(f80.result[0], 40); out.writeInt32LE(f80.result[1], 44);
    f80.toBinary(w, 0, false);
    out.writeInt32LE(f80.result[0], 48);
    const fits = f80.toInt(w, 0, 64, false);
    out.writeInt32LE(fits ? f80.result[0] : 0, 52); out.writeInt32LE(fits ? f80.result[1] : 0x80000000 | 0, 56);
    f80.fromBinary(w, 18, input.readInt32LE(o + 22), input.readInt32LE(o + 26), true);
    f80.fromBinary(w, 21, input.readInt32LE(o + 30), 0, false);
    Buffer.from(new Uint8Array(w.buffer, 18 * 4, 10)).copy(out, 60);
    Buffer.from(new Uint8Array(w.buffer, 21 * 4, 10)).copy(out, 70);
    const results = [["div", 0, 10], ["sqrt", 10, 10], ["add", 20, 10], ["mul", 30, 10], ["fstp m64", 40, 8], ["fstp m32", 48, 4],
      ["fistp m64", 52, 8], ["fld m64", 60, 10], ["fld m32", 70, 10]] as const;
    for (const [name, at, size] of results) {
      const mine = out.subarray(at, at + size).toString("hex"), theirs = host.subarray(80 * n + at, 80 * n + at + size).toString("hex");
      if (mine !== theirs) failures.push(`${name} cw=${cw.toString(16)} a=${hex(input, o + 2)} b=${hex(input, o + 12)} d=${hex(input, o + 22, 8)} f=${hex(input, o + 30, 4)}: lab ${mine} host ${theirs}`);
    }
  }
  f80.setControl(0x037f);
  assert.deepEqual(failures, []);
});
