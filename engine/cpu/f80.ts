// 80-bit extended-precision soft float for the x87: values as (sign|exponent, mantissa high, mantissa low) words; exact
// add/sub/mul/div/sqrt/prem/scale and format conversions under rounding and precision control, as hardware rounds them.

const TWO32 = 4294967296;
const BIAS = 16383;
/** Rounding-control values (x87 control word bits 10-11). */
export const RC_NEAREST = 0, RC_DOWN = 1, RC_UP = 2, RC_ZERO = 3;

/**
 * An extended value in three words at `at` of a Uint32Array: [mantissa low, mantissa high, sign<<15 | exponent].
 * These helpers read and write such triples; the x87 register file is 8 of them.
 */
export type F80Words = Uint32Array;

// Unpacked operands and result (module scratch: no allocation per operation).
let aS = 0, aE = 0, aH = 0, aL = 0, aK = 0;
let bS = 0, bE = 0, bH = 0, bL = 0, bK = 0;
/** Operand kinds. */
const K_ZERO = 0, K_NORMAL = 1, K_INF = 2, K_NAN = 3;
/** An unsupported encoding (unnormal, pseudo-infinity, pseudo-NaN: exponent non-zero, integer bit clear): invalid. */
const K_BAD = 4;

/** Rounding mode and precision (mantissa bits: 24, 53 or 64) for the next pack, from the x87 control word. */
export let roundingMode = RC_NEAREST;
let precisionBits = 64;
/** Sets rounding and precision control from a control word (PC 00 = 24 bits, 10 = 53, 11 = 64). */
export function setControl(cw: number): void {
  roundingMode = (cw >> 10) & 3;
  const pc = (cw >> 8) & 3;
  precisionBits = pc === 0 ? 24 : pc === 2 ? 53 : 64;
}

function unpackA(w: F80Words, at: number): void {
  aL = w[at]; aH = w[at + 1];
  const se = w[at + 2];
  aS = se >>> 15; aE = se & 0x7fff;
  aK = aE !== 0 && aH < 0x80000000 ? K_BAD : classify(aE, aH, aL);
  if (aK === K_NORMAL) {
    // A denormal or pseudo-denormal (integer bit set) has the exponent of the smallest normal.
    if (aE === 0) aE = 1;
    if (aH < 0x80000000) normalizeA();
  }
}

function unpackB(w: F80Words, at: number): void {
  bL = w[at]; bH = w[at + 1];
  const se = w[at + 2];
  bS = se >>> 15; bE = se & 0x7fff;
  bK = bE !== 0 && bH < 0x80000000 ? K_BAD : classify(bE, bH, bL);
  if (bK === K_NORMAL && bE === 0) bE = 1; // as for A
  if (bK === K_NORMAL && bH < 0x80000000) {
    // Denormal or unnormal operand: shift the mantissa up.
    const n = leadingZeros64(bH, bL);
    bH = shlHigh(bH, bL, n); bL = shlLow(bL, n); bE -= n;
  }
}

function normalizeA(): void {
  const n = leadingZeros64(aH, aL);
  aH = shlHigh(aH, aL, n); aL = shlLow(aL, n); aE -= n;
}

/** Leading zero bits of the non-zero 64-bit value (h, l). */
function leadingZeros64(h: number, l: number): number {
  return h !== 0 ? Math.clz32(h) : 32 + Math.clz32(l);
}

/** High and low words of (h, l) << n for 0 <= n < 64, as non-negative numbers. */
function shlHigh(h: number, l: number, n: number): number {
  if (n === 0) return h;
  return (n >= 32 ? l << (n - 32) : (h << n) | (l >>> (32 - n))) >>> 0;
}
function shlLow(l: number, n: number): number {
  return n >= 32 ? 0 : (l << n) >>> 0;
}

function classify(e: number, h: number, l: number): number {
  if (e === 0x7fff) return (h & 0x7fffffff) === 0 && l === 0 ? K_INF : K_NAN;
  return h === 0 && l === 0 ? K_ZERO : K_NORMAL;
}

function store(w: F80Words, at: number, s: number, e: number, h: number, l: number): void {
  w[at] = l;
  w[at + 1] = h;
  w[at + 2] = (s << 15) | e;
}

/** The x87 "indefinite" quiet NaN. */
function storeNaN(w: F80Words, at: number): void {
  store(w, at, 1, 0x7fff, 0xc0000000, 0);
}

/**
 * Rounds a 64-bit normalised mantissa with extra bits (`x`: bit 31 = round bit, lower bits sticky) and
 * packs it. e is the biased exponent. Precision control and tiny (denormal) results take the exact slow path.
 */
