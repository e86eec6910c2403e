// A protection domain's memory space: the page table from virtual page to frame with R/W/X rights.
// Kept as a Map of plain numbers so a snapshot is a list of (vpn, pte) pairs; the CPU's TLB sits in front.

import { FramePool, PAGE_MASK, PAGE_SHIFT, PAGE_SIZE } from "./frames.ts";

export const PERM_R = 1;
export const PERM_W = 2;
export const PERM_X = 4;
export const PERM_RW = PERM_R | PERM_W;
export const PERM_RWX = PERM_R | PERM_W | PERM_X;

/** Highest user address + 1 (Hedron: user addresses < 0x7ffffffff000). */
export const USER_LIMIT = 0x7ffffffff000;
const NO_PAGES: ReadonlySet<number> = new Set();

/** #PF error-code bits as the CPU reports them. */
export const PF_PRESENT = 1;
export const PF_WRITE = 2;
export const PF_USER = 4;
export const PF_FETCH = 16;

/** Thrown by the slow-path accessors; the CPU turns it into a #PF exit, services into -EFAULT. */
export class PageFault extends Error {
  constructor(
    readonly address: number,
    readonly errorCode: number,
  ) {
    super(`page fault at 0x${address.toString(16)} (${describeFault(errorCode)})`);
  }
}

export function describeFault(errorCode: number): string {
  const what = errorCode & PF_FETCH ? "instruction fetch" : errorCode & PF_WRITE ? "write" : "read";
  return `${what}, ${errorCode & PF_PRESENT ? "protection violation" : "page not present"}`;
}

export class AddressSpace {
  /** vpn → pte, where pte = frame * 8 + perms. */
  readonly pages = new Map<number, number>();
  /** Bumped whenever a mapping is removed or loses rights, so CPUs know to flush their TLBs. */
  generation = 0;

  constructor(readonly frames: FramePool) {}

  /** Maps one page; an existing mapping of the page is replaced (and its frame released). */
  map(vpn: number, frame: number, perms: number): void {
    const old = this.pages.get(vpn);
    if (old !== undefined) {
      this.generation++;
      this.frames.release(Math.floor(old / 8));
    }
    this.pages.set(vpn, frame * 8 + perms);
  }

  /** Maps a frame that is already owned elsewhere (memory delegation): takes a reference. */
  share(vpn: number, frame: number, perms: number): void {
    this.frames.retain(frame);
    this.map(vpn, frame, perms);
  }

  unmap(vpn: number): boolean {
    const old = this.pages.get(vpn);
    if (old === undefined) return false;
    this.pages.delete(vpn);
    this.generation++;
    this.frames.release(Math.floor(old / 8));
    return true;
  }

  protect(vpn: number, perms: number): boolean {
    const old = this.pages.get(vpn);
    if (old === undefined) return false;
    this.pages.set(vpn, Math.floor(old / 8) * 8 + perms);
    this.generation++;
    return true;
  }

  /** pte for a virtual page number, or -1 when unmapped. */
  lookup(vpn: number): number {
    const pte = this.pages.get(vpn);
    return pte === undefined ? -1 : pte;
  }

  /** Allocates fresh zeroed frames for [addr, addr+len) (page-rounded), replacing what was there. */
  mapAnonymous(addr: number, len: number, perms: number): void {
    const first = Math.floor(addr / PAGE_SIZE);
    const last = Math.floor((addr + len - 1) / PAGE_SIZE);
    for (let vpn = first; vpn <= last; vpn++) this.map(vpn, this.frames.alloc(), perms);
  }

  unmapRange(addr: number, len: number): void {
    const first = Math.floor(addr / PAGE_SIZE);
    const last = Math.floor((addr + len - 1) / PAGE_SIZE);
    for (let vpn = first; vpn <= last; vpn++) this.unmap(vpn);
  }

  /** Physical byte offset for a user access, or throws PageFault. Slow path for kernel and services. */
  translate(addr: number, access: number): number {
    const need = access & PF_FETCH ? PERM_X : access & PF_WRITE ? PERM_W : PERM_R;
    if (addr < 0 || addr >= USER_LIMIT) throw new PageFault(addr, access | PF_USER);
    const pte = this.lookup(Math.floor(addr / PAGE_SIZE));
    if (pte < 0) throw new PageFault(addr, access | PF_USER);
    if ((pte & need) === 0) throw new PageFault(addr, access | PF_USER | PF_PRESENT);
    return Math.floor(pte / 8) * PAGE_SIZE + (addr & PAGE_MASK);
  }

