// strace-like text for a syscall and its result, driven by the table row's argument kinds.
// Formatting only reads guest memory and never fails: an unreadable pointer is printed as an address.

import { AddressSpace, PageFault } from "../../memory/address-space.ts";
import { PATH_MAX, S_IFMT } from "../fs/abi.ts";
import { errnoMessage, errnoName } from "../fs/errno.ts";
import { type EnumSet, type FlagSet, SA_FLAGS, signalName } from "./abi.ts";
import { GuestErrno, readCString, type SyscallFrame } from "./context.ts";
import type { ArgSpec, StructName, SyscallRow } from "./table.ts";
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

/** Decoded struct text; throws PageFault when the memory is unreadable (the caller prints the address). */
function formatStruct(space: AddressSpace, addr: number, name: StructName): string {
  const read = (size: number) => new Bytes(space.read(addr, size));
  switch (name) {
    case "stat": {
      const b = read(STAT.SIZE);
      return `{st_mode=${formatMode(b.u32(STAT.mode))}, st_size=${b.i64(STAT.size)}, ...}`;
    }
    case "statx": {
      const b = read(STATX.SIZE);
      return `{stx_mask=${hex(b.u32(STATX.mask))}, stx_mode=${formatMode(b.u16(STATX.mode))}, stx_size=${b.u64(STATX.size)}, ...}`;
    }
    case "timespec": {
      const b = read(TIMESPEC_SIZE);
      return `{tv_sec=${b.i64(0)}, tv_nsec=${b.i64(8)}}`;
    }
    case "timeval": {
      const b = read(TIMESPEC_SIZE);
      return `{tv_sec=${b.i64(0)}, tv_usec=${b.i64(8)}}`;
    }
    case "utsname": {
      const b = read(UTSNAME_SIZE).bytes;
      const field = (i: number) => {
        const raw = b.subarray(i * UTSNAME_FIELD, (i + 1) * UTSNAME_FIELD);
        const nul = raw.indexOf(0);
        return quote(raw.subarray(0, nul < 0 ? raw.length : nul), UTSNAME_FIELD);
      };
      return `{${UTSNAME_FIELDS.slice(0, 2).map((f, i) => `${f}=${field(i)}`).join(", ")}, ...}`;
    }
    case "sigaction": {
      const b = read(SIGACTION.SIZE);
      const handler = b.u64(SIGACTION.handler);
      const shown = handler === 0 ? "SIG_DFL" : handler === 1 ? "SIG_IGN" : hex(handler);
      const mask = formatSigset(b.u32(SIGACTION.mask), b.u32(SIGACTION.mask + 4));
      return `{sa_handler=${shown}, sa_mask=${mask}, sa_flags=${formatFlags(SA_FLAGS, b.u32(SIGACTION.flags))}, sa_restorer=${hex(b.u64(SIGACTION.restorer))}}`;
    }
    case "sigset": {
      const b = read(8);
      return formatSigset(b.u32(0), b.u32(4));
    }
    case "stack_t": {
      const b = read(STACK_T.SIZE);
      return `{ss_sp=${hex(b.u64(STACK_T.sp))}, ss_flags=${b.u32(STACK_T.flags)}, ss_size=${b.u64(STACK_T.size)}}`;
    }
    case "rlimit": {
      const b = read(RLIMIT_SIZE);
      return `{rlim_cur=${formatLimit(b.u64(0))}, rlim_max=${formatLimit(b.u64(8))}}`;
    }
    case "sysinfo": {
      const b = read(SYSINFO.SIZE);
      return `{uptime=${b.i64(SYSINFO.uptime)}, totalram=${b.u64(SYSINFO.totalram)}, freeram=${b.u64(SYSINFO.freeram)}, procs=${b.u16(SYSINFO.procs)}, mem_unit=${b.u32(SYSINFO.memUnit)}, ...}`;
    }
  }
}

