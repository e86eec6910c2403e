// SSE/SSE2 execution (U.SSE slots): XMM registers as int32 lanes with float32/float64 views of the same bytes.
// Memory operands are fetched at their architectural width, so a scalar load at a page end never over-reads.

import { FOP, FTYPE, S } from "./table.ts";
import { F_NONE } from "./flags.ts";
import { RFLAGS_CF, RFLAGS_PF, RFLAGS_ZF } from "./state.ts";
import { VEC_GP, type Core } from "./core.ts";
import * as fp from "./sse-fp.ts";

/** Source operand scratch (W), a result scratch, and their float views. */
const T = new Int32Array(4);
const TF = new Float32Array(T.buffer);
const TD = new Float64Array(T.buffer);
const Q = new Int32Array(4);
const QF = new Float32Array(Q.buffer);
const QD = new Float64Array(Q.buffer);
const T8 = new Uint8Array(T.buffer);
const Q8 = new Uint8Array(Q.buffer);
const T16 = new Int16Array(T.buffer);
const Q16 = new Int16Array(Q.buffer);
/** Copy of Q for the interleaving/packing ops that read the old destination while writing it. */
const P = new Int32Array(4);
const P8 = new Uint8Array(P.buffer);
const P16 = new Int16Array(P.buffer);
/** Register-count shifts in S order (PSRLW..PSLLQ) mapped to their immediate-count twins. */
const SHIFT_BY_REG = [S.PSRLW_I, S.PSRAW_I, S.PSLLW_I, S.PSRLD_I, S.PSRAD_I, S.PSLLD_I, S.PSRLQ_I, S.PSLLQ_I];

const TWO32 = 4294967296;

export function loadVec(c: Core, a: number, n: number, dst: Int32Array, align: boolean): void {
  if (align && (a & 15) !== 0) c.fault(VEC_GP, 0, 0);
  const p = c.rphys(a, n);
  if (p >= 0) {
    for (let k = 0; k < n / 4; k++) dst[k] = c.dv.getInt32(p + 4 * k, true);
  } else {
    for (let k = 0; k < n / 4; k++) dst[k] = c.rd32(a + 4 * k);
  }
}

export function storeVec(c: Core, a: number, n: number, src: Int32Array, off: number, align: boolean): void {
  if (align && (a & 15) !== 0) c.fault(VEC_GP, 0, 0);
  const p = c.wphys(a, n);
  if (p >= 0) {
    for (let k = 0; k < n / 4; k++) c.dv.setInt32(p + 4 * k, src[off + k], true);
  } else {
    for (let k = 0; k < n / 4; k++) c.wr32(a + 4 * k, src[off + k]);
  }
}

/** Loads the W operand (xmm rm or n bytes of memory) into T; returns nothing, T holds lanes. */
function srcW(c: Core, i: number, n: number, align = false): void {
  const code = c.code;
  if (code.mem[i]) {
    T[0] = T[1] = T[2] = T[3] = 0;
    loadVec(c, c.ea(i), n, T, align);
  } else {
    const x = c.xmm, b = 4 * code.rm[i];
    T[0] = x[b]; T[1] = x[b + 1]; T[2] = x[b + 2]; T[3] = x[b + 3];
  }
}

/** Result halves of cvtToInt. */
let cvtLo = 0, cvtHi = 0;

/** Float to integer per MXCSR rounding (or truncation); false when out of range (integer indefinite, IE). */
function cvtToInt(v: number, sz: number, truncate: boolean, mxcsr: number, single: boolean): boolean {
  if (Number.isNaN(v)) { fp.raise(fp.MX_IE); return false; }
  v = fp.dazValue(v, single, mxcsr);
  let r: number;
  if (truncate) r = Math.trunc(v);
  else {
    const mode = (mxcsr >> 13) & 3;
    r = mode === 0 ? roundEven(v) : mode === 1 ? Math.floor(v) : mode === 2 ? Math.ceil(v) : Math.trunc(v);
  }
  const lim = sz === 8 ? 2 ** 63 : 2 ** 31;
  if (r >= lim || r < -lim) { fp.raise(fp.MX_IE); return false; }
  if (r !== v) fp.raise(fp.MX_PE);
  cvtLo = r % TWO32 | 0;
  cvtHi = Math.floor(r / TWO32) | 0;
  return true;
}

