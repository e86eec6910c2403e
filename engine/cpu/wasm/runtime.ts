// What every WebAssembly region of one CPU shares: one function table holding the regions, the links (rip → region
// entry) in the CPU's area, and `dispatch`, which hands a region's exit straight to the linked region, so JavaScript
// is re-entered only for what the regions cannot do (interpreted instructions that leave, exits to code that has no
// region, budget exhaustion). Also the lazy flags in WebAssembly (CF and all six, of a record the region passes),
// and the interpreter's step for the regions.

import type { Core, RegionLinks } from "../core.ts";
import { CPU_AREA_SIZE } from "../../memory/frames.ts";
import { F_ADD, F_DEC, F_INC, F_LOGIC, F_NONE, F_RES, F_SUB } from "../flags.ts";
import { RFLAGS_AF, RFLAGS_CF, RFLAGS_OF } from "../state.ts";
import { TERMINATORS } from "../table.ts";
import { buildModule, FunctionBody, I32, I64, OP, type FuncType } from "./encoder.ts";
import { f80Instance } from "./f80.ts";
import {
  AREA_DF, AREA_END, AREA_EXIT_COUNT, AREA_EXIT_LEFT, AREA_EXIT_RIP, AREA_FLAGS, AREA_FP_TOP, AREA_FSBASE, AREA_LINKS, AREA_MXCSR,
  AREA_TRACE, AREA_TRACE_AT, AREA_TRACE_END, LINK_ENTRIES, TRACE_ENTRIES,
} from "./layout.ts";

if (AREA_END > CPU_AREA_SIZE) throw new Error("the CPU area layout outgrew CPU_AREA_SIZE");

/**
 * A region's function: (entry segment, instruction budget) → -1 (left for the rip in AREA_EXIT_RIP),
 * LEFT_IN_INTERPRETER or MISSED_AT - slot.
 */
export const RUN_TYPE: FuncType = { params: [I32, I32], results: [I32] };
/** The flag helpers' type: a lazy flag record (fop, fsz, fa, fb, fr, fcin, fbits) → RFLAGS bits. */
export const FLAGS_TYPE: FuncType = { params: [I32, I32, I64, I64, I64, I32, I32], results: [I32] };
/** run()'s result when the interpreter took over: rip and any exit are already set. */
export const LEFT_IN_INTERPRETER = -3;
/** run()'s result MISSED_AT - i: slot i missed the TLB; the interpreter runs it and the rest of its block. */
export const MISSED_AT = -4;
/** Most instructions one dispatch may run (keeps the i32 budget arithmetic in range). */
const MAX_BUDGET = 0x3fffffff;
/** Most instructions one call of a region may run before dispatch calls it again. */
const SLICE = 1 << 16;

const IS_TERMINATOR = new Uint8Array(256);
for (const t of TERMINATORS) IS_TERMINATOR[t] = 1;

/** Index of rip in the links: the top bits of its low half times 2^32 / phi (the same in WebAssembly). */
const LINK_SHIFT = 32 - Math.log2(LINK_ENTRIES);
const LINK_MULTIPLIER = 0x9e3779b1;
function linkIndex(lo: number): number {
  return Math.imul(lo, LINK_MULTIPLIER) >>> LINK_SHIFT;
}

/**
 * Emits the append of the f64 that `value` pushes to the block trace ring (layout.ts AREA_TRACE_AT), when a trace
 * is recorded; `full` is emitted for a full ring and either branches away or leaves the ring emptied (local `at` 0).
 * Regions (compiler.ts) and the links between them (dispatch below) record block entries with it.
 */
export function emitTraceAppend(f: FunctionBody, area: number, at: number, full: () => void, value: () => void): void {
  f.i32(0).mem(OP.i32_load, area + AREA_TRACE_AT).tee(at).i32(0).op(OP.i32_ge_s);
  f.open(OP.if);
  f.get(at).i32(0).mem(OP.i32_load, area + AREA_TRACE_END).op(OP.i32_ge_s);
  f.open(OP.if);
  full();
  f.end();
  f.get(at);
  value();
  f.mem(OP.f64_store, area + AREA_TRACE);
  f.i32(0).get(at).i32(8).op(OP.i32_add).mem(OP.i32_store, area + AREA_TRACE_AT);
  f.end();
}

