// SSE3, SSSE3, SSE4.1, SSE4.2 (incl. PCMPxSTRx and CRC32), FXSAVE/FXRSTOR and the rarer SSE/SSE2 ops (U.SSEX).
// Off the hot path (execSlow), yet allocation-free: lanes go through module scratch arrays; MXCSR via sse-fp.ts.

import { FOP, FTYPE, SX } from "./table.ts";
import * as fp from "./sse-fp.ts";
import { F_NONE } from "./flags.ts";
import { RFLAGS_CF, RFLAGS_OF, RFLAGS_SF, RFLAGS_ZF } from "./state.ts";
import { VEC_GP, type Core } from "./core.ts";
import { FL_A32 } from "./decoder.ts";
import { loadVec, roundEven } from "./sse.ts";
import { statusWord } from "./x87.ts";

/** A = old destination, B = source operand, R = result; each with the lane views the ops need. */
const A = new Int32Array(4), B = new Int32Array(4), R = new Int32Array(4), M = new Int32Array(4);
const A8 = new Uint8Array(A.buffer), B8 = new Uint8Array(B.buffer), R8 = new Uint8Array(R.buffer), M8 = new Uint8Array(M.buffer);
const A8s = new Int8Array(A.buffer), B8s = new Int8Array(B.buffer);
const A16 = new Int16Array(A.buffer), B16 = new Int16Array(B.buffer), R16 = new Int16Array(R.buffer);
const A16u = new Uint16Array(A.buffer), B16u = new Uint16Array(B.buffer);
const AF = new Float32Array(A.buffer), BF = new Float32Array(B.buffer), RF = new Float32Array(R.buffer);
const AD = new Float64Array(A.buffer), BD = new Float64Array(B.buffer), RD = new Float64Array(R.buffer);

const MIN_NORMAL32 = 2 ** -126;

/** CRC-32C (Castagnoli, reflected 0x82F63B78) byte table. */
const CRC_TABLE = new Int32Array(256);
for (let n = 0; n < 256; n++) {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
  CRC_TABLE[n] = c;
}

/** Loads the W operand (n bytes of memory, or the whole rm register) into B, zero-filled. */
function src(c: Core, i: number, n: number, align: boolean): void {
  const code = c.code;
  if (code.mem[i]) {
    B[0] = B[1] = B[2] = B[3] = 0;
    const a = c.ea(i);
    if (n === 2) B[0] = c.rd16(a);
    else loadVec(c, a, n, B, align);
  } else {
    const s = 4 * code.rm[i], x = c.xmm;
    B[0] = x[s]; B[1] = x[s + 1]; B[2] = x[s + 2]; B[3] = x[s + 3];
  }
}

function satS16(v: number): number { return v > 32767 ? 32767 : v < -32768 ? -32768 : v; }
function satU16(v: number): number { return v > 65535 ? 65535 : v < 0 ? 0 : v; }

/** Low/high halves of smul. */
let mulLo = 0, mulHi = 0;
/** Signed 32×32 → 64-bit product, exact. */
function smul(a: number, b: number): void {
  const ua = Math.abs(a), ub = Math.abs(b);
  const a0 = ua & 0xffff, a1 = ua >>> 16, b0 = ub & 0xffff, b1 = ub >>> 16;
  const mid = a1 * b0 + a0 * b1 + Math.floor((a0 * b0) / 65536);
  let lo = Math.imul(ua, ub), hi = (a1 * b1 + Math.floor(mid / 65536)) | 0;
  if ((a < 0) !== (b < 0)) {
    hi = (~hi + (lo === 0 ? 1 : 0)) | 0;
    lo = -lo | 0;
  }
  mulLo = lo;
  mulHi = hi;
}

/** Rounds to an integral value in rounding mode 0 nearest-even, 1 down, 2 up, 3 toward zero (sign of zero kept). */
function roundIntegral(v: number, mode: number): number {
  const r = mode === 0 ? roundEven(v) : mode === 1 ? Math.floor(v) : mode === 2 ? Math.ceil(v) : Math.trunc(v);
  return r === 0 && (v < 0 || Object.is(v, -0)) ? -0 : r;
}

