// File syscalls: one function per syscall, translating guest pointers and structs into file-server calls.
// The file server owns the semantics; this file owns the Linux ABI (argument decoding, struct layouts, errno).

import {
  AT_EACCESS, AT_EMPTY_PATH, AT_FDCWD, AT_NO_AUTOMOUNT, AT_REMOVEDIR, AT_SYMLINK_FOLLOW, AT_SYMLINK_NOFOLLOW,
  O_CREAT, O_NONBLOCK, O_TRUNC, O_WRONLY, S_IFMT, S_IFREG, SEEK_CUR, SEEK_SET,
} from "../fs/abi.ts";
import { E } from "../fs/errno.ts";
import { FD_CLOEXEC, MAX_RW } from "../fs/file-server.ts";
import {
  F_DUPFD, F_DUPFD_CLOEXEC, F_GETFD, F_GETFL, F_GETLK, F_SETFD, F_SETFL, F_SETLK, F_SETLKW, F_UNLCK, FIOCLEX,
  FIONBIO, FIONCLEX, FIONREAD, POLLIN, POLLNVAL, POLLOUT, POLLRDNORM, POLLWRNORM, STATX_BASIC_STATS, TCGETS,
  TCSETS, TCSETSF, TCSETSW, TIOCGPGRP, TIOCGWINSZ, TIOCSPGRP, TIOCSWINSZ,
} from "./abi.ts";
import { GuestErrno, readCString, Sys } from "./context.ts";
import { eventfdIo, pollMask, waitKey } from "./epoll.ts";
import { generatedView } from "./procfs.ts";
import { realtimeNs } from "./time.ts";
import { timerfdRead } from "./timers.ts";
import { raise } from "./signal.ts";
import { SI_USER } from "./sigframe.ts";
import {
  Bytes, decodeIovecs, dirent64Size, encodeDirent64, encodeStat, encodeStatx, IOV_MAX, IOVEC_SIZE, POLLFD,
  TERMIOS_SIZE, TIMESPEC_SIZE, WINSIZE_SIZE,
} from "./structs.ts";

const encoder = new TextEncoder();
const SIGPIPE = 13;

/** A write's result; writing to a pipe nobody reads also sends SIGPIPE, as Linux does. */
function written(s: Sys, result: number): number {
  if (result === -E.EPIPE) raise(s, SIGPIPE, SI_USER);
  return result;
}

/** Linux's PIPE_BUF: pipe writes up to this size are atomic. */
const PIPE_BUF = 4096;

/** An empty (read) or full (write) pipe without O_NONBLOCK: the call waits until the pipe changes. */
function orBlock(s: Sys, fd: number, result: number): number {
  if (result !== -E.EAGAIN) return result;
  const key = s.fs.pipeKey(s.pid, fd);
  const file = s.fs.file(s.pid, fd);
  if (!key || !file || file.flags & O_NONBLOCK) return result;
  return s.block([key]);
}

// ---- read / write ----

export function read(s: Sys): number {
  const buf = s.u64(1);
  const special = eventfdIo(s, s.int(0), buf, s.u64(2), false) ?? timerfdRead(s, s.int(0), buf, s.u64(2));
  if (special !== null) return special;
  return orBlock(s, s.int(0), s.fs.read(s.pid, s.int(0), s.u64(2), (bytes) => s.write(buf, bytes)));
}

export function write(s: Sys): number {
  const special = eventfdIo(s, s.int(0), s.u64(1), s.u64(2), true);
  if (special !== null) return special;
  const fd = s.int(0), len = Math.min(s.u64(2), MAX_RW);
  if (s.fs.pipeKey(s.pid, fd) !== null) return pipeWrite(s, fd, s.u64(1), len);
  return written(s, orBlock(s, fd, s.fs.write(s.pid, fd, s.read(s.u64(1), len))));
}

/**
 * A write to a pipe as Linux does it: up to PIPE_BUF bytes go in at once or not at all; a longer one takes what fits
 * and, unless O_NONBLOCK (a short count then), waits for room for the rest — a signal then ends it with the count so
 * far. The bytes already written ride along in the blocked call (its progress) while it waits.
 */
