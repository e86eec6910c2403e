// The syscall table: one row per implemented syscall — number, name, argument kinds, return kind, handler.
// The dispatcher, --trace, the recorder's decoded arguments and UI tooltips all read these rows, nothing else.

import { O_CREAT, O_TMPFILE } from "../fs/abi.ts";
import {
  ACCESS_MODE, ARCH_PRCTL_CODE, AT_FLAGS, CLOCK_ID, CLOEXEC_FLAGS, type EnumSet, FCNTL_CMD, FCNTL_WITH_ARG, type FlagSet, GRND_FLAGS,
  IOCTL_REQUEST, MADVICE, PRCTL_OPTION, MAP_FLAGS, MREMAP_FLAGS, OPEN_FLAGS, PROT_FLAGS, RENAME_FLAGS, RLIMIT_RESOURCE,
  SIGPROCMASK_HOW, TIMER_FLAGS, WHENCE,
} from "./abi.ts";
import type { Sys } from "./context.ts";
import * as epoll from "./epoll.ts";
import * as fs from "./fs.ts";
import * as futex from "./futex.ts";
import * as info from "./info.ts";
import * as memory from "./memory.ts";
import * as net from "./net.ts";
import * as proc from "./process.ts";
import * as signal from "./signal.ts";
import * as time from "./time.ts";
import * as timers from "./timers.ts";

export type ArgKind =
  | "int" // C int, signed decimal
  | "uint" // unsigned int
  | "long" // signed 64-bit (off_t, pid_t-sized longs)
  | "size" // size_t, unsigned decimal
  | "hex" // unsigned 64-bit shown in hex
  | "oct" // mode_t, octal
  | "fd"
  | "dirfd" // an fd or AT_FDCWD
  | "ptr" // an address the call does not decode
  | "path" // NUL-terminated path read by the call
  | "inbuf" // bytes the call reads; length in arg `len`
  | "outbuf" // bytes the call writes; at most arg `len`, exactly the result when it succeeds
  | "outstr" // a NUL-terminated string the call writes
  | "flags" // bit set, named by `set`
  | "enum" // one value, named by `set`
  | "signal"
  | "struct" // a struct named `struct`, read (in) or written (out) by the call
  | "iovec"; // an iovec array of arg `len` entries, read (in) or filled (out)

export type StructName =
  | "stat" | "statx" | "timespec" | "timeval" | "utsname" | "sigaction" | "sigset" | "stack_t" | "rlimit"
  | "sysinfo";

export interface ArgSpec {
  name: string;
  kind: ArgKind;
  /** inbuf/outbuf/iovec: index of the argument holding the length or count. */
  len?: number;
  set?: FlagSet | EnumSet;
  struct?: StructName;
  /** struct/iovec: the call writes it (decode only after a successful return). */
  out?: boolean;
  /** Shown only when another argument has one of `mask`'s bits or one of `values` (open's mode, fcntl's arg). */
  when?: { arg: number; mask?: number; values?: readonly number[] };
}

/** How the return value reads: a number, an fd, an address, hex, octal, or nothing (exit). */
export type ReturnKind = "int" | "fd" | "ptr" | "hex" | "oct" | "none";

export type Family = "fs" | "memory" | "process" | "time" | "signal" | "info" | "net";

export interface SyscallRow {
  nr: number;
  name: string;
  family: Family;
  args: readonly ArgSpec[];
  ret: ReturnKind;
  handler: (s: Sys) => number;
}

const a = (name: string, kind: ArgKind, extra: Partial<ArgSpec> = {}): ArgSpec => ({ name, kind, ...extra });
const FD = a("fd", "fd");
const DIRFD = a("dirfd", "dirfd");
const PATH = a("pathname", "path");
const MODE = a("mode", "oct");
/** open's mode matters only with O_CREAT or O_TMPFILE (flags in argument `flagsArg`). */
const createMode = (flagsArg: number) => a("mode", "oct", { when: { arg: flagsArg, mask: O_CREAT | O_TMPFILE } });
const inbuf = (name: string, len: number) => a(name, "inbuf", { len });
const outbuf = (name: string, len: number) => a(name, "outbuf", { len });
const flags = (name: string, set: FlagSet) => a(name, "flags", { set });
const enm = (name: string, set: EnumSet) => a(name, "enum", { set });
const inStruct = (name: string, struct: StructName) => a(name, "struct", { struct });
const outStruct = (name: string, struct: StructName) => a(name, "struct", { struct, out: true });

