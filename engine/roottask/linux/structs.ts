// Byte layouts of the Linux x86-64 structs the personality reads and writes (stat, statx, timespec, iovec …).
// One offset table per struct, used by both the handlers (encode) and the trace formatter (decode).

import type { StatData } from "../fs/tree.ts";

const TWO32 = 4294967296;

/** Little-endian field access on a byte buffer, with 64-bit values as doubles (exact below 2^53). */
export class Bytes {
  readonly view: DataView;
  constructor(readonly bytes: Uint8Array) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
  static alloc(size: number): Bytes {
    return new Bytes(new Uint8Array(size));
  }
  u16(off: number): number { return this.view.getUint16(off, true); }
  u32(off: number): number { return this.view.getUint32(off, true); }
  i32(off: number): number { return this.view.getInt32(off, true); }
  u64(off: number): number { return this.view.getUint32(off, true) + this.view.getUint32(off + 4, true) * TWO32; }
  i64(off: number): number { return this.view.getUint32(off, true) + this.view.getInt32(off + 4, true) * TWO32; }
  setU8(off: number, v: number): void { this.view.setUint8(off, v); }
  setU16(off: number, v: number): void { this.view.setUint16(off, v, true); }
  setU32(off: number, v: number): void { this.view.setUint32(off, v >>> 0, true); }
  /** Writes a signed or unsigned 64-bit value (negative numbers as two's complement). */
  setU64(off: number, v: number): void {
    const hi = Math.floor(v / TWO32);
    this.view.setUint32(off, v - hi * TWO32, true);
    this.view.setInt32(off + 4, hi | 0, true);
  }
  setString(off: number, text: string, max: number): void {
    this.bytes.set(new TextEncoder().encode(text).subarray(0, max - 1), off);
  }
}

const NS = 1e9;

/** struct stat (asm/stat.h, x86-64): 144 bytes. */
export const STAT = {
  SIZE: 144, dev: 0, ino: 8, nlink: 16, mode: 24, uid: 28, gid: 32, rdev: 40, size: 48, blksize: 56, blocks: 64,
  atime: 72, mtime: 88, ctime: 104,
} as const;

function setTime(b: Bytes, off: number, ns: number): void {
  b.setU64(off, Math.floor(ns / NS));
  b.setU64(off + 8, ns % NS);
}

export function encodeStat(st: StatData): Uint8Array {
  const b = Bytes.alloc(STAT.SIZE);
  b.setU64(STAT.dev, st.dev);
  b.setU64(STAT.ino, st.ino);
  b.setU64(STAT.nlink, st.nlink);
  b.setU32(STAT.mode, st.mode);
  b.setU32(STAT.uid, st.uid);
  b.setU32(STAT.gid, st.gid);
  b.setU64(STAT.rdev, st.rdev);
  b.setU64(STAT.size, st.size);
  b.setU64(STAT.blksize, st.blksize);
  b.setU64(STAT.blocks, st.blocks);
  setTime(b, STAT.atime, st.atimeNs);
  setTime(b, STAT.mtime, st.mtimeNs);
  setTime(b, STAT.ctime, st.ctimeNs);
  return b.bytes;
}

/** struct statx (linux/stat.h): 256 bytes; timestamps are {i64 sec, u32 nsec, i32 pad}. */
export const STATX = {
  SIZE: 256, mask: 0, blksize: 4, attributes: 8, nlink: 16, uid: 20, gid: 24, mode: 28, ino: 32, size: 40,
  blocks: 48, attributesMask: 56, atime: 64, btime: 80, ctime: 96, mtime: 112, rdevMajor: 128, rdevMinor: 132,
  devMajor: 136, devMinor: 140,
} as const;

export function encodeStatx(st: StatData, mask: number): Uint8Array {
  const b = Bytes.alloc(STATX.SIZE);
  const stamp = (off: number, ns: number) => {
    b.setU64(off, Math.floor(ns / NS));
    b.setU32(off + 8, ns % NS);
  };
  b.setU32(STATX.mask, mask);
  b.setU32(STATX.blksize, st.blksize);
  b.setU32(STATX.nlink, st.nlink);
  b.setU32(STATX.uid, st.uid);
  b.setU32(STATX.gid, st.gid);
  b.setU16(STATX.mode, st.mode);
  b.setU64(STATX.ino, st.ino);
  b.setU64(STATX.size, st.size);
  b.setU64(STATX.blocks, st.blocks);
  stamp(STATX.atime, st.atimeNs);
  stamp(STATX.ctime, st.ctimeNs);
  stamp(STATX.mtime, st.mtimeNs);
  b.setU32(STATX.rdevMajor, st.rdev >>> 8);
  b.setU32(STATX.rdevMinor, st.rdev & 0xff);
  b.setU32(STATX.devMajor, st.dev >>> 8);
  b.setU32(STATX.devMinor, st.dev & 0xff);
  return b.bytes;
}

