// Where one CPU's registers, lazy flags, exit record and TLBs lie in its area of the guest's WebAssembly.Memory
// (FramePool.allocCpuArea), so the interpreter's typed arrays and compiled WebAssembly read the same bytes.

/** 16 GPRs as (low, high) int32 pairs = 16 little-endian i64. */
export const AREA_REGS = 0;
/** The lazy flag record as int32: fop, fsz, fa, fah, fb, fbh, fr, frh, fcin, fbits (fa/fah etc. form i64s). */
export const AREA_FLAGS = 128;
export const FLAG_FOP = AREA_FLAGS, FLAG_FSZ = AREA_FLAGS + 4, FLAG_FA = AREA_FLAGS + 8, FLAG_FB = AREA_FLAGS + 16;
export const FLAG_FR = AREA_FLAGS + 24, FLAG_FCIN = AREA_FLAGS + 32, FLAG_FBITS = AREA_FLAGS + 36;
/**
 * Where compiled code leaves the next rip (i64), the instructions it retired that the interpreter has not yet added
 * to icount (i32; the interpreter's step takes them first), and the instruction budget left (i32).
 */
export const AREA_EXIT_RIP = 176;
export const AREA_EXIT_COUNT = 184;
/** The direction flag (0/1) for string instructions, refreshed whenever the interpreter may have changed it. */
export const AREA_DF = 188;
export const AREA_EXIT_LEFT = 192;
/** FS and GS bases (i64), refreshed with the flags. */
export const AREA_FSBASE = 200, AREA_GSBASE = 208;
/** Read TLB tags (f64 page addresses) and bases (i32 frame offsets), then the write TLB; 256 entries each. */
export const AREA_RTAG = 256;
export const AREA_RBASE = AREA_RTAG + 2048;
export const AREA_WTAG = AREA_RBASE + 1024;
export const AREA_WBASE = AREA_WTAG + 2048;
/**
 * Links between regions: a direct-mapped table of LINK_ENTRIES (rip i64, region table index i32, entry segment i32)
 * the region runtime looks exits up in (runtime.ts); an empty entry's rip is -1.
 */
export const AREA_LINKS = AREA_WBASE + 1024;
export const LINK_ENTRIES = 64;
/** 16 XMM registers as 4 int32 lanes each, then MXCSR (i32, refreshed with the flags). */
export const AREA_XMM = AREA_LINKS + 16 * LINK_ENTRIES;
export const AREA_MXCSR = AREA_XMM + 256;
/**
 * The block trace while one is recorded (core.ts blockTrace): compiled code appends the rip (f64) of every block it
 * enters without returning to the dispatch loop to the TRACE_ENTRIES at AREA_TRACE, at byte offset AREA_TRACE_AT
 * (i32; -1: no trace); when the offset reaches AREA_TRACE_END (i32) the runtime empties the ring into the trace
 * (runtime.ts takeTrace, also after each call), and a region leaves at the block start only when the trace is full
 * (a link between regions that finds the ring full leaves to JavaScript instead).
 */
export const AREA_TRACE_AT = AREA_MXCSR + 8, AREA_TRACE_END = AREA_TRACE_AT + 4;
/**
 * The x87 registers (core.ts fpx: 8 physical registers and two scratch values as [mantissa low, high,
 * sign|exponent] int32 triples), then the stack top, the valid-register bits and the control word (i32 each, moved
 * between the core and the area with the lazy flags), and the 64-bit result of the f80 conversions (wasm/f80.ts).
 */
export const AREA_FPX = AREA_TRACE_END + 20;
export const AREA_FP_TOP = AREA_FPX + 120, AREA_FP_TAG = AREA_FP_TOP + 4, AREA_FP_CONTROL = AREA_FP_TAG + 4;
export const AREA_F80_OUT = AREA_FP_CONTROL + 8;
export const AREA_TRACE = 8192;
if (AREA_F80_OUT + 8 > AREA_TRACE) throw new Error("the x87 registers overlap the block trace ring");
export const TRACE_ENTRIES = 256;
export const AREA_END = AREA_TRACE + 8 * TRACE_ENTRIES;
