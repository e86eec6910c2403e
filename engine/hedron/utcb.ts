// The UTCB: one 4 KiB frame per EC holding the IPC message, and the exception layout the kernel fills from an EC's registers.
// A view over the frame pool's bytes (not a copy), because the guest sees the same page mapped in its space.

import { FramePool, PAGE_SIZE } from "../memory/frames.ts";
import { CpuState, R15, R8, RAX, RBP, RBX, RCX, RDI, RDX, RSI, RSP } from "../cpu/state.ts";
import { RFLAGS_ON_RETURN } from "./abi.ts";
import { readFxsave, writeFxsave } from "./fxsave.ts";

export const UTCB_FLAGS = 0x00;
export const UTCB_ITEMS = 0x04;
export const UTCB_XLT_WINDOW = 0x08;
export const UTCB_DEL_WINDOW = 0x10;
export const UTCB_TLS = 0x18;
export const UTCB_DATA = 0x20;
/** Flags bit0: the next `syscall` of a foreign PD's EC is a native hypercall (HEDRON.md §8). */
export const UTCB_NSCT = 1;
/** Untyped words fit between the header and the end of the page. */
export const MAX_WORDS = (PAGE_SIZE - UTCB_DATA) / 8;
/** The exception layout's untyped word count. */
export const EXC_WORDS = 79;

/** MTD bits: which parts of the register state an exception-layout message carries. */
export const MTD_ACDB = 1 << 0;
export const MTD_BSD = 1 << 1;
export const MTD_RSP = 1 << 2;
export const MTD_RIP_LEN = 1 << 3;
export const MTD_RFLAGS = 1 << 4;
export const MTD_FS_GS = 1 << 6;
export const MTD_QUAL = 1 << 15;
export const MTD_GPR_R8_R15 = 1 << 22;
export const MTD_FPU = 2 ** 31;
export const MTD_ALL_GPR = MTD_ACDB | MTD_BSD | MTD_RSP | MTD_RIP_LEN | MTD_RFLAGS | MTD_FS_GS | MTD_QUAL | MTD_GPR_R8_R15;

export const EXC_MTD = 0x20;
export const EXC_INST_LEN = 0x28;
export const EXC_RIP = 0x30;
export const EXC_RFLAGS = 0x38;
/** GPR i (x86 encoding order rax, rcx, rdx, rbx, rsp, rbp, rsi, rdi, r8 … r15) sits at EXC_GPR + 8·i. */
export const EXC_GPR = 0x58;
export const EXC_QUAL0 = 0xd8;
export const EXC_QUAL1 = 0xe0;
export const EXC_FS_BASE = 0x1d8;
export const EXC_GS_BASE = 0x1e8;
/** MTD_FPU: the x87/SSE state as a 512-byte FXSAVE image, past the exception layout (16-byte aligned). */
export const EXC_FPU = 0x400;

/** Flags a handler may set: CF PF AF ZF SF TF DF OF AC ID; IOPL, VM and the like stay the kernel's. */
const RFLAGS_USER = 0x240dd5;

/** Which GPRs each MTD group covers. */
const GPR_GROUPS: [number, number[]][] = [
  [MTD_ACDB, [RAX, RCX, RDX, RBX]],
  [MTD_BSD, [RBP, RSI, RDI]],
  [MTD_RSP, [RSP]],
  [MTD_GPR_R8_R15, [R8, R8 + 1, R8 + 2, R8 + 3, R8 + 4, R8 + 5, R8 + 6, R15]],
];

/** Exception-layout qualification: error code and fault address of #PF/#GP. */
export interface Qualification {
  errorCode: number;
  address: number;
  instLength: number;
}

export class Utcb {
  readonly base: number;

  constructor(
    private readonly frames: FramePool,
    readonly frame: number,
  ) {
    this.base = frame * PAGE_SIZE;
  }

  u32(offset: number): number {
    return this.frames.view.getUint32(this.base + offset, true);
  }

  setU32(offset: number, value: number): void {
    this.frames.view.setUint32(this.base + offset, value >>> 0, true);
  }

  /** A 64-bit field as an unsigned number (exact below 2^53). */
  u64(offset: number): number {
    const v = this.frames.view;
    return v.getUint32(this.base + offset, true) + v.getUint32(this.base + offset + 4, true) * 0x100000000;
  }

  setU64(offset: number, value: number): void {
    const v = this.frames.view;
    v.setUint32(this.base + offset, (value % 0x100000000) >>> 0, true);
    v.setUint32(this.base + offset + 4, Math.floor(value / 0x100000000) >>> 0, true);
  }

  get flags(): number {
    return this.u32(UTCB_FLAGS);
  }

  set flags(value: number) {
    this.setU32(UTCB_FLAGS, value);
  }

  get untyped(): number {
    return this.u32(UTCB_ITEMS) & 0xffff;
  }

