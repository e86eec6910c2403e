// Region compiler: turns a hot decoded block and the executed blocks it reaches by direct branches on its page into one
// JavaScript function (new Function) with a dispatcher for internal jumps; operands, sizes and addresses folded in,
// cmp+jcc fused, dead lazy-flag stores dropped. Rare uops call Core.execSlow.

import { blockLength, type BlockFn, type Core } from "./core.ts";
import { USER_LIMIT } from "../memory/address-space.ts";
import { ALU_TEST, HIGH_BYTE, NO_REG, FL_A32, FL_FS, FL_GS, FL_REP, FL_REPNE } from "./decoder.ts";
import { condition, F_ADD, F_LOGIC, F_RES, F_SUB } from "./flags.ts";
import { ROWS, TERMINATORS, U, X } from "./table.ts";
import {
  compareCC, compareFlags, copy, exchange, loadOperand, push as fpush, registerFormExists, storeOperand, T1, x87Exec,
} from "./x87.ts";
import * as f80 from "./f80.ts";

const HELPERS = {
  condition, x87Exec, compareCC, compareFlags, copy, exchange, loadOperand, fpush, storeOperand,
  setControl: f80.setControl, add: f80.add, mul: f80.mul, div: f80.div, sqrt: f80.sqrt, constant: f80.constant,
};

/** Uops that neither read nor write the arithmetic flags. */
const FLAG_NEUTRAL = new Set<number>([
  U.NOP, U.MOV_EG, U.MOV_GE, U.MOV_EI, U.LEA, U.MOVZX, U.MOVSX, U.MOV_RR64, U.MOV_RR32, U.MOV_RI, U.LD64, U.LD32,
  U.ST64, U.ST32, U.PUSH_R64, U.POP_R64, U.JMP, U.CALL, U.END,
]);
/** Uops with a compiled template; everything else goes through Core.execSlow. */
const COMPILED = new Set<number>([
  ...FLAG_NEUTRAL, U.ALU_EG, U.ALU_GE, U.ALU_EI, U.TEST_EG, U.TEST_EI, U.INC, U.DEC, U.SHIFT_EI, U.SHIFT_ECL,
  U.IMUL_GE, U.IMUL_GEI, U.CMOV, U.SETCC, U.JCC, U.JMP_E, U.CALL_E, U.RET, U.ALU_RR64, U.ALU_RR32, U.ALU_RI64,
  U.ALU_RI32, U.MOVS, U.STOS,
]);
const IS_TERMINATOR = new Set<number>(TERMINATORS);

function lo32(r: number): string {
  return `R[${2 * r}]`;
}

/** Expression for the low part of register r at size sz (byte registers 16..19 = AH..BH). */
function regGet(r: number, sz: number): string {
  if (sz === 8 || sz === 4) return `R[${2 * r}]`;
  if (sz === 2) return `(R[${2 * r}] & 65535)`;
  return r < HIGH_BYTE ? `(R[${2 * r}] & 255)` : `((R[${2 * (r - HIGH_BYTE)}] >> 8) & 255)`;
}

function regGetHi(r: number, sz: number): string {
  return sz === 8 ? `R[${2 * r + 1}]` : "0";
}

function regSet(r: number, sz: number, lo: string, hi: string): string {
  if (sz === 8) return `R[${2 * r}] = ${lo}; R[${2 * r + 1}] = ${hi};`;
  if (sz === 4) return `R[${2 * r}] = ${lo}; R[${2 * r + 1}] = 0;`;
  if (sz === 2) return `R[${2 * r}] = (R[${2 * r}] & -65536) | (${lo} & 65535);`;
  if (r < HIGH_BYTE) return `R[${2 * r}] = (R[${2 * r}] & -256) | (${lo} & 255);`;
  const k = 2 * (r - HIGH_BYTE);
  return `R[${k}] = (R[${k}] & -65281) | ((${lo} & 255) << 8);`;
}

/** Effective-address expression of slot i (same arithmetic as Core.ea). */
function addr(c: Core, i: number): string {
  const code = c.code;
  let e = String(code.disp[i]);
  const b = code.rm[i], x = code.ix[i], f = code.fl[i];
  if (b !== NO_REG) e += ` + R[${2 * b + 1}] * 4294967296 + (R[${2 * b}] >>> 0)`;
  if (x !== NO_REG) e += ` + (R[${2 * x + 1}] * 4294967296 + (R[${2 * x}] >>> 0)) * ${code.sc[i]}`;
  if (f & FL_A32) e = `((${e}) >>> 0)`;
  if (f & FL_FS) e = `${e} + c.fsBase`;
  else if (f & FL_GS) e = `${e} + c.gsBase`;
  if (x === NO_REG) return e;
  // A sum outside the user range may have lost bits (a scaled index beyond 2^53): recompute it modulo 2^64.
  const base = b !== NO_REG ? `R[${2 * b}], R[${2 * b + 1}]` : "0, 0";
  return `(a = ${e}, a >= 0 && a < ${USER_LIMIT} ? a : c.wrappedEa(${code.disp[i]}, ${base}, R[${2 * x}], R[${2 * x + 1}], ${code.sc[i]}, ${f}))`;
}

