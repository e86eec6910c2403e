// The FAT service: a FAT12/16/32 volume over a sector cache, answering the file server's mount calls by path.
// Every operation leaves the cached volume consistent (FAT copies, directory entries, FSInfo), so any commit point is.

import { S_IFDIR, S_IFREG } from "../fs/abi.ts";
import { E } from "../fs/errno.ts";
import type { HostStat, MountIo, MountWriter } from "../fs/host.ts";
import type { DiskIo } from "./disk.ts";
import {
  ATTR_ARCHIVE, ATTR_DIRECTORY, ATTR_LFN, ATTR_READ_ONLY, ATTR_VOLUME_ID, chainEnd, DELETED, dosTime, ENTRY_SIZE, FatError,
  LFN_CHARS, lfnChecksum, lfnEntry, lfnUnits, packShort, parseBpb, shortNameFor, unixNs, unpackShort, utf16Units,
  validLongName, type Bpb,
} from "./layout.ts";

/** The root directory's reference (".." entries that point at the root store cluster 0 too). */
const ROOT = 0;

/** One name in a directory: where its entries sit and what its short entry says. */
interface Entry {
  name: string;
  short: Uint8Array;
  attr: number;
  cluster: number;
  size: number;
  /** The directory holding it, the slot of its short entry and of its first (LFN) entry. */
  dir: number;
  slot: number;
  first: number;
}

/** Counters the Machine view and the benchmark read. */
export interface DiskStats {
  sectorsRead: number;
  sectorsWritten: number;
  commits: number;
}

export class FatVolume implements MountIo, MountWriter {
  readonly bpb: Bpb;
  /** Every sector read or written so far; `dirty` are those not yet committed. */
  private readonly cache = new Map<number, Uint8Array>();
  private readonly dirty = new Set<number>();
  /** Bytes per sector (always 512: parseBpb refuses others). */
  private readonly bps: number;
  /** Parsed directories and cluster chains, valid while no byte of the volume changes (`generation` counts changes). */
  private generation = 0;
  private readonly dirCache = new Map<number, { generation: number; entries: Entry[] }>();
  private readonly chainCache = new Map<number, { generation: number; chain: number[] }>();
  private nextFree = 2;
  readonly writer: MountWriter | null;
  readonly stats: DiskStats = { sectorsRead: 0, sectorsWritten: 0, commits: 0 };

  constructor(
    private readonly disk: DiskIo,
    readonly writable: boolean,
    private readonly nowNs: () => number,
  ) {
    const boot = disk.read(0, 1);
    if (typeof boot === "number") throw new FatError("cannot read the boot sector");
    this.cache.set(0, boot);
    this.stats.sectorsRead++;
    this.bpb = parseBpb(boot);
    this.bps = this.bpb.bytesPerSector;
    this.writer = writable ? this : null;
  }

  // ---- sectors and bytes ----

  /** Loads the missing sectors of [lba, lba + count) with as few disk reads as possible. */
  private load(lba: number, count: number): void {
    let i = 0;
    while (i < count) {
      if (this.cache.has(lba + i)) { i++; continue; }
      let j = i;
      while (j < count && !this.cache.has(lba + j)) j++;
      const bytes = this.disk.read(lba + i, j - i);
      if (typeof bytes === "number") throw new FatError(`disk read at sector ${lba + i} failed`);
      for (let k = i; k < j; k++) this.cache.set(lba + k, bytes.slice((k - i) * this.bps, (k - i + 1) * this.bps));
      this.stats.sectorsRead += j - i;
      i = j;
    }
  }

  private sector(lba: number): Uint8Array {
    if (lba >= this.bpb.totalSectors) throw new FatError(`sector ${lba} is beyond the volume`);
    if (!this.cache.has(lba)) this.load(lba, 1);
    return this.cache.get(lba)!;
  }

  private readBytes(offset: number, length: number): Uint8Array {
    const out = new Uint8Array(length);
    const first = Math.floor(offset / this.bps);
    this.load(first, Math.ceil((offset + length) / this.bps) - first);
    for (let done = 0; done < length;) {
      const at = offset + done;
      const s = this.sector(Math.floor(at / this.bps));
      const n = Math.min(this.bps - (at % this.bps), length - done);
      out.set(s.subarray(at % this.bps, at % this.bps + n), done);
      done += n;
    }
    return out;
  }