export function roundEven(v: number): number {
  const f = Math.floor(v), d = v - f;
  if (d > 0.5) return f + 1;
  if (d < 0.5) return f;
  return f % 2 === 0 ? f : f + 1;
}

function fcompare(pred: number, a: number, b: number): boolean {
  switch (pred & 7) {
    case 0: return a === b;
    case 1: return a < b;
    case 2: return a <= b;
    case 3: return Number.isNaN(a) || Number.isNaN(b);
    case 4: return !(a === b);
    case 5: return !(a < b);
    case 6: return !(a <= b);
    default: return !(Number.isNaN(a) || Number.isNaN(b));
  }
}

function satS8(v: number): number { return v > 127 ? 127 : v < -128 ? -128 : v; }
function satU8(v: number): number { return v > 255 ? 255 : v < 0 ? 0 : v; }
function satS16(v: number): number { return v > 32767 ? 32767 : v < -32768 ? -32768 : v; }
function satU16(v: number): number { return v > 65535 ? 65535 : v < 0 ? 0 : v; }

/** Ops that can raise MXCSR exceptions compute into Q (or locals) and call fp.commit before writing anything. */
export function sseExec(c: Core, i: number): void {
  fp.begin();
  const code = c.code;
  const x = c.xmm, xf = c.xmmF32, xd = c.xmmF64;
  const op = code.ext[i];
  const d = 4 * code.rg[i]; // V lane base
  switch (op) {
    case S.MOVU_LD: case S.MOVA_LD:
      srcW(c, i, 16, op === S.MOVA_LD);
      x[d] = T[0]; x[d + 1] = T[1]; x[d + 2] = T[2]; x[d + 3] = T[3];
      return;
    case S.MOVU_ST: case S.MOVA_ST:
      if (code.mem[i]) storeVec(c, c.ea(i), 16, x, d, op === S.MOVA_ST);
      else x.copyWithin(4 * code.rm[i], d, d + 4);
      return;
    case S.MOVSD_LD: case S.MOVQ_LD:
      srcW(c, i, 8);
      x[d] = T[0]; x[d + 1] = T[1];
      if (code.mem[i] || op === S.MOVQ_LD) x[d + 2] = x[d + 3] = 0;
      return;
    case S.MOVSD_ST: case S.MOVQ_ST:
      if (code.mem[i]) storeVec(c, c.ea(i), 8, x, d, false);
      else {
        const s = 4 * code.rm[i];
        x[s] = x[d]; x[s + 1] = x[d + 1];
        if (op === S.MOVQ_ST) x[s + 2] = x[s + 3] = 0;
      }
      return;
    case S.MOVSS_LD:
      srcW(c, i, 4);
      x[d] = T[0];
      if (code.mem[i]) x[d + 1] = x[d + 2] = x[d + 3] = 0;
      return;
    case S.MOVSS_ST:
      if (code.mem[i]) storeVec(c, c.ea(i), 4, x, d, false);
      else x[4 * code.rm[i]] = x[d];
      return;
    case S.MOVD_LD: {
      const sz = code.sz[i];
      const v = code.mem[i] ? c.readMem(c.ea(i), sz) : c.getR(code.rm[i], sz);
      x[d] = v;
      x[d + 1] = sz === 8 ? c.hi : 0;
      x[d + 2] = x[d + 3] = 0;
      return;
    }
    case S.MOVD_ST: {
      const sz = code.sz[i];
      if (code.mem[i]) c.writeMem(c.ea(i), sz, x[d], x[d + 1]);
      else c.setR(code.rm[i], sz, x[d], x[d + 1]);
      return;
    }
    case S.MOVLP_LD: srcW(c, i, 8); x[d] = T[0]; x[d + 1] = T[1]; return;
    case S.MOVHP_LD: srcW(c, i, 8); x[d + 2] = T[0]; x[d + 3] = T[1]; return;
    case S.MOVLP_ST: storeVec(c, c.ea(i), 8, x, d, false); return;
    case S.MOVHP_ST: storeVec(c, c.ea(i), 8, x, d + 2, false); return;
    case S.MOVHLPS: { const s = 4 * code.rm[i]; x[d] = x[s + 2]; x[d + 1] = x[s + 3]; return; }
    case S.MOVLHPS: { const s = 4 * code.rm[i]; x[d + 2] = x[s]; x[d + 3] = x[s + 1]; return; }
    case S.LDMXCSR: {
      const v = c.rd32(c.ea(i));
      if ((v & ~0xffff) !== 0) c.fault(VEC_GP, 0, 0);
      c.mxcsr = v;
      return;
    }
    case S.STMXCSR: c.wr32(c.ea(i), c.mxcsr); return;
    case S.PMOVMSKB: case S.MOVMSKPS: case S.MOVMSKPD: {
      const s = 4 * code.rm[i];
      let m = 0;
      if (op === S.PMOVMSKB) {
        for (let k = 0; k < 16; k++) m |= ((x[s + (k >> 2)] >>> (8 * (k & 3) + 7)) & 1) << k;
      } else if (op === S.MOVMSKPS) {
        for (let k = 0; k < 4; k++) m |= (x[s + k] >>> 31) << k;
      } else m = (x[s + 1] >>> 31) | ((x[s + 3] >>> 31) << 1);
      c.setR(code.rg[i], 4, m, 0);
      return;
    }
    case S.PEXTRW: {
      const k = code.imm[i] & 7, s = 4 * code.rm[i];
      c.setR(code.rg[i], 4, (x[s + (k >> 1)] >>> (16 * (k & 1))) & 0xffff, 0);
      return;
    }
    case S.PINSRW: {
      const k = code.imm[i] & 7;
      const v = code.mem[i] ? c.rd16(c.ea(i)) : c.getR(code.rm[i], 4) & 0xffff;
      const lane = d + (k >> 1), sh = 16 * (k & 1);
      x[lane] = (x[lane] & ~(0xffff << sh)) | (v << sh);
      return;
    }
    case S.CVTSI2SD: case S.CVTSI2SS: {
      const sz = code.sz[i];
      const lo = code.mem[i] ? c.readMem(c.ea(i), sz) : c.getR(code.rm[i], sz);
      const v = sz === 8 ? c.hi * TWO32 + (lo >>> 0) : lo | 0;
      const exact = sz === 8 && Math.abs(v) >= 2 ** 53 ? (BigInt(c.hi) << 32n) | BigInt(lo >>> 0) : null;
      const r = fp.fromInt(v, exact, c.mxcsr, op === S.CVTSI2SS);
      fp.commit(c);
      if (op === S.CVTSI2SD) xd[d >> 1] = r;
      else xf[d] = r;
      return;
    }
    case S.CVTTSD2SI: case S.CVTSD2SI: case S.CVTTSS2SI: case S.CVTSS2SI: {
      const dbl = op === S.CVTTSD2SI || op === S.CVTSD2SI;
      srcW(c, i, dbl ? 8 : 4);
      const v = dbl ? TD[0] : TF[0];
      const sz = code.sz[i];
      const ok = cvtToInt(v, sz, op === S.CVTTSD2SI || op === S.CVTTSS2SI, c.mxcsr, !dbl);
      fp.commit(c);
      if (ok) c.setR(code.rg[i], sz, cvtLo, cvtHi);
      else c.setR(code.rg[i], sz, sz === 8 ? 0 : 0x80000000 | 0, sz === 8 ? 0x80000000 | 0 : 0);
      return;
    }
    case S.CVTSS2SD: case S.CVTPS2PD: {
      srcW(c, i, op === S.CVTSS2SD ? 4 : 8);
      Q[0] = x[d]; Q[1] = x[d + 1]; Q[2] = x[d + 2]; Q[3] = x[d + 3];
      for (let k = 0; k < (op === S.CVTSS2SD ? 1 : 2); k++) {
        if (fp.isSNaN32(T[k])) fp.raise(fp.MX_IE);
        QD[k] = TF[k] === TF[k] ? fp.operand(TF[k], true, c.mxcsr) : TF[k];
      }
      fp.commit(c);
      setV(x, d);
      return;
    }
    case S.CVTSD2SS: case S.CVTPD2PS: {
      const scalar = op === S.CVTSD2SS;
      srcW(c, i, scalar ? 8 : 16, !scalar);
      Q[0] = x[d]; Q[1] = x[d + 1]; Q[2] = x[d + 2]; Q[3] = x[d + 3];
      for (let k = 0; k < (scalar ? 1 : 2); k++) QF[k] = fp.toSingle(TD[k], c.mxcsr);
      if (!scalar) Q[2] = Q[3] = 0;
      fp.commit(c);
      setV(x, d);
      return;
    }
    case S.CVTDQ2PD: srcW(c, i, 8); QD[0] = T[0]; QD[1] = T[1]; setV(x, d); return;
    case S.CVTDQ2PS:
      srcW(c, i, 16, true);
      for (let k = 0; k < 4; k++) QF[k] = fp.fromInt(T[k], null, c.mxcsr, true);
      fp.commit(c);
      setV(x, d);
      return;
    case S.CVTTPS2DQ: case S.CVTPS2DQ: {
      srcW(c, i, 16, true);
      for (let k = 0; k < 4; k++) {
        Q[k] = cvtToInt(TF[k], 4, op === S.CVTTPS2DQ, c.mxcsr, true) ? cvtLo : 0x80000000 | 0;
      }
      fp.commit(c);
      setV(x, d);
      return;
    }
    case S.CVTTPD2DQ: case S.CVTPD2DQ: {
      srcW(c, i, 16, true);
      for (let k = 0; k < 2; k++) {
        Q[k] = cvtToInt(TD[k], 4, op === S.CVTTPD2DQ, c.mxcsr, false) ? cvtLo : 0x80000000 | 0;
      }
      Q[2] = Q[3] = 0;
      fp.commit(c);
      setV(x, d);
      return;
    }
    case S.UCOMISD: case S.UCOMISS: {
      const dbl = op === S.UCOMISD;
      srcW(c, i, dbl ? 8 : 4);
      const a = dbl ? xd[d >> 1] : xf[d], b = dbl ? TD[0] : TF[0];
      fp.compareFlags(code.ext2[i] === 1, a, b, c.mxcsr, !dbl, x[d], T[0]);
      fp.commit(c);
      let bits: number;
      if (Number.isNaN(a) || Number.isNaN(b)) bits = RFLAGS_ZF | RFLAGS_PF | RFLAGS_CF;
      else if (a < b) bits = RFLAGS_CF;
      else if (a === b) bits = RFLAGS_ZF;
      else bits = 0;
      c.fop = F_NONE;
      c.fbits = bits;
      return;
    }
    case S.FARITH: {
      const fop = code.ext2[i] >> 2, ft = code.ext2[i] & 3;
      const single = ft === FTYPE.SS || ft === FTYPE.PS;
      const lanes = ft === FTYPE.SD || ft === FTYPE.SS ? 1 : single ? 4 : 2;
      srcW(c, i, lanes === 1 ? (single ? 4 : 8) : 16, lanes > 1);
      Q[0] = x[d]; Q[1] = x[d + 1]; Q[2] = x[d + 2]; Q[3] = x[d + 3];
      const mx = c.mxcsr;
      if (fop === FOP.MIN || fop === FOP.MAX) {
        // The selected operand is copied bit for bit (NaN payloads, signed zeros).
        for (let k = 0; k < lanes; k++) {
          const first = single ? fp.minmaxFirst(fop === FOP.MAX, QF[k], TF[k], mx, true) : fp.minmaxFirst(fop === FOP.MAX, QD[k], TD[k], mx, false);
          if (!first) {
            if (single) Q[k] = T[k];
            else { Q[2 * k] = T[2 * k]; Q[2 * k + 1] = T[2 * k + 1]; }
          }
          // Under DAZ a denormal operand is selected as the zero it was compared as (other lanes keep their bits).
          if (mx & 0x40) {
            const v = single ? QF[k] : QD[k], z = fp.dazValue(v, single, mx);
            if (!Object.is(v, z)) { if (single) QF[k] = z; else QD[k] = z; }
          }
        }
      } else if (single) {
        for (let k = 0; k < lanes; k++) QF[k] = fp.arith(fop, QF[k], TF[k], mx, true, Q[k], T[k]);
      } else {
        for (let k = 0; k < lanes; k++) QD[k] = fp.arith(fop, QD[k], TD[k], mx, false);
      }
      fp.commit(c);
      setV(x, d);
      return;
    }
    case S.CMPF: {
      const ft = code.ext2[i], pred = code.imm[i];
      const signalQuiet = (pred & 3) === 1 || (pred & 3) === 2; // lt, le, nlt, nle
      Q[0] = x[d]; Q[1] = x[d + 1]; Q[2] = x[d + 2]; Q[3] = x[d + 3];
      if (ft === FTYPE.SD || ft === FTYPE.PD) {
        srcW(c, i, ft === FTYPE.SD ? 8 : 16, ft === FTYPE.PD);
        const n = ft === FTYPE.SD ? 1 : 2;
        for (let k = 0; k < n; k++) {
          fp.compareFlags(signalQuiet, QD[k], TD[k], c.mxcsr, false, 0, 0);
          const m = fcompare(pred, QD[k], TD[k]) ? -1 : 0;
          Q[2 * k] = m;
          Q[2 * k + 1] = m;
        }
      } else {
        srcW(c, i, ft === FTYPE.SS ? 4 : 16, ft === FTYPE.PS);
        const n = ft === FTYPE.SS ? 1 : 4;
        for (let k = 0; k < n; k++) {
          fp.compareFlags(signalQuiet, QF[k], TF[k], c.mxcsr, true, Q[k], T[k]);
          Q[k] = fcompare(pred, QF[k], TF[k]) ? -1 : 0;
        }
      }
      fp.commit(c);
      setV(x, d);
      return;
    }
    case S.PSRLW_I: case S.PSRAW_I: case S.PSLLW_I: case S.PSRLD_I: case S.PSRAD_I: case S.PSLLD_I:
    case S.PSRLQ_I: case S.PSRLDQ_I: case S.PSLLQ_I: case S.PSLLDQ_I: {
      const r = 4 * code.rm[i];
      shiftLanes(x, r, op, code.imm[i] & 0xff);
      return;
    }
    case S.PSRLW: case S.PSRAW: case S.PSLLW: case S.PSRLD: case S.PSRAD: case S.PSLLD: case S.PSRLQ: case S.PSLLQ: {
      srcW(c, i, 16, true);
      const count = T[1] !== 0 || T[0] >>> 0 > 255 ? 255 : T[0];
      shiftLanes(x, d, SHIFT_BY_REG[op - S.PSRLW], count);
      return;
    }
    case S.PSHUFD: case S.PSHUFLW: case S.PSHUFHW: {
      srcW(c, i, 16, true);
      const imm = code.imm[i];
      if (op === S.PSHUFD) {
        for (let k = 0; k < 4; k++) Q[k] = T[(imm >> (2 * k)) & 3];
      } else {
        Q[0] = T[0]; Q[1] = T[1]; Q[2] = T[2]; Q[3] = T[3];
        const base = op === S.PSHUFLW ? 0 : 4;
        for (let k = 0; k < 4; k++) Q16[base + k] = T16[base + ((imm >> (2 * k)) & 3)];
      }
      setV(x, d);
      return;
    }
    case S.SHUFPS: {
      srcW(c, i, 16, true);
      const imm = code.imm[i];
      Q[0] = x[d + (imm & 3)];
      Q[1] = x[d + ((imm >> 2) & 3)];
      Q[2] = T[(imm >> 4) & 3];
      Q[3] = T[(imm >> 6) & 3];
      setV(x, d);
      return;
    }
    case S.SHUFPD: {
      srcW(c, i, 16, true);
      const imm = code.imm[i];
      const lo = imm & 1 ? 2 : 0, hi = imm & 2 ? 2 : 0;
      Q[0] = x[d + lo]; Q[1] = x[d + lo + 1];
      Q[2] = T[hi]; Q[3] = T[hi + 1];
      setV(x, d);
      return;
    }
  }
  // Packed integer ops with a 128-bit W source.
  srcW(c, i, 16, true);
  packedInt(x, d, op);
}

