// strace-like text for a syscall and its result, driven by the table row's argument kinds, in two steps: a capture
// (registers and the guest bytes the text shows) taken at the call, and the text rendered from it when it is viewed.
// Capturing only reads guest memory and never fails: an unreadable pointer is printed as an address.

import { AddressSpace, PageFault } from "../../memory/address-space.ts";
import { PAGE_MASK, PAGE_SIZE } from "../../memory/frames.ts";
import { PATH_MAX, S_IFMT } from "../fs/abi.ts";
import { E, errnoMessage, errnoName } from "../fs/errno.ts";
import { type EnumSet, type FlagSet, SA_FLAGS, signalName } from "./abi.ts";
import { ByteReader, ByteWriter, DecodeError } from "../../record/codec.ts";
import { GuestErrno, newSyscallFrame, setSyscallArg, type SyscallFrame } from "./context.ts";
import { type ArgSpec, BY_NUMBER, type StructName, type SyscallRow } from "./table.ts";
import {
  Bytes, decodeIovecs, IOVEC_SIZE, RLIMIT_SIZE, SIGACTION, STACK_T, STAT, STATX, SYSINFO, TIMESPEC_SIZE,
  UTSNAME_FIELD, UTSNAME_FIELDS, UTSNAME_SIZE,
} from "./structs.ts";

/** strace's default string limit (-s 32). */
export const STRING_LIMIT = 32;
/** Largest iovec array shown element by element. */
const IOVEC_SHOWN = 8;

export type Phase = "entry" | "exit";

/** Whether byte `c` stands for itself inside a quoted string. */
function plain(c: number): boolean {
  return c >= 0x20 && c < 0x7f && c !== 0x22 && c !== 0x5c;
}

/** A C-escaped, double-quoted string; `…` marks truncation at `limit` bytes, as strace prints it. */
export function quote(bytes: Uint8Array, limit = STRING_LIMIT): string {
  const shown = bytes.subarray(0, limit);
  const tail = '"' + (bytes.length > limit ? "..." : "");
  // Most strings (paths, text) need no escape: one conversion instead of a concatenation per byte.
  let i = 0;
  while (i < shown.length && plain(shown[i])) i++;
  if (i === shown.length) return '"' + String.fromCharCode.apply(null, shown as unknown as number[]) + tail;
  let out = '"' + String.fromCharCode.apply(null, shown.subarray(0, i) as unknown as number[]);
  for (; i < shown.length; i++) {
    const c = shown[i];
    switch (c) {
      case 0x09: out += "\\t"; break;
      case 0x0a: out += "\\n"; break;
      case 0x0b: out += "\\v"; break;
      case 0x0c: out += "\\f"; break;
      case 0x0d: out += "\\r"; break;
      case 0x22: out += '\\"'; break;
      case 0x5c: out += "\\\\"; break;
      default:
        if (c >= 0x20 && c < 0x7f) {
          out += String.fromCharCode(c);
        } else {
          const next = i + 1 < shown.length ? shown[i + 1] : 0;
          const digit = next >= 0x30 && next <= 0x37;
          out += "\\" + (digit ? c.toString(8).padStart(3, "0") : c.toString(8));
        }
    }
  }
  return out + tail;
}

function hex64(lo: number, hi: number): string {
  const h = hi >>> 0;
  return h === 0 ? "0x" + (lo >>> 0).toString(16) : "0x" + h.toString(16) + (lo >>> 0).toString(16).padStart(8, "0");
}

const hex = (v: number) => "0x" + v.toString(16);
const octal = (v: number) => "0" + v.toString(8).padStart(2, "0");

export function formatFlags(set: FlagSet, value: number): string {
  const parts: string[] = [];
  let rest = value >>> 0;
  if (set.field) {
    const field = rest & set.field.mask;
    parts.push(set.field.names[field] ?? hex(field));
    rest = (rest & ~set.field.mask) >>> 0;
  }
  for (const [bit, name] of set.bits) {
    if (((rest & bit) >>> 0) === bit >>> 0) {
      parts.push(name);
      rest = (rest & ~bit) >>> 0;
    }
  }
  if (rest !== 0) parts.push(hex(rest));
  return parts.length > 0 ? parts.join("|") : set.zero ?? "0";
}

function formatEnum(set: EnumSet, value: number): string {
  return set[value] ?? String(value);
}

const FILE_TYPES: Readonly<Record<number, string>> = {
  0o140000: "S_IFSOCK", 0o120000: "S_IFLNK", 0o100000: "S_IFREG", 0o60000: "S_IFBLK", 0o40000: "S_IFDIR",
  0o20000: "S_IFCHR", 0o10000: "S_IFIFO",
};

