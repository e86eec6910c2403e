// Turns a machine's state into the inspector's rows: registers, disassembly around RIP, memory, kernel objects,
// capability spaces, the PD list and the VGA screen. Read-only: inspecting never changes what the guest sees.

import { GPR_NAMES } from "../engine/cpu/state.ts";
import { disassemble, hexBytes } from "../engine/disasm.ts";
import type { Ec } from "../engine/hedron/ec.ts";
import type { Kernel } from "../engine/hedron/kernel.ts";
import type { Pd } from "../engine/hedron/pd.ts";
import type { Machine } from "../engine/machine.ts";
import { PAGE_SIZE } from "../engine/memory/frames.ts";
import { VGA_COLS, VGA_ROWS } from "../engine/devices/vga.ts";
import {
  toBase64,
  type CapabilityRow,
  type DiskInfo,
  type Inspection,
  type KernelObjectRow,
  type MemoryDump,
  type PdInfo,
  type ProcessInfo,
  type PdKind,
  type Screen,
} from "./protocol.ts";

const hex = (n: number) => "0x" + n.toString(16);
const hex64 = (hi: number, lo: number) => "0x" + (hi >>> 0).toString(16).padStart(8, "0") + (lo >>> 0).toString(16).padStart(8, "0");

type MachineObjects = ReturnType<Machine["inspect"]>;

/** A PD's kind from the kernel's flags (HEDRON.md §8), not from how it was booted: a foreign PD is a hybrid
 *  app once one of its ECs has made a native call with NSCT set. */
function pdKind(pd: MachineObjects["pds"][number]): PdKind {
  if (pd.host) return "root";
  if (!pd.foreign) return "native";
  return pd.nsctUsed ? "hybrid" : "foreign";
}

/**
 * Live PDs, plus the PDs of processes that already exited (a short guest is gone before anyone looks).
 * `seen` carries each PD's last kind from one call to the next, so a PD that is gone keeps the kind the kernel
 * gave it; a PD never seen alive shows the kind its process was started as.
 */
export function pdsOf(machine: Machine, seen: Map<number, PdKind>): PdInfo[] {
  const objects = machine.inspect();
  const live: PdInfo[] = objects.pds.map((pd) => {
    const process = objects.processes.find((p) => p.pd === pd.id);
    const kind = pdKind(pd);
    seen.set(pd.id, kind);
    return {
      id: pd.id,
      name: pd.name,
      kind,
      ecs: objects.ecs.filter((ec) => ec.pd === pd.id && ec.wait !== "dead").map((ec) => ec.id),
      state: process ? `pid ${process.pid} ${process.state}` : "",
      process: process ? processInfo(process) : null,
    };
  });
  const gone: PdInfo[] = objects.processes
    .filter((p) => !objects.pds.some((pd) => pd.id === p.pd))
    .map((p) => ({
      id: p.pd,
      name: p.name,
      kind: seen.get(p.pd) ?? p.kind,
      ecs: [],
      state: `pid ${p.pid} ${p.signal ? `killed by signal ${p.signal}` : `exited with status ${p.exitStatus}`}`,
      process: processInfo(p),
    }));
  return [...live, ...gone];
}

function processInfo(p: ReturnType<Machine["inspect"]>["processes"][number]): ProcessInfo {
  return { pid: p.pid, ppid: p.ppid, pgid: p.pgid, threads: p.threads, sockets: p.sockets };
}

/** The attached FAT disk and its service's counters (the Machine view's disk row), or null without one. */
export function diskOf(machine: Machine, path: string): DiskInfo | null {
  const volume = machine.roottask.disk;
  if (!volume) return null;
  const { type, totalSectors, bytesPerSector } = volume.bpb;
  return { path, fatType: type, bytes: totalSectors * bytesPerSector, writable: volume.writable, ...volume.stats };
}

/** The guest EC the inspector shows: the one that ran last on CPU 0, else the first live guest EC. */
export function focusEc(kernel: Kernel): Ec | undefined {
  const last = kernel.ecs.get(kernel.cpus[0]?.lastEc ?? -1);
  if (last && !last.host) return last;
  return [...kernel.ecs.values()].find((ec) => !ec.host && ec.wait !== "dead") ?? [...kernel.ecs.values()].find((ec) => !ec.host);
}

