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
let aS = 0, aE = 0, aK = 0;
let bS = 0, bE = 0, bK = 0;
/**
 * Mantissa words of the operands, and below the other word-sized scratch results, are object fields: V8 updates a
 * double field in place, whereas a module-level let holding a number beyond the small-integer range (any word with
 * bit 31 set) allocates a heap number at every write.
 */
const A = { h: 0, l: 0 }, B = { h: 0, l: 0 };
/** Operand kinds. */
const K_ZERO = 0, K_NORMAL = 1, K_INF = 2, K_NAN = 3;
/** An unsupported encoding (unnormal, pseudo-infinity, pseudo-NaN: exponent non-zero, integer bit clear): invalid. */
const K_BAD = 4;

/** Rounding mode and precision (mantissa bits: 24, 53 or 64) for the next pack, from the x87 control word. */
export let roundingMode = RC_NEAREST;
let precisionBits = 64, control = 0x037f;
/** Sets rounding and precision control from a control word (PC 00 = 24 bits, 10 = 53, 11 = 64). */
export function setControl(cw: number): void {
  if (cw === control) return; // the common case: every x87 instruction sets it
  control = cw;
  roundingMode = (cw >> 10) & 3;
  const pc = (cw >> 8) & 3;
  precisionBits = pc === 0 ? 24 : pc === 2 ? 53 : 64;
}

function unpackA(w: F80Words, at: number): void {
  A.l = w[at]; A.h = w[at + 1];
  const se = w[at + 2];
  aS = se >>> 15; aE = se & 0x7fff;
  aK = aE !== 0 && A.h < 0x80000000 ? K_BAD : classify(aE, A.h | 0, A.l | 0);
  if (aK === K_NORMAL) {
    // A denormal or pseudo-denormal (integer bit set) has the exponent of the smallest normal.
    if (aE === 0) aE = 1;
    if (A.h < 0x80000000) normalizeA();
  }
}

function unpackB(w: F80Words, at: number): void {
  B.l = w[at]; B.h = w[at + 1];
  const se = w[at + 2];
  bS = se >>> 15; bE = se & 0x7fff;
  bK = bE !== 0 && B.h < 0x80000000 ? K_BAD : classify(bE, B.h | 0, B.l | 0);
  if (bK === K_NORMAL && bE === 0) bE = 1; // as for A
  if (bK === K_NORMAL && B.h < 0x80000000) {
    // Denormal or unnormal operand: shift the mantissa up.
    const h = B.h | 0, l = B.l | 0, n = leadingZeros64(h, l);
    B.h = shlHigh(h, l, n) >>> 0; B.l = shlLow(l, n) >>> 0; bE -= n;
  }
}

function normalizeA(): void {
  const h = A.h | 0, l = A.l | 0, n = leadingZeros64(h, l);
  A.h = shlHigh(h, l, n) >>> 0; A.l = shlLow(l, n) >>> 0; aE -= n;
}

/**
 * The small helpers below take and return words as int32 bit patterns: where V8 does not inline a call (its budget
 * is spent in the large callers), a uint32 above 2^31 passed or returned would be boxed in a new heap number.
 */

/** Leading zero bits of the non-zero 64-bit value (h, l). */
function leadingZeros64(h: number, l: number): number {
  return h !== 0 ? Math.clz32(h) : 32 + Math.clz32(l);
}

