// The soft-float f80 divide, square root, add and multiply against the host's x87: random operands (normals across the whole
// exponent range, quotients near overflow and underflow, ties, denormals, zeros, infinities, NaNs) in every
// rounding mode and precision control, compared bit for bit through a small native helper built with gcc.

import { after, test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as f80 from "../../../engine/cpu/f80.ts";

/** Reads records of (control word u16, a f80, b f80); writes a / b, sqrt(a), a + b and a * b as f80 each. */
const HELPER = String.raw`
#include <stdio.h>
#include <stdint.h>
#include <string.h>
int main(void) {
  unsigned char in[22], out[40];
  while (fread(in, sizeof in, 1, stdin) == 1) {
    uint16_t cw; long double a = 0, b = 0, q, r, sum, prod;
    memcpy(&cw, in, 2); memcpy(&a, in + 2, 10); memcpy(&b, in + 12, 10);
    __asm__ volatile ("fldcw %0" :: "m"(cw));
    __asm__ volatile ("fdiv %%st(1), %%st" : "=t"(q) : "0"(a), "u"(b));
    __asm__ volatile ("fsqrt" : "=t"(r) : "0"(a));
    __asm__ volatile ("fadd %%st(1), %%st" : "=t"(sum) : "0"(a), "u"(b));
    __asm__ volatile ("fmul %%st(1), %%st" : "=t"(prod) : "0"(a), "u"(b));
    __asm__ volatile ("fninit");
    memcpy(out, &q, 10); memcpy(out + 10, &r, 10); memcpy(out + 20, &sum, 10); memcpy(out + 30, &prod, 10);
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

/** Control words: all invalid-operation exceptions masked; precision 24/53/64 bits; every rounding mode. */
function controlWord(): number {
  return 0x007f | ([0, 2, 3][below(3)] << 8) | (below(4) << 10);
}

test("f80 divide, square root, add and multiply agree bit for bit with the host x87 in every rounding and precision mode", (t) => {
  const helper = buildHelper();
  if (!helper) { t.skip("needs gcc on an x86-64 Linux host"); return; }
  const N = 60_000;
  const input = Buffer.alloc(22 * N);
  for (let n = 0; n < N; n++) {
    const o = 22 * n;
    input.writeUInt16LE(controlWord(), o);
    // Exponent pairs that land the quotient in range, near overflow, near the denormal range or beyond it.
    const ea = [16383, 0x7ffe - 40, 40, 1][below(4)];
    const eb = ea === 16383 ? 16383 : [16383, 16383 - (ea >> 1), 0x7ffe - 20, 20][below(4)];
    for (const [at, near] of [[o + 2, ea], [o + 12, eb]]) {
      const [se, h, l] = operand(near);
      input.writeUInt32LE(l, at); input.writeUInt32LE(h, at + 4); input.writeUInt16LE(se, at + 8);
    }
  }
  const r = spawnSync(helper, [], { input, maxBuffer: 40 * N + 1024 });
  assert.equal(r.status, 0);
  const host = r.stdout;
  assert.equal(host.length, 40 * N);
  const w = new Uint32Array(18);
  const hex = (b: Buffer | Uint32Array, at: number): string =>
    b instanceof Buffer ? b.subarray(at, at + 10).toString("hex") : Buffer.from(new Uint8Array(b.buffer, at * 4, 10)).toString("hex");
  const failures: string[] = [];
  for (let n = 0; n < N && failures.length < 8; n++) {
    const o = 22 * n;
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
    const results = [["div", 6, 40 * n], ["sqrt", 9, 40 * n + 10], ["add", 12, 40 * n + 20], ["mul", 15, 40 * n + 30]] as const;
    for (const [name, at, hostAt] of results) {
      const mine = hex(w, at), theirs = hex(host, hostAt);
      if (mine !== theirs) failures.push(`${name} cw=${cw.toString(16)} a=${hex(input, o + 2)} b=${hex(input, o + 12)}: lab ${mine} host ${theirs}`);
    }
  }
  f80.setControl(0x037f);
  assert.deepEqual(failures, []);
});
