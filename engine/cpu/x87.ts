// x87 floating point (U.X87 slots): a register stack of exact 80-bit values (f80.ts) under rounding and precision
// control; only the transcendental functions are approximated (through doubles, see PRECISION below).

/**
 * PRECISION. Exact (bit for bit with hardware): loads/stores of every format, arithmetic, compares, fsqrt,
 * fprem/fprem1, fscale, fxtract, frndint and the constants. Approximated: fsin/fcos/fsincos/fptan/fpatan/f2xm1/fyl2x/
 * fyl2xp1 compute through doubles (53 bits, widened exactly; logarithms keep the exponent apart and the product by
 * ST(1) is exact), so they agree with hardware to about 2^-52 relative, not in the last 11 of 64 mantissa bits.
 * Exception flags (IE, ZE, PE …) and C1's round-up indication are not recorded in the status word.
 */

import { ROWS, X, XM } from "./table.ts";
import { condition, F_NONE } from "./flags.ts";
import { RFLAGS_CF, RFLAGS_PF, RFLAGS_ZF } from "./state.ts";
import { VEC_UD, type Core } from "./core.ts";
import * as f80 from "./f80.ts";

const C0 = 1 << 8, C1 = 1 << 9, C2 = 1 << 10, C3 = 1 << 14;
const CC_MASK = C0 | C1 | C2 | C3;
/** Word offsets of two scratch extended values after the 8 registers in Core.fpx (T1 holds memory operands). */
export const T1 = 24;
const T2 = 27;

/** Integer condition codes of fcmovb, fcmove, fcmovbe, fcmovu (the DB forms negate them). */
const FCMOV_CC = [2, 4, 6, 10];

/** Word offset of ST(k) in c.fpx. */
function at(c: Core, k: number): number {
  return 3 * ((c.fpTop + k) & 7);
}

export function copy(w: Uint32Array, d: number, s: number): void {
  w[d] = w[s];
  w[d + 1] = w[s + 1];
  w[d + 2] = w[s + 2];
}

export function push(c: Core, from: number): void {
  c.fpTop = (c.fpTop - 1) & 7;
  copy(c.fpx, 3 * c.fpTop, from);
  c.fpTag |= 1 << c.fpTop;
}

function pop(c: Core): void {
  c.fpTag &= ~(1 << c.fpTop);
  c.fpTop = (c.fpTop + 1) & 7;
}

function setDouble(c: Core, k: number, v: number): void {
  f80.fromDouble(c.fpx, at(c, k), v);
  c.fpTag |= 1 << ((c.fpTop + k) & 7);
}

function st(c: Core, k: number): number {
  return f80.toDouble(c.fpx, at(c, k));
}

/** Bytes of each memory operand kind (XM order: F32, F64, F80, I16, I32, I64); also the regions' (wasm/x87.ts). */
export const MEM_BYTES = [4, 8, 10, 2, 4, 8];

/**
 * Loads a memory operand into the scratch extended value T1: one translation and DataView reads where it lies in one
 * page. Kept small so that V8 inlines it where the address is computed (a double beyond 2^31 passed to a call costs
 * a heap number); the conversion and the page-crossing path take only int32 words or are rare.
 */
function loadMem(c: Core, a: number, kind: number): void {
  const n = MEM_BYTES[kind];
  const p = c.rphys(a, n);
  if (p < 0) { loadSplit(c, a, kind); return; }
  const dv = c.dv;
  setOperand(c.fpx, kind, n === 2 ? dv.getInt16(p, true) : dv.getInt32(p, true), n >= 8 ? dv.getInt32(p + 4, true) : 0,
    n === 10 ? dv.getUint16(p + 8, true) : 0);
}

/** loadMem of an operand that crosses a page. */
function loadSplit(c: Core, a: number, kind: number): void {
  const n = MEM_BYTES[kind];
  setOperand(c.fpx, kind, n === 2 ? (c.rd16(a) << 16) >> 16 : c.rd32(a), n >= 8 ? c.rd32(a + 4) : 0, n === 10 ? c.rd16(a + 8) : 0);
}

