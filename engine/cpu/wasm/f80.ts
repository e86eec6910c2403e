// The x87's common cases in WebAssembly, for the regions (compiler.ts): arithmetic, square root, compares and format
// conversions of 80-bit values in the CPU's area, with 64-bit integer arithmetic instead of f80.ts's 32-bit words.
// Each function does only what it can do exactly as f80.ts does: normal (or zero) operands, normal results, round to
// nearest at 64-bit precision (integer stores: also toward zero). Anything else returns 0 having written nothing,
// and the region hands the whole instruction to the interpreter: special values, denormals, precision control and
// the other rounding modes stay f80.ts's alone.

import { buildModule, FunctionBody, I32, I64, OP, type FuncType, type ModuleFunction } from "./encoder.ts";
import { AREA_F80_OUT, AREA_FP_CONTROL } from "./layout.ts";

const BIAS = 16383;
/** The integer bit of a mantissa (and the round bit of the word below one), as an i64 constant. */
export const INTEGER_BIT = -(2n ** 63n);
const LOW32 = 0xffffffff;

/** The exported functions, in the order a region imports them. */
export const F80_FUNCTIONS = ["f80add", "f80mul", "f80div", "f80sqrt", "f80compare", "f80fromInt", "f80fromF64",
  "f80fromF32", "f80toF64", "f80toF32", "f80toInt"] as const;
export type F80Function = (typeof F80_FUNCTIONS)[number];

/**
 * Their types. Parameters are addresses in the guest memory of the destination and the operands (d, a, b); f80add's
 * last negates b; f80fromInt takes the integer, f80fromF64/F32 the bit pattern; f80toInt the integer's size in bytes
 * and whether it truncates (fisttp). f80compare returns fcomi's RFLAGS bits (-1: not done), the others 1 when done
 * (f80fromInt always is). The conversions out of an f80 leave their result in AREA_F80_OUT.
 */
export const F80_TYPES: Record<F80Function, FuncType> = {
  f80add: { params: [I32, I32, I32, I32], results: [I32] },
  f80mul: { params: [I32, I32, I32], results: [I32] },
  f80div: { params: [I32, I32, I32], results: [I32] },
  f80sqrt: { params: [I32, I32], results: [I32] },
  f80compare: { params: [I32, I32], results: [I32] },
  f80fromInt: { params: [I32, I64], results: [] },
  f80fromF64: { params: [I32, I64], results: [I32] },
  f80fromF32: { params: [I32, I64], results: [I32] },
  f80toF64: { params: [I32], results: [I32] },
  f80toF32: { params: [I32], results: [I32] },
  f80toInt: { params: [I32, I32, I32], results: [I32] },
};

/** One function under construction: its body, and locals numbered after the parameters. */
class Builder {
  readonly f = new FunctionBody();
  private readonly locals: [number, number][] = [];
  private next: number;

  constructor(private readonly name: F80Function, private readonly area: number) {
    this.next = F80_TYPES[name].params.length;
  }

  local(type: number): number {
    this.locals.push([1, type]);
    return this.next++;
  }

  done(): ModuleFunction {
    return { name: this.name, type: F80_TYPES[this.name], locals: this.locals, body: this.f };
  }

  /** Returns `value` when the i32 condition pushes is true. */
  returnIf(condition: () => void, value = 0): void {
    condition();
    this.f.open(OP.if);
    this.f.i32(value).op(OP.return);
    this.f.end();
  }

  /** Mantissa (i64) and sign|exponent (i32) of the value at the address in local `at`. */
  load(at: number, m: number, se: number): void {
    this.f.get(at).mem(OP.i64_load, 0).set(m);
    this.f.get(at).mem(OP.i32_load16_u, 8).set(se);
  }

  store(at: number, m: () => void, se: () => void): void {
    this.f.get(at);
    m();
    this.f.mem(OP.i64_store, 0);
    this.f.get(at);
    se();
    this.f.mem(OP.i32_store16, 8);
  }

  /** Splits sign|exponent se into sign s and exponent e (s may be se's own local). */
  split(se: number, s: number, e: number): void {
    this.f.get(se).i32(0x7fff).op(OP.i32_and).set(e);
    this.f.get(se).i32(15).op(OP.i32_shr_u).set(s);
  }

  /** Pushes whether exponent e (i32) and mantissa m (i64) are not a normal value (integer bit set, e in 1..7ffe). */
  notNormal(e: number, m: number): void {
    this.f.get(e).i32(1).op(OP.i32_sub).i32(0x7ffe).op(OP.i32_ge_u);
    this.f.get(m).i64(0).op(OP.i64_ge_s).op(OP.i32_or);
  }