/** dispatch(table index, segment, budget) and carry() over the CPU's area at `area`. */
function runtimeModule(area: number): Uint8Array<ArrayBuffer> {
  // dispatch: call the region; while it left for a linked rip with budget left, call that region. Each call gets at
  // most SLICE instructions, so a region that loops for long is called again now and then and runs the code V8 has
  // tiered it up to meanwhile (a running call keeps its first code).
  const d = new FunctionBody();
  const INDEX = 0, SEG = 1, BUDGET = 2, X = 3, P = 4, RIP = 5, PART = 6, TRACE_AT = 7;
  const out = d.open(OP.block);
  const again = d.open(OP.loop);
  d.get(BUDGET).i32(SLICE).get(BUDGET).i32(SLICE).op(OP.i32_lt_s).op(OP.select).set(PART);
  // Type 3 is RUN_TYPE, after the three functions' own types.
  d.get(SEG).get(PART).get(INDEX).callIndirect(3).tee(X).i32(-1).op(OP.i32_ne);
  d.open(OP.if);
  d.get(X).op(OP.return);
  d.end();
  d.get(BUDGET).get(PART).op(OP.i32_sub).i32(0).mem(OP.i32_load, area + AREA_EXIT_LEFT).op(OP.i32_add).tee(BUDGET)
    .i32(0).op(OP.i32_le_s);
  d.br(out, OP.br_if);
  d.i32(0).mem(OP.i64_load, area + AREA_EXIT_RIP).tee(RIP).op(OP.i32_wrap_i64);
  d.i32(LINK_MULTIPLIER).op(OP.i32_mul).i32(LINK_SHIFT).op(OP.i32_shr_u).i32(4).op(OP.i32_shl).set(P);
  // Two ways: the entry at the index, else its neighbour (index ^ 1).
  d.get(P).mem(OP.i64_load, area + AREA_LINKS).get(RIP).op(OP.i64_ne);
  d.open(OP.if);
  d.get(P).i32(16).op(OP.i32_xor).tee(P).mem(OP.i64_load, area + AREA_LINKS).get(RIP).op(OP.i64_ne);
  d.br(out, OP.br_if);
  d.end();
  d.get(P).mem(OP.i32_load, area + AREA_LINKS + 8).set(INDEX);
  d.get(P).mem(OP.i32_load, area + AREA_LINKS + 12).set(SEG);
  // Entering the linked region enters a block: the block trace records it, or with a full ring it is left to
  // JavaScript (which empties the ring).
  emitTraceAppend(d, area, TRACE_AT, () => d.br(out), () => d.get(RIP).op(OP.f64_convert_i64_u));
  d.br(again);
  d.end();
  d.end();
  d.i32(-1);

  // carry: CF of a lazy flag record (flags.ts carry); materialize: all six (flags.ts materialize). The record comes
  // as parameters (FLAGS_TYPE: fop, fsz, fa, fb, fr, fcin, fbits); operands masked to the recorded size.
  const CARRY = 1;
  const OPK = 0, FSZ = 1, FA = 2, FB = 3, FR = 4, FCIN = 5, FBITS = 6, MASK = 7, BITS = 8;
  const flagFunction = (build: (f: FunctionBody, masked: (local: number) => void, when: (kind: number, value: () => void) => void) => void): FunctionBody => {
    const f = new FunctionBody();
    f.i64(-1n).i32(8).get(FSZ).op(OP.i32_sub).i32(3).op(OP.i32_shl).op(OP.i64_extend_i32_u).op(OP.i64_shr_u).set(MASK);
    build(f, (local) => { f.get(local).get(MASK).op(OP.i64_and); }, (kind, value) => {
      f.get(OPK).i32(kind).op(OP.i32_eq);
      f.open(OP.if);
      value();
      f.op(OP.return);
      f.end();
    });
    return f;
  };
  const fbits = (f: FunctionBody): void => { f.get(FBITS); };
  const carryIn = (f: FunctionBody): void => { f.get(FCIN).i32(0).op(OP.i32_ne); };
  const carry = flagFunction((f, masked, when) => {
    const bits = (): void => { fbits(f); f.i32(RFLAGS_CF).op(OP.i32_and); };
    const below = (x: number, y: number): void => {
      masked(x); masked(y); f.op(OP.i64_lt_u);
      carryIn(f); masked(x); masked(y); f.op(OP.i64_eq).op(OP.i32_and);
      f.op(OP.i32_or);
    };
    when(F_NONE, bits);
    when(F_RES, bits);
    when(F_ADD, () => below(FR, FA));
    when(F_SUB, () => below(FA, FB));
    when(F_INC, () => carryIn(f));
    when(F_DEC, () => carryIn(f));
    f.i32(0);
  });
  const materialize = flagFunction((f, masked, when) => {
    when(F_NONE, () => fbits(f));
    // The sign of the i64 on the stack at the recorded size.
    const sign = (): void => { f.get(MASK).i64(1n).op(OP.i64_shr_u).op(OP.i64_gt_u); };
    masked(FR);
    f.op(OP.i64_eqz).i32(6).op(OP.i32_shl); // ZF
    masked(FR);
    sign();
    f.i32(7).op(OP.i32_shl).op(OP.i32_or); // SF
    f.get(FR).op(OP.i32_wrap_i64).i32(255).op(OP.i32_and).op(OP.i32_popcnt).i32(1).op(OP.i32_and).i32(1)
      .op(OP.i32_xor).i32(2).op(OP.i32_shl).op(OP.i32_or); // PF: even parity of the low byte
    f.set(BITS);
    when(F_RES, () => { f.get(BITS); fbits(f); f.i32(RFLAGS_CF | RFLAGS_OF | RFLAGS_AF).op(OP.i32_and).op(OP.i32_or); });
    when(F_LOGIC, () => f.get(BITS));
    f.get(BITS);
    for (let k = 0; k <= FBITS; k++) f.get(k);
    f.call(CARRY).op(OP.i32_or).set(BITS);
    // OF: add/inc (a ^ r) & (b ^ r), sub/dec (a ^ b) & (a ^ r), negative at the recorded size; AF: bit 4 of a ^ b ^ r.
    const overflow = (x: number, y: number, z: number, w: number): void => {
      masked(x); masked(y); f.op(OP.i64_xor); masked(z); masked(w); f.op(OP.i64_xor); f.op(OP.i64_and);
      sign();
      f.i32(11).op(OP.i32_shl);
    };
    f.get(OPK).i32(F_ADD).op(OP.i32_eq).get(OPK).i32(F_INC).op(OP.i32_eq).op(OP.i32_or);
    f.open(OP.if);
    overflow(FA, FR, FB, FR);
    f.get(BITS).op(OP.i32_or).set(BITS);
    f.end();
    f.get(OPK).i32(F_SUB).op(OP.i32_eq).get(OPK).i32(F_DEC).op(OP.i32_eq).op(OP.i32_or);
    f.open(OP.if);
    overflow(FA, FB, FA, FR);
    f.get(BITS).op(OP.i32_or).set(BITS);
    f.end();
    f.get(BITS);
    for (const at of [FA, FB, FR]) f.get(at).op(OP.i32_wrap_i64);
    f.op(OP.i32_xor).op(OP.i32_xor).i32(RFLAGS_AF).op(OP.i32_and).op(OP.i32_or);
  });

  return buildModule([], [
    { name: "dispatch", type: { params: [I32, I32, I32], results: [I32] }, locals: [[2, I32], [1, I64], [2, I32]], body: d },
    { name: "carry", type: FLAGS_TYPE, locals: [[1, I64]], body: carry },
    { name: "materialize", type: FLAGS_TYPE, locals: [[1, I64], [1, I32]], body: materialize },
  ], { table: true, indirectTypes: [RUN_TYPE] });
}