function setV(x: Int32Array, d: number): void {
  x[d] = Q[0]; x[d + 1] = Q[1]; x[d + 2] = Q[2]; x[d + 3] = Q[3];
}

/** dst(V at lane base d) = dst op T, for the lane-wise integer operations. */
function packedInt(x: Int32Array, d: number, op: number): void {
  Q[0] = x[d]; Q[1] = x[d + 1]; Q[2] = x[d + 2]; Q[3] = x[d + 3];
  switch (op) {
    case S.PXOR: for (let k = 0; k < 4; k++) Q[k] ^= T[k]; break;
    case S.POR: for (let k = 0; k < 4; k++) Q[k] |= T[k]; break;
    case S.PAND: for (let k = 0; k < 4; k++) Q[k] &= T[k]; break;
    case S.PANDN: for (let k = 0; k < 4; k++) Q[k] = ~Q[k] & T[k]; break;
    case S.PCMPEQB: for (let k = 0; k < 16; k++) Q8[k] = Q8[k] === T8[k] ? 0xff : 0; break;
    case S.PCMPEQW: for (let k = 0; k < 8; k++) Q16[k] = Q16[k] === T16[k] ? -1 : 0; break;
    case S.PCMPEQD: for (let k = 0; k < 4; k++) Q[k] = Q[k] === T[k] ? -1 : 0; break;
    case S.PCMPGTB: for (let k = 0; k < 16; k++) Q8[k] = ((Q8[k] << 24) >> 24) > ((T8[k] << 24) >> 24) ? 0xff : 0; break;
    case S.PCMPGTW: for (let k = 0; k < 8; k++) Q16[k] = Q16[k] > T16[k] ? -1 : 0; break;
    case S.PCMPGTD: for (let k = 0; k < 4; k++) Q[k] = Q[k] > T[k] ? -1 : 0; break;
    case S.PUNPCKLBW: case S.PUNPCKHBW: {
      const o = op === S.PUNPCKLBW ? 0 : 8;
      P.set(Q);
      for (let k = 0; k < 8; k++) { Q8[2 * k] = P8[o + k]; Q8[2 * k + 1] = T8[o + k]; }
      break;
    }
    case S.PUNPCKLWD: case S.PUNPCKHWD: {
      const o = op === S.PUNPCKLWD ? 0 : 4;
      P.set(Q);
      for (let k = 0; k < 4; k++) { Q16[2 * k] = P16[o + k]; Q16[2 * k + 1] = T16[o + k]; }
      break;
    }
    case S.PUNPCKLDQ: { const a0 = Q[0], a1 = Q[1]; Q[0] = a0; Q[1] = T[0]; Q[2] = a1; Q[3] = T[1]; break; }
    case S.PUNPCKHDQ: { const a2 = Q[2], a3 = Q[3]; Q[0] = a2; Q[1] = T[2]; Q[2] = a3; Q[3] = T[3]; break; }
    case S.PUNPCKLQDQ: Q[2] = T[0]; Q[3] = T[1]; break;
    case S.PUNPCKHQDQ: Q[0] = Q[2]; Q[1] = Q[3]; Q[2] = T[2]; Q[3] = T[3]; break;
    case S.PADDB: for (let k = 0; k < 16; k++) Q8[k] += T8[k]; break;
    case S.PADDW: for (let k = 0; k < 8; k++) Q16[k] += T16[k]; break;
    case S.PADDD: for (let k = 0; k < 4; k++) Q[k] += T[k]; break;
    case S.PSUBB: for (let k = 0; k < 16; k++) Q8[k] -= T8[k]; break;
    case S.PSUBW: for (let k = 0; k < 8; k++) Q16[k] -= T16[k]; break;
    case S.PSUBD: for (let k = 0; k < 4; k++) Q[k] -= T[k]; break;
    case S.PADDQ: case S.PSUBQ:
      for (let k = 0; k < 4; k += 2) {
        const s = op === S.PADDQ ? (Q[k] >>> 0) + (T[k] >>> 0) : (Q[k] >>> 0) - (T[k] >>> 0);
        const c = op === S.PADDQ ? (s >= TWO32 ? 1 : 0) : s < 0 ? -1 : 0;
        Q[k] = s | 0;
        Q[k + 1] = op === S.PADDQ ? Q[k + 1] + T[k + 1] + c : Q[k + 1] - T[k + 1] + c;
      }
      break;
    case S.PMINUB: for (let k = 0; k < 16; k++) Q8[k] = Math.min(Q8[k], T8[k]); break;
    case S.PMAXUB: for (let k = 0; k < 16; k++) Q8[k] = Math.max(Q8[k], T8[k]); break;
    case S.PMINSW: for (let k = 0; k < 8; k++) Q16[k] = Math.min(Q16[k], T16[k]); break;
    case S.PMAXSW: for (let k = 0; k < 8; k++) Q16[k] = Math.max(Q16[k], T16[k]); break;
    case S.PADDUSB: for (let k = 0; k < 16; k++) Q8[k] = satU8(Q8[k] + T8[k]); break;
    case S.PSUBUSB: for (let k = 0; k < 16; k++) Q8[k] = satU8(Q8[k] - T8[k]); break;
    case S.PADDUSW: for (let k = 0; k < 8; k++) Q16[k] = satU16((Q16[k] & 0xffff) + (T16[k] & 0xffff)); break;
    case S.PSUBUSW: for (let k = 0; k < 8; k++) Q16[k] = satU16((Q16[k] & 0xffff) - (T16[k] & 0xffff)); break;
    case S.PADDSB: for (let k = 0; k < 16; k++) Q8[k] = satS8(((Q8[k] << 24) >> 24) + ((T8[k] << 24) >> 24)); break;
    case S.PSUBSB: for (let k = 0; k < 16; k++) Q8[k] = satS8(((Q8[k] << 24) >> 24) - ((T8[k] << 24) >> 24)); break;
    case S.PADDSW: for (let k = 0; k < 8; k++) Q16[k] = satS16(Q16[k] + T16[k]); break;
    case S.PSUBSW: for (let k = 0; k < 8; k++) Q16[k] = satS16(Q16[k] - T16[k]); break;
    case S.PAVGB: for (let k = 0; k < 16; k++) Q8[k] = (Q8[k] + T8[k] + 1) >> 1; break;
    case S.PAVGW: for (let k = 0; k < 8; k++) Q16[k] = ((Q16[k] & 0xffff) + (T16[k] & 0xffff) + 1) >> 1; break;
    case S.PMULLW: for (let k = 0; k < 8; k++) Q16[k] = Math.imul(Q16[k], T16[k]); break;
    case S.PMULHW: for (let k = 0; k < 8; k++) Q16[k] = (Q16[k] * T16[k]) >> 16; break;
    case S.PMULHUW: for (let k = 0; k < 8; k++) Q16[k] = ((Q16[k] & 0xffff) * (T16[k] & 0xffff)) >>> 16; break;
    case S.PMADDWD:
      for (let k = 0; k < 4; k++) Q[k] = (Q16[2 * k] * T16[2 * k] + Q16[2 * k + 1] * T16[2 * k + 1]) | 0;
      break;
    case S.PMULUDQ:
      for (let k = 0; k < 4; k += 2) {
        const a = Q[k] >>> 0, b = T[k] >>> 0;
        Q[k] = Math.imul(a, b);
        const a0 = a & 0xffff, a1 = a >>> 16, b0 = b & 0xffff, b1 = b >>> 16;
        const mid = a1 * b0 + a0 * b1 + Math.floor((a0 * b0) / 65536);
        Q[k + 1] = a1 * b1 + Math.floor(mid / 65536);
      }
      break;
    case S.PSADBW: {
      let lo = 0, hi = 0;
      for (let k = 0; k < 8; k++) lo += Math.abs(Q8[k] - T8[k]);
      for (let k = 8; k < 16; k++) hi += Math.abs(Q8[k] - T8[k]);
      Q[0] = lo; Q[1] = 0; Q[2] = hi; Q[3] = 0;
      break;
    }
    case S.PACKSSWB: case S.PACKUSWB: {
      P.set(Q);
      const sat = op === S.PACKSSWB ? satS8 : satU8;
      for (let k = 0; k < 8; k++) Q8[k] = sat(P16[k]);
      for (let k = 0; k < 8; k++) Q8[8 + k] = sat(T16[k]);
      break;
    }
    case S.PACKSSDW: {
      P.set(Q);
      for (let k = 0; k < 4; k++) Q16[k] = satS16(P[k]);
      for (let k = 0; k < 4; k++) Q16[4 + k] = satS16(T[k]);
      break;
    }
    default:
      throw new Error(`sse: no handler for sub-op ${op}`);
  }
  setV(x, d);
}

