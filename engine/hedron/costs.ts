// The cost model: virtual cycles charged for each kernel path, one named constant per path, and the §9 figures they come from.
// Every constant is derived from a row of HEDRON.md §9 (thesis §5.3, TSC ticks) or says plainly that no row measures it.

/**
 * HEDRON.md §9 as data: the thesis's measurements (i7-1165G7, Hedron in QEMU/KVM, TSC ticks, mean of 100k rounds
 * after 10k warm-up). The constants below are derived from these rows; `hedron-lab bench syscalls` prints them beside
 * what the lab's guests measure, and the calibration test holds every lab figure within 25 % of them.
 */
export const THESIS = {
  hypercallNative: 124,
  hypercallHybrid: 125,
  ipcSamePd: 791,
  ipcCrossPd: 1190,
  ipcSamePdMultiplexer: 1027,
  ipcCrossPdMultiplexer: 1574,
  linux: {
    set_tid_address: { native: 159, foreign: 1628, mediator: 2470 },
    fstat: { native: 377, foreign: 1796, mediator: 2595 },
    open: { native: 5080, foreign: 5575, mediator: 8068 },
  },
} as const;

/** The modelled TSC runs at the measured machine's base clock (i7-1165G7, 2.8 GHz): 1 virtual cycle = 1 TSC tick. */
export const TSC_KHZ = 2_800_000;

/** Cycles per retired guest instruction. No §9 row measures user code; assumed 1 (CPI = 1). */
export const CPI = 1;

/** §9 "raw native hypercall (pt_ctrl), native app" = 124: kernel entry and exit, split evenly. */
export const SYSCALL_ENTRY = 62;
export const SYSCALL_EXIT = 62;
/** §9 same row, "hybrid app" = 125: the hybrid app's extra cycle (NSCT bit check on a foreign PD). */
export const NSCT_CHECK = THESIS.hypercallHybrid - THESIS.hypercallNative;

/**
 * §9 "IPC round trip call+reply, same PD" = 791: two kernel entries and exits (2 × 124) plus the call and
 * reply paths (543), split call 272 / reply 271.
 */
export const IPC_CALL = 272;
export const IPC_REPLY = 271;

/** §9 "IPC round trip … across PDs" 1190 − 791 = 399: two address-space switches, 199.5 each, rounded. */
export const PD_SWITCH = 200;

/**
 * A forwarded syscall's path without the exception-layout state: the guest's entry (with the NSCT check), the
 * cross-PD event call into the handler, the handler's reply and the exit back (HEDRON.md §8).
 */
const FORWARD_IPC = SYSCALL_ENTRY + NSCT_CHECK + IPC_CALL + PD_SWITCH + SYSCALL_EXIT + SYSCALL_ENTRY + IPC_REPLY + PD_SWITCH + SYSCALL_EXIT;

/**
 * §9 Linux "set_tid_address": foreign 1628 = the forwarding IPC path (1192) + the personality's work, taken to be
 * what native Linux does for this no-op (159, modelled assumption: both only store a pointer) + 277 for moving the
 * exception-layout registers into the handler's UTCB and back (split save 139 / load 138).
 */
const EXC_STATE = THESIS.linux.set_tid_address.foreign - THESIS.linux.set_tid_address.native - FORWARD_IPC;
export const EXC_STATE_SAVE = Math.ceil(EXC_STATE / 2);
export const EXC_STATE_LOAD = EXC_STATE - EXC_STATE_SAVE;

/** The whole kernel side of one forwarded Linux syscall (1469): what the "foreign" column costs beyond the personality. */
export const FOREIGN_PATH = FORWARD_IPC + EXC_STATE;

/** A CPU exception's entry into the kernel (page faults included); no §9 row, modelled as the syscall entry path (same row as SYSCALL_ENTRY). */
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
 * Work of the Linux personality per forwarded syscall: §9's "foreign" column minus FOREIGN_PATH (fstat 327,
 * open 4106; openat is open with a directory fd). set_tid_address is the assumption EXC_STATE rests on (159).
 * The personality's open is cheaper than Linux's (5080): its in-memory file server walks no real file system.
 */
export const LINUX_WORK: Readonly<Record<string, number>> = {
  set_tid_address: THESIS.linux.set_tid_address.native,
  fstat: THESIS.linux.fstat.foreign - FOREIGN_PATH,
  open: THESIS.linux.open.foreign - FOREIGN_PATH,
  openat: THESIS.linux.open.foreign - FOREIGN_PATH,
};
/** Syscalls (and native service requests) without a row cost the cheapest measured one (set_tid_address, 159). */
export const LINUX_WORK_DEFAULT = THESIS.linux.set_tid_address.native;