export class RegionRuntime implements RegionLinks {
  readonly table = new WebAssembly.Table({ element: "anyfunc", initial: 64 });
  /**
   * Imports of every region: CF and all six flags in WebAssembly, the interpreter's step and the emptying of a full
   * trace ring in JavaScript.
   */
  readonly imports: { m: Record<string, WebAssembly.Memory | WebAssembly.Table | ((...args: number[]) => number | void)> };
  private readonly dispatch: (index: number, seg: number, budget: number) => number;
  private readonly links: Int32Array;
  private readonly flags: Int32Array;
  private readonly df: Int32Array;
  private readonly exitRip: Int32Array;
  private readonly exitCount: Int32Array;
  private readonly segments: Int32Array;
  private readonly mxcsr: Int32Array;
  /** The x87 stack top, valid bits and control word. */
  private readonly fp: Int32Array;
  /** The block trace's write offset and end (bytes, layout.ts AREA_TRACE_AT) and its entries. */
  private readonly traceAt: Int32Array;
  private readonly traceEntries: Float64Array;
  private readonly free: number[] = [];
  private nextIndex = 0;
  /** frames.codeWrites when the links were last known valid: any code write since may have made a region stale. */
  private linkedCodeWrites = -1;
  /** What the interpreter's step left to do: an EXIT_* code, -1 (rip set) or -2 (code was written: leave). */
  private pending = -1;