function roundPack(w: F80Words, at: number, s: number, e: number, h: number, l: number, x: number): void {
  if (precisionBits !== 64 || e <= 0) {
    const m = (BigInt(h) << 64n) | (BigInt(l) << 32n) | BigInt(x);
    packBig(w, at, s, e, m, 95, precisionBits, 1);
    return;
  }
  let up = false;
  switch (roundingMode) {
    case RC_NEAREST: up = x > 0x80000000 || (x === 0x80000000 && (l & 1) === 1); break;
    case RC_DOWN: up = s === 1 && x !== 0; break;
    case RC_UP: up = s === 0 && x !== 0; break;
  }
  if (up) {
    l += 1;
    if (l >= TWO32) {
      l = 0;
      h += 1;
      if (h >= TWO32) { h = 0x80000000; e++; }
    }
  }
  if (e >= 0x7fff) { overflow(w, at, s, 64, 0x7ffe); return; }
  store(w, at, s, e, h >>> 0, l >>> 0);
}

/** Whether a value truncated with remainder `rem` of half-quantum `half` rounds away from zero. */
function roundsUp(s: number, q: bigint, rem: bigint, half: bigint): boolean {
  if (rem === 0n) return false;
  switch (roundingMode) {
    case RC_NEAREST: return rem > half || (rem === half && (q & 1n) === 1n);
    case RC_DOWN: return s === 1;
    case RC_UP: return s === 0;
  }
  return false;
}

/** Overflow result: infinity, or the largest finite value when rounding towards zero's side. */
function overflow(w: F80Words, at: number, s: number, bits: number, emax: number): void {
  const toInf = roundingMode === RC_NEAREST || (roundingMode === RC_UP && s === 0) || (roundingMode === RC_DOWN && s === 1);
  if (toInf) { store(w, at, s, 0x7fff, 0x80000000, 0); return; }
  const m = ((1n << BigInt(bits)) - 1n) << BigInt(64 - bits);
  store(w, at, s, emax, Number(m >> 32n), Number(m & 0xffffffffn));
}

/**
 * Exact rounding of value m * 2^(e - BIAS - top) (m's leading one at bit `top`) to `bits` significant bits with the
 * extended exponent range and gradual underflow below `emin` (biased).
 */
function packBig(w: F80Words, at: number, s: number, e: number, m: bigint, top: number, bits: number, emin: number): void {
  if (top < 95) { m <<= BigInt(95 - top); top = 95; }
  let drop = top + 1 - bits;
  if (e < emin) drop += emin - e;
  if (drop > top + 1) {
    // Below half the smallest denormal: zero, or the smallest denormal when rounding away from zero.
    const unit = roundsUp(s, 0n, m, m + 1n) ? 1n << BigInt(64 - bits) : 0n; // the quantum at this precision
    store(w, at, s, 0, Number(unit >> 32n), Number(unit & 0xffffffffn));
    return;
  }
  const q0 = m >> BigInt(drop), rem = m & ((1n << BigInt(drop)) - 1n);
  let q = q0;
  if (roundsUp(s, q0, rem, 1n << BigInt(drop - 1))) q += 1n;
  // Mantissa aligned to 64 bits with the exponent of the leading bit position.
  let ee = e < emin ? emin : e;
  let shift = 63 - (top - drop) - (ee - e);
  let mant = shift >= 0 ? q << BigInt(shift) : q >> BigInt(-shift);
  if (mant >= 1n << 64n) { mant >>= 1n; ee++; shift--; }
  if (mant === 0n) { store(w, at, s, 0, 0, 0); return; }
  if (e < emin && mant < 1n << 63n) {
    // Still tiny: an extended denormal keeps exponent 0 with the integer bit clear.
    if (emin === 1) { store(w, at, s, 0, Number(mant >> 32n), Number(mant & 0xffffffffn)); return; }
  }
  if (ee >= 0x7fff) { overflow(w, at, s, bits, 0x7ffe); return; }
  store(w, at, s, ee, Number(mant >> 32n), Number(mant & 0xffffffffn));
}

/** Shifts (h, l, x) right by n with sticky, into module results sh/sl/sx. */
let sh = 0, sl = 0, sx = 0;
function shiftRight(h: number, l: number, x: number, n: number): void {
  if (n === 0) { sh = h; sl = l; sx = x; return; }
  if (n >= 96) { sh = 0; sl = 0; sx = (h | l | x) !== 0 ? 1 : 0; return; }
  let sticky = 0;
  while (n >= 32) {
    sticky |= x;
    x = l; l = h; h = 0;
    n -= 32;
  }
  if (n > 0) {
    sticky |= (x << (32 - n)) !== 0 ? 1 : 0;
    x = ((x >>> n) | (l << (32 - n))) >>> 0;
    l = ((l >>> n) | (h << (32 - n))) >>> 0;
    h = h >>> n;
  }
  sh = h; sl = l; sx = (x | (sticky ? 1 : 0)) >>> 0;
}

