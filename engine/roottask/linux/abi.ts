// Linux x86-64 constants the personality uses, each with the symbol table that names it in traces.
// A constant and its name live in one place, so handlers and the strace-like formatter cannot disagree.

import * as F from "../fs/abi.ts";

/** A bit set with an optional leading field (the access mode of open flags, the map type of mmap). */
export interface FlagSet {
  field?: { mask: number; names: Readonly<Record<number, string>> };
  /** Bits, composites first (O_SYNC includes O_DSYNC). */
  bits: readonly (readonly [number, string])[];
  /** How a value of 0 is shown when there is no field. */
  zero?: string;
}

export type EnumSet = Readonly<Record<number, string>>;

export const OPEN_FLAGS: FlagSet = {
  field: { mask: F.O_ACCMODE, names: { [F.O_RDONLY]: "O_RDONLY", [F.O_WRONLY]: "O_WRONLY", [F.O_RDWR]: "O_RDWR" } },
  bits: [
    [F.O_TMPFILE, "O_TMPFILE"], [F.O_SYNC, "O_SYNC"], [F.O_CREAT, "O_CREAT"], [F.O_EXCL, "O_EXCL"],
    [F.O_NOCTTY, "O_NOCTTY"], [F.O_TRUNC, "O_TRUNC"], [F.O_APPEND, "O_APPEND"], [F.O_NONBLOCK, "O_NONBLOCK"],
    [F.O_DSYNC, "O_DSYNC"], [F.O_ASYNC, "O_ASYNC"], [F.O_DIRECT, "O_DIRECT"], [F.O_LARGEFILE, "O_LARGEFILE"],
    [F.O_DIRECTORY, "O_DIRECTORY"], [F.O_NOFOLLOW, "O_NOFOLLOW"], [F.O_NOATIME, "O_NOATIME"],
    [F.O_CLOEXEC, "O_CLOEXEC"], [F.O_PATH, "O_PATH"],
  ],
};

export const AT_FLAGS: FlagSet = {
  bits: [
    [F.AT_SYMLINK_NOFOLLOW, "AT_SYMLINK_NOFOLLOW"], [F.AT_REMOVEDIR, "AT_REMOVEDIR"],
    [F.AT_SYMLINK_FOLLOW, "AT_SYMLINK_FOLLOW"], [F.AT_NO_AUTOMOUNT, "AT_NO_AUTOMOUNT"],
    [F.AT_EMPTY_PATH, "AT_EMPTY_PATH"], [0x2000, "AT_STATX_FORCE_SYNC"], [0x4000, "AT_STATX_DONT_SYNC"],
  ],
  zero: "0",
};

export const ACCESS_MODE: FlagSet = { bits: [[F.R_OK, "R_OK"], [F.W_OK, "W_OK"], [F.X_OK, "X_OK"]], zero: "F_OK" };

export const RENAME_FLAGS: FlagSet = {
  bits: [[F.RENAME_NOREPLACE, "RENAME_NOREPLACE"], [F.RENAME_EXCHANGE, "RENAME_EXCHANGE"], [4, "RENAME_WHITEOUT"]],
  zero: "0",
};

export const CLOEXEC_FLAGS: FlagSet = { bits: [[F.O_CLOEXEC, "O_CLOEXEC"], [F.O_NONBLOCK, "O_NONBLOCK"]], zero: "0" };

export const WHENCE: EnumSet = {
  [F.SEEK_SET]: "SEEK_SET", [F.SEEK_CUR]: "SEEK_CUR", [F.SEEK_END]: "SEEK_END", [F.SEEK_DATA]: "SEEK_DATA",
  [F.SEEK_HOLE]: "SEEK_HOLE",
};

export const PROT_READ = 1, PROT_WRITE = 2, PROT_EXEC = 4;
export const PROT_FLAGS: FlagSet = {
  bits: [[PROT_READ, "PROT_READ"], [PROT_WRITE, "PROT_WRITE"], [PROT_EXEC, "PROT_EXEC"],
    [0x01000000, "PROT_GROWSDOWN"], [0x02000000, "PROT_GROWSUP"]],
  zero: "PROT_NONE",
};