/** T1 = the operand of `kind` whose first, second 32-bit words are lo, hi (an f80's sign|exponent se). */
function setOperand(w: Uint32Array, kind: number, lo: number, hi: number, se: number): void {
  switch (kind) {
    case XM.F32: f80.fromBinary(w, T1, lo, 0, false); return;
    case XM.F64: f80.fromBinary(w, T1, lo, hi, true); return;
    case XM.F80: w[T1] = lo; w[T1 + 1] = hi; w[T1 + 2] = se; return;
    case XM.I64: f80.fromInt64(w, T1, lo, hi); return;
    default: f80.fromInt64(w, T1, lo, lo >> 31); // I16 (sign-extended above), I32
  }
}

/**
 * The memory bits of w[from] as `kind` (not F80) into f80.result: fst, fist, fisttp (`truncate`); an integer out of
 * range is the integer indefinite (the most negative value).
 */
function storeBits(w: Uint32Array, kind: number, from: number, truncate: boolean): void {
  if (kind === XM.F32 || kind === XM.F64) { f80.toBinary(w, from, kind === XM.F64); return; }
  const n = MEM_BYTES[kind];
  if (f80.toInt(w, from, n * 8, truncate)) return;
  f80.result[0] = n === 2 ? 0x8000 : n === 4 ? 0x80000000 : 0;
  f80.result[1] = 0x80000000;
}

/** Stores w[from] to memory as `kind` (fst, fist, fisttp: `truncate`), through one translation like loadMem. */
function storeMem(c: Core, a: number, kind: number, from: number, truncate: boolean): void {
  const w = c.fpx, n = MEM_BYTES[kind];
  let lo: number, hi: number, se = 0;
  if (kind === XM.F80) { lo = w[from] | 0; hi = w[from + 1] | 0; se = w[from + 2]; }
  else { storeBits(w, kind, from, truncate); lo = f80.result[0]; hi = f80.result[1]; }
  const p = c.wphys(a, n); // both pages checked writable before any byte is written
  if (p < 0) { storeSplit(c, a, n, lo, hi, se); return; }
  const dv = c.dv;
  if (n === 2) dv.setUint16(p, lo & 0xffff, true); else dv.setInt32(p, lo, true);
  if (n >= 8) dv.setInt32(p + 4, hi, true);
  if (n === 10) dv.setUint16(p + 8, se, true);
}

/** storeMem of n bytes across a page. */
function storeSplit(c: Core, a: number, n: number, lo: number, hi: number, se: number): void {
  if (n === 2) c.wr16(a, lo & 0xffff); else c.wr32(a, lo);
  if (n >= 8) c.wr32(a + 4, hi);
  if (n === 10) c.wr16(a + 8, se);
}

/**
 * Slot i's memory operand into T1 (compiled blocks). The address is computed here: passed to a call, a double
 * beyond 2^31 would be boxed, and the block's inline loads would make large regions slow to optimise.
 */
export function loadOperand(c: Core, i: number, kind: number): void {
  loadMem(c, c.ea(i), kind);
}

/** fst/fist/fisttp of w[from] to slot i's memory operand (compiled blocks, as loadOperand). */
export function storeOperand(c: Core, i: number, kind: number, from: number, truncate: boolean): void {
  storeMem(c, c.ea(i), kind, from, truncate);
}

/** fcomi/fucomi (and the popping forms): w[a] against w[b] into ZF, PF and CF. */
export function compareFlags(c: Core, a: number, b: number): void {
  const r = f80.compare(c.fpx, a, b);
  c.fop = F_NONE;
  c.fbits = r === 2 ? RFLAGS_ZF | RFLAGS_PF | RFLAGS_CF : r < 0 ? RFLAGS_CF : r === 0 ? RFLAGS_ZF : 0;
}

/** fxch: exchanges the registers at word offsets a and b. */
export function exchange(w: Uint32Array, a: number, b: number): void {
  copy(w, T2, a);
  copy(w, a, b);
  copy(w, b, T2);
}