/** Rounds lane k of B (float32 or, with dbl, float64) into R; NaNs come out quieted, payload kept. */
function roundLane(k: number, dbl: boolean, mode: number): void {
  if (dbl) {
    const v = BD[k];
    if (Number.isNaN(v)) { R[2 * k] = B[2 * k]; R[2 * k + 1] = B[2 * k + 1] | 0x80000; }
    else RD[k] = roundIntegral(v, mode);
  } else {
    const v = BF[k];
    if (Number.isNaN(v)) R[k] = B[k] | 0x400000;
    else RF[k] = roundIntegral(v, mode);
  }
}

/** Element k of a PCMPxSTRx operand: bytes or words, signed or unsigned (imm8 bits 0-1). */
function elem(v8u: Uint8Array, v8s: Int8Array, v16u: Uint16Array, v16s: Int16Array, k: number, fmt: number): number {
  switch (fmt) {
    case 0: return v8u[k];
    case 1: return v16u[k];
    case 2: return v8s[k];
    default: return v16s[k];
  }
}

/** Explicit string length: |rAX| or |rDX| (64-bit with REX.W), saturated to n. */
function explicitLength(c: Core, r: number, wide: boolean, n: number): number {
  const lo = c.r[2 * r];
  const v = wide ? c.r[2 * r + 1] * 4294967296 + (lo >>> 0) : lo;
  const m = Math.abs(v);
  return m > n ? n : m;
}

function implicitLength(v8: Uint8Array, v16: Uint16Array, words: boolean, n: number): number {
  for (let k = 0; k < n; k++) if ((words ? v16[k] : v8[k]) === 0) return k;
  return n;
}

/** PCMPESTRI/PCMPESTRM/PCMPISTRI/PCMPISTRM (variant = opcode & 3): A = pattern (xmm reg), B = string. */
function pcmpstr(c: Core, i: number, variant: number): void {
  const imm = c.code.imm[i] & 0xff;
  const fmt = imm & 3, words = (imm & 1) !== 0, n = words ? 8 : 16;
  const agg = (imm >> 2) & 3, pol = (imm >> 4) & 3;
  let la: number, lb: number;
  if (variant < 2) {
    const wide = c.code.sz[i] === 8;
    la = explicitLength(c, 0, wide, n);
    lb = explicitLength(c, 2, wide, n);
  } else {
    la = implicitLength(A8, A16u, words, n);
    lb = implicitLength(B8, B16u, words, n);
  }
  let res = 0;
  for (let j = 0; j < n; j++) {
    let bit = 0;
    const bj = elem(B8, B8s, B16u, B16, j, fmt);
    switch (agg) {
      case 0: // equal any
        if (j < lb) for (let k = 0; k < la; k++) if (elem(A8, A8s, A16u, A16, k, fmt) === bj) { bit = 1; break; }
        break;
      case 1: // ranges
        if (j < lb) {
          for (let k = 0; k + 1 < la; k += 2) {
            if (elem(A8, A8s, A16u, A16, k, fmt) <= bj && bj <= elem(A8, A8s, A16u, A16, k + 1, fmt)) { bit = 1; break; }
          }
        }
        break;
      case 2: // equal each
        if (j < la && j < lb) bit = elem(A8, A8s, A16u, A16, j, fmt) === bj ? 1 : 0;
        else bit = j >= la && j >= lb ? 1 : 0;
        break;
      default: // equal ordered
        bit = 1;
        for (let k = 0; k < n - j && k < la; k++) {
          if (j + k >= lb || elem(A8, A8s, A16u, A16, k, fmt) !== elem(B8, B8s, B16u, B16, j + k, fmt)) { bit = 0; break; }
        }
    }
    res |= bit << j;
  }
  const all = (1 << n) - 1;
  if (pol === 1) res = ~res & all;
  else if (pol === 3) res ^= (1 << lb) - 1;
  c.fop = F_NONE;
  c.fbits = (res !== 0 ? RFLAGS_CF : 0) | (lb < n ? RFLAGS_ZF : 0) | (la < n ? RFLAGS_SF : 0) | (res & 1 ? RFLAGS_OF : 0);
  if (variant & 1) {
    const idx = res === 0 ? n : imm & 0x40 ? 31 - Math.clz32(res) : 31 - Math.clz32(res & -res);
    c.setR(1, 4, idx, 0);
    return;
  }
  const x = c.xmm;
  if (imm & 0x40) {
    R[0] = R[1] = R[2] = R[3] = 0;
    for (let k = 0; k < n; k++) {
      if ((res >> k) & 1) {
        if (words) R16[k] = -1;
        else R8[k] = 0xff;
      }
    }
    x[0] = R[0]; x[1] = R[1]; x[2] = R[2]; x[3] = R[3];
  } else {
    x[0] = res; x[1] = x[2] = x[3] = 0;
  }
}

