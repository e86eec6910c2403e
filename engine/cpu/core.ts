// The CPU core every execution engine shares: registers, lazy flags, TLB-fronted guest memory, faults, the ALU
// helpers compiled code calls, and the decoded-block cache. The interpreter (interp.ts), the block compiler (jit.ts)
// and the WebAssembly compiler (wasm/) build on it; cpu.ts chooses between them. Shaped by speed: no allocation, no BigInt.

import { FramePool, PAGE_SHIFT, PAGE_SIZE } from "../memory/frames.ts";
import { AddressSpace, PERM_R, PERM_W, PERM_X, PF_FETCH, PF_PRESENT, PF_USER, PF_WRITE, USER_LIMIT } from "../memory/address-space.ts";
import { CodeBuffer, decode, FL_A32, FL_FS, FL_GS, HIGH_BYTE, NO_REG, TRUNCATED } from "./decoder.ts";
import { ARITH_MASK, carry, F_ADD, F_DEC, F_INC, F_LOGIC, F_NONE, F_RES, F_SUB, materialize, type FlagState } from "./flags.ts";
import { RFLAGS_CF, RFLAGS_FIXED, RFLAGS_IF, RFLAGS_OF } from "./state.ts";
import { TERMINATORS, U } from "./table.ts";
import { AREA_FPX, AREA_REGS, AREA_RBASE, AREA_RTAG, AREA_WBASE, AREA_WTAG, AREA_XMM } from "./wasm/layout.ts";

export const EXIT_BUDGET = 0, EXIT_SYSCALL = 1, EXIT_EXCEPTION = 2;

export const VEC_DE = 0, VEC_DB = 1, VEC_BP = 3, VEC_UD = 6, VEC_GP = 13, VEC_PF = 14, VEC_AC = 17, VEC_XM = 19;

const TLB_BITS = 8;
const TLB_SIZE = 1 << TLB_BITS;
const TLB_MASK = TLB_SIZE - 1;
const JC_SIZE = 4096;
export const JC_MASK = JC_SIZE - 1;
export const CODE_SLOTS = 1 << 18;
export const MAX_BLOCK = 128;
/** Slots at the end of the buffer for one-instruction blocks that straddle two pages (never cached). */
export const SCRATCH_SLOTS = 2;
/** The hits one entry of a block with x87 instructions counts (Core.heat). */
const X87_HEAT = 8;
export const TWO32 = 4294967296;

/** Thrown (never allocated per fault) to unwind an instruction that raised an exception. */
export const FAULT = { fault: true };

export const IS_TERMINATOR = new Uint8Array(256);
for (const t of TERMINATORS) IS_TERMINATOR[t] = 1;

/** What the core asks of the WebAssembly regions' shared runtime (wasm/runtime.ts). */
export interface RegionLinks {
  /** Forgets the links between regions (the TLB was flushed: a link's target may now map elsewhere). */
  clearLinks(): void;
  /** Forgets every region (decoded code was dropped). */
  reset(): void;
}

/** A compiled block or region (jit.ts, wasm/): returns -1 to keep dispatching, or an EXIT_* code. Updates rip and icount itself. */
export type BlockFn = (c: Core, R: Int32Array, dv: DataView) => number;

export abstract class Core implements FlagState {
  /** 16 GPRs as (low, high) int32 pairs, as in CpuState; in the CPU's area of guest memory (wasm/layout.ts). */
  readonly r: Int32Array;
  /** 16 XMM registers as 4 int32 lanes, with float views of the same bytes; in the CPU's area too. */
  readonly xmm: Int32Array;
  readonly xmmF32: Float32Array;
  readonly xmmF64: Float64Array;
  rip = 0;
  fsBase = 0;
  gsBase = 0;
  mxcsr = 0x1f80;
  /** x87 physical registers as 80-bit word triples (f80.ts), plus two scratch values; stack top, valid-register
   * bits, control and status (without TOP) words. */
  readonly fpx: Uint32Array;
  fpTop = 0;
  fpTag = 0;
  fpuControl = 0x037f;
  fpuStatus = 0;
  /** RFLAGS bits other than the six arithmetic ones (DF, IF, AC, ID, fixed bit 1). */
  rfOther = RFLAGS_FIXED | RFLAGS_IF;
  // Lazy flags (flags.ts).
  fop = F_NONE;
  fsz = 4;
  fa = 0;
  fah = 0;
  fb = 0;
  fbh = 0;
  fr = 0;
  frh = 0;
  fcin = 0;
  fbits = 0;
  /** Second return value (high half of a 64-bit value) of the helpers below. */
  hi = 0;

  icount = 0;
  readTsc: () => number = () => this.icount;
  exitVector = 0;
  exitErrorCode = 0;
  exitAddress = 0;
  exitInstrLength = 0;
  /** When non-null, the start address of every executed block is appended (for record/replay). */
  blockTrace: Float64Array | null = null;
  blockTraceLength = 0;

  /** Whether the compiled code was made while a block trace was recorded (see matchTraceMode). */
  private codeTraced = false;

  /**
   * WebAssembly regions append to the block trace only when compiled while one is recorded (else every jump between
   * their blocks would carry that code): when recording starts or stops, compiled code is dropped, and blocks compile
   * again as they run (their hit counts stay). Called before compiled code runs.
   */
  protected matchTraceMode(): void {
    const traced = this.blockTrace !== null;
    if (traced === this.codeTraced) return;
    this.codeTraced = traced;
    this.jitFns.fill(null);
    this.regionRuntime?.reset();
  }

  /** Appends a block entry at rip to the block trace (if one is recorded); false when it is full. */
  traceBlock(rip: number): boolean {
    const trace = this.blockTrace;
    if (trace === null) return true;
    if (this.blockTraceLength >= trace.length) return false;
    trace[this.blockTraceLength++] = rip;
    return true;
  }