function formatMode(mode: number): string {
  const type = FILE_TYPES[mode & S_IFMT];
  const perms = "0" + (mode & 0o7777).toString(8).padStart(3, "0");
  return type ? `${type}|${perms}` : perms;
}

function formatSigset(lo: number, hi: number): string {
  const names = (l: number, h: number) => {
    const out: string[] = [];
    for (let sig = 1; sig <= 64; sig++) {
      const bit = sig <= 32 ? (l >>> (sig - 1)) & 1 : (h >>> (sig - 33)) & 1;
      if (bit) out.push(signalName(sig).replace(/^SIG/, ""));
    }
    return out;
  };
  const set = names(lo, hi);
  if (set.length > 32) return `~[${names(~lo, ~hi).join(" ")}]`;
  return `[${set.join(" ")}]`;
}

function formatLimit(v: number): string {
  return v >= 2 ** 64 - 1 ? "RLIM64_INFINITY" : String(v);
}

/**
 * Each decoded struct's size and the byte ranges its text shows (offset, length pairs). The whole struct must be
 * readable for the text to show it, but only these ranges are captured: a stat capture is 12 bytes, not 144.
 */
const STRUCTS: Readonly<Record<StructName, { size: number; shown: readonly number[] }>> = {
  stat: { size: STAT.SIZE, shown: [STAT.mode, 4, STAT.size, 8] },
  statx: { size: STATX.SIZE, shown: [STATX.mask, 4, STATX.mode, 2, STATX.size, 8] },
  timespec: { size: TIMESPEC_SIZE, shown: [0, TIMESPEC_SIZE] },
  timeval: { size: TIMESPEC_SIZE, shown: [0, TIMESPEC_SIZE] },
  utsname: { size: UTSNAME_SIZE, shown: [0, 2 * UTSNAME_FIELD] },
  sigaction: { size: SIGACTION.SIZE, shown: [0, SIGACTION.SIZE] },
  sigset: { size: 8, shown: [0, 8] },
  stack_t: { size: STACK_T.SIZE, shown: [0, STACK_T.SIZE] },
  rlimit: { size: RLIMIT_SIZE, shown: [0, RLIMIT_SIZE] },
  sysinfo: { size: SYSINFO.SIZE, shown: [SYSINFO.uptime, 8, SYSINFO.totalram, 16, SYSINFO.procs, 2, SYSINFO.memUnit, 4] },
};

/** Struct text from the struct's bytes (only its shown ranges need be right). */
export function formatStruct(bytes: Uint8Array, name: StructName): string {
  const b = new Bytes(bytes);
  switch (name) {
    case "stat":
      return `{st_mode=${formatMode(b.u32(STAT.mode))}, st_size=${b.i64(STAT.size)}, ...}`;
    case "statx":
      return `{stx_mask=${hex(b.u32(STATX.mask))}, stx_mode=${formatMode(b.u16(STATX.mode))}, stx_size=${b.u64(STATX.size)}, ...}`;
    case "timespec":
      return `{tv_sec=${b.i64(0)}, tv_nsec=${b.i64(8)}}`;
    case "timeval":
      return `{tv_sec=${b.i64(0)}, tv_usec=${b.i64(8)}}`;
    case "utsname": {
      const field = (i: number) => {
        const raw = bytes.subarray(i * UTSNAME_FIELD, (i + 1) * UTSNAME_FIELD);
        const nul = raw.indexOf(0);
        return quote(raw.subarray(0, nul < 0 ? raw.length : nul), UTSNAME_FIELD);
      };
      return `{${UTSNAME_FIELDS.slice(0, 2).map((f, i) => `${f}=${field(i)}`).join(", ")}, ...}`;
    }
    case "sigaction": {
      const handler = b.u64(SIGACTION.handler);
      const shown = handler === 0 ? "SIG_DFL" : handler === 1 ? "SIG_IGN" : hex(handler);
      const mask = formatSigset(b.u32(SIGACTION.mask), b.u32(SIGACTION.mask + 4));
      return `{sa_handler=${shown}, sa_mask=${mask}, sa_flags=${formatFlags(SA_FLAGS, b.u32(SIGACTION.flags))}, sa_restorer=${hex(b.u64(SIGACTION.restorer))}}`;
    }
    case "sigset":
      return formatSigset(b.u32(0), b.u32(4));
    case "stack_t":
      return `{ss_sp=${hex(b.u64(STACK_T.sp))}, ss_flags=${b.u32(STACK_T.flags)}, ss_size=${b.u64(STACK_T.size)}}`;
    case "rlimit":
      return `{rlim_cur=${formatLimit(b.u64(0))}, rlim_max=${formatLimit(b.u64(8))}}`;
    case "sysinfo":
      return `{uptime=${b.i64(SYSINFO.uptime)}, totalram=${b.u64(SYSINFO.totalram)}, freeram=${b.u64(SYSINFO.freeram)}, procs=${b.u16(SYSINFO.procs)}, mem_unit=${b.u32(SYSINFO.memUnit)}, ...}`;
  }
}