/** d = a op b for the x87 arithmetic selectors (0 add, 1 mul, 4 sub, 5 subr, 6 div, 7 divr). */
function arith(w: Uint32Array, op: number, d: number, a: number, b: number): void {
  switch (op) {
    case 0: f80.add(w, d, a, b, false); return;
    case 1: f80.mul(w, d, a, b); return;
    case 4: f80.add(w, d, a, b, true); return;
    case 5: f80.add(w, d, b, a, true); return;
    case 6: f80.div(w, d, a, b); return;
    default: f80.div(w, d, b, a); return;
  }
}

/** Sets C0/C2/C3 like fcom: unordered 111, less 001, equal 100, greater 000. */
export function compareCC(c: Core, a: number, b: number): void {
  const r = f80.compare(c.fpx, a, b);
  const cc = r === 2 ? C0 | C2 | C3 : r < 0 ? C0 : r === 0 ? C3 : 0;
  c.fpuStatus = (c.fpuStatus & ~CC_MASK) | cc;
}

/** The status word with TOP in bits 11-13. */
export function statusWord(c: Core): number {
  return (c.fpuStatus & ~(7 << 11)) | (c.fpTop << 11);
}

/** The full tag word (2 bits per register: 00 valid, 01 zero, 10 special, 11 empty). */
function tagWord(c: Core): number {
  let w = 0;
  for (let p = 0; p < 8; p++) {
    let t = 3;
    if (c.fpTag & (1 << p)) {
      const k = f80.kindOf(c.fpx, 3 * p);
      t = k === "zero" ? 1 : k === "normal" ? 0 : 2;
    }
    w |= t << (2 * p);
  }
  return w;
}

function storeEnv(c: Core, a: number): void {
  c.wphys(a + 27, 1);
  c.wr32(a, c.fpuControl | 0xffff0000);
  c.wr32(a + 4, statusWord(c) | 0xffff0000);
  c.wr32(a + 8, tagWord(c) | 0xffff0000);
  for (let k = 12; k < 28; k += 4) c.wr32(a + k, 0);
}

function loadEnv(c: Core, a: number): void {
  const cw = c.rd16(a), sw = c.rd16(a + 4), tw = c.rd16(a + 8);
  c.fpuControl = cw;
  c.fpuStatus = sw & ~(7 << 11);
  c.fpTop = (sw >> 11) & 7;
  c.fpTag = 0;
  for (let p = 0; p < 8; p++) if (((tw >> (2 * p)) & 3) !== 3) c.fpTag |= 1 << p;
}