  // Memory.
  readonly mem: Uint8Array;
  readonly dv: DataView;
  space: AddressSpace | null = null;
  private spaceGeneration = -1;
  private seenCodeWrites = 0;
  private seenCodeMarks = 0;
  /** Read and write TLBs: page address tag → physical frame base (read by compiled blocks too). */
  readonly rtag: Float64Array;
  readonly rbase: Int32Array;
  readonly wtag: Float64Array;
  readonly wbase: Int32Array;
  /** Byte offset of this CPU's area in the frame pool's WebAssembly memory, or -1 (no compiled WebAssembly). */
  readonly area: number;
  /** Whether hot regions are compiled to WebAssembly (else to JavaScript). */
  wasmRegions = false;
  /** The table, links and dispatch the WebAssembly regions share (made with the first region). */
  regionRuntime: RegionLinks | null = null;
  private readonly xtag = new Float64Array(TLB_SIZE).fill(-1);
  private readonly xbase = new Int32Array(TLB_SIZE);
  /** Physical offset of the operand of the current read-modify-write instruction, or -1 (page-crossing). */
  private rmwP = 0;

  // Decoded code.
  readonly code = new CodeBuffer(CODE_SLOTS);
  private nextSlot = 0;
  /** Per physical frame: slot + 1 of the block starting at each byte offset (0 = none). */
  private readonly pageBlocks = new Map<number, Int32Array>();
  /** codeEpoch of each frame when its blocks were decoded. */
  private readonly pageEpoch = new Map<number, number>();
  protected readonly jcRip = new Float64Array(JC_SIZE).fill(-1);
  protected readonly jcSlot = new Int32Array(JC_SIZE);
  private readonly scratch = new Uint8Array(32);
  /** Block entries counted per first slot; a block is compiled when it reaches jitThreshold (at most 65535; Infinity: never). */
  jitThreshold = 1000;
  protected readonly hits = new Uint16Array(CODE_SLOTS);
  /** Entries of compiled blocks per first slot; at regionThreshold the block is recompiled as a region. */
  protected readonly warm = new Uint32Array(CODE_SLOTS);
  /**
   * What one entry of the block decoded at a slot adds to its hits: X87_HEAT for a block with x87 instructions, which
   * the interpreter runs tens of times slower than integer ones (f80.ts in JavaScript), so they compile sooner.
   */
  protected readonly heat = new Uint8Array(CODE_SLOTS);
  protected readonly jitFns: (BlockFn | null)[] = new Array<BlockFn | null>(CODE_SLOTS).fill(null);
  /** Per slot of an indirect jmp/call the interpreter ran (with WebAssembly regions): where it last went. */
  readonly indirectTargets = new Map<number, number>();
  /** Set when a store dropped decoded code, so a compiled block stops after the storing instruction. */
  smc = false;
  /**
   * Entries of a compiled block after which it is recompiled as a region with the executed blocks it reaches on its
   * page (Infinity: one function per block). Off by default: on this machine's V8 a region's first seconds run in
   * Ignition while TurboFan compiles it, so short runs measure slower (README, CPU).
   */
  regionThreshold = Infinity;
  /** JIT statistics: functions compiled, their generated source bytes, ms spent compiling, entries into compiled code. */
  jitCompiled = 0;
  jitCodeBytes = 0;
  jitCompileMs = 0;
  jitExits = 0;
  /** Slot of the instruction that faulted inside a compiled block, and the first slot of its block. */
  faultSlot = 0;
  faultFirst = 0;
  /** icount at which the current run() stops (compiled loops check it). */
  runLimit = 0;

  constructor(readonly frames: FramePool) {
    this.mem = frames.bytes;
    this.dv = frames.view;
    const area = frames.allocCpuArea();
    this.area = area;
    // Each array gets its own buffer when there is no area: snapshots refuse two views of one private buffer.
    const at = <T>(make: (b: ArrayBuffer, offset: number, n: number) => T, offset: number, n: number, bytes: number): T =>
      area >= 0 ? make(frames.memory!.buffer, area + offset, n) : make(new ArrayBuffer(n * bytes), 0, n);
    const i32 = (b: ArrayBuffer, o: number, n: number): Int32Array => new Int32Array(b, o, n);
    const f64 = (b: ArrayBuffer, o: number, n: number): Float64Array => new Float64Array(b, o, n);
    this.r = at(i32, AREA_REGS, 32, 4);
    this.rtag = at(f64, AREA_RTAG, TLB_SIZE, 8).fill(-1);
    this.rbase = at(i32, AREA_RBASE, TLB_SIZE, 4);
    this.wtag = at(f64, AREA_WTAG, TLB_SIZE, 8).fill(-1);
    this.wbase = at(i32, AREA_WBASE, TLB_SIZE, 4);
    this.xmm = at(i32, AREA_XMM, 64, 4);
    this.fpx = at((b, o, n) => new Uint32Array(b, o, n), AREA_FPX, 30, 4);
    this.xmmF32 = new Float32Array(this.xmm.buffer, this.xmm.byteOffset, 64);
    this.xmmF64 = new Float64Array(this.xmm.buffer, this.xmm.byteOffset, 32);
  }

  // ---------------------------------------------------------------- exceptions

  fault(vector: number, errorCode: number, address: number): never {
    this.exitVector = vector;
    this.exitErrorCode = errorCode;
    this.exitAddress = address;
    throw FAULT;
  }

  /** #PF for a user-half address, #GP(0) for a non-canonical one. */
  private addressFault(a: number, access: number, present: boolean): never {
    if (a >= 0x800000000000 || a < -0x800000000000) this.fault(VEC_GP, 0, 0);
    this.fault(VEC_PF, access | PF_USER | (present ? PF_PRESENT : 0), a < 0 ? a + 2 ** 64 : a);
  }

  // ---------------------------------------------------------------- TLB and translation

  /** Flushes the TLBs and the rip → block cache (space switch, mapping change). */
  flushTlb(): void {
    this.rtag.fill(-1);
    this.wtag.fill(-1);
    this.xtag.fill(-1);
    this.jcRip.fill(-1);
    this.regionRuntime?.clearLinks();
  }