/** Syscalls whose result is a count of bytes the personality copied between the app's memory and the file server. */
const COPYING = new Set(["read", "write", "pread64", "pwrite64", "readv", "writev"]);

/**
 * The personality's work for one forwarded syscall: its row above, plus the bytes it copied at the kernel's UTCB
 * word rate (UTCB_WORD per 8 bytes; no §9 row, modelled so a Linux write and a native file-service write that
 * move the same bytes pay the same per-byte price).
 */
export function linuxWork(name: string, result: number): number {
  const copied = COPYING.has(name) && result > 0 ? Math.ceil(result / 8) * UTCB_WORD : 0;
  return (LINUX_WORK[name] ?? LINUX_WORK_DEFAULT) + copied;
}

/** The seed's simulated mediator library: one empty same-PD IPC round trip per forwarded syscall (HEDRON.md §10). */
export const MEDIATOR_IPC = SYSCALL_ENTRY + IPC_CALL + SYSCALL_EXIT + SYSCALL_ENTRY + IPC_REPLY + SYSCALL_EXIT;

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
  EXC_STATE_LOAD, FOREIGN_PATH, EXCEPTION_ENTRY, UTCB_WORD, DELEGATE_ITEM, CREATE_OBJECT, CONTEXT_SWITCH, LINUX_WORK_DEFAULT,
  MEDIATOR_IPC,
} as const;

/** One call kind's modelled cost: how many calls, and the cycles of one call by part. */
export interface CallKindCost {
  count: number;
  perCall: Record<string, number>;
  total: number;
}

/** What the per-kind breakdown is computed from: the run's counters. */
export interface CallCounts {
  /** Forwarded Linux syscalls by name. */
  foreign: Record<string, number>;
  /** Native hypercalls by name (guest and roottask), `call` and `reply` included. */
  hypercalls: Record<string, number>;
  /** CPU exceptions (page faults included) by vector name, each delivered to a handler portal. */
  exceptions: Record<string, number>;
  mediator: boolean;
}

/**
 * The modelled cost per call kind, from the constants: a forwarded syscall splits into kernel entry/exit, IPC
 * (event call, reply, PD switches, exception-layout state), the mediator IPC when simulated, and personality work;
 * a native hypercall is entry + exit; a native portal call is entry/exit + a cross-PD call/reply; an exception is
 * its entry plus the same event delivery and reply as a forwarded syscall. Bytes the personality copies, UTCB words
 * and the handlers' own work beyond these rows are in the category totals (`costs.service`, `costs.ipc`).
 */
export function costsByKind(counts: CallCounts): Record<string, CallKindCost> {
  const out: Record<string, CallKindCost> = {};
  const add = (kind: string, count: number, perCall: Record<string, number>) => {
    if (count <= 0) return;
    const one = Object.values(perCall).reduce((a, b) => a + b, 0);
    out[kind] = { count, perCall, total: one * count };
  };
  let forwarded = 0;
  for (const [name, count] of Object.entries(counts.foreign)) {
    forwarded += count;
    const perCall: Record<string, number> = {
      "kernel entry/exit": 2 * (SYSCALL_ENTRY + SYSCALL_EXIT) + NSCT_CHECK,
      "IPC": IPC_CALL + IPC_REPLY + 2 * PD_SWITCH + EXC_STATE,
    };
    if (counts.mediator) perCall["mediator IPC"] = MEDIATOR_IPC;
    perCall["personality work"] = LINUX_WORK[name] ?? LINUX_WORK_DEFAULT;
    add(`linux:${name}`, count, perCall);
  }
  // The roottask's own call per forwarded syscall (the mediator) and the handlers' replies are part of the rows above.
  const calls = (counts.hypercalls.call ?? 0) - (counts.mediator ? forwarded : 0);
  add("native:portal call", calls, { "kernel entry/exit": 2 * (SYSCALL_ENTRY + SYSCALL_EXIT), "IPC": IPC_CALL + IPC_REPLY + 2 * PD_SWITCH });
  for (const [name, count] of Object.entries(counts.exceptions)) {
    add(`exception:${name}`, count, {
      "kernel entry/exit": EXCEPTION_ENTRY + SYSCALL_EXIT + SYSCALL_ENTRY + SYSCALL_EXIT,
      "IPC": IPC_CALL + IPC_REPLY + 2 * PD_SWITCH + EXC_STATE,
    });
  }
  for (const [name, count] of Object.entries(counts.hypercalls)) {
    if (name !== "call" && name !== "reply") add(`native:${name}`, count, { "kernel entry/exit": SYSCALL_ENTRY + SYSCALL_EXIT });
  }
  return out;
}