function pipeWrite(s: Sys, fd: number, buf: number, len: number): number {
  let done = s.resumedProgress;
  const nonblock = (s.fs.file(s.pid, fd)!.flags & O_NONBLOCK) !== 0;
  const wait = () => (nonblock ? (done > 0 ? done : -E.EAGAIN) : s.block([s.fs.pipeKey(s.pid, fd)!], { progress: done }));
  if (len <= PIPE_BUF && s.fs.pipeRoom(s.pid, fd) < len && s.fs.pipeReaders(s.pid, fd) > 0) return wait();
  const n = s.fs.write(s.pid, fd, s.read(buf + done, len - done));
  if (n === -E.EAGAIN) return wait();
  if (n < 0) {
    // A reader gone after part of the write went in: SIGPIPE, and the count so far.
    if (done === 0) return written(s, n);
    raise(s, SIGPIPE, SI_USER);
    return done;
  }
  done += n;
  return done < len ? wait() : done;
}

export function pread64(s: Sys): number {
  const buf = s.u64(1);
  return s.fs.pread(s.pid, s.int(0), s.u64(2), s.s64(3), (bytes) => s.write(buf, bytes));
}

export function pwrite64(s: Sys): number {
  return written(s, s.fs.pwrite(s.pid, s.int(0), s.read(s.u64(1), Math.min(s.u64(2), MAX_RW)), s.s64(3)));
}

const totalLen = (list: { len: number }[]) => list.reduce((n, v) => n + v.len, 0);

/** The iovec array of a readv/writev-style call, or -EINVAL. */
function iovecs(s: Sys, at: number, count: number): { base: number; len: number }[] | number {
  if (count < 0 || count > IOV_MAX) return -E.EINVAL;
  const list = decodeIovecs(s.read(at, count * IOVEC_SIZE));
  // The lengths must sum to at most SSIZE_MAX.
  return totalLen(list) >= 2 ** 63 ? -E.EINVAL : list;
}

function gather(s: Sys, list: { base: number; len: number }[]): Uint8Array {
  const parts = list.map((v) => s.read(v.base, Math.min(v.len, MAX_RW)));
  const total = Math.min(parts.reduce((n, p) => n + p.length, 0), MAX_RW);
  const out = new Uint8Array(total);
  let off = 0;
  for (const p of parts) {
    if (off >= total) break;
    out.set(p.subarray(0, total - off), off);
    off += p.length;
  }
  return out;
}

function scatter(s: Sys, list: { base: number; len: number }[], bytes: Uint8Array): void {
  let off = 0;
  for (const v of list) {
    if (off >= bytes.length) break;
    const n = Math.min(v.len, bytes.length - off);
    s.write(v.base, bytes.subarray(off, off + n));
    off += n;
  }
}

export function readv(s: Sys): number {
  const list = iovecs(s, s.u64(1), s.int(2));
  if (typeof list === "number") return list;
  return orBlock(s, s.int(0), s.fs.read(s.pid, s.int(0), totalLen(list), (bytes) => scatter(s, list, bytes)));
}

export function writev(s: Sys): number {
  const list = iovecs(s, s.u64(1), s.int(2));
  if (typeof list === "number") return list;
  return written(s, orBlock(s, s.int(0), s.fs.write(s.pid, s.int(0), gather(s, list))));
}

export function preadv(s: Sys): number {
  const list = iovecs(s, s.u64(1), s.int(2));
  if (typeof list === "number") return list;
  return s.fs.pread(s.pid, s.int(0), totalLen(list), s.s64(3), (bytes) => scatter(s, list, bytes));
}

export function pwritev(s: Sys): number {
  const list = iovecs(s, s.u64(1), s.int(2));
  if (typeof list === "number") return list;
  return written(s, s.fs.pwrite(s.pid, s.int(0), gather(s, list), s.s64(3)));
}

/**
 * sendfile(out, in, *offset, count): from the in-file's offset (or *offset) to out. The offset moves by what out took
 * (a socket may take part, or block before taking any); a non-seekable in-file is read as it comes.
 */