export function x87Exec(c: Core, i: number): void {
  const code = c.code;
  const op = code.ext[i], e2 = code.ext2[i];
  const sti = code.rm[i] & 7;
  const w = c.fpx;
  f80.setControl(c.fpuControl);
  // The memory operand's address (one call site, so V8 can inline ea), and the word offsets of ST(0) and ST(i)
  // before any push or pop.
  const a = code.mem[i] ? c.ea(i) : 0;
  const s0 = 3 * c.fpTop, si = 3 * ((c.fpTop + sti) & 7);
  switch (op) {
    case X.LD_M:
      loadMem(c, a, e2);
      push(c, T1);
      return;
    case X.ST_M: case X.STP_M:
      storeMem(c, a, e2, s0, false);
      if (op === X.STP_M) pop(c);
      return;
    case X.ISTTP_M:
      storeMem(c, a, e2, s0, true);
      pop(c);
      return;
    case X.ARITH_M:
      loadMem(c, a, e2 & 7);
      arith(w, e2 >> 3, s0, s0, T1);
      return;
    case X.COM_M:
      loadMem(c, a, e2 & 7);
      compareCC(c, s0, T1);
      if (e2 >> 3 === 3) pop(c);
      return;
    case X.LDCW: c.fpuControl = c.rd16(a); return;
    case X.STCW: c.wr16(a, c.fpuControl); return;
    case X.STSW_M: c.wr16(a, statusWord(c)); return;
    case X.STSW_AX: if (sti !== 0) break; c.setR(0, 2, statusWord(c), 0); return; // only df e0
    case X.LDENV: loadEnv(c, a); return;
    case X.STENV: storeEnv(c, a); c.fpuControl |= 0x3f; return;
    case X.SAVE: {
      c.wphys(a + 107, 1);
      storeEnv(c, a);
      for (let k = 0; k < 8; k++) storeMem(c, a + 28 + 10 * k, XM.F80, at(c, k), false);
      finit(c);
      return;
    }
    case X.RSTOR: {
      loadEnv(c, a);
      for (let k = 0; k < 8; k++) {
        loadMem(c, a + 28 + 10 * k, XM.F80);
        copy(w, at(c, k), T1);
      }
      return;
    }
    case X.ARITH_ST0: arith(w, e2, s0, s0, si); return;
    case X.ARITH_STI: case X.ARITH_STIP:
      arith(w, e2, si, si, s0);
      if (op === X.ARITH_STIP) pop(c);
      return;
    case X.COM_ST: {
      if (!registerFormExists(op, e2, 0xc0 | sti)) break;
      compareCC(c, s0, (e2 & 4) !== 0 ? at(c, 1) : si);
      const pops = e2 & 3;
      for (let k = 0; k < pops; k++) pop(c);
      return;
    }
    case X.COMI:
      compareFlags(c, s0, si);
      if (e2 === 1) pop(c);
      return;
    case X.LD_ST: copy(w, T2, si); push(c, T2); return;
    case X.XCH: exchange(w, s0, si); return;
    case X.ST_ST: case X.STP_ST:
      copy(w, si, s0);
      c.fpTag |= 1 << ((c.fpTop + sti) & 7);
      if (op === X.STP_ST) pop(c);
      return;
    case X.FREE: c.fpTag &= ~(1 << ((c.fpTop + sti) & 7)); return;
    case X.CMOV: {
      // fcmovb/e/be/u and their negations (e2 >= 4).
      const cc = FCMOV_CC[e2 & 3];
      if (condition(c, e2 >= 4 ? cc + 1 : cc)) copy(w, s0, si);
      return;
    }
    case X.NOP: if (sti !== 0) break; return; // d9 d1-d7 do not exist
    case X.SPECIAL:
      special(c, e2, 0xc0 | (ROWS[code.row[i]].reg << 3) | sti, i);
      return;
  }
  c.fault(VEC_UD, 0, c.code.rip[i]);
}

/**
 * Whether an x87 register form whose row matches on ModRM.reg alone also exists for this ModRM.rm (fnop, fnstsw ax,
 * fucompp, fcompp and the D9/DB groups exist only for some rm). Used by execution and by the decoder cross-check.
 */
export function registerFormExists(ext: number, ext2: number, modrm: number): boolean {
  const rm = modrm & 7;
  if (ext === X.NOP || ext === X.STSW_AX) return rm === 0;
  if (ext === X.COM_ST && ((ext2 & 4) !== 0 || (ext2 & 3) === 2)) return rm === 1;
  if (ext === X.SPECIAL) {
    if (ext2 === 0xdb) return modrm >= 0xe0 && modrm <= 0xe4;
    return modrm !== 0xe2 && modrm !== 0xe3 && modrm !== 0xe6 && modrm !== 0xe7 && modrm !== 0xef;
  }
  return true;
}

function finit(c: Core): void {
  c.fpuControl = 0x037f;
  c.fpuStatus = 0;
  c.fpTop = 0;
  c.fpTag = 0;
}