/** DPPS lane product A[k]·B[k] when imm8 selects lane k, else +0. */
function dotProduct(imm: number, k: number, mx: number): number {
  return imm & (0x10 << k) ? fp.arith(FOP.MUL, AF[k], BF[k], mx, true, A[k], B[k]) : 0;
}

function fxsave(c: Core, a: number): void {
  if ((a & 15) !== 0) c.fault(VEC_GP, 0, 0);
  c.wphys(a, 1);
  c.wphys(a + 511, 1); // both pages writable before any byte is written
  c.wr16(a, c.fpuControl);
  c.wr16(a + 2, statusWord(c));
  c.wr16(a + 4, c.fpTag & 0xff); // abridged tag: one valid bit per physical register
  c.wr16(a + 6, 0);
  c.wr64(a + 8, 0, 0);
  c.wr64(a + 16, 0, 0);
  c.wr32(a + 24, c.mxcsr);
  c.wr32(a + 28, 0xffff);
  const w = c.fpx;
  for (let k = 0; k < 8; k++) {
    const p = 3 * ((c.fpTop + k) & 7), o = a + 32 + 16 * k;
    c.wr32(o, w[p]);
    c.wr32(o + 4, w[p + 1]);
    c.wr16(o + 8, w[p + 2]);
    c.wr16(o + 10, 0);
    c.wr32(o + 12, 0);
  }
  const x = c.xmm;
  for (let k = 0; k < 64; k++) c.wr32(a + 160 + 4 * k, x[k]);
}

function fxrstor(c: Core, a: number): void {
  if ((a & 15) !== 0) c.fault(VEC_GP, 0, 0);
  c.rphys(a + 511, 1);
  const mxcsr = c.rd32(a + 24);
  if ((mxcsr & ~0xffff) !== 0) c.fault(VEC_GP, 0, 0);
  c.fpuControl = c.rd16(a);
  const sw = c.rd16(a + 2);
  c.fpuStatus = sw & ~(7 << 11);
  c.fpTop = (sw >> 11) & 7;
  c.fpTag = c.rd8(a + 4);
  const w = c.fpx;
  for (let k = 0; k < 8; k++) {
    const p = 3 * ((c.fpTop + k) & 7), o = a + 32 + 16 * k;
    w[p] = c.rd32(o);
    w[p + 1] = c.rd32(o + 4);
    w[p + 2] = c.rd16(o + 8);
  }
  const x = c.xmm;
  for (let k = 0; k < 64; k++) x[k] = c.rd32(a + 160 + 4 * k);
  c.mxcsr = mxcsr;
}