  /** Pushes whether e and m are a zero (of either sign). */
  isZero(e: number, m: number): void {
    this.f.get(e).op(OP.i32_eqz).get(m).op(OP.i64_eqz).op(OP.i32_and);
  }

  /** Pushes the rounding-control bits of the control word (0 nearest, 3 toward zero). */
  rounding(): void {
    this.f.i32(0).mem(OP.i32_load, this.area + AREA_FP_CONTROL).i32(10).op(OP.i32_shr_u).i32(3).op(OP.i32_and);
  }

  /** Declines unless the control word says round to nearest at 64-bit precision. */
  requireNearest64(): void {
    this.returnIf(() => this.f.i32(0).mem(OP.i32_load, this.area + AREA_FP_CONTROL).i32(0xf00).op(OP.i32_and).i32(0x300).op(OP.i32_ne));
  }

  /** Pushes whether dropped bits x (bit 63 first, the rest sticky) round the kept bits in local `kept` up, to nearest. */
  roundsUp(x: number, kept: number): void {
    const f = this.f;
    f.get(x).i64(INTEGER_BIT).op(OP.i64_gt_u);
    f.get(x).i64(INTEGER_BIT).op(OP.i64_eq).get(kept).op(OP.i32_wrap_i64).i32(1).op(OP.i32_and).op(OP.i32_and);
    f.op(OP.i32_or);
  }

  /**
   * Rounds mantissa hi (bit 63 set) with the bits below it in lo to nearest even and stores it with sign s and
   * biased exponent e at d, returning 1; declines a result that is denormal (e < 1 before rounding: f80.ts rounds
   * those narrower) or overflows.
   */
  roundStore(d: number, s: number, e: number, hi: number, lo: number): void {
    const f = this.f;
    this.returnIf(() => f.get(e).i32(1).op(OP.i32_lt_s));
    this.roundsUp(lo, hi);
    f.open(OP.if);
    f.get(hi).i64(1).op(OP.i64_add).tee(hi).op(OP.i64_eqz);
    f.open(OP.if);
    f.i64(INTEGER_BIT).set(hi);
    f.get(e).i32(1).op(OP.i32_add).set(e);
    f.end();
    f.end();
    this.returnIf(() => f.get(e).i32(0x7fff).op(OP.i32_ge_s));
    this.store(d, () => f.get(hi), () => f.get(s).i32(15).op(OP.i32_shl).get(e).op(OP.i32_or));
    f.i32(1);
  }

  /**
   * q = floor((nh, nl) / v) and r the remainder, for nh < v and v's top bit set: two 32-bit quotient digits, each
   * estimated from v's high half and corrected (at most twice) against its low half. Scratch: v1, v0, un, rhat.
   */
  divide(nh: number, nl: number, v: number, q: number, r: number, s: { v1: number; v0: number; un: number; rhat: number; q1: number }): void {
    const f = this.f, { v1, v0, un, rhat, q1 } = s;
    f.get(v).i64(32).op(OP.i64_shr_u).set(v1);
    f.get(v).i64(LOW32).op(OP.i64_and).set(v0);
    // digit(n, low): estimate n·2^32+low / v's digit into `into`, with n the remainder so far.
    const digit = (n: number, low: () => void, into: number): void => {
      f.get(n).get(v1).op(OP.i64_div_u).set(into);
      f.get(n).get(into).get(v1).op(OP.i64_mul).op(OP.i64_sub).set(rhat);
      const done = f.open(OP.block);
      const again = f.open(OP.loop);
      f.get(into).i64(2 ** 32).op(OP.i64_ge_u);
      f.open(OP.if);
      f.op(OP.else);
      f.get(into).get(v0).op(OP.i64_mul);
      f.get(rhat).i64(32).op(OP.i64_shl);
      low();
      f.op(OP.i64_or).op(OP.i64_gt_u).op(OP.i32_eqz);
      f.br(done, OP.br_if);
      f.end();
      f.get(into).i64(1).op(OP.i64_sub).set(into);
      f.get(rhat).get(v1).op(OP.i64_add).tee(rhat).i64(2 ** 32).op(OP.i64_lt_u);
      f.br(again, OP.br_if);
      f.end();
      f.end();
    };
    digit(nh, () => f.get(nl).i64(32).op(OP.i64_shr_u), q1);
    // un = (nh·2^32 + nl's high half) - q1·v: below v, so exact modulo 2^64.
    f.get(nh).i64(32).op(OP.i64_shl).get(nl).i64(32).op(OP.i64_shr_u).op(OP.i64_or).get(q1).get(v).op(OP.i64_mul).op(OP.i64_sub).set(un);
    digit(un, () => f.get(nl).i64(LOW32).op(OP.i64_and), q);
    f.get(un).i64(32).op(OP.i64_shl).get(nl).i64(LOW32).op(OP.i64_and).op(OP.i64_or).get(q).get(v).op(OP.i64_mul).op(OP.i64_sub).set(r);
    f.get(q1).i64(32).op(OP.i64_shl).get(q).op(OP.i64_or).set(q);
  }