export function sendfile(s: Sys): number {
  const out = s.int(0), input = s.int(1), offPtr = s.u64(2), count = Math.min(s.u64(3), MAX_RW);
  let data: Uint8Array = new Uint8Array(0);
  const keep = (bytes: Uint8Array) => { data = bytes; };
  const offset = offPtr !== 0 ? new Bytes(s.read(offPtr, 8)).i64(0) : s.fs.lseek(s.pid, input, 0, SEEK_CUR);
  if (offset === -E.ESPIPE && offPtr === 0) {
    const n = s.fs.read(s.pid, input, count, keep);
    return n <= 0 ? n : written(s, orBlock(s, out, s.fs.write(s.pid, out, data)));
  }
  if (offset < 0) return offset;
  const n = s.fs.pread(s.pid, input, count, offset, keep);
  if (n <= 0) return n;
  const sent = written(s, orBlock(s, out, s.fs.write(s.pid, out, data)));
  if (sent <= 0) return sent;
  if (offPtr === 0) {
    s.fs.lseek(s.pid, input, offset + sent, SEEK_SET);
  } else {
    const next = Bytes.alloc(8);
    next.setU64(0, offset + sent);
    s.write(offPtr, next.bytes);
  }
  return sent;
}

/** pipe/pipe2: both ends are closed again if the guest's int[2] cannot be written. */
function pipeInto(s: Sys, at: number, flags: number): number {
  const ends = s.fs.pipe(s.pid, flags);
  if (typeof ends === "number") return ends;
  const out = Bytes.alloc(8);
  out.setU32(0, ends[0]);
  out.setU32(4, ends[1]);
  try {
    s.write(at, out.bytes);
  } catch (error) {
    s.fs.close(s.pid, ends[0]);
    s.fs.close(s.pid, ends[1]);
    throw error;
  }
  return 0;
}

export function pipe(s: Sys): number {
  return pipeInto(s, s.u64(0), 0);
}

export function pipe2(s: Sys): number {
  return pipeInto(s, s.u64(0), s.int(1));
}

// ---- open / close / seek ----

/** open of a path: a generated /proc view (or /etc/mtab) when it names one, else the file server's file. */
function openPath(s: Sys, dirfd: number, path: string, flags: number, mode: number): number {
  const view = path.startsWith("/") ? generatedView(s, path) : null;
  if (view === "ENOENT") return -E.ENOENT;
  if (view) return s.fs.openGenerated(s.pid, view, flags);
  return s.fs.open(s.pid, dirfd, path, flags, mode);
}

export function open(s: Sys): number {
  return openPath(s, AT_FDCWD, s.path(0), s.int(1), s.uint(2));
}

export function creat(s: Sys): number {
  return s.fs.open(s.pid, AT_FDCWD, s.path(0), O_CREAT | O_WRONLY | O_TRUNC, s.uint(1));
}

export function openat(s: Sys): number {
  return openPath(s, s.int(0), s.path(1), s.int(2), s.uint(3));
}

export function close(s: Sys): number {
  return s.fs.close(s.pid, s.int(0));
}

export function lseek(s: Sys): number {
  return s.fs.lseek(s.pid, s.int(0), s.s64(1), s.uint(2));
}

export function ftruncate(s: Sys): number {
  return s.fs.ftruncate(s.pid, s.int(0), s.s64(1));
}

export function truncate(s: Sys): number {
  return s.fs.truncate(s.pid, s.path(0), s.s64(1));
}

/** fadvise64: advice is accepted (memory is the cache) once fd and advice are valid; a pipe is ESPIPE. */
export function fadvise64(s: Sys): number {
  const fd = s.int(0), advice = s.int(3);
  if (!s.fs.file(s.pid, fd)) return -E.EBADF;
  if (s.fs.pipeKey(s.pid, fd) !== null) return -E.ESPIPE;
  return advice >= 0 && advice <= 5 && s.s64(2) >= 0 ? 0 : -E.EINVAL;
}

/** fsync/fdatasync: memory is the storage, except for a writable disk, which commits its changes. */
export function fsync(s: Sys): number {
  if (!s.fs.file(s.pid, s.int(0))) return -E.EBADF;
  s.fs.tree.sync();
  return 0;
}

// ---- stat ----

function statInto(s: Sys, buf: number, st: ReturnType<Sys["fs"]["fstat"]>): number {
  if (typeof st === "number") return st;
  s.write(buf, encodeStat(st));
  return 0;
}