  /** Brings TLBs and decoded blocks in line with the space's generation and other writers of code frames. */
  syncMemory(): void {
    const space = this.space;
    if (space !== null && space.generation !== this.spaceGeneration) {
      this.spaceGeneration = space.generation;
      this.flushTlb();
    }
    const f = this.frames;
    if (f.codeWrites !== this.seenCodeWrites) {
      this.seenCodeWrites = f.codeWrites;
      for (const [frame, epoch] of this.pageEpoch) {
        if (f.codeEpoch[frame] !== epoch) this.dropFrame(frame);
      }
    }
    if (f.codeMarks !== this.seenCodeMarks) {
      this.seenCodeMarks = f.codeMarks;
      this.wtag.fill(-1);
    }
  }

  private dropFrame(frame: number): void {
    this.pageBlocks.delete(frame);
    this.pageEpoch.delete(frame);
    this.jcRip.fill(-1);
  }

  private translate(a: number, access: number): number {
    const space = this.space;
    if (a < 0 || a >= USER_LIMIT || space === null) this.addressFault(a, access, false);
    const off = a & (PAGE_SIZE - 1); // a is a non-negative integer below USER_LIMIT
    const pte = space.lookup((a - off) / PAGE_SIZE);
    if (pte < 0) this.addressFault(a, access, false);
    const need = access & PF_FETCH ? PERM_X : access & PF_WRITE ? PERM_W : PERM_R;
    if ((pte & need) === 0) this.addressFault(a, access, true);
    return (pte - (pte & 7)) * (PAGE_SIZE / 8);
  }

  /** Physical frame base for reading at a (faults report a itself); fills the read TLB. */
  private fillRead(a: number): number {
    const base = this.translate(a, 0);
    const t = (a >>> PAGE_SHIFT) & TLB_MASK;
    this.rtag[t] = a - (a & 0xfff);
    this.rbase[t] = base;
    return base;
  }

  /** Physical frame base for writing at a; code frames are never cached (stores must see them). */
  private fillWrite(a: number): number {
    const base = this.translate(a, PF_WRITE);
    const frame = base >>> PAGE_SHIFT;
    if (this.frames.code[frame] !== 0) this.codeWritten(frame);
    else {
      const t = (a >>> PAGE_SHIFT) & TLB_MASK;
      this.wtag[t] = a - (a & 0xfff);
      this.wbase[t] = base;
    }
    return base;
  }

  /**
   * A store hits a frame holding decoded code: drop its blocks. Their slots become SMC exits, so the block being
   * executed (if it is one of them) leaves right after the storing instruction and resumes from fresh code.
   */
  protected codeWritten(frame: number): void {
    this.frames.noteWrite(frame);
    this.seenCodeWrites = this.frames.codeWrites;
    const map = this.pageBlocks.get(frame);
    if (map === undefined) return;
    this.smc = true;
    const c = this.code;
    for (let off = 0; off < PAGE_SIZE; off++) {
      for (let s = map[off] - 1; s >= 0; s++) {
        const op = c.op[s];
        c.op[s] = U.SMC_EXIT;
        if (IS_TERMINATOR[op]) break;
      }
    }
    this.dropFrame(frame);
  }

  /** Physical offset for a read of n bytes at a, or -1 when the access straddles a page. */
  rphys(a: number, n: number): number {
    const off = a & 0xfff;
    const page = a - off;
    const t = (a >>> PAGE_SHIFT) & TLB_MASK;
    const base = this.rtag[t] === page ? this.rbase[t] : this.fillRead(a);
    return off + n <= PAGE_SIZE ? base + off : -1;
  }

  /** Physical offset for a write of n bytes at a, or -1 when it straddles a page (both pages checked). */
  wphys(a: number, n: number): number {
    const off = a & 0xfff;
    const page = a - off;
    const t = (a >>> PAGE_SHIFT) & TLB_MASK;
    const base = this.wtag[t] === page ? this.wbase[t] : this.fillWrite(a);
    if (off + n <= PAGE_SIZE) return base + off;
    this.fillWrite(page + PAGE_SIZE);
    return -1;
  }

  /** Byte-wise access for page-straddling operands (both pages already checked for writes). */
  private readSplit(a: number, n: number): number {
    let lo = 0, hi = 0;
    for (let k = 0; k < n; k++) {
      const b = this.mem[this.rphys(a + k, 1)];
      if (k < 4) lo |= b << (8 * k);
      else hi |= b << (8 * (k - 4));
    }
    this.hi = hi;
    return lo;
  }

  private writeSplit(a: number, n: number, lo: number, hi: number): void {
    for (let k = 0; k < n; k++) {
      const b = k < 4 ? (lo >>> (8 * k)) & 0xff : (hi >>> (8 * (k - 4))) & 0xff;
      this.mem[this.wphys(a + k, 1)] = b;
    }
  }

  rd8(a: number): number {
    const off = a & 0xfff;
    const t = (a >>> PAGE_SHIFT) & TLB_MASK;
    if (this.rtag[t] === a - off) return this.mem[this.rbase[t] + off];
    return this.mem[this.fillRead(a) + off];
  }

  rd16(a: number): number {
    const p = this.rphys(a, 2);
    return p >= 0 ? this.dv.getUint16(p, true) : this.readSplit(a, 2);
  }

  rd32(a: number): number {
    const off = a & 0xfff;
    const t = (a >>> PAGE_SHIFT) & TLB_MASK;
    if (this.rtag[t] === a - off && off <= PAGE_SIZE - 4) return this.dv.getInt32(this.rbase[t] + off, true);
    const p = this.rphys(a, 4);
    return p >= 0 ? this.dv.getInt32(p, true) : this.readSplit(a, 4);
  }

  /** Returns the low half; the high half is left in this.hi. */
  rd64(a: number): number {
    const off = a & 0xfff;
    const t = (a >>> PAGE_SHIFT) & TLB_MASK;
    let p: number;
    if (this.rtag[t] === a - off && off <= PAGE_SIZE - 8) p = this.rbase[t] + off;
    else {
      p = this.rphys(a, 8);
      if (p < 0) return this.readSplit(a, 8);
    }
    this.hi = this.dv.getInt32(p + 4, true);
    return this.dv.getInt32(p, true);
  }

