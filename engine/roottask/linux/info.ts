// System-information syscalls: uname, sysinfo, getrandom, getcpu — fixed identity, seeded randomness.
// Nothing here reads the host: the guest sees the same machine on every run.

import { E } from "../fs/errno.ts";
import type { Sys } from "./context.ts";
import { Bytes, encodeUtsname, SYSINFO } from "./structs.ts";

export const UTSNAME = {
  sysname: "Linux",
  nodename: "hedron",
  release: "6.1.0-hedron-lab",
  version: "#1 SMP PREEMPT_DYNAMIC Hedron Lab",
  machine: "x86_64",
  domainname: "(none)",
};

export function uname(s: Sys): number {
  s.write(s.u64(0), encodeUtsname(UTSNAME));
  return 0;
}

export function sysinfo(s: Sys): number {
  const frames = s.proc.space.frames;
  const b = Bytes.alloc(SYSINFO.SIZE);
  b.setU64(SYSINFO.uptime, Math.floor(s.host.nowNs() / 1e9));
  b.setU64(SYSINFO.totalram, frames.frameCount * 4096);
  b.setU64(SYSINFO.freeram, (frames.frameCount - 1 - frames.used) * 4096);
  b.setU16(SYSINFO.procs, s.fs.processes.size);
  b.setU32(SYSINFO.memUnit, 1);
  s.write(s.u64(0), b.bytes);
  return 0;
}

const GRND_ALL = 7;
/** getrandom returns at most this much per call (Linux: MAX_RW_COUNT for urandom, capped here at 32 MiB). */
const GETRANDOM_MAX = 1 << 25;

export function getrandom(s: Sys): number {
  if (s.uint(2) & ~GRND_ALL) return -E.EINVAL;
  const bytes = new Uint8Array(Math.min(s.u64(1), GETRANDOM_MAX));
  s.host.random(bytes);
  s.write(s.u64(0), bytes);
  return bytes.length;
}

/** getcpu: the caller runs on CPU 0, node 0 as far as it can tell. */
export function getcpu(s: Sys): number {
  const zero = new Uint8Array(4);
  if (s.u64(0) !== 0) s.write(s.u64(0), zero);
  if (s.u64(1) !== 0) s.write(s.u64(1), zero);
  return 0;
}