/** struct timespec / struct timeval: two 64-bit fields (seconds, then ns or µs). */
export const TIMESPEC_SIZE = 16;

export function encodeTimespec(ns: number): Uint8Array {
  const b = Bytes.alloc(TIMESPEC_SIZE);
  setTime(b, 0, ns);
  return b.bytes;
}

export function encodeTimeval(ns: number): Uint8Array {
  const b = Bytes.alloc(TIMESPEC_SIZE);
  b.setU64(0, Math.floor(ns / NS));
  b.setU64(8, Math.floor((ns % NS) / 1000));
  return b.bytes;
}

export function decodeTimespec(bytes: Uint8Array): { sec: number; nsec: number } {
  const b = new Bytes(bytes);
  return { sec: b.i64(0), nsec: b.i64(8) };
}

/** struct utsname: six 65-byte NUL-terminated fields. */
export const UTSNAME_FIELD = 65;
export const UTSNAME_FIELDS = ["sysname", "nodename", "release", "version", "machine", "domainname"] as const;
export const UTSNAME_SIZE = UTSNAME_FIELD * UTSNAME_FIELDS.length;

export function encodeUtsname(values: Record<(typeof UTSNAME_FIELDS)[number], string>): Uint8Array {
  const b = Bytes.alloc(UTSNAME_SIZE);
  UTSNAME_FIELDS.forEach((field, i) => b.setString(i * UTSNAME_FIELD, values[field], UTSNAME_FIELD));
  return b.bytes;
}

/** struct iovec: {void *base; size_t len}, 16 bytes. */
export const IOVEC_SIZE = 16;
export const IOV_MAX = 1024;

export function decodeIovecs(bytes: Uint8Array): { base: number; len: number }[] {
  const b = new Bytes(bytes);
  const out = [];
  for (let off = 0; off < bytes.length; off += IOVEC_SIZE) out.push({ base: b.u64(off), len: b.u64(off + 8) });
  return out;
}

/** struct kernel_sigaction (x86-64): handler, flags, restorer, mask — 8 bytes each. */
export const SIGACTION = { SIZE: 32, handler: 0, flags: 8, restorer: 16, mask: 24 } as const;
/** stack_t: ss_sp, ss_flags (int + padding), ss_size. */
export const STACK_T = { SIZE: 24, sp: 0, flags: 8, size: 16 } as const;
/** struct rlimit: rlim_cur, rlim_max. */
export const RLIMIT_SIZE = 16;
/** struct winsize: ws_row, ws_col, ws_xpixel, ws_ypixel (u16 each). */
export const WINSIZE_SIZE = 8;
/** struct termios as the TCGETS ioctl sees it: 4 flag words, c_line, c_cc[19]. */
export const TERMIOS_SIZE = 36;
/** struct pollfd: int fd, short events, short revents. */
export const POLLFD = { SIZE: 8, fd: 0, events: 4, revents: 6 } as const;
/** struct tms: four clock_t. */
export const TMS_SIZE = 32;

/** struct sysinfo (x86-64): 112 bytes. */
export const SYSINFO = {
  SIZE: 112, uptime: 0, loads: 8, totalram: 32, freeram: 40, sharedram: 48, bufferram: 56, totalswap: 64,
  freeswap: 72, procs: 80, totalhigh: 88, freehigh: 96, memUnit: 104,
} as const;

/** struct linux_dirent64: d_ino, d_off, d_reclen (u16), d_type (u8), NUL-terminated name, 8-byte aligned. */
export const DIRENT64_HEADER = 19;

export function dirent64Size(nameBytes: number): number {
  return (DIRENT64_HEADER + nameBytes + 1 + 7) & ~7;
}

export function encodeDirent64(out: Bytes, off: number, ino: number, next: number, type: number, name: Uint8Array): number {
  const reclen = dirent64Size(name.length);
  out.setU64(off, ino);
  out.setU64(off + 8, next);
  out.setU16(off + 16, reclen);
  out.setU8(off + 18, type);
  out.bytes.set(name, off + DIRENT64_HEADER);
  out.setU8(off + DIRENT64_HEADER + name.length, 0);
  return reclen;
}
