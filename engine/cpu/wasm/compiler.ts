// Region compiler to WebAssembly: the blocks regionBlocks chose become one function with the guest registers in i64
// locals, a br_table dispatcher for jumps back (forward ones branch directly), the TLB and guest RAM read from the
// shared memory, lazy flags in locals. Whatever it does not compile is one call out to the interpreter for that slot; a
// TLB miss leaves the region, and the interpreter runs the rest of the block.

import { blockLength, type BlockFn, type Core } from "../core.ts";
import { ALU_TEST, FL_A32, FL_FS, FL_GS, FL_REP, FL_REPNE, HIGH_BYTE, NO_REG } from "../decoder.ts";
import { F_ADD, F_DEC, F_INC, F_LOGIC, F_NONE, F_RES, F_SUB } from "../flags.ts";
import { RFLAGS_CF, RFLAGS_OF, RFLAGS_ZF } from "../state.ts";
import { FOP, FTYPE, S, TERMINATORS, U } from "../table.ts";
import { PERM_X } from "../../memory/address-space.ts";
import { PAGE_SIZE } from "../../memory/frames.ts";
import { buildModule, F64, FunctionBody, I32, I64, OP } from "./encoder.ts";
import {
  AREA_DF, AREA_EXIT_COUNT, AREA_EXIT_LEFT, AREA_EXIT_RIP, AREA_FSBASE, AREA_GSBASE, AREA_MXCSR, AREA_RBASE, AREA_REGS,
  AREA_RTAG, AREA_WBASE, AREA_WTAG, AREA_XMM,
  FLAG_FA, FLAG_FB, FLAG_FBITS, FLAG_FCIN, FLAG_FOP, FLAG_FR, FLAG_FSZ,
} from "./layout.ts";
import { emitTraceAppend, FLAGS_TYPE, LEFT_IN_INTERPRETER, MISSED_AT, RegionRuntime, RUN_TYPE } from "./runtime.ts";
import { emitX87, F80_IMPORTS, x87Kind, x87SetsFlags, type X87Host } from "./x87.ts";
import { emitMultiply128 } from "./f80.ts";

const IS_TERMINATOR = new Set<number>(TERMINATORS);

// Locals: parameters (segment to enter, instruction budget), then scratch.
const SEG = 0, BUDGET = 1, CNT = 2, RET = 3, T = 4, P = 5, REG0 = 6, A = 22, V = 23, W = 24, X = 25, Y = 26;
const FA = 27, FB = 28, FR = 29;
/**
 * The lazy flag record (layout.ts AREA_FLAGS) in locals: loaded on entry, stored on exit and around calls to the
 * interpreter, so a flag write that a later one overwrites costs nothing and a condition reads its operands in
 * registers.
 */
const LF_A = 30, LF_B = 31, LF_R = 32, LF_OP = 33, LF_SZ = 34, LF_CIN = 35, LF_BITS = 36;
/** The block trace's write offset (layout.ts AREA_TRACE_AT) at a block entry. */
const TRACE_AT = 37;
/** The x87 stack top while an x87 instruction runs, and a scratch i32 (wasm/x87.ts). */
const FT = 38, FQ = 39;
/** One more scratch i64 (the one-operand multiply). */
const Z = 40;
const LOCALS: [number, number][] = [[4, I32], [21, I64], [3, F64], [3, I64], [7, I32], [1, I64]];
/** The record's locals and where each lies in the area, with the loads and stores that move it. */
const LAZY_FLAGS: [number, number, number, number][] = [
  [LF_OP, FLAG_FOP, OP.i32_load, OP.i32_store], [LF_SZ, FLAG_FSZ, OP.i32_load, OP.i32_store],
  [LF_A, FLAG_FA, OP.i64_load, OP.i64_store], [LF_B, FLAG_FB, OP.i64_load, OP.i64_store],
  [LF_R, FLAG_FR, OP.i64_load, OP.i64_store], [LF_CIN, FLAG_FCIN, OP.i32_load, OP.i32_store],
  [LF_BITS, FLAG_FBITS, OP.i32_load, OP.i32_store],
];
/** The smallest normal double and float: results and operands at least this large (or zero) raise nothing but PE. */
const MIN_NORMAL64 = 2 ** -1022, MIN_NORMAL32 = 2 ** -126;
/**
 * Imported helpers (RegionRuntime.imports): CF of the lazy flag record passed in its locals' order (LAZY_FLAGS);
 * interpret one slot (registers and flags stored), returning 0 to go on with the next instruction or 1 to leave; the
 * six arithmetic flags of the record as RFLAGS bits.
 */
const IMPORT_CARRY = 0, IMPORT_STEP = 1, IMPORT_MATERIALIZE = 2;
/** Moves a full block-trace ring into the trace (RegionRuntime.takeTrace): 1 when the ring has room again, else 0. */
const IMPORT_TRACE_FULL = 3;
/** The f80 functions (wasm/f80.ts) follow. */
const IMPORT_F80 = 4;

/** Regions where more than one instruction and this share would leave for the interpreter stay JavaScript. */
const MAX_INTERPRETED_SHARE = 0.25;

/** The registers in a bit mask, in order. */
function registerList(mask: number): number[] {
  const list: number[] = [];
  for (let r = 0; r < 16; r++) if ((mask & (1 << r)) !== 0) list.push(r);
  return list;
}

/** What the lazy flags hold at a point of a block, as far as the compiler knows: kind and size, or null. */
interface FlagSource { kind: number; sz: number }

const MASKS = [0, 0xff, 0xffff, 0, 0xffffffff, 0, 0, 0, 0];
/** Lazy-flag kind of each ALU operation (add or adc sbb and sub xor cmp test); adc/sbb also record CF in fcin. */
const ALU_KIND = [F_ADD, F_LOGIC, F_ADD, F_SUB, F_LOGIC, F_SUB, F_LOGIC, F_SUB, F_LOGIC];

function aluExt(c: Core, i: number): number {
  const op = c.code.op[i];
  return op === U.TEST_EG || op === U.TEST_EI ? ALU_TEST : c.code.ext[i];
}

function isAlu(op: number): boolean {
  return op === U.ALU_EG || op === U.ALU_GE || op === U.ALU_EI || op === U.TEST_EG || op === U.TEST_EI ||
    op === U.ALU_RR64 || op === U.ALU_RR32 || op === U.ALU_RI64 || op === U.ALU_RI32;
}

/**
 * The SSE forms compiled (none touches RFLAGS): register moves and logic, movsd/movss/movq loads and stores, cvtsi2sd of a
 * 32-bit integer (always exact), and the scalar add/sub/mul/div (sd and ss), whose result is kept when nothing but the
 * already-set PE flag could arise under round-to-nearest (the interpreter's own fast path), else interpreted.
 * 0: not compiled, 1: compiled, 2: compiled with a hand-over (a TLB miss leaves, or a case for the interpreter).
 */
function sseKind(c: Core, i: number): number {
  const code = c.code, mem = code.mem[i] !== 0;
  switch (code.ext[i]) {
    case S.MOVA_LD: case S.MOVU_LD: case S.MOVA_ST: case S.MOVU_ST:
      return mem ? 2 : 1;
    case S.PXOR: case S.POR: case S.PAND: case S.PANDN:
      return mem ? 0 : 1;
    case S.MOVSD_LD: case S.MOVQ_LD: case S.MOVSD_ST: case S.MOVQ_ST: case S.MOVSS_LD: case S.MOVSS_ST:
      return mem ? 2 : 1;
    case S.CVTSI2SD:
      return code.sz[i] !== 4 ? 0 : mem ? 2 : 1;
    case S.FARITH: {
      const fop = code.ext2[i] >> 2;
      const scalar = (code.ext2[i] & 3) === FTYPE.SD || (code.ext2[i] & 3) === FTYPE.SS;
      return scalar && (fop === FOP.ADD || fop === FOP.SUB || fop === FOP.MUL || fop === FOP.DIV) ? 2 : 0;
    }
  }
  return 0;
}

function shiftCount(c: Core, i: number): number {
  return c.code.imm[i] & (c.code.sz[i] === 8 ? 63 : 31);
}

/** The flag source slot i leaves behind (compiled or interpreted alike), given the one before it. */
function flagsAfter(c: Core, i: number, before: FlagSource | null): FlagSource | null {
  const code = c.code, op = code.op[i], sz = code.sz[i];
  if (isAlu(op)) {
    const e = aluExt(c, i);
    // adc/sbb leave a carry-in the inline conditions do not model.
    return e === 2 || e === 3 ? null : { kind: ALU_KIND[e], sz };
  }
  switch (op) {
    case U.NOP: case U.MOV_EG: case U.MOV_GE: case U.MOV_EI: case U.LEA: case U.MOVZX: case U.MOVSX: case U.MOV_RR64:
    case U.MOV_RR32: case U.MOV_RI: case U.LD64: case U.LD32: case U.ST64: case U.ST32: case U.PUSH_R64: case U.POP_R64:
    case U.JMP: case U.CALL: case U.END: case U.CMOV: case U.SETCC: case U.JCC: case U.NOT: case U.JMP_E: case U.CALL_E:
    case U.RET: case U.PUSH_I: case U.PUSH_E: case U.MOVS: case U.STOS: case U.XCHG:
      return before;
    case U.BSF: case U.BSR: case U.TZCNT: case U.LZCNT: case U.POPCNT: return { kind: F_NONE, sz };
    case U.SSE: return sseKind(c, i) !== 0 ? before : null;
    case U.X87: return x87Kind(c, i) === 0 ? null : x87SetsFlags(c, i) ? { kind: F_NONE, sz: 4 } : before;
    case U.NEG: return { kind: F_SUB, sz };
    case U.INC: return { kind: F_INC, sz };
    case U.DEC: return { kind: F_DEC, sz };
    case U.IMUL_GE: case U.IMUL_GEI: case U.MUL1: case U.IMUL1: return { kind: F_RES, sz };
    case U.SHIFT_EI: {
      if (shiftCount(c, i) === 0) return before;
      const e = code.ext[i];
      return e >= 4 ? { kind: F_RES, sz } : e <= 1 ? { kind: F_NONE, sz } : null;
    }
  }
  return null;
}

