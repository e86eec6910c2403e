// Generated views programs read like files: /proc/<pid>/{maps,stat,status}, /proc/mounts and /etc/mtab, built
// from the real state at open time (the PD's page table, the process records, the file server's mounts).

import { PAGE_SIZE } from "../../memory/address-space.ts";
import { STACK_SIZE, STACK_TOP } from "../../elf/loader.ts";
import { DISK_MOUNT } from "../fs/file-server.ts";
import { MAP_SHARED, MAP_TYPE } from "./abi.ts";
import type { LinuxProcess, Sys } from "./context.ts";
import { visibleParent } from "./process.ts";

const encoder = new TextEncoder();
/** USER_HZ: /proc counts time in 100 Hz ticks. */
const TICK_NS = 1e7;

/** The view `path` names for the caller (null: not a generated path, ENOENT: a /proc path of no process or file). */
export function generatedView(s: Sys, path: string): Uint8Array | null | "ENOENT" {
  if (path === "/proc/mounts" || path === "/etc/mtab") return encoder.encode(mounts(s));
  const m = /^\/proc\/(self|thread-self|[0-9]+)\/(maps|stat|status|mounts)$/.exec(path);
  if (!m) return null;
  const proc = m[1] === "self" || m[1] === "thread-self" ? s.proc : s.procs.get(Number(m[1]));
  if (!proc || proc.reaped) return "ENOENT";
  switch (m[2]) {
    case "maps": return encoder.encode(maps(proc));
    case "stat": return encoder.encode(stat(s, proc));
    case "status": return encoder.encode(status(s, proc));
    default: return encoder.encode(mounts(s));
  }
}

interface Region {
  start: number;
  end: number;
  perms: string;
  name: string;
}

/** Which mapping a page belongs to, as Linux names it: the image, [heap], [stack], a mapping's name. */
function pageName(proc: LinuxProcess, addr: number): { name: string; shared: boolean } {
  const vma = proc.vmas.find((v) => addr >= v.start && addr < v.end);
  if (vma) return { name: vma.name, shared: (vma.flags & MAP_TYPE) === MAP_SHARED };
  if (addr >= proc.brkStart && addr < Math.ceil(proc.brk / PAGE_SIZE) * PAGE_SIZE) return { name: "[heap]", shared: false };
  if (addr >= STACK_TOP - STACK_SIZE && addr < STACK_TOP) return { name: "[stack]", shared: false };
  if (addr < proc.brkStart) return { name: proc.execfn, shared: false };
  // The EC's UTCB, which Hedron maps into the PD (Linux has no such page; its nearest kin is the vDSO's data).
  return { name: "[utcb]", shared: false };
}

/** The PD's page table as runs of pages with the same rights and name. */
function regions(proc: LinuxProcess): Region[] {
  const out: Region[] = [];
  const vpns = [...proc.space.pages.keys()].sort((a, b) => a - b);
  for (const vpn of vpns) {
    const pte = proc.space.pages.get(vpn)!;
    const addr = vpn * PAGE_SIZE;
    const { name, shared } = pageName(proc, addr);
    const perms = `${pte & 1 ? "r" : "-"}${pte & 2 ? "w" : "-"}${pte & 4 ? "x" : "-"}${shared ? "s" : "p"}`;
    const last = out[out.length - 1];
    if (last && last.end === addr && last.perms === perms && last.name === name) last.end = addr + PAGE_SIZE;
    else out.push({ start: addr, end: addr + PAGE_SIZE, perms, name });
  }
  return out;
}

const hex = (n: number, width: number) => n.toString(16).padStart(width, "0");

function maps(proc: LinuxProcess): string {
  return regions(proc).map((r) => {
    const head = `${hex(r.start, 8)}-${hex(r.end, 8)} ${r.perms} 00000000 00:00 0`;
    // Linux pads the fields to 73 columns before a name.
    return r.name ? `${head.padEnd(73)}${r.name}\n` : `${head} \n`;
  }).join("");
}

function stateLetter(s: Sys, proc: LinuxProcess): string {
  if (proc.exited) return "Z";
  if (proc === s.proc) return "R";
  return proc.threads.every((t) => t.blocked) ? "S" : "R";
}

function sizes(proc: LinuxProcess): { vsize: number; rssPages: number } {
  const pages = proc.space.pages.size;
  return { vsize: pages * PAGE_SIZE, rssPages: pages };
}

/** The signal sets of status/stat as Linux packs them: bit sig-1 of a 64-bit mask. */
function sigMask(pred: (sig: number) => boolean): bigint {
  let m = 0n;
  for (let sig = 1; sig <= 64; sig++) if (pred(sig)) m |= 1n << BigInt(sig - 1);
  return m;
}

function handled(proc: LinuxProcess): { ignored: bigint; caught: bigint } {
  return {
    ignored: sigMask((sig) => proc.sigactions[sig]?.handler === 1),
    caught: sigMask((sig) => (proc.sigactions[sig]?.handler ?? 0) > 1),
  };
}