/** Loads sz bytes at the address in local `a` into locals v (and vh for 8 bytes), TLB inline. */
function load(sz: number): string {
  if (sz === 8) {
    return "o = a & 4095; t = (a >>> 12) & 255; " +
      "if (rtag[t] === a - o && o <= 4088) { p = rbase[t] + o; v = dv.getInt32(p, true); vh = dv.getInt32(p + 4, true); } " +
      "else { v = c.rd64(a); vh = c.hi; }";
  }
  if (sz === 4) {
    return "o = a & 4095; t = (a >>> 12) & 255; " +
      "v = rtag[t] === a - o && o <= 4092 ? dv.getInt32(rbase[t] + o, true) : c.rd32(a); vh = 0;";
  }
  if (sz === 2) {
    return "o = a & 4095; t = (a >>> 12) & 255; " +
      "v = rtag[t] === a - o && o <= 4094 ? dv.getUint16(rbase[t] + o, true) : c.rd16(a); vh = 0;";
  }
  return "o = a & 4095; t = (a >>> 12) & 255; v = rtag[t] === a - o ? mem[rbase[t] + o] : c.rd8(a); vh = 0;";
}

/** Stores lo/hi expressions at local `a`; the slow path may hit code, so it checks for self-modification. */
function store(sz: number, lo: string, hi: string, smc: string): string {
  if (sz === 8) {
    return "o = a & 4095; t = (a >>> 12) & 255; " +
      `if (wtag[t] === a - o && o <= 4088) { p = wbase[t] + o; dv.setInt32(p, ${lo}, true); dv.setInt32(p + 4, ${hi}, true); } ` +
      `else { c.wr64(a, ${lo}, ${hi}); ${smc} }`;
  }
  if (sz === 4) {
    return "o = a & 4095; t = (a >>> 12) & 255; " +
      `if (wtag[t] === a - o && o <= 4092) dv.setInt32(wbase[t] + o, ${lo}, true); else { c.wr32(a, ${lo}); ${smc} }`;
  }
  if (sz === 2) {
    return "o = a & 4095; t = (a >>> 12) & 255; " +
      `if (wtag[t] === a - o && o <= 4094) dv.setUint16(wbase[t] + o, ${lo}, true); else { c.wr16(a, ${lo}); ${smc} }`;
  }
  return `o = a & 4095; t = (a >>> 12) & 255; if (wtag[t] === a - o) mem[wbase[t] + o] = ${lo}; else { c.wr8(a, ${lo}); ${smc} }`;
}

/** push of a 64-bit value (expressions evaluated before RSP moves); RSP changes only once the store succeeded. */
function push(lo: string, hi: string, smc: string): string {
  return `v = ${lo}; vh = ${hi}; x = (R[8] >>> 0) - 8; r = x < 0 ? (R[9] - 1) | 0 : R[9]; a = r * 4294967296 + (x >>> 0); ` +
    `${store(8, "v", "vh", "")} R[8] = x | 0; R[9] = r; ${smc}`;
}

/** pop of a 64-bit value into v/vh; RSP moves after the load succeeded. */
function pop(): string {
  return `a = R[9] * 4294967296 + (R[8] >>> 0); ${load(8)} x = (R[8] >>> 0) + 8; R[8] = x | 0; if (x >= 4294967296) R[9] = (R[9] + 1) | 0;`;
}

/** What the fused condition of a following jcc/setcc/cmovcc may use (set by inline ALU templates). */
interface Fuse {
  kind: number; // F_ADD, F_SUB (cmp/sub) or F_LOGIC
  sz: number;
}

function fusedCondition(f: Fuse | null, cc: number): string | null {
  if (f === null) return null;
  const sz = f.sz, wide = sz === 8;
  const zero = wide ? "(fr | frh) === 0" : "fr === 0";
  const sign = wide ? "frh < 0" : sz === 4 ? "fr < 0" : `(fr & ${sz === 2 ? 0x8000 : 0x80}) !== 0`;
  if (cc === 4) return zero;
  if (cc === 5) return `!(${zero})`;
  if (cc === 8) return sign;
  if (cc === 9) return `!(${sign})`;
  if (f.kind === F_LOGIC) {
    switch (cc) {
      case 0: case 2: return "false";
      case 1: case 3: return "true";
      case 6: return zero;
      case 7: return `!(${zero})`;
      case 12: return sign;
      case 13: return `!(${sign})`;
      case 14: return `(${zero} || ${sign})`;
      case 15: return `!(${zero} || ${sign})`;
    }
    return null;
  }
  if (f.kind !== F_SUB) return null;
  const ext = (v: string): string => (sz === 1 ? `((${v} << 24) >> 24)` : sz === 2 ? `((${v} << 16) >> 16)` : v);
  const ltu = wide ? "((fah >>> 0) < (fbh >>> 0) || (fah === fbh && (fa >>> 0) < (fb >>> 0)))" : "((fa >>> 0) < (fb >>> 0))";
  const lts = wide ? "(fah < fbh || (fah === fbh && (fa >>> 0) < (fb >>> 0)))" : `(${ext("fa")} < ${ext("fb")})`;
  const eq = wide ? "(fa === fb && fah === fbh)" : "(fa === fb)";
  switch (cc) {
    case 2: return ltu;
    case 3: return `!${ltu}`;
    case 6: return `(${ltu} || ${eq})`;
    case 7: return `!(${ltu} || ${eq})`;
    case 12: return lts;
    case 13: return `!${lts}`;
    case 14: return `(${lts} || ${eq})`;
    case 15: return `!(${lts} || ${eq})`;
  }
  return null;
}