  wr8(a: number, v: number): void {
    const off = a & 0xfff;
    const t = (a >>> PAGE_SHIFT) & TLB_MASK;
    if (this.wtag[t] === a - off) this.mem[this.wbase[t] + off] = v;
    else this.mem[this.fillWrite(a) + off] = v;
  }

  wr16(a: number, v: number): void {
    const p = this.wphys(a, 2);
    if (p >= 0) this.dv.setUint16(p, v, true);
    else this.writeSplit(a, 2, v, 0);
  }

  wr32(a: number, v: number): void {
    const off = a & 0xfff;
    const t = (a >>> PAGE_SHIFT) & TLB_MASK;
    if (this.wtag[t] === a - off && off <= PAGE_SIZE - 4) {
      this.dv.setInt32(this.wbase[t] + off, v, true);
      return;
    }
    const p = this.wphys(a, 4);
    if (p >= 0) this.dv.setInt32(p, v, true);
    else this.writeSplit(a, 4, v, 0);
  }

  wr64(a: number, lo: number, hi: number): void {
    const off = a & 0xfff;
    const t = (a >>> PAGE_SHIFT) & TLB_MASK;
    let p: number;
    if (this.wtag[t] === a - off && off <= PAGE_SIZE - 8) p = this.wbase[t] + off;
    else {
      p = this.wphys(a, 8);
      if (p < 0) {
        this.writeSplit(a, 8, lo, hi);
        return;
      }
    }
    this.dv.setInt32(p, lo, true);
    this.dv.setInt32(p + 4, hi, true);
  }

  readMem(a: number, sz: number): number {
    switch (sz) {
      case 1: return this.rd8(a);
      case 2: return this.rd16(a);
      case 4: return this.rd32(a);
      default: return this.rd64(a);
    }
  }

  writeMem(a: number, sz: number, lo: number, hi: number): void {
    switch (sz) {
      case 1: this.wr8(a, lo); break;
      case 2: this.wr16(a, lo); break;
      case 4: this.wr32(a, lo); break;
      default: this.wr64(a, lo, hi);
    }
  }

  /** Read half of a read-modify-write: checks write access first, so the later store cannot fault. */
  rmwLoad(a: number, sz: number): number {
    const p = this.wphys(a, sz);
    this.rmwP = p;
    if (p < 0) return this.readSplit(a, sz);
    switch (sz) {
      case 1: return this.mem[p];
      case 2: return this.dv.getUint16(p, true);
      case 4: return this.dv.getInt32(p, true);
      default:
        this.hi = this.dv.getInt32(p + 4, true);
        return this.dv.getInt32(p, true);
    }
  }

  rmwStore(a: number, sz: number, lo: number, hi: number): void {
    const p = this.rmwP;
    if (p < 0) {
      this.writeSplit(a, sz, lo, hi);
      return;
    }
    switch (sz) {
      case 1: this.mem[p] = lo; break;
      case 2: this.dv.setUint16(p, lo, true); break;
      case 4: this.dv.setInt32(p, lo, true); break;
      default:
        this.dv.setInt32(p, lo, true);
        this.dv.setInt32(p + 4, hi, true);
    }
  }

  // ---------------------------------------------------------------- registers and operands

  getR(r: number, sz: number): number {
    const R = this.r;
    if (sz === 8) {
      this.hi = R[2 * r + 1];
      return R[2 * r];
    }
    if (sz === 4) return R[2 * r];
    if (sz === 2) return R[2 * r] & 0xffff;
    return r < HIGH_BYTE ? R[2 * r] & 0xff : (R[2 * (r - HIGH_BYTE)] >> 8) & 0xff;
  }

  setR(r: number, sz: number, lo: number, hi: number): void {
    const R = this.r;
    if (sz === 8) {
      R[2 * r] = lo;
      R[2 * r + 1] = hi;
    } else if (sz === 4) {
      R[2 * r] = lo;
      R[2 * r + 1] = 0;
    } else if (sz === 2) R[2 * r] = (R[2 * r] & ~0xffff) | (lo & 0xffff);
    else if (r < HIGH_BYTE) R[2 * r] = (R[2 * r] & ~0xff) | (lo & 0xff);
    else {
      const k = 2 * (r - HIGH_BYTE);
      R[k] = (R[k] & ~0xff00) | ((lo & 0xff) << 8);
    }
  }

  /** A GPR as an unsigned address-like double (exact below 2^53). */
  reg64(r: number): number {
    return (this.r[2 * r + 1] >>> 0) * TWO32 + (this.r[2 * r] >>> 0);
  }

  setReg64(r: number, v: number): void {
    this.r[2 * r] = v; // an Int32Array store keeps v modulo 2^32: no % on the double
    this.r[2 * r + 1] = Math.floor(v / TWO32);
  }

  /** Effective address of slot i's memory operand, including the FS/GS base. */
  ea(i: number): number {
    const c = this.code, R = this.r;
    let a = c.disp[i];
    const b = c.rm[i];
    if (b !== NO_REG) a += R[2 * b + 1] * TWO32 + (R[2 * b] >>> 0);
    const x = c.ix[i];
    if (x !== NO_REG) a += (R[2 * x + 1] * TWO32 + (R[2 * x] >>> 0)) * c.sc[i];
    const f = c.fl[i];
    if (f !== 0) {
      if (f & FL_A32) a = a >>> 0;
      if (f & FL_FS) a += this.fsBase;
      else if (f & FL_GS) a += this.gsBase;
    }
    if (x !== NO_REG && (a < 0 || a >= USER_LIMIT)) {
      a = this.wrappedEa(c.disp[i], b !== NO_REG ? R[2 * b] : 0, b !== NO_REG ? R[2 * b + 1] : 0, R[2 * x], R[2 * x + 1], c.sc[i], f);
    }
    return a;
  }

