// The x86-64 Linux signal frame: struct rt_sigframe (pretcode, ucontext, siginfo) plus the 512-byte fxsave fpstate,
// laid out, written and read back exactly as arch/x86/kernel/signal_64.c does, because libc code reads it by offset.

import { CpuState, R10, R11, R12, R13, R14, R15, R8, R9, RAX, RBP, RBX, RCX, RDI, RDX, RSI, RSP } from "../../cpu/state.ts";
import { FXSAVE_SIZE, readFxsave, writeFxsave } from "../../hedron/fxsave.ts";
import { Bytes } from "./structs.ts";

/** struct sigcontext (uc_mcontext): the gregs in glibc's REG_* order, then the fpstate pointer and 8 reserved words. */
export const SIGCONTEXT = {
  SIZE: 256, rip: 128, eflags: 136, csgsfs: 144, err: 152, trapno: 160, oldmask: 168, cr2: 176, fpstate: 184,
} as const;
/** Registers at sigcontext offsets 0, 8, … 120: r8–r15, rdi, rsi, rbp, rbx, rdx, rax, rcx, rsp. */
export const SIGCONTEXT_GPRS = [R8, R9, R10, R11, R12, R13, R14, R15, RDI, RSI, RBP, RBX, RDX, RAX, RCX, RSP] as const;
/** The kernel's struct ucontext: uc_flags, uc_link, uc_stack (stack_t), uc_mcontext, uc_sigmask (8 bytes). */
export const UCONTEXT = { SIZE: 304, flags: 0, link: 8, stack: 16, mcontext: 40, sigmask: 296 } as const;
/** siginfo_t: signo, errno, code, then the union at 16 (si_addr, or si_pid/si_uid). */
export const SIGINFO = { SIZE: 128, signo: 0, errno: 4, code: 8, addr: 16, pid: 16, uid: 20, timerid: 16, overrun: 20, value: 24 } as const;
export const RT_SIGFRAME = { SIZE: 8 + UCONTEXT.SIZE + SIGINFO.SIZE, pretcode: 0, uc: 8, info: 8 + UCONTEXT.SIZE } as const;
/** uc_flags Linux sets on x86-64 without XSAVE: UC_SIGCONTEXT_SS | UC_STRICT_RESTORE_SS. */
export const UC_FLAGS = 0x6;
/** cs, gs, fs, ss packed in one word: __USER_CS 0x33, __USER_DS 0x2b. */
const CSGSFS = 0x33 + 0x2b * 2 ** 48;
const REDZONE = 128;
const FPSTATE_ALIGN = 64;

export interface SigInfo {
  signo: number;
  code: number;
  /** si_addr, for faults. */
  addr: number;
  /** si_pid, the sender, for SI_USER and SI_TKILL (which carry no si_addr). */
  pid: number;
  /** The sigcontext's trapno, err and cr2 (zero for signals that are not CPU exceptions). */
  trapno: number;
  err: number;
  cr2: number;
  /** SI_TIMER: si_timerid, si_overrun, si_value. */
  timer?: { id: number; overrun: number; value: number };
}

export const SI_USER = 0, SI_KERNEL = 0x80, SI_TKILL = -6;

/** Where the frame goes: the fpstate below `sp`, 64-byte aligned; the frame below it with (frame + 8) 16-aligned. */
export function frameAddresses(sp: number): { frame: number; fpstate: number } {
  const fpstate = Math.floor((sp - FXSAVE_SIZE) / FPSTATE_ALIGN) * FPSTATE_ALIGN;
  const frame = Math.floor((fpstate - RT_SIGFRAME.SIZE) / 16) * 16 - 8;
  return { frame, fpstate };
}

/** The stack pointer delivery starts from: below the red zone, or the top of the alternate stack (`entering`). */
export function deliveryStack(rsp: number, altstack: { sp: number; size: number }, onstack: boolean): { sp: number; entering: boolean } {
  const sp = rsp - REDZONE;
  if (onstack && altstack.size !== 0 && !onAltstack(altstack, sp)) return { sp: altstack.sp + altstack.size, entering: true };
  return { sp, entering: false };
}

export function onAltstack(altstack: { sp: number; size: number }, sp: number): boolean {
  return altstack.size !== 0 && sp > altstack.sp && sp - altstack.sp <= altstack.size;
}

function setReg(b: Bytes, off: number, regs: CpuState, reg: number): void {
  b.setU32(off, regs.gpr[2 * reg]);
  b.setU32(off + 4, regs.gpr[2 * reg + 1]);
}

export interface FrameParams {
  restorer: number;
  /** uc_stack as saved: the alternate stack and its flags relative to the interrupted stack pointer. */
  stack: { sp: number; flags: number; size: number };
  /** The mask to restore on sigreturn (uc_sigmask and oldmask). */
  maskLo: number;
  maskHi: number;
}