  /** Pushes the round/sticky word for remainder r of a division by v: 0, below half, exactly half, above. */
  remainderBits(r: number, v: number): void {
    const f = this.f;
    f.get(r).op(OP.i64_eqz);
    f.open(OP.if, I64);
    f.i64(0);
    f.op(OP.else);
    // 2r against v, as r against v - r (2r may not fit).
    f.get(r).get(v).get(r).op(OP.i64_sub).op(OP.i64_eq);
    f.open(OP.if, I64);
    f.i64(INTEGER_BIT);
    f.op(OP.else);
    f.i64(-(2n ** 62n)).i64(1).get(r).get(v).get(r).op(OP.i64_sub).op(OP.i64_gt_u).op(OP.select);
    f.end();
    f.end();
  }
}

/**
 * Emits (hi, lo) = x * y as an unsigned 128-bit product of the i64 locals x and y, from 32-bit halves (t, u, mid:
 * scratch i64 locals; hi and lo may not be x or y). Also the one-operand mul and imul of the regions (compiler.ts).
 */
export function emitMultiply128(f: FunctionBody, x: number, y: number, hi: number, lo: number, t: number, u: number, mid: number): void {
  const half = (v: number, high: boolean): void => {
    f.get(v);
    if (high) f.i64(32).op(OP.i64_shr_u); else f.i64(LOW32).op(OP.i64_and);
  };
  half(x, false); half(y, false); f.op(OP.i64_mul).set(lo);
  half(x, false); half(y, true); f.op(OP.i64_mul).set(t);
  half(x, true); half(y, false); f.op(OP.i64_mul).set(u);
  half(x, true); half(y, true); f.op(OP.i64_mul).set(hi);
  // The middle column: the low product's high half and the cross products' low halves (below 3 * 2^32).
  half(lo, true); half(t, false); f.op(OP.i64_add); half(u, false); f.op(OP.i64_add).set(mid);
  half(lo, false); f.get(mid).i64(32).op(OP.i64_shl).op(OP.i64_or).set(lo);
  f.get(hi); half(t, true); f.op(OP.i64_add); half(u, true); f.op(OP.i64_add); half(mid, true); f.op(OP.i64_add).set(hi);
}

/** The module of F80_FUNCTIONS over the CPU's area at `area` (where the control word and results lie). */
export function f80Module(area: number): Uint8Array<ArrayBuffer> {
  return buildModule([], [add(area), mul(area), div(area), sqrt(area), compare(area), fromInt(area),
    fromBinary(area, true), fromBinary(area, false), toBinary(area, true), toBinary(area, false), toInt(area)]);
}

/** The operands at the addresses in parameters pa and pb: mantissas, signs and exponents of a and b. */
function operands(b: Builder, pa = 1, pb = 2): { ma: number; mb: number; sa: number; sb: number; ea: number; eb: number } {
  const ma = b.local(I64), mb = b.local(I64), sa = b.local(I32), sb = b.local(I32), ea = b.local(I32), eb = b.local(I32);
  b.load(pa, ma, sa);
  b.load(pb, mb, sb);
  b.split(sa, sa, ea);
  b.split(sb, sb, eb);
  return { ma, mb, sa, sb, ea, eb };
}