/** w[d] = w[a] + w[b] (negate b first for subtraction). */
export function add(w: F80Words, d: number, a: number, b: number, subtract: boolean): void {
  unpackA(w, a);
  unpackB(w, b);
  if (subtract) bS ^= 1;
  if (aK === K_BAD || bK === K_BAD) { storeNaN(w, d); return; }
  if (aK === K_NAN || bK === K_NAN) { copyNaN(w, d, a, b); return; }
  if (aK === K_INF || bK === K_INF) {
    if (aK === K_INF && bK === K_INF && aS !== bS) storeNaN(w, d);
    else if (aK === K_INF) store(w, d, aS, 0x7fff, 0x80000000, 0);
    else store(w, d, bS, 0x7fff, 0x80000000, 0);
    return;
  }
  if (aK === K_ZERO && bK === K_ZERO) {
    store(w, d, aS === bS ? aS : roundingMode === RC_DOWN ? 1 : 0, 0, 0, 0);
    return;
  }
  // x + 0 still rounds x to the precision control (and denormalises a normalised tiny operand).
  if (aK === K_ZERO) { roundPack(w, d, bS, bE, bH, bL, 0); return; }
  if (bK === K_ZERO) { roundPack(w, d, aS, aE, aH, aL, 0); return; }
  // Order so that |A| >= |B|.
  if (bE > aE || (bE === aE && (bH > aH || (bH === aH && bL > aL)))) {
    let t = aS; aS = bS; bS = t;
    t = aE; aE = bE; bE = t;
    t = aH; aH = bH; bH = t;
    t = aL; aL = bL; bL = t;
  }
  shiftRight(bH, bL, 0, aE - bE);
  let h: number, l: number, x: number, e = aE;
  if (aS === bS) {
    l = aL + sl;
    h = aH + sh + (l >= TWO32 ? 1 : 0);
    l = l >>> 0;
    x = sx;
    if (h >= TWO32) {
      // Carry out: shift right by one.
      const sticky = x & 1;
      x = ((x >>> 1) | ((l & 1) << 31) | sticky) >>> 0;
      l = ((l >>> 1) | ((h & 1) << 31)) >>> 0;
      h = 0x80000000 + ((h >>> 0) >>> 1);
      e++;
    }
  } else {
    // A - B with B's extra bits: 96-bit subtraction.
    let xx = 0 - sx;
    let borrow = xx < 0 ? 1 : 0;
    x = xx < 0 ? xx + TWO32 : xx;
    xx = aL - sl - borrow;
    borrow = xx < 0 ? 1 : 0;
    l = xx < 0 ? xx + TWO32 : xx;
    h = aH - sh - borrow;
    if (h === 0 && l === 0 && x === 0) {
      store(w, d, roundingMode === RC_DOWN ? 1 : 0, 0, 0, 0);
      return;
    }
    // Normalise left: a 96-bit shift by the leading zeros.
    let n = h !== 0 ? Math.clz32(h) : l !== 0 ? 32 + Math.clz32(l) : 64 + Math.clz32(x);
    e -= n;
    while (n >= 32) { h = l; l = x; x = 0; n -= 32; }
    if (n > 0) {
      h = ((h << n) | (l >>> (32 - n))) >>> 0;
      l = ((l << n) | (x >>> (32 - n))) >>> 0;
      x = (x << n) >>> 0;
    }
  }
  roundPack(w, d, aS, e, h, l, x);
}

/** w[d] = w[a] * w[b]. */
export function mul(w: F80Words, d: number, a: number, b: number): void {
  unpackA(w, a);
  unpackB(w, b);
  const s = aS ^ bS;
  if (aK === K_BAD || bK === K_BAD) { storeNaN(w, d); return; }
  if (aK === K_NAN || bK === K_NAN) { copyNaN(w, d, a, b); return; }
  if (aK === K_INF || bK === K_INF) {
    if (aK === K_ZERO || bK === K_ZERO) storeNaN(w, d);
    else store(w, d, s, 0x7fff, 0x80000000, 0);
    return;
  }
  if (aK === K_ZERO || bK === K_ZERO) { store(w, d, s, 0, 0, 0); return; }
  mul64(aH, aL, bH, bL);
  let e = aE + bE - BIAS + 1;
  let h = P3, l = P2, x = P1, rest = P0;
  if (h < 0x80000000) {
    h = ((h << 1) | (l >>> 31)) >>> 0;
    l = ((l << 1) | (x >>> 31)) >>> 0;
    x = ((x << 1) | (rest >>> 31)) >>> 0;
    rest = (rest << 1) >>> 0;
    e--;
  }
  roundPack(w, d, s, e, h, l, (x | (rest !== 0 ? 1 : 0)) >>> 0);
}