/** High and low words of (h, l) << n for 0 <= n < 64. */
function shlHigh(h: number, l: number, n: number): number {
  if (n === 0) return h | 0;
  return n >= 32 ? l << (n - 32) : (h << n) | (l >>> (32 - n));
}
function shlLow(l: number, n: number): number {
  return n >= 32 ? 0 : l << n;
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
 * Whether a mantissa truncated with dropped bits `x` (bit 31 the first dropped bit, lower bits sticky) and last kept
 * bit `odd` rounds away from zero under the rounding mode.
 */
function roundsUp(s: number, x: number, odd: number): boolean {
  switch (roundingMode) {
    case RC_NEAREST: return (x >>> 0) > 0x80000000 || (x === (0x80000000 | 0) && odd === 1);
    case RC_DOWN: return s === 1 && x !== 0;
    case RC_UP: return s === 0 && x !== 0;
  }
  return false;
}

/**
 * Rounds a 64-bit normalised mantissa with extra bits (`x`: bit 31 = round bit, lower bits sticky) and
 * packs it. e is the biased exponent. Precision control and tiny (denormal) results take roundNarrow.
 * Words come as int32 bit patterns (`| 0`), like those of shiftRight, mul64 and productRemainder: a uint32 above
 * 2^31 passed to a call V8 does not inline is boxed in a new heap number.
 */
function roundPack(w: F80Words, at: number, s: number, e: number, h: number, l: number, x: number): void {
  h >>>= 0; l >>>= 0; x >>>= 0;
  if (precisionBits !== 64 || e <= 0) { roundNarrow(w, at, s, e, h, l, x, precisionBits); return; }
  if (roundsUp(s, x | 0, l & 1)) {
    l += 1;
    if (l >= TWO32) {
      l = 0;
      h += 1;
      if (h >= TWO32) { h = 0x80000000; e++; }
    }
  }
  if (e >= 0x7fff) { overflow(w, at, s, 64); return; }
  store(w, at, s, e, h | 0, l | 0);
}

/**
 * roundPack to `bits` significant bits (precision control) with gradual underflow: a result below the smallest normal
 * exponent keeps correspondingly fewer bits and becomes an extended denormal (exponent 0, integer bit clear).
 */
function roundNarrow(w: F80Words, at: number, s: number, e: number, h: number, l: number, x: number, bits: number): void {
  // Bits of (h, l) to drop (x is always below them); at least 1, as bits < 64 or e <= 0.
  const drop = 64 - bits + (e < 1 ? 1 - e : 0);
  shiftRight(h | 0, l | 0, 0, drop);
  let qh = S.h, ql = S.l;
  if (roundsUp(s, S.x | (x !== 0 ? 1 : 0), ql & 1)) {
    ql += 1;
    if (ql >= TWO32) { ql = 0; qh += 1; } // qh < 2^31 here: at least one bit was dropped
  }
  if (qh === 0 && ql === 0) { store(w, at, s, 0, 0, 0); return; }
  // Back to a 64-bit mantissa (the kept bits' quantum is 2^(64 - bits) there); a carry out of the top adds a bit.
  let ee = e < 1 ? 1 : e, shift = 64 - bits;
  if (64 - leadingZeros64(qh | 0, ql | 0) > bits) { shift--; ee++; }
  const mh = shlHigh(qh | 0, ql | 0, shift), ml = shlLow(ql | 0, shift);
  if (e < 1 && mh >= 0) { store(w, at, s, 0, mh, ml); return; }
  if (ee >= 0x7fff) { overflow(w, at, s, bits); return; }
  store(w, at, s, ee, mh, ml);
}

/** Whether an overflowing result of sign s becomes infinity (else the largest finite value). */
function overflowsToInfinity(s: number): boolean {
  return roundingMode === RC_NEAREST || (roundingMode === RC_UP && s === 0) || (roundingMode === RC_DOWN && s === 1);
}

/** Overflow result: infinity, or the largest finite value of `bits` significant bits when rounding towards zero's side. */
function overflow(w: F80Words, at: number, s: number, bits: number): void {
  if (overflowsToInfinity(s)) { store(w, at, s, 0x7fff, 0x80000000, 0); return; }
  store(w, at, s, 0x7ffe, bits >= 32 ? -1 : -1 << (32 - bits), bits > 32 ? -1 << (64 - bits) : 0);
}

/** Shifts (h, l, x) (int32 words) right by n with sticky, into S.h/S.l/S.x. */
const S = { h: 0, l: 0, x: 0 };
function shiftRight(h: number, l: number, x: number, n: number): void {
  h >>>= 0; l >>>= 0; x >>>= 0;
  if (n === 0) { S.h = h; S.l = l; S.x = x; return; }
  if (n >= 96) { S.h = 0; S.l = 0; S.x = (h | l | x) !== 0 ? 1 : 0; return; }
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
  S.h = h; S.l = l; S.x = (x | (sticky ? 1 : 0)) >>> 0;
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
  if (aK === K_ZERO) { roundPack(w, d, bS, bE, B.h | 0, B.l | 0, 0); return; }
  if (bK === K_ZERO) { roundPack(w, d, aS, aE, A.h | 0, A.l | 0, 0); return; }
  // Order so that |A| >= |B|.
  if (bE > aE || (bE === aE && (B.h > A.h || (B.h === A.h && B.l > A.l)))) {
    const ts = aS, te = aE, th = A.h, tl = A.l;
    aS = bS; aE = bE; A.h = B.h; A.l = B.l;
    bS = ts; bE = te; B.h = th; B.l = tl;
  }
  shiftRight(B.h | 0, B.l | 0, 0, aE - bE);
  let h: number, l: number, x: number, e = aE;
  if (aS === bS) {
    l = A.l + S.l;
    h = A.h + S.h + (l >= TWO32 ? 1 : 0);
    l = l >>> 0;
    x = S.x;
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
    let xx = 0 - S.x;
    let borrow = xx < 0 ? 1 : 0;
    x = xx < 0 ? xx + TWO32 : xx;
    xx = A.l - S.l - borrow;
    borrow = xx < 0 ? 1 : 0;
    l = xx < 0 ? xx + TWO32 : xx;
    h = A.h - S.h - borrow;
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
  roundPack(w, d, aS, e, h | 0, l | 0, x | 0);
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
  mul64(A.h | 0, A.l | 0, B.h | 0, B.l | 0);
  let e = aE + bE - BIAS + 1;
  let h = P.w3, l = P.w2, x = P.w1, rest = P.w0;
  if (h < 0x80000000) {
    h = ((h << 1) | (l >>> 31)) >>> 0;
    l = ((l << 1) | (x >>> 31)) >>> 0;
    x = ((x << 1) | (rest >>> 31)) >>> 0;
    rest = (rest << 1) >>> 0;
    e--;
  }
  roundPack(w, d, s, e, h | 0, l | 0, x | (rest !== 0 ? 1 : 0));
}

/** 128-bit product words (unsigned) of two 64-bit mantissas (int32 words). */
const P = { w0: 0, w1: 0, w2: 0, w3: 0 };
function mul64(ah: number, al: number, bh: number, bl: number): void {
  ah >>>= 0; al >>>= 0; bh >>>= 0; bl >>>= 0;
  // 32x32-bit partial products: the low word exact by Math.imul; the double product is within 2^11 of the exact
  // one, which exceeds the low word by a multiple of 2^32, so rounding recovers the high word.
  const ll = Math.imul(al, bl) >>> 0, llh = Math.round((al * bl - ll) / TWO32);
  const lh = Math.imul(al, bh) >>> 0, lhh = Math.round((al * bh - lh) / TWO32);
  const hl = Math.imul(ah, bl) >>> 0, hlh = Math.round((ah * bl - hl) / TWO32);
  const hh = Math.imul(ah, bh) >>> 0, hhh = Math.round((ah * bh - hh) / TWO32);
  P.w0 = ll;
  let t = llh + lh + hl;
  P.w1 = t >>> 0;
  t = Math.floor(t / TWO32) + lhh + hlh + hh;
  P.w2 = t >>> 0;
  P.w3 = Math.floor(t / TWO32) + hhh;
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
  // Q = floor(N / B) with N = A << 63 when A >= B, else A << 64, has exactly 64 bits; the remainder's size against
  // B gives the round and sticky bits (a remainder of exactly B / 2 is a tie).
  const one = A.h > B.h || (A.h === B.h && A.l >= B.l);
  const k = one ? 63 : 64;
  wideA(k);
  refine(false, k);
  let h = Q.h, l = Q.l;
  for (;;) {
    productRemainder(h | 0, l | 0, B.h | 0, B.l | 0);
    if (Q.d3 < 0) { l--; if (l < 0) { l = 0xffffffff; h--; } continue; }
    if (Q.d3 > 0 || Q.d2 > 0 || Q.d1 > B.h || (Q.d1 === B.h && Q.d0 >= B.l)) {
      l++; if (l === TWO32) { l = 0; h++; }
      continue;
    }
    break;
  }
  const twiceTop = Q.d1 >>> 31, twiceH = ((Q.d1 << 1) | (Q.d0 >>> 31)) >>> 0, twiceL = (Q.d0 << 1) >>> 0;
  const x = (Q.d1 | Q.d0) === 0 ? 0 :
    twiceTop === 0 && twiceH === B.h && twiceL === B.l ? 0x80000000 :
    twiceTop > 0 || twiceH > B.h || (twiceH === B.h && twiceL > B.l) ? 0xc0000000 : 1;
  roundPack(w, d, s, aE - bE + BIAS - (one ? 0 : 1), h | 0, l | 0, x | 0);
}

function copyNaN(w: F80Words, d: number, a: number, b: number): void {
  const aNaN = classify(w[a + 2] & 0x7fff, w[a + 1] | 0, w[a] | 0) === K_NAN;
  const bNaN = classify(w[b + 2] & 0x7fff, w[b + 1] | 0, w[b] | 0) === K_NAN;
  let src = aNaN ? a : b;
  if (aNaN && bNaN) {
    // Two NaNs: a quiet one over a signalling one, else the larger significand (ties to the first operand).
    const aQuiet = w[a + 1] & 0x40000000, bQuiet = w[b + 1] & 0x40000000;
    const ah = w[a + 1] & 0x3fffffff, bh = w[b + 1] & 0x3fffffff;
    if (aQuiet !== bQuiet) src = aQuiet ? a : b;
    else if (bh > ah || (bh === ah && w[b] > w[a])) src = b;
  }
  store(w, d, w[src + 2] >>> 15, 0x7fff, w[src + 1] | 0x40000000, w[src] | 0);
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
  else if (A.h !== B.h) mag = A.h > B.h ? 1 : -1;
  else mag = A.l === B.l ? 0 : A.l > B.l ? 1 : -1;
  return aS ? -mag : mag;
}

const BITS = new DataView(new ArrayBuffer(8));

/** Exact conversion of a double into w[d]. */
export function fromDouble(w: F80Words, d: number, v: number): void {
  BITS.setFloat64(0, v, true);
  fromBinary(w, d, BITS.getUint32(0, true), BITS.getUint32(4, true), true);
}

/** w[d] rounded to a double (round to nearest even). */
export function toDouble(w: F80Words, a: number): number {
  unpackA(w, a);
  const sign = aS ? -1 : 1;
  if (aK === K_ZERO) return sign * 0;
  if (aK === K_INF) return sign * Infinity;
  if (aK === K_NAN || aK === K_BAD) return NaN;
  // One correctly rounded addition turns the 64-bit mantissa into a 53-bit one; the scaling is exact.
  const m = A.h * TWO32 + A.l;
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
  const n = leadingZeros64(h | 0, l | 0);
  store(w, d, s, BIAS + 63 - n, shlHigh(h | 0, l | 0, n), shlLow(l | 0, n));
}

/**
 * The low and high 32-bit halves of toInt's and toBinary's result (an Int32Array: compiled blocks read it without
 * going through a module binding).
 */
export const result = new Int32Array(2);

/**
 * w[a] rounded (per the rounding mode, or toward zero) to a signed integer of `bits` bits; false when it does
 * not fit (the caller stores the integer indefinite).
 */
export function toInt(w: F80Words, a: number, bits: number, truncate: boolean): boolean {
  unpackA(w, a);
  if (aK === K_NAN || aK === K_INF || aK === K_BAD) return false;
  if (aK === K_ZERO) { result[0] = 0; result[1] = 0; return true; }
  const exp = aE - BIAS; // value = 1.xxx * 2^exp
  if (exp >= 64) return false;
  let h: number, l: number, x: number;
  if (exp < 0) {
    shiftRight(A.h | 0, A.l | 0, 0, 63 - exp > 200 ? 200 : 63 - exp);
  } else shiftRight(A.h | 0, A.l | 0, 0, 63 - exp);
  h = S.h; l = S.l; x = S.x;
  if (!truncate && roundsUp(aS, x | 0, l & 1)) {
    l += 1;
    if (l >= TWO32) { l = 0; h += 1; }
  }
  // Range check on the magnitude: at most 2^(bits - 1), and that only when negative.
  if (bits === 64) {
    if (h > 0x80000000 || (h === 0x80000000 && (l !== 0 || aS === 0))) return false;
  } else {
    const limit = bits === 32 ? 0x80000000 : 0x8000;
    if (h !== 0 || l > limit || (l === limit && aS === 0)) return false;
  }
  if (aS) {
    // Two's complement negation of (h, l).
    l = TWO32 - l;
    h = TWO32 - 1 - h;
    if (l === TWO32) { l = 0; h += 1; }
  }
  result[0] = l;
  result[1] = h;
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
  const lo = result[0], hi = result[1];
  fromInt64(w, a, lo, hi);
  if (lo === 0 && hi === 0) w[a + 2] = s << 15;
}

/** True when w[a] is a NaN, infinity, zero or finite (x87 fxam classes). */
export function kindOf(w: F80Words, a: number): "nan" | "inf" | "zero" | "normal" | "denormal" {
  const e = w[a + 2] & 0x7fff, h = w[a + 1] | 0, l = w[a] | 0;
  const k = classify(e, h, l);
  if (k === K_NAN) return "nan";
  if (k === K_INF) return "inf";
  if (k === K_ZERO) return "zero";
  return e === 0 ? "denormal" : "normal";
}

/** w[a] rounded (per the rounding mode) to a float64 (double) or float32 bit pattern into `result`, as fst does. */
export function toBinary(w: F80Words, a: number, double: boolean): void {
  unpackA(w, a);
  // A double's exponent and top 20 fraction bits are in its high word; a float is all in the low word.
  const sign = aS << 31;
  let hi = 0, lo = 0;
  if (aK === K_BAD) { hi = double ? 0xfff80000 : 0; lo = double ? 0 : 0xffc00000; } // the indefinite
  else if (aK === K_NAN) { // quieted, the fraction's top bits kept
    if (double) { hi = 0x7ff80000 | ((A.h >>> 11) & 0xfffff); lo = (A.h << 21) | (A.l >>> 11); }
    else lo = 0x7fc00000 | ((A.h >>> 8) & 0x7fffff);
  } else if (aK === K_INF) { hi = double ? 0x7ff00000 : 0; lo = double ? 0 : 0x7f800000; }
  else if (aK === K_NORMAL) {
    const bits = double ? 53 : 24, bias = double ? 1023 : 127;
    const E = aE - BIAS, emin = 1 - bias;
    // Subnormal results keep fewer bits; the exponent field then is that of the smallest normal, less one.
    shiftRight(A.h | 0, A.l | 0, 0, 64 - bits + (E < emin ? emin - E : 0));
    let qh = S.h, ql = S.l;
    if (roundsUp(aS, S.x | 0, ql & 1)) {
      ql += 1;
      if (ql >= TWO32) { ql = 0; qh += 1; }
    }
    // The rounded significand's leading bit carries into the exponent field (a rounding carry increments it).
    const biasedLess1 = E < emin ? 0 : E + bias - 1;
    if (double) {
      hi = qh + biasedLess1 * 0x100000; lo = ql;
      if (hi >= 0x7ff00000) { const inf = overflowsToInfinity(aS); hi = inf ? 0x7ff00000 : 0x7fefffff; lo = inf ? 0 : 0xffffffff; }
    } else {
      lo = ql + biasedLess1 * 0x800000;
      if (lo >= 0x7f800000) lo = overflowsToInfinity(aS) ? 0x7f800000 : 0x7f7fffff;
    }
  }
  if (double) hi |= sign; else lo |= sign;
  result[0] = lo;
  result[1] = hi;
}

/** Exact load of a float64 (hi, lo halves) or float32 (lo) bit pattern; a signalling NaN becomes quiet. */
export function fromBinary(w: F80Words, d: number, lo: number, hi: number, double: boolean): void {
  // The fraction aligned below the integer bit (bit 63) of (fh, fl), and the exponent field.
  let s: number, eField: number, fh: number, fl: number;
  if (double) {
    s = hi >>> 31; eField = (hi >>> 20) & 0x7ff;
    fh = (((hi & 0xfffff) << 11) | (lo >>> 21)) >>> 0; fl = (lo << 11) >>> 0;
  } else {
    s = lo >>> 31; eField = (lo >>> 23) & 0xff;
    fh = ((lo & 0x7fffff) << 8) >>> 0; fl = 0;
  }
  const expMax = double ? 0x7ff : 0xff, bias = double ? 1023 : 127;
  if (eField === expMax) {
    const nan = fh !== 0 || fl !== 0;
    store(w, d, s, 0x7fff, 0x80000000 | (nan ? 0x40000000 : 0) | fh, fl | 0);
    return;
  }
  if (eField !== 0) { store(w, d, s, eField - bias + BIAS, 0x80000000 | fh, fl | 0); return; }
  if (fh === 0 && fl === 0) { store(w, d, s, 0, 0, 0); return; }
  // Denormal: the fraction's leading one, worth 2^-n, becomes the integer bit.
  const n = leadingZeros64(fh | 0, fl | 0);
  store(w, d, s, 1 - bias + BIAS - n, shlHigh(fh | 0, fl | 0, n), shlLow(fl | 0, n));
}

/** w[d] = sqrt(w[a]), correctly rounded under rounding and precision control. */
export function sqrt(w: F80Words, d: number, a: number): void {
  unpackA(w, a);
  if (aK === K_BAD) { storeNaN(w, d); return; }
  if (aK === K_NAN) { copyNaN(w, d, a, a); return; }
  if (aK === K_ZERO) { store(w, d, aS, 0, 0, 0); return; }
  if (aS) { storeNaN(w, d); return; }
  if (aK === K_INF) { store(w, d, 0, 0x7fff, 0x80000000, 0); return; }
  // value = m * 2^(E - 63) = R * 2^(E - 63 - k) with R = m << k in [2^126, 2^128) and an even exponent, so that
  // r = floor(sqrt(R)) has exactly 64 bits and sqrt(value) = (r + f) * 2^((E - 63 - k) / 2), 0 <= f < 1.
  const E = aE - BIAS, k = E & 1 ? 64 : 63;
  wideA(k);
  // A double estimate (about 52 good bits), then one Newton step from its remainder, leave r within 1 or 2 ...
  refine(true, k);
  let h = Q.h, l = Q.l;
  // ... which exact remainders R - r^2 (0 <= it <= 2r for the floor) then correct.
  for (;;) {
    productRemainder(h | 0, l | 0, h | 0, l | 0);
    if (Q.d3 < 0) { l--; if (l < 0) { l = 0xffffffff; h--; } continue; }
    const th = h >>> 31, tm = ((h << 1) | (l >>> 31)) >>> 0, tl = (l << 1) >>> 0; // 2r
    if (Q.d3 > 0 || Q.d2 > th || (Q.d2 === th && (Q.d1 > tm || (Q.d1 === tm && Q.d0 > tl)))) {
      l++; if (l === TWO32) { l = 0; h++; }
      continue;
    }
    break;
  }
  // f >= 1/2 exactly when the remainder exceeds r (f is never exactly 1/2: R is an integer).
  const x = (Q.d2 | Q.d1 | Q.d0) === 0 ? 0 : Q.d2 > 0 || Q.d1 > h || (Q.d1 === h && Q.d0 > l) ? 0xc0000000 : 1;
  roundPack(w, d, 0, 63 + (E - 63 - k) / 2 + BIAS, h | 0, l | 0, x | 0);
}

/**
 * The 128-bit dividend or radicand N (low word 0) of div and sqrt, a 64-bit quotient or root estimate (h, l), and
 * the remainder N - (h, l) * (bh, bl) of productRemainder (d3 negative when the estimate is too large).
 */
const Q = { n3: 0, n2: 0, n1: 0, h: 0, l: 0, d3: 0, d2: 0, d1: 0, d0: 0 };

/** N = A's mantissa << k (k = 63 or 64). */
function wideA(k: number): void {
  if (k === 64) { Q.n3 = A.h; Q.n2 = A.l; Q.n1 = 0; }
  else { Q.n3 = A.h >>> 1; Q.n2 = ((A.h << 31) | (A.l >>> 1)) >>> 0; Q.n1 = (A.l << 31) >>> 0; }
}

/**
 * Into Q.h/Q.l: a 64-bit root of N (square) or quotient N / B = A / B * 2^k, estimated in doubles (53 good bits) and
 * improved by one Newton step q += (N - q * f) / slope (f = q itself or B), the remainder from exact products. Leaves
 * q within a unit or two, for productRemainder to settle. (Doubles computed here, not passed: no heap numbers.)
 */
function refine(square: boolean, k: number): void {
  const divisor = B.h * TWO32 + B.l;
  let est = square ? Math.sqrt(Q.n3 * TWO32 + Q.n2) * TWO32 : ((A.h * TWO32 + A.l) / divisor) * (k === 63 ? 2 ** 63 : 2 ** 64); // constants: 2 ** k is a pow call
  const slope = square ? 2 * est : divisor;
  if (est >= TWO32 * TWO32) est = TWO32 * TWO32 - 2048;
  let h = Math.floor(est / TWO32), l = est - h * TWO32;
  if (square) mul64(h | 0, l | 0, h | 0, l | 0); else mul64(h | 0, l | 0, B.h | 0, B.l | 0);
  // The words' differences summed in doubles: within 2^45 of a remainder below 2^80, plenty for the step.
  const rem = (Q.n3 - P.w3) * 2 ** 96 + (Q.n2 - P.w2) * TWO32 * TWO32 + (Q.n1 - P.w1) * TWO32 - P.w0;
  l += Math.floor(rem / slope);
  const carry = Math.floor(l / TWO32);
  h += carry; l -= carry * TWO32;
  if (h >= TWO32) { h = 0xffffffff; l = 0xffffffff; }
  Q.h = h; Q.l = l;
}

function productRemainder(h: number, l: number, bh: number, bl: number): void {
  mul64(h, l, bh, bl);
  let t = -P.w0;
  let borrow = t < 0 ? 1 : 0;
  Q.d0 = t + borrow * TWO32;
  t = Q.n1 - P.w1 - borrow; borrow = t < 0 ? 1 : 0; Q.d1 = t + borrow * TWO32;
  t = Q.n2 - P.w2 - borrow; borrow = t < 0 ? 1 : 0; Q.d2 = t + borrow * TWO32;
  Q.d3 = Q.n3 - P.w3 - borrow;
}

function bitLength(v: bigint): number {
  const hex = v.toString(16);
  return (hex.length - 1) * 4 + 32 - Math.clz32(parseInt(hex[0], 16));
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
  if (aK === K_ZERO || bK === K_INF) { store(w, d, aS, aE, A.h | 0, A.l | 0); return; }
  const ma = (BigInt(A.h) << 32n) | BigInt(A.l), mb = (BigInt(B.h) << 32n) | BigInt(B.l);
  const D = aE - bE;
  if (D < -1) { store(w, d, aS, aE, A.h | 0, A.l | 0); return; }
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
  // r < 2^65: normalised to 64 bits, a 65th bit shifted into the round position (exact either way).
  const top = bitLength(r) - 1;
  const m = top <= 63 ? r << BigInt(63 - top) : r >> 1n;
  const saved = precisionBits;
  precisionBits = 64;
  roundPack(w, d, s, unitExp + top - 63, Number(m >> 32n) | 0, Number(m & 0xffffffffn) | 0, top <= 63 ? 0 : Number(r & 1n) << 31);
  precisionBits = saved;
}

/** The x87 constants (fld1 .. fldz): exponent, 64-bit mantissa, whether the next bits round it up to nearest. */
const CONSTANTS = new Float64Array([
  0x3fff, 0x80000000, 0x00000000, 0, // 1
  0x4000, 0xd49a784b, 0xcd1b8afe, 0, // log2(10); next bits 0x49..
  0x3fff, 0xb8aa3b29, 0x5c17f0bb, 1, // log2(e); next bits 0xbe..
  0x4000, 0xc90fdaa2, 0x2168c234, 1, // pi; next bits 0xc4..
  0x3ffd, 0x9a209a84, 0xfbcff798, 1, // log10(2); next bits 0x8f..
  0x3ffe, 0xb17217f7, 0xd1cf79ab, 1, // ln(2); next bits 0xc9..
  0, 0, 0, 0, // +0
]);

/** Loads constant k (0 = fld1 … 6 = fldz) into w[d]. */
export function constant(w: F80Words, d: number, k: number): void {
  const e = CONSTANTS[4 * k], h = CONSTANTS[4 * k + 1], l = CONSTANTS[4 * k + 2];
  const inexact = k >= 1 && k <= 5;
  const up = inexact && (roundingMode === RC_NEAREST ? CONSTANTS[4 * k + 3] === 1 : roundingMode === RC_UP);
  store(w, d, 0, e, h | 0, (up ? l + 1 : l) | 0);
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
  const n = bK === K_ZERO || bE < BIAS ? 0 : bE - BIAS > 20 ? (bS ? -70000 : 70000) : (bS ? -1 : 1) * Math.floor(((B.h * TWO32 + B.l) / 2 ** 63) * 2 ** (bE - BIAS));
  const saved = precisionBits;
  precisionBits = 64;
  const e = aE + n;
  if (e >= 0x7fff) overflow(w, a, aS, 64);
  else if (e <= 0) roundPack(w, a, aS, e, A.h | 0, A.l | 0, 0);
  else store(w, a, aS, e, A.h | 0, A.l | 0);
  precisionBits = saved;
}

/** fxtract: splits w[a] into its unbiased exponent (into w[e]) and its significand with exponent 0 (in place). */
export function extract(w: F80Words, a: number, e: number): void {
  unpackA(w, a);
  if (aK === K_NAN) { copyNaN(w, a, a, a); copyNaN(w, e, a, a); return; }
  if (aK === K_INF) { store(w, e, 0, 0x7fff, 0x80000000, 0); return; }
  if (aK === K_ZERO) { store(w, e, 1, 0x7fff, 0x80000000, 0); return; }
  fromInt64(w, e, aE - BIAS, aE - BIAS < 0 ? -1 : 0);
  store(w, a, aS, BIAS, A.h | 0, A.l | 0);
}