export function fstat(s: Sys): number {
  return statInto(s, s.u64(1), s.fs.fstat(s.pid, s.int(0)));
}

export function stat(s: Sys): number {
  return statInto(s, s.u64(1), s.fs.stat(s.pid, AT_FDCWD, s.path(0), true));
}

export function lstat(s: Sys): number {
  return statInto(s, s.u64(1), s.fs.stat(s.pid, AT_FDCWD, s.path(0), false));
}

const AT_STATX_SYNC_TYPE = 0x6000;

export function newfstatat(s: Sys): number {
  const flags = s.int(3);
  if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH | AT_NO_AUTOMOUNT)) return -E.EINVAL;
  const st = s.fs.stat(s.pid, s.int(0), s.path(1), !(flags & AT_SYMLINK_NOFOLLOW), flags);
  return statInto(s, s.u64(2), st);
}

export function statx(s: Sys): number {
  const flags = s.int(2), mask = s.uint(3);
  if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH | AT_NO_AUTOMOUNT | AT_STATX_SYNC_TYPE)) return -E.EINVAL;
  if ((flags & AT_STATX_SYNC_TYPE) === AT_STATX_SYNC_TYPE || mask & 0x80000000) return -E.EINVAL;
  const st = s.fs.stat(s.pid, s.int(0), s.path(1), !(flags & AT_SYMLINK_NOFOLLOW), flags);
  if (typeof st === "number") return st;
  s.write(s.u64(4), encodeStatx(st, STATX_BASIC_STATS));
  return 0;
}

export function access(s: Sys): number {
  return s.fs.access(s.pid, AT_FDCWD, s.path(0), s.int(1), true);
}

export function faccessat(s: Sys): number {
  return s.fs.access(s.pid, s.int(0), s.path(1), s.int(2), true);
}

export function faccessat2(s: Sys): number {
  const flags = s.int(3);
  if (flags & ~(AT_EACCESS | AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH)) return -E.EINVAL;
  return s.fs.access(s.pid, s.int(0), s.path(1), s.int(2), !(flags & AT_SYMLINK_NOFOLLOW), flags);
}

// ---- working directory ----

export function getcwd(s: Sys): number {
  const cwd = s.fs.getcwd(s.pid);
  if (typeof cwd === "number") return cwd;
  const bytes = encoder.encode(cwd + "\0");
  if (s.u64(1) < bytes.length) return -E.ERANGE;
  s.write(s.u64(0), bytes);
  return bytes.length;
}

export function chdir(s: Sys): number {
  return s.fs.chdir(s.pid, s.path(0));
}

export function fchdir(s: Sys): number {
  return s.fs.fchdir(s.pid, s.int(0));
}

export function umask(s: Sys): number {
  return s.fs.umask(s.pid, s.uint(0));
}

// ---- descriptors ----

export function dup(s: Sys): number {
  return s.fs.dup(s.pid, s.int(0));
}

export function dup2(s: Sys): number {
  return s.fs.dup3(s.pid, s.int(0), s.int(1), -1);
}

export function dup3(s: Sys): number {
  return s.fs.dup3(s.pid, s.int(0), s.int(1), s.int(2));
}

export function fcntl(s: Sys): number {
  const fd = s.int(0), cmd = s.int(1), arg = s.u64(2);
  switch (cmd) {
    case F_DUPFD: return s.fs.dup(s.pid, fd, s.int(2));
    case F_DUPFD_CLOEXEC: return s.fs.dup(s.pid, fd, s.int(2), true);
    case F_GETFD: return s.fs.getFdFlags(s.pid, fd);
    case F_SETFD: return s.fs.setFdFlags(s.pid, fd, s.int(2) & FD_CLOEXEC);
    case F_GETFL: return s.fs.getStatusFlags(s.pid, fd);
    case F_SETFL: return s.fs.setStatusFlags(s.pid, fd, s.int(2));
    case F_GETLK: {
      // One process owns every lock it could meet, so no lock ever conflicts: report the range unlocked.
      if (!s.fs.file(s.pid, fd)) return -E.EBADF;
      const lock = Bytes.alloc(2);
      lock.setU16(0, F_UNLCK);
      s.write(arg, lock.bytes);
      return 0;
    }
    case F_SETLK: case F_SETLKW:
      return s.fs.file(s.pid, fd) ? 0 : -E.EBADF;
    default:
      return s.fs.file(s.pid, fd) ? -E.EINVAL : -E.EBADF;
  }
}