/** Whether slot i overwrites all six arithmetic flags without reading them. */
function writesAllFlags(c: Core, i: number): boolean {
  const code = c.code, op = code.op[i], e = code.ext[i];
  switch (op) {
    case U.ALU_EG: case U.ALU_GE: case U.ALU_EI: case U.ALU_RR64: case U.ALU_RR32: case U.ALU_RI64: case U.ALU_RI32:
      return e !== 2 && e !== 3;
    case U.TEST_EG: case U.TEST_EI: case U.IMUL_GE: case U.IMUL_GEI:
      return true;
    case U.SHIFT_EI:
      return e >= 4 && (code.imm[i] & (code.sz[i] === 8 ? 63 : 31)) !== 0;
  }
  return false;
}

function mayFault(c: Core, i: number): boolean {
  const op = c.code.op[i];
  return c.code.mem[i] !== 0 || !COMPILED.has(op) || op === U.PUSH_R64 || op === U.POP_R64 || op === U.CALL ||
    op === U.CALL_E || op === U.RET || op === U.LD64 || op === U.LD32 || op === U.ST64 || op === U.ST32 ||
    op === U.MOVS || op === U.STOS;
}

/** Adds the direction-flag step (local x) to register r's 64-bit value. */
function advance(r: number): string {
  return `p = (R[${2 * r}] >>> 0) + x; R[${2 * r}] = p | 0; if (p >= 4294967296) R[${2 * r + 1}]++; else if (p < 0) R[${2 * r + 1}]--;`;
}

/**
 * shl/shr/sar of register d by a constant non-zero count n (32 or 64 bits): result in fr/frh, CF and OF in
 * local x (as RFLAGS bits).
 */
function shiftConst(op: number, d: number, sz: number, n: number): string {
  const shl = op === 4 || op === 6, sar = op === 7;
  if (sz === 4) {
    const r = shl ? `v << ${n}` : sar ? `v >> ${n}` : `v >>> ${n}`;
    const cf = shl ? `(v >>> ${32 - n}) & 1` : sar ? `(v >> ${n - 1}) & 1` : `(v >>> ${n - 1}) & 1`;
    const of = shl ? "((fr >>> 31) ^ x)" : sar ? "0" : "(v >>> 31)";
    return `v = R[${2 * d}]; fr = (${r}) | 0; frh = 0; x = ${cf}; x = x | ((${of}) << 11); R[${2 * d}] = fr; R[${2 * d + 1}] = 0;`;
  }
  let code = `v = R[${2 * d}]; vh = R[${2 * d + 1}]; `;
  if (shl) {
    const k = 64 - n; // index of the last bit shifted out
    code += `x = ${k >= 32 ? `(vh >>> ${k - 32}) & 1` : `(v >>> ${k}) & 1`}; `;
    if (n < 32) code += `frh = (vh << ${n}) | (v >>> ${32 - n}); fr = v << ${n};`;
    else code += `frh = ${n === 32 ? "v" : `v << ${n - 32}`}; fr = 0;`;
    code += " x = x | (((frh >>> 31) ^ x) << 11);";
  } else {
    const k = n - 1;
    code += `x = ${k >= 32 ? `(vh >>> ${k - 32}) & 1` : `(v >>> ${k}) & 1`}; `;
    if (n < 32) code += `fr = (v >>> ${n}) | (vh << ${32 - n}); frh = vh ${sar ? ">>" : ">>>"} ${n};`;
    else code += `fr = ${n === 32 ? "vh" : `vh ${sar ? ">>" : ">>>"} ${n - 32}`}; frh = ${sar ? "vh >> 31" : "0"};`;
    if (!sar) code += " x = x | ((vh >>> 31) << 11);";
  }
  return code + ` fr |= 0; frh |= 0; R[${2 * d}] = fr; R[${2 * d + 1}] = frh;`;
}

