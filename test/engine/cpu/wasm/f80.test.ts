// The WebAssembly x87 fast paths (wasm/f80.ts) against f80.ts, which f80.test.ts checks against the host's x87: on
// random operands of every class and control words of every rounding mode and precision, each function either
// declines having written nothing, or writes exactly f80.ts's result; and on normal operands under the default control
// word it must decline almost nothing (else the regions would gain nothing).

import { test } from "node:test";
import assert from "node:assert/strict";
import * as f80 from "../../../../engine/cpu/f80.ts";
import { f80Instance } from "../../../../engine/cpu/wasm/f80.ts";
import { AREA_F80_OUT, AREA_FP_CONTROL, AREA_FPX } from "../../../../engine/cpu/wasm/layout.ts";

const memory = new WebAssembly.Memory({ initial: 1 });
const fn = f80Instance(memory, 0) as unknown as Record<string, (...args: (number | bigint)[]) => number>;
const words = new Uint32Array(memory.buffer);
const bytes = new Uint8Array(memory.buffer);
const out = new BigInt64Array(memory.buffer, AREA_F80_OUT, 1);
const control = new Int32Array(memory.buffer, AREA_FP_CONTROL, 1);
/** Word offsets (f80.ts) and byte addresses (wasm) of the operands a, b and the destination. */
const A = AREA_FPX / 4, B = A + 3, D = A + 6;
const at = (w: number): number => 4 * w;

let seed = 0x9e3779b9;
function next(): number {
  seed ^= seed << 13; seed ^= seed >>> 17; seed ^= seed << 5;
  return seed >>> 0;
}

/** Writes a random f80 at word w: mostly normals near `exponent`, some anywhere, and every special class. */
function value(w: number, exponent: number): void {
  const sign = (next() & 1) << 15, k = next() % 32;
  let se: number, hi = (next() | 0x80000000) >>> 0, lo = next();
  if (k === 0) { se = 0; hi = 0; lo = 0; }
  else if (k === 1) { se = 0x7fff; hi = 0x80000000; lo = 0; }
  else if (k === 2) { se = 0x7fff; hi = (next() | 0xc0000000) >>> 0; }
  else if (k === 3) { se = 0; hi &= 0x7fffffff; } // denormal
  else if (k === 4) { se = 1 + (next() % 0x7ffe); hi &= 0x7fffffff; } // unnormal
  else if (k === 5) se = 1 + (next() % 0x7ffe);
  else if (k === 6) se = [1, 2, 0x7ffd, 0x7ffe][next() & 3];
  else {
    se = Math.min(0x7ffe, Math.max(1, exponent + (next() % 129) - 64));
    if (k === 7) lo &= ~0xfff; // short mantissas: exact results and ties
    if (k === 8) { hi = 0xffffffff; lo = 0xffffffff - (next() & 3); }
  }
  words[w] = lo; words[w + 1] = hi; words[w + 2] = sign | se;
}

const CONTROLS = [0x037f, 0x037f, 0x037f, 0x0f7f, 0x027f, 0x007f, 0x077f, 0x0b7f];

/** Runs `wasm` and `js` on the same inputs; returns whether the wasm function did it (then the results must agree). */
function check(name: string, wasm: () => number, js: (w: Uint32Array) => void, result: () => string, expected: (w: Uint32Array) => string): boolean {
  const w = new Uint32Array(words.subarray(A, A + 9));
  const before = bytes.slice(AREA_FPX, AREA_F80_OUT + 8);
  const done = wasm();
  if (done === 0 || done === -1) {
    assert.deepEqual(bytes.slice(AREA_FPX, AREA_F80_OUT + 8), before, `${name} declined but wrote`);
    return false;
  }
  f80.setControl(control[0]);
  js(w);
  const mine = result(), theirs = expected(w);
  if (mine !== theirs) {
    const hex = (k: number): string => [...w.subarray(k, k + 3)].map((x) => x.toString(16)).join(":");
    assert.fail(`${name} cw=${control[0].toString(16)} a=${hex(0)} b=${hex(3)}: wasm ${mine}, f80.ts ${theirs}`);
  }
  return true;
}

const f80At = (w: Uint32Array, k: number): string => [...w.subarray(k, k + 3)].map((x) => x.toString(16)).join(":");