function add(area: number): ModuleFunction {
  const b = new Builder("f80add", area), f = b.f, D = 0, NEG = 3;
  b.requireNearest64();
  const { ma, mb, sa, sb, ea, eb } = operands(b);
  b.returnIf(() => { b.notNormal(ea, ma); b.notNormal(eb, mb); f.op(OP.i32_or); });
  f.get(sb).get(NEG).op(OP.i32_xor).set(sb);
  // |a| >= |b| from here on.
  const t64 = b.local(I64), t32 = b.local(I32);
  f.get(eb).get(ea).op(OP.i32_gt_u);
  f.get(eb).get(ea).op(OP.i32_eq).get(mb).get(ma).op(OP.i64_gt_u).op(OP.i32_and);
  f.op(OP.i32_or);
  f.open(OP.if);
  f.get(ma).set(t64).get(mb).set(ma).get(t64).set(mb);
  f.get(ea).set(t32).get(eb).set(ea).get(t32).set(eb);
  f.get(sa).set(t32).get(sb).set(sa).get(t32).set(sb);
  f.end();
  // b aligned to a's exponent as (bh, bl): 128 bits, the bits shifted out beyond them jammed into bl's lowest.
  const bh = b.local(I64), bl = b.local(I64), dd = b.local(I32), e = b.local(I32), hi = b.local(I64), lo = b.local(I64);
  f.get(ea).get(eb).op(OP.i32_sub).set(dd);
  f.get(dd).op(OP.i32_eqz);
  f.open(OP.if);
  f.get(mb).set(bh).i64(0).set(bl);
  f.op(OP.else);
  f.get(dd).i32(64).op(OP.i32_lt_u);
  f.open(OP.if);
  f.get(mb).get(dd).op(OP.i64_extend_i32_u).op(OP.i64_shr_u).set(bh);
  f.get(mb).i32(64).get(dd).op(OP.i32_sub).op(OP.i64_extend_i32_u).op(OP.i64_shl).set(bl);
  f.op(OP.else);
  f.i64(0).set(bh);
  f.get(dd).i32(64).op(OP.i32_eq);
  f.open(OP.if);
  f.get(mb).set(bl);
  f.op(OP.else);
  f.get(dd).i32(128).op(OP.i32_lt_u);
  f.open(OP.if);
  f.get(mb).get(dd).i32(64).op(OP.i32_sub).op(OP.i64_extend_i32_u).op(OP.i64_shr_u);
  f.get(mb).i32(128).get(dd).op(OP.i32_sub).op(OP.i64_extend_i32_u).op(OP.i64_shl).i64(0).op(OP.i64_ne).op(OP.i64_extend_i32_u);
  f.op(OP.i64_or).set(bl);
  f.op(OP.else);
  f.i64(1).set(bl);
  f.end();
  f.end();
  f.end();
  f.end();
  f.get(ea).set(e);
  f.get(sa).get(sb).op(OP.i32_eq);
  f.open(OP.if);
  // Same signs: add, and shift a carry out back in (its lowest bit stays sticky).
  f.get(ma).get(bh).op(OP.i64_add).set(hi);
  f.get(bl).set(lo);
  f.get(hi).get(ma).op(OP.i64_lt_u);
  f.open(OP.if);
  f.get(lo).i64(1).op(OP.i64_shr_u).get(lo).i64(1).op(OP.i64_and).op(OP.i64_or).get(hi).i64(63).op(OP.i64_shl).op(OP.i64_or).set(lo);
  f.get(hi).i64(1).op(OP.i64_shr_u).i64(INTEGER_BIT).op(OP.i64_or).set(hi);
  f.get(e).i32(1).op(OP.i32_add).set(e);
  f.end();
  f.op(OP.else);
  // Opposite signs: a - b in 128 bits, an exact zero declined (its sign depends on the rounding mode), normalised.
  f.i64(0).get(bl).op(OP.i64_sub).set(lo);
  f.get(ma).get(bh).op(OP.i64_sub).get(bl).i64(0).op(OP.i64_ne).op(OP.i64_extend_i32_u).op(OP.i64_sub).set(hi);
  b.returnIf(() => f.get(hi).get(lo).op(OP.i64_or).op(OP.i64_eqz));
  f.get(hi).op(OP.i64_eqz);
  f.open(OP.if);
  f.get(lo).set(hi).i64(0).set(lo);
  f.get(e).i32(64).op(OP.i32_sub).set(e);
  f.end();
  f.get(hi).op(OP.i64_clz).op(OP.i32_wrap_i64).tee(t32);
  f.open(OP.if);
  f.get(hi).get(t32).op(OP.i64_extend_i32_u).op(OP.i64_shl);
  f.get(lo).i32(64).get(t32).op(OP.i32_sub).op(OP.i64_extend_i32_u).op(OP.i64_shr_u).op(OP.i64_or).set(hi);
  f.get(lo).get(t32).op(OP.i64_extend_i32_u).op(OP.i64_shl).set(lo);
  f.get(e).get(t32).op(OP.i32_sub).set(e);
  f.end();
  f.end();
  b.roundStore(D, sa, e, hi, lo);
  return b.done();
}