/** Whether slot i sets all six arithmetic flags without reading them. */
function writesAllFlags(c: Core, i: number): boolean {
  const op = c.code.op[i];
  if (isAlu(op)) return ALU_KIND[aluExt(c, i)] >= 0;
  if (op === U.NEG || op === U.IMUL_GE || op === U.IMUL_GEI || op === U.MUL1 || op === U.IMUL1 || op === U.POPCNT) return true;
  if (op === U.X87) return x87Kind(c, i) !== 0 && x87SetsFlags(c, i);
  return op === U.SHIFT_EI && c.code.ext[i] >= 4 && shiftCount(c, i) !== 0;
}

/** Whether slot i cannot change the flags (so later readers see the flags from before it). */
function flagNeutral(c: Core, i: number): boolean {
  const s = { kind: -7, sz: 0 };
  return flagsAfter(c, i, s) === s;
}

/** Whether slot i reads the flags (conditions, inc/dec's CF, rotates' untouched flags, anything unknown). */
function readsFlags(c: Core, i: number): boolean {
  const op = c.code.op[i];
  if (isAlu(op) && (aluExt(c, i) === 2 || aluExt(c, i) === 3)) return true;
  return op === U.JCC || op === U.SETCC || op === U.CMOV || !(flagNeutral(c, i) || writesAllFlags(c, i));
}

/** Which flag each condition needs: OF CF ZF (CF|ZF) SF PF (SF^OF) (ZF|SF^OF), negated for odd cc. */
type Flag = "of" | "cf" | "zf" | "sf" | "pf";

/** Most blocks in one WebAssembly region (regionBlocks follows them across pages). */
export const MAX_WASM_BLOCKS = 32;

/**
 * Compiles one region: an entry function per block (blocks[k] enters at k); null when WebAssembly would not pay
 * (mostly uncompiled instructions) or is unavailable. An entry that cannot run the region runs what
 * `blockFallback(first)` compiles for its block instead (cpu.ts chooses).
 */
export function compileWasmRegion(c: Core, blocks: number[], blockFallback: (first: number) => BlockFn): BlockFn[] | null {
  const memory = c.frames.memory;
  if (memory === null || c.area < 0) return null;
  const runtime = c.regionRuntime instanceof RegionRuntime ? c.regionRuntime : (c.regionRuntime = new RegionRuntime(c, memory));
  return new RegionCompiler(c, blocks, runtime, blockFallback).build();
}

class RegionCompiler implements X87Host {
  readonly f = new FunctionBody();
  private readonly code;
  readonly area: number;
  readonly ft = FT;
  readonly q = FQ;
  readonly v = V;
  readonly w = W;
  readonly p = P;
  readonly a = A;
  readonly f80Base = IMPORT_F80;
  /** Block start rip → segment, and slot of an instruction handed to the interpreter → segment resuming after it. */
  private readonly starts = new Map<number, number>();
  /** Block starts that follow a call in the region: where its returns usually go. */
  private readonly returnSites = new Set<number>();
  private exitLevel = 0;
  private loopLevel = 0;
  /**
   * Per block, the level of the construct whose end its code follows: the code of every earlier block lies inside
   * it, so a jump forward is a plain branch there; only a jump back goes through the dispatcher's br_table.
   */
  private readonly levels: number[] = [];
  /** The block around an SSE or x87 instruction: a case for the interpreter interprets it and continues after it. */
  private insnLevel = 0;
  /** First slot of the block being emitted, its index in the region and the level of the loop around it. */
  private first = 0;
  private current = 0;
  private selfLevel = 0;
  /** Per slot of the current block: compiled (1 pure, 2 may exit at a TLB miss) or 0 (interpreted). */
  private kinds: number[] = [];
  private needFlags: boolean[] = [];
  private sources: (FlagSource | null)[] = [];
  /**
   * Whether a block trace was recorded when the region was compiled: only then does it append to the trace (the
   * core drops its regions when that changes, Core.matchTraceMode).
   */
  private readonly traced: boolean;
  /** Whether an x87 instruction is compiled (the region imports the f80 functions). */
  private x87 = false;
  /** Registers the compiled instructions use: loaded on entry, stored on exit (the others stay in the area). */
  private used: number[] = [];

  constructor(
    private readonly c: Core,
    private readonly blocks: number[],
    private readonly runtime: RegionRuntime,
    private readonly blockFallback: (first: number) => BlockFn,
  ) {
    this.code = c.code;
    this.area = c.area;
    this.traced = c.blockTrace !== null;
  }

  build(): BlockFn[] | null {
    const c = this.c, code = this.code, f = this.f;
    let total = 0, interpreted = 0;
    let used = 0;
    this.blocks.forEach((first, k) => {
      if (!this.starts.has(code.rip[first])) this.starts.set(code.rip[first], k);
    });
    for (const first of this.blocks) {
      const last = first + blockLength(c, first) - 1, op = code.op[last];
      const site = code.rip[last] + code.len[last];
      if ((op === U.CALL || op === U.CALL_E) && this.starts.has(site)) this.returnSites.add(site);
    }
    for (const first of this.blocks) {
      const n = blockLength(c, first);
      this.analyse(first, n);
      for (let k = 0; k < n; k++) {
        if (code.op[first + k] === U.SMC_EXIT) return null;
        if (code.op[first + k] !== U.END) total++;
        if (this.kinds[k] === 0) interpreted++;
        else {
          used |= this.registersOf(first + k);
          if (code.op[first + k] === U.X87) this.x87 = true;
        }
      }
    }
    this.used = registerList(used);
    if (interpreted > 1 + total * MAX_INTERPRETED_SHARE || this.kindOf(this.blocks[0]) === 0) return null;

    this.reload();
    this.flagsIn();
    this.exitLevel = f.open(OP.block);
    this.loopLevel = f.open(OP.loop);
    const levels = this.levels;
    for (let k = this.blocks.length - 1; k >= 0; k--) levels[k] = f.open(OP.block);
    f.get(SEG);
    f.brTable(levels, levels[0]);
    this.blocks.forEach((first, k) => {
      f.end();
      this.analyse(first, blockLength(c, first));
      this.block(first, k);
    });
    f.end(); // loop
    f.end(); // exit block
    this.spill();
    this.flagsOut();
    // The retired count goes to what the interpreter has yet to add, the budget left to dispatch.
    f.i32(0).i32(0).mem(OP.i32_load, this.area + AREA_EXIT_COUNT).get(CNT).op(OP.i32_add).mem(OP.i32_store, this.area + AREA_EXIT_COUNT);
    f.i32(0).get(BUDGET).get(CNT).op(OP.i32_sub).mem(OP.i32_store, this.area + AREA_EXIT_LEFT);
    f.get(RET);
    const bytes = buildModule([
      { name: "carry", type: FLAGS_TYPE },
      { name: "step", type: { params: [I32, I32], results: [I32] } },
      { name: "materialize", type: FLAGS_TYPE },
      { name: "traceFull", type: { params: [], results: [I32] } },
      ...(this.x87 ? F80_IMPORTS : []),
    ], [{ name: "run", title: `region_${code.rip[this.blocks[0]].toString(16)}`, type: RUN_TYPE, locals: LOCALS, body: f }]);
    c.jitCodeBytes += bytes.length;
    return this.wrap(bytes);
  }

  private spill(regs: readonly number[] = this.used): void {
    for (const r of regs) this.f.i32(0).get(REG0 + r).mem(OP.i64_store, this.area + AREA_REGS + 8 * r);
  }

  private reload(regs: readonly number[] = this.used): void {
    for (const r of regs) this.f.i32(0).mem(OP.i64_load, this.area + AREA_REGS + 8 * r).set(REG0 + r);
  }

  /** The lazy flag record from the area into its locals. */
  private flagsIn(): void {
    for (const [local, at, load] of LAZY_FLAGS) this.f.i32(0).mem(load, this.area + at).set(local);
  }

  /** The lazy flag record from its locals into the area. */
  private flagsOut(): void {
    for (const [local, at, , store] of LAZY_FLAGS) this.f.i32(0).get(local).mem(store, this.area + at);
  }