const SCRATCH = "let a = 0, o = 0, t = 0, p = 0, v = 0, vh = 0, x = 0, r = 0, lo = 0, hi = 0, fa = 0, fb = 0, fah = 0, fbh = 0, fr = 0, frh = 0, ft = 0;";

/** Compiles the region whose blocks (entry first) regionBlocks chose. */
export function compileRegion(c: Core, blocks: number[]): BlockFn {
  const code = c.code;
  const index = new Map<number, number>(blocks.map((s, k) => [code.rip[s], k]));
  // Leaving a block for a known address: stay in the function while budget remains and the block trace (if one is
  // recorded) takes the entry, as the dispatch loop would (cpu.ts run).
  // A block jumping to itself loops in its own labelled loop (a natural loop V8 optimises as such); other jumps go
  // through the dispatcher.
  const goFrom = (self: number) => (rip: number): string => {
    const k = index.get(rip);
    if (k === undefined) return `c.rip = ${rip}; return -1;`;
    return `if (c.icount < c.runLimit && c.traceBlock(${rip})) { ${k === self ? `continue b${k};` : `b = ${k}; continue dispatch;`} } c.rip = ${rip}; return -1;`;
  };
  const jump = (target: string): string => blocks.length === 1 ? `c.rip = ${target}; return -1;` :
    `c.rip = ${target}; if (c.icount < c.runLimit) { b = enter(c.rip); if (b >= 0 && c.traceBlock(c.rip)) continue dispatch; } return -1;`;
  // Scratch locals are declared per block, so none lives across the dispatcher's back edge (a loop phi mixing
  // int32, double and tagged values would make V8 box every double).
  const cases = blocks.map((s, k) => `case ${k}: b${k}: for (;;) {
    kf = ${s};
    ${SCRATCH}
    ${blockCode(c, s, goFrom(k), jump).join("\n    ")}
    }`);
  const entries = blocks.map((s, k) => `case ${code.rip[s]}: return ${k};`).join(" ");
  const body = `"use strict";
function enter(rip) { switch (rip) { ${entries} } return -1; }
return function region_${code.rip[blocks[0]].toString(16)}(c, R, dv) {
  const rtag = c.rtag, rbase = c.rbase, wtag = c.wtag, wbase = c.wbase, mem = c.mem;
  let k = 0, kf = 0, b = 0;
  try {
    dispatch: for (;;) switch (b) {
    ${cases.join("\n    ")}
    }
  } catch (e) {
    c.faultSlot = k;
    c.faultFirst = kf;
    throw e;
  }
};`;
  c.jitCodeBytes += body.length;
  return new Function("H", body)(HELPERS) as BlockFn;
}

