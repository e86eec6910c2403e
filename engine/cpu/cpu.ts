// The CPU as the kernel model uses it: load an EC's registers, run until an exit, save them back.
// Everything hot lives in interp.ts; this file is the contract of brief.md and nothing more.

import type { FramePool } from "../memory/frames.ts";
import type { AddressSpace } from "../memory/address-space.ts";
import { Core } from "./interp.ts";
import type { CpuState } from "./state.ts";
import { statusWord } from "./x87.ts";

export { EXIT_BUDGET, EXIT_EXCEPTION, EXIT_SYSCALL } from "./interp.ts";

/**
 * How hot code runs: interpreted only, compiled block by block, blocks later recompiled as multi-block regions in
 * JavaScript, or those regions compiled to WebAssembly (wasm/compiler.ts).
 */
export const JIT_MODES = ["off", "blocks", "regions", "wasm"] as const;
export type JitMode = (typeof JIT_MODES)[number];
/** The default: the fastest exact mode measured on this machine (README, CPU). */
export const DEFAULT_JIT_MODE: JitMode = "wasm";
const BLOCK_THRESHOLD = 1000;
/** WebAssembly regions pay after fewer entries (bench 3, paired: whole-process CPU 0.72-0.86 s vs 0.78-0.99 s at 1000). */
const WASM_BLOCK_THRESHOLD = 250;
const REGION_THRESHOLD = 20000;
/**
 * WebAssembly regions are compiled as soon as a block is hot (WASM_BLOCK_THRESHOLD); a block whose region would not
 * pay runs as JavaScript and is tried again as a region after this many compiled entries.
 */
const WASM_REGION_THRESHOLD = 2000;
export { VEC_AC, VEC_BP, VEC_DB, VEC_DE, VEC_GP, VEC_PF, VEC_UD, VEC_XM } from "./interp.ts";

export class Cpu extends Core {
  constructor(
    frames: FramePool,
    readonly index: number,
  ) {
    super(frames);
  }

  get jitMode(): JitMode {
    return this.jitThreshold === Infinity ? "off" : this.regionThreshold === Infinity ? "blocks" : this.wasmRegions ? "wasm" : "regions";
  }

  set jitMode(mode: JitMode) {
    this.jitThreshold = mode === "off" ? Infinity : mode === "wasm" ? WASM_BLOCK_THRESHOLD : BLOCK_THRESHOLD;
    this.regionThreshold = mode === "regions" ? REGION_THRESHOLD : mode === "wasm" ? WASM_REGION_THRESHOLD : Infinity;
    this.wasmRegions = mode === "wasm" && this.area >= 0;
  }

  /** Makes this EC current: registers in, TLB flushed when the space differs. */
  load(state: CpuState, space: AddressSpace): void {
    this.r.set(state.gpr);
    this.xmm.set(state.xmm);
    this.rip = state.rip;
    this.setRflags(state.rflags);
    this.fsBase = state.fsBase;
    this.gsBase = state.gsBase;
    this.mxcsr = state.mxcsr;
    this.fpx.set(state.stx);
    this.fpuControl = state.fpuControl;
    this.fpuStatus = state.fpuStatus & ~(7 << 11);
    this.fpTop = (state.fpuStatus >> 11) & 7;
    this.fpTag = state.fpuTag;
    if (this.space !== space) {
      this.space = space;
      this.flushTlb();
    }
    this.syncMemory();
  }

  /** Writes the registers (with materialised RFLAGS) back into the EC's state. */
  save(state: CpuState): void {
    state.gpr.set(this.r);
    state.xmm.set(this.xmm);
    state.rip = this.rip;
    state.rflags = this.getRflags();
    state.fsBase = this.fsBase;
    state.gsBase = this.gsBase;
    state.mxcsr = this.mxcsr;
    state.stx.set(this.fpx.subarray(0, 24));
    state.fpuControl = this.fpuControl;
    state.fpuStatus = statusWord(this);
    state.fpuTag = this.fpTag;
  }
}