function mul(area: number): ModuleFunction {
  const b = new Builder("f80mul", area), f = b.f, D = 0;
  b.requireNearest64();
  const { ma, mb, sa, sb, ea, eb } = operands(b);
  b.returnIf(() => { b.notNormal(ea, ma); b.notNormal(eb, mb); f.op(OP.i32_or); });
  const hi = b.local(I64), lo = b.local(I64), e = b.local(I32);
  emitMultiply128(f, ma, mb, hi, lo, b.local(I64), b.local(I64), b.local(I64));
  f.get(ea).get(eb).op(OP.i32_add).i32(BIAS - 1).op(OP.i32_sub).set(e);
  // The product of two mantissas in [2^63, 2^64) lies in [2^126, 2^128): at most one shift normalises it.
  f.get(hi).i64(0).op(OP.i64_ge_s);
  f.open(OP.if);
  f.get(hi).i64(1).op(OP.i64_shl).get(lo).i64(63).op(OP.i64_shr_u).op(OP.i64_or).set(hi);
  f.get(lo).i64(1).op(OP.i64_shl).set(lo);
  f.get(e).i32(1).op(OP.i32_sub).set(e);
  f.end();
  f.get(sa).get(sb).op(OP.i32_xor).set(sa);
  b.roundStore(D, sa, e, hi, lo);
  return b.done();
}

function divideScratch(b: Builder): { v1: number; v0: number; un: number; rhat: number; q1: number } {
  return { v1: b.local(I64), v0: b.local(I64), un: b.local(I64), rhat: b.local(I64), q1: b.local(I64) };
}

function div(area: number): ModuleFunction {
  const b = new Builder("f80div", area), f = b.f, D = 0;
  b.requireNearest64();
  const { ma, mb, sa, sb, ea, eb } = operands(b);
  b.returnIf(() => { b.notNormal(ea, ma); b.notNormal(eb, mb); f.op(OP.i32_or); });
  // N = a << 63 when a >= b, else a << 64, so that floor(N / b) has exactly 64 bits.
  const nh = b.local(I64), nl = b.local(I64), q = b.local(I64), r = b.local(I64), e = b.local(I32);
  f.get(ea).get(eb).op(OP.i32_sub).i32(BIAS).op(OP.i32_add).set(e);
  f.get(ma).get(mb).op(OP.i64_ge_u);
  f.open(OP.if);
  f.get(ma).i64(1).op(OP.i64_shr_u).set(nh);
  f.get(ma).i64(63).op(OP.i64_shl).set(nl);
  f.op(OP.else);
  f.get(ma).set(nh).i64(0).set(nl);
  f.get(e).i32(1).op(OP.i32_sub).set(e);
  f.end();
  b.divide(nh, nl, mb, q, r, divideScratch(b));
  b.remainderBits(r, mb);
  f.set(r);
  f.get(sa).get(sb).op(OP.i32_xor).set(sa);
  b.roundStore(D, sa, e, q, r);
  return b.done();
}