/** Statements of one block; go(rip) leaves it for a known address, jump(expression) for a computed one. */
function blockCode(c: Core, first: number, go: (rip: number) => string, jump: (target: string) => string): string[] {
  const code = c.code;
  const n = blockLength(c, first);
  // Backward pass: are the flags produced by slot k observable (read, visible at a fault, or live out)?
  const needFlags = new Array<boolean>(n);
  let live = true;
  for (let k = n - 1; k >= 0; k--) {
    const i = first + k;
    needFlags[k] = live;
    if (writesAllFlags(c, i)) live = false;
    if (!FLAG_NEUTRAL.has(code.op[i]) && !writesAllFlags(c, i)) live = true;
    if (mayFault(c, i)) live = true;
  }
  const out: string[] = [];
  let fuse: Fuse | null = null;
  let retired = 0;
  for (let k = 0; k < n; k++) {
    const i = first + k;
    const op = code.op[i], sz = code.sz[i], ext = code.ext[i], rg = code.rg[i], rm = code.rm[i];
    const mem = code.mem[i] !== 0;
    const next = code.rip[i] + code.len[i];
    const isEnd = op === U.END || op === U.SMC_EXIT;
    if (!isEnd) retired++;
    const done = `c.icount += ${retired};`;
    const smc = `if (c.smc) { c.smc = false; c.rip = ${next}; c.icount += ${retired}; return -1; }`;
    out.push(`k = ${i};`);
    const flags = (kind: number, size: number, withInputs: boolean, cin: boolean): string =>
      !needFlags[k] ? "" :
      `c.fop = ${kind}; c.fsz = ${size}; c.fr = fr; c.frh = ${size === 8 ? "frh" : "0"};` +
      (withInputs ? ` c.fa = fa; c.fb = fb;${size === 8 ? " c.fah = fah; c.fbh = fbh;" : ""}` : "") +
      (cin ? " c.fcin = 0;" : "");
    // Inline ALU (add, or, and, sub, xor, cmp, test) on operand expressions: result in fr (frh), lazy flags stored
    // when observable, and the fusion state for a following jcc/setcc/cmovcc. adc/sbb go through Core.alu.
    const aluValues = (aop: number, aLo: string, aHi: string, bLo: string, bHi: string, size: number): string => {
      const wide = size === 8;
      const m = size === 1 ? " & 255" : size === 2 ? " & 65535" : "";
      let s: string;
      if (wide) {
        s = `fa = ${aLo}; fah = ${aHi}; fb = ${bLo}; fbh = ${bHi}; `;
        switch (aop) {
          case 0: s += "x = (fa >>> 0) + (fb >>> 0); fr = x | 0; frh = (fah + fbh + (x >= 4294967296 ? 1 : 0)) | 0;"; break;
          case 5: case 7: s += "x = (fa >>> 0) - (fb >>> 0); fr = x | 0; frh = (fah - fbh - (x < 0 ? 1 : 0)) | 0;"; break;
          case 1: s += "fr = fa | fb; frh = fah | fbh;"; break;
          case 6: s += "fr = fa ^ fb; frh = fah ^ fbh;"; break;
          default: s += "fr = fa & fb; frh = fah & fbh;"; break;
        }
      } else {
        s = m ? `fa = (${aLo})${m}; fb = (${bLo})${m}; ` : `fa = ${aLo}; fb = ${bLo}; `;
        switch (aop) {
          case 0: s += m ? `fr = (fa + fb)${m};` : "fr = (fa + fb) | 0;"; break;
          case 5: case 7: s += m ? `fr = (fa - fb)${m};` : "fr = (fa - fb) | 0;"; break;
          case 1: s += "fr = fa | fb;"; break;
          case 6: s += "fr = fa ^ fb;"; break;
          default: s += "fr = fa & fb;"; break;
        }
      }
      const kind = aop === 0 ? F_ADD : aop === 5 || aop === 7 ? F_SUB : F_LOGIC;
      fuse = { kind, sz: size };
      return s + " " + flags(kind, size, kind !== F_LOGIC, kind !== F_LOGIC);
    };
    const aluInline = (d: number, bLo: string, bHi: string, wide: boolean): string => {
      if (ext === 2 || ext === 3) {
        fuse = null;
        return wide ? `c.aluReg64(${ext}, ${2 * d}, ${bLo}, ${bHi});` : `c.aluReg32(${ext}, ${2 * d}, ${bLo});`;
      }
      const code = aluValues(ext, `R[${2 * d}]`, wide ? `R[${2 * d + 1}]` : "0", bLo, bHi, wide ? 8 : 4);
      if (ext === 7 || ext === ALU_TEST) return code;
      return code + (wide ? ` R[${2 * d}] = fr; R[${2 * d + 1}] = frh;` : ` R[${2 * d}] = fr; R[${2 * d + 1}] = 0;`);
    };
    const cond = (cc: number): string => fusedCondition(fuse, cc) ?? `H.condition(c, ${cc})`;
    const loadE = (size: number): string =>
      mem ? `a = ${addr(c, i)}; ${load(size)}` : `v = ${regGet(rm, size)}; vh = ${regGetHi(rm, size)};`;
    if (!FLAG_NEUTRAL.has(op) && op !== U.CMOV && op !== U.SETCC && op !== U.JCC) fuse = null;
    switch (op) {
      case U.NOP: break;
      case U.MOV_RR64: out.push(`R[${2 * rm}] = R[${2 * rg}]; R[${2 * rm + 1}] = R[${2 * rg + 1}];`); break;
      case U.MOV_RR32: out.push(`R[${2 * rm}] = R[${2 * rg}]; R[${2 * rm + 1}] = 0;`); break;
      case U.MOV_RI: out.push(`R[${2 * rm}] = ${code.imm[i]}; R[${2 * rm + 1}] = ${code.immh[i]};`); break;
      case U.LD64: case U.LD32: case U.MOV_GE: {
        const size = op === U.LD64 ? 8 : op === U.LD32 ? 4 : sz;
        if (op === U.MOV_GE && !mem) out.push(regSet(rg, sz, regGet(rm, sz), regGetHi(rm, sz)));
        else out.push(`a = ${addr(c, i)}; ${load(size)} ${regSet(rg, size, "v", "vh")}`);
        break;
      }
      case U.ST64: case U.ST32: case U.MOV_EG: {
        const size = op === U.ST64 ? 8 : op === U.ST32 ? 4 : sz;
        if (op === U.MOV_EG && !mem) out.push(regSet(rm, sz, regGet(rg, sz), regGetHi(rg, sz)));
        else out.push(`a = ${addr(c, i)}; ${store(size, regGet(rg, size), regGetHi(rg, size), smc)}`);
        break;
      }
      case U.MOV_EI:
        if (mem) out.push(`a = ${addr(c, i)}; ${store(sz, String(code.imm[i]), String(code.immh[i]), smc)}`);
        else out.push(regSet(rm, sz, String(code.imm[i]), String(code.immh[i])));
        break;
      case U.ALU_RR64: out.push(aluInline(rm, lo32(rg), `R[${2 * rg + 1}]`, true)); break;
      case U.ALU_RR32: out.push(aluInline(rm, lo32(rg), "0", false)); break;
      case U.ALU_RI64: out.push(aluInline(rm, String(code.imm[i]), String(code.immh[i]), true)); break;
      case U.ALU_RI32: out.push(aluInline(rm, String(code.imm[i]), "0", false)); break;
      case U.ALU_EG: case U.ALU_GE: case U.ALU_EI: case U.TEST_EG: case U.TEST_EI: {
        const aop = op === U.TEST_EG || op === U.TEST_EI ? ALU_TEST : ext;
        const writes = aop !== 7 && aop !== ALU_TEST;
        const [b, bh] = op === U.ALU_EI || op === U.TEST_EI ? [String(code.imm[i]), String(code.immh[i])] :
          [regGet(rg, sz), regGetHi(rg, sz)];
        const rh = sz === 8 ? "frh" : "0";
        if (aop === 2 || aop === 3) {
          // adc/sbb read CF: the generic path.
          if (op === U.ALU_GE) out.push(`${loadE(sz)} r = c.alu(${aop}, ${sz}, ${b}, ${bh}, v, vh); ${regSet(rg, sz, "r", "c.hi")}`);
          else if (mem) out.push(`a = ${addr(c, i)}; v = c.rmwLoad(a, ${sz}); vh = c.hi; r = c.alu(${aop}, ${sz}, v, vh, ${b}, ${bh}); c.rmwStore(a, ${sz}, r, c.hi); ${smc}`);
          else out.push(`${loadE(sz)} r = c.alu(${aop}, ${sz}, v, vh, ${b}, ${bh}); ${regSet(rm, sz, "r", "c.hi")}`);
        } else if (op === U.ALU_GE) {
          out.push(`${loadE(sz)} ${aluValues(aop, b, bh, "v", "vh", sz)}${writes ? " " + regSet(rg, sz, "fr", rh) : ""}`);
        } else if (mem && writes) {
          out.push(`a = ${addr(c, i)}; v = c.rmwLoad(a, ${sz}); vh = c.hi; ${aluValues(aop, "v", "vh", b, bh, sz)} c.rmwStore(a, ${sz}, fr, ${rh}); ${smc}`);
        } else {
          out.push(`${loadE(sz)} ${aluValues(aop, "v", "vh", b, bh, sz)}${writes ? " " + regSet(rm, sz, "fr", rh) : ""}`);
        }
        break;
      }
      case U.LEA: {
        const d = code.disp[i];
        out.push(`lo = ${d % 4294967296 | 0}; hi = ${Math.floor(d / 4294967296) | 0};`);
        if (rm !== NO_REG) {
          out.push(`x = (lo >>> 0) + (R[${2 * rm}] >>> 0); lo = x | 0; hi = (hi + R[${2 * rm + 1}] + (x >= 4294967296 ? 1 : 0)) | 0;`);
        }
        const ix = code.ix[i];
        if (ix !== NO_REG) {
          const sh = [0, 0, 1, 0, 2, 0, 0, 0, 3][code.sc[i]];
          const xl = sh ? `(R[${2 * ix}] << ${sh})` : `R[${2 * ix}]`;
          const xh = sh ? `((R[${2 * ix + 1}] << ${sh}) | (R[${2 * ix}] >>> ${32 - sh}))` : `R[${2 * ix + 1}]`;
          out.push(`x = (lo >>> 0) + (${xl} >>> 0); lo = x | 0; hi = (hi + ${xh} + (x >= 4294967296 ? 1 : 0)) | 0;`);
        }
        if (code.fl[i] & FL_A32) out.push("hi = 0;");
        out.push(regSet(rg, sz, "lo", "hi"));
        break;
      }
      case U.MOVZX: case U.MOVSX: {
        out.push(loadE(ext));
        const v = op === U.MOVZX ? "v" : ext === 1 ? "((v << 24) >> 24)" : ext === 2 ? "((v << 16) >> 16)" : "(v | 0)";
        out.push(`v = ${v}; ${regSet(rg, sz, "v", op === U.MOVZX ? "0" : "(v >> 31)")}`);
        break;
      }
      case U.SHIFT_EI: case U.SHIFT_ECL:
      case U.INC: case U.DEC: {
        const count = code.imm[i] & (sz === 8 ? 63 : 31);
        if (op === U.SHIFT_EI && !mem && (sz === 4 || sz === 8) && ext >= 4 && count !== 0) {
          out.push(shiftConst(ext, rm, sz, count));
          if (needFlags[k]) out.push(`c.fop = ${F_RES}; c.fsz = ${sz}; c.fr = fr; c.frh = frh; c.fbits = x;`);
          fuse = { kind: F_RES, sz };
          break;
        }
        const call = op === U.INC || op === U.DEC ? `c.incdec(${op === U.DEC}, ${sz}, v, vh)` :
          `c.shift(${ext}, ${sz}, v, vh, ${op === U.SHIFT_EI ? code.imm[i] : "R[2]"})`;
        if (mem) out.push(`a = ${addr(c, i)}; v = c.rmwLoad(a, ${sz}); vh = c.hi; r = ${call}; c.rmwStore(a, ${sz}, r, c.hi); ${smc}`);
        else out.push(`${loadE(sz)} r = ${call}; ${regSet(rm, sz, "r", "c.hi")}`);
        break;
      }
      case U.IMUL_GE: case U.IMUL_GEI:
        out.push(loadE(sz));
        out.push(op === U.IMUL_GE ? `r = c.imul(${sz}, ${regGet(rg, sz)}, ${regGetHi(rg, sz)}, v, vh);` :
          `r = c.imul(${sz}, v, vh, ${code.imm[i]}, ${code.immh[i]});`);
        out.push(regSet(rg, sz, "r", "c.hi"));
        break;
      case U.CMOV:
        out.push(loadE(sz));
        out.push(`if (${cond(ext)}) { ${regSet(rg, sz, "v", "vh")} }${sz === 4 ? ` else R[${2 * rg + 1}] = 0;` : ""}`);
        break;
      case U.SETCC:
        if (mem) out.push(`a = ${addr(c, i)}; c.wr8(a, ${cond(ext)} ? 1 : 0); ${smc}`);
        else out.push(regSet(rm, 1, `(${cond(ext)} ? 1 : 0)`, "0"));
        break;
      case U.PUSH_R64: out.push(push(`R[${2 * rm}]`, `R[${2 * rm + 1}]`, smc)); break;
      case U.POP_R64: out.push(`${pop()} R[${2 * rm}] = v; R[${2 * rm + 1}] = vh;`); break;
      case U.JCC:
        out.push(`${done} if (${cond(ext)}) { ${go(code.disp[i])} } ${go(next)}`);
        break;
      case U.JMP:
        out.push(`${done} ${go(code.disp[i])}`);
        break;
      case U.CALL:
        // A push that hit code on this page leaves the region: the target block may be stale.
        out.push(`${push(String(next % 4294967296 | 0), String(Math.floor(next / 4294967296)), "")} ${done} ` +
          `if (c.smc) { c.smc = false; c.rip = ${code.disp[i]}; return -1; } ${go(code.disp[i])}`);
        break;
      case U.JMP_E: case U.CALL_E:
        out.push(mem ? `a = ${addr(c, i)}; v = c.rd64(a); vh = c.hi;` : `v = R[${2 * rm}]; vh = R[${2 * rm + 1}];`);
        if (op === U.CALL_E) out.push(`lo = v; hi = vh; ${push(String(next % 4294967296 | 0), String(Math.floor(next / 4294967296)), "")} v = lo; vh = hi;`);
        out.push(`${done} ${op === U.CALL_E ? "if (c.smc) { c.smc = false; c.rip = (vh >>> 0) * 4294967296 + (v >>> 0); return -1; }" : ""} ${jump("(vh >>> 0) * 4294967296 + (v >>> 0)")}`);
        break;
      case U.RET:
        out.push(pop());
        if (code.imm[i] !== 0) out.push(`c.setReg64(4, c.reg64(4) + ${code.imm[i]});`);
        out.push(`${done} ${jump("(vh >>> 0) * 4294967296 + (v >>> 0)")}`);
        break;
      case U.MOVS: case U.STOS:
        if ((code.fl[i] & (FL_REP | FL_REPNE | FL_A32 | FL_FS | FL_GS)) !== 0) {
          out.push(`c.execSlow(${i}); ${smc}`);
          break;
        }
        if (op === U.MOVS) out.push(`a = R[13] * 4294967296 + (R[12] >>> 0); ${load(sz)}`);
        else out.push(`v = ${regGet(0, sz)}; vh = ${regGetHi(0, sz)};`);
        out.push(`a = R[15] * 4294967296 + (R[14] >>> 0); ${store(sz, "v", "vh", "")}`);
        out.push(`x = c.rfOther & 1024 ? ${-sz} : ${sz}; ${op === U.MOVS ? advance(6) : ""} ${advance(7)} ${smc}`);
        break;
      case U.END:
        out.push(`${done} ${go(code.rip[i])}`);
        break;
      case U.SMC_EXIT:
        out.push(`${done} c.rip = ${code.rip[i]}; return -1;`);
        break;
      case U.X87:
        out.push(x87Code(c, i, smc));
        break;
      default:
        if (IS_TERMINATOR.has(op)) out.push(`x = c.execSlow(${i}); ${done} return x === -2 ? -1 : x;`);
        else out.push(`c.execSlow(${i}); ${smc}`);
    }
  }
  return out;
}