/** Whether an fd is one of the CLI's streams and the host says that stream is a terminal. */
function isTerminal(s: Sys, fd: number): boolean {
  const device = s.fs.deviceOf(s.pid, fd);
  const term = s.host.terminal;
  if (!term) return false;
  return (device === "stdin" && term.stdin) || (device === "stdout" && term.stdout) || (device === "stderr" && term.stderr);
}

/** The termios a fresh Linux terminal reports (ICRNL|IXON, OPOST|ONLCR, B38400|CS8|CREAD, canonical echo). */
function defaultTermios(): Uint8Array {
  const t = Bytes.alloc(TERMIOS_SIZE);
  t.setU32(0, 0x500);
  t.setU32(4, 0x5);
  t.setU32(8, 0xbf);
  t.setU32(12, 0x8a3b);
  const cc = [3, 0x1c, 0x7f, 0x15, 4, 0, 1, 0, 0x11, 0x13, 0x1a, 0, 0x12, 0x0f, 0x17, 0x16, 0];
  cc.forEach((c, i) => t.setU8(17 + i, c));
  return t.bytes;
}

export function ioctl(s: Sys): number {
  const fd = s.int(0), request = s.uint(1), arg = s.u64(2);
  const file = s.fs.file(s.pid, fd);
  if (!file) return -E.EBADF;
  switch (request) {
    case FIOCLEX: return s.fs.setFdFlags(s.pid, fd, FD_CLOEXEC);
    case FIONCLEX: return s.fs.setFdFlags(s.pid, fd, 0);
    case FIONBIO: {
      const on = new Bytes(s.read(arg, 4)).i32(0) !== 0;
      return s.fs.setStatusFlags(s.pid, fd, on ? file.flags | O_NONBLOCK : file.flags & ~O_NONBLOCK);
    }
    case FIONREAD: {
      const st = s.fs.fstat(s.pid, fd);
      if (typeof st === "number") return st;
      const regular = (st.mode & S_IFMT) === S_IFREG;
      const piped = s.fs.pipeBuffered(s.pid, fd);
      if (!regular && piped < 0 && !isTerminal(s, fd)) return -E.ENOTTY;
      // A terminal's pending input is unknown until read: report none buffered.
      const n = Bytes.alloc(4);
      n.setU32(0, regular ? Math.max(0, Math.min(st.size - file.offset, 0x7fffffff)) : Math.max(piped, 0));
      s.write(arg, n.bytes);
      return 0;
    }
  }
  if (!isTerminal(s, fd)) return -E.ENOTTY;
  const term = s.host.terminal!;
  switch (request) {
    case TCGETS:
      s.write(arg, s.anon.consoleTermios ?? defaultTermios());
      return 0;
    case TCSETS: case TCSETSW: case TCSETSF:
      // Kept and reported back (stty sees its change); the host terminal's own mode is left as it is.
      s.anon.consoleTermios = s.read(arg, TERMIOS_SIZE).slice();
      return 0;
    case TIOCGWINSZ: {
      const w = Bytes.alloc(WINSIZE_SIZE);
      w.setU16(0, term.rows);
      w.setU16(2, term.cols);
      s.write(arg, w.bytes);
      return 0;
    }
    case TIOCSWINSZ:
      s.read(arg, WINSIZE_SIZE);
      return 0;
    case TIOCGPGRP: {
      const g = Bytes.alloc(4);
      g.setU32(0, s.proc.pgid);
      s.write(arg, g.bytes);
      return 0;
    }
    case TIOCSPGRP:
      s.read(arg, 4);
      return 0;
    default:
      return -E.ENOTTY;
  }
}

// ---- directories and names ----