  /**
   * The effective address modulo 2^64 (signed, like ea), exact where the double sum above is not: a scaled index
   * beyond 2^53 (rust code indexes with `(i ^ 0x1fff…fe) * 40`, which wraps to a small negative offset).
   */
  wrappedEa(disp: number, bLo: number, bHi: number, xLo: number, xHi: number, scale: number, fl: number): number {
    let lo = disp + (bLo >>> 0) + (xLo >>> 0) * scale;
    let carry = Math.floor(lo / TWO32);
    lo -= carry * TWO32;
    if (fl & FL_A32) return lo + (fl & FL_FS ? this.fsBase : fl & FL_GS ? this.gsBase : 0);
    let hi = bHi + xHi * scale + carry;
    const seg = fl & FL_FS ? this.fsBase : fl & FL_GS ? this.gsBase : 0;
    if (seg !== 0) {
      const segLo = seg % TWO32;
      lo += segLo;
      carry = lo >= TWO32 ? 1 : 0;
      lo -= carry * TWO32;
      hi += (seg - segLo) / TWO32 + carry;
    }
    return (hi | 0) * TWO32 + lo;
  }

  // ---------------------------------------------------------------- flags

  getRflags(): number {
    return (materialize(this) & ARITH_MASK) | this.rfOther;
  }

  setRflags(v: number): void {
    this.fop = F_NONE;
    this.fbits = v & ARITH_MASK;
    this.rfOther = (v & ~ARITH_MASK) | RFLAGS_FIXED;
  }

  private setFlags(op: number, sz: number, a: number, ah: number, b: number, bh: number, r: number, rh: number, cin: number): void {
    this.fop = op;
    this.fsz = sz;
    this.fa = a;
    this.fah = ah;
    this.fb = b;
    this.fbh = bh;
    this.fr = r;
    this.frh = rh;
    this.fcin = cin;
  }

  /** Result-only flags (SF/ZF/PF from r) with explicit CF/OF/AF bits. */
  protected setResFlags(sz: number, r: number, rh: number, bits: number): void {
    this.fop = F_RES;
    this.fsz = sz;
    this.fr = sz === 8 ? r : sz === 4 ? r | 0 : r & (sz === 2 ? 0xffff : 0xff);
    this.frh = sz === 8 ? rh : 0;
    this.fbits = bits;
  }

  /** Replaces some materialised flags (for instructions that leave the others alone). */
  protected patchFlags(mask: number, bits: number): void {
    this.fbits = (materialize(this) & ~mask) | (bits & mask);
    this.fop = F_NONE;
  }

  // ---------------------------------------------------------------- ALU

  /** add/or/adc/sbb/and/sub/xor/cmp; returns the low half (high half in this.hi). */
  alu(op: number, sz: number, a: number, ah: number, b: number, bh: number): number {
    if (sz === 8) return this.alu64(op, a, ah, b, bh);
    const m = sz === 4 ? -1 : sz === 2 ? 0xffff : 0xff;
    a &= m;
    b &= m;
    let r: number;
    switch (op) {
      case 0: r = (a + b) & m; this.setFlags(F_ADD, sz, a, 0, b, 0, r, 0, 0); break;
      case 1: r = a | b; this.setFlags(F_LOGIC, sz, a, 0, b, 0, r, 0, 0); break;
      case 2: {
        const c = carry(this) ? 1 : 0;
        r = (a + b + c) & m;
        this.setFlags(F_ADD, sz, a, 0, b, 0, r, 0, c);
        break;
      }
      case 3: {
        const c = carry(this) ? 1 : 0;
        r = (a - b - c) & m;
        this.setFlags(F_SUB, sz, a, 0, b, 0, r, 0, c);
        break;
      }
      case 4: r = a & b; this.setFlags(F_LOGIC, sz, a, 0, b, 0, r, 0, 0); break;
      case 6: r = a ^ b; this.setFlags(F_LOGIC, sz, a, 0, b, 0, r, 0, 0); break;
      default: r = (a - b) & m; this.setFlags(F_SUB, sz, a, 0, b, 0, r, 0, 0); break;
    }
    this.hi = 0;
    return r;
  }

  private alu64(op: number, a: number, ah: number, b: number, bh: number): number {
    let lo: number, hi: number;
    switch (op) {
      case 0: case 2: {
        const c = op === 2 && carry(this) ? 1 : 0;
        const s = (a >>> 0) + (b >>> 0) + c;
        lo = s | 0;
        hi = (ah + bh + (s >= TWO32 ? 1 : 0)) | 0;
        this.setFlags(F_ADD, 8, a, ah, b, bh, lo, hi, c);
        break;
      }
      case 1: lo = a | b; hi = ah | bh; this.setFlags(F_LOGIC, 8, a, ah, b, bh, lo, hi, 0); break;
      case 4: lo = a & b; hi = ah & bh; this.setFlags(F_LOGIC, 8, a, ah, b, bh, lo, hi, 0); break;
      case 6: lo = a ^ b; hi = ah ^ bh; this.setFlags(F_LOGIC, 8, a, ah, b, bh, lo, hi, 0); break;
      default: {
        const c = op === 3 && carry(this) ? 1 : 0;
        const s = (a >>> 0) - (b >>> 0) - c;
        lo = s | 0;
        hi = (ah - bh - (s < 0 ? 1 : 0)) | 0;
        this.setFlags(F_SUB, 8, a, ah, b, bh, lo, hi, c);
        break;
      }
    }
    this.hi = hi;
    return lo;
  }

  /** 64-bit ALU on register halves at index d (and d+1) with source b:bh; ALU_TEST (8) and cmp do not write. */
  aluReg64(op: number, d: number, b: number, bh: number): void {
    const R = this.r;
    const a = R[d], ah = R[d + 1];
    let lo: number, hi: number;
    switch (op) {
      case 0: {
        const s = (a >>> 0) + (b >>> 0);
        lo = s | 0;
        hi = (ah + bh + (s >= TWO32 ? 1 : 0)) | 0;
        this.fop = F_ADD;
        break;
      }
      case 5: case 7: {
        const s = (a >>> 0) - (b >>> 0);
        lo = s | 0;
        hi = (ah - bh - (s < 0 ? 1 : 0)) | 0;
        this.fop = F_SUB;
        break;
      }
      case 1: lo = a | b; hi = ah | bh; this.fop = F_LOGIC; break;
      case 4: case 8: lo = a & b; hi = ah & bh; this.fop = F_LOGIC; break;
      case 6: lo = a ^ b; hi = ah ^ bh; this.fop = F_LOGIC; break;
      default:
        R[d] = this.alu64(op, a, ah, b, bh);
        R[d + 1] = this.hi;
        return;
    }
    this.fsz = 8;
    this.fa = a;
    this.fah = ah;
    this.fb = b;
    this.fbh = bh;
    this.fr = lo;
    this.frh = hi;
    this.fcin = 0;
    if (op !== 7 && op !== 8) {
      R[d] = lo;
      R[d + 1] = hi;
    }
  }