  /** Pushes the lazy flag record, the flag helpers' parameters. */
  private flagArgs(): void {
    for (const [local] of LAZY_FLAGS) this.f.get(local);
  }

  /** Replaces the flags in mask by the i32 `bits` pushes (RFLAGS positions), leaving the flags materialised. */
  private patchFlags(mask: number, bits: () => void): void {
    const f = this.f;
    this.flagArgs();
    f.call(IMPORT_MATERIALIZE).i32(~mask).op(OP.i32_and);
    bits();
    f.op(OP.i32_or).set(LF_BITS);
    f.i32(F_NONE).set(LF_OP);
  }

  /** The registers a compiled slot reads or writes, as a bit mask (what its TLB-miss path spills and reloads). */
  private registersOf(i: number): number {
    const code = this.code, op = code.op[i];
    let regs = 0;
    for (const r of [code.rg[i], code.rm[i], code.ix[i]]) if (r !== NO_REG) regs |= 1 << (r >= HIGH_BYTE ? r - HIGH_BYTE : r);
    if (op === U.PUSH_R64 || op === U.POP_R64 || op === U.PUSH_I || op === U.PUSH_E || op === U.CALL || op === U.CALL_E || op === U.RET) regs |= 1 << 4;
    if (op === U.MOVS) regs |= (1 << 6) | (1 << 7);
    if (op === U.STOS) regs |= 1 | (1 << 7);
    if ((op === U.MOVS || op === U.STOS) && (code.fl[i] & (FL_REP | FL_REPNE)) !== 0) regs |= 1 << 1;
    if (op === U.SHIFT_ECL) regs |= 1 << 1;
    if (op === U.MUL1 || op === U.IMUL1) regs |= 1 | (1 << 2);
    return regs & 0xffff;
  }

  /**
   * The JavaScript entries, one per block: each runs the region (and what it links to) through the runtime. A region
   * whose code was written is stale: then the block's fallback function runs instead.
   */
  private wrap(bytes: Uint8Array<ArrayBuffer>): BlockFn[] {
    const c = this.c, code = this.code, runtime = this.runtime, blockFallback = this.blockFallback;
    const run = new WebAssembly.Instance(new WebAssembly.Module(bytes), runtime.importsFor(this.x87)).exports.run as Function;
    const index = runtime.add(run);
    // The code frames the region was compiled from, their epochs and the pages mapping them: a write to any of them,
    // or another mapping of one of the pages (seen when the address space changed), retires the region.
    const pages = [...new Set(this.blocks.map((s) => Math.floor(code.rip[s] / PAGE_SIZE)))];
    const frames = pages.map((vpn) => c.codeFrame(vpn * PAGE_SIZE));
    const epochs = frames.map((fr) => c.frames.codeEpoch[fr]);
    const codeEpoch = c.frames.codeEpoch;
    let stale = false, space = c.space, generation = space?.generation;
    return this.blocks.map((first, entry) => {
      const rip = code.rip[first];
      let fallback: BlockFn | null = null;
      return (core, R, dv) => {
        if (!stale) {
          for (let j = 0; j < frames.length; j++) if (codeEpoch[frames[j]] !== epochs[j]) stale = true;
          if (core.space !== space || core.space?.generation !== generation) {
            space = core.space;
            generation = space?.generation;
            for (let j = 0; j < pages.length; j++) {
              const pte = space === null ? -1 : space.lookup(pages[j]);
              if (pte < 0 || (pte & PERM_X) === 0 || Math.floor(pte / 8) !== frames[j]) stale = true;
            }
          }
          if (stale) runtime.remove(index);
        }
        if (stale) return (fallback ??= blockFallback(first))(core, R, dv);
        return runtime.enter(index, entry, rip);
      };
    });
  }

  // ------------------------------------------------------------------ analysis

  /** Kinds, flag sources and flag liveness of the block of n slots at first. */
  private analyse(first: number, n: number): void {
    this.kinds = new Array<number>(n);
    this.sources = new Array<FlagSource | null>(n);
    this.needFlags = new Array<boolean>(n);
    let src: FlagSource | null = null;
    for (let k = 0; k < n; k++) {
      this.sources[k] = src;
      this.kinds[k] = this.kindOf(first + k);
      src = flagsAfter(this.c, first + k, src);
    }
    let live = true;
    for (let k = n - 1; k >= 0; k--) {
      const i = first + k;
      this.needFlags[k] = live;
      if (writesAllFlags(this.c, i)) live = false;
      if (this.kinds[k] !== 1 || readsFlags(this.c, i)) live = true;
    }
  }

  /** 0: left to the interpreter; 1: compiled, never exits; 2: compiled, exits on a TLB miss. */
  private kindOf(i: number): number {
    const code = this.code, op = code.op[i], sz = code.sz[i], mem = code.mem[i] !== 0;
    const m = mem ? 2 : 1;
    switch (op) {
      case U.NOP: case U.MOV_RR64: case U.MOV_RR32: case U.MOV_RI: case U.END: case U.JMP: case U.LEA:
        return 1;
      case U.LD64: case U.LD32: case U.ST64: case U.ST32: case U.MOV_GE: case U.MOV_EG: case U.MOV_EI:
      case U.MOVZX: case U.MOVSX:
        return m;
      case U.ALU_RR64: case U.ALU_RR32: case U.ALU_RI64: case U.ALU_RI32:
      case U.ALU_EG: case U.ALU_GE: case U.ALU_EI: case U.TEST_EG: case U.TEST_EI:
        return m;
      case U.INC: case U.DEC: case U.NEG: case U.NOT: case U.XCHG:
        return m;
      case U.SHIFT_ECL:
        return !mem && (sz === 4 || sz === 8) && code.ext[i] >= 4 ? 1 : 0;
      case U.MOVS: case U.STOS:
        return (code.fl[i] & FL_A32) === 0 ? 2 : 0;
      case U.BSF: case U.BSR: case U.TZCNT: case U.LZCNT: case U.POPCNT:
        return sz === 1 ? 0 : m;
      case U.PUSH_I: case U.PUSH_E:
        return sz === 8 ? 2 : 0;
      case U.SHIFT_EI: {
        const e = code.ext[i];
        return !mem && (sz === 4 || sz === 8) && (e <= 1 || e >= 4) && shiftCount(this.c, i) !== 0 ? 1 : 0;
      }
      case U.IMUL_GE: case U.IMUL_GEI:
        return sz === 2 ? 0 : m;
      case U.MUL1: case U.IMUL1:
        return sz === 8 || sz === 4 ? m : 0;
      case U.CMOV: case U.SETCC:
        return m;
      case U.JCC:
        return 1;
      case U.CALL: case U.PUSH_R64: case U.POP_R64:
        return 2;
      case U.RET:
        return code.imm[i] === 0 ? 2 : 0;
      case U.JMP_E: case U.CALL_E:
        return 2;
      case U.SSE:
        return sseKind(this.c, i);
      case U.X87:
        return x87Kind(this.c, i);
    }
    return 0;
  }

  // ------------------------------------------------------------------ emission helpers

  /** Leaves the function: instructions retired so far are in CNT, RET says what next. */
  private exit(): void {
    this.f.br(this.exitLevel);
  }

  /**
   * Slot i through the interpreter, n instructions of its block having retired before it: registers spilled and
   * reloaded, the retired count handed over (the budget moves with it); leaves when the interpreter says so.
   */
  private interpret(i: number, n: number): void {
    const f = this.f, regs = this.kinds[i - this.first] === 0 ? this.used : registerList(this.registersOf(i));
    this.spill(regs);
    this.flagsOut();
    f.i32(i).get(CNT).i32(n).op(OP.i32_add).call(IMPORT_STEP).set(T);
    this.reload(regs);
    this.flagsIn();
    f.get(BUDGET).get(CNT).i32(n + 1).op(OP.i32_add).op(OP.i32_sub).set(BUDGET);
    f.i32(-(n + 1)).set(CNT);
    f.get(T);
    f.open(OP.if);
    f.i32(0).set(CNT).i32(LEFT_IN_INTERPRETER).set(RET);
    this.exit();
    f.end();
  }

  /** Slot i (an SSE or x87 instruction) through the interpreter when the i32 on the stack is non-zero, then on after it. */
  handOverIf(i: number, n: number): void {
    const f = this.f;
    f.open(OP.if);
    this.interpret(i, n);
    f.br(this.insnLevel);
    f.end();
  }

  /** The flags as the RFLAGS bits `bits` pushes, all six (F_NONE). */
  setFlagBits(bits: () => void): void {
    bits();
    this.f.set(LF_BITS);
    this.f.i32(F_NONE).set(LF_OP);
  }

  private count(n: number): void {
    if (n !== 0) this.f.get(CNT).i32(n).op(OP.i32_add).set(CNT);
  }

  /** Leave for a static rip. */
  private exitTo(rip: number): void {
    this.f.i32(0).i64(rip).mem(OP.i64_store, this.area + AREA_EXIT_RIP).i32(-1).set(RET);
    this.exit();
  }

  /** Continue at a static rip: inside the region while budget remains, else leave. */
  private goto(rip: number): void {
    const f = this.f;
    if (!this.starts.has(rip)) return this.exitTo(rip);
    f.get(CNT).get(BUDGET).op(OP.i32_ge_s);
    f.open(OP.if);
    this.exitTo(rip);
    f.end();
    this.traceEntry(() => f.f64(rip), () => this.exitTo(rip));
    this.branchTo(rip);
  }