  private writeBytes(offset: number, bytes: Uint8Array): void {
    this.generation++;
    for (let done = 0; done < bytes.length;) {
      const at = offset + done;
      const lba = Math.floor(at / this.bps);
      const n = Math.min(this.bps - (at % this.bps), bytes.length - done);
      // A whole-sector write need not read the old contents first.
      if (n === this.bps && !this.cache.has(lba)) this.cache.set(lba, new Uint8Array(this.bps));
      this.sector(lba).set(bytes.subarray(done, done + n), at % this.bps);
      this.dirty.add(lba);
      done += n;
    }
  }

  private u16(offset: number): number {
    const b = this.readBytes(offset, 2);
    return b[0] | (b[1] << 8);
  }

  private u32(offset: number): number {
    const b = this.readBytes(offset, 4);
    return (b[0] | (b[1] << 8) | (b[2] << 16) | (b[3] << 24)) >>> 0;
  }

  private setU16(offset: number, value: number): void {
    this.writeBytes(offset, Uint8Array.of(value & 0xff, (value >> 8) & 0xff));
  }

  private setU32(offset: number, value: number): void {
    this.writeBytes(offset, Uint8Array.of(value & 0xff, (value >>> 8) & 0xff, (value >>> 16) & 0xff, (value >>> 24) & 0xff));
  }

  // ---- the FAT ----

  private fatOffset(copy: number): number {
    return (this.bpb.reservedSectors + copy * this.bpb.fatSectors) * this.bps;
  }

  /** The FAT entry of a cluster (the next cluster; 0 free; beyond the last cluster: bad or end of chain). */
  private fat(cluster: number): number {
    const base = this.fatOffset(0);
    switch (this.bpb.type) {
      case 12: {
        const v = this.u16(base + Math.floor(cluster * 1.5));
        return cluster & 1 ? v >> 4 : v & 0xfff;
      }
      case 16: return this.u16(base + cluster * 2);
      case 32: return this.u32(base + cluster * 4) & 0x0fffffff;
    }
  }

  /** Sets a FAT entry in every copy (mkfs.fat mirrors them; fsck.fat compares them). */
  private setFat(cluster: number, value: number): void {
    for (let copy = 0; copy < this.bpb.fats; copy++) {
      const base = this.fatOffset(copy);
      switch (this.bpb.type) {
        case 12: {
          const at = base + Math.floor(cluster * 1.5);
          const v = this.u16(at);
          this.setU16(at, cluster & 1 ? (v & 0x000f) | (value << 4) : (v & 0xf000) | (value & 0xfff));
          break;
        }
        case 16: this.setU16(base + cluster * 2, value); break;
        case 32: {
          const at = base + cluster * 4;
          this.setU32(at, ((this.u32(at) & 0xf0000000) | (value & 0x0fffffff)) >>> 0);
          break;
        }
      }
    }
  }

  private isData(cluster: number): boolean {
    return cluster >= 2 && cluster <= this.bpb.clusters + 1;
  }

  /** The clusters of a chain in order; a loop or a pointer out of range is a damaged volume. */
  private chain(first: number): number[] {
    const cached = this.chainCache.get(first);
    if (cached && cached.generation === this.generation) return cached.chain;
    const out: number[] = [];
    for (let c = first; this.isData(c); c = this.fat(c)) {
      if (out.length > this.bpb.clusters) throw new FatError(`cluster chain from ${first} loops`);
      out.push(c);
    }
    this.chainCache.set(first, { generation: this.generation, chain: out });
    return out;
  }

  private clusterOffset(cluster: number): number {
    return (this.bpb.firstDataSector + (cluster - 2) * this.bpb.sectorsPerCluster) * this.bps;
  }