  /** 32-bit ALU on register index d (zero-extending the write) with source b. */
  aluReg32(op: number, d: number, b: number): void {
    const R = this.r;
    const a = R[d];
    let r: number;
    switch (op) {
      case 0: r = (a + b) | 0; this.fop = F_ADD; break;
      case 5: case 7: r = (a - b) | 0; this.fop = F_SUB; break;
      case 1: r = a | b; this.fop = F_LOGIC; break;
      case 4: case 8: r = a & b; this.fop = F_LOGIC; break;
      case 6: r = a ^ b; this.fop = F_LOGIC; break;
      default:
        R[d] = this.alu(op, 4, a, 0, b, 0);
        R[d + 1] = 0;
        return;
    }
    this.fsz = 4;
    this.fa = a;
    this.fb = b;
    this.fr = r;
    this.frh = 0;
    this.fcin = 0;
    if (op !== 7 && op !== 8) {
      R[d] = r;
      R[d + 1] = 0;
    }
  }

  incdec(dec: boolean, sz: number, a: number, ah: number): number {
    const cf = carry(this) ? 1 : 0;
    let lo: number, hi = 0;
    if (sz === 8) {
      const s = (a >>> 0) + (dec ? -1 : 1);
      lo = s | 0;
      hi = (ah + (s >= TWO32 ? 1 : s < 0 ? -1 : 0)) | 0;
    } else {
      const m = sz === 4 ? -1 : sz === 2 ? 0xffff : 0xff;
      a &= m;
      lo = (a + (dec ? -1 : 1)) & m;
      ah = 0;
    }
    this.setFlags(dec ? F_DEC : F_INC, sz, a, ah, 1, 0, lo, hi, cf);
    this.hi = hi;
    return lo;
  }

  /** Shifts and rotates: op 0 rol, 1 ror, 2 rcl, 3 rcr, 4/6 shl, 5 shr, 7 sar. */
  shift(op: number, sz: number, a: number, ah: number, count: number): number {
    const n = count & (sz === 8 ? 63 : 31);
    if (n === 0) {
      this.hi = ah;
      return a;
    }
    const bits = sz * 8;
    if (op >= 4) {
      if (sz === 8) return this.shift64(op, a, ah, n);
      const m = sz === 4 ? -1 : sz === 2 ? 0xffff : 0xff;
      const v = (a & m) >>> 0;
      let r: number, cf: number, of: number;
      const sign = 2 ** (bits - 1);
      if (op === 5) {
        r = n >= 32 ? 0 : v >>> n;
        cf = n > 32 ? 0 : (v >>> (n - 1)) & 1;
        of = v >= sign ? 1 : 0;
      } else if (op === 7) {
        const s = sz === 1 ? (v << 24) >> 24 : sz === 2 ? (v << 16) >> 16 : v | 0;
        r = (s >> Math.min(n, 31)) & m;
        cf = (s >> Math.min(n - 1, 31)) & 1;
        of = 0;
      } else {
        const wide = v * 2 ** n;
        r = wide % 2 ** bits;
        cf = Math.floor(wide / 2 ** bits) & 1;
        of = (r >= sign ? 1 : 0) ^ cf;
        r = r | 0;
      }
      r &= m;
      this.setResFlags(sz, r, 0, (cf ? RFLAGS_CF : 0) | (of ? RFLAGS_OF : 0));
      this.hi = 0;
      return r;
    }
    return this.rotate(op, sz, a, ah, n);
  }

  protected shift64(op: number, a: number, ah: number, n: number): number {
    let lo: number, hi: number, cf: number, of: number;
    if (op === 5 || op === 7) {
      const k = n - 1;
      cf = k >= 32 ? (ah >>> (k - 32)) & 1 : (a >>> k) & 1;
      if (n < 32) {
        lo = (a >>> n) | (ah << (32 - n));
        hi = op === 5 ? ah >>> n : ah >> n;
      } else {
        lo = op === 5 ? ah >>> (n - 32) : ah >> (n - 32);
        hi = op === 5 ? 0 : ah >> 31;
        if (n === 32) lo = ah;
      }
      of = op === 5 ? ah >>> 31 : 0;
    } else {
      const k = 64 - n;
      cf = k >= 32 ? (ah >>> (k - 32)) & 1 : (a >>> k) & 1;
      if (n < 32) {
        hi = (ah << n) | (a >>> (32 - n));
        lo = a << n;
      } else {
        hi = n === 32 ? a : a << (n - 32);
        lo = 0;
      }
      of = (hi >>> 31) ^ cf;
    }
    lo |= 0;
    hi |= 0;
    this.setResFlags(8, lo, hi, (cf ? RFLAGS_CF : 0) | (of ? RFLAGS_OF : 0));
    this.hi = hi;
    return lo;
  }