  /** Branches to the region's block at rip (budget and trace already seen to). */
  private branchTo(rip: number): void {
    const f = this.f, k = this.starts.get(rip)!;
    if (k === this.current) f.br(this.selfLevel);
    else if (k > this.current) f.br(this.levels[k]);
    else {
      f.i32(k).set(SEG);
      f.br(this.loopLevel);
    }
  }

  /**
   * Records entering a block (its rip as the f64 `rip` pushes) in the block trace, as the dispatch loop would (cpu.ts
   * run): a full ring is emptied into the trace without leaving (a call out instead of an exit and a re-entry every
   * TRACE_ENTRIES blocks); when the trace itself is full, `leave` leaves for the block, so the dispatch loop finds it
   * full there.
   */
  private traceEntry(rip: () => void, leave: () => void): void {
    const f = this.f;
    if (!this.traced) return;
    emitTraceAppend(f, this.area, TRACE_AT, () => {
      f.call(IMPORT_TRACE_FULL).op(OP.i32_eqz);
      f.open(OP.if);
      leave();
      f.end();
      f.i32(0).set(TRACE_AT);
    }, rip);
  }

  /** Leave for the address in local V. */
  private exitToV(): void {
    this.f.i32(0).get(V).mem(OP.i64_store, this.area + AREA_EXIT_RIP).i32(-1).set(RET);
    this.exit();
  }

  /**
   * Continue at the address in local V: one of the candidate block starts stays inside, anything else leaves. The
   * budget and the trace are checked once for whichever candidate it is (V is that rip), as goto() checks them.
   */
  private gotoDynamic(candidates: Iterable<number>): void {
    const f = this.f, inside = [...candidates].filter((rip) => this.starts.has(rip));
    if (inside.length > 0) {
      inside.forEach((rip, n) => {
        f.get(V).i64(rip).op(OP.i64_eq);
        if (n > 0) f.op(OP.i32_or);
      });
      f.open(OP.if);
      f.get(CNT).get(BUDGET).op(OP.i32_ge_s);
      f.open(OP.if);
      this.exitToV();
      f.end();
      this.traceEntry(() => f.get(V).op(OP.f64_convert_i64_u), () => this.exitToV());
      for (const rip of inside) {
        f.get(V).i64(rip).op(OP.i64_eq);
        f.open(OP.if);
        this.branchTo(rip);
        f.end();
      }
      f.end();
    }
    this.exitToV();
  }

  private mask(sz: number): void {
    if (sz < 8) this.f.i64(MASKS[sz]).op(OP.i64_and);
  }

  private signExtend(sz: number): void {
    if (sz === 1) this.f.op(OP.i64_extend8_s);
    else if (sz === 2) this.f.op(OP.i64_extend16_s);
    else if (sz === 4) this.f.op(OP.i64_extend32_s);
  }

  /** Pushes register r at size sz, zero-extended (byte registers 16..19 are AH..BH). */
  private reg(r: number, sz: number): void {
    const f = this.f;
    if (sz === 1 && r >= HIGH_BYTE) {
      f.get(REG0 + r - HIGH_BYTE).i64(8).op(OP.i64_shr_u).i64(0xff).op(OP.i64_and);
      return;
    }
    f.get(REG0 + r);
    this.mask(sz);
  }

  /** Writes the value `value` pushes into register r at size sz (32-bit writes clear the upper half). */
  private setReg(r: number, sz: number, value: () => void): void {
    const f = this.f;
    if (sz === 8) { value(); f.set(REG0 + r); return; }
    if (sz === 4) { value(); this.mask(4); f.set(REG0 + r); return; }
    const high = sz === 1 && r >= HIGH_BYTE;
    const l = REG0 + (high ? r - HIGH_BYTE : r);
    f.get(l).i64(high ? ~0xff00n : sz === 2 ? ~0xffffn : ~0xffn).op(OP.i64_and);
    value();
    this.mask(sz);
    if (high) f.i64(8).op(OP.i64_shl);
    f.op(OP.i64_or).set(l);
  }

  /** Pushes the effective address of slot i, segment base included unless it is lea's. */
  address(i: number): void {
    const code = this.code, f = this.f;
    f.i64(code.disp[i]);
    if (code.rm[i] !== NO_REG) f.get(REG0 + code.rm[i]).op(OP.i64_add);
    if (code.ix[i] !== NO_REG) {
      f.get(REG0 + code.ix[i]);
      const sh = [0, 0, 1, 0, 2, 0, 0, 0, 3][code.sc[i]];
      if (sh) f.i64(sh).op(OP.i64_shl);
      f.op(OP.i64_add);
    }
    if (code.fl[i] & FL_A32) this.mask(4);
    if (code.op[i] !== U.LEA) this.segment(i);
  }

  /** Adds the FS or GS base to the address on the stack when slot i overrides the segment. */
  private segment(i: number): void {
    const fl = this.code.fl[i];
    if ((fl & (FL_FS | FL_GS)) === 0) return;
    this.f.i32(0).mem(OP.i64_load, this.area + (fl & FL_FS ? AREA_FSBASE : AREA_GSBASE)).op(OP.i64_add);
  }

  /**
   * P = physical offset of sz bytes at the address in A, via the read or write TLB. A miss leaves the region before
   * the instruction changed anything (every compiled form translates all its addresses first), and the interpreter
   * runs the rest of the block: no call on the way, so the region's registers need not be saved around one. One
   * compare covers the page-crossing check too: the entry at A's index holds only pages of that index, so it cannot
   * hold the page of A's last byte when that is the next page. The page converts signed (one instruction): an
   * address at or above 2^63 becomes negative and matches no tag (page addresses or -1), so it misses as before.
   */
  translate(i: number, sz: number, write: boolean, n: number): void {
    const f = this.f;
    f.get(A).op(OP.i32_wrap_i64).i32(12).op(OP.i32_shr_u).i32(255).op(OP.i32_and).set(T);
    f.get(T).i32(3).op(OP.i32_shl).mem(OP.f64_load, this.area + (write ? AREA_WTAG : AREA_RTAG));
    f.get(A);
    if (sz > 1) f.i64(sz - 1).op(OP.i64_add);
    f.i64(-4096).op(OP.i64_and).op(OP.f64_convert_i64_s).op(OP.f64_ne);
    f.open(OP.if);
    this.count(n);
    f.i32(MISSED_AT - i).set(RET);
    this.exit();
    f.end();
    f.get(T).i32(2).op(OP.i32_shl).mem(OP.i32_load, this.area + (write ? AREA_WBASE : AREA_RBASE));
    f.get(A).op(OP.i32_wrap_i64).i32(4095).op(OP.i32_and).op(OP.i32_add).set(P);
  }

  private load(sz: number): void {
    this.f.get(P).mem(sz === 8 ? OP.i64_load : sz === 4 ? OP.i64_load32_u : sz === 2 ? OP.i64_load16_u : OP.i64_load8_u, 0);
  }

  /** Stores the value `value` pushes at P. */
  private store(sz: number, value: () => void): void {
    this.f.get(P);
    value();
    this.f.mem(sz === 8 ? OP.i64_store : sz === 4 ? OP.i64_store32 : sz === 2 ? OP.i64_store16 : OP.i64_store8, 0);
  }

  /** Pushes operand E of slot i at size sz (register or memory through the read TLB). */
  readE(i: number, sz: number, n: number): void {
    const code = this.code;
    if (code.mem[i] === 0) return this.reg(code.rm[i], sz);
    this.address(i);
    this.f.set(A);
    this.translate(i, sz, false, n);
    this.load(sz);
  }

  /**
   * Pushes operand E of slot i that the instruction then writes (inc, dec, not, neg, xchg): a register, or memory
   * through the write TLB, its address left in P for writeBack.
   */
  private modifyE(i: number, n: number): void {
    const code = this.code, sz = code.sz[i];
    if (code.mem[i] === 0) return this.reg(code.rm[i], sz);
    this.address(i);
    this.f.set(A);
    this.translate(i, sz, true, n);
    this.load(sz);
  }

  /** Writes the value `value` pushes to the operand modifyE read. */
  private writeBack(i: number, value: () => void): void {
    const code = this.code;
    if (code.mem[i] !== 0) this.store(code.sz[i], value);
    else this.setReg(code.rm[i], code.sz[i], value);
  }

  /** Stores the value `value` pushes to slot i's memory operand at size sz (through the write TLB). */
  private writeE(i: number, sz: number, n: number, value: () => void): void {
    this.address(i);
    this.f.set(A);
    this.translate(i, sz, true, n);
    this.store(sz, value);
  }

  /** The immediate of slot i at size sz (zero-extended below 8 bytes). */
  private immediate(i: number, sz: number): number | bigint {
    const lo = this.code.imm[i] >>> 0, hi = this.code.immh[i];
    if (sz === 8) return hi === 0 || hi === -1 ? hi * 4294967296 + lo : (BigInt(hi) << 32n) | BigInt(lo);
    return sz === 4 ? lo : lo & MASKS[sz];
  }