  /** FAT32's FSInfo free count moves with every allocation (fsck.fat checks it when it is set). */
  private adjustFree(delta: number, hint: number): void {
    if (this.bpb.type !== 32 || this.bpb.fsInfoSector === 0) return;
    const base = this.bpb.fsInfoSector * this.bps;
    if (this.u32(base) !== 0x41615252) return;
    const free = this.u32(base + 488);
    if (free !== 0xffffffff) this.setU32(base + 488, free + delta);
    this.setU32(base + 492, hint);
  }

  /** A zeroed cluster appended after `last` (0: a new chain); -ENOSPC when the volume is full. */
  private allocate(last: number): number {
    const total = this.bpb.clusters;
    for (let i = 0; i < total; i++) {
      const c = 2 + ((this.nextFree - 2 + i) % total);
      if (this.fat(c) !== 0) continue;
      this.writeBytes(this.clusterOffset(c), new Uint8Array(this.bpb.clusterBytes));
      this.setFat(c, chainEnd(this.bpb.type));
      if (last) this.setFat(last, c);
      this.nextFree = c + 1 > total + 1 ? 2 : c + 1;
      this.adjustFree(-1, c);
      return c;
    }
    return -E.ENOSPC;
  }

  /** Frees a chain from `first` on. */
  private release(first: number): void {
    const clusters = this.chain(first);
    for (const c of clusters) this.setFat(c, 0);
    if (clusters.length) this.adjustFree(clusters.length, clusters[0]);
  }

  /** Makes a chain hold `count` clusters (growing zeroed, or shrinking); the new first cluster or -ENOSPC. */
  private resize(first: number, count: number): number {
    const chain = this.chain(first);
    if (count < chain.length) {
      if (count === 0) {
        this.release(first);
        return 0;
      }
      this.release(chain[count]);
      this.setFat(chain[count - 1], chainEnd(this.bpb.type));
      return first;
    }
    let head = first;
    let last = chain.length ? chain[chain.length - 1] : 0;
    for (let n = chain.length; n < count; n++) {
      const c = this.allocate(last);
      if (c < 0) {
        // Leave nothing half-grown: a failed write changes no cluster.
        if (chain.length) this.resize(first, chain.length);
        else if (head) this.release(head);
        return c;
      }
      if (!head) head = c;
      last = c;
    }
    return head;
  }

  // ---- directories ----

  /** Byte offsets of a directory's regions (fixed root: one region; else one per cluster) and the region size. */
  private regions(dir: number): { starts: number[]; bytes: number } {
    if (dir === ROOT && this.bpb.type !== 32) {
      return { starts: [this.bpb.rootDirSector * this.bps], bytes: this.bpb.rootDirSectors * this.bps };
    }
    const first = dir === ROOT ? this.bpb.rootCluster : dir;
    return { starts: this.chain(first).map((c) => this.clusterOffset(c)), bytes: this.bpb.clusterBytes };
  }

  /** Every 32-byte slot of a directory, in order. */
  private slots(dir: number): { offsets: number[]; raw: Uint8Array } {
    const { starts, bytes } = this.regions(dir);
    const raw = new Uint8Array(starts.length * bytes);
    const offsets: number[] = [];
    starts.forEach((start, i) => {
      raw.set(this.readBytes(start, bytes), i * bytes);
      for (let o = 0; o < bytes; o += ENTRY_SIZE) offsets.push(start + o);
    });
    return { offsets, raw };
  }