/** Word offset in c.fpx of ST(k), the stack top read into local ft. */
function fpReg(k: number): string {
  return k === 0 ? "3 * ft" : `3 * ((ft + ${k}) & 7)`;
}

/** f80 call for the x87 arithmetic selector op (0 add, 1 mul, 4 sub, 5 subr, 6 div, 7 divr): w[d] = w[a] op w[b]. */
function x87Arith(op: number, d: string, a: string, b: string): string {
  switch (op) {
    case 0: return `H.add(c.fpx, ${d}, ${a}, ${b}, false);`;
    case 1: return `H.mul(c.fpx, ${d}, ${a}, ${b});`;
    case 4: return `H.add(c.fpx, ${d}, ${a}, ${b}, true);`;
    case 5: return `H.add(c.fpx, ${d}, ${b}, ${a}, true);`;
    case 6: return `H.div(c.fpx, ${d}, ${a}, ${b});`;
  }
  return `H.div(c.fpx, ${d}, ${b}, ${a});`;
}

const X87_POP = "c.fpTag &= ~(1 << ft); c.fpTop = (ft + 1) & 7;";

/**
 * The x87 slot i with its form decoded now: the stack top read once into local ft, f80 operations called on the
 * physical registers' word offsets, memory operands through loadOperand/storeOperand (small code: TurboFan's time
 * for a large region grows quickly with its size); rare forms call x87Exec. Each form changes x87 state only after
 * its memory access succeeded, as x87Exec does (a fault leaves it as it was).
 */
