// Capability spaces: CRD encoding, the object spaces of all PDs, delegation with receive windows, and revocation.
// Capabilities are plain records in one table with parent/child ids (NOVA's mapping database), so a snapshot is data.

import { PERM_RWX, type AddressSpace } from "../memory/address-space.ts";

export const CRD_NULL = 0;
export const CRD_MEM = 1;
export const CRD_IO = 2;
export const CRD_OBJ = 3;

/** A capability range descriptor (HEDRON.md §4): type, 5 rights bits, log2 of the count, base aligned to the order. */
export interface Crd {
  type: number;
  rights: number;
  order: number;
  base: number;
}

export const NULL_CRD: Crd = { type: CRD_NULL, rights: 0, order: 0, base: 0 };

/** Decodes a CRD word given as its 32-bit halves (bases above 2^20 need the high half). */
export function decodeCrd(lo: number, hi: number): Crd {
  return {
    type: lo & 3,
    rights: (lo >>> 2) & 0x1f,
    order: (lo >>> 7) & 0x1f,
    base: (lo >>> 12) + (hi >>> 0) * 0x100000,
  };
}

export function encodeCrd(crd: Crd): number {
  return (crd.type | (crd.rights << 2) | (crd.order << 7)) + crd.base * 4096;
}

export function objCrd(base: number, order: number, rights: number): Crd {
  return { type: CRD_OBJ, rights, order, base };
}

export function memCrd(page: number, order: number, rights: number): Crd {
  return { type: CRD_MEM, rights, order, base: page };
}

export type ObjKind = "pd" | "ec" | "sc" | "pt" | "sm";

/** One capability: a selector in one PD's object space naming a kernel object with rights. */
export interface Capability {
  id: number;
  pd: number;
  sel: number;
  kind: ObjKind;
  obj: number;
  rights: number;
  /** The capability it was delegated from (-1 for the one created with the object). */
  parent: number;
  children: number[];
}

/** What the capability table needs to know of a PD. */
export interface CapHolder {
  id: number;
  objects: Map<number, number>;
  space: AddressSpace;
  /** I/O port → rights bit0 (access). */
  ports: Map<number, number>;
  /** UTCB pages of this PD's ECs: never delegated. */
  utcbPages: Set<number>;
}

/** A kernel object's reference count lives on the object; the table tells the kernel when one drops to 0. */
export interface Counted {
  refs: number;
}

export type ObjectLookup = (kind: ObjKind, id: number) => Counted;

/** Where a transfer's source comes from: a PD's space, or physical memory (root only, item flag bit 11). */
export interface DelegateSource {
  pd: CapHolder;
  fromKernel: boolean;
}

export class CapTable {
  readonly caps = new Map<number, Capability>();
  nextId = 1;
  /** Objects whose last capability went away since the kernel last drained this list. */
  orphans: { kind: ObjKind; id: number }[] = [];

  constructor(private readonly objects: ObjectLookup) {}

  lookup(pd: CapHolder, sel: number): Capability | undefined {
    const id = pd.objects.get(sel);
    return id === undefined ? undefined : this.caps.get(id);
  }

  insert(pd: CapHolder, sel: number, kind: ObjKind, obj: number, rights: number, parent: number): Capability {
    const cap: Capability = { id: this.nextId++, pd: pd.id, sel, kind, obj, rights, parent, children: [] };
    this.caps.set(cap.id, cap);
    pd.objects.set(sel, cap.id);
    this.objects(kind, obj).refs++;
    if (parent >= 0) this.caps.get(parent)!.children.push(cap.id);
    return cap;
  }

  /** Deletes one capability; its children move up to its parent so the derivation tree stays connected. */
  remove(cap: Capability, holders: (pd: number) => CapHolder | undefined): void {
    const holder = holders(cap.pd);
    if (holder && holder.objects.get(cap.sel) === cap.id) holder.objects.delete(cap.sel);
    this.caps.delete(cap.id);
    const parent = cap.parent >= 0 ? this.caps.get(cap.parent) : undefined;
    if (parent) parent.children = parent.children.filter((c) => c !== cap.id);
    for (const child of cap.children) {
      const c = this.caps.get(child);
      if (!c) continue;
      c.parent = parent ? parent.id : -1;
      if (parent) parent.children.push(child);
    }
    const obj = this.objects(cap.kind, cap.obj);
    if (--obj.refs === 0) this.orphans.push({ kind: cap.kind, id: cap.obj });
  }

  /** Removes `mask` from everything derived from `cap` (and from `cap` itself with `self`); rightless caps die. */
  revoke(cap: Capability, mask: number, self: boolean, holders: (pd: number) => CapHolder | undefined): number {
    let count = 0;
    for (const child of [...cap.children]) {
      const c = this.caps.get(child);
      if (c) count += this.revoke(c, mask, true, holders);
    }
    if (self) {
      cap.rights &= ~mask;
      count++;
      if (cap.rights === 0) this.remove(cap, holders);
    }
    return count;
  }

  /** Every capability of a PD (when the PD dies, its object space goes with it). */
  capsOf(pd: CapHolder): Capability[] {
    const out: Capability[] = [];
    for (const id of pd.objects.values()) {
      const cap = this.caps.get(id);
      if (cap) out.push(cap);
    }
    return out;
  }
}

