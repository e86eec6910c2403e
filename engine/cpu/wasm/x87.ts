// The x87 instructions the region compiler emits itself: register moves and exchanges, loads and stores of every
// memory format, the arithmetic, fsqrt, fcomi and the control word, over the registers, stack top and valid bits in
// the CPU's area (layout.ts), with wasm/f80.ts doing the arithmetic and the conversions. What f80.ts must do (a
// special value, another rounding mode or precision) hands the whole instruction to the interpreter, before anything
// changed; so does everything not listed here.

import type { Core } from "../core.ts";
import { ROWS, X, XM } from "../table.ts";
import { MEM_BYTES, T1 } from "../x87.ts";
import { OP, type FunctionBody, type FuncType } from "./encoder.ts";
import { F80_FUNCTIONS, F80_TYPES, INTEGER_BIT, type F80Function } from "./f80.ts";
import { AREA_F80_OUT, AREA_FP_CONTROL, AREA_FP_TAG, AREA_FP_TOP, AREA_FPX } from "./layout.ts";

/** The arithmetic selectors compiled: add, mul, sub, subr, div, divr (2 and 3 are compares). */
const ARITH = new Set([0, 1, 4, 5, 6, 7]);
/** The D9 register forms compiled: fchs, fabs, fld1, fldz, fsqrt. */
const FCHS = 0xe0, FABS = 0xe1, FLD1 = 0xe8, FLDZ = 0xee, FSQRT = 0xfa;

/** The region compiler's side of an x87 instruction: the helpers it shares with its own instructions. */
export interface X87Host {
  readonly f: FunctionBody;
  readonly area: number;
  /** Locals: the stack top and a scratch i32, two scratch i64s. */
  readonly ft: number;
  readonly q: number;
  readonly v: number;
  readonly w: number;
  /** Local the translated physical address lands in (i32). */
  readonly p: number;
  /** Local the effective address lands in (i64). */
  readonly a: number;
  /** The function index of the first f80 import. */
  readonly f80Base: number;
  address(i: number): void;
  translate(i: number, sz: number, write: boolean, n: number): void;
  readE(i: number, sz: number, n: number): void;
  /** Hands slot i to the interpreter and continues after it, when the i32 on the stack is non-zero. */
  handOverIf(i: number, n: number): void;
  /** Records the flags as the RFLAGS bits in the i32 `bits` pushes (a fcomi). */
  setFlagBits(bits: () => void): void;
}

/** The f80 imports a region declares, after its own. */
export const F80_IMPORTS: { name: string; type: FuncType }[] = F80_FUNCTIONS.map((name) => ({ name, type: F80_TYPES[name] }));

function modrmOf(c: Core, i: number): number {
  return 0xc0 | (ROWS[c.code.row[i]].reg << 3) | (c.code.rm[i] & 7);
}

/** 0: left to the interpreter; 1: compiled, never leaves; 2: compiled, may leave at a TLB miss or hand over. */
export function x87Kind(c: Core, i: number): number {
  const code = c.code, e2 = code.ext2[i];
  switch (code.ext[i]) {
    case X.LD_M: case X.ST_M: case X.STP_M: case X.LDCW: case X.STCW: case X.COMI:
      return 2;
    case X.ISTTP_M: return e2 >= XM.I16 ? 2 : 0;
    case X.ARITH_M: return ARITH.has(e2 >> 3) && (e2 & 7) !== XM.F80 ? 2 : 0;
    case X.ARITH_ST0: case X.ARITH_STI: case X.ARITH_STIP: return ARITH.has(e2) ? 2 : 0;
    case X.LD_ST: case X.XCH: case X.ST_ST: case X.STP_ST: return 1;
    case X.SPECIAL: {
      if (e2 !== 0xd9) return 0;
      const modrm = modrmOf(c, i);
      return modrm === FSQRT ? 2 : modrm === FCHS || modrm === FABS || modrm === FLD1 || modrm === FLDZ ? 1 : 0;
    }
  }
  return 0;
}

