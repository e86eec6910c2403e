// The Hypervisor Information Page (HEDRON.md §7): built by the kernel at boot, mapped read-only into the root PD.
// Byte layout as Hedron's; the roottask parses it back with parseHip, so both directions are tested against each other.

import { PAGE_SIZE } from "../memory/frames.ts";
import { SEL_EXC, SEL_NUM, SEL_VMI } from "./abi.ts";

export const HIP_SIGNATURE = 0x41564f4e; // 'NOVA'
export const HIP_API_VERSION = 5004;
export const HIP_CPU_OFFS = 0x80;
export const HIP_CPU_SIZE = 48;
export const HIP_MEM_SIZE = 24;

export const MEM_AVAILABLE = 1;
export const MEM_RESERVED = 2;
export const MEM_HYPERVISOR = -1;
export const MEM_MODULE = -2;

export interface HipMemory {
  addr: number;
  size: number;
  type: number;
  aux: number;
}

export interface Hip {
  cpus: { enabled: boolean; thread: number; core: number; package: number }[];
  memory: HipMemory[];
  apiVersion: number;
  selNum: number;
  selExc: number;
  selVmi: number;
  pageSize: number;
  utcbSize: number;
  tscKHz: number;
}

export class HipError extends Error {}

export function buildHip(cpuCount: number, memory: HipMemory[], tscKHz: number): Uint8Array {
  const page = new Uint8Array(PAGE_SIZE);
  const v = new DataView(page.buffer);
  const memOffs = HIP_CPU_OFFS + cpuCount * HIP_CPU_SIZE;
  const length = memOffs + memory.length * HIP_MEM_SIZE;
  if (length > PAGE_SIZE) throw new HipError(`HIP of ${length} bytes does not fit one page`);
  v.setUint32(0x00, HIP_SIGNATURE, true);
  v.setUint16(0x06, length, true);
  v.setUint16(0x08, HIP_CPU_OFFS, true);
  v.setUint16(0x0a, HIP_CPU_SIZE, true);
  v.setUint16(0x10, memOffs, true);
  v.setUint16(0x12, HIP_MEM_SIZE, true);
  v.setUint32(0x14, 0, true);
  v.setUint32(0x18, HIP_API_VERSION, true);
  v.setUint32(0x1c, SEL_NUM, true);
  v.setUint32(0x20, SEL_EXC, true);
  v.setUint32(0x24, SEL_VMI, true);
  v.setUint32(0x2c, PAGE_SIZE, true);
  v.setUint32(0x30, PAGE_SIZE, true);
  v.setUint32(0x34, tscKHz, true);
  for (let i = 0; i < cpuCount; i++) {
    const at = HIP_CPU_OFFS + i * HIP_CPU_SIZE;
    v.setUint8(at, 1);
    v.setUint8(at + 1, 0);
    v.setUint8(at + 2, i);
    v.setUint8(at + 3, 0);
  }
  memory.forEach((m, i) => {
    const at = memOffs + i * HIP_MEM_SIZE;
    v.setUint32(at, m.addr % 0x100000000, true);
    v.setUint32(at + 4, Math.floor(m.addr / 0x100000000), true);
    v.setUint32(at + 8, m.size % 0x100000000, true);
    v.setUint32(at + 12, Math.floor(m.size / 0x100000000), true);
    v.setInt32(at + 16, m.type, true);
    v.setUint32(at + 20, m.aux, true);
  });
  let sum = 0;
  for (let at = 0; at < length; at += 2) sum = (sum + v.getUint16(at, true)) & 0xffff;
  v.setUint16(0x04, (0x10000 - sum) & 0xffff, true);
  return page;
}

export function parseHip(bytes: Uint8Array): Hip {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (v.getUint32(0, true) !== HIP_SIGNATURE) throw new HipError("HIP signature is not 'NOVA'");
  const length = v.getUint16(0x06, true);
  if (length > bytes.length || length % 2) throw new HipError(`HIP length ${length} is invalid`);
  let sum = 0;
  for (let at = 0; at < length; at += 2) sum = (sum + v.getUint16(at, true)) & 0xffff;
  if (sum !== 0) throw new HipError("HIP checksum mismatch");
  const cpuOffs = v.getUint16(0x08, true);
  const cpuSize = v.getUint16(0x0a, true);
  const memOffs = v.getUint16(0x10, true);
  const memSize = v.getUint16(0x12, true);
  const cpus: Hip["cpus"] = [];
  for (let at = cpuOffs; at + cpuSize <= memOffs; at += cpuSize) {
    cpus.push({ enabled: (v.getUint8(at) & 1) === 1, thread: v.getUint8(at + 1), core: v.getUint8(at + 2), package: v.getUint8(at + 3) });
  }
  const memory: HipMemory[] = [];
  for (let at = memOffs; at + memSize <= length; at += memSize) {
    memory.push({
      addr: v.getUint32(at, true) + v.getUint32(at + 4, true) * 0x100000000,
      size: v.getUint32(at + 8, true) + v.getUint32(at + 12, true) * 0x100000000,
      type: v.getInt32(at + 16, true),
      aux: v.getUint32(at + 20, true),
    });
  }
  return {
    cpus, memory,
    apiVersion: v.getUint32(0x18, true), selNum: v.getUint32(0x1c, true), selExc: v.getUint32(0x20, true),
    selVmi: v.getUint32(0x24, true), pageSize: v.getUint32(0x2c, true), utcbSize: v.getUint32(0x30, true),
    tscKHz: v.getUint32(0x34, true),
  };
}
