// The user-visible register state of one execution context (a Hedron EC), as plain typed arrays.
// 64-bit registers are two 32-bit halves: BigInt is ~13x slower on V8 (ARCHITECTURE.md, CPU).

/** GPR numbering as in the x86 encoding. Register i occupies gpr[2*i] (low half) and gpr[2*i+1] (high half). */
export const RAX = 0, RCX = 1, RDX = 2, RBX = 3, RSP = 4, RBP = 5, RSI = 6, RDI = 7;
export const R8 = 8, R9 = 9, R10 = 10, R11 = 11, R12 = 12, R13 = 13, R14 = 14, R15 = 15;

export const GPR_NAMES = [
  "rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi",
  "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15",
] as const;

export const RFLAGS_CF = 1 << 0;
export const RFLAGS_PF = 1 << 2;
export const RFLAGS_AF = 1 << 4;
export const RFLAGS_ZF = 1 << 6;
export const RFLAGS_SF = 1 << 7;
export const RFLAGS_TF = 1 << 8;
export const RFLAGS_IF = 1 << 9;
export const RFLAGS_DF = 1 << 10;
export const RFLAGS_OF = 1 << 11;
/** Bit 1 always reads as 1. */
export const RFLAGS_FIXED = 1 << 1;

export class CpuState {
  /** 16 GPRs as (low, high) int32 pairs. */
  readonly gpr = new Int32Array(32);
  /** Instruction pointer; user addresses are < 2^47, so a double holds them exactly. */
  rip = 0;
  /** Materialised RFLAGS (the CPU keeps flags lazily while running and writes them here on exit). */
  rflags = RFLAGS_FIXED | RFLAGS_IF;
  fsBase = 0;
  gsBase = 0;
  /** 16 XMM registers as 4 int32 lanes each (lane 0 = bits 31:0). */
  readonly xmm = new Int32Array(64);
  mxcsr = 0x1f80;
  /** x87 physical registers exactly, as 80-bit triples: [mantissa low, mantissa high, sign<<15 | exponent]. */
  readonly stx = new Uint32Array(24);
  fpuControl = 0x037f;
  fpuStatus = 0;
  /** Abridged tag word as FXSAVE stores it: bit i set = physical register i holds a value. */
  fpuTag = 0;

  /** Full 64-bit value of a GPR as an unsigned number; exact below 2^53 (addresses, counts). */
  get(reg: number): number {
    return (this.gpr[2 * reg] >>> 0) + (this.gpr[2 * reg + 1] >>> 0) * 0x100000000;
  }

  /** Sets a GPR from a non-negative number below 2^64 (exact below 2^53) or a negative int53 (two's complement). */
  set(reg: number, value: number): void {
    if (value < 0) {
      const lo = value % 0x100000000;
      const hi = Math.floor(value / 0x100000000);
      this.gpr[2 * reg] = lo | 0;
      this.gpr[2 * reg + 1] = hi | 0;
    } else {
      this.gpr[2 * reg] = value % 0x100000000 | 0;
      this.gpr[2 * reg + 1] = Math.floor(value / 0x100000000) | 0;
    }
  }

  /** A GPR as a signed 64-bit value (exact within ±2^53), e.g. a syscall return like -ENOENT. */
  getSigned(reg: number): number {
    return (this.gpr[2 * reg] >>> 0) + this.gpr[2 * reg + 1] * 0x100000000;
  }

  /** Exact 64-bit value, for display and hashing; not for hot paths. */
  getBig(reg: number): bigint {
    return (BigInt(this.gpr[2 * reg + 1] >>> 0) << 32n) | BigInt(this.gpr[2 * reg] >>> 0);
  }

  copyFrom(other: CpuState): void {
    this.gpr.set(other.gpr);
    this.rip = other.rip;
    this.rflags = other.rflags;
    this.fsBase = other.fsBase;
    this.gsBase = other.gsBase;
    this.xmm.set(other.xmm);
    this.mxcsr = other.mxcsr;
    this.stx.set(other.stx);
    this.fpuControl = other.fpuControl;
    this.fpuStatus = other.fpuStatus;
    this.fpuTag = other.fpuTag;
  }
}
