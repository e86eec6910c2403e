// Loads a parsed static ELF into an address space and builds the Linux initial stack (argv, envp, auxv).
// Mirrors Linux's binfmt_elf layout so musl's and glibc's start code find what they expect.

import { AddressSpace, PERM_R, PERM_RW, PERM_W, PERM_X } from "../memory/address-space.ts";
import { PAGE_SIZE } from "../memory/frames.ts";
import { checkSegmentPlace, ElfError, PF_R, PF_W, PF_X, PIE_BASE, programHeaderAddress, PT_LOAD, type ElfImage } from "./elf.ts";

export { PIE_BASE };
/** Top of the initial stack; the pages above it are left for the UTCB and the HIP. */
export const STACK_TOP = 0x7ffffffde000;
/** Linux's default RLIMIT_STACK; one unmapped guard page lies below. */
export const STACK_SIZE = 8 * 1024 * 1024;
/** Linux's limit on argv + envp (a quarter of the stack limit), beyond which execve fails with E2BIG. */
export const ARG_MAX = STACK_SIZE / 4;

/** argv + envp did not fit: what execve reports as E2BIG ("Argument list too long"). */
export class ArgumentsTooLongError extends ElfError {
  constructor(bytes: number) {
    super(`argument list too long: ${bytes} bytes of arguments and environment, Linux allows ${ARG_MAX} (E2BIG)`);
  }
}

/** Bytes argv and envp take on the initial stack (strings with their NULs, and one pointer each), as Linux counts. */
export function argumentBytes(argv: readonly string[], envp: readonly string[]): number {
  let bytes = 0;
  for (const s of [...argv, ...envp]) bytes += Buffer.byteLength(s) + 1 + 8;
  return bytes;
}

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

/** Checks everything that can fail before a page is mapped, so a bad image never leaves a half-built space. */
function checkLoadable(image: ElfImage, space: AddressSpace, bias: number, stackLow: number, options: LoadOptions): void {
  const args = argumentBytes(options.argv, options.envp);
  if (args > ARG_MAX) throw new ArgumentsTooLongError(args);
  const pages = new Set<number>();
  image.segments.forEach((segment, i) => {
    if (segment.type !== PT_LOAD || segment.memsz === 0) return;
    checkSegmentPlace(segment, i, bias);
    const start = segment.vaddr + bias;
    const end = start + segment.memsz;
    if (end > stackLow - PAGE_SIZE) throw new ElfError(`segment ${i} (0x${start.toString(16)}–0x${end.toString(16)}) overlaps the stack`);
    const frames = space.frames;
    const free = frames.frameCount - 1 - frames.used - (STACK_SIZE / PAGE_SIZE);
    for (let vpn = Math.floor(start / PAGE_SIZE); vpn <= Math.floor((end - 1) / PAGE_SIZE); vpn++) {
      if (space.lookup(vpn) < 0) pages.add(vpn);
      if (pages.size > free) {
        throw new ElfError(`the loadable segments need more memory than the guest has (${Math.floor((frames.frameCount * PAGE_SIZE) / 1048576)} MiB, --memory)`);
      }
    }
  });
}

export function loadElf(image: ElfImage, space: AddressSpace, options: LoadOptions): LoadedImage {
  const bias = image.pie ? (options.pieBase ?? PIE_BASE) : 0;
  const stackTop = options.stackTop ?? STACK_TOP;
  const stackLow = stackTop - STACK_SIZE;
  checkLoadable(image, space, bias, stackLow, options);
  const phdrAddr = programHeaderAddress(image, bias);
  let highest = 0;
  for (const segment of image.segments) {
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
    highest = Math.max(highest, end);
  }
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