/** Lane shifts by an immediate or register count (counts past the lane width clear, or fill with the sign). */
function shiftLanes(x: Int32Array, r: number, op: number, n: number): void {
  Q[0] = x[r]; Q[1] = x[r + 1]; Q[2] = x[r + 2]; Q[3] = x[r + 3];
  switch (op) {
    case S.PSRLW_I: for (let k = 0; k < 8; k++) Q16[k] = n > 15 ? 0 : (Q16[k] & 0xffff) >>> n; break;
    case S.PSRAW_I: for (let k = 0; k < 8; k++) Q16[k] = Q16[k] >> Math.min(n, 15); break;
    case S.PSLLW_I: for (let k = 0; k < 8; k++) Q16[k] = n > 15 ? 0 : Q16[k] << n; break;
    case S.PSRLD_I: for (let k = 0; k < 4; k++) Q[k] = n > 31 ? 0 : Q[k] >>> n; break;
    case S.PSRAD_I: for (let k = 0; k < 4; k++) Q[k] = Q[k] >> Math.min(n, 31); break;
    case S.PSLLD_I: for (let k = 0; k < 4; k++) Q[k] = n > 31 ? 0 : Q[k] << n; break;
    case S.PSRLQ_I: case S.PSLLQ_I:
      for (let k = 0; k < 4; k += 2) {
        const lo = Q[k], hi = Q[k + 1];
        if (n > 63) { Q[k] = 0; Q[k + 1] = 0; }
        else if (n === 0) continue;
        else if (op === S.PSRLQ_I) {
          Q[k] = n >= 32 ? hi >>> (n - 32) : (lo >>> n) | (hi << (32 - n));
          Q[k + 1] = n >= 32 ? 0 : hi >>> n;
        } else {
          Q[k + 1] = n >= 32 ? lo << (n - 32) : (hi << n) | (lo >>> (32 - n));
          Q[k] = n >= 32 ? 0 : lo << n;
        }
      }
      break;
    case S.PSRLDQ_I: case S.PSLLDQ_I: {
      P.set(Q);
      for (let k = 0; k < 16; k++) {
        const src = op === S.PSRLDQ_I ? k + n : k - n;
        Q8[k] = src >= 0 && src < 16 ? P8[src] : 0;
      }
      break;
    }
  }
  setV(x, r);
}