  private rotate(op: number, sz: number, a: number, ah: number, n: number): number {
    const bits = sz * 8;
    let lo = a, hi = sz === 8 ? ah : 0;
    if (sz < 8) lo &= sz === 4 ? -1 : (1 << bits) - 1;
    let cf = carry(this) ? 1 : 0;
    if (op <= 1) {
      const k = n % bits;
      if (k !== 0) {
        const left = op === 0 ? k : bits - k;
        if (sz === 8) {
          let l = lo, h = hi;
          if (left >= 32) { const t = l; l = h; h = t; }
          const s = left & 31;
          if (s !== 0) {
            const nl = (l << s) | (h >>> (32 - s));
            const nh = (h << s) | (l >>> (32 - s));
            l = nl;
            h = nh;
          }
          lo = l;
          hi = h;
        } else if (sz === 4) lo = (lo << left) | (lo >>> (32 - left));
        else lo = ((lo << left) | (lo >>> (bits - left))) & ((1 << bits) - 1);
      }
    } else {
      // rcl/rcr through carry, one bit at a time (rare).
      const k = n % (bits + 1);
      for (let j = 0; j < k; j++) {
        if (op === 2) {
          const out = sz === 8 ? hi >>> 31 : (lo >>> (bits - 1)) & 1;
          if (sz === 8) {
            hi = (hi << 1) | (lo >>> 31);
            lo = (lo << 1) | cf;
          } else lo = ((lo << 1) | cf) & (sz === 4 ? -1 : (1 << bits) - 1);
          cf = out;
        } else {
          const out = lo & 1;
          if (sz === 8) {
            lo = (lo >>> 1) | (hi << 31);
            hi = (hi >>> 1) | (cf << 31);
          } else lo = (lo >>> 1) | (cf << (bits - 1));
          cf = out;
        }
      }
    }
    const msb = sz === 8 ? (hi >>> 31) & 1 : (lo >>> (bits - 1)) & 1;
    const msb2 = sz === 8 ? (hi >>> 30) & 1 : (lo >>> (bits - 2)) & 1;
    let of: number;
    if (op === 0) { cf = lo & 1; of = msb ^ cf; }
    else if (op === 1) { cf = msb; of = msb ^ msb2; }
    else if (op === 2) of = msb ^ cf;
    else of = msb ^ msb2;
    this.patchFlags(RFLAGS_CF | RFLAGS_OF, (cf ? RFLAGS_CF : 0) | (of ? RFLAGS_OF : 0));
    this.hi = hi | 0;
    return lo | 0;
  }

  // ---------------------------------------------------------------- multiply and divide

  /** 128-bit product words (least significant first) of the last mul128. */
  protected m0 = 0;
  protected m1 = 0;
  protected m2 = 0;
  protected m3 = 0;

  protected mul128(al: number, ah: number, bl: number, bh: number, signed: boolean): void {
    const a0 = al >>> 0, a1 = ah >>> 0, b0 = bl >>> 0, b1 = bh >>> 0;
    const p00h = umulhi(a0, b0), p01h = umulhi(a0, b1), p10h = umulhi(a1, b0), p11h = umulhi(a1, b1);
    const mid = p00h + (Math.imul(a0, b1) >>> 0) + (Math.imul(a1, b0) >>> 0);
    const high = p01h + p10h + (Math.imul(a1, b1) >>> 0) + Math.floor(mid / TWO32);
    let w2 = high >>> 0, w3 = p11h + Math.floor(high / TWO32);
    if (signed) {
      if (ah < 0) {
        const s = w2 - b0;
        w2 = s < 0 ? s + TWO32 : s;
        w3 = w3 - b1 - (s < 0 ? 1 : 0);
      }
      if (bh < 0) {
        const s = w2 - a0;
        w2 = s < 0 ? s + TWO32 : s;
        w3 = w3 - a1 - (s < 0 ? 1 : 0);
      }
    }
    this.m0 = Math.imul(a0, b0);
    this.m1 = mid | 0;
    this.m2 = w2 | 0;
    this.m3 = w3 | 0;
  }

  /** Two/three-operand imul: returns the truncated product; sets CF=OF when it overflowed. */
  imul(sz: number, a: number, ah: number, b: number, bh: number): number {
    let lo: number, hi = 0, of: boolean;
    if (sz === 8) {
      this.mul128(a, ah, b, bh, true);
      lo = this.m0;
      hi = this.m1;
      of = !(this.m2 === hi >> 31 && this.m3 === hi >> 31);
    } else if (sz === 4) {
      lo = Math.imul(a, b);
      of = smulhi(a, b) !== lo >> 31;
    } else {
      const p = ((a << 16) >> 16) * ((b << 16) >> 16);
      lo = p & 0xffff;
      of = p !== (p << 16) >> 16;
    }
    this.setResFlags(sz, lo, hi, of ? RFLAGS_CF | RFLAGS_OF : 0);
    this.hi = hi;
    return lo;
  }

  // ---------------------------------------------------------------- stack

  push64(lo: number, hi: number): void {
    const R = this.r;
    const sl = R[8] >>> 0;
    const nl = sl - 8;
    const nh = nl < 0 ? (R[9] - 1) | 0 : R[9];
    this.wr64(nh * TWO32 + (nl >>> 0), lo, hi);
    R[8] = nl;
    R[9] = nh;
  }

  pop64(): number {
    const R = this.r;
    const sl = R[8] >>> 0, sh = R[9];
    const lo = this.rd64(sh * TWO32 + sl);
    const nl = sl + 8;
    R[8] = nl;
    if (nl >= TWO32) R[9] = (sh + 1) | 0;
    return lo;
  }

  // ---------------------------------------------------------------- what compiled code hands back (interp.ts)

  /**
   * Executes one slot of a less common uop (shared by the interpreter loop and compiled blocks).
   * Returns -1 to continue with the next slot, -2 when the block ended (rip set), or an EXIT_* code.
   */
  abstract execSlow(i: number): number;

  /**
   * Interprets the one instruction at slot i (compiled WebAssembly hands over what it does not compile, and accesses
   * its TLB misses); rip follows it. Returns -1 or an EXIT_* code; a fault propagates with faultSlot set.
   */
  abstract interpretSlot(i: number): number;

  /** Interprets slot i and the rest of its block (a WebAssembly region hands them over at a TLB miss); as interpretSlot. */
  abstract interpretRest(i: number): number;

  // ---------------------------------------------------------------- block cache

  /** Drops every decoded and compiled block (e.g. after guest memory was restored from a snapshot). */
  flushCode(): void {
    this.hits.fill(0);
    this.warm.fill(0);
    this.jitFns.fill(null);
    this.regionRuntime?.reset();
    this.indirectTargets.clear();
    this.pageBlocks.clear();
    this.pageEpoch.clear();
    this.jcRip.fill(-1);
    this.nextSlot = 0;
  }