export function getdents64(s: Sys): number {
  const fd = s.int(0), buf = s.u64(1), count = s.uint(2);
  const entries = s.fs.dirEntries(s.pid, fd);
  if (typeof entries === "number") return entries;
  const names = entries.map((e) => encoder.encode(e.name));
  let size = 0, n = 0;
  while (n < entries.length && size + dirent64Size(names[n].length) <= count) size += dirent64Size(names[n++].length);
  if (n === 0 && entries.length > 0) return -E.EINVAL;
  const out = Bytes.alloc(size);
  const start = s.fs.file(s.pid, fd)!.offset;
  let off = 0;
  for (let i = 0; i < n; i++) off += encodeDirent64(out, off, entries[i].ino, start + i + 1, entries[i].type, names[i]);
  s.write(buf, out.bytes);
  s.fs.advanceDir(s.pid, fd, n);
  return size;
}

export function mkdir(s: Sys): number {
  return s.fs.mkdir(s.pid, AT_FDCWD, s.path(0), s.uint(1));
}

export function mkdirat(s: Sys): number {
  return s.fs.mkdir(s.pid, s.int(0), s.path(1), s.uint(2));
}

export function rmdir(s: Sys): number {
  return s.fs.unlink(s.pid, AT_FDCWD, s.path(0), true);
}

export function unlink(s: Sys): number {
  return s.fs.unlink(s.pid, AT_FDCWD, s.path(0), false);
}

export function unlinkat(s: Sys): number {
  const flags = s.int(2);
  if (flags & ~AT_REMOVEDIR) return -E.EINVAL;
  return s.fs.unlink(s.pid, s.int(0), s.path(1), (flags & AT_REMOVEDIR) !== 0);
}

export function rename(s: Sys): number {
  return s.fs.rename(s.pid, AT_FDCWD, s.path(0), AT_FDCWD, s.path(1), 0);
}

export function renameat(s: Sys): number {
  return s.fs.rename(s.pid, s.int(0), s.path(1), s.int(2), s.path(3), 0);
}

export function renameat2(s: Sys): number {
  return s.fs.rename(s.pid, s.int(0), s.path(1), s.int(2), s.path(3), s.uint(4));
}

/** readlink of /proc/self/exe names the executable; everything else asks the file server. */
function readlinkCommon(s: Sys, dirfd: number, path: string, buf: number, size: number): number {
  if (size <= 0) return -E.EINVAL;
  const target = path === "/proc/self/exe" || path === `/proc/${s.pid}/exe`
    ? s.proc.execfn
    : s.fs.readlink(s.pid, dirfd, path);
  if (typeof target === "number") return target;
  const bytes = encoder.encode(target).subarray(0, size);
  s.write(buf, bytes);
  return bytes.length;
}

export function readlink(s: Sys): number {
  return readlinkCommon(s, AT_FDCWD, s.path(0), s.u64(1), s.int(2));
}

export function readlinkat(s: Sys): number {
  return readlinkCommon(s, s.int(0), s.path(1), s.u64(2), s.int(3));
}

function targetArg(s: Sys, i: number): string {
  return new TextDecoder().decode(readCString(s.proc.space, s.u64(i), 4096));
}

export function symlink(s: Sys): number {
  return s.fs.symlink(s.pid, targetArg(s, 0), AT_FDCWD, s.path(1));
}

export function symlinkat(s: Sys): number {
  return s.fs.symlink(s.pid, targetArg(s, 0), s.int(1), s.path(2));
}

export function link(s: Sys): number {
  return s.fs.link(s.pid, AT_FDCWD, s.path(0), AT_FDCWD, s.path(1), false);
}

export function linkat(s: Sys): number {
  const flags = s.int(4);
  if (flags & ~(AT_SYMLINK_FOLLOW | AT_EMPTY_PATH)) return -E.EINVAL;
  return s.fs.link(s.pid, s.int(0), s.path(1), s.int(2), s.path(3), (flags & AT_SYMLINK_FOLLOW) !== 0);
}

// ---- attributes ----

export function chmod(s: Sys): number {
  return s.fs.chmod(s.pid, AT_FDCWD, s.path(0), s.uint(1), true);
}

export function fchmod(s: Sys): number {
  return s.fs.fchmod(s.pid, s.int(0), s.uint(1));
}

export function fchmodat(s: Sys): number {
  return s.fs.chmod(s.pid, s.int(0), s.path(1), s.uint(2), true);
}