export const MAP_SHARED = 1, MAP_PRIVATE = 2, MAP_SHARED_VALIDATE = 3, MAP_TYPE = 0xf;
export const MAP_FIXED = 0x10, MAP_ANONYMOUS = 0x20, MAP_FIXED_NOREPLACE = 0x100000;
export const MAP_FLAGS: FlagSet = {
  field: { mask: MAP_TYPE, names: { [MAP_SHARED]: "MAP_SHARED", [MAP_PRIVATE]: "MAP_PRIVATE", [MAP_SHARED_VALIDATE]: "MAP_SHARED_VALIDATE" } },
  bits: [
    [MAP_FIXED, "MAP_FIXED"], [MAP_ANONYMOUS, "MAP_ANONYMOUS"], [0x40, "MAP_32BIT"], [0x100, "MAP_GROWSDOWN"],
    [0x800, "MAP_DENYWRITE"], [0x1000, "MAP_EXECUTABLE"], [0x2000, "MAP_LOCKED"], [0x4000, "MAP_NORESERVE"],
    [0x8000, "MAP_POPULATE"], [0x10000, "MAP_NONBLOCK"], [0x20000, "MAP_STACK"], [0x40000, "MAP_HUGETLB"],
    [0x80000, "MAP_SYNC"], [MAP_FIXED_NOREPLACE, "MAP_FIXED_NOREPLACE"],
  ],
};

export const MREMAP_MAYMOVE = 1, MREMAP_FIXED = 2, MREMAP_DONTUNMAP = 4;
export const MREMAP_FLAGS: FlagSet = {
  bits: [[MREMAP_MAYMOVE, "MREMAP_MAYMOVE"], [MREMAP_FIXED, "MREMAP_FIXED"], [MREMAP_DONTUNMAP, "MREMAP_DONTUNMAP"]],
  zero: "0",
};

export const MADV_DONTNEED = 4, MADV_FREE = 8;
export const MADVICE: EnumSet = {
  0: "MADV_NORMAL", 1: "MADV_RANDOM", 2: "MADV_SEQUENTIAL", 3: "MADV_WILLNEED", [MADV_DONTNEED]: "MADV_DONTNEED",
  [MADV_FREE]: "MADV_FREE", 9: "MADV_REMOVE", 10: "MADV_DONTFORK", 11: "MADV_DOFORK", 12: "MADV_MERGEABLE",
  13: "MADV_UNMERGEABLE", 14: "MADV_HUGEPAGE", 15: "MADV_NOHUGEPAGE", 16: "MADV_DONTDUMP", 17: "MADV_DODUMP",
  18: "MADV_WIPEONFORK", 19: "MADV_KEEPONFORK", 20: "MADV_COLD", 21: "MADV_PAGEOUT", 22: "MADV_POPULATE_READ",
  23: "MADV_POPULATE_WRITE", 24: "MADV_DONTNEED_LOCKED", 25: "MADV_COLLAPSE",
};

export const F_DUPFD = 0, F_GETFD = 1, F_SETFD = 2, F_GETFL = 3, F_SETFL = 4, F_GETLK = 5, F_SETLK = 6, F_SETLKW = 7;
export const F_DUPFD_CLOEXEC = 1030, F_UNLCK = 2;
export const FCNTL_CMD: EnumSet = {
  [F_DUPFD]: "F_DUPFD", [F_GETFD]: "F_GETFD", [F_SETFD]: "F_SETFD", [F_GETFL]: "F_GETFL", [F_SETFL]: "F_SETFL",
  [F_GETLK]: "F_GETLK", [F_SETLK]: "F_SETLK", [F_SETLKW]: "F_SETLKW", 8: "F_SETOWN", 9: "F_GETOWN",
  36: "F_OFD_GETLK", 37: "F_OFD_SETLK", 38: "F_OFD_SETLKW", [F_DUPFD_CLOEXEC]: "F_DUPFD_CLOEXEC",
  1031: "F_SETPIPE_SZ", 1032: "F_GETPIPE_SZ",
};