/** The register forms selected by the whole ModRM byte (D9 E0-FF, DB E2/E3). */
function special(c: Core, opcode: number, modrm: number, i: number): void {
  const w = c.fpx;
  if (opcode === 0xdb) {
    if (modrm === 0xe2) c.fpuStatus &= ~0x80ff; // fnclex
    else if (modrm === 0xe3) finit(c);
    else if (modrm === 0xe0 || modrm === 0xe1 || modrm === 0xe4) return; // feni, fdisi, fsetpm: no-ops since the 387
    else c.fault(VEC_UD, 0, c.code.rip[i]);
    return;
  }
  const t = at(c, 0);
  if (modrm >= 0xf0 && modrm !== 0xfa) f80.setControl(c.fpuControl | 0x300); // precision control: + - * / sqrt only
  switch (modrm) {
    case 0xe0: w[t + 2] ^= 0x8000; return; // fchs
    case 0xe1: w[t + 2] &= 0x7fff; return; // fabs
    case 0xe4: f80.fromDouble(w, T2, 0); compareCC(c, t, T2); return; // ftst
    case 0xe5: { // fxam
      let cc: number;
      const k = f80.kindOf(w, t);
      if (!(c.fpTag & (1 << c.fpTop))) cc = C3 | C0;
      else cc = k === "nan" ? C0 : k === "inf" ? C2 | C0 : k === "zero" ? C3 : k === "denormal" ? C3 | C2 : C2;
      if (w[t + 2] & 0x8000) cc |= C1;
      c.fpuStatus = (c.fpuStatus & ~CC_MASK) | cc;
      return;
    }
    case 0xe8: case 0xe9: case 0xea: case 0xeb: case 0xec: case 0xed: case 0xee: // fld1 … fldz
      f80.constant(w, T1, modrm - 0xe8);
      push(c, T1);
      return;
    case 0xf0: // f2xm1; for tiny x (below the double range's precision) 2^x - 1 = x * ln 2, multiplied exactly
      if (tiny(w, t)) { f80.fromDouble(w, T1, Math.LN2); f80.mul(w, t, t, T1); return; }
      unary(c, (x) => Math.expm1(x * Math.LN2));
      return;
    case 0xf1: case 0xf9: logarithm(c, modrm === 0xf9); return; // fyl2x, fyl2xp1
    case 0xf2: // fptan: tan(x), then 1.0 pushed (a NaN result is pushed twice)
      if (trig(c, Math.tan)) f80.constant(w, T1, 0);
      else if (c.fpuStatus & C2) return;
      else copy(w, T1, t);
      push(c, T1);
      return;
    case 0xf3: { // fpatan
      const s1 = at(c, 1);
      if (nanOperands(c, s1, t, s1)) { pop(c); return; }
      // Both operands scaled by a common power of two, so values beyond the double range keep their ratio.
      const ey = w[s1 + 2] & 0x7fff, ex = w[t + 2] & 0x7fff;
      if (ex !== 0x7fff && ey !== 0x7fff && (w[t + 2] & 0x8000) === 0 && f80.kindOf(w, s1) !== "zero" && ex - ey > 40) {
        // atan(y/x) = y/x below 2^-40 (to 64 bits), divided exactly: the ratio may lie beyond the double range.
        f80.div(w, s1, s1, t);
        pop(c);
        return;
      }
      const finite = (e: number): number => (e === 0x7fff ? 0 : e);
      const k = Math.max(finite(w[s1 + 2] & 0x7fff), finite(w[t + 2] & 0x7fff));
      setDouble(c, 1, Math.atan2(scaled(w, s1, k), scaled(w, t, k)));
      pop(c);
      return;
    }
    case 0xf4: copy(w, T2, t); f80.extract(w, T2, t); push(c, T2); return; // fxtract
    case 0xf5: case 0xf8: { // fprem1, fprem
      f80.prem(w, t, t, at(c, 1), modrm === 0xf5);
      const q = f80.premQuotient;
      const cc = f80.premComplete ? (q & 1 ? C1 : 0) | (q & 2 ? C3 : 0) | (q & 4 ? C0 : 0) : C2;
      c.fpuStatus = (c.fpuStatus & ~CC_MASK) | cc;
      return;
    }
    case 0xf6: c.fpTop = (c.fpTop - 1) & 7; return; // fdecstp
    case 0xf7: c.fpTop = (c.fpTop + 1) & 7; return; // fincstp
    case 0xfa: f80.sqrt(w, t, t); return;
    case 0xfb: { // fsincos
      copy(w, T2, t);
      if (trig(c, Math.sin)) f80.fromDouble(w, T1, Math.cos(f80.toDouble(w, T2)));
      else if (c.fpuStatus & C2) return;
      else copy(w, T1, t);
      push(c, T1);
      return;
    }
    case 0xfc: f80.roundToIntegral(w, t); return; // frndint
    case 0xfd: f80.scaleBy(w, t, at(c, 1)); return; // fscale
    case 0xfe: trig(c, Math.sin); return;
    case 0xff: trig(c, Math.cos); return;
  }
  c.fault(VEC_UD, 0, c.code.rip[i]);
}