/** chown family: everything belongs to root and stays so, but the name must exist and be writable. */
function chownCommon(s: Sys, dirfd: number, path: string, follow: boolean, flags: number): number {
  const st = s.fs.stat(s.pid, dirfd, path, follow, flags);
  if (typeof st === "number") return st;
  return s.fs.access(s.pid, dirfd, path, 2, follow, flags) === -E.EROFS ? -E.EROFS : 0;
}

export function chown(s: Sys): number {
  return chownCommon(s, AT_FDCWD, s.path(0), true, 0);
}

export function lchown(s: Sys): number {
  return chownCommon(s, AT_FDCWD, s.path(0), false, 0);
}

export function fchown(s: Sys): number {
  return chownCommon(s, s.int(0), "", true, AT_EMPTY_PATH);
}

export function fchownat(s: Sys): number {
  const flags = s.int(4);
  if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH)) return -E.EINVAL;
  return chownCommon(s, s.int(0), s.path(1), !(flags & AT_SYMLINK_NOFOLLOW), flags);
}

const UTIME_NOW = 0x3fffffff, UTIME_OMIT = 0x3ffffffe;

export function utimensat(s: Sys): number {
  const dirfd = s.int(0), pathPtr = s.u64(1), timesPtr = s.u64(2), flags = s.int(3);
  if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH)) return -E.EINVAL;
  const now = realtimeNs(s);
  let atime = now, mtime = now;
  if (timesPtr !== 0) {
    const t = new Bytes(s.read(timesPtr, 2 * TIMESPEC_SIZE));
    const pick = (off: number): number => {
      const nsec = t.i64(off + 8);
      if (nsec === UTIME_NOW) return now;
      if (nsec === UTIME_OMIT) return -1;
      if (nsec < 0 || nsec >= 1e9) return Number.NaN;
      return t.i64(off) * 1e9 + nsec;
    };
    atime = pick(0);
    mtime = pick(TIMESPEC_SIZE);
    if (Number.isNaN(atime) || Number.isNaN(mtime)) return -E.EINVAL;
  }
  if (pathPtr === 0) {
    if (dirfd === AT_FDCWD) return -E.EFAULT;
    return s.fs.utimens(s.pid, dirfd, "", atime, mtime, true, AT_EMPTY_PATH);
  }
  return s.fs.utimens(s.pid, dirfd, s.path(1), atime, mtime, !(flags & AT_SYMLINK_NOFOLLOW), flags);
}

// ---- readiness ----

/** The wake keys of the pipes among `fds` (what a poll or select that found nothing ready waits on). */
function pipeKeys(s: Sys, fds: number[]): string[] {
  const keys: string[] = [];
  for (const fd of fds) {
    const key = waitKey(s, fd);
    if (key && !keys.includes(key)) keys.push(key);
  }
  return keys;
}

/** Nothing ready: wait for a change of one of the pipes, or until `timeoutNs` (-1: forever) passes, then report 0. */
function waitReady(s: Sys, fds: number[], timeoutNs: number): number {
  if (timeoutNs === 0) return 0;
  const keys = pipeKeys(s, fds);
  if (keys.length === 0 && timeoutNs < 0) return s.block([]);
  return s.block(keys, { deadlineNs: timeoutNs < 0 ? 0 : s.deadlineAfter(timeoutNs), timeoutResult: 0 });
}

const POLLERR = 8, POLLHUP = 16;

/** poll/ppoll: pipes report data, room and hang-up as Linux does; files, devices and the console are always ready. */
function pollCommon(s: Sys, fds: number, nfds: number, timeoutNs: number): number {
  if (nfds > 1024) return -E.EINVAL;
  const b = new Bytes(s.read(fds, nfds * POLLFD.SIZE));
  let ready = 0;
  const watched: number[] = [];
  for (let i = 0; i < nfds; i++) {
    const off = i * POLLFD.SIZE;
    const fd = b.i32(off + POLLFD.fd);
    const events = b.u16(off + POLLFD.events);
    let revents = 0;
    if (fd >= 0) {
      const mask = pollMask(s, fd);
      if (mask & POLLNVAL) revents = POLLNVAL;
      else {
        const wanted = (events & (POLLIN | POLLRDNORM) ? POLLIN : 0) | (events & (POLLOUT | POLLWRNORM) ? POLLOUT : 0);
        const hit = mask & wanted;
        revents = (hit & POLLIN ? events & (POLLIN | POLLRDNORM) : 0) | (hit & POLLOUT ? events & (POLLOUT | POLLWRNORM) : 0) | (mask & (POLLERR | POLLHUP));
        watched.push(fd);
      }
    }
    b.setU16(off + POLLFD.revents, revents);
    if (revents) ready++;
  }
  if (ready === 0) {
    const waited = waitReady(s, watched, timeoutNs);
    if (waited !== 0) return waited;
  }
  s.write(fds, b.bytes);
  return ready;
}

