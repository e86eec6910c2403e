// Loads a parsed static ELF into an address space and builds the Linux initial stack (argv, envp, auxv).
// Mirrors Linux's binfmt_elf layout so musl's and glibc's start code find what they expect.

import { AddressSpace, PERM_R, PERM_RW, PERM_W, PERM_X } from "../memory/address-space.ts";
import { PAGE_SIZE } from "../memory/frames.ts";
import { ElfError, PF_R, PF_W, PF_X, PT_LOAD, PT_PHDR, type ElfImage } from "./elf.ts";

/** Where a static-PIE is placed (Linux's ELF_ET_DYN_BASE on x86-64, page-aligned). */
export const PIE_BASE = 0x555555554000;
/** Top of the initial stack; the pages above it are left for the UTCB and the HIP. */
export const STACK_TOP = 0x7ffffffde000;
/** Linux's default RLIMIT_STACK; one unmapped guard page lies below. */
export const STACK_SIZE = 8 * 1024 * 1024;

export const AT_NULL = 0, AT_PHDR = 3, AT_PHENT = 4, AT_PHNUM = 5, AT_PAGESZ = 6, AT_BASE = 7, AT_FLAGS = 8;
export const AT_ENTRY = 9, AT_UID = 11, AT_EUID = 12, AT_GID = 13, AT_EGID = 14, AT_PLATFORM = 15;
export const AT_HWCAP = 16, AT_CLKTCK = 17, AT_SECURE = 23, AT_RANDOM = 25, AT_HWCAP2 = 26, AT_EXECFN = 31;

export interface LoadOptions {
  argv: string[];
  envp: string[];
  execfn: string;
  /** The 16 bytes AT_RANDOM points to (from the machine's seeded PRNG). */
  random16: Uint8Array;
  /** CPUID.1:EDX of the modelled CPU, as Linux reports it in AT_HWCAP. */
  hwcap?: number;
  pieBase?: number;
  stackTop?: number;
  uid?: number;
  gid?: number;
}

export interface LoadedImage {
  entry: number;
  rsp: number;
  /** First address after the highest segment, page-aligned: where brk starts. */
  brkStart: number;
  loadBias: number;
  phdrAddr: number;
  stackLow: number;
}

function rightsOf(flags: number): number {
  return (flags & PF_R ? PERM_R : 0) | (flags & PF_W ? PERM_W : 0) | (flags & PF_X ? PERM_X : 0);
}

export function loadElf(image: ElfImage, space: AddressSpace, options: LoadOptions): LoadedImage {
  const bias = image.pie ? (options.pieBase ?? PIE_BASE) : 0;
  let highest = 0;
  let phdrAddr = 0;
  for (const segment of image.segments) {
    if (segment.type === PT_PHDR) phdrAddr = segment.vaddr + bias;
    if (segment.type !== PT_LOAD || segment.memsz === 0) continue;
    const start = segment.vaddr + bias;
    const end = start + segment.memsz;
    const perms = rightsOf(segment.flags);
    // Segments may share a page (e.g. the end of .text and the start of .data): the page gets both rights.
    for (let vpn = Math.floor(start / PAGE_SIZE); vpn <= Math.floor((end - 1) / PAGE_SIZE); vpn++) {
      const pte = space.lookup(vpn);
      if (pte < 0) space.map(vpn, space.frames.alloc(), perms);
      else space.protect(vpn, (pte & 7) | perms);
    }
    space.write(start, image.bytes.subarray(segment.offset, segment.offset + segment.filesz), true);
    if (!phdrAddr && image.phoff >= segment.offset && image.phoff < segment.offset + segment.filesz) {
      phdrAddr = start + (image.phoff - segment.offset);
    }
    highest = Math.max(highest, end);
  }
  if (!phdrAddr) throw new ElfError("program headers are not inside a loadable segment");
  const stackTop = options.stackTop ?? STACK_TOP;
  const stackLow = stackTop - STACK_SIZE;
  space.mapAnonymous(stackLow, STACK_SIZE, PERM_RW);
  const rsp = buildInitialStack(space, stackTop, image, bias, phdrAddr, options);
  return {
    entry: image.entry + bias,
    rsp,
    brkStart: Math.ceil(highest / PAGE_SIZE) * PAGE_SIZE,
    loadBias: bias,
    phdrAddr,
    stackLow,
  };
}

/** Lays out strings at the top, then (16-byte aligned) argc, argv[], NULL, envp[], NULL, auxv pairs. */
function buildInitialStack(
  space: AddressSpace,
  stackTop: number,
  image: ElfImage,
  bias: number,
  phdrAddr: number,
  options: LoadOptions,
): number {
  const encoder = new TextEncoder();
  let sp = stackTop;
  const pushBytes = (bytes: Uint8Array): number => {
    sp -= bytes.length;
    space.write(sp, bytes);
    return sp;
  };
  const pushString = (text: string): number => {
    const bytes = encoder.encode(text);
    const withNul = new Uint8Array(bytes.length + 1);
    withNul.set(bytes);
    return pushBytes(withNul);
  };
  sp -= 8; // an 8-byte end marker, as Linux leaves
  const execfnAddr = pushString(options.execfn);
  const envAddrs = options.envp.map(pushString);
  const argAddrs = options.argv.map(pushString);
  const platformAddr = pushString("x86_64");
  sp -= sp % 16; // addresses exceed 2^31, so no bitwise masking
  const randomAddr = pushBytes(options.random16.subarray(0, 16));

  const auxv: [number, number][] = [
    [AT_HWCAP, options.hwcap ?? 0],
    [AT_PAGESZ, PAGE_SIZE],
    [AT_CLKTCK, 100],
    [AT_PHDR, phdrAddr],
    [AT_PHENT, image.phentsize],
    [AT_PHNUM, image.phnum],
    [AT_BASE, 0],
    [AT_FLAGS, 0],
    [AT_ENTRY, image.entry + bias],
    [AT_UID, options.uid ?? 0],
    [AT_EUID, options.uid ?? 0],
    [AT_GID, options.gid ?? 0],
    [AT_EGID, options.gid ?? 0],
    [AT_SECURE, 0],
    [AT_RANDOM, randomAddr],
    [AT_HWCAP2, 0],
    [AT_EXECFN, execfnAddr],
    [AT_PLATFORM, platformAddr],
    [AT_NULL, 0],
  ];
  const words: number[] = [options.argv.length, ...argAddrs, 0, ...envAddrs, 0];
  for (const [key, value] of auxv) words.push(key, value);
  sp -= words.length * 8;
  sp -= sp % 16;
  const block = new Uint8Array(words.length * 8);
  const view = new DataView(block.buffer);
  words.forEach((word, i) => {
    view.setUint32(i * 8, word % 0x100000000, true);
    view.setUint32(i * 8 + 4, Math.floor(word / 0x100000000), true);
  });
  space.write(sp, block);
  return sp;
}
