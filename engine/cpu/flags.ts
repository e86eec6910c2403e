// Lazy arithmetic flags: instructions record (kind, size, operands, result); CF/PF/AF/ZF/SF/OF are computed
// only when something reads them. Conditional branches after cmp/test take fast paths that never build RFLAGS.

import { RFLAGS_AF, RFLAGS_CF, RFLAGS_OF, RFLAGS_PF, RFLAGS_SF, RFLAGS_ZF } from "./state.ts";

/** Kinds of the last flag-setting operation. */
export const F_NONE = 0; // flags live in fbits
export const F_ADD = 1; // r = a + b + fcin
export const F_SUB = 2; // r = a - b - fcin
export const F_LOGIC = 3; // CF = OF = AF = 0
export const F_INC = 4; // add with b = 1, CF = fcin (preserved)
export const F_DEC = 5; // sub with b = 1, CF = fcin
export const F_RES = 6; // CF, OF, AF in fbits; SF, ZF, PF from the result

export const ARITH_MASK = RFLAGS_CF | RFLAGS_PF | RFLAGS_AF | RFLAGS_ZF | RFLAGS_SF | RFLAGS_OF;

/** The lazy flag record; the interpreter core holds these fields. Sizes < 8 keep values masked to size. */
export interface FlagState {
  fop: number;
  fsz: number;
  fa: number;
  fah: number;
  fb: number;
  fbh: number;
  fr: number;
  frh: number;
  fcin: number;
  fbits: number;
}

const PARITY = new Uint8Array(256);
for (let i = 0; i < 256; i++) {
  let p = 1;
  for (let b = i; b; b >>= 1) p ^= b & 1;
  PARITY[i] = p ? RFLAGS_PF : 0;
}

function signOf(f: FlagState, lo: number, hi: number): boolean {
  const sz = f.fsz;
  return sz === 8 ? hi < 0 : sz === 4 ? lo < 0 : sz === 2 ? (lo & 0x8000) !== 0 : (lo & 0x80) !== 0;
}

function ult(f: FlagState, a: number, ah: number, b: number, bh: number): boolean {
  if (f.fsz === 8 && ah !== bh) return ah >>> 0 < bh >>> 0;
  return a >>> 0 < b >>> 0;
}

/** CF of the recorded operation. */
export function carry(f: FlagState): boolean {
  switch (f.fop) {
    case F_NONE: case F_RES: return (f.fbits & RFLAGS_CF) !== 0;
    case F_ADD:
      return ult(f, f.fr, f.frh, f.fa, f.fah) || (f.fcin !== 0 && f.fr === f.fa && f.frh === f.fah);
    case F_SUB:
      return ult(f, f.fa, f.fah, f.fb, f.fbh) || (f.fcin !== 0 && f.fa === f.fb && f.fah === f.fbh);
    case F_INC: case F_DEC: return f.fcin !== 0;
    default: return false;
  }
}

function overflow(f: FlagState): boolean {
  switch (f.fop) {
    case F_NONE: case F_RES: return (f.fbits & RFLAGS_OF) !== 0;
    case F_ADD: case F_INC:
      return signOf(f, (f.fa ^ f.fr) & (f.fb ^ f.fr), (f.fah ^ f.frh) & (f.fbh ^ f.frh));
    case F_SUB: case F_DEC:
      return signOf(f, (f.fa ^ f.fb) & (f.fa ^ f.fr), (f.fah ^ f.fbh) & (f.fah ^ f.frh));
    default: return false;
  }
}