/** A NaN operand makes the result the (quieted) NaN into w[d]; true when it did. */
function nanOperands(c: Core, d: number, a: number, b: number): boolean {
  if (f80.kindOf(c.fpx, a) !== "nan" && f80.kindOf(c.fpx, b) !== "nan") return false;
  f80.add(c.fpx, d, a, b, false);
  return true;
}

/** w[a] * 2^(16383 - e) as a double (e: a biased exponent at least a finite w[a]'s; infinities stay infinite). */
function scaled(w: Uint32Array, a: number, e: number): number {
  const own = w[a + 2] & 0x7fff;
  if (own === 0x7fff || own === 0) return f80.toDouble(w, a);
  const shifted = own - (e - 16383);
  if (shifted <= 0) return w[a + 2] & 0x8000 ? -0 : 0;
  copy(w, T2, a);
  w[T2 + 2] = (w[a + 2] & 0x8000) | shifted;
  return f80.toDouble(w, T2);
}

/** |w[a]| < 2^-60 (and not a NaN): small enough that first-order formulas are exact to 64 bits. */
function tiny(w: Uint32Array, a: number): boolean {
  return (w[a + 2] & 0x7fff) < 16383 - 60;
}

/** ST(0) = fn(ST(0)) through doubles, NaN propagated. */
function unary(c: Core, fn: (x: number) => number): void {
  const t = at(c, 0);
  if (nanOperands(c, t, t, t)) return;
  setDouble(c, 0, fn(st(c, 0)));
}

/** fsin/fcos/fptan/fsincos on ST(0): out of range (|x| >= 2^63) sets C2 and leaves ST(0); true when computed. */
function trig(c: Core, fn: (x: number) => number): boolean {
  const w = c.fpx, t = at(c, 0);
  c.fpuStatus &= ~(C2 | C1);
  const k = f80.kindOf(w, t);
  if (k === "nan") { f80.add(w, t, t, t, false); return false; }
  if (k === "inf") { f80.constant(w, t, 6); f80.div(w, t, t, t); return false; }
  if ((w[t + 2] & 0x7fff) >= 16383 + 63) { c.fpuStatus |= C2; return false; }
  setDouble(c, 0, fn(st(c, 0)));
  return true;
}

/** fyl2x / fyl2xp1: ST(1) = ST(1) * log2(ST(0) [+ 1]), popped; the logarithm through doubles, the product exact. */
function logarithm(c: Core, plusOne: boolean): void {
  const w = c.fpx, t = at(c, 0), s1 = at(c, 1);
  if (nanOperands(c, s1, t, s1)) { pop(c); return; }
  const e = (w[t + 2] & 0x7fff) - 16383;
  let l: number;
  if (plusOne && tiny(w, t)) {
    // log2(1 + x) = x * log2(e) for tiny x, multiplied exactly.
    f80.fromDouble(w, T1, Math.LOG2E);
    f80.mul(w, T1, T1, t);
    f80.mul(w, s1, s1, T1);
    pop(c);
    return;
  }
  if (plusOne) l = Math.log1p(st(c, 0)) / Math.LN2;
  else if (f80.kindOf(w, t) !== "normal" || e === -1) l = Math.log2(st(c, 0));
  else {
    // Exponent apart from the significand, so values beyond the double range keep their logarithm.
    copy(w, T2, t);
    w[T2 + 2] = 16383;
    l = e + Math.log2(f80.toDouble(w, T2));
  }
  f80.fromDouble(w, T1, l);
  f80.mul(w, s1, s1, T1);
  pop(c);
}