/** Bytes shown of iovec element `v` when `budget` bytes are left to show (an out-iovec shows only what was read). */
const iovecShown = (len: number, budget: number) => Math.min(len, budget, STRING_LIMIT + 1);

/** Copies `len` guest bytes at `addr` into `w`; throws PageFault if any is unreadable (`w` then holds a part). */
function copyGuest(space: AddressSpace, addr: number, len: number, w: ByteWriter): void {
  const bytes = space.frames.bytes;
  for (let done = 0; done < len;) {
    const phys = space.translate(addr + done, 0);
    const chunk = Math.min(len - done, PAGE_SIZE - ((addr + done) & PAGE_MASK));
    w.copy(bytes, phys, chunk);
    done += chunk;
  }
}

/** Copies the NUL-terminated string at `addr` (without the NUL) into `w`, as readCString reads it. */
function copyCString(space: AddressSpace, addr: number, max: number, w: ByteWriter): void {
  const bytes = space.frames.bytes;
  for (let total = 0; total < max;) {
    const phys = space.translate(addr + total, 0);
    const chunk = Math.min(PAGE_SIZE - ((addr + total) & PAGE_MASK), max - total);
    let nul = 0;
    while (nul < chunk && bytes[phys + nul] !== 0) nul++;
    w.copy(bytes, phys, nul);
    if (nul < chunk) return;
    total += chunk;
  }
  throw new GuestErrno(E.ENAMETOOLONG);
}

/** The iovec array (up to IOVEC_SHOWN entries) followed by the shown bytes of each non-NULL element. */
function readIovec(space: AddressSpace, addr: number, count: number, out: boolean, result: number, w: ByteWriter): void {
  const array = space.read(addr, Math.min(count, IOVEC_SHOWN) * IOVEC_SIZE);
  w.raw(array);
  let budget = out ? result : Infinity;
  for (const v of decodeIovecs(array)) {
    const n = iovecShown(v.len, budget);
    budget -= Math.min(v.len, budget);
    if (v.base !== 0) copyGuest(space, v.base, n, w);
  }
}

function formatIovec(bytes: Uint8Array, count: number, out: boolean, result: number): string {
  const arrayBytes = Math.min(count, IOVEC_SHOWN) * IOVEC_SIZE;
  let at = arrayBytes;
  let budget = out ? result : Infinity;
  const items = decodeIovecs(bytes.subarray(0, arrayBytes)).map((v) => {
    const n = iovecShown(v.len, budget);
    budget -= Math.min(v.len, budget);
    if (v.base === 0) return `{iov_base=NULL, iov_len=${v.len}}`;
    at += n;
    return `{iov_base=${quote(bytes.subarray(at - n, at))}, iov_len=${v.len}}`;
  });
  return `[${items.join(", ")}${count > IOVEC_SHOWN ? ", ..." : ""}]`;
}

function isError(result: number): boolean {
  return result < 0 && result >= -4095;
}

/** Whether argument `i` is printed after a successful return (out-buffers and out-structs show their contents then). */
function done(frame: SyscallFrame, phase: Phase): boolean {
  return phase === "exit" && !isError(frame.result);
}

/**
 * Copies the guest bytes argument `i`'s text shows into `w`; false when the text shows none. Throws PageFault or
 * GuestErrno when they are unreadable (the text then shows the address).
 */
