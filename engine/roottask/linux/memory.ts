// Memory syscalls: brk, mmap, munmap, mprotect, mremap, madvise over the process's AddressSpace and VMA list.
// Allocation is deterministic (highest free range below mmapBase) and never steps on pages the loader mapped.

import { AddressSpace, PAGE_SIZE, PERM_R, PERM_RW, USER_LIMIT } from "../../memory/address-space.ts";
import { O_ACCMODE, O_RDWR, O_WRONLY } from "../fs/abi.ts";
import { E } from "../fs/errno.ts";
import {
  MADV_DONTNEED, MADV_FREE, MADVICE, MAP_ANONYMOUS, MAP_FIXED, MAP_FIXED_NOREPLACE, MAP_PRIVATE, MAP_SHARED,
  MAP_SHARED_VALIDATE, MAP_TYPE, MREMAP_FIXED, MREMAP_MAYMOVE, PROT_EXEC, PROT_READ, PROT_WRITE,
} from "./abi.ts";
import type { LinuxProcess, Sys, Vma } from "./context.ts";

/** Lowest address a mapping may use (Linux's default vm.mmap_min_addr). */
const MMAP_MIN = 0x10000;
const PROT_GROWS = 0x03000000;

const pageUp = (x: number) => Math.ceil(x / PAGE_SIZE) * PAGE_SIZE;
const pageDown = (x: number) => Math.floor(x / PAGE_SIZE) * PAGE_SIZE;

/** Page rights for a PROT_* value: any access implies read on x86 page tables. */
function permsOf(prot: number): number {
  const p = prot & (PROT_READ | PROT_WRITE | PROT_EXEC);
  return p === 0 ? 0 : p | PERM_R;
}

function framesLeft(space: AddressSpace): number {
  return space.frames.frameCount - 1 - space.frames.used;
}

/** The lowest mapped page address in [start, end), or -1; iterates whichever is smaller, range or table. */
function lowestMapped(space: AddressSpace, start: number, end: number): number {
  const first = start / PAGE_SIZE, last = end / PAGE_SIZE;
  if (last - first <= space.pages.size) {
    for (let vpn = first; vpn < last; vpn++) if (space.pages.has(vpn)) return vpn * PAGE_SIZE;
    return -1;
  }
  let low = -1;
  for (const vpn of space.pages.keys()) if (vpn >= first && vpn < last && (low < 0 || vpn < low)) low = vpn;
  return low < 0 ? -1 : low * PAGE_SIZE;
}

function mappedPages(space: AddressSpace, start: number, end: number): number[] {
  const first = start / PAGE_SIZE, last = end / PAGE_SIZE;
  const out: number[] = [];
  if (last - first <= space.pages.size) {
    for (let vpn = first; vpn < last; vpn++) if (space.pages.has(vpn)) out.push(vpn);
  } else {
    for (const vpn of space.pages.keys()) if (vpn >= first && vpn < last) out.push(vpn);
  }
  return out;
}

function overlapping(proc: LinuxProcess, start: number, end: number): Vma[] {
  return proc.vmas.filter((v) => v.start < end && v.end > start);
}

function rangeFree(proc: LinuxProcess, start: number, end: number): boolean {
  return overlapping(proc, start, end).length === 0 && lowestMapped(proc.space, start, end) < 0;
}

/** The highest free page-aligned range of `size` bytes below mmapBase and above the heap, or -1. */
function findFree(proc: LinuxProcess, size: number): number {
  const floor = Math.max(MMAP_MIN, pageUp(proc.brk));
  let top = pageDown(Math.min(proc.mmapBase, USER_LIMIT));
  for (;;) {
    const start = top - size;
    if (start < floor) return -1;
    const hits = overlapping(proc, start, top);
    if (hits.length > 0) {
      top = Math.min(...hits.map((v) => v.start));
      continue;
    }
    const mapped = lowestMapped(proc.space, start, top);
    if (mapped >= 0) {
      top = mapped;
      continue;
    }
    return start;
  }
}