/** The pretcode + ucontext part of the frame (siginfo and fpstate are written separately). */
export function encodeUcontext(regs: CpuState, info: SigInfo, p: FrameParams, fpstate: number): Uint8Array {
  const b = Bytes.alloc(8 + UCONTEXT.SIZE);
  b.setU64(RT_SIGFRAME.pretcode, p.restorer);
  const uc = RT_SIGFRAME.uc;
  b.setU64(uc + UCONTEXT.flags, UC_FLAGS);
  b.setU64(uc + UCONTEXT.stack, p.stack.sp);
  b.setU32(uc + UCONTEXT.stack + 8, p.stack.flags);
  b.setU64(uc + UCONTEXT.stack + 16, p.stack.size);
  const mc = uc + UCONTEXT.mcontext;
  SIGCONTEXT_GPRS.forEach((reg, i) => setReg(b, mc + 8 * i, regs, reg));
  b.setU64(mc + SIGCONTEXT.rip, regs.rip);
  b.setU64(mc + SIGCONTEXT.eflags, regs.rflags);
  b.setU64(mc + SIGCONTEXT.csgsfs, CSGSFS);
  b.setU64(mc + SIGCONTEXT.err, info.err);
  b.setU64(mc + SIGCONTEXT.trapno, info.trapno);
  b.setU32(mc + SIGCONTEXT.oldmask, p.maskLo);
  b.setU32(mc + SIGCONTEXT.oldmask + 4, p.maskHi);
  b.setU64(mc + SIGCONTEXT.cr2, info.cr2);
  b.setU64(mc + SIGCONTEXT.fpstate, fpstate);
  b.setU32(uc + UCONTEXT.sigmask, p.maskLo);
  b.setU32(uc + UCONTEXT.sigmask + 4, p.maskHi);
  return b.bytes;
}

export function encodeSiginfo(info: SigInfo): Uint8Array {
  const b = Bytes.alloc(SIGINFO.SIZE);
  b.setU32(SIGINFO.signo, info.signo);
  b.setU32(SIGINFO.code, info.code);
  if (info.code === SI_USER || info.code === SI_TKILL) b.setU32(SIGINFO.pid, info.pid);
  else if (info.timer) {
    b.setU32(SIGINFO.timerid, info.timer.id);
    b.setU32(SIGINFO.overrun, info.timer.overrun);
    b.setU64(SIGINFO.value, info.timer.value);
  } else b.setU64(SIGINFO.addr, info.addr);
  return b.bytes;
}

export function encodeFpstate(regs: CpuState): Uint8Array {
  const out = new Uint8Array(FXSAVE_SIZE);
  writeFxsave(regs, new DataView(out.buffer), 0);
  return out;
}

/** What rt_sigreturn reads back besides the registers: the fpstate pointer, the mask and uc_stack. */
export interface RestoredContext {
  fpstate: number;
  maskLo: number;
  maskHi: number;
  stack: { sp: number; flags: number; size: number };
}

/** Flags sigreturn takes from the frame (Linux's FIX_EFLAGS): AC OF DF TF SF ZF AF PF CF RF. */
const FIX_EFLAGS = 0x40000 | 0x800 | 0x400 | 0x100 | 0x80 | 0x40 | 0x10 | 0x4 | 0x1 | 0x10000;

/** Loads GPRs, RIP and the user-changeable RFLAGS bits from a frame's pretcode + ucontext bytes. */
export function decodeUcontext(bytes: Uint8Array, regs: CpuState): RestoredContext {
  const b = new Bytes(bytes);
  const uc = RT_SIGFRAME.uc, mc = uc + UCONTEXT.mcontext;
  SIGCONTEXT_GPRS.forEach((reg, i) => {
    regs.gpr[2 * reg] = b.view.getInt32(mc + 8 * i, true);
    regs.gpr[2 * reg + 1] = b.view.getInt32(mc + 8 * i + 4, true);
  });
  regs.rip = b.u64(mc + SIGCONTEXT.rip);
  regs.rflags = (regs.rflags & ~FIX_EFLAGS) | (b.u32(mc + SIGCONTEXT.eflags) & FIX_EFLAGS);
  return {
    fpstate: b.u64(mc + SIGCONTEXT.fpstate),
    maskLo: b.u32(uc + UCONTEXT.sigmask),
    maskHi: b.u32(uc + UCONTEXT.sigmask + 4),
    stack: { sp: b.u64(uc + UCONTEXT.stack), flags: b.u32(uc + UCONTEXT.stack + 8), size: b.u64(uc + UCONTEXT.stack + 16) },
  };
}

export function decodeFpstate(bytes: Uint8Array, regs: CpuState): void {
  readFxsave(regs, new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength), 0);
}

/** The FPU state a handler starts with (Linux clears it): x87 empty, default control words, XMM zero. */
export function resetFpu(regs: CpuState): void {
  regs.xmm.fill(0);
  regs.mxcsr = 0x1f80;
  regs.fpuControl = 0x037f;
  regs.fpuStatus = 0;
  regs.fpuTag = 0;
  regs.stx.fill(0);
}