function readArgMemory(space: AddressSpace, frame: SyscallFrame, spec: ArgSpec, i: number, phase: Phase, w: ByteWriter): boolean {
  const u64 = frame.args[i];
  const lenArg = spec.len !== undefined ? frame.args[spec.len] : 0;
  switch (spec.kind) {
    case "path":
      if (u64 === 0) return false;
      copyCString(space, u64, PATH_MAX, w);
      return true;
    case "inbuf":
      copyGuest(space, u64, Math.min(lenArg, STRING_LIMIT + 1), w);
      return true;
    case "outbuf":
      if (!done(frame, phase) || u64 === 0) return false;
      copyGuest(space, u64, Math.min(lenArg, frame.result, STRING_LIMIT + 1), w);
      return true;
    case "outstr":
      if (!done(frame, phase)) return false;
      copyCString(space, u64, PATH_MAX, w);
      return true;
    case "struct": {
      if (u64 === 0 || (spec.out && !done(frame, phase))) return false;
      const { size, shown } = STRUCTS[spec.struct!];
      // The text needs the whole struct readable (it spans at most two pages), then shows only these ranges.
      const phys = space.translate(u64, 0);
      if ((u64 & PAGE_MASK) + size <= PAGE_SIZE) {
        for (let k = 0; k < shown.length; k += 2) w.copy(space.frames.bytes, phys + shown[k], shown[k + 1]);
      } else {
        space.translate(u64 + size - 1, 0);
        for (let k = 0; k < shown.length; k += 2) copyGuest(space, u64 + shown[k], shown[k + 1], w);
      }
      return true;
    }
    case "iovec":
      if (spec.out && !done(frame, phase)) return false;
      readIovec(space, u64, frame.argsLo[spec.len!], spec.out ?? false, frame.result, w);
      return true;
    default:
      return false;
  }
}

/** The struct's bytes rebuilt from its captured shown ranges (the rest zero: the text does not show it). */
function structFromShown(captured: Uint8Array, name: StructName): Uint8Array {
  const { size, shown } = STRUCTS[name];
  const out = new Uint8Array(size);
  for (let k = 0, at = 0; k < shown.length; k += 2) {
    out.set(captured.subarray(at, at + shown[k + 1]), shown[k]);
    at += shown[k + 1];
  }
  return out;
}

/** Argument `i`'s text; `memory` is what readArgMemory captured: bytes, null if unreadable, undefined if none was read. */
function formatArg(frame: SyscallFrame, spec: ArgSpec, i: number, memory: Uint8Array | null | undefined): string {
  const lo = frame.argsLo[i], hi = frame.argsHi[i], u64 = frame.args[i];
  const pointer = u64 === 0 ? "NULL" : hex64(lo, hi);
  if (memory === null) return pointer;
  switch (spec.kind) {
    case "int": case "fd": return String(lo);
    case "uint": return String(lo >>> 0);
    case "long": return String(hi * 4294967296 + (lo >>> 0));
    case "size": return String(u64);
    case "hex": return u64 === 0 ? "0" : hex64(lo, hi);
    case "oct": return octal(lo >>> 0);
    case "dirfd": return lo === -100 ? "AT_FDCWD" : String(lo);
    case "ptr": return pointer;
    case "path": return memory ? quote(memory, PATH_MAX) : "NULL";
    case "outstr": return memory ? quote(memory, PATH_MAX) : pointer;
    case "inbuf": case "outbuf": return memory ? quote(memory) : pointer;
    case "flags": return formatFlags(spec.set as FlagSet, lo);
    case "enum": return formatEnum(spec.set as EnumSet, lo);
    case "signal": return signalName(lo);
    case "struct":
      if (u64 === 0) return "NULL";
      return memory ? formatStruct(structFromShown(memory, spec.struct!), spec.struct!) : pointer;
    case "iovec":
      return memory ? formatIovec(memory, frame.argsLo[spec.len!], spec.out ?? false, frame.result) : pointer;
  }
}

function shown(spec: ArgSpec, frame: SyscallFrame): boolean {
  if (!spec.when) return true;
  const v = frame.argsLo[spec.when.arg];
  return (spec.when.mask !== undefined && (v & spec.when.mask) !== 0) || (spec.when.values?.includes(v) ?? false);
}

/** The result as strace prints it after `= `: `6`, `0x7f…`, `-1 ENOENT (No such file or directory)`, `?`. */
export function formatResult(row: SyscallRow | undefined, frame: SyscallFrame): string {
  const ret = row?.ret ?? "int";
  if (ret === "none" || frame.exited) return "?";
  const r = frame.result;
  if (isError(r)) return `-1 ${errnoName(-r)} (${errnoMessage(-r)})`;
  switch (ret) {
    case "ptr": case "hex": return hex(r);
    case "oct": return octal(r);
    default: return String(r);
  }
}

// ---- capture and render ------------------------------------------------------------------------------------------
// A syscall event's text is not built when it happens: the recorder stores a capture (the number, the argument
// registers, the result and the few guest bytes the text shows, read now because memory changes later), and the
// text is rendered from it only when somebody looks (the Events view, --trace, export, replay's messages).

/** First byte of a syscall capture: it names the renderer (other events may get capture formats of their own). */
export const SYSCALL_CAPTURE = 1;

/** Blocked: captured at the call's entry (it blocked; the text shows no out-buffers). */
const enum CaptureFlag { Exited = 1, Blocked = 2, FloatResult = 4 }