  /** Records lazy flags of kind with X, Y (inputs) and W (result) at size sz. */
  private storeFlags(kind: number, sz: number, inputs: boolean, cin: boolean): void {
    const f = this.f;
    f.i32(kind).set(LF_OP);
    f.i32(sz).set(LF_SZ);
    if (inputs) {
      f.get(X).set(LF_A);
      f.get(Y).set(LF_B);
    }
    if (cin) f.i32(0).set(LF_CIN);
    f.get(W).set(LF_R);
  }

  /** Stores F_RES flags: result W, CF/OF bits from the i32 `bits` pushes. */
  private storeResFlags(sz: number, bits: () => void): void {
    const f = this.f;
    f.i32(F_RES).set(LF_OP);
    f.i32(sz).set(LF_SZ);
    f.get(W).set(LF_R);
    bits();
    f.set(LF_BITS);
  }

  /** ALU operation aop on X (a) and Y (b), masked to sz: result in W, flags stored when observable. */
  private alu(aop: number, sz: number, flags: boolean, src: FlagSource | null): void {
    const f = this.f;
    const withCarry = aop === 2 || aop === 3;
    if (withCarry) {
      this.carryIn(src);
      f.set(T);
    }
    f.get(X).get(Y);
    f.op(aop === 0 || aop === 2 ? OP.i64_add : aop === 3 || aop === 5 || aop === 7 ? OP.i64_sub : aop === 1 ? OP.i64_or : aop === 6 ? OP.i64_xor : OP.i64_and);
    if (withCarry) f.get(T).op(OP.i64_extend_i32_u).op(aop === 2 ? OP.i64_add : OP.i64_sub);
    this.mask(sz);
    f.set(W);
    const kind = ALU_KIND[aop];
    if (flags) this.storeFlags(kind, sz, kind !== F_LOGIC, kind !== F_LOGIC && !withCarry);
    if (flags && withCarry) f.get(T).set(LF_CIN);
  }

  /**
   * Records CF for inc/dec, which keep it, in fcin. After another inc or dec it is there already: known from the
   * source, or (source unknown, as at a loop's head) seen in the recorded kind, so the helper runs only after others.
   */
  private keepCarry(src: FlagSource | null): void {
    const f = this.f;
    if (src !== null && (src.kind === F_INC || src.kind === F_DEC)) return;
    if (src === null) {
      f.get(LF_OP).i32(F_INC).op(OP.i32_ne);
      f.get(LF_OP).i32(F_DEC).op(OP.i32_ne).op(OP.i32_and);
      f.open(OP.if);
    }
    this.carryIn(src);
    f.set(LF_CIN);
    if (src === null) f.end();
  }

  /** Pushes CF (i32 0/1): inline from a known flag source, else through the imported helper. */
  private carryIn(src: FlagSource | null): void {
    if (src !== null && this.flag("cf", src, true)) this.flag("cf", src, false);
    else {
      this.flagArgs();
      this.f.call(IMPORT_CARRY);
    }
  }

  // ------------------------------------------------------------------ conditions

  private loadFlag(local: number, sz: number, signed: boolean): void {
    this.f.get(local);
    if (signed) this.signExtend(sz);
    else this.mask(sz);
  }

  /** Emits one flag as an i32 0/1 for the known source, or returns false when it cannot be derived inline. */
  private flag(which: Flag, src: FlagSource, dry: boolean): boolean {
    const f = this.f, sz = src.sz, k = src.kind;
    const bits = (bit: number): boolean => {
      if (!dry) f.get(LF_BITS).i32(bit).op(OP.i32_and).i32(0).op(OP.i32_ne);
      return true;
    };
    if (k === F_NONE) return bits(which === "of" ? 0x800 : which === "cf" ? 1 : which === "zf" ? 0x40 : which === "sf" ? 0x80 : 4);
    if (which === "pf") return false;
    if (which === "zf") {
      if (!dry) { this.loadFlag(LF_R, sz, false); f.op(OP.i64_eqz); }
      return true;
    }
    if (which === "sf") {
      if (!dry) { this.loadFlag(LF_R, sz, true); f.i64(0).op(OP.i64_lt_s); }
      return true;
    }
    if (k === F_LOGIC) {
      if (!dry) f.i32(0);
      return true;
    }
    if (k === F_RES) return bits(which === "of" ? 0x800 : 1);
    if (which === "cf") {
      if (k === F_SUB) {
        if (!dry) { this.loadFlag(LF_A, sz, false); this.loadFlag(LF_B, sz, false); f.op(OP.i64_lt_u); }
        return true;
      }
      if (k === F_ADD) {
        if (!dry) { this.loadFlag(LF_R, sz, false); this.loadFlag(LF_A, sz, false); f.op(OP.i64_lt_u); }
        return true;
      }
      if (k === F_INC || k === F_DEC) {
        if (!dry) f.get(LF_CIN).i32(0).op(OP.i32_ne);
        return true;
      }
    }
    return false;
  }

  /** Emits condition cc (i32): inline for a known flag source where it can, else from the materialised flags. */
  private condition(cc: number, src: FlagSource | null): void {
    if (this.inlineCondition(cc, src, true)) {
      this.inlineCondition(cc, src, false);
      return;
    }
    // OF CF ZF (CF|ZF) SF PF (SF^OF) (ZF|SF^OF) from the RFLAGS bits, negated for odd cc.
    const f = this.f, base = cc >> 1;
    this.flagArgs();
    f.call(IMPORT_MATERIALIZE);
    const bit = (n: number): void => { f.get(T).i32(n).op(OP.i32_shr_u); };
    f.set(T);
    switch (base) {
      case 0: bit(11); break;
      case 1: bit(0); break;
      case 2: bit(6); break;
      case 3: bit(0); bit(6); f.op(OP.i32_or); break;
      case 4: bit(7); break;
      case 5: bit(2); break;
      case 6: bit(7); bit(11); f.op(OP.i32_xor); break;
      default: bit(7); bit(11); f.op(OP.i32_xor); bit(6); f.op(OP.i32_or); break;
    }
    f.i32(1).op(OP.i32_and);
    if ((cc & 1) !== 0) f.op(OP.i32_eqz);
  }

  /** Emits condition cc (i32) for the known flag source; with dry, only answers whether it can. */
  private inlineCondition(cc: number, src: FlagSource | null, dry: boolean): boolean {
    if (src === null) return false;
    const f = this.f, base = cc >> 1;
    let ok: boolean;
    if (base >= 6 && src.kind === F_SUB) {
      // less / less-or-equal: compare the operands signed.
      if (!dry) {
        this.loadFlag(LF_A, src.sz, true);
        this.loadFlag(LF_B, src.sz, true);
        f.op(base === 6 ? OP.i64_lt_s : OP.i64_le_s);
      }
      ok = true;
    } else if (base === 3 && src.kind === F_SUB) {
      if (!dry) { this.loadFlag(LF_A, src.sz, false); this.loadFlag(LF_B, src.sz, false); f.op(OP.i64_le_u); }
      ok = true;
    } else if (base === 2 && src.kind === F_SUB) {
      if (!dry) { this.loadFlag(LF_A, src.sz, false); this.loadFlag(LF_B, src.sz, false); f.op(OP.i64_eq); }
      ok = true;
    } else {
      const parts: Flag[][] = [["of"], ["cf"], ["zf"], ["cf", "zf"], ["sf"], ["pf"], ["sf", "of"], ["zf", "sf", "of"]];
      const need = parts[base];
      ok = need.every((w) => this.flag(w, src, true));
      if (ok && !dry) {
        if (base === 6) { this.flag("sf", src, false); this.flag("of", src, false); f.op(OP.i32_xor); }
        else if (base === 7) {
          this.flag("zf", src, false); this.flag("sf", src, false); this.flag("of", src, false);
          f.op(OP.i32_xor).op(OP.i32_or);
        } else {
          this.flag(need[0], src, false);
          if (need.length === 2) { this.flag(need[1], src, false); f.op(OP.i32_or); }
        }
      }
    }
    if (ok && !dry && (cc & 1) !== 0) f.op(OP.i32_eqz);
    return ok;
  }

  // ------------------------------------------------------------------ instructions

  /** Emits the block at slot first. */
  private block(first: number, segment: number): void {
    const f = this.f;
    this.first = first;
    // A jump back to the block's own start branches here directly (the loops of hot code), not through br_table.
    this.current = segment;
    this.selfLevel = f.open(OP.loop);
    for (let k = 0, n = 0; ; k++) {
      const i = first + k, op = this.code.op[i];
      if (this.kinds[k] === 0) this.interpret(i, n);
      else if ((op !== U.SSE && op !== U.X87) || this.kinds[k] === 1) this.instruction(i, k, n);
      else {
        this.insnLevel = f.open(OP.block);
        this.instruction(i, k, n);
        f.end();
      }
      if (op !== U.END) n++;
      if (op === U.END || IS_TERMINATOR.has(op)) {
        f.op(OP.unreachable); // every terminator branched away (or the interpreter left)
        f.end();
        f.op(OP.unreachable);
        return;
      }
    }
  }

