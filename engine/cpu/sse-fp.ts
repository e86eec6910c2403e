// SSE floating point under MXCSR: rounding control, DAZ/FTZ and the six exception flags, on top of the host's
// round-to-nearest doubles. Exactness is decided with BigInt only when it matters (PE clear, directed rounding, tiny).

import { FOP } from "./table.ts";
import { VEC_XM, type Core } from "./core.ts";

export const MX_IE = 1, MX_DE = 2, MX_ZE = 4, MX_OE = 8, MX_UE = 16, MX_PE = 32;
const MX_DAZ = 0x40, MX_FTZ = 0x8000;
const MIN_NORMAL64 = 2 ** -1022, MIN_NORMAL32 = 2 ** -126;
const MAX64 = Number.MAX_VALUE, MAX32 = 3.4028234663852886e38;

/** Exception flags raised by the current instruction (reset by begin, applied by commit). */
export let pending = 0;

const BITS = new DataView(new ArrayBuffer(8));

export function begin(): void {
  pending = 0;
}

/** Adds flags raised outside this module (conversions, compares). */
export function raise(flags: number): void {
  pending |= flags;
}

/** Sets the raised flags in MXCSR; #XM (before any destination is written) when one of them is unmasked. */
export function commit(c: Core): void {
  if (pending === 0) return;
  c.mxcsr |= pending;
  if (pending & ~(c.mxcsr >> 7) & 0x3f) c.fault(VEC_XM, 0, 0);
}

export function isSNaN64(v: number): boolean {
  if (v === v) return false;
  BITS.setFloat64(0, v, true);
  return (BITS.getUint32(4, true) & 0x80000) === 0;
}

/** Float32 values travel as doubles, which loses the quiet bit; lanes are checked on their raw bits instead. */
export function isSNaN32(bits: number): boolean {
  return (bits & 0x7fc00000) === 0x7f800000 && (bits & 0x3fffff) !== 0;
}

function denormal(v: number, single: boolean): boolean {
  const m = Math.abs(v);
  return m !== 0 && m < (single ? MIN_NORMAL32 : MIN_NORMAL64);
}

/** A denormal as the signed zero DAZ makes of it (no flag); other values unchanged. NaNs pass through untouched. */
export function dazValue(v: number, single: boolean, mxcsr: number): number {
  return (mxcsr & MX_DAZ) !== 0 && denormal(v, single) ? (v < 0 ? -0 : 0) : v;
}

/** Denormal operand: flush to a signed zero under DAZ, else raise DE. */
export function operand(v: number, single: boolean, mxcsr: number): number {
  if (!denormal(v, single)) return v;
  if (mxcsr & MX_DAZ) return v < 0 ? -0 : 0;
  pending |= MX_DE;
  return v;
}

/** x = m · 2^e exactly (finite x). */
let decM = 0n, decE = 0;
function decompose(x: number): void {
  BITS.setFloat64(0, x, true);
  const hi = BITS.getUint32(4, true), lo = BITS.getUint32(0, true);
  const exp = (hi >>> 20) & 0x7ff;
  let m = (BigInt(hi & 0xfffff) << 32n) | BigInt(lo);
  if (exp !== 0) m |= 1n << 52n;
  decM = x < 0 || (x === 0 && Object.is(x, -0)) ? -m : m;
  decE = (exp === 0 ? 1 : exp) - 1075;
}

/** Sign of Σ mᵢ·2^eᵢ. */
function sumSign(ms: bigint[], es: number[]): number {
  const e0 = Math.min(...es);
  let s = 0n;
  for (let k = 0; k < ms.length; k++) s += ms[k] << BigInt(es[k] - e0);
  return s > 0n ? 1 : s < 0n ? -1 : 0;
}

/** Sign of (exact a op b) − r for finite a, b, r (sqrt: of b). */
function errorSign(op: number, a: number, b: number, r: number): number {
  decompose(a); const ma = decM, ea = decE;
  decompose(b); const mb = decM, eb = decE;
  decompose(r); const mr = decM, er = decE;
  switch (op) {
    case FOP.ADD: return sumSign([ma, mb, -mr], [ea, eb, er]);
    case FOP.SUB: return sumSign([ma, -mb, -mr], [ea, eb, er]);
    case FOP.MUL: return sumSign([ma * mb, -mr], [ea + eb, er]);
    case FOP.DIV: return sumSign([ma, -(mr * mb)], [ea, er + eb]) * (b < 0 ? -1 : 1);
    default: return sumSign([mb, -(mr * mr)], [eb, 2 * er]); // sqrt(b) − r has the sign of b − r², r ≥ 0
  }
}