/** Whether slot i (an x87 instruction x87Kind compiles) sets the arithmetic flags: fcomi and its forms. */
export function x87SetsFlags(c: Core, i: number): boolean {
  return c.code.ext[i] === X.COMI;
}

/** Emits x87 slot i, n instructions of its block having retired before it. */
export function emitX87(h: X87Host, c: Core, i: number, n: number): void {
  const code = c.code, f = h.f, op = code.ext[i], e2 = code.ext2[i], sti = code.rm[i] & 7, area = h.area;
  const call = (name: F80Function): void => { f.call(h.f80Base + F80_FUNCTIONS.indexOf(name)); };
  /** The byte address of ST(k), or with k = -1 of the register a push fills. */
  const st = (k: number): void => {
    f.get(h.ft);
    if (k !== 0) f.i32(k & 7).op(OP.i32_add).i32(7).op(OP.i32_and);
    f.i32(12).op(OP.i32_mul).i32(area + AREA_FPX).op(OP.i32_add);
  };
  const scratch = (): void => { f.i32(area + AREA_FPX + 4 * T1); };
  const setTop = (value: () => void): void => {
    value();
    f.set(h.ft);
    f.i32(0).get(h.ft).mem(OP.i32_store, area + AREA_FP_TOP);
  };
  /** Valid bits |= (or with clear, &= ~) the bit of physical register (top + k) & 7. */
  const tag = (k: number, clear: boolean): void => {
    f.i32(0);
    f.i32(0).mem(OP.i32_load, area + AREA_FP_TAG);
    f.i32(1).get(h.ft);
    if (k !== 0) f.i32(k).op(OP.i32_add).i32(7).op(OP.i32_and);
    f.op(OP.i32_shl);
    if (clear) f.i32(-1).op(OP.i32_xor).op(OP.i32_and); else f.op(OP.i32_or);
    f.mem(OP.i32_store, area + AREA_FP_TAG);
  };
  const push = (): void => { setTop(() => f.get(h.ft).i32(7).op(OP.i32_add).i32(7).op(OP.i32_and)); tag(0, false); };
  const pop = (): void => { tag(0, true); setTop(() => f.get(h.ft).i32(1).op(OP.i32_add).i32(7).op(OP.i32_and)); };
  /** Copies the 10 bytes at the address `from` pushes to the one `to` pushes. */
  const copy = (to: () => void, from: () => void): void => {
    to(); from(); f.mem(OP.i64_load, 0).mem(OP.i64_store, 0);
    to(); from(); f.mem(OP.i32_load16_u, 8).mem(OP.i32_store16, 8);
  };
  const declined = (): void => { f.op(OP.i32_eqz); h.handOverIf(i, n); };
  /** Converts the memory operand of `kind` into the f80 at the address `to` pushes (TLB first, then f80.ts's cases handed over). */
  const load = (kind: number, to: () => void): void => {
    if (kind === XM.F80) {
      h.address(i);
      f.set(h.a);
      h.translate(i, 10, false, n);
      copy(to, () => f.get(h.p));
      return;
    }
    h.readE(i, MEM_BYTES[kind], n);
    if (kind === XM.I16) f.op(OP.i64_extend16_s);
    else if (kind === XM.I32) f.op(OP.i64_extend32_s);
    f.set(h.v);
    to();
    f.get(h.v);
    if (kind === XM.F32 || kind === XM.F64) {
      call(kind === XM.F32 ? "f80fromF32" : "f80fromF64");
      declined();
    } else call("f80fromInt");
  };
  /** dst = a op b for the arithmetic selector, the operands' addresses pushed by the callbacks. */
  const arith = (sel: number, d: () => void, a: () => void, b: () => void): void => {
    d();
    if (sel === 5 || sel === 7) { b(); a(); } else { a(); b(); }
    if (sel === 1) call("f80mul");
    else if (sel >= 6) call("f80div");
    else { f.i32(sel >= 4 ? 1 : 0); call("f80add"); }
    declined();
  };
  switch (op) {
    case X.LD_M:
      f.i32(0).mem(OP.i32_load, area + AREA_FP_TOP).set(h.ft);
      load(e2, () => st(-1));
      push();
      return;
    case X.ST_M: case X.STP_M: case X.ISTTP_M: {
      const bytes = MEM_BYTES[e2];
      h.address(i);
      f.set(h.a);
      h.translate(i, bytes, true, n);
      f.i32(0).mem(OP.i32_load, area + AREA_FP_TOP).set(h.ft);
      if (e2 === XM.F80) copy(() => f.get(h.p), () => st(0));
      else {
        st(0);
        if (e2 === XM.F32 || e2 === XM.F64) call(e2 === XM.F32 ? "f80toF32" : "f80toF64");
        else { f.i32(bytes).i32(op === X.ISTTP_M ? 1 : 0); call("f80toInt"); }
        declined();
        f.get(h.p).i32(0).mem(OP.i64_load, area + AREA_F80_OUT);
        f.mem(bytes === 8 ? OP.i64_store : bytes === 4 ? OP.i64_store32 : OP.i64_store16, 0);
      }
      if (op !== X.ST_M) pop();
      return;
    }
    case X.ARITH_M:
      load(e2 & 7, scratch);
      f.i32(0).mem(OP.i32_load, area + AREA_FP_TOP).set(h.ft);
      arith(e2 >> 3, () => st(0), () => st(0), scratch);
      return;
    case X.LDCW:
      h.readE(i, 2, n);
      f.set(h.v);
      f.i32(0).get(h.v).op(OP.i32_wrap_i64).mem(OP.i32_store, area + AREA_FP_CONTROL);
      return;
    case X.STCW:
      h.address(i);
      f.set(h.a);
      h.translate(i, 2, true, n);
      f.get(h.p).i32(0).mem(OP.i32_load, area + AREA_FP_CONTROL).mem(OP.i32_store16, 0);
      return;
  }
  f.i32(0).mem(OP.i32_load, area + AREA_FP_TOP).set(h.ft);
  switch (op) {
    case X.ARITH_ST0: arith(e2, () => st(0), () => st(0), () => st(sti)); return;
    case X.ARITH_STI: case X.ARITH_STIP:
      arith(e2, () => st(sti), () => st(sti), () => st(0));
      if (op === X.ARITH_STIP) pop();
      return;
    case X.COMI:
      st(0); st(sti); call("f80compare");
      f.tee(h.q).i32(-1).op(OP.i32_eq);
      h.handOverIf(i, n);
      h.setFlagBits(() => f.get(h.q));
      if (e2 === 1) pop();
      return;
    case X.LD_ST: copy(() => st(-1), () => st(sti)); push(); return;
    case X.XCH:
      st(0); f.mem(OP.i64_load, 0).set(h.v);
      st(sti); f.mem(OP.i64_load, 0).set(h.w);
      st(0); f.get(h.w).mem(OP.i64_store, 0);
      st(sti); f.get(h.v).mem(OP.i64_store, 0);
      st(0); f.mem(OP.i32_load16_u, 8).set(h.q);
      st(0); st(sti); f.mem(OP.i32_load16_u, 8).mem(OP.i32_store16, 8);
      st(sti); f.get(h.q).mem(OP.i32_store16, 8);
      return;
    case X.ST_ST: case X.STP_ST:
      copy(() => st(sti), () => st(0));
      tag(sti, false);
      if (op === X.STP_ST) pop();
      return;
  }
  // The D9 register forms.
  const modrm = modrmOf(c, i);
  if (modrm === FSQRT) { st(0); st(0); call("f80sqrt"); declined(); return; }
  if (modrm === FCHS || modrm === FABS) {
    st(0); st(0); f.mem(OP.i32_load16_u, 8);
    if (modrm === FCHS) f.i32(0x8000).op(OP.i32_xor); else f.i32(0x7fff).op(OP.i32_and);
    f.mem(OP.i32_store16, 8);
    return;
  }
  st(-1); f.i64(modrm === FLD1 ? INTEGER_BIT : 0).mem(OP.i64_store, 0);
  st(-1); f.i32(modrm === FLD1 ? 0x3fff : 0).mem(OP.i32_store16, 8);
  push();
}