  /** Emits slot i, the k-th of its block, n instructions having retired before it. */
  private instruction(i: number, k: number, n: number): void {
    const code = this.code, f = this.f;
    {
      const op = code.op[i], sz = code.sz[i], rg = code.rg[i], rm = code.rm[i], ext = code.ext[i];
      const mem = code.mem[i] !== 0, flags = this.needFlags[k], src = this.sources[k];
      const next = code.rip[i] + code.len[i];
      switch (op) {
        case U.NOP: break;
        case U.MOV_RR64: f.get(REG0 + rg).set(REG0 + rm); break;
        case U.MOV_RR32: this.setReg(rm, 4, () => f.get(REG0 + rg)); break;
        case U.MOV_RI: f.i64(this.immediate(i, 8)).set(REG0 + rm); break;
        case U.LD64: case U.LD32: case U.MOV_GE: {
          const size = op === U.LD64 ? 8 : op === U.LD32 ? 4 : sz;
          this.readE(i, size, n);
          f.set(V);
          this.setReg(rg, size, () => f.get(V));
          break;
        }
        case U.ST64: case U.ST32: case U.MOV_EG: case U.MOV_EI: {
          const size = op === U.ST64 ? 8 : op === U.ST32 ? 4 : sz;
          const value = op === U.MOV_EI ? (): void => { f.i64(this.immediate(i, size)); } : (): void => this.reg(rg, size);
          if (!mem) { this.setReg(rm, size, value); break; }
          this.writeE(i, size, n, value);
          break;
        }
        case U.ALU_RR64: case U.ALU_RR32: case U.ALU_RI64: case U.ALU_RI32: {
          const size = op === U.ALU_RR64 || op === U.ALU_RI64 ? 8 : 4;
          this.reg(rm, size);
          f.set(X);
          if (op === U.ALU_RR64 || op === U.ALU_RR32) this.reg(rg, size);
          else f.i64(this.immediate(i, size));
          f.set(Y);
          this.alu(ext, size, flags, src);
          if (ext !== 7 && ext !== ALU_TEST) this.setReg(rm, size, () => f.get(W));
          break;
        }
        case U.ALU_EG: case U.ALU_EI: case U.TEST_EG: case U.TEST_EI: {
          const aop = aluExt(this.c, i);
          const writes = aop !== 7 && aop !== ALU_TEST;
          if (mem) {
            this.address(i);
            f.set(A);
            this.translate(i, sz, writes, n);
            this.load(sz);
          } else this.reg(rm, sz);
          f.set(X);
          if (op === U.ALU_EI || op === U.TEST_EI) f.i64(this.immediate(i, sz));
          else this.reg(rg, sz);
          f.set(Y);
          this.alu(aop, sz, flags, src);
          if (writes) {
            if (mem) this.store(sz, () => f.get(W));
            else this.setReg(rm, sz, () => f.get(W));
          }
          break;
        }
        case U.ALU_GE: {
          this.reg(rg, sz);
          f.set(X);
          this.readE(i, sz, n);
          f.set(Y);
          this.alu(ext, sz, flags, src);
          if (ext !== 7 && ext !== ALU_TEST) this.setReg(rg, sz, () => f.get(W));
          break;
        }
        case U.LEA: this.setReg(rg, sz, () => this.address(i)); break;
        case U.MOVZX: case U.MOVSX:
          this.readE(i, ext, n);
          if (op === U.MOVSX) this.signExtend(ext);
          f.set(V);
          this.setReg(rg, sz, () => f.get(V));
          break;
        case U.NOT:
          this.modifyE(i, n);
          f.i64(-1).op(OP.i64_xor).set(W);
          this.writeBack(i, () => f.get(W));
          break;
        case U.NEG:
          f.i64(0).set(X);
          this.modifyE(i, n);
          f.set(Y);
          this.alu(5, sz, flags, src);
          this.writeBack(i, () => f.get(W));
          break;
        case U.XCHG:
          this.modifyE(i, n);
          f.set(V);
          this.writeBack(i, () => this.reg(rg, sz));
          this.setReg(rg, sz, () => f.get(V));
          break;
        case U.INC: case U.DEC:
          this.modifyE(i, n);
          f.set(X);
          f.i64(1).set(Y);
          f.get(X).get(Y).op(op === U.INC ? OP.i64_add : OP.i64_sub);
          this.mask(sz);
          f.set(W);
          if (flags) {
            this.keepCarry(src);
            f.i32(op === U.INC ? F_INC : F_DEC).set(LF_OP);
            f.i32(sz).set(LF_SZ);
            f.get(X).set(LF_A);
            f.get(Y).set(LF_B);
            f.get(W).set(LF_R);
          }
          this.writeBack(i, () => f.get(W));
          break;
        case U.SHIFT_EI: this.shift(i, flags); break;
        case U.SHIFT_ECL: this.shiftByCl(i, flags); break;
        case U.MOVS: case U.STOS: {
          // The step: sz, or -sz when DF is set.
          f.i32(0).mem(OP.i32_load, this.area + AREA_DF).op(OP.i64_extend_i32_u).i64(-2 * sz).op(OP.i64_mul)
            .i64(sz).op(OP.i64_add).set(Y);
          // rep: element by element while RCX != 0; a TLB miss leaves the rest of the instruction to the interpreter.
          const rep = (code.fl[i] & (FL_REP | FL_REPNE)) !== 0;
          const done = rep ? f.open(OP.block) : 0, again = rep ? f.open(OP.loop) : 0;
          if (rep) { f.get(REG0 + 1).op(OP.i64_eqz); f.br(done, OP.br_if); }
          if (op === U.MOVS) {
            f.get(REG0 + 6);
            this.segment(i);
            f.set(A);
            this.translate(i, sz, false, n);
            this.load(sz);
          } else this.reg(0, sz);
          f.set(V);
          f.get(REG0 + 7).set(A);
          this.translate(i, sz, true, n);
          this.store(sz, () => f.get(V));
          if (op === U.MOVS) f.get(REG0 + 6).get(Y).op(OP.i64_add).set(REG0 + 6);
          f.get(REG0 + 7).get(Y).op(OP.i64_add).set(REG0 + 7);
          if (rep) {
            f.get(REG0 + 1).i64(1).op(OP.i64_sub).set(REG0 + 1);
            f.br(again);
            f.end();
            f.end();
          }
          break;
        }
        case U.IMUL_GE: case U.IMUL_GEI: this.imul(i, n, flags); break;
        case U.CMOV:
          this.readE(i, sz, n);
          f.set(V);
          this.condition(ext, src);
          f.open(OP.if);
          this.setReg(rg, sz, () => f.get(V));
          if (sz === 4) {
            f.op(OP.else);
            this.setReg(rg, 4, () => f.get(REG0 + rg));
          }
          f.end();
          break;
        case U.SETCC:
          if (mem) {
            this.writeE(i, 1, n, () => { this.condition(ext, src); f.op(OP.i64_extend_i32_u); });
          } else this.setReg(rm, 1, () => { this.condition(ext, src); f.op(OP.i64_extend_i32_u); });
          break;
        case U.BSF: case U.BSR: case U.TZCNT: case U.LZCNT: case U.POPCNT: this.bitScan(i, n, flags); break;
        case U.SSE: this.sse(i, n); break;
        case U.MUL1: case U.IMUL1: this.multiplyAccumulator(i, n, op === U.IMUL1, flags); break;
        case U.X87: emitX87(this, this.c, i, n); break;
        case U.PUSH_I:
          this.push(i, n, () => f.i64(this.immediate(i, 8)));
          break;
        case U.PUSH_E:
          this.readE(i, 8, n);
          f.set(V);
          this.push(i, n, () => f.get(V));
          break;
        case U.PUSH_R64:
          this.push(i, n, () => f.get(REG0 + rm));
          break;
        case U.POP_R64:
          this.pop(i, n);
          f.get(V).set(REG0 + rm);
          break;
        case U.JCC:
          this.count(n + 1);
          this.condition(ext, src);
          f.open(OP.if);
          this.goto(code.disp[i]);
          f.end();
          this.goto(next);
          return;
        case U.JMP:
          this.count(n + 1);
          this.goto(code.disp[i]);
          return;
        case U.CALL:
          this.push(i, n, () => f.i64(next));
          this.count(n + 1);
          this.goto(code.disp[i]);
          return;
        case U.RET:
          this.pop(i, n);
          this.count(n + 1);
          this.gotoDynamic(this.returnSites);
          return;
        case U.JMP_E: case U.CALL_E:
          this.readE(i, 8, n);
          f.set(V);
          if (op === U.CALL_E) this.push(i, n, () => f.i64(next));
          this.count(n + 1);
          {
            // Where the interpreter saw it go, when that block is in the region.
            const seen = this.c.indirectTargets.get(i);
            this.gotoDynamic(seen !== undefined && this.starts.has(seen) ? [seen] : []);
          }
          return;
        case U.END:
          this.count(n);
          this.goto(code.rip[i]);
          return;
      }
    }
  }

  /** push of the value `value` pushes; RSP moves only once the store went through. */
  private push(i: number, n: number, value: () => void): void {
    const f = this.f;
    f.get(REG0 + 4).i64(8).op(OP.i64_sub).set(A);
    this.translate(i, 8, true, n);
    this.store(8, value);
    f.get(A).set(REG0 + 4);
  }