/** 128-bit product words of two 64-bit mantissas (unsigned). */
let P0 = 0, P1 = 0, P2 = 0, P3 = 0;
function mul64(ah: number, al: number, bh: number, bl: number): void {
  const ll = mul32(al, bl), llh = MH;
  const lh = mul32(al, bh), lhh = MH;
  const hl = mul32(ah, bl), hlh = MH;
  const hh = mul32(ah, bh), hhh = MH;
  P0 = ll;
  let t = llh + lh + hl;
  P1 = t >>> 0;
  t = Math.floor(t / TWO32) + lhh + hlh + hh;
  P2 = t >>> 0;
  P3 = Math.floor(t / TWO32) + hhh;
}

/** Low 32 bits of a*b (returned) and high 32 bits (in MH), as non-negative numbers. */
let MH = 0;
function mul32(a: number, b: number): number {
  const a0 = a & 0xffff, a1 = a >>> 16, b0 = b & 0xffff, b1 = b >>> 16;
  const lo = a0 * b0;
  const mid = a1 * b0 + a0 * b1 + (lo >>> 16);
  MH = a1 * b1 + Math.floor(mid / 65536);
  return Math.imul(a, b) >>> 0;
}

/** w[d] = w[a] / w[b]. Returns false on division of a finite non-zero by zero (the caller may flag #Z). */
export function div(w: F80Words, d: number, a: number, b: number): void {
  unpackA(w, a);
  unpackB(w, b);
  const s = aS ^ bS;
  if (aK === K_BAD || bK === K_BAD) { storeNaN(w, d); return; }
  if (aK === K_NAN || bK === K_NAN) { copyNaN(w, d, a, b); return; }
  if (aK === K_INF) { if (bK === K_INF) storeNaN(w, d); else store(w, d, s, 0x7fff, 0x80000000, 0); return; }
  if (bK === K_INF) { store(w, d, s, 0, 0, 0); return; }
  if (bK === K_ZERO) { if (aK === K_ZERO) storeNaN(w, d); else store(w, d, s, 0x7fff, 0x80000000, 0); return; }
  if (aK === K_ZERO) { store(w, d, s, 0, 0, 0); return; }
  // Long division in 16-bit digits (Knuth's algorithm D): the integer bit, then 80 fraction bits, then the sticky
  // bit from the remainder. Every intermediate is an integer below 2^53, so the doubles stay exact.
  const b3 = bH >>> 16, b2 = bH & 0xffff, b1 = bL >>> 16, b0 = bL & 0xffff;
  const bTop = b3 * 65536 + b2;
  let r4 = 0, r3 = aH >>> 16, r2 = aH & 0xffff, r1 = aL >>> 16, r0 = aL & 0xffff;
  const one = aH > bH || (aH === bH && aL >= bL) ? 1 : 0;
  if (one) {
    // R -= B (R < 2B, so the result fits four digits).
    let t = r0 - b0; r0 = t & 0xffff; let c = t >> 16;
    t = r1 - b1 + c; r1 = t & 0xffff; c = t >> 16;
    t = r2 - b2 + c; r2 = t & 0xffff; c = t >> 16;
    r3 = (r3 - b3 + c) & 0xffff;
  }
  let d1 = 0, d2 = 0, d3 = 0, d4 = 0, d5 = 0;
  for (let k = 0; k < 5; k++) {
    // R < B: bring in a zero digit, then the next digit q = floor(R / B) < 2^16, estimated from the top digits
    // (never too small, at most two too large) and corrected by adding B back.
    r4 = r3; r3 = r2; r2 = r1; r1 = r0; r0 = 0;
    let q = Math.floor((r4 * 4294967296 + r3 * 65536 + r2) / bTop);
    if (q > 0xffff) q = 0xffff;
    let t = r0 - q * b0; let c = Math.floor(t / 65536); r0 = t - c * 65536;
    t = r1 - q * b1 + c; c = Math.floor(t / 65536); r1 = t - c * 65536;
    t = r2 - q * b2 + c; c = Math.floor(t / 65536); r2 = t - c * 65536;
    t = r3 - q * b3 + c; c = Math.floor(t / 65536); r3 = t - c * 65536;
    r4 += c;
    while (r4 < 0) {
      q--;
      t = r0 + b0; r0 = t & 0xffff; c = t >>> 16;
      t = r1 + b1 + c; r1 = t & 0xffff; c = t >>> 16;
      t = r2 + b2 + c; r2 = t & 0xffff; c = t >>> 16;
      t = r3 + b3 + c; r3 = t & 0xffff; c = t >>> 16;
      r4 += c;
    }
    if (k === 0) d1 = q; else if (k === 1) d2 = q; else if (k === 2) d3 = q; else if (k === 3) d4 = q; else d5 = q;
  }
  const sticky = (r0 | r1 | r2 | r3) !== 0 ? 1 : 0;
  let e = aE - bE + BIAS;
  let h: number, l: number, x: number;
  if (one) {
    h = (0x80000000 | (d1 << 15) | (d2 >>> 1)) >>> 0;
    l = (((d2 & 1) << 31) | (d3 << 15) | (d4 >>> 1)) >>> 0;
    x = (((d4 & 1) << 31) | (d5 << 15) | sticky) >>> 0;
  } else {
    e--;
    h = ((d1 << 16) | d2) >>> 0;
    l = ((d3 << 16) | d4) >>> 0;
    x = ((d5 << 16) | sticky) >>> 0;
  }
  roundPack(w, d, s, e, h, l, x);
}