/** Bytes of a PD's memory regardless of page rights (execute-only code is still shown); unmapped pages listed. */
function peek(kernel: Kernel, pd: Pd, address: number, length: number): { bytes: Uint8Array; unmapped: number[] } {
  const bytes = new Uint8Array(length);
  const unmapped: number[] = [];
  let done = 0;
  while (done < length) {
    const addr = address + done;
    const page = Math.floor(addr / PAGE_SIZE);
    const offset = addr - page * PAGE_SIZE;
    const chunk = Math.min(length - done, PAGE_SIZE - offset);
    const pte = pd.space.lookup(page);
    if (pte < 0) unmapped.push(page * PAGE_SIZE);
    else {
      const phys = Math.floor(pte / 8) * PAGE_SIZE + offset;
      bytes.set(kernel.frames.bytes.subarray(phys, phys + chunk), done);
    }
    done += chunk;
  }
  return { bytes, unmapped };
}

/** Instructions before RIP cannot be decoded backwards; try start points until one decodes exactly onto RIP. */
function disassembleAround(kernel: Kernel, pd: Pd, rip: number): Inspection["disassembly"] {
  const before = 48;
  const start = Math.max(0, rip - before);
  const { bytes, unmapped } = peek(kernel, pd, start, before + 96);
  if (unmapped.includes(Math.floor(rip / PAGE_SIZE) * PAGE_SIZE)) return [{ address: hex(rip), bytes: "", text: "(not mapped)", current: true }];
  let rows = disassemble(bytes.subarray(rip - start), rip, 16);
  for (let from = start; from < rip; from++) {
    const lead = disassemble(bytes.subarray(from - start, rip - start), from, 64);
    const end = lead.at(-1);
    if (lead.every((i) => i.valid) && end && end.address + end.length === rip) {
      rows = [...lead.slice(-6), ...rows];
      break;
    }
  }
  return rows.map((i) => ({ address: hex(i.address), bytes: hexBytes(i.bytes), text: i.text, current: i.address === rip }));
}

function objectRows(objects: MachineObjects): KernelObjectRow[] {
  const rows: KernelObjectRow[] = [];
  for (const pd of objects.pds) {
    const flags = [pd.host && "host", pd.privileged && "privileged", pd.foreign && `foreign (base ${pd.foreignBase})`, pd.nsctUsed && "NSCT used"]
      .filter(Boolean)
      .join(", ");
    rows.push({ type: "PD", id: pd.id, fields: { name: pd.name, kind: pdKind(pd), flags, caps: String(pd.caps.length), pages: String(pd.pages) } });
  }
  for (const ec of objects.ecs) {
    rows.push({ type: "EC", id: ec.id, fields: { name: ec.name, pd: String(ec.pd), cpu: String(ec.cpu), kind: ec.host ? "host" : ec.global ? "global" : "local", state: ec.wait, sc: ec.sc >= 0 ? String(ec.sc) : "", caller: ec.caller >= 0 ? String(ec.caller) : "", rip: ec.host ? "" : hex(ec.rip), rsp: ec.host ? "" : hex(ec.rsp), utcb: hex(ec.utcb), evt: String(ec.evt) } });
  }
  for (const sc of objects.scs) {
    rows.push({ type: "SC", id: sc.id, fields: { ec: String(sc.ec), current: String(sc.current), cpu: String(sc.cpu), prio: String(sc.prio), quantum: `${sc.quantumUs} µs`, time: `${sc.time} cycles` } });
  }
  for (const pt of objects.pts) {
    rows.push({ type: "PT", id: pt.id, fields: { ec: String(pt.ec), mtd: hex(pt.mtd), ip: hex(pt.ip), "portal id": String(pt.portalId) } });
  }
  for (const sm of objects.sms) {
    rows.push({ type: "SM", id: sm.id, fields: { counter: String(sm.counter), waiters: sm.waiters.join(", ") } });
  }
  for (const p of objects.processes) {
    rows.push({ type: "process", id: p.pid, fields: { name: p.name, kind: p.kind, state: p.state, "exit status": p.state === "exited" ? String(p.exitStatus) : "", pd: String(p.pd), ec: String(p.ec), cpu: String(p.cpu) } });
  }
  return rows;
}