export function sseExtExec(c: Core, i: number): void {
  const code = c.code, x = c.xmm;
  const op = code.ext[i], e2 = code.ext2[i], imm = code.imm[i] & 0xff;
  const d = 4 * code.rg[i], mx = c.mxcsr;
  fp.begin();
  A[0] = x[d]; A[1] = x[d + 1]; A[2] = x[d + 2]; A[3] = x[d + 3];
  R[0] = A[0]; R[1] = A[1]; R[2] = A[2]; R[3] = A[3];
  switch (op) {
    // Ops with their own operand shapes (they return without the common write-back).
    case SX.FXSAVE: fxsave(c, c.ea(i)); return;
    case SX.FXRSTOR: fxrstor(c, c.ea(i)); return;
    case SX.CRC32: {
      const n = e2 === 0 ? 1 : code.sz[i];
      const a = code.mem[i] ? c.ea(i) : 0;
      let lo = code.mem[i] ? c.readMem(a, n) : c.getR(code.rm[i], n);
      let hi = n === 8 ? c.hi : 0;
      let crc = c.r[2 * code.rg[i]];
      for (let k = 0; k < n; k++) {
        crc = CRC_TABLE[(crc ^ lo) & 0xff] ^ (crc >>> 8);
        lo = (lo >>> 8) | (hi << 24);
        hi >>>= 8;
      }
      c.setR(code.rg[i], 4, crc, 0);
      return;
    }
    case SX.PCMPSTR: src(c, i, 16, false); pcmpstr(c, i, e2); return;
    case SX.PTEST: {
      src(c, i, 16, true);
      const z = ((A[0] & B[0]) | (A[1] & B[1]) | (A[2] & B[2]) | (A[3] & B[3])) === 0;
      const cf = ((~A[0] & B[0]) | (~A[1] & B[1]) | (~A[2] & B[2]) | (~A[3] & B[3])) === 0;
      c.fop = F_NONE;
      c.fbits = (z ? RFLAGS_ZF : 0) | (cf ? RFLAGS_CF : 0);
      return;
    }
    case SX.PEXTRB: case SX.PEXTRW: case SX.PEXTRD: case SX.EXTRACTPS: {
      let n: number, v: number, vh = 0;
      if (op === SX.PEXTRB) { n = 1; v = A8[imm & 15]; }
      else if (op === SX.PEXTRW) { n = 2; v = A16u[imm & 7]; }
      else if (op === SX.PEXTRD && code.sz[i] === 8) { n = 8; v = A[2 * (imm & 1)]; vh = A[2 * (imm & 1) + 1]; }
      else { n = 4; v = A[imm & 3]; }
      if (code.mem[i]) c.writeMem(c.ea(i), n, v, vh);
      else c.setR(code.rm[i], n === 8 ? 8 : 4, v, vh);
      return;
    }
    case SX.MASKMOVDQU: {
      const s = 4 * code.rm[i];
      M[0] = x[s]; M[1] = x[s + 1]; M[2] = x[s + 2]; M[3] = x[s + 3];
      let a = c.reg64(7);
      if (code.fl[i] & FL_A32) a %= 4294967296;
      c.wphys(a, 16); // the whole 16 bytes must be writable (as on AMD, even for an all-zero mask)
      for (let k = 0; k < 16; k++) if (M8[k] & 0x80) c.wr8(a + k, A8[k]);
      return;
    }
    case SX.PINSRB: R8[imm & 15] = code.mem[i] ? c.rd8(c.ea(i)) : c.getR(code.rm[i], 4) & 0xff; break;
    case SX.PINSRD:
      if (code.sz[i] === 8) {
        const lo = code.mem[i] ? c.rd64(c.ea(i)) : c.getR(code.rm[i], 8);
        R[2 * (imm & 1)] = lo;
        R[2 * (imm & 1) + 1] = c.hi;
      } else R[imm & 3] = code.mem[i] ? c.rd32(c.ea(i)) : c.getR(code.rm[i], 4);
      break;
    case SX.INSERTPS:
      src(c, i, 4, false);
      R[(imm >> 4) & 3] = code.mem[i] ? B[0] : B[(imm >> 6) & 3];
      for (let k = 0; k < 4; k++) if (imm & (1 << k)) R[k] = 0;
      break;
    // SSE3.
    case SX.ADDSUBPD:
      src(c, i, 16, true);
      RD[0] = fp.arith(FOP.SUB, AD[0], BD[0], mx, false);
      RD[1] = fp.arith(FOP.ADD, AD[1], BD[1], mx, false);
      break;
    case SX.ADDSUBPS:
      src(c, i, 16, true);
      for (let k = 0; k < 4; k++) RF[k] = fp.arith(k & 1 ? FOP.ADD : FOP.SUB, AF[k], BF[k], mx, true, A[k], B[k]);
      break;
    case SX.HADDPD: case SX.HSUBPD: {
      src(c, i, 16, true);
      const f = op === SX.HADDPD ? FOP.ADD : FOP.SUB;
      RD[0] = fp.arith(f, AD[0], AD[1], mx, false);
      RD[1] = fp.arith(f, BD[0], BD[1], mx, false);
      break;
    }
    case SX.HADDPS: case SX.HSUBPS: {
      src(c, i, 16, true);
      const f = op === SX.HADDPS ? FOP.ADD : FOP.SUB;
      for (let k = 0; k < 4; k++) {
        const v = k < 2 ? AF : BF, w = k < 2 ? A : B, j = 2 * (k & 1);
        RF[k] = fp.arith(f, v[j], v[j + 1], mx, true, w[j], w[j + 1]);
      }
      break;
    }
    case SX.MOVDDUP: src(c, i, 8, false); R[0] = R[2] = B[0]; R[1] = R[3] = B[1]; break;
    case SX.MOVSHDUP: src(c, i, 16, true); R[0] = R[1] = B[1]; R[2] = R[3] = B[3]; break;
    case SX.MOVSLDUP: src(c, i, 16, true); R[0] = R[1] = B[0]; R[2] = R[3] = B[2]; break;
    case SX.LDDQU: src(c, i, 16, false); R.set(B); break;
    case SX.MOVNTDQA: src(c, i, 16, true); R.set(B); break;
    case SX.RCP: case SX.RSQRT: {
      // The hardware result is an approximation (|rel. error| ≤ 1.5·2^-12); we give the correctly rounded value.
      // Like the hardware, denormal inputs count as zero and denormal results flush to zero.
      const single = e2 === FTYPE.SS;
      src(c, i, single ? 4 : 16, !single);
      for (let k = 0; k < (single ? 1 : 4); k++) {
        const v = Math.abs(BF[k]) < MIN_NORMAL32 ? (B[k] < 0 ? -0 : 0) : BF[k];
        const r = op === SX.RCP ? 1 / v : 1 / Math.sqrt(v);
        RF[k] = Math.abs(r) < MIN_NORMAL32 ? (r < 0 ? -0 : 0) : r;
      }
      break;
    }
    // SSSE3.
    case SX.PSHUFB: src(c, i, 16, true); for (let k = 0; k < 16; k++) R8[k] = B8[k] & 0x80 ? 0 : A8[B8[k] & 15]; break;
    case SX.PHADDW: case SX.PHSUBW: case SX.PHADDSW: case SX.PHSUBSW: {
      src(c, i, 16, true);
      const sub = op === SX.PHSUBW || op === SX.PHSUBSW, sat = op === SX.PHADDSW || op === SX.PHSUBSW;
      for (let k = 0; k < 8; k++) {
        const v = k < 4 ? A16 : B16, j = 2 * (k & 3);
        const r = sub ? v[j] - v[j + 1] : v[j] + v[j + 1];
        R16[k] = sat ? satS16(r) : r;
      }
      break;
    }
    case SX.PHADDD: case SX.PHSUBD:
      src(c, i, 16, true);
      for (let k = 0; k < 4; k++) {
        const v = k < 2 ? A : B, j = 2 * (k & 1);
        R[k] = op === SX.PHADDD ? v[j] + v[j + 1] : v[j] - v[j + 1];
      }
      break;
    case SX.PMADDUBSW:
      src(c, i, 16, true);
      for (let k = 0; k < 8; k++) R16[k] = satS16(A8[2 * k] * B8s[2 * k] + A8[2 * k + 1] * B8s[2 * k + 1]);
      break;
    case SX.PSIGNB: src(c, i, 16, true); for (let k = 0; k < 16; k++) R8[k] = B8s[k] < 0 ? -A8[k] : B8s[k] === 0 ? 0 : A8[k]; break;
    case SX.PSIGNW: src(c, i, 16, true); for (let k = 0; k < 8; k++) R16[k] = B16[k] < 0 ? -A16[k] : B16[k] === 0 ? 0 : A16[k]; break;
    case SX.PSIGND: src(c, i, 16, true); for (let k = 0; k < 4; k++) R[k] = B[k] < 0 ? -A[k] : B[k] === 0 ? 0 : A[k]; break;
    case SX.PMULHRSW: src(c, i, 16, true); for (let k = 0; k < 8; k++) R16[k] = (((A16[k] * B16[k]) >> 14) + 1) >> 1; break;
    case SX.PABSB: src(c, i, 16, true); for (let k = 0; k < 16; k++) R8[k] = Math.abs(B8s[k]); break;
    case SX.PABSW: src(c, i, 16, true); for (let k = 0; k < 8; k++) R16[k] = Math.abs(B16[k]); break;
    case SX.PABSD: src(c, i, 16, true); for (let k = 0; k < 4; k++) R[k] = Math.abs(B[k]); break;
    case SX.PALIGNR:
      src(c, i, 16, true);
      for (let k = 0; k < 16; k++) {
        const s = k + imm;
        R8[k] = s < 16 ? B8[s] : s < 32 ? A8[s - 16] : 0;
      }
      break;
    // SSE4.1.
    case SX.PBLENDVB: case SX.BLENDVPS: case SX.BLENDVPD:
      src(c, i, 16, true);
      M[0] = x[0]; M[1] = x[1]; M[2] = x[2]; M[3] = x[3];
      if (op === SX.PBLENDVB) for (let k = 0; k < 16; k++) R8[k] = M8[k] & 0x80 ? B8[k] : A8[k];
      else if (op === SX.BLENDVPS) for (let k = 0; k < 4; k++) R[k] = M[k] < 0 ? B[k] : A[k];
      else for (let k = 0; k < 4; k++) R[k] = M[k | 1] < 0 ? B[k] : A[k];
      break;
    case SX.BLENDPS: src(c, i, 16, true); for (let k = 0; k < 4; k++) if (imm & (1 << k)) R[k] = B[k]; break;
    case SX.BLENDPD: src(c, i, 16, true); for (let k = 0; k < 4; k++) if (imm & (1 << (k >> 1))) R[k] = B[k]; break;
    case SX.PBLENDW: src(c, i, 16, true); for (let k = 0; k < 8; k++) if (imm & (1 << k)) R16[k] = B16[k]; break;
    case SX.PMOVX: {
      const signed = e2 >= 16, sl = (e2 >> 2) & 3, dl = e2 & 3;
      const count = 16 >> dl;
      src(c, i, count << sl, false);
      for (let k = 0; k < count; k++) {
        const v = sl === 0 ? (signed ? B8s[k] : B8[k]) : sl === 1 ? (signed ? B16[k] : B16u[k]) : signed ? B[k] : B[k] >>> 0;
        if (dl === 1) R16[k] = v;
        else if (dl === 2) R[k] = v;
        else { R[2 * k] = v; R[2 * k + 1] = v < 0 ? -1 : 0; }
      }
      break;
    }
    case SX.PMULDQ:
      src(c, i, 16, true);
      for (let k = 0; k < 4; k += 2) { smul(A[k], B[k]); R[k] = mulLo; R[k + 1] = mulHi; }
      break;
    case SX.PMULLD: src(c, i, 16, true); for (let k = 0; k < 4; k++) R[k] = Math.imul(A[k], B[k]); break;
    case SX.PCMPEQQ: case SX.PCMPGTQ:
      src(c, i, 16, true);
      for (let k = 0; k < 4; k += 2) {
        const t = op === SX.PCMPEQQ
          ? A[k] === B[k] && A[k + 1] === B[k + 1]
          : A[k + 1] > B[k + 1] || (A[k + 1] === B[k + 1] && A[k] >>> 0 > B[k] >>> 0);
        R[k] = R[k + 1] = t ? -1 : 0;
      }
      break;
    case SX.PACKUSDW:
      src(c, i, 16, true);
      for (let k = 0; k < 4; k++) { R16[k] = satU16(A[k]); R16[k + 4] = satU16(B[k]); }
      break;
    case SX.PMINSB: src(c, i, 16, true); for (let k = 0; k < 16; k++) R8[k] = Math.min(A8s[k], B8s[k]); break;
    case SX.PMAXSB: src(c, i, 16, true); for (let k = 0; k < 16; k++) R8[k] = Math.max(A8s[k], B8s[k]); break;
    case SX.PMINUW: src(c, i, 16, true); for (let k = 0; k < 8; k++) R16[k] = Math.min(A16u[k], B16u[k]); break;
    case SX.PMAXUW: src(c, i, 16, true); for (let k = 0; k < 8; k++) R16[k] = Math.max(A16u[k], B16u[k]); break;
    case SX.PMINSD: src(c, i, 16, true); for (let k = 0; k < 4; k++) R[k] = Math.min(A[k], B[k]); break;
    case SX.PMAXSD: src(c, i, 16, true); for (let k = 0; k < 4; k++) R[k] = Math.max(A[k], B[k]); break;
    case SX.PMINUD: src(c, i, 16, true); for (let k = 0; k < 4; k++) R[k] = Math.min(A[k] >>> 0, B[k] >>> 0); break;
    case SX.PMAXUD: src(c, i, 16, true); for (let k = 0; k < 4; k++) R[k] = Math.max(A[k] >>> 0, B[k] >>> 0); break;
    case SX.PHMINPOSUW: {
      src(c, i, 16, true);
      let m = 0;
      for (let k = 1; k < 8; k++) if (B16u[k] < B16u[m]) m = k;
      R[0] = B16u[m] | (m << 16); R[1] = R[2] = R[3] = 0;
      break;
    }
    case SX.ROUND: {
      const mode = imm & 4 ? (mx >> 13) & 3 : imm & 3;
      const dbl = e2 === FTYPE.PD || e2 === FTYPE.SD, scalar = e2 === FTYPE.SS || e2 === FTYPE.SD;
      src(c, i, scalar ? (dbl ? 8 : 4) : 16, !scalar);
      const lanes = scalar ? 1 : dbl ? 2 : 4;
      for (let k = 0; k < lanes; k++) {
        const v = dbl ? BD[k] : BF[k];
        if (dbl ? fp.isSNaN64(v) : fp.isSNaN32(B[k])) fp.raise(fp.MX_IE);
        roundLane(k, dbl, mode);
        if (v === v && (dbl ? RD[k] : RF[k]) !== v && !(imm & 8)) fp.raise(fp.MX_PE);
      }
      break;
    }
    case SX.DPPS: {
      src(c, i, 16, true);
      // Products of the selected lanes (others +0), summed pairwise: (p0 + p1) + (p2 + p3), each step rounded.
      const p0 = dotProduct(imm, 0, mx), p1 = dotProduct(imm, 1, mx), p2 = dotProduct(imm, 2, mx), p3 = dotProduct(imm, 3, mx);
      const s = fp.arith(FOP.ADD, fp.arith(FOP.ADD, p0, p1, mx, true), fp.arith(FOP.ADD, p2, p3, mx, true), mx, true);
      for (let k = 0; k < 4; k++) RF[k] = imm & (1 << k) ? s : 0;
      break;
    }
    case SX.DPPD: {
      src(c, i, 16, true);
      const p0 = imm & 0x10 ? fp.arith(FOP.MUL, AD[0], BD[0], mx, false) : 0;
      const p1 = imm & 0x20 ? fp.arith(FOP.MUL, AD[1], BD[1], mx, false) : 0;
      const s = fp.arith(FOP.ADD, p0, p1, mx, false);
      for (let k = 0; k < 2; k++) RD[k] = imm & (1 << k) ? s : 0;
      break;
    }
    case SX.MPSADBW: {
      src(c, i, 16, true);
      const ao = imm & 4, bo = (imm & 3) * 4;
      for (let j = 0; j < 8; j++) {
        let s = 0;
        for (let k = 0; k < 4; k++) s += Math.abs(A8[ao + j + k] - B8[bo + k]);
        R16[j] = s;
      }
      break;
    }
    default:
      throw new Error(`sse4: no handler for sub-op ${op}`);
  }
  fp.commit(c);
  x[d] = R[0]; x[d + 1] = R[1]; x[d + 2] = R[2]; x[d + 3] = R[3];
}