/** The neighbour of r towards +∞ (dir > 0) or −∞, in double or single precision. */
function step(r: number, dir: number, single: boolean): number {
  if (single) {
    BITS.setFloat32(0, r, true);
    let u = BITS.getUint32(0, true);
    if ((u & 0x7fffffff) === 0) u = dir > 0 ? 1 : 0x80000001;
    else u += (dir > 0) === (r > 0) ? 1 : -1;
    BITS.setUint32(0, u >>> 0, true);
    return BITS.getFloat32(0, true);
  }
  BITS.setFloat64(0, r, true);
  let hi = BITS.getUint32(4, true), lo = BITS.getUint32(0, true);
  if ((hi & 0x7fffffff) === 0 && lo === 0) { hi = dir > 0 ? 0 : 0x80000000; lo = 1; }
  else if ((dir > 0) === (r > 0)) { lo = (lo + 1) >>> 0; if (lo === 0) hi++; }
  else { if (lo === 0) hi--; lo = (lo - 1) >>> 0; }
  BITS.setUint32(4, hi >>> 0, true);
  BITS.setUint32(0, lo, true);
  return BITS.getFloat64(0, true);
}

/**
 * Rounds the nearest-rounded finite result r of an inexact operation (s = sign of exact − r) per MXCSR.RC,
 * raising PE, UE (tiny), OE (a directed step past the largest finite value), and flushing under FTZ.
 */
function directed(r: number, s: number, mxcsr: number, single: boolean): number {
  const mode = (mxcsr >> 13) & 3;
  pending |= MX_PE;
  if (mode === 1 ? s < 0 : mode === 2 ? s > 0 : mode === 3 ? (r > 0 ? s < 0 : r < 0 ? s > 0 : false) : false) {
    r = step(r, mode === 1 || (mode === 3 && r > 0) ? -1 : 1, single);
  }
  return tinyCheck(r, mxcsr, single);
}

function tinyCheck(r: number, mxcsr: number, single: boolean): number {
  if (Math.abs(r) < (single ? MIN_NORMAL32 : MIN_NORMAL64)) {
    pending |= MX_UE | MX_PE;
    if (mxcsr & MX_FTZ) return r < 0 || Object.is(r, -0) ? -0 : 0;
  }
  return r;
}

/** An overflowed result per rounding mode: ∞ or the largest finite value of that sign. */
function overflow(r: number, mxcsr: number, single: boolean): number {
  pending |= MX_OE | MX_PE;
  const mode = (mxcsr >> 13) & 3, max = single ? MAX32 : MAX64;
  if (mode === 3 || (mode === 1 && r > 0) || (mode === 2 && r < 0)) return r > 0 ? max : -max;
  return r;
}

function compute(op: number, a: number, b: number): number {
  switch (op) {
    case FOP.ADD: return a + b;
    case FOP.MUL: return a * b;
    case FOP.SUB: return a - b;
    case FOP.MIN: return a < b ? a : b;
    case FOP.DIV: return a / b;
    case FOP.MAX: return a > b ? a : b;
    default: return Math.sqrt(b);
  }
}

/**
 * One lane of an SSE arithmetic op (FOP.*) under MXCSR. Operands are exact values of the lane type; aBits/bBits
 * are the raw float32 bits of single lanes (for SNaN detection), ignored for doubles. NaN results come from the
 * host's own SSE arithmetic, which propagates payloads like the guest's would.
 */