function rightsText(kind: string, rights: number): string {
  const names: Record<string, string[]> = {
    pd: ["pd", "ec", "sc", "pt", "sm"],
    ec: ["ctrl", "-", "bind-sc", "bind-pt"],
    sc: ["ctrl"],
    pt: ["ctrl", "call"],
    sm: ["up", "down"],
  };
  const bits = names[kind] ?? [];
  return bits.filter((name, i) => name !== "-" && rights & (1 << i)).join(" ") || hex(rights);
}

function capabilityRows(objects: MachineObjects): Inspection["capabilities"] {
  return objects.pds.map((pd) => ({
    pd: pd.id,
    name: pd.name,
    entries: [...pd.caps]
      .sort((a, b) => a.sel - b.sel)
      .map((cap): CapabilityRow => ({ selector: cap.sel, object: `${cap.kind.toUpperCase()} ${cap.obj}`, rights: rightsText(cap.kind, cap.rights) })),
  }));
}

export function inspectMachine(machine: Machine): Inspection {
  const kernel = machine.kernel;
  const objects = machine.inspect();
  const ec = focusEc(kernel);
  const pd = ec ? kernel.pds.get(ec.pd) : undefined;
  const registers = ec
    ? [
        ...GPR_NAMES.map((name, i) => ({ name, value: hex64(ec.state.gpr[2 * i + 1]!, ec.state.gpr[2 * i]!) })),
        { name: "rip", value: hex(ec.state.rip) },
        { name: "rflags", value: hex(ec.state.rflags) },
        { name: "fs.base", value: hex(ec.state.fsBase) },
        { name: "gs.base", value: hex(ec.state.gsBase) },
      ]
    : [];
  return {
    icount: machine.icount,
    vcycles: machine.vcycles,
    pd: ec?.pd ?? -1,
    ec: ec?.id ?? -1,
    registers,
    disassembly: ec && pd ? disassembleAround(kernel, pd, ec.state.rip) : [],
    objects: objectRows(objects),
    capabilities: capabilityRows(objects),
  };
}

export function readMemory(machine: Machine, pdId: number, address: number, length: number): MemoryDump {
  const pd = machine.kernel.pds.get(pdId);
  if (!pd) throw new Error(`there is no PD ${pdId}`);
  const { bytes, unmapped } = peek(machine.kernel, pd, address, length);
  return { pd: pdId, address, bytes: toBase64(bytes), unmapped };
}

/** Whether a PD has the linear framebuffer mapped (its frames have a reference besides the device's) or has drawn
 *  into it: the frames start zeroed, and a painter may have exited (and unmapped) before anyone looked. */
export function framebufferUsed(machine: Machine): boolean {
  const fb = machine.framebuffer;
  if (machine.frames.refs[fb.firstFrame]! > 1) return true;
  const pixels = fb.pixels;
  for (let i = 0; i < pixels.length; i++) if (pixels[i] !== 0) return true;
  return false;
}

/** The screen the VGA shows: the linear framebuffer once a PD has mapped it (`linear`: a painter that drew and
 *  exited leaves its picture up, as the display would), else the text cells. */
export function screenOf(machine: Machine, linear: boolean): Screen {
  const fb = machine.framebuffer;
  if (linear) return { mode: "linear", width: fb.width, height: fb.height, pixels: toBase64(fb.bytes) };
  const vga = machine.vga;
  const cells = new Uint8Array(vga.cells.buffer, vga.cells.byteOffset, VGA_COLS * VGA_ROWS * 2);
  return { mode: "text", cols: VGA_COLS, rows: VGA_ROWS, cells: toBase64(cells), cursor: vga.row * VGA_COLS + vga.col };
}