  /** pop into V; RSP moves after the load. */
  private pop(i: number, n: number): void {
    const f = this.f;
    f.get(REG0 + 4).set(A);
    this.translate(i, 8, false, n);
    this.load(8);
    f.set(V);
    f.get(REG0 + 4).i64(8).op(OP.i64_add).set(REG0 + 4);
  }

  /** shl/shr/sar/rol/ror of a 32- or 64-bit register by a non-zero constant. */
  private shift(i: number, flags: boolean): void {
    const code = this.code, f = this.f;
    const sz = code.sz[i], rm = code.rm[i], e = code.ext[i], n = shiftCount(this.c, i), bits = sz * 8;
    const msb = (local: number, bit: number): void => {
      f.get(local).i64(bit).op(OP.i64_shr_u).i64(1).op(OP.i64_and).op(OP.i32_wrap_i64);
    };
    this.reg(rm, sz);
    f.set(X);
    if (e <= 1) {
      const left = e === 0 ? n : bits - n;
      if (sz === 8) f.get(X).i64(left).op(OP.i64_rotl);
      else f.get(X).op(OP.i32_wrap_i64).i32(left).op(OP.i32_rotl).op(OP.i64_extend_i32_u);
      f.set(W);
      if (flags) {
        // CF and OF patched into the materialised flags: rol CF = bit 0, OF = MSB ^ CF; ror CF = MSB, OF = MSB ^ MSB-1.
        this.patchFlags(RFLAGS_CF | RFLAGS_OF, () => {
          msb(W, e === 0 ? 0 : bits - 1);
          f.tee(T);
          msb(W, e === 0 ? bits - 1 : bits - 2);
          f.get(T).op(OP.i32_xor).i32(11).op(OP.i32_shl).op(OP.i32_or);
        });
      }
      this.setReg(rm, sz, () => f.get(W));
      return;
    }
    f.get(X);
    if (e === 7) this.signExtend(sz);
    f.i64(n).op(e === 5 ? OP.i64_shr_u : e === 7 ? OP.i64_shr_s : OP.i64_shl);
    this.mask(sz);
    f.set(W);
    if (flags) {
      this.storeResFlags(sz, () => {
        if (e === 5 || e === 7) {
          // CF: the last bit shifted out; OF: shr the old MSB, sar 0.
          f.get(X);
          if (e === 7) this.signExtend(sz);
          f.i64(n - 1).op(OP.i64_shr_u).i64(1).op(OP.i64_and).op(OP.i32_wrap_i64);
          if (e === 5) { msb(X, bits - 1); f.i32(11).op(OP.i32_shl).op(OP.i32_or); }
        } else {
          // CF: bit (bits - n) of the source; OF: MSB of the result ^ CF.
          msb(X, bits - n);
          f.tee(T);
          msb(W, bits - 1);
          f.get(T).op(OP.i32_xor).i32(11).op(OP.i32_shl).op(OP.i32_or);
        }
      });
    }
    this.setReg(rm, sz, () => f.get(W));
  }

  /** shl/shr/sar of a 32- or 64-bit register by CL: a zero count leaves the flags (and only them) alone. */
  private shiftByCl(i: number, flags: boolean): void {
    const code = this.code, f = this.f;
    const sz = code.sz[i], rm = code.rm[i], e = code.ext[i], bits = sz * 8;
    f.get(REG0 + 1).op(OP.i32_wrap_i64).i32(bits - 1).op(OP.i32_and).set(T);
    this.reg(rm, sz);
    f.set(X);
    f.get(X);
    if (e === 7) this.signExtend(sz);
    f.get(T).op(OP.i64_extend_i32_u).op(e === 5 ? OP.i64_shr_u : e === 7 ? OP.i64_shr_s : OP.i64_shl);
    this.mask(sz);
    f.set(W);
    if (flags) {
      f.get(T);
      f.open(OP.if);
      this.storeResFlags(sz, () => {
        if (e === 5 || e === 7) {
          f.get(X);
          if (e === 7) this.signExtend(sz);
          f.get(T).i32(1).op(OP.i32_sub).op(OP.i64_extend_i32_u).op(OP.i64_shr_u).i64(1).op(OP.i64_and).op(OP.i32_wrap_i64);
          if (e === 5) f.get(X).i64(bits - 1).op(OP.i64_shr_u).op(OP.i32_wrap_i64).i32(11).op(OP.i32_shl).op(OP.i32_or);
        } else {
          f.get(X).i32(bits).get(T).op(OP.i32_sub).op(OP.i64_extend_i32_u).op(OP.i64_shr_u).i64(1).op(OP.i64_and).op(OP.i32_wrap_i64);
          f.tee(P);
          f.get(W).i64(bits - 1).op(OP.i64_shr_u).op(OP.i32_wrap_i64).get(P).op(OP.i32_xor).i32(11).op(OP.i32_shl).op(OP.i32_or);
        }
      });
      f.end();
    }
    this.setReg(rm, sz, () => f.get(W));
  }

  /**
   * bsf/bsr/tzcnt/lzcnt/popcnt (16, 32 or 64 bits), flags as the interpreter's bitScan leaves them: bsf/bsr patch ZF
   * (a zero source leaves the destination alone), tzcnt/lzcnt CF and ZF, popcnt sets all six.
   */
  private bitScan(i: number, n: number, flags: boolean): void {
    const code = this.code, f = this.f, op = code.op[i], sz = code.sz[i], rg = code.rg[i], bits = sz * 8;
    this.readE(i, sz, n);
    f.set(X);
    if (op === U.POPCNT) {
      this.setReg(rg, sz, () => f.get(X).op(OP.i64_popcnt));
      if (flags) {
        f.i32(F_NONE).set(LF_OP);
        f.get(X).op(OP.i64_eqz).i32(6).op(OP.i32_shl).set(LF_BITS);
      }
      return;
    }
    if (op === U.BSF || op === U.BSR) {
      f.get(X).op(OP.i64_eqz);
      f.open(OP.if);
      if (flags) this.patchFlags(RFLAGS_ZF, () => f.i32(RFLAGS_ZF));
      f.op(OP.else);
      this.setReg(rg, sz, () => {
        if (op === U.BSF) f.get(X).op(OP.i64_ctz);
        else f.i64(63).get(X).op(OP.i64_clz).op(OP.i64_sub);
      });
      if (flags) this.patchFlags(RFLAGS_ZF, () => f.i32(0));
      f.end();
      return;
    }
    // tzcnt/lzcnt of zero is the operand size: a bit just above it (tzcnt), the leading zeros less those above it (lzcnt).
    if (op === U.TZCNT) {
      f.get(X);
      if (sz < 8) f.i64(1n << BigInt(bits)).op(OP.i64_or);
      f.op(OP.i64_ctz);
    } else {
      f.get(X).op(OP.i64_clz);
      if (sz < 8) f.i64(64 - bits).op(OP.i64_sub);
    }
    f.set(W);
    this.setReg(rg, sz, () => f.get(W));
    if (flags) {
      this.patchFlags(RFLAGS_CF | RFLAGS_ZF, () => {
        f.get(X).op(OP.i64_eqz).get(W).op(OP.i64_eqz).i32(6).op(OP.i32_shl).op(OP.i32_or);
      });
    }
  }

  /** Byte offset of the low (0) or high (8) half of XMM register x in the area. */
  private xmm(x: number, half: number): number {
    return this.area + AREA_XMM + 16 * x + half;
  }

  /** Copies 8 bytes of XMM register `from` to `to` (offsets from xmm()). */
  private copyXmm(to: number, from: number): void {
    this.f.i32(0).i32(0).mem(OP.i64_load, from).mem(OP.i64_store, to);
  }

