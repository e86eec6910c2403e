// The cost model: virtual cycles charged for each kernel path, one named constant per path.
// Every constant is derived from a row of HEDRON.md §9 (thesis §5.3, TSC ticks) or says plainly that no row measures it.

/** The modelled TSC runs at the measured machine's base clock (i7-1165G7, 2.8 GHz): 1 virtual cycle = 1 TSC tick. */
export const TSC_KHZ = 2_800_000;

/** Cycles per retired guest instruction. No §9 row measures user code; assumed 1 (CPI = 1). */
export const CPI = 1;

/** §9 "raw native hypercall (pt_ctrl), native app" = 124: kernel entry and exit, split evenly. */
export const SYSCALL_ENTRY = 62;
export const SYSCALL_EXIT = 62;
/** §9 same row, "hybrid app" = 125: the hybrid app's extra cycle (NSCT bit check on a foreign PD). */
export const NSCT_CHECK = 1;

/**
 * §9 "IPC round trip call+reply, same PD" = 791: two kernel entries and exits (2 × 124) plus the call and
 * reply paths (543), split call 272 / reply 271.
 */
export const IPC_CALL = 272;
export const IPC_REPLY = 271;

/** §9 "IPC round trip … across PDs" 1190 − 791 = 399: two address-space switches, 199.5 each, rounded. */
export const PD_SWITCH = 200;

/**
 * §9 Linux "set_tid_address": foreign 1628 = cross-PD round trip (1190) + the work native Linux does (159)
 * + 279 for moving the exception-layout register state into the handler's UTCB and back (split 140 / 139).
 */
export const EXC_STATE_SAVE = 140;
export const EXC_STATE_LOAD = 139;

/** A CPU exception's entry into the kernel; no §9 row, modelled as the syscall entry path (same row as SYSCALL_ENTRY). */
export const EXCEPTION_ENTRY = SYSCALL_ENTRY;

/** Untyped UTCB words copied by IPC. No §9 row (the benchmarks send ≤ 2 words): modelled as 1 cycle per word. */
export const UTCB_WORD = 1;

/** One capability or page delegated or revoked. No §9 row: modelled as one mapping-database update, 100 cycles. */
export const DELEGATE_ITEM = 100;

/** Creating a kernel object (create_*), beyond the hypercall itself. No §9 row: modelled as one delegation. */
export const CREATE_OBJECT = DELEGATE_ITEM;

/** Switching a CPU to another SC's EC. No §9 row: modelled as a kernel entry/exit plus an address-space switch. */
export const CONTEXT_SWITCH = SYSCALL_ENTRY + SYSCALL_EXIT + PD_SWITCH;

/**
 * Work of the Linux personality per forwarded syscall: the "native Linux" column of §9, where measured.
 * Syscalls without a row cost the cheapest measured one (set_tid_address, 159).
 */
export const LINUX_WORK: Readonly<Record<string, number>> = { set_tid_address: 159, fstat: 377, open: 5080, openat: 5080 };
export const LINUX_WORK_DEFAULT = 159;

/** Cycles → microseconds / nanoseconds of virtual time. */
export function cyclesToUs(cycles: number): number {
  return Math.floor(cycles / (TSC_KHZ / 1000));
}

export function cyclesToNs(cycles: number): number {
  return Math.floor(cycles / (TSC_KHZ / 1_000_000));
}

export function usToCycles(us: number): number {
  return us * (TSC_KHZ / 1000);
}

/** Named constants as one record, for stats and the UI's cost table. */
export const COST_TABLE = {
  TSC_KHZ, CPI, SYSCALL_ENTRY, SYSCALL_EXIT, NSCT_CHECK, IPC_CALL, IPC_REPLY, PD_SWITCH, EXC_STATE_SAVE,
  EXC_STATE_LOAD, EXCEPTION_ENTRY, UTCB_WORD, DELEGATE_ITEM, CREATE_OBJECT, CONTEXT_SWITCH, LINUX_WORK_DEFAULT,
} as const;