function copyNaN(w: F80Words, d: number, a: number, b: number): void {
  const aNaN = classify(w[a + 2] & 0x7fff, w[a + 1], w[a]) === K_NAN;
  const bNaN = classify(w[b + 2] & 0x7fff, w[b + 1], w[b]) === K_NAN;
  let src = aNaN ? a : b;
  if (aNaN && bNaN) {
    // Two NaNs: a quiet one over a signalling one, else the larger significand (ties to the first operand).
    const aQuiet = w[a + 1] & 0x40000000, bQuiet = w[b + 1] & 0x40000000;
    const ah = w[a + 1] & 0x3fffffff, bh = w[b + 1] & 0x3fffffff;
    if (aQuiet !== bQuiet) src = aQuiet ? a : b;
    else if (bh > ah || (bh === ah && w[b] > w[a])) src = b;
  }
  store(w, d, w[src + 2] >>> 15, 0x7fff, (w[src + 1] | 0x40000000) >>> 0, w[src]);
}

/** Compares w[a] and w[b]: -1, 0, 1, or 2 when unordered. */
export function compare(w: F80Words, a: number, b: number): number {
  unpackA(w, a);
  unpackB(w, b);
  if (aK === K_NAN || bK === K_NAN || aK === K_BAD || bK === K_BAD) return 2;
  if (aK === K_ZERO && bK === K_ZERO) return 0;
  if (aS !== bS) return aK === K_ZERO ? (bS ? 1 : -1) : aS ? -1 : 1;
  let mag: number;
  if (aK === K_ZERO) mag = -1;
  else if (bK === K_ZERO) mag = 1;
  else if (aK === K_INF || bK === K_INF) mag = aK === bK ? 0 : aK === K_INF ? 1 : -1;
  else if (aE !== bE) mag = aE > bE ? 1 : -1;
  else if (aH !== bH) mag = aH > bH ? 1 : -1;
  else mag = aL === bL ? 0 : aL > bL ? 1 : -1;
  return aS ? -mag : mag;
}

const BITS = new DataView(new ArrayBuffer(8));

/** Exact conversion of a double into w[d]. */
export function fromDouble(w: F80Words, d: number, v: number): void {
  BITS.setFloat64(0, v, true);
  const lo = BITS.getUint32(0, true), hi = BITS.getUint32(4, true);
  const s = hi >>> 31;
  let e = (hi >>> 20) & 0x7ff;
  let fh = hi & 0xfffff, fl = lo;
  if (e === 0x7ff) {
    const nan = fh !== 0 || fl !== 0;
    store(w, d, s, 0x7fff, (0x80000000 | (nan ? 0x40000000 : 0) | (fh << 11) | (fl >>> 21)) >>> 0, (fl << 11) >>> 0);
    return;
  }
  if (e === 0) {
    if (fh === 0 && fl === 0) { store(w, d, s, 0, 0, 0); return; }
    e = 1;
    while ((fh & 0x100000) === 0) { fh = (fh << 1) | (fl >>> 31); fl = (fl << 1) >>> 0; e--; }
  }
  store(w, d, s, e - 1023 + BIAS, (0x80000000 | ((fh & 0xfffff) << 11) | (fl >>> 21)) >>> 0, (fl << 11) >>> 0);
}

/** w[d] rounded to a double (round to nearest even). */
export function toDouble(w: F80Words, a: number): number {
  unpackA(w, a);
  const sign = aS ? -1 : 1;
  if (aK === K_ZERO) return sign * 0;
  if (aK === K_INF) return sign * Infinity;
  if (aK === K_NAN || aK === K_BAD) return NaN;
  // One correctly rounded addition turns the 64-bit mantissa into a 53-bit one; the scaling is exact.
  const m = aH * TWO32 + aL;
  let e = aE - BIAS - 63;
  let v = m;
  while (e > 900) { v *= 2 ** 900; e -= 900; }
  while (e < -900) { v *= 2 ** -900; e += 900; }
  return sign * v * 2 ** e;
}