  /** The SSE forms sseKind accepts. */
  private sse(i: number, n: number): void {
    const code = this.code, f = this.f, op = code.ext[i], d = code.rg[i], s = code.rm[i], mem = code.mem[i] !== 0;
    switch (op) {
      case S.MOVA_LD: case S.MOVU_LD: case S.MOVA_ST: case S.MOVU_ST: {
        const store = op === S.MOVA_ST || op === S.MOVU_ST;
        if (!mem) {
          const to = store ? s : d, from = store ? d : s;
          this.copyXmm(this.xmm(to, 0), this.xmm(from, 0));
          this.copyXmm(this.xmm(to, 8), this.xmm(from, 8));
          return;
        }
        this.address(i);
        f.set(A);
        if (op === S.MOVA_LD || op === S.MOVA_ST) {
          // A misaligned movaps/movdqa faults (#GP): the interpreter raises it.
          f.get(A).op(OP.i32_wrap_i64).i32(15).op(OP.i32_and);
          this.handOverIf(i, n);
        }
        this.translate(i, 16, store, n);
        for (const half of [0, 8]) {
          if (store) f.get(P).i32(0).mem(OP.i64_load, this.xmm(d, half)).mem(OP.i64_store, half);
          else f.i32(0).get(P).mem(OP.i64_load, half).mem(OP.i64_store, this.xmm(d, half));
        }
        return;
      }
      case S.PXOR: case S.POR: case S.PAND: case S.PANDN:
        for (const half of [0, 8]) {
          f.i32(0);
          f.i32(0).mem(OP.i64_load, this.xmm(d, half));
          if (op === S.PANDN) f.i64(-1).op(OP.i64_xor);
          f.i32(0).mem(OP.i64_load, this.xmm(s, half));
          f.op(op === S.PXOR ? OP.i64_xor : op === S.POR ? OP.i64_or : OP.i64_and);
          f.mem(OP.i64_store, this.xmm(d, half));
        }
        return;
      case S.MOVSD_LD: case S.MOVQ_LD:
        if (mem) {
          this.readE(i, 8, n);
          f.set(V);
          f.i32(0).get(V).mem(OP.i64_store, this.xmm(d, 0));
        } else this.copyXmm(this.xmm(d, 0), this.xmm(s, 0));
        if (mem || op === S.MOVQ_LD) f.i32(0).i64(0).mem(OP.i64_store, this.xmm(d, 8));
        return;
      case S.MOVSS_LD:
        if (mem) {
          this.readE(i, 4, n);
          f.set(V);
          f.i32(0).get(V).mem(OP.i64_store, this.xmm(d, 0));
          f.i32(0).i64(0).mem(OP.i64_store, this.xmm(d, 8));
        } else f.i32(0).i32(0).mem(OP.i32_load, this.xmm(s, 0)).mem(OP.i32_store, this.xmm(d, 0));
        return;
      case S.MOVSS_ST:
        if (mem) this.writeE(i, 4, n, () => f.i32(0).mem(OP.i64_load32_u, this.xmm(d, 0)));
        else f.i32(0).i32(0).mem(OP.i32_load, this.xmm(d, 0)).mem(OP.i32_store, this.xmm(s, 0));
        return;
      case S.MOVSD_ST: case S.MOVQ_ST:
        if (mem) {
          this.writeE(i, 8, n, () => f.i32(0).mem(OP.i64_load, this.xmm(d, 0)));
          return;
        }
        this.copyXmm(this.xmm(s, 0), this.xmm(d, 0));
        if (op === S.MOVQ_ST) f.i32(0).i64(0).mem(OP.i64_store, this.xmm(s, 8));
        return;
      case S.CVTSI2SD:
        this.readE(i, 4, n);
        f.set(V);
        f.i32(0).get(V).op(OP.i32_wrap_i64).op(OP.f64_convert_i32_s).mem(OP.f64_store, this.xmm(d, 0));
        return;
    }
    // addsd/subsd/mulsd/divsd, and the ss forms in doubles: a float operation done in doubles and rounded to a float
    // again is the correctly rounded float result (53 >= 2 * 24 + 2 bits), so FA, FB and FR hold floats' values.
    const fop = code.ext2[i] >> 2, single = (code.ext2[i] & 3) === FTYPE.SS;
    const loadXmm = (r: number): void => {
      if (single) f.i32(0).mem(OP.f32_load, this.xmm(r, 0)).op(OP.f64_promote_f32);
      else f.i32(0).mem(OP.f64_load, this.xmm(r, 0));
    };
    loadXmm(d);
    f.set(FA);
    if (mem) {
      this.readE(i, single ? 4 : 8, n);
      if (single) f.op(OP.i32_wrap_i64).op(OP.f32_reinterpret_i32).op(OP.f64_promote_f32);
      else f.op(OP.f64_reinterpret_i64);
      f.set(FB);
    } else {
      loadXmm(s);
      f.set(FB);
    }
    f.get(FA).get(FB).op(fop === FOP.ADD ? OP.f64_add : fop === FOP.SUB ? OP.f64_sub : fop === FOP.MUL ? OP.f64_mul : OP.f64_div);
    if (single) f.op(OP.f32_demote_f64).op(OP.f64_promote_f32);
    f.set(FR);
    const normal = (x: number): void => {
      f.get(x).op(OP.f64_abs).f64(single ? MIN_NORMAL32 : MIN_NORMAL64).op(OP.f64_ge);
      f.get(x).op(OP.f64_abs).f64(Infinity).op(OP.f64_lt).op(OP.i32_and);
    };
    const zero = (x: number): void => { f.get(x).f64(0).op(OP.f64_eq); };
    const normalOrZero = (x: number): void => { normal(x); zero(x); f.op(OP.i32_or); };
    // Round to nearest and PE already set; operands normal or zero (no DE); a normal result, or a zero one that is
    // exact (a sum, or a zero operand); no division by zero.
    f.i32(0).mem(OP.i32_load, this.area + AREA_MXCSR).i32(0x6020).op(OP.i32_and).i32(0x20).op(OP.i32_eq);
    normalOrZero(FA);
    f.op(OP.i32_and);
    normalOrZero(FB);
    f.op(OP.i32_and);
    normal(FR);
    zero(FR);
    if (fop === FOP.ADD || fop === FOP.SUB) f.i32(1);
    else { zero(FA); zero(FB); f.op(OP.i32_or); }
    f.op(OP.i32_and).op(OP.i32_or);
    f.op(OP.i32_and);
    if (fop === FOP.DIV) { zero(FB); f.op(OP.i32_eqz).op(OP.i32_and); }
    f.op(OP.i32_eqz);
    this.handOverIf(i, n);
    if (single) f.i32(0).get(FR).op(OP.f32_demote_f64).mem(OP.f32_store, this.xmm(d, 0));
    else f.i32(0).get(FR).mem(OP.f64_store, this.xmm(d, 0));
  }

  /** One-operand mul and imul (32 or 64 bits): rDX:rAX = rAX * E; CF = OF = the high half is not the low one's extension. */
  private multiplyAccumulator(i: number, n: number, signed: boolean, flags: boolean): void {
    const f = this.f, sz = this.code.sz[i], RAX = REG0, RDX = REG0 + 2;
    this.readE(i, sz, n);
    f.set(V);
    if (sz === 8) {
      emitMultiply128(f, RAX, V, Y, W, X, A, Z);
      if (signed) {
        // The signed high half: less b where a is negative, less a where b is.
        f.get(Y).get(V).i64(0).get(RAX).i64(0).op(OP.i64_lt_s).op(OP.select).op(OP.i64_sub);
        f.get(RAX).i64(0).get(V).i64(0).op(OP.i64_lt_s).op(OP.select).op(OP.i64_sub).set(Y);
      }
    } else {
      f.get(RAX);
      if (signed) f.op(OP.i64_extend32_s); else this.mask(4);
      f.get(V);
      if (signed) f.op(OP.i64_extend32_s);
      f.op(OP.i64_mul).set(X);
      f.get(X);
      this.mask(4);
      f.set(W);
      f.get(X).i64(32).op(OP.i64_shr_u);
      this.mask(4);
      f.set(Y);
    }
    if (flags) this.storeResFlags(sz, () => {
      f.i32(0);
      if (!signed) f.get(Y).i64(0).op(OP.i64_ne);
      else if (sz === 8) f.get(Y).get(W).i64(63).op(OP.i64_shr_s).op(OP.i64_ne);
      else f.get(X).get(X).op(OP.i64_extend32_s).op(OP.i64_ne);
      f.op(OP.i32_sub).i32(RFLAGS_CF | RFLAGS_OF).op(OP.i32_and);
    });
    f.get(W).set(RAX);
    f.get(Y).set(RDX);
  }

  /** Two- and three-operand imul (32 or 64 bits): CF = OF = the signed product did not fit. */
  private imul(i: number, n: number, flags: boolean): void {
    const code = this.code, f = this.f, sz = code.sz[i], rg = code.rg[i];
    this.readE(i, sz, n);
    if (code.op[i] === U.IMUL_GE) { f.set(Y); this.reg(rg, sz); f.set(X); }
    else { f.set(X); f.i64(this.immediate(i, sz)).set(Y); }
    if (sz === 4) {
      f.get(X).op(OP.i64_extend32_s).get(Y).op(OP.i64_extend32_s).op(OP.i64_mul).set(V);
      f.get(V);
      this.mask(4);
      f.set(W);
      if (flags) this.storeResFlags(4, () => {
        f.i32(0).get(V).get(V).op(OP.i64_extend32_s).op(OP.i64_ne).op(OP.i32_sub).i32(RFLAGS_CF | RFLAGS_OF).op(OP.i32_and);
      });
    } else {
      f.get(X).get(Y).op(OP.i64_mul).set(W);
      if (flags) this.storeResFlags(8, () => {
        // Overflow iff a != 0 and (a == -1 ? b == MIN : W / a != b) (the division is exact when it fits).
        f.get(X).op(OP.i64_eqz);
        f.open(OP.if);
        f.i32(0).set(T);
        f.op(OP.else);
        f.get(X).i64(-1).op(OP.i64_eq);
        f.open(OP.if);
        f.get(Y).i64(-(1n << 63n)).op(OP.i64_eq).set(T);
        f.op(OP.else);
        f.get(W).get(X).op(OP.i64_div_s).get(Y).op(OP.i64_ne).set(T);
        f.end();
        f.end();
        f.i32(0).get(T).op(OP.i32_sub).i32(RFLAGS_CF | RFLAGS_OF).op(OP.i32_and);
      });
    }
    this.setReg(rg, sz, () => f.get(W));
  }
}
