// A full user register state with a distinct value in every GPR, XMM lane and x87 register, for state round trips.
// Distinct values make a swapped or dropped register visible; R15 exceeds 2^53 so 64-bit paths must stay exact.

import { CpuState, R15, RSP } from "../../engine/cpu/state.ts";

/** A register state with a distinct value in every GPR, XMM lane and x87 register. */
export function sampleRegs(rsp: number): CpuState {
  const r = new CpuState();
  for (let i = 0; i < 16; i++) r.set(i, 0x1000_0000_0000 + i * 0x1111);
  r.gpr[2 * R15 + 1] = -0x1234568; // a value above 2^53: the frame must keep all 64 bits
  r.set(RSP, rsp);
  r.rip = 0x401234;
  r.rflags = 0x246 | 0x400; // DF set: the handler starts with it clear
  r.fsBase = 0x4c000;
  for (let i = 0; i < 64; i++) r.xmm[i] = 0x01010101 * (i + 1);
  r.mxcsr = 0x1f80 | 0x20;
  r.fpuControl = 0x027f;
  r.fpuStatus = 6 << 11; // TOP = 6
  r.fpuTag = 0xc0; // physical 6 and 7 hold values
  r.stx.set([0, 0x80000000, 0x3fff], 18); // physical 6 = ST(0) = 1.0
  r.stx.set([0, 0xc0000000, 0x4000], 21); // physical 7 = ST(1) = 3.0
  return r;
}