function formatIovec(space: AddressSpace, addr: number, count: number, out: boolean, result: number): string {
  const list = decodeIovecs(space.read(addr, Math.min(count, IOVEC_SHOWN) * IOVEC_SIZE));
  let budget = out ? result : Infinity;
  const items = list.map((v) => {
    const n = Math.min(v.len, budget, STRING_LIMIT + 1);
    budget -= Math.min(v.len, budget);
    return `{iov_base=${v.base === 0 ? "NULL" : quote(space.read(v.base, n))}, iov_len=${v.len}}`;
  });
  return `[${items.join(", ")}${count > IOVEC_SHOWN ? ", ..." : ""}]`;
}

function formatArg(space: AddressSpace, frame: SyscallFrame, spec: ArgSpec, i: number, phase: Phase): string {
  const lo = frame.argsLo[i], hi = frame.argsHi[i], u64 = frame.args[i];
  const pointer = u64 === 0 ? "NULL" : hex64(lo, hi);
  const done = phase === "exit" && !isError(frame.result);
  const lenArg = spec.len !== undefined ? frame.args[spec.len] : 0;
  try {
    switch (spec.kind) {
      case "int": case "fd": return String(lo);
      case "uint": return String(lo >>> 0);
      case "long": return String(hi * 4294967296 + (lo >>> 0));
      case "size": return String(u64);
      case "hex": return u64 === 0 ? "0" : hex64(lo, hi);
      case "oct": return octal(lo >>> 0);
      case "dirfd": return lo === -100 ? "AT_FDCWD" : String(lo);
      case "ptr": return pointer;
      case "path": return u64 === 0 ? "NULL" : quote(readCString(space, u64, PATH_MAX), PATH_MAX);
      case "inbuf": return quote(space.read(u64, Math.min(lenArg, STRING_LIMIT + 1)));
      case "outbuf":
        if (!done || u64 === 0) return pointer;
        return quote(space.read(u64, Math.min(lenArg, frame.result, STRING_LIMIT + 1)));
      case "outstr": return done ? quote(readCString(space, u64, PATH_MAX), PATH_MAX) : pointer;
      case "flags": return formatFlags(spec.set as FlagSet, lo);
      case "enum": return formatEnum(spec.set as EnumSet, lo);
      case "signal": return signalName(lo);
      case "struct":
        if (u64 === 0) return "NULL";
        return spec.out && !done ? pointer : formatStruct(space, u64, spec.struct!);
      case "iovec":
        if (spec.out && !done) return pointer;
        return formatIovec(space, u64, frame.argsLo[spec.len!], spec.out ?? false, frame.result);
    }
  } catch (error) {
    if (error instanceof PageFault || error instanceof GuestErrno) return pointer;
    throw error;
  }
}

function shown(spec: ArgSpec, frame: SyscallFrame): boolean {
  if (!spec.when) return true;
  const v = frame.argsLo[spec.when.arg];
  return (spec.when.mask !== undefined && (v & spec.when.mask) !== 0) || (spec.when.values?.includes(v) ?? false);
}

function isError(result: number): boolean {
  return result < 0 && result >= -4095;
}

/** The argument list of a call (without the name), e.g. `1, "hello\n", 6`. Unknown syscalls show raw hex. */
export function formatArgs(row: SyscallRow | undefined, space: AddressSpace, frame: SyscallFrame, phase: Phase): string {
  if (!row) return [0, 1, 2, 3, 4, 5].map((i) => hex64(frame.argsLo[i], frame.argsHi[i])).join(", ");
  // A loop, not map/filter/join: this runs for every traced syscall.
  let out = "";
  let first = true;
  const specs = row.args;
  for (let i = 0; i < specs.length; i++) {
    if (!shown(specs[i], frame)) continue;
    const text = formatArg(space, frame, specs[i], i, phase);
    out = first ? text : out + ", " + text;
    first = false;
  }
  return out;
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