  constructor(private readonly c: Core, private readonly memory: WebAssembly.Memory) {
    const area = c.area, buffer = memory.buffer;
    this.links = new Int32Array(buffer, area + AREA_LINKS, 4 * LINK_ENTRIES);
    this.flags = new Int32Array(buffer, area + AREA_FLAGS, 10);
    this.df = new Int32Array(buffer, area + AREA_DF, 1);
    this.exitRip = new Int32Array(buffer, area + AREA_EXIT_RIP, 2);
    this.exitCount = new Int32Array(buffer, area + AREA_EXIT_COUNT, 1);
    this.segments = new Int32Array(buffer, area + AREA_FSBASE, 4);
    this.mxcsr = new Int32Array(buffer, area + AREA_MXCSR, 1);
    this.fp = new Int32Array(buffer, area + AREA_FP_TOP, 3);
    this.traceAt = new Int32Array(buffer, area + AREA_TRACE_AT, 2);
    this.traceEntries = new Float64Array(buffer, area + AREA_TRACE, TRACE_ENTRIES);
    this.traceAt[0] = -1;
    this.exitCount[0] = 0;
    this.clearLinks();
    const exports = new WebAssembly.Instance(new WebAssembly.Module(runtimeModule(area)), {
      m: { mem: memory, table: this.table },
    }).exports;
    this.dispatch = exports.dispatch as (index: number, seg: number, budget: number) => number;
    const code = c.code;
    this.imports = {
      m: {
        mem: memory,
        carry: exports.carry as (...record: number[]) => number,
        materialize: exports.materialize as (...record: number[]) => number,
        // Interprets slot i after `retired` instructions of the calling region (and those of regions before it in
        // this dispatch): 0 to go on, 1 to leave.
        step: (slot: number, retired: number): number => {
          c.icount += retired + this.exitCount[0];
          this.exitCount[0] = 0;
          this.takeTrace(); // before the slot can fault
          this.flagsOut();
          const y = c.interpretSlot(slot);
          this.flagsIn();
          if (c.frames.codeWrites !== this.linkedCodeWrites) this.clearLinks();
          if (y >= 0) this.pending = y;
          else if (c.smc) { c.smc = false; this.pending = -2; }
          else if (IS_TERMINATOR[code.op[slot]]) this.pending = -1;
          else return 0;
          return 1;
        },
        traceFull: (): number => {
          this.takeTrace();
          return this.traceAt[1] > 0 ? 1 : 0;
        },
      },
    };
  }

  /**
   * The imports of a region, with the f80 functions (wasm/f80.ts) when it runs x87 instructions: made at the first
   * such region, as most programs have none.
   */
  importsFor(x87: boolean): WebAssembly.Imports {
    if (x87 && !("f80add" in this.imports.m)) Object.assign(this.imports.m, f80Instance(this.memory, this.c.area));
    return this.imports;
  }

  /** Lazy flags, DF, segment bases, MXCSR and the x87 stack state into the area (the regions read them there). */
  private flagsIn(): void {
    const S = this.flags, c = this.c;
    S[0] = c.fop; S[1] = c.fsz; S[2] = c.fa; S[3] = c.fah; S[4] = c.fb; S[5] = c.fbh; S[6] = c.fr; S[7] = c.frh;
    S[8] = c.fcin; S[9] = c.fbits;
    this.df[0] = (c.rfOther >> 10) & 1;
    const G = this.segments;
    G[0] = c.fsBase | 0; G[1] = Math.floor(c.fsBase / 4294967296) | 0;
    G[2] = c.gsBase | 0; G[3] = Math.floor(c.gsBase / 4294967296) | 0;
    this.mxcsr[0] = c.mxcsr;
    const F = this.fp;
    F[0] = c.fpTop; F[1] = c.fpTag; F[2] = c.fpuControl;
  }