/** The six arithmetic flags in their RFLAGS bit positions. */
export function materialize(f: FlagState): number {
  const op = f.fop;
  if (op === F_NONE) return f.fbits;
  let bits = 0;
  if (f.fr === 0 && f.frh === 0) bits |= RFLAGS_ZF;
  if (signOf(f, f.fr, f.frh)) bits |= RFLAGS_SF;
  bits |= PARITY[f.fr & 0xff];
  if (op === F_RES) return bits | (f.fbits & (RFLAGS_CF | RFLAGS_OF | RFLAGS_AF));
  if (carry(f)) bits |= RFLAGS_CF;
  if (overflow(f)) bits |= RFLAGS_OF;
  if (op !== F_LOGIC) bits |= (f.fa ^ f.fb ^ f.fr) & RFLAGS_AF;
  return bits;
}

function signExtend(v: number, sz: number): number {
  return sz === 1 ? (v << 24) >> 24 : sz === 2 ? (v << 16) >> 16 : v | 0;
}

/** Evaluates condition code cc (the low nibble of Jcc/SETcc/CMOVcc). */
export function condition(f: FlagState, cc: number): boolean {
  const op = f.fop;
  if (op === F_SUB && f.fcin === 0) {
    // cmp a, b: compare the operands directly, computing only what this condition needs.
    const a = f.fa, b = f.fb, sz = f.fsz;
    switch (cc) {
      case 4: return a === b && (sz !== 8 || f.fah === f.fbh);
      case 5: return a !== b || (sz === 8 && f.fah !== f.fbh);
      case 2: case 3: case 6: case 7: {
        // unsigned: below / above-or-equal / below-or-equal / above
        let lt: boolean, eq: boolean;
        if (sz === 8 && f.fah !== f.fbh) {
          lt = f.fah >>> 0 < f.fbh >>> 0;
          eq = false;
        } else {
          lt = a >>> 0 < b >>> 0;
          eq = a === b;
        }
        return cc === 2 ? lt : cc === 3 ? !lt : cc === 6 ? lt || eq : !lt && !eq;
      }
      case 12: case 13: case 14: case 15: {
        let lt: boolean, eq: boolean;
        if (sz === 8) {
          if (f.fah !== f.fbh) {
            lt = f.fah < f.fbh;
            eq = false;
          } else {
            lt = a >>> 0 < b >>> 0;
            eq = a === b;
          }
        } else {
          const sa = signExtend(a, sz), sb = signExtend(b, sz);
          lt = sa < sb;
          eq = sa === sb;
        }
        return cc === 12 ? lt : cc === 13 ? !lt : cc === 14 ? lt || eq : !lt && !eq;
      }
    }
  } else if (op === F_LOGIC) {
    const zf = f.fr === 0 && f.frh === 0;
    const sf = signOf(f, f.fr, f.frh);
    switch (cc) {
      case 0: return false;
      case 1: return true;
      case 2: return false;
      case 3: return true;
      case 4: return zf;
      case 5: return !zf;
      case 6: return zf;
      case 7: return !zf;
      case 8: case 12: return sf;
      case 9: case 13: return !sf;
      case 14: return zf || sf;
      case 15: return !zf && !sf;
    }
  } else if (op !== F_NONE && (cc === 4 || cc === 5)) {
    return (f.fr === 0 && f.frh === 0) === (cc === 4);
  }
  const bits = materialize(f);
  let r: boolean;
  switch (cc >> 1) {
    case 0: r = (bits & RFLAGS_OF) !== 0; break;
    case 1: r = (bits & RFLAGS_CF) !== 0; break;
    case 2: r = (bits & RFLAGS_ZF) !== 0; break;
    case 3: r = (bits & (RFLAGS_CF | RFLAGS_ZF)) !== 0; break;
    case 4: r = (bits & RFLAGS_SF) !== 0; break;
    case 5: r = (bits & RFLAGS_PF) !== 0; break;
    case 6: r = ((bits & RFLAGS_SF) !== 0) !== ((bits & RFLAGS_OF) !== 0); break;
    default: r = (bits & RFLAGS_ZF) !== 0 || ((bits & RFLAGS_SF) !== 0) !== ((bits & RFLAGS_OF) !== 0); break;
  }
  return (cc & 1) === 0 ? r : !r;
}