  /** Copies guest bytes out; throws PageFault if any byte is unreadable. */
  read(addr: number, len: number): Uint8Array {
    const out = new Uint8Array(len);
    let done = 0;
    while (done < len) {
      const phys = this.translate(addr + done, 0);
      const chunk = Math.min(len - done, PAGE_SIZE - ((addr + done) & PAGE_MASK));
      out.set(this.frames.bytes.subarray(phys, phys + chunk), done);
      done += chunk;
    }
    return out;
  }

  /** Copies bytes into the guest; checks every page before writing any, so a fault writes nothing. */
  write(addr: number, data: Uint8Array, ignorePerms = false): void {
    const access = PF_WRITE;
    const targets: number[] = [];
    let done = 0;
    while (done < data.length) {
      const phys = ignorePerms ? this.translateAny(addr + done) : this.translate(addr + done, access);
      targets.push(phys);
      done += Math.min(data.length - done, PAGE_SIZE - ((addr + done) & PAGE_MASK));
    }
    done = 0;
    for (const phys of targets) {
      const chunk = Math.min(data.length - done, PAGE_SIZE - ((addr + done) & PAGE_MASK));
      this.frames.noteWrite(phys >>> PAGE_SHIFT);
      this.frames.bytes.set(data.subarray(done, done + chunk), phys);
      done += chunk;
    }
  }

  /** Reads a NUL-terminated string of at most `max` bytes (bytes, not decoded). */
  readCString(addr: number, max = 4096): Uint8Array {
    const bytes: number[] = [];
    for (let i = 0; i < max; i++) {
      const b = this.frames.bytes[this.translate(addr + i, 0)];
      if (b === 0) return Uint8Array.from(bytes);
      bytes.push(b);
    }
    throw new PageFault(addr + max, 0);
  }

  readU64(addr: number): number {
    const b = this.read(addr, 8);
    const v = new DataView(b.buffer);
    return v.getUint32(0, true) + v.getUint32(4, true) * 0x100000000;
  }

  writeU64(addr: number, value: number): void {
    const b = new Uint8Array(8);
    const v = new DataView(b.buffer);
    v.setUint32(0, value % 0x100000000, true);
    v.setUint32(4, Math.floor(value / 0x100000000), true);
    this.write(addr, b);
  }

  /** Loader use: the frame behind a page regardless of its rights (e.g. filling a read-only segment). */
  private translateAny(addr: number): number {
    const pte = this.lookup(Math.floor(addr / PAGE_SIZE));
    if (pte < 0) throw new PageFault(addr, PF_WRITE | PF_USER);
    return Math.floor(pte / 8) * PAGE_SIZE + (addr & PAGE_MASK);
  }

  /** fork: every page of `src` (but those in `skip`) copied into fresh frames here, with the same rights; pages in
   *  `shared` (MAP_SHARED mappings) map the same frames instead, so both spaces see each other's writes. */
  copyFrom(src: AddressSpace, skip: Set<number>, shared: ReadonlySet<number> = NO_PAGES): void {
    const bytes = this.frames.bytes;
    for (const [vpn, pte] of src.pages) {
      if (skip.has(vpn)) continue;
      if (shared.has(vpn)) {
        this.share(vpn, Math.floor(pte / 8), pte & 7);
        continue;
      }
      const frame = this.frames.alloc();
      const from = Math.floor(pte / 8) * PAGE_SIZE;
      bytes.copyWithin(frame * PAGE_SIZE, from, from + PAGE_SIZE);
      this.map(vpn, frame, pte & 7);
    }
  }

  /** execve: unmaps every page but those in `keep` (UTCBs). */
  clear(keep: Set<number>): void {
    for (const vpn of [...this.pages.keys()]) if (!keep.has(vpn)) this.unmap(vpn);
  }

  /** Releases every frame (the PD is destroyed). */
  destroy(): void {
    for (const pte of this.pages.values()) this.frames.release(Math.floor(pte / 8));
    this.pages.clear();
    this.generation++;
  }
}

export { PAGE_SHIFT, PAGE_SIZE };