/** Adds a VMA, merging with neighbours of the same kind so the list stays short. */
function insertVma(proc: LinuxProcess, vma: Vma): void {
  const same = (a: Vma, b: Vma) => a.prot === b.prot && a.flags === b.flags && a.name === b.name;
  let i = 0;
  while (i < proc.vmas.length && proc.vmas[i].start < vma.start) i++;
  proc.vmas.splice(i, 0, { ...vma });
  const next = proc.vmas[i + 1];
  if (next && next.start === proc.vmas[i].end && same(next, proc.vmas[i])) {
    proc.vmas[i].end = next.end;
    proc.vmas.splice(i + 1, 1);
  }
  const prev = proc.vmas[i - 1];
  if (prev && prev.end === proc.vmas[i].start && same(prev, proc.vmas[i])) {
    prev.end = proc.vmas[i].end;
    proc.vmas.splice(i, 1);
  }
}

/** Removes [start, end) from the VMA list (splitting at the edges) and returns the pieces removed. */
function carve(proc: LinuxProcess, start: number, end: number): Vma[] {
  const removed: Vma[] = [];
  const kept: Vma[] = [];
  for (const v of proc.vmas) {
    if (v.end <= start || v.start >= end) {
      kept.push(v);
      continue;
    }
    if (v.start < start) kept.push({ ...v, end: start });
    removed.push({ ...v, start: Math.max(v.start, start), end: Math.min(v.end, end) });
    if (v.end > end) kept.push({ ...v, start: end });
  }
  proc.vmas = kept;
  return removed;
}

/** munmap's work: forget the VMAs and release every page (the loader's too) in the range. */
function unmapRange(proc: LinuxProcess, start: number, end: number): void {
  carve(proc, start, end);
  for (const vpn of mappedPages(proc.space, start, end)) proc.space.unmap(vpn);
}

/** Every page of the range is mapped or inside a VMA (mprotect/madvise on a hole is ENOMEM). */
function covered(proc: LinuxProcess, start: number, end: number): boolean {
  const vmas = overlapping(proc, start, end);
  for (let at = start; at < end; at += PAGE_SIZE) {
    if (proc.space.pages.has(at / PAGE_SIZE)) continue;
    if (!vmas.some((v) => v.start <= at && v.end > at)) return false;
  }
  return true;
}

export function brk(s: Sys): number {
  const proc = s.proc;
  const want = s.u64(0);
  if (want < proc.brkStart || want >= USER_LIMIT) return proc.brk;
  const base = pageUp(proc.brkStart);
  const oldTop = Math.max(base, pageUp(proc.brk));
  const newTop = Math.max(base, pageUp(want));
  if (newTop > oldTop) {
    if (!rangeFree(proc, oldTop, newTop) || (newTop - oldTop) / PAGE_SIZE > framesLeft(proc.space)) return proc.brk;
    proc.space.mapAnonymous(oldTop, newTop - oldTop, PERM_RW);
  } else if (newTop < oldTop) {
    for (const vpn of mappedPages(proc.space, newTop, oldTop)) proc.space.unmap(vpn);
  }
  carve(proc, base, oldTop);
  if (newTop > base) insertVma(proc, { start: base, end: newTop, prot: PROT_READ | PROT_WRITE, flags: MAP_PRIVATE | MAP_ANONYMOUS, name: "[heap]" });
  proc.brk = want;
  return want;
}

/** The pages of `proc`'s MAP_SHARED mappings: a fork maps them to the same frames instead of copying them. */
export function sharedPages(proc: LinuxProcess): Set<number> {
  const pages = new Set<number>();
  for (const vma of proc.vmas) {
    if ((vma.flags & MAP_TYPE) === MAP_PRIVATE) continue;
    for (let vpn = vma.start / PAGE_SIZE; vpn < vma.end / PAGE_SIZE; vpn++) pages.add(vpn);
  }
  return pages;
}