function stat(s: Sys, proc: LinuxProcess): string {
  const ticks = Math.floor(s.host.nowNs() / TICK_NS);
  const { vsize, rssPages } = sizes(proc);
  const { ignored, caught } = handled(proc);
  const leader = proc.threads[0];
  const blocked = leader ? (BigInt(leader.sigmaskHi >>> 0) << 32n) | BigInt(leader.sigmaskLo >>> 0) : 0n;
  const fields = [
    proc.pid, `(${proc.comm})`, stateLetter(s, proc), visibleParent(s, proc), proc.pgid, proc.sid, 0, -1, 0x400000,
    0, 0, 0, 0, ticks, 0, 0, 0, 20, 0, Math.max(1, proc.threads.length), 0, 0, vsize, rssPages, "18446744073709551615",
    0, 0, STACK_TOP, 0, 0, 0, blocked, ignored, caught, 0, 0, 0, 17, leader?.cpu ?? 0, 0, 0, 0, 0, 0,
    0, 0, proc.brkStart, 0, 0, 0, 0, proc.exited ? proc.exitStatus : 0,
  ];
  return `${fields.join(" ")}\n`;
}

function status(s: Sys, proc: LinuxProcess): string {
  const { vsize, rssPages } = sizes(proc);
  const { ignored, caught } = handled(proc);
  const leader = proc.threads[0];
  const word = (n: bigint) => n.toString(16).padStart(16, "0");
  const blocked = leader ? (BigInt(leader.sigmaskHi >>> 0) << 32n) | BigInt(leader.sigmaskLo >>> 0) : 0n;
  const pending = sigMask((sig) => proc.threads.some((t) => t.pending.some((p) => p.sig === sig)));
  const kb = (bytes: number) => `${String(Math.ceil(bytes / 1024)).padStart(8)} kB`;
  const heap = Math.max(0, Math.ceil(proc.brk / PAGE_SIZE) * PAGE_SIZE - proc.brkStart);
  const letter = stateLetter(s, proc);
  const stateName = { R: "R (running)", S: "S (sleeping)", Z: "Z (zombie)" }[letter];
  const cpus = s.host.cpus ?? 1;
  const lines = [
    `Name:\t${proc.comm}`, `Umask:\t0022`, `State:\t${stateName}`, `Tgid:\t${proc.pid}`, `Ngid:\t0`, `Pid:\t${proc.pid}`,
    `PPid:\t${visibleParent(s, proc)}`, `TracerPid:\t0`, `Uid:\t0\t0\t0\t0`, `Gid:\t0\t0\t0\t0`, `FDSize:\t64`, `Groups:\t`,
    `VmPeak:\t${kb(vsize)}`, `VmSize:\t${kb(vsize)}`, `VmLck:\t${kb(0)}`, `VmPin:\t${kb(0)}`, `VmHWM:\t${kb(rssPages * PAGE_SIZE)}`,
    `VmRSS:\t${kb(rssPages * PAGE_SIZE)}`, `VmData:\t${kb(heap)}`, `VmStk:\t${kb(STACK_SIZE)}`,
    `Threads:\t${Math.max(1, proc.threads.length)}`, `SigQ:\t${pending === 0n ? 0 : 1}/62475`, `SigPnd:\t${word(0n)}`,
    `ShdPnd:\t${word(pending)}`, `SigBlk:\t${word(blocked)}`, `SigIgn:\t${word(ignored)}`, `SigCgt:\t${word(caught)}`,
    `CapInh:\t0000000000000000`, `CapPrm:\t000001ffffffffff`, `CapEff:\t000001ffffffffff`, `CapBnd:\t000001ffffffffff`,
    `CapAmb:\t0000000000000000`, `NoNewPrivs:\t0`, `Seccomp:\t0`,
    `Cpus_allowed:\t${((1 << cpus) - 1).toString(16)}`, `Cpus_allowed_list:\t${cpus > 1 ? `0-${cpus - 1}` : "0"}`,
    `voluntary_ctxt_switches:\t0`, `nonvoluntary_ctxt_switches:\t0`,
  ];
  return `${lines.join("\n")}\n`;
}

/** The lab's mounts: the in-memory root, /proc, each --mount (read-only) and --disk. */
function mounts(s: Sys): string {
  const lines = ["rootfs / tmpfs rw 0 0", "proc /proc proc rw,nosuid,nodev,noexec 0 0"];
  for (const m of s.fs.tree.mounts) {
    if (m.guest === DISK_MOUNT && m.host === "") lines.push(`/dev/sda ${DISK_MOUNT} vfat ${m.io?.writer ? "rw" : "ro"} 0 0`);
    else lines.push(`${m.host} ${m.guest} hostfs ro 0 0`);
  }
  return `${lines.join("\n")}\n`;
}