/** Exact conversion of a signed 64-bit integer (lo, hi halves) into w[d]. */
export function fromInt64(w: F80Words, d: number, lo: number, hi: number): void {
  let s = 0, h = hi >>> 0, l = lo >>> 0;
  if (hi < 0) {
    s = 1;
    l = TWO32 - l;
    h = TWO32 - 1 - h;
    if (l === TWO32) { l = 0; h += 1; }
    h >>>= 0;
  }
  if (h === 0 && l === 0) { store(w, d, s, 0, 0, 0); return; }
  const n = leadingZeros64(h, l);
  store(w, d, s, BIAS + 63 - n, shlHigh(h, l, n), shlLow(l, n));
}

/** Result halves of toInt64. */
export let intLo = 0, intHi = 0;

/**
 * w[a] rounded (per the rounding mode, or toward zero) to a signed integer of `bits` bits; false when it does
 * not fit (the caller stores the integer indefinite).
 */
export function toInt(w: F80Words, a: number, bits: number, truncate: boolean): boolean {
  unpackA(w, a);
  if (aK === K_NAN || aK === K_INF || aK === K_BAD) return false;
  if (aK === K_ZERO) { intLo = 0; intHi = 0; return true; }
  const exp = aE - BIAS; // value = 1.xxx * 2^exp
  if (exp >= 64) return false;
  let h: number, l: number, x: number;
  if (exp < 0) {
    shiftRight(aH, aL, 0, 63 - exp > 200 ? 200 : 63 - exp);
  } else shiftRight(aH, aL, 0, 63 - exp);
  h = sh; l = sl; x = sx;
  const mode = truncate ? RC_ZERO : roundingMode;
  let up = false;
  if (mode === RC_NEAREST) up = x > 0x80000000 || (x === 0x80000000 && (l & 1) === 1);
  else if (mode === RC_DOWN) up = aS === 1 && x !== 0;
  else if (mode === RC_UP) up = aS === 0 && x !== 0;
  if (up) {
    l += 1;
    if (l >= TWO32) { l = 0; h += 1; }
  }
  // Range check on the magnitude.
  const limitHigh = bits === 64 ? 0x80000000 : 0;
  const limit = bits === 64 ? 0 : 2 ** (bits - 1);
  if (bits === 64) {
    if (h > limitHigh || (h === limitHigh && (l !== 0 || aS === 0))) return false;
  } else if (h !== 0 || l > limit || (l === limit && aS === 0)) return false;
  if (aS) {
    // Two's complement negation of (h, l).
    l = TWO32 - l;
    h = TWO32 - 1 - h;
    if (l === TWO32) { l = 0; h += 1; }
  }
  intLo = l | 0;
  intHi = h | 0;
  return true;
}

/** Rounds w[a] to an integral value in place (frndint). */
export function roundToIntegral(w: F80Words, a: number): void {
  unpackA(w, a);
  if (aK === K_BAD) { storeNaN(w, a); return; }
  if (aK !== K_NORMAL) return;
  const exp = aE - BIAS;
  if (exp >= 63) return;
  const s = aS;
  if (!toInt(w, a, 64, false)) return;
  const lo = intLo, hi = intHi;
  fromInt64(w, a, lo, hi);
  if (lo === 0 && hi === 0) w[a + 2] = s << 15;
}

/** True when w[a] is a NaN, infinity, zero or finite (x87 fxam classes). */
export function kindOf(w: F80Words, a: number): "nan" | "inf" | "zero" | "normal" | "denormal" {
  const e = w[a + 2] & 0x7fff, h = w[a + 1], l = w[a];
  const k = classify(e, h, l);
  if (k === K_NAN) return "nan";
  if (k === K_INF) return "inf";
  if (k === K_ZERO) return "zero";
  return e === 0 ? "denormal" : "normal";
}

/** Result bits of toBinary (low and high 32-bit halves; high is 0 for float32). */
export let binLo = 0, binHi = 0;

/** w[a] rounded (per the rounding mode) to a float64 (double) or float32 bit pattern, exactly as fst does. */
export function toBinary(w: F80Words, a: number, double: boolean): void {
  unpackA(w, a);
  const bits = double ? 53 : 24, expBits = double ? 11 : 8;
  const bias = (1 << (expBits - 1)) - 1, infCode = BigInt((1 << expBits) - 1) << BigInt(bits - 1);
  const sign = BigInt(aS) << BigInt(bits + expBits - 1);
  let code: bigint;
  if (aK === K_BAD) code = (1n << BigInt(bits + expBits - 1)) | infCode | (1n << BigInt(bits - 2)); // the indefinite
  else if (aK === K_NAN) {
    const frac = ((BigInt(aH) << 32n) | BigInt(aL)) >> BigInt(64 - bits);
    code = infCode | (frac & ((1n << BigInt(bits - 1)) - 1n)) | (1n << BigInt(bits - 2));
  } else if (aK === K_INF) code = infCode;
  else if (aK === K_ZERO) code = 0n;
  else {
    const m = (BigInt(aH) << 32n) | BigInt(aL);
    const E = aE - BIAS, emin = 1 - bias;
    let drop = 64 - bits;
    if (E < emin) drop += emin - E;
    if (drop > 65) drop = 65;
    const q0 = m >> BigInt(drop), rem = m & ((1n << BigInt(drop)) - 1n);
    const q = roundsUp(aS, q0, rem, 1n << BigInt(drop - 1)) ? q0 + 1n : q0;
    const eField = E < emin ? 1 : E + bias;
    code = (BigInt(eField - 1) << BigInt(bits - 1)) + q;
    if (code >= infCode) {
      const toInf = roundingMode === RC_NEAREST || (roundingMode === RC_UP && aS === 0) || (roundingMode === RC_DOWN && aS === 1);
      code = toInf ? infCode : infCode - 1n;
    }
  }
  code |= sign;
  binLo = Number(code & 0xffffffffn) | 0;
  binHi = Number(code >> 32n) | 0;
}