/**
 * select/pselect6: a pipe is readable with data or without writers, writable with room or without readers; other
 * descriptors are always ready. A set bit for a closed descriptor is EBADF; nothing is ever exceptional.
 */
function selectCommon(s: Sys, nfds: number, readfds: number, writefds: number, exceptfds: number, timeoutNs: number): number {
  if (nfds < 0 || nfds > 1024) return -E.EINVAL;
  const bytes = Math.ceil(nfds / 64) * 8;
  let ready = 0;
  const sets: [number, Uint8Array, number][] = [];
  const watched: number[] = [];
  for (const [at, bits] of [[readfds, POLLIN | POLLHUP], [writefds, POLLOUT | POLLERR], [exceptfds, 0]] as const) {
    if (at === 0) continue;
    const set = s.read(at, bytes);
    const out = new Uint8Array(bytes);
    for (let fd = 0; fd < nfds; fd++) {
      if (!(set[fd >> 3] & (1 << (fd & 7)))) continue;
      const mask = pollMask(s, fd);
      if (mask & POLLNVAL) return -E.EBADF;
      watched.push(fd);
      if (mask & bits) {
        out[fd >> 3] |= 1 << (fd & 7);
        ready++;
      }
    }
    sets.push([at, out, bits]);
  }
  if (ready === 0) {
    const waited = waitReady(s, watched, timeoutNs);
    if (waited !== 0) return waited;
  }
  for (const [at, out] of sets) s.write(at, out);
  return ready;
}

/** A timeval (select) or timespec (the others) timeout in ns; -1 for a NULL pointer (wait forever). */
function timeoutArg(s: Sys, at: number, timeval: boolean): number {
  if (at === 0) return -1;
  const b = new Bytes(s.read(at, 16));
  const sec = b.i64(0), frac = b.i64(8);
  if (sec < 0 || frac < 0 || frac >= (timeval ? 1e6 : 1e9)) throw new GuestErrno(E.EINVAL);
  return sec * 1e9 + frac * (timeval ? 1000 : 1);
}

export function select(s: Sys): number {
  return selectCommon(s, s.int(0), s.u64(1), s.u64(2), s.u64(3), timeoutArg(s, s.u64(4), true));
}

export function pselect6(s: Sys): number {
  return selectCommon(s, s.int(0), s.u64(1), s.u64(2), s.u64(3), timeoutArg(s, s.u64(4), false));
}

/** flock: a single process never conflicts with itself, so any lock on a valid fd is granted. */
export function flock(s: Sys): number {
  const op = s.int(1) & ~4; // LOCK_NB
  if (op !== 1 && op !== 2 && op !== 8) return -E.EINVAL; // LOCK_SH, LOCK_EX, LOCK_UN
  return s.fs.file(s.pid, s.int(0)) ? 0 : -E.EBADF;
}

/** fallocate mode 0: make sure the file covers [offset, offset+len); the memory is reserved as it grows. */
export function fallocate(s: Sys): number {
  const fd = s.int(0), mode = s.int(1), offset = s.s64(2), len = s.s64(3);
  if (mode !== 0) return -E.EOPNOTSUPP;
  if (offset < 0 || len <= 0) return -E.EINVAL;
  const st = s.fs.fstat(s.pid, fd);
  if (typeof st === "number") return st;
  return offset + len > st.size ? s.fs.ftruncate(s.pid, fd, offset + len) : 0;
}

export function poll(s: Sys): number {
  const ms = s.int(2);
  return pollCommon(s, s.u64(0), s.uint(1), ms < 0 ? -1 : ms * 1e6);
}

export function ppoll(s: Sys): number {
  return pollCommon(s, s.u64(0), s.uint(1), timeoutArg(s, s.u64(2), false));
}