  /** The live names of a directory (no ".", "..", volume label), long names where their checksum holds. */
  private entries(dir: number): Entry[] {
    const cached = this.dirCache.get(dir);
    if (cached && cached.generation === this.generation) return cached.entries;
    const { offsets, raw } = this.slots(dir);
    const out: Entry[] = [];
    let units: number[][] = [];
    let expect = 0, sum = -1, first = -1;
    for (let slot = 0; slot < offsets.length; slot++) {
      const e = raw.subarray(slot * ENTRY_SIZE, (slot + 1) * ENTRY_SIZE);
      if (e[0] === 0) break;
      if (e[0] === DELETED) { expect = 0; units = []; first = -1; continue; }
      if (e[11] === ATTR_LFN) {
        const ordinal = e[0] & 0x3f;
        if (e[0] & 0x40) {
          units = [];
          expect = ordinal;
          sum = e[13];
          first = slot;
        }
        if (ordinal !== expect || e[13] !== sum || ordinal === 0) { expect = 0; units = []; first = -1; continue; }
        units[ordinal - 1] = lfnUnits(e);
        expect--;
        continue;
      }
      const short = e.slice(0, 11);
      const hasLong = expect === 0 && units.length > 0 && sum === lfnChecksum(short) && first >= 0;
      const name = hasLong ? String.fromCharCode(...units.flat()) : unpackShort(short, e[12]);
      units = [];
      const start = hasLong ? first : slot;
      first = -1;
      expect = 0;
      if (e[11] & ATTR_VOLUME_ID) continue;
      if (name === "." || name === "..") continue;
      const v = new DataView(e.buffer, e.byteOffset, ENTRY_SIZE);
      const cluster = this.bpb.type === 32 ? (v.getUint16(20, true) << 16) | v.getUint16(26, true) : v.getUint16(26, true);
      out.push({ name, short, attr: e[11], cluster, size: v.getUint32(28, true), dir, slot, first: start });
    }
    this.dirCache.set(dir, { generation: this.generation, entries: out });
    return out;
  }

  /** Byte offset of a slot of a directory. */
  private slotOffset(dir: number, slot: number): number {
    const { starts, bytes } = this.regions(dir);
    const per = bytes / ENTRY_SIZE;
    return starts[Math.floor(slot / per)] + (slot % per) * ENTRY_SIZE;
  }

  private find(dir: number, name: string): Entry | null {
    const key = name.toUpperCase();
    for (const e of this.entries(dir)) {
      if (e.name.toUpperCase() === key || unpackShort(e.short, 0) === key) return e;
    }
    return null;
  }

  /** A path ("" or "/a/b") to its entry; null is the root directory. */
  private resolve(path: string): Entry | null | number {
    let entry: Entry | null = null;
    for (const name of path.split("/").filter((c) => c.length > 0)) {
      if (entry && !(entry.attr & ATTR_DIRECTORY)) return -E.ENOTDIR;
      const found = this.find(entry ? entry.cluster : ROOT, name);
      if (!found) return -E.ENOENT;
      entry = found;
    }
    return entry;
  }

  /** The directory holding a path's last component and that name; -errno when the parent is missing. */
  private parentOf(path: string): { dir: number; name: string } | number {
    const parts = path.split("/").filter((c) => c.length > 0);
    const name = parts.pop();
    if (name === undefined) return -E.EBUSY;
    const parent = this.resolve(parts.join("/"));
    if (typeof parent === "number") return parent;
    if (parent && !(parent.attr & ATTR_DIRECTORY)) return -E.ENOTDIR;
    return { dir: parent ? parent.cluster : ROOT, name };
  }

  private stampOf(e: Uint8Array, at: number): number {
    return e[at] | (e[at + 1] << 8);
  }

  private shortEntry(entry: Entry): Uint8Array {
    return this.readBytes(this.slotOffset(entry.dir, entry.slot), ENTRY_SIZE);
  }

  private writeShort(entry: Entry, e: Uint8Array): void {
    this.writeBytes(this.slotOffset(entry.dir, entry.slot), e);
  }

  /** A fresh short entry: attribute, first cluster, size, all three times now. */
  private newShort(short: Uint8Array, caseBits: number, attr: number, cluster: number): Uint8Array {
    const e = new Uint8Array(ENTRY_SIZE);
    e.set(short, 0);
    e[11] = attr;
    e[12] = caseBits;
    const now = dosTime(this.nowNs());
    e[13] = now.tenths;
    const v = new DataView(e.buffer);
    v.setUint16(14, now.time, true);
    v.setUint16(16, now.date, true);
    v.setUint16(18, now.date, true);
    v.setUint16(22, now.time, true);
    v.setUint16(24, now.date, true);
    this.setCluster(e, cluster);
    return e;
  }

