import assert from "node:assert/strict";
import { test } from "node:test";
import { R11, R8, RAX, RBX, RCX, RDI, RDX, RSI, RSP } from "../../../../engine/cpu/state.ts";
import { FX_ST, FX_XMM } from "../../../../engine/hedron/fxsave.ts";
import {
  frameAddresses, RT_SIGFRAME, SIGCONTEXT, SIGCONTEXT_GPRS, SIGINFO, UC_FLAGS, UCONTEXT,
} from "../../../../engine/roottask/linux/sigframe.ts";
import { Bytes } from "../../../../engine/roottask/linux/structs.ts";
import { sampleRegs } from "../../../helpers/cpu-state.ts";
import { setup, SCRATCH, SCRATCH_SIZE, type Harness } from "./harness.ts";

const SA_SIGINFO = 4, SA_RESTORER = 0x04000000, SA_ONSTACK = 0x08000000, SA_NODEFER = 0x40000000, SA_RESETHAND = 0x80000000;
const HANDLER = 0x401000, RESTORER = 0x402000;
const STACK_TOP = SCRATCH + SCRATCH_SIZE - 0x100;

function sigaction(h: Harness, sig: number, handler: number, flags: number, mask = 0): void {
  const act = Bytes.alloc(32);
  act.setU64(0, handler);
  act.setU64(8, flags);
  act.setU64(16, RESTORER);
  act.setU32(24, mask);
  assert.equal(h.call("rt_sigaction", sig, h.put(act.bytes), 0, 8), 0);
}

test("the rt_sigframe layout is the x86-64 kernel's: ucontext, sigcontext and siginfo offsets", () => {
  assert.deepEqual(
    [UCONTEXT.flags, UCONTEXT.link, UCONTEXT.stack, UCONTEXT.mcontext, UCONTEXT.sigmask, UCONTEXT.SIZE],
    [0, 8, 16, 40, 296, 304],
  );
  assert.equal(SIGCONTEXT.SIZE, 256);
  // glibc's REG_* indices: R8 = 0 … R15 = 7, RDI 8, RSI 9, RBP 10, RBX 11, RDX 12, RAX 13, RCX 14, RSP 15, RIP 16, EFL 17.
  assert.deepEqual(SIGCONTEXT_GPRS, [8, 9, 10, 11, 12, 13, 14, 15, 7, 6, 5, 3, 2, 0, 1, 4]);
  assert.deepEqual(
    [SIGCONTEXT.rip, SIGCONTEXT.eflags, SIGCONTEXT.csgsfs, SIGCONTEXT.err, SIGCONTEXT.trapno, SIGCONTEXT.oldmask, SIGCONTEXT.cr2, SIGCONTEXT.fpstate],
    [16 * 8, 17 * 8, 18 * 8, 19 * 8, 20 * 8, 21 * 8, 22 * 8, 23 * 8],
  );
  assert.deepEqual([RT_SIGFRAME.pretcode, RT_SIGFRAME.uc, RT_SIGFRAME.info, RT_SIGFRAME.SIZE], [0, 8, 312, 440]);
  assert.deepEqual([SIGINFO.signo, SIGINFO.code, SIGINFO.addr, SIGINFO.SIZE], [0, 8, 16, 128]);
});

test("frame placement: fpstate 64-byte aligned, frame + 8 16-byte aligned, fpstate at ucontext + 448 as on Linux", () => {
  for (let sp = 0x7ffff000; sp > 0x7fffef00; sp -= 24) {
    const { frame, fpstate } = frameAddresses(sp);
    assert.equal(fpstate % 64, 0);
    assert.ok(fpstate + 512 <= sp);
    assert.equal((frame + 8) % 16, 0);
    assert.ok(frame + RT_SIGFRAME.SIZE <= fpstate);
    assert.equal(fpstate - (frame + RT_SIGFRAME.uc), 448);
  }
});

