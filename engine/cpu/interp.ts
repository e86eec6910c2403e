// The CPU core: registers, lazy flags, TLB-fronted guest memory, the decoded-block cache, the dispatch loop and
// hand-off of hot blocks to the compiler (jit.ts). Shaped by speed: literal-case switch, no allocation, no BigInt.

import { FramePool, PAGE_SHIFT, PAGE_SIZE } from "../memory/frames.ts";
import { AddressSpace, PERM_R, PERM_W, PERM_X, PF_FETCH, PF_PRESENT, PF_USER, PF_WRITE, USER_LIMIT } from "../memory/address-space.ts";
import { CodeBuffer, decode, FL_A32, FL_FS, FL_GS, FL_REP, FL_REPNE, HIGH_BYTE, NO_REG, TRUNCATED } from "./decoder.ts";
import { ARITH_MASK, carry, condition, F_ADD, F_DEC, F_INC, F_LOGIC, F_NONE, F_RES, F_SUB, materialize, type FlagState } from "./flags.ts";
import { RFLAGS_AF, RFLAGS_CF, RFLAGS_DF, RFLAGS_FIXED, RFLAGS_IF, RFLAGS_OF, RFLAGS_SF, RFLAGS_ZF } from "./state.ts";
import { TERMINATORS, U, UOP_NAMES } from "./table.ts";
import { cpuid } from "./cpuid.ts";
import { sseExec } from "./sse.ts";
import { sseExtExec } from "./sse4.ts";
import { x87Exec } from "./x87.ts";
import { compileRegion, regionBlocks, type BlockFn } from "./jit.ts";
import { compileWasmRegion, MAX_WASM_BLOCKS } from "./wasm/compiler.ts";
import { AREA_REGS, AREA_RBASE, AREA_RTAG, AREA_WBASE, AREA_WTAG, AREA_XMM } from "./wasm/layout.ts";
import type { RegionRuntime } from "./wasm/runtime.ts";

export const EXIT_BUDGET = 0, EXIT_SYSCALL = 1, EXIT_EXCEPTION = 2;

/** What the debugger (engine/debug) asks of a CPU: exact stops. Only consulted while set, so full-speed runs pay nothing. */
export interface ExactStops {
  /** Instructions the machine may still retire before it stops (Infinity: none); read when a run starts. */
  remaining(): number;
  /** Stop before executing an instruction at one of these addresses. */
  breakpoints: ReadonlySet<number>;
  /** Called after every instruction while set; true stops right after it (watchpoints). */
  watch: (() => boolean) | null;
  /** Set by the CPU when a breakpoint or the watch stopped it (the kernel sees only a short budget). */
  hit: "breakpoint" | "watch" | null;
  /** Ignore breakpoints until one instruction has executed (resuming from a breakpoint). */
  resume: boolean;
}
export const VEC_DE = 0, VEC_DB = 1, VEC_BP = 3, VEC_UD = 6, VEC_GP = 13, VEC_PF = 14, VEC_AC = 17, VEC_XM = 19;

const TLB_BITS = 8;
const TLB_SIZE = 1 << TLB_BITS;
const TLB_MASK = TLB_SIZE - 1;
const JC_SIZE = 4096;
const JC_MASK = JC_SIZE - 1;
const CODE_SLOTS = 1 << 18;
const MAX_BLOCK = 128;
/** Slots at the end of the buffer for one-instruction blocks that straddle two pages (never cached). */
const SCRATCH_SLOTS = 2;
const TWO32 = 4294967296;
/** RFLAGS bits user code may change with popf (besides the arithmetic ones): DF, AC, ID. */
const POPF_MASK = ARITH_MASK | RFLAGS_DF | (1 << 18) | (1 << 21);

/** Thrown (never allocated per fault) to unwind an instruction that raised an exception. */
const FAULT = { fault: true };

const IS_TERMINATOR = new Uint8Array(256);
for (const t of TERMINATORS) IS_TERMINATOR[t] = 1;

