// The FXSAVE image (512 bytes, 64-bit format) of an EC's x87/SSE state: what the UTCB carries under MTD_FPU.
// Hardware's format, so a handler can copy it verbatim (Linux's signal-frame fpstate is exactly this layout).

import type { CpuState } from "../cpu/state.ts";

export const FXSAVE_SIZE = 512;
export const FX_FCW = 0, FX_FSW = 2, FX_FTW = 4, FX_MXCSR = 24, FX_MXCSR_MASK = 28, FX_ST = 32, FX_XMM = 160;
/** MXCSR_MASK: the MXCSR bits the CPU supports, all of the low 16 (DAZ included). */
export const MXCSR_MASK = 0xffff;

const top = (state: CpuState) => (state.fpuStatus >> 11) & 7;

/**
 * Writes the state as FXSAVE would at `at` (ST(i) slots are relative to TOP; the abridged tag is physical).
 * Bytes 416–511 are left alone, as FXSAVE leaves them (software-available).
 */
export function writeFxsave(state: CpuState, view: DataView, at: number): void {
  view.setUint16(at + FX_FCW, state.fpuControl, true);
  view.setUint16(at + FX_FSW, state.fpuStatus, true);
  view.setUint16(at + FX_FTW, state.fpuTag, true);
  // FOP, FIP and FDP (last x87 instruction and operand) are not modelled: zero, as after FNINIT.
  for (let off = 6; off < FX_MXCSR; off += 2) view.setUint16(at + off, 0, true);
  view.setUint32(at + FX_MXCSR, state.mxcsr, true);
  view.setUint32(at + FX_MXCSR_MASK, MXCSR_MASK, true);
  const t = top(state);
  for (let i = 0; i < 8; i++) {
    const p = 3 * ((t + i) & 7), slot = at + FX_ST + 16 * i;
    view.setUint32(slot, state.stx[p], true);
    view.setUint32(slot + 4, state.stx[p + 1], true);
    view.setUint32(slot + 8, state.stx[p + 2] & 0xffff, true);
    view.setUint32(slot + 12, 0, true);
  }
  for (let i = 0; i < 64; i++) view.setInt32(at + FX_XMM + 4 * i, state.xmm[i], true);
}

/** Loads the state from an FXSAVE image at `at`, as FXRSTOR would (MXCSR limited to the supported bits). */
export function readFxsave(state: CpuState, view: DataView, at: number): void {
  state.fpuControl = view.getUint16(at + FX_FCW, true);
  state.fpuStatus = view.getUint16(at + FX_FSW, true);
  state.fpuTag = view.getUint8(at + FX_FTW);
  state.mxcsr = view.getUint32(at + FX_MXCSR, true) & MXCSR_MASK;
  const t = top(state);
  for (let i = 0; i < 8; i++) {
    const p = 3 * ((t + i) & 7), slot = at + FX_ST + 16 * i;
    state.stx[p] = view.getUint32(slot, true);
    state.stx[p + 1] = view.getUint32(slot + 4, true);
    state.stx[p + 2] = view.getUint16(slot + 8, true);
  }
  for (let i = 0; i < 64; i++) state.xmm[i] = view.getInt32(at + FX_XMM + 4 * i, true);
}