test("a page fault with a SIGSEGV handler builds the frame and enters the handler; rt_sigreturn restores everything", () => {
  const h = setup();
  sigaction(h, 11, HANDLER, SA_SIGINFO | SA_RESTORER, 1 << (10 - 1) /* SIGUSR1 */);
  const before = sampleRegs(STACK_TOP);
  const regs = sampleRegs(STACK_TOP);
  assert.equal(h.linux.fault(h.proc, h.thread, regs, 14, 6, 0x1000), 0);
  const { frame, fpstate } = frameAddresses(STACK_TOP - 128);
  assert.equal(regs.get(RSP), frame);
  assert.equal(regs.rip, HANDLER);
  assert.deepEqual([regs.get(RDI), regs.get(RSI), regs.get(RDX), regs.get(RAX)], [11, frame + 312, frame + 8, 0]);
  assert.equal(regs.rflags & 0x400, 0, "DF is clear in the handler");
  assert.equal(regs.xmm[0], 0, "the handler starts with a clean FPU");
  assert.equal(regs.mxcsr, 0x1f80);
  assert.equal(h.u64(frame), RESTORER);
  // siginfo: SIGSEGV, SEGV_MAPERR, si_addr.
  assert.deepEqual([h.u32(frame + 312), h.u32(frame + 320), h.u64(frame + 328)], [11, 1, 0x1000]);
  const uc = frame + 8, mc = uc + 40;
  assert.equal(h.u64(uc), UC_FLAGS);
  SIGCONTEXT_GPRS.forEach((reg, i) => {
    assert.deepEqual([...h.bytes(mc + 8 * i, 8)], [...new Uint8Array(before.gpr.buffer, 8 * reg, 8)], `greg ${i}`);
  });
  assert.equal(h.u64(mc + SIGCONTEXT.rip), 0x401234);
  assert.equal(h.u64(mc + SIGCONTEXT.eflags), 0x646);
  assert.deepEqual([h.u64(mc + SIGCONTEXT.trapno), h.u64(mc + SIGCONTEXT.err), h.u64(mc + SIGCONTEXT.cr2)], [14, 6 | 4, 0x1000]);
  assert.equal(h.u64(mc + SIGCONTEXT.fpstate), fpstate);
  assert.equal(h.u32(fpstate + FX_XMM + 4 * 17), 0x01010101 * 18);
  assert.equal(h.u32(fpstate + FX_ST + 4), 0x80000000);
  assert.equal(h.u64(uc + UCONTEXT.sigmask), 0, "uc_sigmask is the mask before delivery");
  // In the handler: SIGSEGV itself and sa_mask (SIGUSR1) are blocked.
  assert.equal(h.thread.sigmaskLo, (1 << 10) | (1 << 9));

  // The handler returns to the restorer (popping pretcode), which calls rt_sigreturn with RSP = frame + 8.
  regs.set(RSP, frame + 8);
  regs.set(RBX, 99);
  regs.xmm.fill(-1);
  h.call("rt_sigreturn");
  assert.equal(h.frame.sigreturn, true);
  assert.equal(h.linux.needsFullReturn(h.proc, h.thread, h.frame), true);
  h.linux.returnToUser(h.proc, h.thread, h.frame, regs);
  assert.equal(h.frame.exited, false);
  assert.deepEqual([...regs.gpr], [...before.gpr]);
  assert.deepEqual([...regs.xmm], [...before.xmm]);
  assert.deepEqual([...regs.stx], [...before.stx]);
  assert.equal(regs.rip, before.rip);
  assert.equal(regs.rflags, before.rflags);
  assert.equal(regs.mxcsr, before.mxcsr);
  assert.equal(h.thread.sigmaskLo, 0);
});