/** fcntl commands whose third argument means something (the getters ignore it). */
export const FCNTL_WITH_ARG = [F_DUPFD, F_SETFD, F_SETFL, F_GETLK, F_SETLK, F_SETLKW, 8, 36, 37, 38, F_DUPFD_CLOEXEC, 1031];

export const TCGETS = 0x5401, TCSETS = 0x5402, TCSETSW = 0x5403, TCSETSF = 0x5404, TIOCGPGRP = 0x540f;
export const TIOCSPGRP = 0x5410, TIOCGWINSZ = 0x5413, TIOCSWINSZ = 0x5414, FIONREAD = 0x541b, FIONBIO = 0x5421;
export const FIONCLEX = 0x5450, FIOCLEX = 0x5451;
export const IOCTL_REQUEST: EnumSet = {
  [TCGETS]: "TCGETS", [TCSETS]: "TCSETS", [TCSETSW]: "TCSETSW", [TCSETSF]: "TCSETSF", [TIOCGPGRP]: "TIOCGPGRP",
  [TIOCSPGRP]: "TIOCSPGRP", [TIOCGWINSZ]: "TIOCGWINSZ", [TIOCSWINSZ]: "TIOCSWINSZ", [FIONREAD]: "FIONREAD",
  [FIONBIO]: "FIONBIO", [FIONCLEX]: "FIONCLEX", [FIOCLEX]: "FIOCLEX",
};

export const ARCH_SET_GS = 0x1001, ARCH_SET_FS = 0x1002, ARCH_GET_FS = 0x1003, ARCH_GET_GS = 0x1004;
export const ARCH_PRCTL_CODE: EnumSet = {
  [ARCH_SET_GS]: "ARCH_SET_GS", [ARCH_SET_FS]: "ARCH_SET_FS", [ARCH_GET_FS]: "ARCH_GET_FS",
  [ARCH_GET_GS]: "ARCH_GET_GS", 0x1011: "ARCH_GET_CPUID", 0x1012: "ARCH_SET_CPUID",
};

export const CLOCK_REALTIME = 0, CLOCK_MONOTONIC = 1, CLOCK_THREAD_CPUTIME_ID = 3;
export const CLOCK_REALTIME_COARSE = 5, CLOCK_MONOTONIC_COARSE = 6;
export const CLOCK_ID: EnumSet = {
  [CLOCK_REALTIME]: "CLOCK_REALTIME", [CLOCK_MONOTONIC]: "CLOCK_MONOTONIC", 2: "CLOCK_PROCESS_CPUTIME_ID",
  [CLOCK_THREAD_CPUTIME_ID]: "CLOCK_THREAD_CPUTIME_ID", 4: "CLOCK_MONOTONIC_RAW",
  [CLOCK_REALTIME_COARSE]: "CLOCK_REALTIME_COARSE", [CLOCK_MONOTONIC_COARSE]: "CLOCK_MONOTONIC_COARSE",
  7: "CLOCK_BOOTTIME", 8: "CLOCK_REALTIME_ALARM", 9: "CLOCK_BOOTTIME_ALARM", 11: "CLOCK_TAI",
};
export const TIMER_ABSTIME = 1;
export const TIMER_FLAGS: FlagSet = { bits: [[TIMER_ABSTIME, "TIMER_ABSTIME"]], zero: "0" };

export const SIG_BLOCK = 0, SIG_UNBLOCK = 1, SIG_SETMASK = 2;
export const SIGPROCMASK_HOW: EnumSet = { [SIG_BLOCK]: "SIG_BLOCK", [SIG_UNBLOCK]: "SIG_UNBLOCK", [SIG_SETMASK]: "SIG_SETMASK" };