test("WebAssembly f80 arithmetic equals f80.ts wherever it does not decline", () => {
  const done = new Map<string, number>(), tried = new Map<string, number>();
  for (let n = 0; n < 60_000; n++) {
    control[0] = CONTROLS[n & 7];
    const pick = next() % 5, ea = [16383, 16383 + 64, 16383 - 64, 0x7ffe - 30, 30][pick];
    value(A, ea);
    value(B, next() & 1 ? ea : [16383, ea - 70, ea + 70, ea - 1][next() & 3]);
    // Normal operands whose results stay in range (the exponents near the middle), under the default control word.
    const normal = pick < 3 && control[0] === 0x037f && [A, B].every((k) => (words[k + 2] & 0x7fff) - 1 < 0x7ffd && words[k + 1] >= 0x80000000);
    const cases: [string, () => number, (w: Uint32Array) => void][] = [
      ["add", () => fn.f80add(at(D), at(A), at(B), 0), (w) => f80.add(w, 6, 0, 3, false)],
      ["sub", () => fn.f80add(at(D), at(A), at(B), 1), (w) => f80.add(w, 6, 0, 3, true)],
      ["mul", () => fn.f80mul(at(D), at(A), at(B)), (w) => f80.mul(w, 6, 0, 3)],
      ["div", () => fn.f80div(at(D), at(A), at(B)), (w) => f80.div(w, 6, 0, 3)],
      ["sqrt", () => fn.f80sqrt(at(D), at(A)), (w) => f80.sqrt(w, 6, 0)],
      ["add in place", () => fn.f80add(at(A), at(A), at(B), 0), (w) => f80.add(w, 0, 0, 3, false)],
    ];
    for (const [name, wasm, js] of cases) {
      const saved = words.slice(A, A + 9);
      const ok = check(name, wasm, js, () => f80At(words, name === "add in place" ? A : D), (w) => f80At(w, name === "add in place" ? 0 : 6));
      words.set(saved, A);
      if (normal && !(name === "sqrt" && words[A + 2] & 0x8000)) {
        tried.set(name, (tried.get(name) ?? 0) + 1);
        if (ok) done.set(name, (done.get(name) ?? 0) + 1);
      }
    }
  }
  for (const [name, n] of tried) assert.ok((done.get(name) ?? 0) > 0.97 * n, `${name} declined ${n - (done.get(name) ?? 0)} of ${n} normal cases`);
});

test("WebAssembly f80 compares and conversions equal f80.ts wherever they do not decline", () => {
  let stores = 0, loads = 0;
  for (let n = 0; n < 60_000; n++) {
    control[0] = CONTROLS[n & 7];
    value(A, [16383, 16383 + 30, 16383 + 62, 16383 - 1022, 16383 + 1023, 16383 - 126, 16383 + 127, 16383 + 14][next() & 7]);
    value(B, next() & 1 ? (words[A + 2] & 0x7fff) : 16383);
    if (next() & 1) words.copyWithin(B, A, A + 3);
    const compared = fn.f80compare(at(A), at(B));
    if (compared !== -1) {
      const r = f80.compare(words.slice(A, A + 9), 0, 3);
      assert.equal(compared, r < 0 ? 1 : r === 0 ? 0x40 : 0, `compare ${f80At(words, A)} ${f80At(words, B)}`);
    }
    for (const double of [true, false]) {
      stores += +check(double ? "fst m64" : "fst m32", () => fn[double ? "f80toF64" : "f80toF32"](at(A)), (w) => f80.toBinary(w, 0, double),
        () => BigInt.asUintN(double ? 64 : 32, out[0]).toString(16),
        () => BigInt.asUintN(double ? 64 : 32, BigInt(f80.result[1] >>> 0) << 32n | BigInt(f80.result[0] >>> 0)).toString(16));
    }
    for (const size of [2, 4, 8]) for (const truncate of [0, 1]) {
      check(`fist m${8 * size}${truncate ? " truncating" : ""}`, () => fn.f80toInt(at(A), size, truncate), (w) => {
        if (!f80.toInt(w, 0, 8 * size, truncate === 1)) f80.result.fill(0x7777);
      }, () => BigInt.asIntN(8 * size, out[0]).toString(16),
      () => BigInt.asIntN(8 * size, BigInt(f80.result[1] >>> 0) << 32n | BigInt(f80.result[0] >>> 0)).toString(16));
    }
    // Loads: a double's and a float's bits from the f80's words, and an integer.
    const bits = (BigInt(words[A + 1]) << 32n | BigInt(words[A])) ^ BigInt(next() & 0x8000) << 48n;
    const double = [bits, bits & 0x800fffffffffffffn, bits | 0x7ff0000000000000n][next() % 3];
    loads += +check("fld m64", () => fn.f80fromF64(at(D), double), (w) => f80.fromBinary(w, 6, Number(double & 0xffffffffn) | 0, Number(double >> 32n) | 0, true),
      () => f80At(words, D), (w) => f80At(w, 6));
    const float = [double & 0xffffffffn, double & 0x807fffffn][next() & 1];
    loads += +check("fld m32", () => fn.f80fromF32(at(D), float), (w) => f80.fromBinary(w, 6, Number(float) | 0, 0, false),
      () => f80At(words, D), (w) => f80At(w, 6));
    const integer = BigInt.asIntN(64, bits >> BigInt(next() & 63));
    fn.f80fromInt(at(D), integer);
    const expected = new Uint32Array(9);
    f80.fromInt64(expected, 6, Number(integer & 0xffffffffn) | 0, Number(integer >> 32n) | 0);
    assert.equal(f80At(words, D), f80At(expected, 6), `fild ${integer}`);
  }
  assert.ok(stores > 20_000 && loads > 20_000, `${stores} stores and ${loads} loads done`);
});