export function arith(op: number, a: number, b: number, mxcsr: number, single: boolean, aBits = 0, bBits = 0): number {
  const unary = op === FOP.SQRT;
  if (unary) a = 0;
  if (a !== a || b !== b) {
    if ((single ? isSNaN32(aBits) : isSNaN64(a)) || (single ? isSNaN32(bBits) : isSNaN64(b))) pending |= MX_IE;
    return compute(op, a, b);
  }
  if (!unary) a = operand(a, single, mxcsr);
  b = operand(b, single, mxcsr);
  let d = compute(op, a, b);
  if (d !== d) { pending |= MX_IE; return d; }
  // An exact zero sum is −0 when rounding down, unless both addends are +0.
  if (d === 0 && (mxcsr & 0x6000) === 0x2000 && (op === FOP.ADD || op === FOP.SUB) &&
      !(Object.is(a, 0) && Object.is(op === FOP.SUB ? -b : b, 0))) d = -0;
  if (op === FOP.DIV && b === 0 && a === a && Number.isFinite(a)) { pending |= MX_ZE; return d; }
  if (!Number.isFinite(a) || !Number.isFinite(b)) return single ? Math.fround(d) : d;
  const r = single ? Math.fround(d) : d;
  if (!Number.isFinite(r)) return overflow(r, mxcsr, single);
  const tiny = Math.abs(r) < (single ? MIN_NORMAL32 : MIN_NORMAL64);
  if ((mxcsr & 0x6000) === 0 && (mxcsr & MX_PE) !== 0 && !tiny) return r;
  let s: number;
  if (single && d !== r) s = d > r ? 1 : -1;
  else if (d === 0) {
    // A zero sum or square root is exact; a zero product or quotient of non-zero operands underflowed.
    if (op === FOP.ADD || op === FOP.SUB || op === FOP.SQRT || a === 0 || (op === FOP.MUL && b === 0)) return r;
    s = (a < 0) !== (b < 0) ? -1 : 1;
  } else s = errorSign(op, a, b, d);
  if (s === 0) return r;
  const out = directed(r, s, mxcsr, single);
  if (!Number.isFinite(out)) pending |= MX_OE;
  return out;
}

/**
 * MINxx/MAXxx: true when the result is the first (destination) operand. Any NaN operand raises IE and, like two
 * zeros, selects the second operand, which is copied bit for bit by the caller.
 */
export function minmaxFirst(max: boolean, a: number, b: number, mxcsr: number, single: boolean): boolean {
  if (a !== a || b !== b) { pending |= MX_IE; return false; }
  a = operand(a, single, mxcsr);
  b = operand(b, single, mxcsr);
  return max ? a > b : a < b;
}

/** Compare-class exceptions: IE for an SNaN, or for any NaN when the predicate signals on QNaNs; DE. */
export function compareFlags(signalQuiet: boolean, a: number, b: number, mxcsr: number, single: boolean, aBits: number, bBits: number): void {
  if (a !== a || b !== b) {
    if (signalQuiet || (single ? isSNaN32(aBits) || isSNaN32(bBits) : isSNaN64(a) || isSNaN64(b))) pending |= MX_IE;
    return;
  }
  operand(a, single, mxcsr);
  operand(b, single, mxcsr);
}

/** Double → single conversion (cvtsd2ss, cvtpd2ps) under MXCSR. */
export function toSingle(v: number, mxcsr: number): number {
  if (v !== v) {
    if (isSNaN64(v)) pending |= MX_IE;
    return Math.fround(v);
  }
  v = operand(v, false, mxcsr);
  const r = Math.fround(v);
  if (!Number.isFinite(r) && Number.isFinite(v)) return overflow(r, mxcsr, true);
  if (r === v) return r;
  const out = directed(r, v > r ? 1 : -1, mxcsr, true);
  if (!Number.isFinite(out)) pending |= MX_OE;
  return out;
}

/** An integer value (exact double, or BigInt-exact for int64) rounded to double/single per MXCSR. */
export function fromInt(v: number, exact: bigint | null, mxcsr: number, single: boolean): number {
  const r = single ? Math.fround(v) : v;
  let s: number;
  if (exact !== null) {
    decompose(r);
    const rv = decE >= 0 ? decM << BigInt(decE) : decM >> BigInt(-decE);
    s = exact > rv ? 1 : exact < rv ? -1 : 0;
  } else s = v > r ? 1 : v < r ? -1 : 0;
  return s === 0 ? r : directed(r, s, mxcsr, single);
}