/** Exact load of a float64 (hi, lo halves) or float32 (lo) bit pattern; a signalling NaN becomes quiet. */
export function fromBinary(w: F80Words, d: number, lo: number, hi: number, double: boolean): void {
  const code = double ? (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0) : BigInt(lo >>> 0);
  const bits = double ? 53 : 24, expBits = double ? 11 : 8;
  const bias = (1 << (expBits - 1)) - 1;
  const s = Number(code >> BigInt(bits + expBits - 1)) & 1;
  const eField = Number((code >> BigInt(bits - 1)) & BigInt((1 << expBits) - 1));
  const frac = code & ((1n << BigInt(bits - 1)) - 1n);
  if (eField === (1 << expBits) - 1) {
    const m = (1n << 63n) | (frac << BigInt(65 - bits)) | (frac !== 0n ? 1n << 62n : 0n);
    store(w, d, s, 0x7fff, Number(m >> 32n), Number(m & 0xffffffffn));
    return;
  }
  if (eField === 0 && frac === 0n) { store(w, d, s, 0, 0, 0); return; }
  let m = eField === 0 ? frac : frac | (1n << BigInt(bits - 1));
  let k = 0;
  while (m < 1n << 63n) { m <<= 1n; k++; }
  const e = (eField === 0 ? 1 : eField) - bias - (bits - 1) - k + BIAS + 63;
  store(w, d, s, e, Number(m >> 32n), Number(m & 0xffffffffn));
}

/** w[d] = sqrt(w[a]), correctly rounded under rounding and precision control. */
export function sqrt(w: F80Words, d: number, a: number): void {
  unpackA(w, a);
  if (aK === K_BAD) { storeNaN(w, d); return; }
  if (aK === K_NAN) { copyNaN(w, d, a, a); return; }
  if (aK === K_ZERO) { store(w, d, aS, 0, 0, 0); return; }
  if (aS) { storeNaN(w, d); return; }
  if (aK === K_INF) { store(w, d, 0, 0x7fff, 0x80000000, 0); return; }
  let m = ((BigInt(aH) << 32n) | BigInt(aL)) << 128n;
  let t = aE - BIAS - 63 - 128;
  if (t & 1) { m <<= 1n; t -= 1; }
  let r = isqrt(m);
  const sticky = m !== r * r;
  const top = bitLength(r) - 1;
  const e = top + t / 2 + BIAS;
  r = (r << 1n) | (sticky ? 1n : 0n);
  packBig(w, d, 0, e, r, top + 1, precisionBits, 1);
}

function bitLength(v: bigint): number {
  const hex = v.toString(16);
  return (hex.length - 1) * 4 + 32 - Math.clz32(parseInt(hex[0], 16));
}

/** floor(sqrt(n)) by Newton's iteration from above, started just above the double estimate (53 good bits). */
function isqrt(n: bigint): bigint {
  let x = BigInt(Math.floor(Math.sqrt(Number(n)) * (1 + 2 ** -40))) + 1n;
  for (;;) {
    const y = (x + n / x) >> 1n;
    if (y >= x) return x;
    x = y;
  }
}

/** Quotient bits (low 3) and completeness of the last prem(). */
export let premQuotient = 0, premComplete = true;

/**
 * Partial remainder (fprem: truncated quotient; fprem1: round-to-nearest quotient), exact. Exponent differences
 * of 64 or more reduce partially (C2 = 1) by a chunk like the hardware, so a loop over C2 converges the same way.
 */