  private setCluster(e: Uint8Array, cluster: number): void {
    const v = new DataView(e.buffer, e.byteOffset, ENTRY_SIZE);
    v.setUint16(20, this.bpb.type === 32 ? cluster >>> 16 : 0, true);
    v.setUint16(26, cluster & 0xffff, true);
  }

  /** Writes a name's entries (LFN set + short) into free slots, growing the directory when needed; the entry or -errno. */
  private link(dir: number, name: string, shortEntry: (short: Uint8Array, caseBits: number) => Uint8Array): Entry | number {
    if (!validLongName(name)) return -E.EINVAL;
    const existing = this.entries(dir);
    const shorts = new Set(existing.map((e) => String.fromCharCode(...e.short)));
    const { short, caseBits, needsLong } = shortNameFor(name, (s) => shorts.has(String.fromCharCode(...s)));
    const units = utf16Units(name);
    const longCount = needsLong ? Math.ceil(units.length / LFN_CHARS) : 0;
    const need = longCount + 1;
    let { offsets, raw } = this.slots(dir);
    let start = -1;
    for (let slot = 0, run = 0; slot < offsets.length; slot++) {
      const b = raw[slot * ENTRY_SIZE];
      run = b === 0 || b === DELETED ? run + 1 : 0;
      if (run === need) { start = slot - need + 1; break; }
    }
    while (start < 0) {
      if (dir === ROOT && this.bpb.type !== 32) return -E.ENOSPC;
      const chain = this.chain(dir === ROOT ? this.bpb.rootCluster : dir);
      const grown = this.allocate(chain[chain.length - 1]);
      if (grown < 0) return grown;
      ({ offsets, raw } = this.slots(dir));
      for (let slot = offsets.length - 1, run = 0; slot >= 0; slot--) {
        const b = raw[slot * ENTRY_SIZE];
        if (b !== 0 && b !== DELETED) break;
        if (++run >= need) start = slot;
      }
    }
    const checksum = lfnChecksum(short);
    for (let i = 0; i < longCount; i++) {
      const ordinal = longCount - i;
      this.writeBytes(offsets[start + i], lfnEntry(units, ordinal, i === 0, checksum));
    }
    const e = shortEntry(short, caseBits);
    this.writeBytes(offsets[start + longCount], e);
    this.touchDir(dir);
    return this.entries(dir).find((x) => x.slot === start + longCount)!;
  }

  /** Marks a name's entries deleted. */
  private unlinkEntries(entry: Entry): void {
    for (let slot = entry.first; slot <= entry.slot; slot++) {
      this.writeBytes(this.slotOffset(entry.dir, slot), Uint8Array.of(DELETED));
    }
    this.touchDir(entry.dir);
  }

  /** A directory's own modification time follows changes to its names (as Linux vfat does); the root has none. */
  private touchDir(dir: number): void {
    if (dir === ROOT) return;
    const dot = this.slotOffset(dir, 1);
    const dotdot = this.readBytes(dot, ENTRY_SIZE);
    const v = new DataView(dotdot.buffer);
    const parent = this.bpb.type === 32 ? (v.getUint16(20, true) << 16) | v.getUint16(26, true) : v.getUint16(26, true);
    const entry = this.entries(parent).find((e) => e.cluster === dir);
    if (entry) this.stamp(entry, true, true);
  }

  /** Sets modification and/or access time to now. */
  private stamp(entry: Entry, modified: boolean, accessed: boolean): void {
    const e = this.shortEntry(entry);
    const now = dosTime(this.nowNs());
    const v = new DataView(e.buffer);
    if (modified) {
      v.setUint16(22, now.time, true);
      v.setUint16(24, now.date, true);
    }
    if (accessed) v.setUint16(18, now.date, true);
    this.writeShort(entry, e);
  }

  private setSize(entry: Entry, size: number, cluster: number): void {
    const e = this.shortEntry(entry);
    new DataView(e.buffer).setUint32(28, size, true);
    this.setCluster(e, cluster);
    if (entry.attr & ATTR_DIRECTORY) new DataView(e.buffer).setUint32(28, 0, true);
    e[11] |= entry.attr & ATTR_DIRECTORY ? 0 : ATTR_ARCHIVE;
    this.writeShort(entry, e);
    entry.size = size;
    entry.cluster = cluster;
  }