  /** Physical offset of an instruction fetch at rip (exec permission). */
  private fetchPhys(rip: number): number {
    const off = rip & 0xfff;
    const page = rip - off;
    const t = (rip >>> PAGE_SHIFT) & TLB_MASK;
    if (this.xtag[t] === page) return this.xbase[t] + off;
    const base = this.translate(rip, PF_FETCH);
    this.xtag[t] = page;
    this.xbase[t] = base;
    return base + off;
  }

  /** First slot of the block at rip, decoding it if needed. */
  lookup(rip: number): number {
    const h = rip & JC_MASK;
    if (this.jcRip[h] === rip) return this.jcSlot[h];
    const phys = this.fetchPhys(rip);
    const frame = phys >>> PAGE_SHIFT, off = phys & 0xfff;
    let map = this.pageBlocks.get(frame);
    if (map !== undefined) {
      const s = map[off] - 1;
      if (s >= 0 && this.code.rip[s] === rip) {
        this.jcRip[h] = rip;
        this.jcSlot[h] = s;
        return s;
      }
    }
    const s = this.decodeBlock(rip, phys);
    if (s >= CODE_SLOTS - SCRATCH_SLOTS) return s; // a page-straddling instruction: not cached
    map = this.pageBlocks.get(frame);
    if (map === undefined) {
      map = new Int32Array(PAGE_SIZE);
      this.pageBlocks.set(frame, map);
      this.pageEpoch.set(frame, this.frames.codeEpoch[frame]);
      this.frames.markCode(frame);
      this.seenCodeMarks = this.frames.codeMarks;
      this.wtag.fill(-1);
    }
    map[off] = s + 1;
    this.jcRip[h] = rip;
    this.jcSlot[h] = s;
    return s;
  }

  /** Slot of the block already decoded at rip, or -1; never decodes or translates (the region compiler asks). */
  decodedBlock(rip: number): number {
    const off = rip & 0xfff;
    const t = (rip >>> PAGE_SHIFT) & TLB_MASK;
    if (this.xtag[t] !== rip - off) return -1;
    const map = this.pageBlocks.get(this.xbase[t] >>> PAGE_SHIFT);
    if (map === undefined) return -1;
    const s = map[off] - 1;
    return s >= 0 && this.code.rip[s] === rip ? s : -1;
  }

  /** Physical frame holding the decoded code at rip, or -1 (asked by the region compiler; never translates). */
  codeFrame(rip: number): number {
    const t = (rip >>> PAGE_SHIFT) & TLB_MASK;
    return this.xtag[t] === rip - (rip & 0xfff) ? this.xbase[t] >>> PAGE_SHIFT : -1;
  }

  /** Whether the block at slot s has run (or been compiled) since it was decoded. */
  executed(s: number): boolean {
    return this.hits[s] !== 0 || this.jitFns[s] !== null;
  }

  private decodeBlock(rip: number, phys: number): number {
    if (this.nextSlot + MAX_BLOCK + 1 > CODE_SLOTS - SCRATCH_SLOTS) this.flushCode();
    const c = this.code, bytes = this.mem;
    const start = this.nextSlot;
    let s = start, a = rip, p = phys;
    for (let n = 0; n < MAX_BLOCK; n++) {
      const left = PAGE_SIZE - (a & 0xfff);
      let len: number;
      if (left >= 15) len = decode(bytes, p, left, a, c, s);
      else {
        // Near the page end: decode from a copy that includes the next page if it is executable.
        this.scratch.set(bytes.subarray(p, p + left));
        let avail = left;
        let nextOk = true;
        try {
          const np = this.fetchPhys(a + left);
          this.scratch.set(bytes.subarray(np, np + 15), left);
          avail = left + 15;
        } catch (e) {
          if (e !== FAULT) throw e;
          nextOk = false;
        }
        len = decode(this.scratch, 0, avail, a, c, s);
        if (len === TRUNCATED || (len > left && !nextOk)) {
          if (n === 0) this.fault(VEC_PF, PF_FETCH | PF_USER, a + left);
          break;
        }
        if (len > left) {
          if (n !== 0) break; // end the block before the straddling instruction
          const t = CODE_SLOTS - SCRATCH_SLOTS;
          decode(this.scratch, 0, avail, a, c, t);
          this.endBlock(t + 1, a + len);
          return t;
        }
      }
      s++;
      a += len;
      p += len;
      if (IS_TERMINATOR[c.op[s - 1]] || (a & 0xfff) === 0) break;
    }
    if (!IS_TERMINATOR[c.op[s - 1]] || s === start) {
      this.endBlock(s, a);
      s++;
    }
    this.nextSlot = s;
    this.heat[start] = 1;
    for (let k = start; k < s; k++) if (c.op[k] === U.X87) this.heat[start] = X87_HEAT;
    return start;
  }

  protected endBlock(s: number, next: number): void {
    const c = this.code;
    c.op[s] = U.END;
    c.rip[s] = next;
    c.len[s] = 0;
  }
}

/** High 32 bits of the product of two uint32 values. */
export function umulhi(a: number, b: number): number {
  const a0 = a & 0xffff, a1 = a >>> 16, b0 = b & 0xffff, b1 = b >>> 16;
  const mid = a1 * b0 + a0 * b1 + ((a0 * b0) >>> 16);
  return a1 * b1 + Math.floor(mid / 65536);
}

/** High 32 bits (signed) of the product of two int32 values. */
export function smulhi(a: number, b: number): number {
  let h = umulhi(a >>> 0, b >>> 0);
  if (a < 0) h -= b >>> 0;
  if (b < 0) h -= a >>> 0;
  return h | 0;
}

/** Number of slots in the block starting at first (through its terminator). */
export function blockLength(c: Core, first: number): number {
  let s = first;
  while (!IS_TERMINATOR[c.code.op[s]]) s++;
  return s - first + 1;
}
