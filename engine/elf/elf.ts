// ELF64 parsing: validates a guest binary and describes its loadable segments.
// Every malformed input becomes one ElfError sentence the CLI and UI can show as is.

import { USER_LIMIT } from "../memory/address-space.ts";

export class ElfError extends Error {
  override readonly name: string = "ElfError";
}

/**
 * A segment Linux's loader accepts but cannot map (below vm.mmap_min_addr, beyond user space): Linux finds out
 * after exec's point of no return, so the process dies of SIGSEGV instead of exec failing.
 */
export class ElfMapError extends ElfError {
  override readonly name = "ElfMapError";
}

export const PT_LOAD = 1;
export const PT_INTERP = 3;
export const PT_PHDR = 6;
export const PT_GNU_STACK = 0x6474e551;
export const PF_X = 1;
export const PF_W = 2;
export const PF_R = 4;

/** Where a static-PIE is placed (Linux's ELF_ET_DYN_BASE on x86-64, page-aligned). */
export const PIE_BASE = 0x555555554000;
/** Linux's default vm.mmap_min_addr: no mapping below it (an unprivileged exec of such an ELF dies of SIGSEGV). */
export const MMAP_MIN_ADDR = 0x1000;

const ET_EXEC = 2;
const ET_DYN = 3;
const EM_X86_64 = 62;
const ELF_HEADER_SIZE = 64;
const PHDR_SIZE = 56;

export interface Segment {
  type: number;
  flags: number;
  offset: number;
  vaddr: number;
  filesz: number;
  memsz: number;
  align: number;
}

export interface ElfImage {
  bytes: Uint8Array;
  /** Position-independent (ET_DYN without an interpreter): loaded at a base the loader picks. */
  pie: boolean;
  entry: number;
  phoff: number;
  phentsize: number;
  phnum: number;
  segments: Segment[];
}

const ELF_TYPES: Record<number, string> = { 0: "ET_NONE", 1: "a relocatable object (ET_REL)", 4: "a core dump (ET_CORE)" };
const MACHINES: Record<number, string> = { 3: "i386", 40: "ARM", 183: "AArch64", 243: "RISC-V", 8: "MIPS", 20: "PowerPC", 21: "PowerPC64", 22: "s390" };

function u64(view: DataView, at: number): number {
  const value = view.getUint32(at, true) + view.getUint32(at + 4, true) * 0x100000000;
  if (value > Number.MAX_SAFE_INTEGER) throw new ElfError(`field at offset ${at} is out of range`);
  return value;
}

export function parseElf(bytes: Uint8Array): ElfImage {
  if (bytes.length < 4 || bytes[0] !== 0x7f || bytes[1] !== 0x45 || bytes[2] !== 0x4c || bytes[3] !== 0x46) {
    throw new ElfError("not an ELF file (no \\x7fELF magic)");
  }
  if (bytes.length < 6) throw new ElfError("truncated ELF file (header incomplete)");
  if (bytes[4] === 1) throw new ElfError("32-bit ELF: only 64-bit x86-64 binaries run here");
  if (bytes[4] !== 2) throw new ElfError(`ELF class ${bytes[4]} is invalid`);
  if (bytes[5] !== 1) throw new ElfError("big-endian ELF: only little-endian x86-64 binaries run here");
  if (bytes.length < ELF_HEADER_SIZE) throw new ElfError("truncated ELF file (header incomplete)");
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const type = view.getUint16(16, true);
  const machine = view.getUint16(18, true);
  if (machine !== EM_X86_64) {
    throw new ElfError(`ELF for ${MACHINES[machine] ?? `machine ${machine}`}: only x86-64 binaries run here`);
  }
  if (type !== ET_EXEC && type !== ET_DYN) {
    throw new ElfError(`ELF file is ${ELF_TYPES[type] ?? `of type ${type}`}, not an executable`);
  }
  const entry = u64(view, 24);
  const phoff = u64(view, 32);
  const phentsize = view.getUint16(54, true);
  const phnum = view.getUint16(56, true);
  if (phnum === 0) throw new ElfError("ELF executable has no program headers");
  if (phentsize !== PHDR_SIZE) throw new ElfError(`unexpected program header size ${phentsize}`);
  if (phoff + phnum * PHDR_SIZE > bytes.length) throw new ElfError("truncated ELF file (program headers cut off)");

  const segments: Segment[] = [];
  for (let i = 0; i < phnum; i++) {
    const at = phoff + i * PHDR_SIZE;
    const segment: Segment = {
      type: view.getUint32(at, true),
      flags: view.getUint32(at + 4, true),
      offset: u64(view, at + 8),
      vaddr: u64(view, at + 16),
      filesz: u64(view, at + 32),
      memsz: u64(view, at + 40),
      align: u64(view, at + 48),
    };
    if (segment.type === PT_INTERP) throw new ElfError("dynamically linked, only static binaries run here");
    if (segment.type === PT_LOAD) {
      if (segment.offset + segment.filesz > bytes.length) {
        throw new ElfError(`truncated ELF file (segment ${i} extends past the end of the file)`);
      }
      if (segment.filesz > segment.memsz) throw new ElfError(`segment ${i} has a file size larger than its memory size`);
    }
    segments.push(segment);
  }
  if (!segments.some((s) => s.type === PT_LOAD)) throw new ElfError("ELF executable has no loadable segment");
  if (type === ET_DYN && entry === 0) throw new ElfError("ELF file is a shared library, not an executable");
  const image = { bytes, pie: type === ET_DYN, entry, phoff, phentsize, phnum, segments };
  programHeaderAddress(image, image.pie ? PIE_BASE : 0);
  return image;
}

/** Rejects (at load time) a PT_LOAD that, placed at `bias`, reaches below vm.mmap_min_addr or beyond the user address range. */
export function checkSegmentPlace(segment: Segment, index: number, bias: number): void {
  const start = segment.vaddr + bias;
  const end = start + segment.memsz;
  if (segment.memsz > 0 && start < MMAP_MIN_ADDR) {
    throw new ElfMapError(`segment ${index} maps address 0x${start.toString(16)}, below Linux's vm.mmap_min_addr (0x${MMAP_MIN_ADDR.toString(16)})`);
  }
  if (end > USER_LIMIT) throw new ElfMapError(`segment ${index} (0x${start.toString(16)}–0x${end.toString(16)}) lies outside user space`);
}

/**
 * Where the program headers are in memory once loaded at `bias` (AT_PHDR): the PT_PHDR segment's address, else the
 * loadable segment whose file range holds them. Either must lie inside a PT_LOAD's memory, or the start code reads
 * unmapped memory, so that is an error here, before anything runs (Linux's loader would pass a wild AT_PHDR).
 */
export function programHeaderAddress(image: Pick<ElfImage, "segments" | "phoff" | "phnum">, bias: number): number {
  const loads = image.segments.filter((s) => s.type === PT_LOAD && s.memsz > 0);
  const size = image.phnum * PHDR_SIZE;
  const phdr = image.segments.find((s) => s.type === PT_PHDR);
  const address = phdr
    ? phdr.vaddr
    : loads.filter((s) => image.phoff >= s.offset && image.phoff + size <= s.offset + s.filesz).map((s) => s.vaddr + (image.phoff - s.offset))[0];
  if (address === undefined || !loads.some((s) => address >= s.vaddr && address + size <= s.vaddr + s.memsz)) {
    throw new ElfError("the program headers are not inside a loadable segment");
  }
  return address + bias;
}