/**
 * NOVA's clamp: a send range and a receive window of different sizes are cut to the smaller order; the
 * hotspot picks which part of the larger one is used. Arithmetic, not bit operations: bases exceed 2^32.
 */
export function clamp(send: Crd, window: Crd, hotspot: number): { sendBase: number; recvBase: number; order: number } {
  const s = 2 ** send.order;
  const r = 2 ** window.order;
  const sendBase = send.base - (send.base % s);
  const recvBase = window.base - (window.base % r);
  if (s < r) {
    const off = hotspot % r;
    return { sendBase, recvBase: recvBase + off - (off % s), order: send.order };
  }
  const off = hotspot % s;
  return { sendBase: sendBase + off - (off % r), recvBase, order: window.order };
}

/**
 * Delegates `send` from `src` into `dst` through the receive window `window` (HEDRON.md §4): effective rights =
 * send ∧ window, mismatched types or no rights give the null CRD. Returns the CRD that arrived and the item count.
 */
export function delegate(
  table: CapTable,
  src: DelegateSource,
  send: Crd,
  dst: CapHolder,
  window: Crd,
  hotspot: number,
): { crd: Crd; items: number } {
  const rights = send.rights & window.rights;
  if (send.type !== window.type || send.type === CRD_NULL || rights === 0) return { crd: NULL_CRD, items: 0 };
  const { sendBase, recvBase, order } = clamp(send, window, hotspot);
  const count = 2 ** order;
  let items = 0;
  if (send.type === CRD_MEM) {
    const perms = rights & PERM_RWX;
    const offsets = src.fromKernel ? span(count, dst.space.frames.frameCount) : offsetsIn(src.pd.space.pages, sendBase, count);
    for (const i of offsets) {
      const srcPage = sendBase + i;
      const dstPage = recvBase + i;
      if (dst.utcbPages.has(dstPage)) continue;
      let frame: number;
      let srcPerms: number;
      if (src.fromKernel) {
        if (srcPage <= 0 || srcPage >= dst.space.frames.frameCount || dst.space.frames.refs[srcPage] === 0) continue;
        frame = srcPage;
        srcPerms = PERM_RWX;
      } else {
        if (src.pd.utcbPages.has(srcPage)) continue;
        const pte = src.pd.space.lookup(srcPage);
        if (pte < 0) continue;
        frame = Math.floor(pte / 8);
        srcPerms = pte & 7;
      }
      const p = srcPerms & perms;
      if (p === 0) dst.space.unmap(dstPage);
      else dst.space.share(dstPage, frame, p);
      items++;
    }
  } else if (send.type === CRD_IO) {
    for (const i of src.fromKernel ? span(count, 0x10000) : offsetsIn(src.pd.ports, sendBase, count)) {
      dst.ports.set(recvBase + i, 1);
      items++;
    }
  } else {
    for (const i of offsetsIn(src.pd.objects, sendBase, count)) {
      const from = table.lookup(src.pd, sendBase + i);
      if (!from) continue;
      const r = from.rights & rights;
      if (r === 0) continue;
      const existing = table.lookup(dst, recvBase + i);
      if (existing) {
        // An occupied selector only takes more rights for the same object, never a different object.
        if (existing.kind === from.kind && existing.obj === from.obj) existing.rights |= r;
        continue;
      }
      table.insert(dst, recvBase + i, from.kind, from.obj, r, from.id);
      items++;
    }
  }
  return { crd: { type: send.type, rights, order, base: recvBase }, items };
}

/** Revokes a memory or port range in one PD: the rights mask is removed, pages left without rights are unmapped. */
export function revokeRange(pd: CapHolder, crd: Crd): number {
  const count = 2 ** crd.order;
  const base = crd.base - (crd.base % count);
  let items = 0;
  if (crd.type === CRD_MEM) {
    const mask = crd.rights & PERM_RWX;
    for (const i of offsetsIn(pd.space.pages, base, count)) {
      const vpn = base + i;
      if (pd.utcbPages.has(vpn)) continue;
      const pte = pd.space.lookup(vpn);
      if (pte < 0) continue;
      const perms = pte & 7 & ~mask;
      if (perms === 0) pd.space.unmap(vpn);
      else pd.space.protect(vpn, perms);
      items++;
    }
  } else if (crd.type === CRD_IO && crd.rights & 1) {
    for (const i of offsetsIn(pd.ports, base, count)) if (pd.ports.delete(base + i)) items++;
  }
  return items;
}

/** Offsets i < count with base + i a key of `map`, ascending; walks whichever of the range and the map is smaller. */
function offsetsIn(map: Map<number, unknown>, base: number, count: number): number[] {
  if (count <= map.size) return span(count, count).filter((i) => map.has(base + i));
  const out: number[] = [];
  for (const key of map.keys()) if (key >= base && key < base + count) out.push(key - base);
  return out.sort((a, b) => a - b);
}

/** 0 … min(count, limit) − 1. */
function span(count: number, limit: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < Math.min(count, limit); i++) out.push(i);
  return out;
}