export function mmap(s: Sys): number {
  const proc = s.proc;
  const addr = s.u64(0), len = s.u64(1), prot = s.int(2), flags = s.int(3), fd = s.int(4), offset = s.s64(5);
  const type = flags & MAP_TYPE;
  if (len === 0 || offset < 0 || offset % PAGE_SIZE !== 0) return -E.EINVAL;
  if (type !== MAP_SHARED && type !== MAP_PRIVATE && type !== MAP_SHARED_VALIDATE) return -E.EINVAL;
  const size = pageUp(len);
  if (size >= USER_LIMIT) return -E.ENOMEM;
  let fromFile = false;
  if (!(flags & MAP_ANONYMOUS)) {
    const file = s.fs.file(s.pid, fd);
    if (!file) return -E.EBADF;
    const node = s.fs.tree.node(file.ino);
    const acc = file.flags & O_ACCMODE;
    if (node.device !== "zero") {
      if (node.device !== "" || s.fs.tree.isDir(file.ino)) return -E.ENODEV;
      if (acc === O_WRONLY) return -E.EACCES;
      if (type !== MAP_PRIVATE && prot & PROT_WRITE) {
        // Shared writable file mappings would need write-back; the file server only copies.
        return acc === O_RDWR ? -E.ENODEV : -E.EACCES;
      }
      fromFile = true;
    }
  }
  let start: number;
  if (flags & (MAP_FIXED | MAP_FIXED_NOREPLACE)) {
    if (addr % PAGE_SIZE !== 0) return -E.EINVAL;
    if (addr + size > USER_LIMIT || addr < MMAP_MIN) return -E.ENOMEM;
    if (flags & MAP_FIXED_NOREPLACE && !rangeFree(proc, addr, addr + size)) return -E.EEXIST;
    start = addr;
  } else {
    const hint = pageDown(addr);
    start = hint >= MMAP_MIN && hint + size <= USER_LIMIT && rangeFree(proc, hint, hint + size) ? hint : findFree(proc, size);
    if (start < 0) return -E.ENOMEM;
  }
  const perms = permsOf(prot);
  const eager = perms !== 0 || fromFile;
  if (eager && size / PAGE_SIZE > framesLeft(proc.space) + mappedPages(proc.space, start, start + size).length) {
    return -E.ENOMEM;
  }
  unmapRange(proc, start, start + size);
  if (eager) proc.space.mapAnonymous(start, size, perms);
  if (fromFile) {
    const n = s.fs.pread(s.pid, fd, size, offset, (bytes) => proc.space.write(start, bytes, true));
    if (n < 0) {
      unmapRange(proc, start, start + size);
      return n;
    }
  }
  insertVma(proc, { start, end: start + size, prot, flags, name: fromFile ? `fd ${fd}` : "" });
  return start;
}

export function munmap(s: Sys): number {
  const addr = s.u64(0), len = s.u64(1);
  if (addr % PAGE_SIZE !== 0 || len === 0 || addr + pageUp(len) > USER_LIMIT) return -E.EINVAL;
  unmapRange(s.proc, addr, addr + pageUp(len));
  return 0;
}

export function mprotect(s: Sys): number {
  const proc = s.proc;
  const addr = s.u64(0), len = s.u64(1), prot = s.int(2);
  if (addr % PAGE_SIZE !== 0 || prot & ~(PROT_READ | PROT_WRITE | PROT_EXEC | PROT_GROWS)) return -E.EINVAL;
  if (len === 0) return 0;
  const end = addr + pageUp(len);
  if (end > USER_LIMIT || !covered(proc, addr, end)) return -E.ENOMEM;
  const perms = permsOf(prot);
  const absent = (end - addr) / PAGE_SIZE - mappedPages(proc.space, addr, end).length;
  if (perms !== 0 && absent > framesLeft(proc.space)) return -E.ENOMEM;
  for (let vpn = addr / PAGE_SIZE; vpn < end / PAGE_SIZE; vpn++) {
    if (proc.space.pages.has(vpn)) proc.space.protect(vpn, perms);
    else if (perms !== 0) proc.space.map(vpn, proc.space.frames.alloc(), perms);
  }
  for (const piece of carve(proc, addr, end)) insertVma(proc, { ...piece, prot: prot & ~PROT_GROWS });
  return 0;
}