function x87Code(c: Core, i: number, smc: string): string {
  const code = c.code;
  const op = code.ext[i], e2 = code.ext2[i], sti = code.rm[i] & 7;
  const top = "ft = c.fpTop;", control = "H.setControl(c.fpuControl);";
  switch (op) {
    case X.LD_M: return `H.loadOperand(c, ${i}, ${e2}); H.fpush(c, ${T1});`;
    case X.ST_M: case X.STP_M: case X.ISTTP_M:
      return `${top} ${control} H.storeOperand(c, ${i}, ${e2}, 3 * ft, ${op === X.ISTTP_M}); ${op === X.ST_M ? "" : X87_POP} ${smc}`;
    case X.ARITH_M:
      return `H.loadOperand(c, ${i}, ${e2 & 7}); ${top} ${control} ${x87Arith(e2 >> 3, "3 * ft", "3 * ft", String(T1))}`;
    case X.COM_M:
      return `H.loadOperand(c, ${i}, ${e2 & 7}); ${top} H.compareCC(c, 3 * ft, ${T1}); ${e2 >> 3 === 3 ? X87_POP : ""}`;
    case X.ARITH_ST0: return `${top} ${control} ${x87Arith(e2, "3 * ft", "3 * ft", fpReg(sti))}`;
    case X.ARITH_STI: case X.ARITH_STIP:
      return `${top} ${control} ${x87Arith(e2, fpReg(sti), fpReg(sti), "3 * ft")} ${op === X.ARITH_STIP ? X87_POP : ""}`;
    case X.COM_ST: {
      if (!registerFormExists(op, e2, 0xc0 | sti)) break;
      const pops = e2 & 3;
      return `${top} H.compareCC(c, 3 * ft, ${fpReg((e2 & 4) !== 0 ? 1 : sti)});` +
        (pops === 0 ? "" : pops === 1 ? ` ${X87_POP}` : " c.fpTag &= ~(1 << ft | 1 << ((ft + 1) & 7)); c.fpTop = (ft + 2) & 7;");
    }
    case X.COMI: return `${top} H.compareFlags(c, 3 * ft, ${fpReg(sti)}); ${e2 === 1 ? X87_POP : ""}`;
    case X.LD_ST: return `${top} H.fpush(c, ${fpReg(sti)});`;
    case X.XCH: return `${top} H.exchange(c.fpx, 3 * ft, ${fpReg(sti)});`;
    case X.ST_ST: case X.STP_ST:
      return `${top} H.copy(c.fpx, ${fpReg(sti)}, 3 * ft); c.fpTag |= 1 << ((ft + ${sti}) & 7); ${op === X.STP_ST ? X87_POP : ""}`;
    case X.SPECIAL: {
      const modrm = 0xc0 | (ROWS[code.row[i]].reg << 3) | sti;
      if (e2 !== 0xd9) break;
      if (modrm === 0xe0) return "c.fpx[3 * c.fpTop + 2] ^= 32768;"; // fchs
      if (modrm === 0xe1) return "c.fpx[3 * c.fpTop + 2] &= 32767;"; // fabs
      if (modrm === 0xfa) return `${top} ${control} H.sqrt(c.fpx, 3 * ft, 3 * ft);`;
      if (modrm >= 0xe8 && modrm <= 0xee) {
        return `ft = (c.fpTop - 1) & 7; ${control} H.constant(c.fpx, 3 * ft, ${modrm - 0xe8}); c.fpTop = ft; c.fpTag |= 1 << ft;`;
      }
      break;
    }
  }
  return `H.x87Exec(c, ${i}); ${smc}`;
}