export class Core implements FlagState {
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
  readonly fpx = new Uint32Array(30);
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
  regionRuntime: RegionRuntime | null = null;
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
  private readonly jcRip = new Float64Array(JC_SIZE).fill(-1);
  private readonly jcSlot = new Int32Array(JC_SIZE);
  private readonly scratch = new Uint8Array(32);
  /** Block entries counted per first slot; a block is compiled when it reaches jitThreshold (at most 65535; Infinity: never). */
  jitThreshold = 1000;
  private readonly hits = new Uint16Array(CODE_SLOTS);
  /** Entries of compiled blocks per first slot; at regionThreshold the block is recompiled as a region. */
  private readonly warm = new Uint32Array(CODE_SLOTS);
  private readonly jitFns: (BlockFn | null)[] = new Array<BlockFn | null>(CODE_SLOTS).fill(null);
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
  private codeWritten(frame: number): void {
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
  private setResFlags(sz: number, r: number, rh: number, bits: number): void {
    this.fop = F_RES;
    this.fsz = sz;
    this.fr = sz === 8 ? r : sz === 4 ? r | 0 : r & (sz === 2 ? 0xffff : 0xff);
    this.frh = sz === 8 ? rh : 0;
    this.fbits = bits;
  }

  /** Replaces some materialised flags (for instructions that leave the others alone). */
  private patchFlags(mask: number, bits: number): void {
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

  private neg(sz: number, a: number, ah: number): number {
    return this.alu(5, sz, 0, 0, a, ah);
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

  private shift64(op: number, a: number, ah: number, n: number): number {
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

  /** shld/shrd: shifts a (dest) by n filling from b (source). */
  private shiftDouble(left: boolean, sz: number, a: number, ah: number, b: number, bh: number, count: number): number {
    const n = count & (sz === 8 ? 63 : 31);
    if (n === 0) {
      this.hi = ah;
      return a;
    }
    const bits = sz * 8;
    // The destination shifted, with the vacated bits filled from the source.
    let lo: number, hi = 0, cf: number;
    if (sz === 8) {
      const sa = this.shift64(left ? 4 : 5, a, ah, n);
      const sah = this.hi;
      cf = this.fbits & RFLAGS_CF ? 1 : 0;
      const fill = this.shift64(left ? 5 : 4, b, bh, 64 - n);
      lo = sa | fill;
      hi = sah | this.hi;
    } else {
      if (sz === 4) {
        lo = left ? (a << n) | (b >>> (32 - n)) : (a >>> n) | (b << (32 - n));
        cf = left ? (a >>> (32 - n)) & 1 : (a >>> (n - 1)) & 1;
      } else if (n > bits) {
        // 16-bit operands with counts above 16: the result is undefined; model it as zero.
        lo = 0;
        cf = 0;
      } else {
        const va = a & 0xffff, vb = b & 0xffff;
        const joined = left ? (va << 16) | vb : (vb << 16) | va;
        lo = left ? (joined << n) >>> 16 : joined >>> n;
        cf = left ? (va >>> (16 - n)) & 1 : (va >>> (n - 1)) & 1;
      }
      lo = lo | 0;
      if (sz < 4) lo &= (1 << bits) - 1;
    }
    const msbNew = sz === 8 ? hi >>> 31 : (lo >>> (bits - 1)) & 1;
    const msbOld = sz === 8 ? ah >>> 31 : (a >>> (bits - 1)) & 1;
    this.setResFlags(sz, lo, hi, (cf ? RFLAGS_CF : 0) | (msbNew !== msbOld ? RFLAGS_OF : 0));
    this.hi = hi;
    return lo;
  }

  // ---------------------------------------------------------------- multiply and divide

  /** 128-bit product words (least significant first) of the last mul128. */
  private m0 = 0;
  private m1 = 0;
  private m2 = 0;
  private m3 = 0;

  private mul128(al: number, ah: number, bl: number, bh: number, signed: boolean): void {
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

  /** One-operand mul/imul: rDX:rAX = rAX * src. */
  private mulAcc(signed: boolean, sz: number, v: number, vh: number): void {
    const R = this.r;
    let of: boolean, rlo: number;
    if (sz === 8) {
      this.mul128(R[0], R[1], v, vh, signed);
      R[0] = this.m0;
      R[1] = this.m1;
      R[4] = this.m2;
      R[5] = this.m3;
      of = signed ? !(this.m2 === this.m1 >> 31 && this.m3 === this.m1 >> 31) : (this.m2 | this.m3) !== 0;
      this.setResFlags(8, this.m0, this.m1, of ? RFLAGS_CF | RFLAGS_OF : 0);
      return;
    }
    if (sz === 4) {
      const a = R[0];
      const lo = Math.imul(a, v);
      const hi = signed ? smulhi(a, v) : umulhi(a >>> 0, v >>> 0) | 0;
      R[0] = lo;
      R[1] = 0;
      R[4] = hi;
      R[5] = 0;
      of = signed ? hi !== lo >> 31 : hi !== 0;
      rlo = lo;
    } else if (sz === 2) {
      const a = R[0] & 0xffff, b = v & 0xffff;
      const p = signed ? ((a << 16) >> 16) * ((b << 16) >> 16) : a * b;
      this.setR(0, 2, p, 0);
      this.setR(2, 2, p >> 16, 0);
      of = signed ? p !== (p << 16) >> 16 : p >>> 16 !== 0;
      rlo = p & 0xffff;
    } else {
      const a = R[0] & 0xff, b = v & 0xff;
      const p = signed ? ((a << 24) >> 24) * ((b << 24) >> 24) : a * b;
      this.setR(0, 2, p, 0);
      of = signed ? p !== (p << 24) >> 24 : p >>> 8 !== 0;
      rlo = p & 0xff;
    }
    this.setResFlags(sz, rlo, 0, of ? RFLAGS_CF | RFLAGS_OF : 0);
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

  /** div/idiv by src: quotient → rAX (AL), remainder → rDX (AH). #DE on zero or overflow. */
  private divide(signed: boolean, sz: number, v: number, vh: number): void {
    const R = this.r;
    if (sz === 1 || sz === 2) {
      const bits = sz * 8;
      const d = signed ? (sz === 1 ? (v << 24) >> 24 : (v << 16) >> 16) : v & (sz === 1 ? 0xff : 0xffff);
      if (d === 0) this.fault(VEC_DE, 0, 0);
      let n: number;
      if (sz === 1) n = signed ? (R[0] << 16) >> 16 : R[0] & 0xffff;
      else {
        const u = (R[4] & 0xffff) * 65536 + (R[0] & 0xffff);
        n = signed ? (u | 0) : u;
      }
      const q = Math.trunc(n / d), rem = n - q * d;
      const lim = 2 ** (bits - 1);
      if (signed ? q >= lim || q < -lim : q >= 2 * lim) this.fault(VEC_DE, 0, 0);
      if (sz === 1) this.setR(0, 2, (q & 0xff) | ((rem & 0xff) << 8), 0);
      else {
        this.setR(0, 2, q, 0);
        this.setR(2, 2, rem, 0);
      }
      return;
    }
    // 32- and 64-bit: unsigned magnitudes through udiv128.
    let n3: number, n2: number, n1: number, n0: number, dh: number, dl: number;
    if (sz === 4) {
      n3 = 0; n2 = 0; n1 = R[4]; n0 = R[0]; dh = 0; dl = v;
    } else {
      n3 = R[5]; n2 = R[4]; n1 = R[1]; n0 = R[0]; dh = vh; dl = v;
    }
    if ((dl | dh) === 0) this.fault(VEC_DE, 0, 0);
    let nNeg = false, dNeg = false;
    if (signed) {
      nNeg = (sz === 4 ? n1 : n3) < 0;
      dNeg = (sz === 4 ? v : dh) < 0;
      if (sz === 4) {
        // Sign-extend edx:eax and the divisor to 64/128-bit two's complement views.
        n3 = n2 = n1 >> 31;
        dh = v >> 31;
      }
      if (nNeg) {
        n0 = ~n0; n1 = ~n1; n2 = ~n2; n3 = ~n3;
        n0 = (n0 + 1) | 0;
        if (n0 === 0) { n1 = (n1 + 1) | 0; if (n1 === 0) { n2 = (n2 + 1) | 0; if (n2 === 0) n3 = (n3 + 1) | 0; } }
      }
      if (dNeg) {
        dl = ~dl; dh = ~dh;
        dl = (dl + 1) | 0;
        if (dl === 0) dh = (dh + 1) | 0;
      }
    }
    if (!udiv128(n3, n2, n1, n0, dh, dl)) this.fault(VEC_DE, 0, 0);
    let ql = DIV.ql, qh = DIV.qh, rl = DIV.rl, rh = DIV.rh;
    if (sz === 4) {
      if (qh !== 0) this.fault(VEC_DE, 0, 0);
      if (signed) {
        const neg = nNeg !== dNeg;
        if (neg ? ql >>> 0 > 0x80000000 : ql >>> 0 >= 0x80000000) this.fault(VEC_DE, 0, 0);
        if (neg) ql = -ql | 0;
        if (nNeg) rl = -rl | 0;
      }
      R[0] = ql; R[1] = 0; R[4] = rl; R[5] = 0;
      return;
    }
    if (signed) {
      const neg = nNeg !== dNeg;
      const top = qh >>> 0;
      if (neg ? top > 0x80000000 || (top === 0x80000000 && ql !== 0) : top >= 0x80000000) this.fault(VEC_DE, 0, 0);
      if (neg) { ql = ~ql; qh = ~qh; ql = (ql + 1) | 0; if (ql === 0) qh = (qh + 1) | 0; }
      if (nNeg) { rl = ~rl; rh = ~rh; rl = (rl + 1) | 0; if (rl === 0) rh = (rh + 1) | 0; }
    }
    R[0] = ql; R[1] = qh; R[4] = rl; R[5] = rh;
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

  private pushSz(sz: number, lo: number, hi: number): void {
    if (sz === 8) this.push64(lo, hi);
    else {
      const R = this.r;
      const a = R[9] * TWO32 + (R[8] >>> 0) - 2;
      this.wr16(a, lo);
      this.setReg64(4, a);
    }
  }

  private popSz(sz: number): number {
    if (sz === 8) return this.pop64();
    const a = this.reg64(4);
    const v = this.rd16(a);
    this.setReg64(4, a + 2);
    return v;
  }

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

  /**
   * Compiles the hot block at first. With WebAssembly regions it becomes a region straight away (a block that loops
   * on itself is entered once per loop, so it would wait for its region in JavaScript); otherwise, or when the region
   * would not pay, a JavaScript block, and when warm (region) a JavaScript region on its page.
   */
  private compile(first: number, region: boolean): BlockFn {
    const t0 = performance.now();
    let fn: BlockFn | null = null;
    if (this.wasmRegions) {
      const blocks = regionBlocks(this, first, MAX_WASM_BLOCKS, true);
      const entries = compileWasmRegion(this, blocks);
      if (entries !== null) {
        // Entered at any of its blocks; those count as warm already (no region of their own).
        for (let k = 0; k < blocks.length; k++) {
          this.jitFns[blocks[k]] = entries[k];
          this.warm[blocks[k]] = Math.max(this.warm[blocks[k]], this.regionThreshold);
        }
        fn = entries[0];
      }
    }
    // JavaScript regions stay on one page (their invalidation drops the page's blocks together).
    fn ??= compileRegion(this, region ? regionBlocks(this, first) : [first]);
    this.jitCompileMs += performance.now() - t0;
    this.jitCompiled++;
    return fn;
  }

  /**
   * Interprets the one instruction at slot i (compiled WebAssembly hands over what it does not compile, and accesses
   * its TLB misses); rip follows it. Returns -1 or an EXIT_* code; a fault propagates with faultSlot set.
   */
  interpretSlot(i: number): number {
    const t = CODE_SLOTS - SCRATCH_SLOTS, c = this.code;
    c.copySlot(i, t);
    this.endBlock(t + 1, c.rip[i] + c.len[i]);
    return this.interpretBlock(t);
  }

  /** Interprets slot i and the rest of its block (a WebAssembly region hands them over at a TLB miss); as interpretBlock. */
  interpretRest(i: number): number {
    return this.interpretBlock(i);
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
    return start;
  }

  private endBlock(s: number, next: number): void {
    const c = this.code;
    c.op[s] = U.END;
    c.rip[s] = next;
    c.len[s] = 0;
  }

  // ---------------------------------------------------------------- the dispatch loop

  /** Executes until an exit; the budget (instructions) is checked at block ends. */
  run(budget: number): number {
    if (this.stops !== null || this.stepSlot >= 0) return this.runExact(budget);
    this.syncMemory();
    const R = this.r;
    const jcRip = this.jcRip, jcSlot = this.jcSlot, jitFns = this.jitFns, warm = this.warm;
    const limit = this.icount + budget;
    this.runLimit = limit;
    let i = -1, first = 0;
    try {
      while (this.icount < limit) {
        const rip = this.rip;
        i = -1;
        const h = rip & JC_MASK; // the jump-cache hit of lookup, inline: most block entries take it
        i = first = jcRip[h] === rip ? jcSlot[h] : this.lookup(rip);
        const trace = this.blockTrace;
        if (trace !== null) {
          if (this.blockTraceLength >= trace.length) return EXIT_BUDGET;
          trace[this.blockTraceLength++] = rip;
        }
        let fn = jitFns[first];
        if (fn === null && ++this.hits[first] >= this.jitThreshold && first < CODE_SLOTS - SCRATCH_SLOTS) {
          fn = jitFns[first] = this.compile(first, false);
        }
        i = -3; // a fault inside reports its slot in faultSlot and its block in faultFirst
        let x: number;
        if (fn !== null) {
          this.jitExits++;
          if (++warm[first] === this.regionThreshold) fn = jitFns[first] = this.compile(first, true);
          x = fn(this, R, this.dv);
        } else x = this.interpretBlock(first);
        if (x >= 0) return x;
      }
      return EXIT_BUDGET;
    } catch (e) {
      if (e !== FAULT) throw e;
      if (i === -3) {
        i = this.faultSlot;
        first = this.faultFirst;
      }
      else if (i < 0) {
        this.exitInstrLength = 0; // instruction fetch fault: rip stays at the unfetchable instruction
        return EXIT_EXCEPTION;
      }
      this.icount += i - first;
      this.rip = this.code.rip[i];
      this.exitInstrLength = this.code.len[i];
      return EXIT_EXCEPTION;
    }
  }

  // ---------------------------------------------------------------- exact stops (the debugger's)

  /** Set by the debugger; null runs at full speed. */
  stops: ExactStops | null = null;
  /** Next slot of the natural block an exact stop interrupted (-1: at a block start), and the rip it resumes at. */
  private stepSlot = -1;
  private stepRip = -1;

  /** True while an exact stop has left this CPU inside a block (the next run finishes the block first). */
  get midBlock(): boolean {
    return this.stepSlot >= 0;
  }

  /**
   * run() with exact stops: single instructions near a stop and wherever breakpoints or a watch need each one,
   * whole blocks elsewhere. Blocks keep their natural boundaries — the trace entry and the budget check fall where
   * run() puts them — so a run that was stopped and resumed is the same run as one never stopped.
   */
  private runExact(budget: number): number {
    const stops = this.stops;
    const c = this.code;
    const limit = this.icount + budget;
    const stopAt = stops !== null ? this.icount + stops.remaining() : Infinity;
    const everyInstruction = stops !== null && (stops.breakpoints.size > 0 || stops.watch !== null);
    if (this.stepSlot >= 0 && this.rip !== this.stepRip) this.stepSlot = -1; // another EC was loaded meanwhile
    const t = CODE_SLOTS - SCRATCH_SLOTS;
    for (;;) {
      const atStart = this.stepSlot < 0;
      // A stop holds until the debugger takes it: the kernel may call again within its budget.
      if (stops !== null && stops.hit !== null) return EXIT_BUDGET;
      if (atStart && this.icount >= limit) return EXIT_BUDGET;
      if (this.icount >= stopAt || (stops !== null && !stops.resume && stops.breakpoints.has(this.rip))) {
        if (stops !== null && this.icount < stopAt) stops.hit = "breakpoint";
        this.stepRip = this.rip;
        return EXIT_BUDGET;
      }
      if (atStart) {
        if (!everyInstruction && stopAt - this.icount > 2 * MAX_BLOCK) {
          // Far from the stop: whole blocks, ending (at a block end) at most one block before it.
          const until = Math.min(limit, stopAt - MAX_BLOCK);
          this.stops = null;
          const x = this.run(until - this.icount);
          this.stops = stops;
          if (x !== EXIT_BUDGET || this.icount < until) return x;
          continue;
        }
        let first: number;
        try {
          first = this.lookup(this.rip);
        } catch (e) {
          if (e !== FAULT) throw e;
          this.exitInstrLength = 0;
          return EXIT_EXCEPTION;
        }
        const trace = this.blockTrace;
        if (trace !== null) {
          if (this.blockTraceLength >= trace.length) return EXIT_BUDGET;
          trace[this.blockTraceLength++] = this.rip;
        }
        this.stepSlot = first;
      }
      const i = this.stepSlot;
      const op = c.op[i];
      if (op === U.END || op === U.SMC_EXIT) {
        this.rip = c.rip[i];
        this.stepSlot = -1;
        continue;
      }
      if (i !== t) c.copySlot(i, t);
      this.endBlock(t + 1, c.rip[i] + c.len[i]);
      let x: number;
      try {
        x = this.interpretBlock(t);
      } catch (e) {
        if (e !== FAULT) throw e;
        this.stepSlot = -1;
        this.rip = c.rip[t];
        this.exitInstrLength = c.len[t];
        return EXIT_EXCEPTION;
      }
      if (stops !== null) stops.resume = false;
      this.stepSlot = x >= 0 || IS_TERMINATOR[op] ? -1 : i + 1;
      if (x >= 0) return x;
      if (stops !== null && stops.watch !== null && stops.watch()) {
        stops.hit = "watch";
        this.stepRip = this.rip;
        return EXIT_BUDGET;
      }
    }
  }

  /**
   * Interprets the block at slot first; returns -1 to keep dispatching, or an EXIT_* code. A fault sets faultSlot
   * and propagates. Kept apart from run so the dispatch loop stays small enough for V8 to optimize well.
   */
  private interpretBlock(first: number): number {
    const c = this.code;
    const ops = c.op, exts = c.ext, szs = c.sz, rgs = c.rg, rms = c.rm, mems = c.mem, lens = c.len;
    const disps = c.disp, imms = c.imm, immhs = c.immh, rips = c.rip;
    const R = this.r;
    let i = first;
    try {
      let retire = 1;
      let exit = -1;
      block: for (;;) {
        switch (ops[i]) {
          case 1: // NOP
            break;
          case 2: { // MOV_EG
            const sz = szs[i];
            const g = this.getR(rgs[i], sz);
            if (mems[i]) this.writeMem(this.ea(i), sz, g, this.hi);
            else this.setR(rms[i], sz, g, this.hi);
            break;
          }
          case 3: { // MOV_GE
            const sz = szs[i];
            let v: number;
            if (mems[i]) v = this.readMem(this.ea(i), sz);
            else {
              const rr = rms[i];
              if (sz === 8) {
                R[2 * rgs[i]] = R[2 * rr];
                R[2 * rgs[i] + 1] = R[2 * rr + 1];
                break;
              }
              v = this.getR(rr, sz);
            }
            this.setR(rgs[i], sz, v, this.hi);
            break;
          }
          case 4: { // MOV_EI
            const sz = szs[i];
            if (mems[i]) this.writeMem(this.ea(i), sz, imms[i], immhs[i]);
            else this.setR(rms[i], sz, imms[i], immhs[i]);
            break;
          }
          case 5: { // ALU_EG
            const sz = szs[i], op = exts[i];
            const g = this.getR(rgs[i], sz), gh = this.hi;
            if (mems[i]) {
              const a = this.ea(i);
              if (op === 7) {
                const v = this.readMem(a, sz);
                this.alu(7, sz, v, this.hi, g, gh);
              } else {
                const v = this.rmwLoad(a, sz);
                const r = this.alu(op, sz, v, this.hi, g, gh);
                this.rmwStore(a, sz, r, this.hi);
              }
            } else {
              const rr = rms[i];
              const v = this.getR(rr, sz);
              const r = this.alu(op, sz, v, this.hi, g, gh);
              if (op !== 7) this.setR(rr, sz, r, this.hi);
            }
            break;
          }
          case 6: { // ALU_GE
            const sz = szs[i], op = exts[i];
            const e = mems[i] ? this.readMem(this.ea(i), sz) : this.getR(rms[i], sz);
            const eh = this.hi;
            const rr = rgs[i];
            const r = this.alu(op, sz, this.getR(rr, sz), this.hi, e, eh);
            if (op !== 7) this.setR(rr, sz, r, this.hi);
            break;
          }
          case 7: { // ALU_EI
            const sz = szs[i], op = exts[i];
            if (mems[i]) {
              const a = this.ea(i);
              if (op === 7) this.alu(7, sz, this.readMem(a, sz), this.hi, imms[i], immhs[i]);
              else {
                const v = this.rmwLoad(a, sz);
                const r = this.alu(op, sz, v, this.hi, imms[i], immhs[i]);
                this.rmwStore(a, sz, r, this.hi);
              }
            } else {
              const rr = rms[i];
              const r = this.alu(op, sz, this.getR(rr, sz), this.hi, imms[i], immhs[i]);
              if (op !== 7) this.setR(rr, sz, r, this.hi);
            }
            break;
          }
          case 8: { // TEST_EG
            const sz = szs[i];
            const g = this.getR(rgs[i], sz), gh = this.hi;
            const e = mems[i] ? this.readMem(this.ea(i), sz) : this.getR(rms[i], sz);
            this.alu(4, sz, e, this.hi, g, gh);
            break;
          }
          case 9: { // TEST_EI
            const sz = szs[i];
            const e = mems[i] ? this.readMem(this.ea(i), sz) : this.getR(rms[i], sz);
            this.alu(4, sz, e, this.hi, imms[i], immhs[i]);
            break;
          }
          case 11: // LEA
            this.lea(i);
            break;
          case 12: { // MOVZX
            const v = mems[i] ? this.readMem(this.ea(i), exts[i]) : this.getR(rms[i], exts[i]);
            this.setR(rgs[i], szs[i], v, 0);
            break;
          }
          case 13: { // MOVSX
            const e = exts[i];
            let v = mems[i] ? this.readMem(this.ea(i), e) : this.getR(rms[i], e);
            v = e === 1 ? (v << 24) >> 24 : e === 2 ? (v << 16) >> 16 : v | 0;
            this.setR(rgs[i], szs[i], v, v >> 31);
            break;
          }
          case 14: case 15: { // INC, DEC
            const sz = szs[i], dec = ops[i] === 15;
            if (mems[i]) {
              const a = this.ea(i);
              const v = this.rmwLoad(a, sz);
              const r = this.incdec(dec, sz, v, this.hi);
              this.rmwStore(a, sz, r, this.hi);
            } else {
              const rr = rms[i];
              const r = this.incdec(dec, sz, this.getR(rr, sz), this.hi);
              this.setR(rr, sz, r, this.hi);
            }
            break;
          }
          case 18: case 19: { // SHIFT_EI, SHIFT_ECL
            const sz = szs[i];
            const count = ops[i] === 18 ? imms[i] : R[2];
            const a = mems[i] ? this.ea(i) : 0;
            const v = mems[i] ? this.rmwLoad(a, sz) : this.getR(rms[i], sz);
            const r = this.shift(exts[i], sz, v, this.hi, count);
            if (mems[i]) this.rmwStore(a, sz, r, this.hi);
            else this.setR(rms[i], sz, r, this.hi);
            break;
          }
          case 26: { // IMUL_GE
            const sz = szs[i];
            const e = mems[i] ? this.readMem(this.ea(i), sz) : this.getR(rms[i], sz);
            const eh = this.hi;
            const r = this.imul(sz, this.getR(rgs[i], sz), this.hi, e, eh);
            this.setR(rgs[i], sz, r, this.hi);
            break;
          }
          case 27: { // IMUL_GEI
            const sz = szs[i];
            const e = mems[i] ? this.readMem(this.ea(i), sz) : this.getR(rms[i], sz);
            const r = this.imul(sz, e, this.hi, imms[i], immhs[i]);
            this.setR(rgs[i], sz, r, this.hi);
            break;
          }
          case 30: { // CMOV
            const sz = szs[i];
            const v = mems[i] ? this.readMem(this.ea(i), sz) : this.getR(rms[i], sz);
            if (condition(this, exts[i])) this.setR(rgs[i], sz, v, this.hi);
            else if (sz === 4) R[2 * rgs[i] + 1] = 0;
            break;
          }
          case 31: { // SETCC
            const v = condition(this, exts[i]) ? 1 : 0;
            if (mems[i]) this.wr8(this.ea(i), v);
            else this.setR(rms[i], 1, v, 0);
            break;
          }
          case 32: // JCC
            this.rip = condition(this, exts[i]) ? disps[i] : rips[i] + lens[i];
            break block;
          case 33: // JMP
            this.rip = disps[i];
            break block;
          case 34: { // JMP_E
            const v = mems[i] ? this.rd64(this.ea(i)) : this.getR(rms[i], 8);
            this.rip = (this.hi >>> 0) * TWO32 + (v >>> 0);
            if (this.wasmRegions) this.indirectTargets.set(i, this.rip);
            break block;
          }
          case 35: { // CALL
            const next = rips[i] + lens[i];
            this.push64(next | 0, Math.floor(next / TWO32));
            this.rip = disps[i];
            break block;
          }
          case 36: { // CALL_E
            const v = mems[i] ? this.rd64(this.ea(i)) : this.getR(rms[i], 8);
            const target = (this.hi >>> 0) * TWO32 + (v >>> 0);
            const next = rips[i] + lens[i];
            this.push64(next | 0, Math.floor(next / TWO32));
            this.rip = target;
            if (this.wasmRegions) this.indirectTargets.set(i, target);
            break block;
          }
          case 37: { // RET
            const lo = this.pop64();
            this.rip = (this.hi >>> 0) * TWO32 + (lo >>> 0);
            if (imms[i] !== 0) this.setReg64(4, this.reg64(4) + imms[i]);
            break block;
          }
          case 66: // END
            this.rip = rips[i];
            retire = 0;
            break block;
          case 67: // SMC_EXIT
            this.rip = rips[i];
            retire = 0;
            break block;
          case 74: { // MOV_RR64
            const d = 2 * rms[i], r = 2 * rgs[i];
            R[d] = R[r];
            R[d + 1] = R[r + 1];
            break;
          }
          case 75: { // MOV_RR32
            const d = 2 * rms[i];
            R[d] = R[2 * rgs[i]];
            R[d + 1] = 0;
            break;
          }
          case 76: { // MOV_RI
            const d = 2 * rms[i];
            R[d] = imms[i];
            R[d + 1] = immhs[i];
            break;
          }
          case 77: { // LD64
            const b = 2 * rms[i];
            const lo = this.rd64(disps[i] + R[b + 1] * TWO32 + (R[b] >>> 0));
            const d = 2 * rgs[i];
            R[d] = lo;
            R[d + 1] = this.hi;
            break;
          }
          case 78: { // LD32
            const b = 2 * rms[i];
            const v = this.rd32(disps[i] + R[b + 1] * TWO32 + (R[b] >>> 0));
            const d = 2 * rgs[i];
            R[d] = v;
            R[d + 1] = 0;
            break;
          }
          case 79: { // ST64
            const b = 2 * rms[i], g = 2 * rgs[i];
            this.wr64(disps[i] + R[b + 1] * TWO32 + (R[b] >>> 0), R[g], R[g + 1]);
            break;
          }
          case 80: { // ST32
            const b = 2 * rms[i];
            this.wr32(disps[i] + R[b + 1] * TWO32 + (R[b] >>> 0), R[2 * rgs[i]]);
            break;
          }
          case 81: { // ALU_RR64
            const r = 2 * rgs[i];
            this.aluReg64(exts[i], 2 * rms[i], R[r], R[r + 1]);
            break;
          }
          case 82: // ALU_RR32
            this.aluReg32(exts[i], 2 * rms[i], R[2 * rgs[i]]);
            break;
          case 83: // ALU_RI64
            this.aluReg64(exts[i], 2 * rms[i], imms[i], immhs[i]);
            break;
          case 84: // ALU_RI32
            this.aluReg32(exts[i], 2 * rms[i], imms[i]);
            break;
          case 85: { // PUSH_R64
            const r = 2 * rms[i];
            this.push64(R[r], R[r + 1]);
            break;
          }
          case 86: { // POP_R64
            const lo = this.pop64();
            const r = 2 * rms[i];
            R[r] = lo;
            R[r + 1] = this.hi;
            break;
          }
          case 73: // X87: float loops are mostly x87 instructions, so not through execSlow's dispatch
            x87Exec(this, i);
            break;
          default: {
            const x = this.execSlow(i);
            if (x === -1) break;
            if (x >= 0) exit = x;
            break block;
          }
        }
        i++;
      }
      this.icount += i - first + retire;
      return exit;
    } catch (e) {
      this.faultSlot = i;
      this.faultFirst = first;
      throw e;
    }
  }

  // ---------------------------------------------------------------- less common instructions

  /**
   * Executes one slot of a less common uop (shared by the interpreter loop and compiled blocks).
   * Returns -1 to continue with the next slot, -2 when the block ended (rip set), or an EXIT_* code.
   */
  execSlow(i: number): number {
    const c = this.code;
    const ops = c.op, exts = c.ext, szs = c.sz, rgs = c.rg, rms = c.rm, mems = c.mem, lens = c.len;
    const disps = c.disp, imms = c.imm, immhs = c.immh, rips = c.rip, fls = c.fl;
    const R = this.r;
    switch (ops[i]) {
        case 0: // UD
          return this.fault(VEC_UD, 0, rips[i]);
        case 16: case 17: { // NEG, NOT
          const sz = szs[i];
          const a = mems[i] ? this.ea(i) : 0;
          const v = mems[i] ? this.rmwLoad(a, sz) : this.getR(rms[i], sz);
          const vh = this.hi;
          let r: number, rh: number;
          if (ops[i] === 16) {
            r = this.neg(sz, v, vh);
            rh = this.hi;
          } else {
            r = ~v;
            rh = ~vh;
          }
          if (mems[i]) this.rmwStore(a, sz, r, rh);
          else this.setR(rms[i], sz, r, rh);
          return -1;
        }
        case 20: case 21: { // SHLD, SHRD
          const sz = szs[i];
          const count = exts[i] === 1 ? R[2] : imms[i];
          const g = this.getR(rgs[i], sz), gh = this.hi;
          const a = mems[i] ? this.ea(i) : 0;
          const v = mems[i] ? this.rmwLoad(a, sz) : this.getR(rms[i], sz);
          const r = this.shiftDouble(ops[i] === 20, sz, v, this.hi, g, gh, count);
          if (mems[i]) this.rmwStore(a, sz, r, this.hi);
          else this.setR(rms[i], sz, r, this.hi);
          return -1;
        }
        case 22: case 23: { // MUL1, IMUL1
          const sz = szs[i];
          const v = mems[i] ? this.readMem(this.ea(i), sz) : this.getR(rms[i], sz);
          this.mulAcc(ops[i] === 23, sz, v, this.hi);
          return -1;
        }
        case 24: case 25: { // DIV, IDIV
          const sz = szs[i];
          const v = mems[i] ? this.readMem(this.ea(i), sz) : this.getR(rms[i], sz);
          this.divide(ops[i] === 25, sz, v, this.hi);
          return -1;
        }
        case 28: { // CVT_A: cbw / cwde / cdqe
          const sz = szs[i];
          if (sz === 8) R[1] = R[0] >> 31;
          else if (sz === 4) {
            R[0] = (R[0] << 16) >> 16;
            R[1] = 0;
          } else this.setR(0, 2, (R[0] << 24) >> 24, 0);
          return -1;
        }
        case 29: { // CVT_D: cwd / cdq / cqo
          const sz = szs[i];
          if (sz === 8) R[4] = R[5] = R[1] >> 31;
          else if (sz === 4) {
            R[4] = R[0] >> 31;
            R[5] = 0;
          } else this.setR(2, 2, (R[0] << 16) >> 31, 0);
          return -1;
        }
        case 39: // PUSH_I
          this.pushSz(szs[i], imms[i], immhs[i]);
          return -1;
        case 41: { // LEAVE
          const bp = this.reg64(5);
          if (szs[i] === 2) { // 66 c9: pops BP only, RSP moves by 2 and RBP's upper bits stay
            const word = this.readMem(bp, 2);
            this.setReg64(4, bp + 2);
            this.setR(5, 2, word, 0);
            return -1;
          }
          const lo = this.rd64(bp);
          const hi = this.hi;
          this.setReg64(4, bp + 8);
          R[10] = lo;
          R[11] = hi;
          return -1;
        }
        case 42: // PUSHF
          this.pushSz(szs[i], this.getRflags() & ~0x30000, 0);
          return -1;
        case 43: { // POPF
          const v = this.popSz(szs[i]);
          const keep = szs[i] === 2 ? 0xffff0000 : 0;
          this.setRflags((this.getRflags() & (~POPF_MASK | keep)) | (v & POPF_MASK & ~keep));
          return -1;
        }
        case 44: // CMPXCHG
          this.cmpxchg(i);
          return -1;
        case 45: { // XADD
          const sz = szs[i];
          const g = this.getR(rgs[i], sz), gh = this.hi;
          if (mems[i]) {
            const a = this.ea(i);
            const v = this.rmwLoad(a, sz), vh = this.hi;
            const r = this.alu(0, sz, v, vh, g, gh);
            this.rmwStore(a, sz, r, this.hi);
            this.setR(rgs[i], sz, v, vh);
          } else {
            const v = this.getR(rms[i], sz), vh = this.hi;
            const r = this.alu(0, sz, v, vh, g, gh), rh = this.hi;
            this.setR(rgs[i], sz, v, vh);
            this.setR(rms[i], sz, r, rh);
          }
          return -1;
        }
        case 46: case 47: case 48: case 49: case 50: // BSF, BSR, TZCNT, LZCNT, POPCNT
          this.bitScan(i);
          return -1;
        case 51: case 52: // BT_EG, BT_EI
          this.bitTest(i);
          return -1;
        case 53: { // BSWAP
          const rr = rms[i];
          if (szs[i] === 8) {
            const lo = R[2 * rr], hi = R[2 * rr + 1];
            R[2 * rr] = bswap32(hi);
            R[2 * rr + 1] = bswap32(lo);
          } else {
            R[2 * rr] = bswap32(R[2 * rr]);
            R[2 * rr + 1] = 0;
          }
          return -1;
        }
        case 54: case 55: case 56: case 57: case 58: // MOVS, STOS, LODS, SCAS, CMPS
          this.stringOp(i);
          return -1;
        case 59: { // SYSCALL
          const next = rips[i] + lens[i];
          this.setReg64(1, next);
          R[22] = this.getRflags() & ~0x10000;
          R[23] = 0;
          this.rip = next;
          this.exitInstrLength = lens[i];
          return EXIT_SYSCALL;
        }
        case 60: { // CPUID
          cpuid(R[0], R);
          return -1;
        }
        case 61: case 62: { // RDTSC, RDTSCP
          const t = this.readTsc();
          R[0] = t % TWO32;
          R[1] = 0;
          R[4] = Math.floor(t / TWO32);
          R[5] = 0;
          if (ops[i] === 62) {
            R[2] = 0;
            R[3] = 0;
          }
          return -1;
        }
        case 63: // INT3: a trap, rip after it
          this.rip = rips[i] + lens[i];
          this.exitVector = VEC_BP;
          this.exitErrorCode = 0;
          this.exitAddress = rips[i];
          this.exitInstrLength = lens[i];
          return EXIT_EXCEPTION;
        case 64: // FLAGOP
          this.flagOp(exts[i]);
          return -1;
        case 65: { // LOOP / JRCXZ
          const a32 = (fls[i] & FL_A32) !== 0;
          const e = exts[i];
          let take: boolean;
          if (e === 0) take = a32 ? R[2] === 0 : (R[2] | R[3]) === 0;
          else {
            if (a32) {
              R[2] = (R[2] - 1) | 0;
              R[3] = 0;
            } else this.setR(1, 8, (R[2] - 1) | 0, R[2] === 0 ? (R[3] - 1) | 0 : R[3]);
            const nz = a32 ? R[2] !== 0 : (R[2] | R[3]) !== 0;
            take = e === 1 ? nz : e === 2 ? nz && condition(this, 4) : nz && !condition(this, 4);
          }
          this.rip = take ? disps[i] : rips[i] + lens[i];
          return -2;
        }
        case 10: { // XCHG
          const sz = szs[i];
          const g = this.getR(rgs[i], sz), gh = this.hi;
          if (mems[i]) {
            const a = this.ea(i);
            const v = this.rmwLoad(a, sz), vh = this.hi;
            this.rmwStore(a, sz, g, gh);
            this.setR(rgs[i], sz, v, vh);
          } else {
            const v = this.getR(rms[i], sz), vh = this.hi;
            this.setR(rms[i], sz, g, gh);
            this.setR(rgs[i], sz, v, vh);
          }
          return -1;
        }
        case 38: { // PUSH_E
          const sz = szs[i];
          const v = mems[i] ? this.readMem(this.ea(i), sz) : this.getR(rms[i], sz);
          this.pushSz(sz, v, this.hi);
          return -1;
        }
        case 40: { // POP_E
          const sz = szs[i];
          if (mems[i]) {
            // The address is computed after rsp is incremented; the store happens before rsp changes.
            const old = this.reg64(4);
            const v = sz === 8 ? this.rd64(old) : this.rd16(old);
            const vh = this.hi;
            this.setReg64(4, old + sz);
            const a = this.ea(i);
            this.setReg64(4, old);
            this.writeMem(a, sz, v, vh);
            this.setReg64(4, old + sz);
          } else {
            const v = this.popSz(sz);
            this.setR(rms[i], sz, v, this.hi);
          }
          return -1;
        }
        case 68: // CMPXCHGB (cmpxchg8b / cmpxchg16b)
          this.cmpxchgWide(i);
          return -1;
        case 69: // PRIV: privileged or unsupported-at-CPL3 instruction
          return this.fault(exts[i], 0, 0);
        case 70: // ENTER
          this.enter(i);
          return -1;
        case 71: // SSE
          sseExec(this, i);
          return -1;
        case 87: // SSEX
          sseExtExec(this, i);
          return -1;
        case 72: { // MOVBE
          const sz = szs[i];
          if (exts[i] === 0) {
            const v = this.readMem(this.ea(i), sz);
            if (sz === 8) this.setR(rgs[i], 8, bswap32(this.hi), bswap32(v));
            else this.setR(rgs[i], sz, sz === 4 ? bswap32(v) : ((v & 0xff) << 8) | ((v >> 8) & 0xff), 0);
          } else {
            const v = this.getR(rgs[i], sz);
            if (sz === 8) this.writeMem(this.ea(i), 8, bswap32(this.hi), bswap32(v));
            else this.writeMem(this.ea(i), sz, sz === 4 ? bswap32(v) : ((v & 0xff) << 8) | ((v >> 8) & 0xff), 0);
          }
          return -1;
        }
      default:
        throw new Error(`cpu: no handler for uop ${UOP_NAMES[ops[i]] ?? ops[i]}`);
    }
  }


  /** lea: exact 64-bit address arithmetic (lea doubles as integer arithmetic), no segment base. */
  private lea(i: number): void {
    const c = this.code, R = this.r;
    const d = c.disp[i];
    let lo = d % TWO32 | 0, hi = Math.floor(d / TWO32) | 0;
    const b = c.rm[i];
    if (b !== NO_REG) {
      const s = (lo >>> 0) + (R[2 * b] >>> 0);
      lo = s | 0;
      hi = (hi + R[2 * b + 1] + (s >= TWO32 ? 1 : 0)) | 0;
    }
    const x = c.ix[i];
    if (x !== NO_REG) {
      let xl = R[2 * x], xh = R[2 * x + 1];
      const sc = c.sc[i];
      if (sc !== 1) {
        const k = sc === 2 ? 1 : sc === 4 ? 2 : 3;
        xh = (xh << k) | (xl >>> (32 - k));
        xl = xl << k;
      }
      const s = (lo >>> 0) + (xl >>> 0);
      lo = s | 0;
      hi = (hi + xh + (s >= TWO32 ? 1 : 0)) | 0;
    }
    if (c.fl[i] & FL_A32) hi = 0;
    this.setR(c.rg[i], c.sz[i], lo, hi);
  }

  private cmpxchg(i: number): void {
    const c = this.code;
    const sz = c.sz[i];
    const acc = this.getR(0, sz), acch = this.hi;
    const g = this.getR(c.rg[i], sz), gh = this.hi;
    if (c.mem[i]) {
      const a = this.ea(i);
      const v = this.rmwLoad(a, sz), vh = this.hi;
      this.alu(7, sz, acc, acch, v, vh);
      const eq = this.fr === 0 && this.frh === 0;
      if (eq) this.rmwStore(a, sz, g, gh);
      else {
        this.rmwStore(a, sz, v, vh);
        this.setR(0, sz, v, vh);
      }
    } else {
      const v = this.getR(c.rm[i], sz), vh = this.hi;
      this.alu(7, sz, acc, acch, v, vh);
      if (this.fr === 0 && this.frh === 0) this.setR(c.rm[i], sz, g, gh);
      else this.setR(0, sz, v, vh);
    }
  }

  private cmpxchgWide(i: number): void {
    const R = this.r;
    const a = this.ea(i);
    if (this.code.sz[i] === 8) {
      // cmpxchg16b: rdx:rax vs m128, requires 16-byte alignment.
      if ((a & 15) !== 0) this.fault(VEC_GP, 0, 0);
      const p = this.wphys(a, 16);
      const dv = this.dv;
      const m0 = dv.getInt32(p, true), m1 = dv.getInt32(p + 4, true);
      const m2 = dv.getInt32(p + 8, true), m3 = dv.getInt32(p + 12, true);
      const eq = m0 === R[0] && m1 === R[1] && m2 === R[4] && m3 === R[5];
      if (this.frames.code[p >>> PAGE_SHIFT] !== 0) this.codeWritten(p >>> PAGE_SHIFT);
      if (eq) {
        dv.setInt32(p, R[6], true); dv.setInt32(p + 4, R[7], true);
        dv.setInt32(p + 8, R[2], true); dv.setInt32(p + 12, R[3], true);
      } else {
        R[0] = m0; R[1] = m1; R[4] = m2; R[5] = m3;
      }
      this.patchFlags(RFLAGS_ZF, eq ? RFLAGS_ZF : 0);
      return;
    }
    const lo = this.rmwLoad(a, 8), hi = this.hi;
    const eq = lo === R[0] && hi === R[4];
    if (eq) this.rmwStore(a, 8, R[6], R[2]);
    else {
      this.rmwStore(a, 8, lo, hi);
      R[0] = lo; R[1] = 0; R[4] = hi; R[5] = 0;
    }
    this.patchFlags(RFLAGS_ZF, eq ? RFLAGS_ZF : 0);
  }

  private bitScan(i: number): void {
    const c = this.code;
    const sz = c.sz[i], op = c.op[i];
    let v = c.mem[i] ? this.readMem(this.ea(i), sz) : this.getR(c.rm[i], sz);
    const vh = sz === 8 ? this.hi : 0;
    if (sz === 2) v &= 0xffff;
    const zero = v === 0 && vh === 0;
    const bits = sz * 8;
    if (op === U.POPCNT) {
      const n = popcount(v) + popcount(vh);
      this.setR(c.rg[i], sz, n, 0);
      this.fop = F_NONE;
      this.fbits = zero ? RFLAGS_ZF : 0;
      return;
    }
    if (op === U.BSF || op === U.BSR) {
      if (zero) {
        this.patchFlags(RFLAGS_ZF, RFLAGS_ZF);
        return;
      }
      let n: number;
      if (op === U.BSF) n = v !== 0 ? 31 - Math.clz32(v & -v) : 63 - Math.clz32(vh & -vh);
      else n = vh !== 0 ? 63 - Math.clz32(vh) : 31 - Math.clz32(v);
      this.setR(c.rg[i], sz, n, 0);
      this.patchFlags(RFLAGS_ZF, 0);
      return;
    }
    let n: number;
    if (zero) n = bits;
    else if (op === U.TZCNT) n = v !== 0 ? 31 - Math.clz32(v & -v) : 63 - Math.clz32(vh & -vh);
    else n = sz === 8 ? (vh !== 0 ? Math.clz32(vh) : 32 + Math.clz32(v)) : Math.clz32(v) - (32 - bits);
    this.setR(c.rg[i], sz, n, 0);
    this.patchFlags(RFLAGS_CF | RFLAGS_ZF, (zero ? RFLAGS_CF : 0) | (n === 0 ? RFLAGS_ZF : 0));
  }

  private bitTest(i: number): void {
    const c = this.code;
    const sz = c.sz[i], op = c.ext[i];
    const bits = sz * 8;
    let bit: number, bitHi = 0;
    if (c.op[i] === U.BT_EI) bit = c.imm[i] & (bits - 1);
    else {
      bit = this.getR(c.rg[i], sz);
      bitHi = sz === 8 ? this.hi : sz === 4 ? bit >> 31 : sz === 2 ? (bit << 16) >> 31 : 0;
      if (sz === 2) bit = (bit << 16) >> 16;
    }
    let a = 0;
    if (c.mem[i]) {
      a = this.ea(i);
      if (c.op[i] === U.BT_EG) {
        // Register bit offsets address memory beyond the operand (signed).
        const offset = sz === 8 ? bitHi * TWO32 + (bit >>> 0) : bit | 0;
        const units = Math.floor(offset / bits);
        a += units * sz;
        bit = offset - units * bits;
      }
    } else bit &= bits - 1;
    const v = c.mem[i] ? (op === 0 ? this.readMem(a, sz) : this.rmwLoad(a, sz)) : this.getR(c.rm[i], sz);
    let vh = this.hi;
    let lo = v;
    const inHi = bit >= 32;
    const mask = 1 << (bit & 31);
    const set = ((inHi ? vh : lo) & mask) !== 0;
    if (op !== 0) {
      if (inHi) vh = op === 1 ? vh | mask : op === 2 ? vh & ~mask : vh ^ mask;
      else lo = op === 1 ? lo | mask : op === 2 ? lo & ~mask : lo ^ mask;
      if (c.mem[i]) this.rmwStore(a, sz, lo, vh);
      else this.setR(c.rm[i], sz, lo, vh);
    }
    this.patchFlags(RFLAGS_CF, set ? RFLAGS_CF : 0);
  }

  private flagOp(op: number): void {
    switch (op) {
      case 0: this.patchFlags(RFLAGS_CF, 0); break;
      case 1: this.patchFlags(RFLAGS_CF, RFLAGS_CF); break;
      case 2: this.patchFlags(RFLAGS_CF, carry(this) ? 0 : RFLAGS_CF); break;
      case 3: this.rfOther &= ~RFLAGS_DF; break;
      case 4: this.rfOther |= RFLAGS_DF; break;
      case 5: this.patchFlags(RFLAGS_CF | RFLAGS_AF | RFLAGS_ZF | RFLAGS_SF | 4, (this.r[0] >> 8) & 0xff); break;
      default: this.setR(HIGH_BYTE, 1, (materialize(this) & 0xd5) | 2, 0); break;
    }
  }

  private enter(i: number): void {
    const c = this.code;
    const size = c.imm[i] & 0xffff, level = c.immh[i] & 31;
    this.push64(this.r[10], this.r[11]);
    const frame = this.reg64(4);
    for (let k = 1; k < level; k++) {
      const p = this.reg64(5) - 8 * k;
      const lo = this.rd64(p);
      this.push64(lo, this.hi);
    }
    if (level > 0) this.push64(frame % TWO32, Math.floor(frame / TWO32));
    this.setReg64(5, frame);
    this.setReg64(4, this.reg64(4) - size);
  }

  /** Adds a small step to a 64-bit register. */
  private advance(r: number, step: number): void {
    const R = this.r;
    const p = (R[2 * r] >>> 0) + step;
    R[2 * r] = p | 0;
    if (p >= TWO32) R[2 * r + 1]++;
    else if (p < 0) R[2 * r + 1]--;
  }

  /** rSI/rDI/rCX as string-instruction operands (32-bit with an address-size prefix). */
  private idx(r: number, a32: boolean): number {
    return a32 ? this.r[2 * r] >>> 0 : this.reg64(r);
  }

  private setIdx(r: number, v: number, a32: boolean): void {
    if (a32) {
      this.r[2 * r] = v | 0;
      this.r[2 * r + 1] = 0;
    } else this.setReg64(r, v < 0 ? v + 2 ** 64 : v);
  }

  /** movs/stos/lods/scas/cmps with optional rep/repe/repne; rCX/rSI/rDI advance per element, so faults are restartable. */
  private stringOp(i: number): void {
    const c = this.code, R = this.r;
    const op = c.op[i], sz = c.sz[i], fl = c.fl[i];
    const rep = (fl & (FL_REP | FL_REPNE)) !== 0;
    const a32 = (fl & FL_A32) !== 0;
    const step = this.rfOther & RFLAGS_DF ? -sz : sz;
    const seg = fl & FL_FS ? this.fsBase : fl & FL_GS ? this.gsBase : 0;
    if (!rep && !a32) {
      // Single element (musl's memcpy/memset tails): no count bookkeeping.
      if (op === U.MOVS) {
        const v = this.readMem(R[13] * TWO32 + (R[12] >>> 0) + seg, sz), vh = this.hi;
        this.writeMem(R[15] * TWO32 + (R[14] >>> 0), sz, v, vh);
        this.advance(6, step);
        this.advance(7, step);
        return;
      }
      if (op === U.STOS) {
        this.writeMem(R[15] * TWO32 + (R[14] >>> 0), sz, R[0], R[1]);
        this.advance(7, step);
        return;
      }
    }
    let count = rep ? this.idx(1, a32) : 1;
    if (count === 0) return;
    if (rep && step > 0 && count > 8 && !a32 && (op === U.MOVS || op === U.STOS)) {
      if (op === U.MOVS) this.repMovsFast(sz, seg);
      else this.repStosFast(sz);
      count = this.idx(1, a32);
      if (count === 0) return;
    }
    for (;;) {
      switch (op) {
        case U.MOVS: {
          const v = this.readMem(this.idx(6, a32) + seg, sz), vh = this.hi;
          this.writeMem(this.idx(7, a32), sz, v, vh);
          this.setIdx(6, this.idx(6, a32) + step, a32);
          this.setIdx(7, this.idx(7, a32) + step, a32);
          break;
        }
        case U.STOS:
          this.writeMem(this.idx(7, a32), sz, R[0], R[1]);
          this.setIdx(7, this.idx(7, a32) + step, a32);
          break;
        case U.LODS: {
          const v = this.readMem(this.idx(6, a32) + seg, sz);
          this.setR(0, sz, v, this.hi);
          this.setIdx(6, this.idx(6, a32) + step, a32);
          break;
        }
        case U.SCAS: {
          const v = this.readMem(this.idx(7, a32), sz), vh = this.hi;
          const acc = this.getR(0, sz);
          this.alu(7, sz, acc, this.hi, v, vh);
          this.setIdx(7, this.idx(7, a32) + step, a32);
          break;
        }
        default: {
          const a = this.readMem(this.idx(6, a32) + seg, sz), ah = this.hi;
          const b = this.readMem(this.idx(7, a32), sz), bh = this.hi;
          this.alu(7, sz, a, ah, b, bh);
          this.setIdx(6, this.idx(6, a32) + step, a32);
          this.setIdx(7, this.idx(7, a32) + step, a32);
          break;
        }
      }
      if (!rep) return;
      count--;
      this.setIdx(1, count, a32);
      if (count === 0) return;
      if (op === U.SCAS || op === U.CMPS) {
        const zf = this.fr === 0 && this.frh === 0;
        if ((fl & FL_REP) !== 0 ? !zf : zf) return;
      }
    }
  }

  /** Forward rep movs in page-bounded chunks with copyWithin, unless the chunk overlaps ahead of itself. */
  private repMovsFast(sz: number, seg: number): void {
    let count = this.reg64(1);
    while (count > 0) {
      const src = this.reg64(6) + seg, dst = this.reg64(7);
      const n = Math.min(count, Math.floor((PAGE_SIZE - (src & 0xfff)) / sz), Math.floor((PAGE_SIZE - (dst & 0xfff)) / sz));
      if (n === 0) return;
      const ps = this.rphys(src, n * sz), pd = this.wphys(dst, n * sz);
      if (ps < 0 || pd < 0) return;
      if (pd > ps && pd < ps + n * sz) return; // an overlapping forward copy replicates: element loop
      this.mem.copyWithin(pd, ps, ps + n * sz);
      count -= n;
      this.setReg64(6, src - seg + n * sz);
      this.setReg64(7, dst + n * sz);
      this.setReg64(1, count);
    }
  }

  private repStosFast(sz: number): void {
    const R = this.r;
    let count = this.reg64(1);
    while (count > 0) {
      const dst = this.reg64(7);
      const n = Math.min(count, Math.floor((PAGE_SIZE - (dst & 0xfff)) / sz));
      if (n === 0) return;
      const pd = this.wphys(dst, n * sz);
      if (pd < 0) return;
      if (sz === 1) this.mem.fill(R[0] & 0xff, pd, pd + n);
      else {
        for (let k = 0; k < n; k++) {
          const p = pd + k * sz;
          if (sz === 2) this.dv.setUint16(p, R[0], true);
          else if (sz === 4) this.dv.setInt32(p, R[0], true);
          else {
            this.dv.setInt32(p, R[0], true);
            this.dv.setInt32(p + 4, R[1], true);
          }
        }
      }
      count -= n;
      this.setReg64(7, dst + n * sz);
      this.setReg64(1, count);
    }
  }
}

/** High 32 bits of the product of two uint32 values. */
export function umulhi(a: number, b: number): number {
  const a0 = a & 0xffff, a1 = a >>> 16, b0 = b & 0xffff, b1 = b >>> 16;
  const mid = a1 * b0 + a0 * b1 + ((a0 * b0) >>> 16);
  return a1 * b1 + Math.floor(mid / 65536);
}

/** High 32 bits (signed) of the product of two int32 values. */
function smulhi(a: number, b: number): number {
  let h = umulhi(a >>> 0, b >>> 0);
  if (a < 0) h -= b >>> 0;
  if (b < 0) h -= a >>> 0;
  return h | 0;
}

function bswap32(v: number): number {
  return ((v & 0xff) << 24) | ((v & 0xff00) << 8) | ((v >>> 8) & 0xff00) | (v >>> 24);
}

function popcount(v: number): number {
  v = v - ((v >>> 1) & 0x55555555);
  v = (v & 0x33333333) + ((v >>> 2) & 0x33333333);
  return (Math.imul((v + (v >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24);
}

/** Results of udiv128 (kept in one record: no allocation per division). */
const DIV = { ql: 0, qh: 0, rl: 0, rh: 0 };

/**
 * Unsigned (n3:n2:n1:n0) / (dh:dl) with a 64-bit quotient; false when the quotient does not fit (#DE).
 * Fast path through doubles when everything is below 2^52.
 */
function udiv128(n3: number, n2: number, n1: number, n0: number, dh: number, dl: number): boolean {
  const d = (dh >>> 0) * TWO32 + (dl >>> 0);
  if (n3 === 0 && n2 === 0 && (n1 >>> 0) < 0x100000 && (dh >>> 0) < 0x100000) {
    const n = (n1 >>> 0) * TWO32 + (n0 >>> 0);
    let q = Math.floor(n / d);
    let r = n - q * d;
    if (r < 0) { q--; r += d; } else if (r >= d) { q++; r -= d; }
    DIV.ql = q % TWO32 | 0;
    DIV.qh = Math.floor(q / TWO32) | 0;
    DIV.rl = r % TWO32 | 0;
    DIV.rh = Math.floor(r / TWO32) | 0;
    return true;
  }
  // High 64 bits must be below the divisor for the quotient to fit.
  const u3 = n3 >>> 0, u2 = n2 >>> 0, udh = dh >>> 0, udl = dl >>> 0;
  if (u3 > udh || (u3 === udh && u2 >= udl)) return false;
  let rh = u3, rl = u2; // remainder (64 bits) as two uint32 doubles
  let ql = 0, qh = 0;
  let lo = n1 >>> 0, lo0 = n0 >>> 0;
  for (let k = 0; k < 64; k++) {
    // remainder = remainder * 2 + next dividend bit
    const top = rh >= 0x80000000;
    rh = ((rh << 1) >>> 0) + (rl >= 0x80000000 ? 1 : 0);
    rl = ((rl << 1) >>> 0) + (lo >= 0x80000000 ? 1 : 0);
    lo = ((lo << 1) >>> 0) + (lo0 >= 0x80000000 ? 1 : 0);
    lo0 = (lo0 << 1) >>> 0;
    qh = ((qh << 1) >>> 0) + (ql >= 0x80000000 ? 1 : 0);
    ql = (ql << 1) >>> 0;
    if (top || rh > udh || (rh === udh && rl >= udl)) {
      let sl = rl - udl, sh = rh - udh;
      if (sl < 0) { sl += TWO32; sh -= 1; }
      if (sh < 0) sh += TWO32;
      rh = sh;
      rl = sl;
      ql += 1;
    }
  }
  DIV.ql = ql | 0;
  DIV.qh = qh | 0;
  DIV.rl = rl | 0;
  DIV.rh = rh | 0;
  return true;
}