  get typed(): number {
    return this.u32(UTCB_ITEMS) >>> 16;
  }

  setItems(untyped: number, typed: number): void {
    this.setU32(UTCB_ITEMS, (untyped & 0xffff) | (typed << 16));
  }

  word(i: number): number {
    return this.u64(UTCB_DATA + 8 * i);
  }

  setWord(i: number, value: number): void {
    this.setU64(UTCB_DATA + 8 * i, value);
  }

  /** Typed item i: its CRD word and metadata word as 32-bit halves [crdLo, crdHi, metaLo, metaHi]. */
  typedItem(i: number): [number, number, number, number] {
    const at = this.base + PAGE_SIZE - 16 - 16 * i;
    const v = this.frames.view;
    return [v.getUint32(at, true), v.getUint32(at + 4, true), v.getUint32(at + 8, true), v.getUint32(at + 12, true)];
  }

  setTypedItem(i: number, crd: number, meta: number): void {
    const at = PAGE_SIZE - 16 - 16 * i;
    this.setU64(at, crd);
    this.setU64(at + 8, meta);
  }

  /** Raw bytes of the data area, for byte-oriented messages (console services). */
  bytes(offset: number, length: number): Uint8Array {
    return this.frames.bytes.subarray(this.base + offset, this.base + offset + length);
  }

  /** Copies `count` untyped words from another UTCB (IPC transfer). */
  copyWordsFrom(src: Utcb, count: number): void {
    this.frames.bytes.copyWithin(this.base + UTCB_DATA, src.base + UTCB_DATA, src.base + UTCB_DATA + 8 * count);
  }

  private setGpr(reg: number, state: CpuState): void {
    const at = this.base + EXC_GPR + 8 * reg;
    this.frames.view.setInt32(at, state.gpr[2 * reg], true);
    this.frames.view.setInt32(at + 4, state.gpr[2 * reg + 1], true);
  }

  private getGpr(reg: number, state: CpuState): void {
    const at = this.base + EXC_GPR + 8 * reg;
    state.gpr[2 * reg] = this.frames.view.getInt32(at, true);
    state.gpr[2 * reg + 1] = this.frames.view.getInt32(at + 4, true);
  }

  /** Fills the exception layout from an EC's registers: the fields named by `mtd` (the portal's MTD). */
  saveState(state: CpuState, mtd: number, qual: Qualification): void {
    this.setItems(EXC_WORDS, 0);
    this.setU64(EXC_MTD, mtd);
    for (const [bit, regs] of GPR_GROUPS) if (mtd & bit) for (const r of regs) this.setGpr(r, state);
    if (mtd & MTD_RIP_LEN) {
      this.setU64(EXC_RIP, state.rip);
      this.setU64(EXC_INST_LEN, qual.instLength);
    }
    if (mtd & MTD_RFLAGS) this.setU64(EXC_RFLAGS, state.rflags);
    if (mtd & MTD_QUAL) {
      this.setU64(EXC_QUAL0, qual.errorCode);
      this.setU64(EXC_QUAL1, qual.address);
    }
    if (mtd & MTD_FS_GS) {
      this.setU64(EXC_FS_BASE, state.fsBase);
      this.setU64(EXC_GS_BASE, state.gsBase);
    }
    if (mtd & MTD_FPU) writeFxsave(state, this.frames.view, this.base + EXC_FPU);
  }

  /** Writes back the fields named by the mtd word the handler left at 0x20 (its reply); RFLAGS keeps IF on. */
  loadState(state: CpuState): number {
    const mtd = this.u32(EXC_MTD);
    for (const [bit, regs] of GPR_GROUPS) if (mtd & bit) for (const r of regs) this.getGpr(r, state);
    if (mtd & MTD_RIP_LEN) state.rip = this.u64(EXC_RIP);
    if (mtd & MTD_RFLAGS) state.rflags = (this.u32(EXC_RFLAGS) & RFLAGS_USER) | RFLAGS_ON_RETURN | 2;
    if (mtd & MTD_FS_GS) {
      state.fsBase = this.u64(EXC_FS_BASE);
      state.gsBase = this.u64(EXC_GS_BASE);
    }
    if (mtd & MTD_FPU) readFxsave(state, this.frames.view, this.base + EXC_FPU);
    return mtd;
  }

  /** A GPR of the exception layout as an unsigned number (handlers read the Linux ABI this way). */
  gpr(reg: number): number {
    return this.u64(EXC_GPR + 8 * reg);
  }

  /** A GPR's exact 32-bit halves. */
  gprHalves(reg: number): [number, number] {
    const at = this.base + EXC_GPR + 8 * reg;
    return [this.frames.view.getInt32(at, true), this.frames.view.getInt32(at + 4, true)];
  }

  setGprValue(reg: number, value: number): void {
    this.setU64(EXC_GPR + 8 * reg, value);
  }
}