function sqrt(area: number): ModuleFunction {
  const b = new Builder("f80sqrt", area), f = b.f, D = 0, A = 1;
  b.requireNearest64();
  const m = b.local(I64), se = b.local(I32), s = b.local(I32), e = b.local(I32);
  b.load(A, m, se);
  b.split(se, s, e);
  b.returnIf(() => { b.notNormal(e, m); f.get(s).op(OP.i32_or); });
  // value = m·2^(E-63) = N·2^(E-63-k) with N = m << k, k = 63 or 64 making the exponent even: then r = floor(sqrt(N))
  // has exactly 64 bits and the result's exponent is 63 + (E - 63 - k) / 2.
  const nh = b.local(I64), nl = b.local(I64), k = b.local(I32);
  f.get(e).i32(BIAS).op(OP.i32_sub).i32(1).op(OP.i32_and).i32(63).op(OP.i32_add).set(k);
  f.get(k).i32(64).op(OP.i32_eq);
  f.open(OP.if);
  f.get(m).set(nh).i64(0).set(nl);
  f.op(OP.else);
  f.get(m).i64(1).op(OP.i64_shr_u).set(nh).get(m).i64(63).op(OP.i64_shl).set(nl);
  f.end();
  f.get(e).i32(BIAS + 63).op(OP.i32_sub).get(k).op(OP.i32_sub).i32(1).op(OP.i32_shr_s).i32(BIAS + 63).op(OP.i32_add).set(e);
  // r0: the double square root (within 2^12 of r), lowered by 2^13 so that r0 <= r; then r0 + (N - r0²) / 2r0,
  // within one of r (the rest of the Newton step, below 2^-35, cannot matter), corrected exactly.
  const r = b.local(I64), sh = b.local(I64), sl = b.local(I64), dh = b.local(I64), dl = b.local(I64);
  const t = b.local(I64), u = b.local(I64), mid = b.local(I64);
  f.get(nh).op(OP.f64_convert_i64_u).f64(2 ** 64).op(OP.f64_mul).op(OP.f64_sqrt).f64(2 ** 64 - 2048).op(OP.f64_min);
  f.op(OP.i64_trunc_f64_u).i64(2 ** 13).op(OP.i64_sub).set(r);
  emitMultiply128(f, r, r, sh, sl, t, u, mid);
  f.get(nl).get(sl).op(OP.i64_sub).set(dl);
  f.get(nh).get(sh).op(OP.i64_sub).get(nl).get(sl).op(OP.i64_lt_u).op(OP.i64_extend_i32_u).op(OP.i64_sub).set(dh);
  f.get(dh).op(OP.f64_convert_i64_u).f64(2 ** 64).op(OP.f64_mul).get(dl).op(OP.f64_convert_i64_u).op(OP.f64_add);
  f.get(r).op(OP.f64_convert_i64_u).f64(2).op(OP.f64_mul).op(OP.f64_div).op(OP.i64_trunc_f64_u).get(r).op(OP.i64_add).set(t);
  // r + 1 may reach 2^64 (m = 2^64 - 1): that wraps below r, and r = 2^64 - 1 is then the root.
  f.i64(-1).get(t).get(t).get(r).op(OP.i64_lt_u).op(OP.select).set(r);
  // Correct: r² <= N (else r - 1), then N - r² <= 2r (else r + 1).
  const again = f.open(OP.loop);
  emitMultiply128(f, r, r, sh, sl, t, u, mid);
  f.get(sh).get(nh).op(OP.i64_gt_u).get(sh).get(nh).op(OP.i64_eq).get(sl).get(nl).op(OP.i64_gt_u).op(OP.i32_and).op(OP.i32_or);
  f.open(OP.if);
  f.get(r).i64(1).op(OP.i64_sub).set(r);
  f.br(again);
  f.end();
  f.get(nl).get(sl).op(OP.i64_sub).set(dl);
  f.get(nh).get(sh).op(OP.i64_sub).get(nl).get(sl).op(OP.i64_lt_u).op(OP.i64_extend_i32_u).op(OP.i64_sub).set(dh);
  // (dh, dl) > 2r = (r >> 63, r << 1)?
  f.get(dh).get(r).i64(63).op(OP.i64_shr_u).op(OP.i64_gt_u);
  f.get(dh).get(r).i64(63).op(OP.i64_shr_u).op(OP.i64_eq).get(dl).get(r).i64(1).op(OP.i64_shl).op(OP.i64_gt_u).op(OP.i32_and);
  f.op(OP.i32_or);
  f.open(OP.if);
  f.get(r).i64(1).op(OP.i64_add).set(r);
  f.br(again);
  f.end();
  f.end();
  // The fraction is at least 1/2 exactly when the remainder exceeds r (never exactly 1/2: N is an integer).
  f.get(dh).get(dl).op(OP.i64_or).op(OP.i64_eqz);
  f.open(OP.if, I64);
  f.i64(0);
  f.op(OP.else);
  f.i64(-(2n ** 62n)).i64(1).get(dh).i64(0).op(OP.i64_ne).get(dl).get(r).op(OP.i64_gt_u).op(OP.i32_or).op(OP.select);
  f.end();
  f.set(dl);
  b.roundStore(D, s, e, r, dl);
  return b.done();
}

function compare(area: number): ModuleFunction {
  const b = new Builder("f80compare", area), f = b.f;
  const { ma, mb, sa, sb, ea, eb } = operands(b, 0, 1);
  const za = b.local(I32), zb = b.local(I32), mag = b.local(I32);
  b.isZero(ea, ma);
  f.set(za);
  b.isZero(eb, mb);
  f.set(zb);
  b.returnIf(() => {
    b.notNormal(ea, ma); f.get(za).op(OP.i32_eqz).op(OP.i32_and);
    b.notNormal(eb, mb); f.get(zb).op(OP.i32_eqz).op(OP.i32_and);
    f.op(OP.i32_or);
  }, -1);
  const LESS = 1, EQUAL = 0x40, GREATER = 0;
  b.returnIf(() => f.get(za).get(zb).op(OP.i32_and), EQUAL);
  // Opposite signs: the negative one is less (zero against non-zero included).
  b.returnIf(() => f.get(sa).get(sb).op(OP.i32_ne).get(sa).op(OP.i32_and), LESS);
  b.returnIf(() => f.get(sa).get(sb).op(OP.i32_ne), GREATER);
  // Same sign: magnitudes by exponent, then mantissa (a zero's exponent 0 is below every normal one): 1, 0, -1.
  f.get(ea).get(eb).op(OP.i32_gt_u).get(ea).get(eb).op(OP.i32_eq).get(ma).get(mb).op(OP.i64_gt_u).op(OP.i32_and).op(OP.i32_or);
  f.get(ea).get(eb).op(OP.i32_lt_u).get(ea).get(eb).op(OP.i32_eq).get(ma).get(mb).op(OP.i64_lt_u).op(OP.i32_and).op(OP.i32_or);
  f.op(OP.i32_sub).set(mag);
  b.returnIf(() => f.get(mag).op(OP.i32_eqz), EQUAL);
  f.i32(GREATER).i32(LESS).get(mag).i32(0).op(OP.i32_gt_s).get(sa).op(OP.i32_xor).op(OP.select);
  return b.done();
}