test("si_code and si_addr per exception: #GP, #UD, #DE, #BP, #XM, and ACCERR inside a mapping", () => {
  const cases: [number, number, number, number, number][] = [
    // vector, error code, signal, si_code, si_addr (-1 = rip)
    [13, 0, 11, 0x80, 0],
    [6, 0, 4, 2, -1],
    [0, 0, 8, 1, -1],
    [3, 0, 5, 0x80, 0],
    [14, 7, 11, 2, 0x2000],
  ];
  for (const [vector, err, sig, code, addr] of cases) {
    const h = setup();
    sigaction(h, sig, HANDLER, SA_SIGINFO | SA_RESTORER);
    const regs = sampleRegs(STACK_TOP);
    assert.equal(h.linux.fault(h.proc, h.thread, regs, vector, err, 0x2000), 0);
    const info = regs.get(RSI);
    assert.deepEqual([h.u32(info), h.u32(info + 8), h.u64(info + 16)], [sig, code, addr === -1 ? 0x401234 : addr], `vector ${vector}`);
  }
  const h = setup();
  sigaction(h, 8, HANDLER, SA_SIGINFO | SA_RESTORER);
  const regs = sampleRegs(STACK_TOP);
  regs.mxcsr = 0x1f80 & ~(1 << 9) | 0x4; // divide-by-zero unmasked and raised
  assert.equal(h.linux.fault(h.proc, h.thread, regs, 19, 0, 0), 0);
  assert.equal(h.u32(regs.get(RSI) + 8), 3, "FPE_FLTDIV");
  const mapped = setup();
  sigaction(mapped, 11, HANDLER, SA_SIGINFO | SA_RESTORER);
  const area = mapped.call("mmap", 0, 4096, 0 /* PROT_NONE */, 0x22, -1, 0);
  const r2 = sampleRegs(STACK_TOP);
  assert.equal(mapped.linux.fault(mapped.proc, mapped.thread, r2, 14, 4, area + 5), 0);
  assert.equal(mapped.u32(r2.get(RSI) + 8), 2, "SEGV_ACCERR for a PROT_NONE mapping (no present page)");
});

test("without a handler, with SIG_IGN, blocked, or without SA_RESTORER the fault kills with its signal", () => {
  const h = setup();
  assert.equal(h.linux.fault(h.proc, h.thread, sampleRegs(STACK_TOP), 14, 6, 0), 11);
  sigaction(h, 4, 1 /* SIG_IGN */, 0);
  assert.equal(h.linux.fault(h.proc, h.thread, sampleRegs(STACK_TOP), 6, 0, 0), 4);
  sigaction(h, 8, HANDLER, SA_RESTORER);
  const set = h.put(new Uint8Array([0x80, 0, 0, 0, 0, 0, 0, 0])); // SIGFPE
  h.call("rt_sigprocmask", 0, set, 0, 8);
  assert.equal(h.linux.fault(h.proc, h.thread, sampleRegs(STACK_TOP), 0, 0, 0), 8);
  sigaction(h, 5, HANDLER, 0);
  assert.equal(h.linux.fault(h.proc, h.thread, sampleRegs(STACK_TOP), 3, 0, 0), 11, "no restorer: the frame is refused, SIGSEGV");
  const unwritable = setup();
  sigaction(unwritable, 11, HANDLER, SA_RESTORER);
  const regs = sampleRegs(STACK_TOP);
  regs.set(RSP, 0x30000000);
  assert.equal(unwritable.linux.fault(unwritable.proc, unwritable.thread, regs, 14, 6, 0), 11, "a stack that cannot take the frame");
});

test("SA_ONSTACK uses the alternate stack; SA_NODEFER and SA_RESETHAND", () => {
  const h = setup();
  const alt = h.alloc(8192);
  const ss = Bytes.alloc(24);
  ss.setU64(0, alt);
  ss.setU64(16, 8192);
  assert.equal(h.call("sigaltstack", h.put(ss.bytes), 0), 0);
  sigaction(h, 11, HANDLER, SA_RESTORER | SA_ONSTACK | SA_NODEFER | SA_RESETHAND);
  const regs = sampleRegs(STACK_TOP);
  assert.equal(h.linux.fault(h.proc, h.thread, regs, 14, 6, 0), 0);
  assert.equal(regs.get(RSP), frameAddresses(alt + 8192).frame);
  assert.equal(h.u32(regs.get(RDX) + UCONTEXT.stack + 8), 0, "uc_stack flags: the interrupted code was not on it");
  assert.equal(h.thread.sigmaskLo, 0, "SA_NODEFER: the signal stays unblocked");
  assert.equal(h.proc.sigactions[11].handler, 0, "SA_RESETHAND: back to SIG_DFL");
});

