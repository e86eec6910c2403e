// The CPU as the kernel model uses it: load an EC's registers, run until an exit, save them back. The top of
// engine/cpu: the dispatch loop, which runs each block interpreted (interp.ts) or compiled (jit.ts, wasm/) and
// decides when to compile; the modules below it never import each other (test/engine/cpu/layering.test.ts).

import type { FramePool } from "../memory/frames.ts";
import type { AddressSpace } from "../memory/address-space.ts";
import { blockLength, CODE_SLOTS, EXIT_BUDGET, EXIT_EXCEPTION, FAULT, IS_TERMINATOR, JC_MASK, MAX_BLOCK, SCRATCH_SLOTS, type BlockFn, type Core } from "./core.ts";
import { Interpreter } from "./interp.ts";
import { compileRegion } from "./jit.ts";
import { compileWasmRegion, MAX_WASM_BLOCKS } from "./wasm/compiler.ts";
import type { CpuState } from "./state.ts";
import { U } from "./table.ts";
import { statusWord } from "./x87.ts";

export { EXIT_BUDGET, EXIT_EXCEPTION, EXIT_SYSCALL } from "./core.ts";

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
/** Most blocks in one JavaScript region (bounds compile time and code size). */
const MAX_REGION_BLOCKS = 16;
export { VEC_AC, VEC_BP, VEC_DB, VEC_DE, VEC_GP, VEC_PF, VEC_UD, VEC_XM } from "./core.ts";

export class Cpu extends Interpreter {
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
      const entries = compileWasmRegion(this, blocks, (s) => compileRegion(this, [s]));
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

  // ---------------------------------------------------------------- the dispatch loop

  /** Executes until an exit; the budget (instructions) is checked at block ends. */
  run(budget: number): number {
    this.matchTraceMode();
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
        if (!this.traceBlock(rip)) return EXIT_BUDGET;
        let fn = jitFns[first];
        if (fn === null && (this.hits[first] += this.heat[first]) >= this.jitThreshold && first < CODE_SLOTS - SCRATCH_SLOTS) {
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
        if (!this.traceBlock(this.rip)) return EXIT_BUDGET;
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
}

/**
 * The blocks of the region entered at slot first: first itself, then (breadth first) the already executed blocks
 * reached by direct jumps, fall-through, calls and their return sites, at most `max`. A JavaScript region keeps to
 * first's page: blocks on one page are invalidated together, so a write to the page drops the whole region with its
 * entry. `anyPage` (WebAssembly regions, whose every entry checks its pages' code epochs) follows them anywhere a
 * code frame is mapped.
 */
function regionBlocks(c: Core, first: number, max = MAX_REGION_BLOCKS, anyPage = false): number[] {
  const code = c.code;
  const page = code.rip[first] - (code.rip[first] & 0xfff);
  const blocks = [first];
  const seen = new Set<number>(blocks);
  for (let q = 0; q < blocks.length && blocks.length < max; q++) {
    const last = blocks[q] + blockLength(c, blocks[q]) - 1;
    const op = code.op[last], next = code.rip[last] + code.len[last];
    const targets = op === U.JCC || op === U.CALL ? [code.disp[last], next] : op === U.JMP ? [code.disp[last]] :
      op === U.END ? [code.rip[last]] : op === U.CALL_E ? [next] : [];
    // WebAssembly regions also follow an indirect jump or call to where the interpreter saw it go last.
    const went = anyPage && (op === U.CALL_E || op === U.JMP_E) ? c.indirectTargets.get(last) : undefined;
    if (went !== undefined) targets.push(went);
    for (const rip of targets) {
      if ((!anyPage && rip - (rip & 0xfff) !== page) || blocks.length >= max) continue;
      const s = c.decodedBlock(rip);
      if (s >= 0 && !seen.has(s) && c.executed(s) && (!anyPage || c.codeFrame(rip) >= 0)) { seen.add(s); blocks.push(s); }
    }
  }
  return blocks;
}