/** Arguments a row's text reads (its own, and those naming a length, count or condition), or all six without a row. */
const CAPTURED_ARGS: number[] = [];
function capturedArgs(row: SyscallRow | undefined, nr: number): number {
  if (!row) return 6;
  let n = CAPTURED_ARGS[nr];
  if (n === undefined) {
    n = row.args.length;
    for (const spec of row.args) n = Math.max(n, (spec.len ?? -1) + 1, (spec.when?.arg ?? -1) + 1);
    CAPTURED_ARGS[nr] = n;
  }
  return n;
}

/**
 * Writes the capture of a syscall event into `w` (appended): `phase` "entry" for a call that blocked (its result is
 * then `<blocked>`), "exit" after it returned. Only reads guest memory, never fails.
 */
export function captureSyscall(row: SyscallRow | undefined, space: AddressSpace, frame: SyscallFrame, phase: Phase, w: ByteWriter): void {
  const r = frame.result;
  const floatResult = !(Number.isInteger(r) && Math.abs(r) < 2 ** 51);
  const flags = (phase === "entry" ? CaptureFlag.Blocked : 0) | (frame.exited ? CaptureFlag.Exited : 0) |
    (floatResult ? CaptureFlag.FloatResult : 0);
  w.byte(SYSCALL_CAPTURE);
  w.uint(frame.nr);
  w.byte(flags);
  if (floatResult) w.f64(r);
  else w.int(r);
  if (frame.exited) w.uint(frame.exitStatus);
  const n = capturedArgs(row, frame.nr);
  for (let i = 0; i < n; i++) {
    w.uint(frame.argsLo[i] >>> 0);
    w.uint(frame.argsHi[i] >>> 0);
  }
  if (!row) return;
  // Per shown argument: 0 when its text reads no memory, 1 when the memory is unreadable, else 2 + length and bytes.
  const specs = row.args;
  for (let i = 0; i < specs.length; i++) {
    if (!shown(specs[i], frame)) continue;
    const mark = w.length;
    w.byte(0);
    const start = w.length;
    let read: boolean;
    try {
      read = readArgMemory(space, frame, specs[i], i, phase, w);
    } catch (error) {
      if (!(error instanceof PageFault || error instanceof GuestErrno)) throw error;
      w.length = mark;
      w.byte(1);
      continue;
    }
    if (!read) continue;
    // The length goes before the bytes: in the byte reserved, or moved up when it takes more.
    const len = w.length - start;
    if (len + 2 < 0x80) w.setByte(mark, len + 2);
    else {
      const bytes = w.finish().slice(start);
      w.length = mark;
      w.uint(len + 2);
      w.raw(bytes);
    }
  }
}

/** The frame a capture is rendered into (rendering is synchronous, so one suffices). */
const renderFrame = newSyscallFrame();

/** A capture's text: the argument list (without the name) and the result, exactly as they were printed at the call. */
export function renderSyscall(capture: Uint8Array): { args: string; result: string } {
  const r = new ByteReader(capture);
  if (r.uint() !== SYSCALL_CAPTURE) throw new DecodeError("not a syscall capture");
  const f = renderFrame;
  f.nr = r.uint();
  const flags = r.uint();
  f.result = flags & CaptureFlag.FloatResult ? r.f64() : r.int();
  f.exited = (flags & CaptureFlag.Exited) !== 0;
  f.exitStatus = f.exited ? r.uint() : -1;
  const row = BY_NUMBER[f.nr];
  const n = capturedArgs(row, f.nr);
  for (let i = 0; i < 6; i++) {
    const lo = i < n ? r.uint() : 0;
    const hi = i < n ? r.uint() : 0;
    setSyscallArg(f, i, lo | 0, hi | 0);
  }
  let args: string;
  if (!row) args = [0, 1, 2, 3, 4, 5].map((i) => hex64(f.argsLo[i], f.argsHi[i])).join(", ");
  else {
    args = "";
    let first = true;
    for (let i = 0; i < row.args.length; i++) {
      if (!shown(row.args[i], f)) continue;
      const mark = r.uint();
      const text = formatArg(f, row.args[i], i, mark === 0 ? undefined : mark === 1 ? null : r.raw(mark - 2));
      args = first ? text : args + ", " + text;
      first = false;
    }
  }
  if (!r.done) throw new DecodeError("syscall capture has trailing bytes");
  const result = flags & CaptureFlag.Blocked ? "<blocked>" : f.exited ? `exit ${f.exitStatus}` : formatResult(row, f);
  return { args, result };
}