function fromInt(area: number): ModuleFunction {
  const b = new Builder("f80fromInt", area), f = b.f, D = 0, V = 1;
  const s = b.local(I32), n = b.local(I32);
  f.get(V).op(OP.i64_eqz);
  f.open(OP.if);
  b.store(D, () => f.i64(0), () => f.i32(0));
  f.op(OP.return);
  f.end();
  f.get(V).i64(0).op(OP.i64_lt_s).set(s);
  f.get(s);
  f.open(OP.if);
  f.i64(0).get(V).op(OP.i64_sub).set(V);
  f.end();
  f.get(V).op(OP.i64_clz).op(OP.i32_wrap_i64).set(n);
  b.store(D, () => f.get(V).get(n).op(OP.i64_extend_i32_u).op(OP.i64_shl),
    () => f.get(s).i32(15).op(OP.i32_shl).i32(BIAS + 63).get(n).op(OP.i32_sub).op(OP.i32_or));
  return b.done();
}

/** fld m64 / m32: normal values and zeros, exactly; denormals, infinities and NaNs declined. */
function fromBinary(area: number, double: boolean): ModuleFunction {
  const b = new Builder(double ? "f80fromF64" : "f80fromF32", area), f = b.f, D = 0, V = 1;
  const fraction = double ? 52 : 23, bias = double ? 1023 : 127, emax = double ? 0x7ff : 0xff;
  const s = b.local(I32), ef = b.local(I32);
  f.get(V).i64(double ? 63 : 31).op(OP.i64_shr_u).op(OP.i32_wrap_i64).i32(1).op(OP.i32_and).set(s);
  f.get(V).i64(fraction).op(OP.i64_shr_u).op(OP.i32_wrap_i64).i32(emax).op(OP.i32_and).set(ef);
  f.get(V).i64(2 ** fraction - 1).op(OP.i64_and).set(V);
  f.get(ef).op(OP.i32_eqz);
  f.open(OP.if);
  b.returnIf(() => f.get(V).op(OP.i64_eqz).op(OP.i32_eqz));
  b.store(D, () => f.i64(0), () => f.get(s).i32(15).op(OP.i32_shl));
  f.i32(1).op(OP.return);
  f.end();
  b.returnIf(() => f.get(ef).i32(emax).op(OP.i32_eq));
  b.store(D, () => f.get(V).i64(63 - fraction).op(OP.i64_shl).i64(INTEGER_BIT).op(OP.i64_or),
    () => f.get(s).i32(15).op(OP.i32_shl).get(ef).i32(BIAS - bias).op(OP.i32_add).op(OP.i32_or));
  f.i32(1);
  return b.done();
}