  private flagsOut(): void {
    const S = this.flags, c = this.c;
    c.fop = S[0]; c.fsz = S[1]; c.fa = S[2]; c.fah = S[3]; c.fb = S[4]; c.fbh = S[5]; c.fr = S[6]; c.frh = S[7];
    c.fcin = S[8]; c.fbits = S[9];
    const F = this.fp;
    c.fpTop = F[0]; c.fpTag = F[1]; c.fpuControl = F[2];
  }

  /**
   * Moves the entries compiled code wrote into the CPU's block trace and gives it room for as many more as the
   * trace has (none while no trace is recorded).
   */
  private takeTrace(): void {
    const c = this.c, trace = c.blockTrace, at = this.traceAt;
    if (trace === null) {
      at[0] = -1;
      return;
    }
    if (at[0] > 0) {
      const n = at[0] >> 3;
      trace.set(this.traceEntries.subarray(0, n), c.blockTraceLength);
      c.blockTraceLength += n;
    }
    at[0] = 0;
    at[1] = 8 * Math.min(TRACE_ENTRIES, trace.length - c.blockTraceLength);
  }

  /** Puts a region's function in the table; returns its index. */
  add(run: Function): number {
    const index = this.free.length > 0 ? this.free.pop()! : this.nextIndex++;
    if (index >= this.table.length) this.table.grow(this.table.length);
    this.table.set(index, run);
    return index;
  }

  /** Takes a stale region out of the table (and every link, so none can reach what comes in its place). */
  remove(index: number): void {
    this.clearLinks();
    this.table.set(index, null);
    this.free.push(index);
  }

  /** Drops every region (the CPU flushed its code). */
  reset(): void {
    this.clearLinks();
    for (let k = 0; k < this.nextIndex; k++) this.table.set(k, null);
    this.free.length = 0;
    this.nextIndex = 0;
  }

  /** Forgets every link (address space switch or mapping change: rips may mean other code now). */
  clearLinks(): void {
    this.links.fill(-1);
    this.linkedCodeWrites = this.c.frames.codeWrites;
  }

  /** Links rip (a block start decoded in the current address space) to entry `seg` of region `index`. */
  link(rip: number, index: number, seg: number): void {
    if (this.c.frames.codeWrites !== this.linkedCodeWrites) this.clearLinks();
    const L = this.links, lo = rip | 0, hi = Math.floor(rip / 4294967296) | 0;
    // Two ways (index and index ^ 1): rip's own entry, else a free one, else the older moves to the second way.
    let p = 4 * linkIndex(lo);
    const q = p ^ 4;
    if (!(L[p] === lo && L[p + 1] === hi)) {
      if (L[q] === lo && L[q + 1] === hi) p = q;
      else if (L[p] !== -1 || L[p + 1] !== -1) {
        if (L[q] !== -1 || L[q + 1] !== -1) L.copyWithin(q, p, p + 4);
        else p = q;
      }
    }
    L[p] = lo;
    L[p + 1] = hi;
    L[p + 2] = index;
    L[p + 3] = seg;
  }

  /** Runs region `index` from entry `seg` (at rip) and whatever it links to; returns -1 or an EXIT_* code. */
  enter(index: number, seg: number, rip: number): number {
    const c = this.c;
    this.link(rip, index, seg);
    this.flagsIn();
    this.takeTrace();
    const room = c.runLimit - c.icount;
    const x = this.dispatch(index, seg, room > MAX_BUDGET ? MAX_BUDGET : room);
    c.icount += this.exitCount[0];
    this.exitCount[0] = 0;
    if (this.traceAt[0] > 0) this.takeTrace();
    this.flagsOut();
    if (x === LEFT_IN_INTERPRETER) return this.pending < 0 ? -1 : this.pending;
    if (x <= MISSED_AT) {
      const y = c.interpretRest(MISSED_AT - x);
      c.smc = false; // what a store into code dropped, the interpreter has seen; the regions left already
      return y;
    }
    c.rip = (this.exitRip[1] >>> 0) * 4294967296 + (this.exitRip[0] >>> 0);
    return -1;
  }
}