export function prem(w: F80Words, d: number, a: number, b: number, nearest: boolean): void {
  unpackA(w, a);
  unpackB(w, b);
  premQuotient = 0;
  premComplete = true;
  if (aK === K_BAD || bK === K_BAD) { storeNaN(w, d); return; }
  if (aK === K_NAN || bK === K_NAN) { copyNaN(w, d, a, b); return; }
  if (aK === K_INF || bK === K_ZERO) { storeNaN(w, d); return; }
  if (aK === K_ZERO || bK === K_INF) { store(w, d, aS, aE, aH, aL); return; }
  const ma = (BigInt(aH) << 32n) | BigInt(aL), mb = (BigInt(bH) << 32n) | BigInt(bL);
  const D = aE - bE;
  if (D < -1) { store(w, d, aS, aE, aH, aL); return; }
  let r: bigint, unitExp: number, s = aS;
  if (D >= 64) {
    const N = 32 + (D % 32);
    r = (ma << BigInt(N)) % mb;
    unitExp = aE - N;
    premComplete = false;
  } else {
    const A = D >= 0 ? ma << BigInt(D) : ma, B = D >= 0 ? mb : mb << 1n;
    unitExp = Math.min(aE, bE);
    let q = A / B;
    r = A - q * B;
    if (nearest && (2n * r > B || (2n * r === B && (q & 1n) === 1n))) { q += 1n; r = B - r; s ^= 1; }
    premQuotient = Number(q & 7n);
  }
  if (r === 0n) { store(w, d, aS, 0, 0, 0); return; }
  const top = bitLength(r) - 1;
  const saved = precisionBits;
  precisionBits = 64;
  packBig(w, d, s, unitExp + top - 63, r, top, 64, 1);
  precisionBits = saved;
}

/** The x87 constants (fld1 .. fldz) as 64-bit mantissas with the next bits, rounded per the rounding mode. */
const CONSTANTS: [number, number, number, boolean][] = [
  [0x3fff, 0x80000000, 0x00000000, false], // 1
  [0x4000, 0xd49a784b, 0xcd1b8afe, false], // log2(10); next bits 0x49..
  [0x3fff, 0xb8aa3b29, 0x5c17f0bb, true], // log2(e); next bits 0xbe..
  [0x4000, 0xc90fdaa2, 0x2168c234, true], // pi; next bits 0xc4..
  [0x3ffd, 0x9a209a84, 0xfbcff798, true], // log10(2); next bits 0x8f..
  [0x3ffe, 0xb17217f7, 0xd1cf79ab, true], // ln(2); next bits 0xc9..
  [0, 0, 0, false], // +0
];

/** Loads constant k (0 = fld1 … 6 = fldz) into w[d]. */
export function constant(w: F80Words, d: number, k: number): void {
  const [e, h, l, halfUp] = CONSTANTS[k];
  const inexact = k >= 1 && k <= 5;
  const up = inexact && (roundingMode === RC_NEAREST ? halfUp : roundingMode === RC_UP);
  store(w, d, 0, e, h, up ? l + 1 : l);
}

/** fscale: w[a] * 2^trunc(w[b]) with the special cases of the instruction. */
export function scaleBy(w: F80Words, a: number, b: number): void {
  unpackA(w, a);
  unpackB(w, b);
  if (aK === K_BAD || bK === K_BAD) { storeNaN(w, a); return; }
  if (aK === K_NAN || bK === K_NAN) { copyNaN(w, a, a, b); return; }
  if (bK === K_INF) {
    if (bS === 0) { if (aK === K_ZERO) storeNaN(w, a); else store(w, a, aS, 0x7fff, 0x80000000, 0); }
    else if (aK === K_INF) storeNaN(w, a);
    else store(w, a, aS, 0, 0, 0);
    return;
  }
  if (aK !== K_NORMAL) return;
  const n = bK === K_ZERO || bE < BIAS ? 0 : bE - BIAS > 20 ? (bS ? -70000 : 70000) : (bS ? -1 : 1) * Math.floor(((bH * TWO32 + bL) / 2 ** 63) * 2 ** (bE - BIAS));
  const saved = precisionBits;
  precisionBits = 64;
  const m = (BigInt(aH) << 32n) | BigInt(aL);
  const e = aE + n;
  if (e >= 0x7fff) overflow(w, a, aS, 64, 0x7ffe);
  else if (e <= 0) packBig(w, a, aS, e, m, 63, 64, 1);
  else store(w, a, aS, e, aH, aL);
  precisionBits = saved;
}

/** fxtract: splits w[a] into its unbiased exponent (into w[e]) and its significand with exponent 0 (in place). */
export function extract(w: F80Words, a: number, e: number): void {
  unpackA(w, a);
  if (aK === K_NAN) { copyNaN(w, a, a, a); copyNaN(w, e, a, a); return; }
  if (aK === K_INF) { store(w, e, 0, 0x7fff, 0x80000000, 0); return; }
  if (aK === K_ZERO) { store(w, e, 1, 0x7fff, 0x80000000, 0); return; }
  fromInt64(w, e, aE - BIAS, aE - BIAS < 0 ? -1 : 0);
  store(w, a, aS, BIAS, aH, aL);
}