/** fst m64 / m32 to nearest: zeros and results normal in the format; the rest (and other rounding modes) declined. */
function toBinary(area: number, double: boolean): ModuleFunction {
  const b = new Builder(double ? "f80toF64" : "f80toF32", area), f = b.f, A = 0;
  const kept = double ? 53 : 24, bias = double ? 1023 : 127, fraction = kept - 1;
  const m = b.local(I64), se = b.local(I32), s = b.local(I32), e = b.local(I32), q = b.local(I64), x = b.local(I64);
  b.returnIf(() => { b.rounding(); f.i32(0).op(OP.i32_ne); });
  b.load(A, m, se);
  b.split(se, s, e);
  const out = (bits: () => void): void => {
    f.i32(0);
    bits();
    f.get(s).op(OP.i64_extend_i32_u).i64(double ? 63 : 31).op(OP.i64_shl).op(OP.i64_or);
    f.mem(OP.i64_store, area + AREA_F80_OUT);
  };
  b.isZero(e, m);
  f.open(OP.if);
  out(() => f.i64(0));
  f.i32(1).op(OP.return);
  f.end();
  b.returnIf(() => b.notNormal(e, m));
  // Unbiased exponent within the format's normal range (a rounding carry to its top is checked below).
  f.get(e).i32(BIAS).op(OP.i32_sub).set(e);
  b.returnIf(() => f.get(e).i32(1 - bias).op(OP.i32_lt_s).get(e).i32(bias).op(OP.i32_gt_s).op(OP.i32_or));
  f.get(m).i64(64 - kept).op(OP.i64_shr_u).set(q);
  f.get(m).i64(kept).op(OP.i64_shl).set(x);
  b.roundsUp(x, q);
  f.open(OP.if);
  f.get(q).i64(1).op(OP.i64_add).set(q);
  f.end();
  // q's leading bit (or a carry beyond it) adds to the exponent field, hence the biased exponent less one.
  f.get(e).i32(bias - 1).op(OP.i32_add).op(OP.i64_extend_i32_u).i64(fraction).op(OP.i64_shl).get(q).op(OP.i64_add).set(q);
  b.returnIf(() => f.get(q).i64((2 * bias + 1) * 2 ** fraction).op(OP.i64_ge_u));
  out(() => f.get(q));
  f.i32(1);
  return b.done();
}

/** fist/fistp/fisttp: zeros and values from 1 up, rounded to nearest or toward zero, that fit the integer. */
function toInt(area: number): ModuleFunction {
  const b = new Builder("f80toInt", area), f = b.f, A = 0, BYTES = 1, TRUNCATE = 2;
  const m = b.local(I64), se = b.local(I32), s = b.local(I32), e = b.local(I32), rc = b.local(I32);
  const ip = b.local(I64), frac = b.local(I64);
  b.rounding();
  f.set(rc);
  f.get(TRUNCATE);
  f.open(OP.if);
  f.i32(3).set(rc);
  f.end();
  b.returnIf(() => f.get(rc).op(OP.i32_eqz).get(rc).i32(3).op(OP.i32_eq).op(OP.i32_or).op(OP.i32_eqz));
  b.load(A, m, se);
  b.split(se, s, e);
  b.isZero(e, m);
  f.open(OP.if);
  f.i32(0).i64(0).mem(OP.i64_store, area + AREA_F80_OUT);
  f.i32(1).op(OP.return);
  f.end();
  b.returnIf(() => b.notNormal(e, m));
  // |value| in [1, 2^63): integer part and the fraction's bits (top first).
  f.get(e).i32(BIAS).op(OP.i32_sub).set(e);
  b.returnIf(() => f.get(e).i32(62).op(OP.i32_gt_u));
  f.get(m).i32(63).get(e).op(OP.i32_sub).op(OP.i64_extend_i32_u).op(OP.i64_shr_u).set(ip);
  f.get(m).get(e).i32(1).op(OP.i32_add).op(OP.i64_extend_i32_u).op(OP.i64_shl).set(frac);
  f.get(rc).op(OP.i32_eqz);
  f.open(OP.if);
  b.roundsUp(frac, ip);
  f.open(OP.if);
  f.get(ip).i64(1).op(OP.i64_add).set(ip);
  f.end();
  f.end();
  // At most 2^(bits-1) - 1, or 2^(bits-1) when negative.
  b.returnIf(() => {
    f.get(ip);
    f.i64(1).get(BYTES).i32(3).op(OP.i32_shl).i32(1).op(OP.i32_sub).op(OP.i64_extend_i32_u).op(OP.i64_shl);
    f.get(s).op(OP.i32_eqz).op(OP.i64_extend_i32_u).op(OP.i64_sub);
    f.op(OP.i64_gt_u);
  });
  f.i32(0).i64(0).get(ip).op(OP.i64_sub).get(ip).get(s).op(OP.select).mem(OP.i64_store, area + AREA_F80_OUT);
  f.i32(1);
  return b.done();
}

/** The compiled module per CPU area offset (the same offsets recur in every machine of a process). */
const modules = new Map<number, WebAssembly.Module>();

/** Instantiates the module over `memory` for the CPU's area at `area`: the functions regions import. */
export function f80Instance(memory: WebAssembly.Memory, area: number): Record<F80Function, Function> {
  let module = modules.get(area);
  if (module === undefined) modules.set(area, (module = new WebAssembly.Module(f80Module(area))));
  const exports = new WebAssembly.Instance(module, { m: { mem: memory } }).exports;
  return Object.fromEntries(F80_FUNCTIONS.map((n) => [n, exports[n] as Function])) as Record<F80Function, Function>;
}