export function mremap(s: Sys): number {
  const proc = s.proc;
  const old = s.u64(0), oldLen = s.u64(1), newLen = s.u64(2), flags = s.int(3), newAddr = s.u64(4);
  if (flags & ~(MREMAP_MAYMOVE | MREMAP_FIXED) || (flags & MREMAP_FIXED && !(flags & MREMAP_MAYMOVE))) return -E.EINVAL;
  if (old % PAGE_SIZE !== 0 || newLen === 0 || oldLen === 0) return -E.EINVAL;
  const oldSize = pageUp(oldLen), newSize = pageUp(newLen);
  if (newSize >= USER_LIMIT) return -E.ENOMEM;
  const vma = proc.vmas.find((v) => v.start <= old && v.end >= old + oldSize);
  if (!vma) return -E.EFAULT;
  const perms = permsOf(vma.prot);
  const grow = (at: number, from: number, to: number) => {
    if (perms !== 0) proc.space.mapAnonymous(at + from, to - from, perms);
  };
  if (!(flags & MREMAP_FIXED)) {
    if (newSize <= oldSize) {
      if (newSize < oldSize) unmapRange(proc, old + newSize, old + oldSize);
      return old;
    }
    if (perms !== 0 && (newSize - oldSize) / PAGE_SIZE > framesLeft(proc.space)) return -E.ENOMEM;
    if (rangeFree(proc, old + oldSize, old + newSize)) {
      grow(old, oldSize, newSize);
      insertVma(proc, { ...vma, start: old + oldSize, end: old + newSize });
      return old;
    }
    if (!(flags & MREMAP_MAYMOVE)) return -E.ENOMEM;
  }
  let dest: number;
  if (flags & MREMAP_FIXED) {
    if (newAddr % PAGE_SIZE !== 0) return -E.EINVAL;
    if (newAddr < old + oldSize && newAddr + newSize > old) return -E.EINVAL;
    if (newAddr < MMAP_MIN || newAddr + newSize > USER_LIMIT) return -E.ENOMEM;
    unmapRange(proc, newAddr, newAddr + newSize);
    dest = newAddr;
  } else {
    dest = findFree(proc, newSize);
    if (dest < 0) return -E.ENOMEM;
  }
  const moved = Math.min(oldSize, newSize);
  for (let i = 0; i < moved / PAGE_SIZE; i++) {
    const pte = proc.space.lookup(old / PAGE_SIZE + i);
    if (pte < 0) continue;
    // share + unmap moves the frame: the reference taken by share replaces the one unmap drops.
    proc.space.share(dest / PAGE_SIZE + i, Math.floor(pte / 8), pte & 7);
    proc.space.unmap(old / PAGE_SIZE + i);
  }
  if (newSize > oldSize) grow(dest, oldSize, newSize);
  unmapRange(proc, old, old + oldSize);
  insertVma(proc, { ...vma, start: dest, end: dest + newSize });
  return dest;
}

export function madvise(s: Sys): number {
  const proc = s.proc;
  const addr = s.u64(0), len = s.u64(1), advice = s.int(2);
  if (addr % PAGE_SIZE !== 0 || !(advice in MADVICE)) return -E.EINVAL;
  if (len === 0) return 0;
  const end = addr + pageUp(len);
  if (end > USER_LIMIT || !covered(proc, addr, end)) return -E.ENOMEM;
  if (advice !== MADV_DONTNEED && advice !== MADV_FREE) return 0;
  // Private anonymous memory reads back as zeros after DONTNEED; MADV_FREE may do the same.
  const frames = proc.space.frames;
  for (const v of overlapping(proc, addr, end)) {
    if (!(v.flags & MAP_ANONYMOUS) || (v.flags & MAP_TYPE) !== MAP_PRIVATE) continue;
    for (const vpn of mappedPages(proc.space, Math.max(v.start, addr), Math.min(v.end, end))) {
      const frame = Math.floor(proc.space.lookup(vpn) / 8);
      frames.noteWrite(frame);
      frames.bytes.fill(0, frame * PAGE_SIZE, (frame + 1) * PAGE_SIZE);
    }
  }
  return 0;
}

/**
 * mincore: one byte per page of the range, 1 = resident. Every mapped page is (the lab does not page out); a page
 * that is not mapped makes it ENOMEM, as on Linux.
 */
export function mincore(s: Sys): number {
  const addr = s.u64(0), len = s.u64(1), vec = s.u64(2);
  if (addr % PAGE_SIZE !== 0) return -E.EINVAL;
  const pages = Math.ceil(len / PAGE_SIZE);
  if (addr + pages * PAGE_SIZE > USER_LIMIT) return -E.ENOMEM;
  for (let i = 0; i < pages; i++) if (s.proc.space.lookup(addr / PAGE_SIZE + i) < 0) return -E.ENOMEM;
  s.write(vec, new Uint8Array(pages).fill(1));
  return 0;
}

/** msync: file mappings are private copies, so there is nothing to write back; the range must be mapped. */
export function msync(s: Sys): number {
  const addr = s.u64(0), len = s.u64(1), flags = s.int(2);
  if (addr % PAGE_SIZE !== 0 || flags & ~7 || (flags & 1 && flags & 4)) return -E.EINVAL;
  return covered(s.proc, addr, addr + pageUp(len)) ? 0 : -E.ENOMEM;
}