test("self-sent signals wait for the return to user mode, unless blocked; unblocking delivers them", () => {
  const h = setup();
  sigaction(h, 10, HANDLER, SA_SIGINFO | SA_RESTORER);
  const set = h.put(new Uint8Array([0, 2, 0, 0, 0, 0, 0, 0])); // SIGUSR1
  h.call("rt_sigprocmask", 0, set, 0, 8);
  assert.equal(h.call("tkill", 7, 10), 0);
  assert.equal(h.linux.needsFullReturn(h.proc, h.thread, h.frame), false, "blocked: stays pending");
  h.call("rt_sigprocmask", 1, set, 0, 8);
  assert.equal(h.linux.needsFullReturn(h.proc, h.thread, h.frame), true);
  const regs = sampleRegs(STACK_TOP);
  regs.set(RAX, h.frame.result);
  regs.set(RCX, regs.rip);
  regs.set(R11, regs.rflags);
  h.linux.returnToUser(h.proc, h.thread, h.frame, regs);
  assert.equal(regs.rip, HANDLER);
  const info = regs.get(RSI);
  assert.deepEqual([h.u32(info), h.u32(info + 8) | 0, h.u32(info + 16)], [10, -6 /* SI_TKILL */, 7]);
  assert.equal(h.thread.pending.length, 0);
  assert.equal(h.u64(regs.get(RDX) + UCONTEXT.mcontext + 8 * 13), 0, "saved rax = the syscall's result");
  assert.equal(h.thread.sigmaskLo, 1 << 9);
  assert.equal(regs.get(R8) !== 0, true);
});

test("a page fault on a kernel address is SEGV_MAPERR with the protection bit in err, as Linux reports it", () => {
  const h = setup();
  sigaction(h, 11, HANDLER, SA_SIGINFO | SA_RESTORER);
  const regs = sampleRegs(STACK_TOP);
  assert.equal(h.linux.fault(h.proc, h.thread, regs, 14, 4, 0xffff800000001000), 0);
  assert.equal(h.u32(regs.get(RSI) + 8), 1);
  assert.equal(h.u64(regs.get(RDX) + UCONTEXT.mcontext + SIGCONTEXT.err), 5);
});

test("SS_AUTODISARM: the alternate stack is disarmed while its handler runs and re-armed by rt_sigreturn", () => {
  const h = setup();
  const alt = h.alloc(8192);
  const ss = Bytes.alloc(24);
  ss.setU64(0, alt);
  ss.setU32(8, 0x80000000);
  ss.setU64(16, 8192);
  assert.equal(h.call("sigaltstack", h.put(ss.bytes), 0), 0);
  sigaction(h, 11, HANDLER, SA_RESTORER | SA_ONSTACK);
  const regs = sampleRegs(STACK_TOP);
  assert.equal(h.linux.fault(h.proc, h.thread, regs, 14, 6, 0), 0);
  assert.equal(h.thread.altstack.size, 0, "disarmed in the handler");
  assert.equal(h.u32(regs.get(RDX) + UCONTEXT.stack + 8), 0x80000000, "uc_stack keeps SS_AUTODISARM");
  regs.set(RSP, regs.get(RSP) + 8);
  h.frame.rsp = regs.get(RSP);
  h.call("rt_sigreturn");
  h.linux.returnToUser(h.proc, h.thread, h.frame, regs);
  assert.deepEqual(h.thread.altstack, { sp: alt, flags: 0x80000000, size: 8192 });
  assert.equal(regs.get(RSP), STACK_TOP);
});

test("sigaltstack reports SS_ONSTACK and refuses changes while the caller runs on the alternate stack", () => {
  const h = setup();
  const alt = h.alloc(8192);
  const ss = Bytes.alloc(24);
  ss.setU64(0, alt);
  ss.setU64(16, 8192);
  const ssAddr = h.put(ss.bytes);
  assert.equal(h.call("sigaltstack", ssAddr, 0), 0);
  h.frame.rsp = alt + 4000;
  const old = h.alloc(24);
  assert.equal(h.call("sigaltstack", ssAddr, old), -1 /* EPERM */);
  assert.equal(h.u32(old + 8), 1 /* SS_ONSTACK */);
});