  /** A damaged volume or a failing image reaches the guest as EIO, never as an engine error. */
  private guarded<T>(op: () => T): T | number {
    try {
      return op();
    } catch (error) {
      if (error instanceof FatError) return -E.EIO;
      throw error;
    }
  }

  // ---- HostIo: what the file server reads ----

  lstat(path: string): HostStat | number {
    return this.guarded(() => this.lstatNow(path));
  }

  private lstatNow(path: string): HostStat | number {
    const entry = this.resolve(path);
    if (typeof entry === "number") return entry;
    if (entry === null) return { mode: S_IFDIR | 0o755, size: 0, nlink: this.dirLinks(ROOT), atimeNs: 0, mtimeNs: 0, ctimeNs: 0 };
    const e = this.shortEntry(entry);
    const mtimeNs = unixNs(this.stampOf(e, 24), this.stampOf(e, 22));
    const isDir = (entry.attr & ATTR_DIRECTORY) !== 0;
    const write = entry.attr & ATTR_READ_ONLY ? 0 : 0o200;
    return {
      mode: (isDir ? S_IFDIR : S_IFREG) | 0o555 | write,
      size: isDir ? 0 : entry.size,
      nlink: isDir ? this.dirLinks(entry.cluster) : 1,
      atimeNs: unixNs(this.stampOf(e, 18), 0),
      mtimeNs,
      ctimeNs: mtimeNs,
    };
  }

  /** A directory's link count as Linux's vfat reports it: its name, its ".", and each subdirectory's "..". */
  private dirLinks(dir: number): number {
    return 2 + this.entries(dir).filter((e) => e.attr & ATTR_DIRECTORY).length;
  }

  readdir(path: string): string[] | number {
    return this.guarded(() => this.readdirNow(path));
  }

  private readdirNow(path: string): string[] | number {
    const entry = this.resolve(path);
    if (typeof entry === "number") return entry;
    if (entry && !(entry.attr & ATTR_DIRECTORY)) return -E.ENOTDIR;
    return this.entries(entry ? entry.cluster : ROOT).map((e) => e.name);
  }

  readlink(path: string): string | number {
    return this.guarded(() => this.readlinkNow(path));
  }

  private readlinkNow(path: string): string | number {
    const entry = this.resolve(path);
    return typeof entry === "number" ? entry : -E.EINVAL;
  }

  read(path: string, offset: number, max: number): Uint8Array | number {
    return this.guarded(() => this.readNow(path, offset, max));
  }

  private readNow(path: string, offset: number, max: number): Uint8Array | number {
    const entry = this.resolve(path);
    if (typeof entry === "number") return entry;
    if (!entry || entry.attr & ATTR_DIRECTORY) return -E.EISDIR;
    const end = Math.min(entry.size, offset + max);
    if (offset >= end) return new Uint8Array(0);
    const out = new Uint8Array(end - offset);
    const cb = this.bpb.clusterBytes;
    const chain = this.chain(entry.cluster);
    for (let at = offset; at < end;) {
      const index = Math.floor(at / cb);
      if (index >= chain.length) return -E.EIO;
      const within = at % cb;
      const n = Math.min(cb - within, end - at);
      out.set(this.readBytes(this.clusterOffset(chain[index]) + within, n), at - offset);
      at += n;
    }
    return out;
  }

  // ---- MountWriter: what the file server changes (only with --disk-writable) ----

  create(path: string): number {
    return this.guarded(() => this.createNow(path));
  }

  private createNow(path: string): number {
    const where = this.parentOf(path);
    if (typeof where === "number") return where;
    if (this.find(where.dir, where.name)) return -E.EEXIST;
    const made = this.link(where.dir, where.name, (short, caseBits) => this.newShort(short, caseBits, ATTR_ARCHIVE, 0));
    return typeof made === "number" ? made : 0;
  }

  mkdir(path: string): number {
    return this.guarded(() => this.mkdirNow(path));
  }