type RowSpec = [nr: number, name: string, args: ArgSpec[], handler: (s: Sys) => number, ret?: ReturnKind];

function family(name: Family, specs: RowSpec[]): SyscallRow[] {
  return specs.map(([nr, rowName, args, handler, ret]) => ({ nr, name: rowName, family: name, args, ret: ret ?? "int", handler }));
}

export const ROWS: readonly SyscallRow[] = [
  ...family("fs", [
    [0, "read", [FD, outbuf("buf", 2), a("count", "size")], fs.read],
    [1, "write", [FD, inbuf("buf", 2), a("count", "size")], fs.write],
    [2, "open", [PATH, flags("flags", OPEN_FLAGS), createMode(1)], fs.open, "fd"],
    [3, "close", [FD], fs.close],
    [4, "stat", [PATH, outStruct("statbuf", "stat")], fs.stat],
    [5, "fstat", [FD, outStruct("statbuf", "stat")], fs.fstat],
    [6, "lstat", [PATH, outStruct("statbuf", "stat")], fs.lstat],
    [7, "poll", [a("fds", "ptr"), a("nfds", "uint"), a("timeout", "int")], fs.poll],
    [8, "lseek", [FD, a("offset", "long"), enm("whence", WHENCE)], fs.lseek],
    [16, "ioctl", [FD, enm("request", IOCTL_REQUEST), a("arg", "ptr")], fs.ioctl],
    [17, "pread64", [FD, outbuf("buf", 2), a("count", "size"), a("offset", "long")], fs.pread64],
    [18, "pwrite64", [FD, inbuf("buf", 2), a("count", "size"), a("offset", "long")], fs.pwrite64],
    [19, "readv", [FD, a("iov", "iovec", { len: 2, out: true }), a("iovcnt", "int")], fs.readv],
    [20, "writev", [FD, a("iov", "iovec", { len: 2 }), a("iovcnt", "int")], fs.writev],
    [21, "access", [PATH, flags("mode", ACCESS_MODE)], fs.access],
    [22, "pipe", [a("pipefd", "ptr")], fs.pipe],
    [23, "select", [a("nfds", "int"), a("readfds", "ptr"), a("writefds", "ptr"), a("exceptfds", "ptr"), a("timeout", "ptr")], fs.select],
    [32, "dup", [a("oldfd", "fd")], fs.dup, "fd"],
    [33, "dup2", [a("oldfd", "fd"), a("newfd", "fd")], fs.dup2, "fd"],
    [40, "sendfile", [a("out_fd", "fd"), a("in_fd", "fd"), a("offset", "ptr"), a("count", "size")], fs.sendfile],
    [72, "fcntl", [FD, enm("cmd", FCNTL_CMD), a("arg", "hex", { when: { arg: 1, values: FCNTL_WITH_ARG } })], fs.fcntl],
    [73, "flock", [FD, a("operation", "int")], fs.flock],
    [74, "fsync", [FD], fs.fsync],
    [221, "fadvise64", [FD, a("offset", "long"), a("len", "long"), a("advice", "int")], fs.fadvise64],
    [75, "fdatasync", [FD], fs.fsync],
    [76, "truncate", [PATH, a("length", "long")], fs.truncate],
    [77, "ftruncate", [FD, a("length", "long")], fs.ftruncate],
    [79, "getcwd", [a("buf", "outstr"), a("size", "size")], fs.getcwd],
    [80, "chdir", [PATH], fs.chdir],
    [81, "fchdir", [FD], fs.fchdir],
    [82, "rename", [a("oldpath", "path"), a("newpath", "path")], fs.rename],
    [83, "mkdir", [PATH, MODE], fs.mkdir],
    [84, "rmdir", [PATH], fs.rmdir],
    [85, "creat", [PATH, MODE], fs.creat, "fd"],
    [86, "link", [a("oldpath", "path"), a("newpath", "path")], fs.link],
    [87, "unlink", [PATH], fs.unlink],
    [88, "symlink", [a("target", "path"), a("linkpath", "path")], fs.symlink],
    [89, "readlink", [PATH, outbuf("buf", 2), a("bufsiz", "size")], fs.readlink],
    [90, "chmod", [PATH, MODE], fs.chmod],
    [91, "fchmod", [FD, MODE], fs.fchmod],
    [92, "chown", [PATH, a("owner", "int"), a("group", "int")], fs.chown],
    [93, "fchown", [FD, a("owner", "int"), a("group", "int")], fs.fchown],
    [94, "lchown", [PATH, a("owner", "int"), a("group", "int")], fs.lchown],
    [95, "umask", [a("mask", "oct")], fs.umask, "oct"],
    [217, "getdents64", [FD, a("dirp", "ptr"), a("count", "uint")], fs.getdents64],
    [257, "openat", [DIRFD, PATH, flags("flags", OPEN_FLAGS), createMode(2)], fs.openat, "fd"],
    [258, "mkdirat", [DIRFD, PATH, MODE], fs.mkdirat],
    [260, "fchownat", [DIRFD, PATH, a("owner", "int"), a("group", "int"), flags("flags", AT_FLAGS)], fs.fchownat],
    [262, "newfstatat", [DIRFD, PATH, outStruct("statbuf", "stat"), flags("flags", AT_FLAGS)], fs.newfstatat],
    [263, "unlinkat", [DIRFD, PATH, flags("flags", AT_FLAGS)], fs.unlinkat],
    [264, "renameat", [a("olddirfd", "dirfd"), a("oldpath", "path"), a("newdirfd", "dirfd"), a("newpath", "path")], fs.renameat],
    [265, "linkat", [a("olddirfd", "dirfd"), a("oldpath", "path"), a("newdirfd", "dirfd"), a("newpath", "path"), flags("flags", AT_FLAGS)], fs.linkat],
    [266, "symlinkat", [a("target", "path"), a("newdirfd", "dirfd"), a("linkpath", "path")], fs.symlinkat],
    [267, "readlinkat", [DIRFD, PATH, outbuf("buf", 3), a("bufsiz", "size")], fs.readlinkat],
    [268, "fchmodat", [DIRFD, PATH, MODE], fs.fchmodat],
    [269, "faccessat", [DIRFD, PATH, flags("mode", ACCESS_MODE)], fs.faccessat],
    [270, "pselect6", [a("nfds", "int"), a("readfds", "ptr"), a("writefds", "ptr"), a("exceptfds", "ptr"), a("timeout", "ptr"), a("sigmask", "ptr")], fs.pselect6],
    [271, "ppoll", [a("fds", "ptr"), a("nfds", "uint"), a("tmo_p", "ptr"), a("sigmask", "ptr"), a("sigsetsize", "size")], fs.ppoll],
    [280, "utimensat", [DIRFD, PATH, a("times", "ptr"), flags("flags", AT_FLAGS)], fs.utimensat],
    [285, "fallocate", [FD, a("mode", "int"), a("offset", "long"), a("len", "long")], fs.fallocate],
    [292, "dup3", [a("oldfd", "fd"), a("newfd", "fd"), flags("flags", CLOEXEC_FLAGS)], fs.dup3, "fd"],
    [293, "pipe2", [a("pipefd", "ptr"), flags("flags", CLOEXEC_FLAGS)], fs.pipe2],
    [295, "preadv", [FD, a("iov", "iovec", { len: 2, out: true }), a("iovcnt", "int"), a("offset", "long")], fs.preadv],
    [296, "pwritev", [FD, a("iov", "iovec", { len: 2 }), a("iovcnt", "int"), a("offset", "long")], fs.pwritev],
    [316, "renameat2", [a("olddirfd", "dirfd"), a("oldpath", "path"), a("newdirfd", "dirfd"), a("newpath", "path"), flags("flags", RENAME_FLAGS)], fs.renameat2],
    [213, "epoll_create", [a("size", "int")], epoll.epollCreate, "fd"],
    [232, "epoll_wait", [a("epfd", "fd"), a("events", "ptr"), a("maxevents", "int"), a("timeout", "int")], epoll.epollWait],
    [233, "epoll_ctl", [a("epfd", "fd"), a("op", "int"), FD, a("event", "ptr")], epoll.epollCtl],
    [281, "epoll_pwait", [a("epfd", "fd"), a("events", "ptr"), a("maxevents", "int"), a("timeout", "int"), a("sigmask", "ptr"), a("sigsetsize", "size")], epoll.epollPwait],
    [284, "eventfd", [a("initval", "uint")], epoll.eventfd, "fd"],
    [290, "eventfd2", [a("initval", "uint"), a("flags", "hex")], epoll.eventfd2, "fd"],
    [291, "epoll_create1", [a("flags", "hex")], epoll.epollCreate1, "fd"],
    [332, "statx", [DIRFD, PATH, flags("flags", AT_FLAGS), a("mask", "hex"), outStruct("statxbuf", "statx")], fs.statx],
    [439, "faccessat2", [DIRFD, PATH, flags("mode", ACCESS_MODE), flags("flags", AT_FLAGS)], fs.faccessat2],
  ]),
  ...family("memory", [
    [9, "mmap", [a("addr", "ptr"), a("length", "size"), flags("prot", PROT_FLAGS), flags("flags", MAP_FLAGS), a("fd", "int"), a("offset", "hex")], memory.mmap, "ptr"],
    [10, "mprotect", [a("addr", "ptr"), a("len", "size"), flags("prot", PROT_FLAGS)], memory.mprotect],
    [11, "munmap", [a("addr", "ptr"), a("length", "size")], memory.munmap],
    [12, "brk", [a("addr", "ptr")], memory.brk, "ptr"],
    [25, "mremap", [a("old_address", "ptr"), a("old_size", "size"), a("new_size", "size"), flags("flags", MREMAP_FLAGS), a("new_address", "ptr")], memory.mremap, "ptr"],
    [26, "msync", [a("addr", "ptr"), a("length", "size"), a("flags", "hex")], memory.msync],
    [28, "madvise", [a("addr", "ptr"), a("length", "size"), enm("advice", MADVICE)], memory.madvise],
    [27, "mincore", [a("addr", "ptr"), a("length", "size"), a("vec", "ptr")], memory.mincore],
  ]),
  ...family("process", [
    [24, "sched_yield", [], proc.schedYield],
    [39, "getpid", [], proc.getpid],
    [56, "clone", [a("flags", "hex"), a("stack", "ptr"), a("parent_tid", "ptr"), a("child_tid", "ptr"), a("tls", "ptr")], proc.clone],
    [57, "fork", [], proc.fork],
    [58, "vfork", [], proc.vfork],
    [59, "execve", [PATH, a("argv", "ptr"), a("envp", "ptr")], proc.execve],
    [60, "exit", [a("status", "int")], proc.exit, "none"],
    [61, "wait4", [a("pid", "int"), a("wstatus", "ptr"), a("options", "hex"), a("rusage", "ptr")], proc.wait4],
    [202, "futex", [a("uaddr", "ptr"), a("futex_op", "int"), a("val", "int"), a("timeout", "ptr"), a("uaddr2", "ptr"), a("val3", "hex")], futex.futex],
    [247, "waitid", [a("idtype", "int"), a("id", "int"), a("infop", "ptr"), a("options", "hex"), a("rusage", "ptr")], proc.waitid],
    [322, "execveat", [DIRFD, PATH, a("argv", "ptr"), a("envp", "ptr"), flags("flags", AT_FLAGS)], proc.execveat],
    [324, "membarrier", [a("cmd", "int"), a("flags", "hex"), a("cpu_id", "int")], proc.membarrier],
    [435, "clone3", [a("cl_args", "ptr"), a("size", "size")], proc.clone3],
    [97, "getrlimit", [enm("resource", RLIMIT_RESOURCE), outStruct("rlim", "rlimit")], proc.getrlimit],
    [98, "getrusage", [a("who", "int"), a("usage", "ptr")], proc.getrusage],
    [102, "getuid", [], proc.getuid],
    [104, "getgid", [], proc.getuid],
    [107, "geteuid", [], proc.getuid],
    [108, "getegid", [], proc.getuid],
    [109, "setpgid", [a("pid", "int"), a("pgid", "int")], proc.setpgid],
    [110, "getppid", [], proc.getppid],
    [111, "getpgrp", [], proc.getpgrp],
    [112, "setsid", [], proc.setsid],
    [115, "getgroups", [a("size", "int"), a("list", "ptr")], proc.getuid],
    [118, "getresuid", [a("ruid", "ptr"), a("euid", "ptr"), a("suid", "ptr")], proc.getresuid],
    [120, "getresgid", [a("rgid", "ptr"), a("egid", "ptr"), a("sgid", "ptr")], proc.getresuid],
    [121, "getpgid", [a("pid", "int")], proc.getpgid],
    [124, "getsid", [a("pid", "int")], proc.getsid],
    [157, "prctl", [enm("option", PRCTL_OPTION), a("arg2", "hex"), a("arg3", "hex"), a("arg4", "hex"), a("arg5", "hex")], proc.prctl],
    [158, "arch_prctl", [enm("code", ARCH_PRCTL_CODE), a("addr", "ptr")], proc.archPrctl],
    [160, "setrlimit", [enm("resource", RLIMIT_RESOURCE), inStruct("rlim", "rlimit")], proc.setrlimit],
    [186, "gettid", [], proc.gettid],
    [203, "sched_setaffinity", [a("pid", "int"), a("cpusetsize", "size"), a("mask", "ptr")], proc.schedSetaffinity],
    [204, "sched_getaffinity", [a("pid", "int"), a("cpusetsize", "size"), a("mask", "ptr")], proc.schedGetaffinity],
    [218, "set_tid_address", [a("tidptr", "ptr")], proc.setTidAddress],
    [231, "exit_group", [a("status", "int")], proc.exitGroup, "none"],
    [273, "set_robust_list", [a("head", "ptr"), a("len", "size")], proc.setRobustList],
    [302, "prlimit64", [a("pid", "int"), enm("resource", RLIMIT_RESOURCE), inStruct("new_limit", "rlimit"), outStruct("old_limit", "rlimit")], proc.prlimit64],
    [334, "rseq", [a("rseq", "ptr"), a("rseq_len", "uint"), a("flags", "int"), a("sig", "hex")], proc.rseq],
  ]),
  ...family("time", [
    [35, "nanosleep", [inStruct("req", "timespec"), a("rem", "ptr")], time.nanosleep],
    [96, "gettimeofday", [outStruct("tv", "timeval"), a("tz", "ptr")], time.gettimeofday],
    [100, "times", [a("buf", "ptr")], time.times],
    [201, "time", [a("tloc", "ptr")], time.time],
    [228, "clock_gettime", [enm("clockid", CLOCK_ID), outStruct("tp", "timespec")], time.clockGettime],
    [229, "clock_getres", [enm("clockid", CLOCK_ID), outStruct("res", "timespec")], time.clockGetres],
    [230, "clock_nanosleep", [enm("clockid", CLOCK_ID), flags("flags", TIMER_FLAGS), inStruct("request", "timespec"), a("remain", "ptr")], time.clockNanosleep],
    [36, "getitimer", [a("which", "int"), a("curr_value", "ptr")], timers.getitimer],
    [37, "alarm", [a("seconds", "uint")], timers.alarm],
    [38, "setitimer", [a("which", "int"), a("new_value", "ptr"), a("old_value", "ptr")], timers.setitimer],
    [222, "timer_create", [enm("clockid", CLOCK_ID), a("sevp", "ptr"), a("timerid", "ptr")], timers.timerCreate],
    [223, "timer_settime", [a("timerid", "int"), flags("flags", TIMER_FLAGS), a("new_value", "ptr"), a("old_value", "ptr")], timers.timerSettime],
    [224, "timer_gettime", [a("timerid", "int"), a("curr_value", "ptr")], timers.timerGettime],
    [225, "timer_getoverrun", [a("timerid", "int")], timers.timerGetoverrun],
    [226, "timer_delete", [a("timerid", "int")], timers.timerDelete],
    [283, "timerfd_create", [enm("clockid", CLOCK_ID), a("flags", "hex")], timers.timerfdCreate, "fd"],
    [286, "timerfd_settime", [FD, a("flags", "hex"), a("new_value", "ptr"), a("old_value", "ptr")], timers.timerfdSettime],
    [287, "timerfd_gettime", [FD, a("curr_value", "ptr")], timers.timerfdGettime],
  ]),
  ...family("signal", [
    [13, "rt_sigaction", [a("signum", "signal"), inStruct("act", "sigaction"), outStruct("oldact", "sigaction"), a("sigsetsize", "size")], signal.rtSigaction],
    [14, "rt_sigprocmask", [enm("how", SIGPROCMASK_HOW), inStruct("set", "sigset"), outStruct("oldset", "sigset"), a("sigsetsize", "size")], signal.rtSigprocmask],
    [15, "rt_sigreturn", [], signal.rtSigreturn, "none"],
    [62, "kill", [a("pid", "int"), a("sig", "signal")], signal.kill],
    [34, "pause", [], signal.pause],
    [130, "rt_sigsuspend", [inStruct("mask", "sigset"), a("sigsetsize", "size")], signal.rtSigsuspend],
    [127, "rt_sigpending", [outStruct("set", "sigset"), a("sigsetsize", "size")], signal.rtSigpending],
    [131, "sigaltstack", [inStruct("ss", "stack_t"), outStruct("old_ss", "stack_t")], signal.sigaltstack],
    [200, "tkill", [a("tid", "int"), a("sig", "signal")], signal.tkill],
    [234, "tgkill", [a("tgid", "int"), a("tid", "int"), a("sig", "signal")], signal.tgkill],
  ]),
  ...family("net", [
    [41, "socket", [a("domain", "int"), a("type", "hex"), a("protocol", "int")], net.socket, "fd"],
    [42, "connect", [FD, a("addr", "ptr"), a("addrlen", "uint")], net.connect],
    [43, "accept", [FD, a("addr", "ptr"), a("addrlen", "ptr")], net.accept, "fd"],
    [44, "sendto", [FD, inbuf("buf", 2), a("len", "size"), a("flags", "hex"), a("dest_addr", "ptr"), a("addrlen", "uint")], net.sendto],
    [45, "recvfrom", [FD, outbuf("buf", 2), a("len", "size"), a("flags", "hex"), a("src_addr", "ptr"), a("addrlen", "ptr")], net.recvfrom],
    [46, "sendmsg", [FD, a("msg", "ptr"), a("flags", "hex")], net.sendmsg],
    [47, "recvmsg", [FD, a("msg", "ptr"), a("flags", "hex")], net.recvmsg],
    [48, "shutdown", [FD, a("how", "int")], net.shutdown],
    [49, "bind", [FD, a("addr", "ptr"), a("addrlen", "uint")], net.bind],
    [50, "listen", [FD, a("backlog", "int")], net.listen],
    [51, "getsockname", [FD, a("addr", "ptr"), a("addrlen", "ptr")], net.getsockname],
    [52, "getpeername", [FD, a("addr", "ptr"), a("addrlen", "ptr")], net.getpeername],
    [53, "socketpair", [a("domain", "int"), a("type", "hex"), a("protocol", "int"), a("sv", "ptr")], net.socketpair],
    [54, "setsockopt", [FD, a("level", "int"), a("optname", "int"), a("optval", "ptr"), a("optlen", "uint")], net.setsockopt],
    [55, "getsockopt", [FD, a("level", "int"), a("optname", "int"), a("optval", "ptr"), a("optlen", "ptr")], net.getsockopt],
    [288, "accept4", [FD, a("addr", "ptr"), a("addrlen", "ptr"), a("flags", "hex")], net.accept4, "fd"],
  ]),
  ...family("info", [
    [63, "uname", [outStruct("buf", "utsname")], info.uname],
    [99, "sysinfo", [outStruct("info", "sysinfo")], info.sysinfo],
    [309, "getcpu", [a("cpu", "ptr"), a("node", "ptr"), a("tcache", "ptr")], info.getcpu],
    [318, "getrandom", [outbuf("buf", 1), a("buflen", "size"), flags("flags", GRND_FLAGS)], info.getrandom],
  ]),
];

/** Rows indexed by syscall number (sparse), for the dispatcher. */
export const BY_NUMBER: readonly (SyscallRow | undefined)[] = (() => {
  const table: (SyscallRow | undefined)[] = [];
  for (const row of ROWS) {
    if (table[row.nr]) throw new Error(`syscall table: number ${row.nr} appears twice`);
    table[row.nr] = row;
  }
  return table;
})();