export const SIGKILL = 9, SIGSTOP = 19, NSIG = 64;
const SIGNAL_NAMES = [
  "", "SIGHUP", "SIGINT", "SIGQUIT", "SIGILL", "SIGTRAP", "SIGABRT", "SIGBUS", "SIGFPE", "SIGKILL", "SIGUSR1",
  "SIGSEGV", "SIGUSR2", "SIGPIPE", "SIGALRM", "SIGTERM", "SIGSTKFLT", "SIGCHLD", "SIGCONT", "SIGSTOP", "SIGTSTP",
  "SIGTTIN", "SIGTTOU", "SIGURG", "SIGXCPU", "SIGXFSZ", "SIGVTALRM", "SIGPROF", "SIGWINCH", "SIGIO", "SIGPWR",
  "SIGSYS",
];

/** "SIGABRT" for 6, "SIGRTMIN" for 32, "SIGRT_2" for 34 (strace's spelling), the number otherwise. */
export function signalName(sig: number): string {
  if (sig > 0 && sig < SIGNAL_NAMES.length) return SIGNAL_NAMES[sig];
  if (sig === 32) return "SIGRTMIN";
  if (sig > 32 && sig <= NSIG) return `SIGRT_${sig - 32}`;
  return String(sig);
}

/** Signals whose default action is to ignore them (everything else terminates, stop signals aside). */
export const DEFAULT_IGNORED = new Set([17, 18, 23, 28]); // SIGCHLD SIGCONT SIGURG SIGWINCH
export const SIG_DFL = 0, SIG_IGN = 1;

export const SA_RESTORER = 0x04000000;
export const SA_FLAGS: FlagSet = {
  bits: [[1, "SA_NOCLDSTOP"], [2, "SA_NOCLDWAIT"], [4, "SA_SIGINFO"], [SA_RESTORER, "SA_RESTORER"],
    [0x08000000, "SA_ONSTACK"], [0x10000000, "SA_RESTART"], [0x40000000, "SA_NODEFER"], [0x80000000, "SA_RESETHAND"]],
  zero: "0",
};
export const SS_ONSTACK = 1, SS_DISABLE = 2, MINSIGSTKSZ = 2048;

export const RLIMIT_STACK = 3, RLIMIT_NOFILE = 7, RLIM_NLIMITS = 16;
export const RLIMIT_RESOURCE: EnumSet = {
  0: "RLIMIT_CPU", 1: "RLIMIT_FSIZE", 2: "RLIMIT_DATA", [RLIMIT_STACK]: "RLIMIT_STACK", 4: "RLIMIT_CORE",
  5: "RLIMIT_RSS", 6: "RLIMIT_NPROC", [RLIMIT_NOFILE]: "RLIMIT_NOFILE", 8: "RLIMIT_MEMLOCK", 9: "RLIMIT_AS",
  10: "RLIMIT_LOCKS", 11: "RLIMIT_SIGPENDING", 12: "RLIMIT_MSGQUEUE", 13: "RLIMIT_NICE", 14: "RLIMIT_RTPRIO",
  15: "RLIMIT_RTTIME",
};

export const PRCTL_OPTION: EnumSet = {
  1: "PR_SET_PDEATHSIG", 2: "PR_GET_PDEATHSIG", 3: "PR_GET_DUMPABLE", 4: "PR_SET_DUMPABLE", 15: "PR_SET_NAME",
  16: "PR_GET_NAME", 22: "PR_SET_SECCOMP", 36: "PR_SET_CHILD_SUBREAPER", 38: "PR_SET_NO_NEW_PRIVS",
  0x59616d61: "PR_SET_PTRACER",
};

export const GRND_FLAGS: FlagSet = { bits: [[1, "GRND_NONBLOCK"], [2, "GRND_RANDOM"], [4, "GRND_INSECURE"]], zero: "0" };

export const POLLIN = 1, POLLOUT = 4, POLLNVAL = 0x20, POLLRDNORM = 0x40, POLLWRNORM = 0x100;

export const STATX_BASIC_STATS = 0x7ff;