  private mkdirNow(path: string): number {
    const where = this.parentOf(path);
    if (typeof where === "number") return where;
    if (this.find(where.dir, where.name)) return -E.EEXIST;
    const cluster = this.allocate(0);
    if (cluster < 0) return cluster;
    const dot = this.newShort(packShort(".", ""), 0, ATTR_DIRECTORY, cluster);
    const dotdot = this.newShort(packShort("..", ""), 0, ATTR_DIRECTORY, where.dir);
    this.writeBytes(this.clusterOffset(cluster), dot);
    this.writeBytes(this.clusterOffset(cluster) + ENTRY_SIZE, dotdot);
    const made = this.link(where.dir, where.name, (short, caseBits) => this.newShort(short, caseBits, ATTR_DIRECTORY, cluster));
    if (typeof made === "number") {
      this.release(cluster);
      return made;
    }
    return 0;
  }

  private regularFile(path: string): Entry | number {
    const entry = this.resolve(path);
    if (typeof entry === "number") return entry;
    if (!entry || entry.attr & ATTR_DIRECTORY) return -E.EISDIR;
    return entry;
  }

  write(path: string, offset: number, bytes: Uint8Array): number {
    return this.guarded(() => this.writeNow(path, offset, bytes));
  }

  private writeNow(path: string, offset: number, bytes: Uint8Array): number {
    const entry = this.regularFile(path);
    if (typeof entry === "number") return entry;
    const end = offset + bytes.length;
    if (end > 0xffffffff) return -E.EFBIG;
    if (bytes.length === 0) return 0;
    const cb = this.bpb.clusterBytes;
    if (end > entry.size) {
      const grown = this.grow(entry, end);
      if (grown < 0) return grown;
    }
    const chain = this.chain(entry.cluster);
    for (let at = offset; at < end;) {
      const within = at % cb;
      const n = Math.min(cb - within, end - at);
      this.writeBytes(this.clusterOffset(chain[Math.floor(at / cb)]) + within, bytes.subarray(at - offset, at - offset + n));
      at += n;
    }
    this.stamp(entry, true, true);
    return bytes.length;
  }

  /** Extends a file to `size`: new clusters come zeroed, and the old last cluster's tail is cleared (a gap reads zeros). */
  private grow(entry: Entry, size: number): number {
    const cb = this.bpb.clusterBytes;
    const head = this.resize(entry.cluster, Math.ceil(size / cb));
    if (head < 0) return head;
    if (entry.size % cb !== 0 && entry.cluster) {
      const chain = this.chain(head);
      const last = chain[Math.floor(entry.size / cb)];
      this.writeBytes(this.clusterOffset(last) + (entry.size % cb), new Uint8Array(cb - (entry.size % cb)));
    }
    this.setSize(entry, size, head);
    return 0;
  }

  truncate(path: string, length: number): number {
    return this.guarded(() => this.truncateNow(path, length));
  }

  private truncateNow(path: string, length: number): number {
    const entry = this.regularFile(path);
    if (typeof entry === "number") return entry;
    if (length > 0xffffffff) return -E.EFBIG;
    if (length > entry.size) {
      const grown = this.grow(entry, length);
      if (grown < 0) return grown;
    } else if (length < entry.size) {
      this.setSize(entry, length, this.resize(entry.cluster, Math.ceil(length / this.bpb.clusterBytes)));
    }
    this.stamp(entry, true, false);
    return 0;
  }

  unlink(path: string): number {
    return this.guarded(() => this.unlinkNow(path));
  }

  private unlinkNow(path: string): number {
    const entry = this.regularFile(path);
    if (typeof entry === "number") return entry;
    this.unlinkEntries(entry);
    this.release(entry.cluster);
    return 0;
  }

  rmdir(path: string): number {
    return this.guarded(() => this.rmdirNow(path));
  }

  private rmdirNow(path: string): number {
    const entry = this.resolve(path);
    if (typeof entry === "number") return entry;
    if (!entry) return -E.EBUSY;
    if (!(entry.attr & ATTR_DIRECTORY)) return -E.ENOTDIR;
    if (this.entries(entry.cluster).length > 0) return -E.ENOTEMPTY;
    this.unlinkEntries(entry);
    this.release(entry.cluster);
    return 0;
  }

  /** rename(2) within the volume: a file replaces a file, a directory an empty directory. */
  rename(from: string, to: string): number {
    return this.guarded(() => this.renameNow(from, to));
  }

  private renameNow(from: string, to: string): number {
    const entry = this.resolve(from);
    if (typeof entry === "number") return entry;
    if (!entry) return -E.EBUSY;
    const where = this.parentOf(to);
    if (typeof where === "number") return where;
    const isDir = (entry.attr & ATTR_DIRECTORY) !== 0;
    for (let d = where.dir; isDir && d !== ROOT;) {
      if (d === entry.cluster) return -E.EINVAL;
      const dotdot = this.readBytes(this.slotOffset(d, 1), ENTRY_SIZE);
      const v = new DataView(dotdot.buffer);
      d = this.bpb.type === 32 ? (v.getUint16(20, true) << 16) | v.getUint16(26, true) : v.getUint16(26, true);
    }
    const target = this.find(where.dir, where.name);
    if (target && target.dir === entry.dir && target.slot === entry.slot) {
      if (target.name === where.name) return 0;
    } else if (target) {
      const targetDir = (target.attr & ATTR_DIRECTORY) !== 0;
      if (isDir && !targetDir) return -E.ENOTDIR;
      if (!isDir && targetDir) return -E.EISDIR;
      const gone = targetDir ? this.rmdir(to) : this.unlink(to);
      if (gone < 0) return gone;
    }
    const old = this.shortEntry(entry);
    this.unlinkEntries(entry);
    const made = this.link(where.dir, where.name, (short, caseBits) => {
      const e = old.slice();
      e.set(short, 0);
      e[12] = caseBits;
      return e;
    });
    if (typeof made === "number") {
      this.link(entry.dir, entry.name, (short, caseBits) => (old.set(short, 0), (old[12] = caseBits), old));
      return made;
    }
    if (isDir && where.dir !== entry.dir) {
      const dotdot = this.clusterOffset(entry.cluster) + ENTRY_SIZE;
      const e = this.readBytes(dotdot, ENTRY_SIZE);
      this.setCluster(e, where.dir);
      this.writeBytes(dotdot, e);
    }
    return 0;
  }

  setTimes(path: string, atimeNs: number, mtimeNs: number): number {
    return this.guarded(() => this.setTimesNow(path, atimeNs, mtimeNs));
  }

  private setTimesNow(path: string, atimeNs: number, mtimeNs: number): number {
    const entry = this.resolve(path);
    if (typeof entry === "number") return entry;
    if (!entry) return 0;
    const e = this.shortEntry(entry);
    const v = new DataView(e.buffer);
    if (mtimeNs >= 0) {
      const t = dosTime(mtimeNs);
      v.setUint16(22, t.time, true);
      v.setUint16(24, t.date, true);
    }
    if (atimeNs >= 0) v.setUint16(18, dosTime(atimeNs).date, true);
    this.writeShort(entry, e);
    return 0;
  }

  /** chmod: FAT keeps only "read-only" (no write bit for anyone), as Linux vfat maps it. */
  chmod(path: string, mode: number): number {
    return this.guarded(() => this.chmodNow(path, mode));
  }

  private chmodNow(path: string, mode: number): number {
    const entry = this.resolve(path);
    if (typeof entry === "number") return entry;
    if (!entry) return -E.EPERM;
    const e = this.shortEntry(entry);
    e[11] = mode & 0o222 ? e[11] & ~ATTR_READ_ONLY : e[11] | ATTR_READ_ONLY;
    this.writeShort(entry, e);
    return 0;
  }

  /** Commits every changed sector to the image at once (close, fsync, exit). */
  sync(): void {
    if (this.dirty.size === 0) return;
    const lbas = [...this.dirty].sort((a, b) => a - b);
    this.disk.commit(lbas.map((lba) => ({ lba, bytes: this.cache.get(lba)! })));
    this.stats.sectorsWritten += lbas.length;
    this.stats.commits++;
    this.dirty.clear();
  }
}
