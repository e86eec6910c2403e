// FAT on-disk layout: the BIOS parameter block, 8.3 and long-name (VFAT LFN) directory entries, and DOS timestamps.
// Pure functions over bytes, so the volume logic reads as cluster chains and entries, not offsets.

export class FatError extends Error {}

export const ATTR_READ_ONLY = 0x01;
export const ATTR_HIDDEN = 0x02;
export const ATTR_SYSTEM = 0x04;
export const ATTR_VOLUME_ID = 0x08;
export const ATTR_DIRECTORY = 0x10;
export const ATTR_ARCHIVE = 0x20;
export const ATTR_LFN = 0x0f;
/** NTRes case bits (Windows NT, mtools, Linux): the 8.3 base / extension is shown in lower case. */
export const CASE_LOWER_BASE = 0x08;
export const CASE_LOWER_EXT = 0x10;
export const ENTRY_SIZE = 32;
export const DELETED = 0xe5;
/** Characters of one LFN entry. */
export const LFN_CHARS = 13;

export interface Bpb {
  type: 12 | 16 | 32;
  bytesPerSector: number;
  sectorsPerCluster: number;
  reservedSectors: number;
  fats: number;
  rootEntries: number;
  totalSectors: number;
  fatSectors: number;
  /** FAT32: the root directory's first cluster; FAT12/16: 0 (the root is a fixed region). */
  rootCluster: number;
  /** FAT32: the FSInfo sector (free-count hint), else 0. */
  fsInfoSector: number;
  rootDirSector: number;
  rootDirSectors: number;
  firstDataSector: number;
  /** Data clusters, numbered 2 .. clusters + 1. */
  clusters: number;
  clusterBytes: number;
}

/** Reads the boot sector; a clear FatError for anything that is not a FAT12/16/32 volume this driver handles. */
export function parseBpb(boot: Uint8Array): Bpb {
  if (boot.length < 512) throw new FatError("image is smaller than one sector");
  const v = new DataView(boot.buffer, boot.byteOffset, boot.byteLength);
  if (v.getUint16(510, true) !== 0xaa55) throw new FatError("no FAT boot sector (signature 55 aa missing)");
  const bytesPerSector = v.getUint16(11, true);
  const sectorsPerCluster = boot[13];
  const reservedSectors = v.getUint16(14, true);
  const fats = boot[16];
  const rootEntries = v.getUint16(17, true);
  const totalSectors = v.getUint16(19, true) || v.getUint32(32, true);
  const fatSectors = v.getUint16(22, true) || v.getUint32(36, true);
  if (bytesPerSector !== 512) throw new FatError(`sector size ${bytesPerSector} (only 512-byte sectors are supported)`);
  if (sectorsPerCluster === 0 || (sectorsPerCluster & (sectorsPerCluster - 1)) !== 0) throw new FatError(`bad sectors per cluster ${sectorsPerCluster}`);
  if (reservedSectors === 0 || fats === 0 || fatSectors === 0 || totalSectors === 0) throw new FatError("boot sector describes no FAT volume");
  const rootDirSectors = Math.ceil((rootEntries * ENTRY_SIZE) / bytesPerSector);
  const rootDirSector = reservedSectors + fats * fatSectors;
  const firstDataSector = rootDirSector + rootDirSectors;
  if (firstDataSector >= totalSectors) throw new FatError("boot sector leaves no data area");
  const clusters = Math.floor((totalSectors - firstDataSector) / sectorsPerCluster);
  // Microsoft's rule: the type follows from the cluster count alone.
  const type = clusters < 4085 ? 12 : clusters < 65525 ? 16 : 32;
  if (type === 32 && rootEntries !== 0) throw new FatError("FAT32 volume with a fixed root directory");
  const rootCluster = type === 32 ? v.getUint32(44, true) : 0;
  if (type === 32 && (rootCluster < 2 || rootCluster > clusters + 1)) throw new FatError(`bad root cluster ${rootCluster}`);
  const fatBytesNeeded = type === 12 ? Math.ceil(((clusters + 2) * 3) / 2) : (clusters + 2) * (type / 8);
  if (fatSectors * bytesPerSector < fatBytesNeeded) throw new FatError("FAT too small for the cluster count");
  return {
    type, bytesPerSector, sectorsPerCluster, reservedSectors, fats, rootEntries, totalSectors, fatSectors, rootCluster,
    fsInfoSector: type === 32 ? v.getUint16(48, true) : 0, rootDirSector, rootDirSectors, firstDataSector, clusters,
    clusterBytes: sectorsPerCluster * bytesPerSector,
  };
}

/** The end-of-chain mark a new last cluster gets (what mkfs.fat and Linux write). */
export function chainEnd(type: 12 | 16 | 32): number {
  return type === 12 ? 0xfff : type === 16 ? 0xffff : 0x0fffffff;
}

/** The LFN checksum of an 11-byte short name (stored in every LFN entry of the set). */
export function lfnChecksum(short: Uint8Array): number {
  let sum = 0;
  for (let i = 0; i < 11; i++) sum = (((sum & 1) << 7) + (sum >> 1) + short[i]) & 0xff;
  return sum;
}

/** Where the 13 UTF-16 units of an LFN entry sit. */
export const LFN_OFFSETS = [1, 3, 5, 7, 9, 14, 16, 18, 20, 22, 24, 28, 30];

/** One LFN entry (ordinal 1-based; `last` marks the highest). */
export function lfnEntry(units: number[], ordinal: number, last: boolean, checksum: number): Uint8Array {
  const e = new Uint8Array(ENTRY_SIZE);
  e[0] = ordinal | (last ? 0x40 : 0);
  e[11] = ATTR_LFN;
  e[13] = checksum;
  for (let i = 0; i < LFN_CHARS; i++) {
    const at = (ordinal - 1) * LFN_CHARS + i;
    const unit = at < units.length ? units[at] : at === units.length ? 0 : 0xffff;
    e[LFN_OFFSETS[i]] = unit & 0xff;
    e[LFN_OFFSETS[i] + 1] = unit >> 8;
  }
  return e;
}

/** The units an LFN entry holds, up to its terminator. */
export function lfnUnits(e: Uint8Array): number[] {
  const out: number[] = [];
  for (const o of LFN_OFFSETS) {
    const unit = e[o] | (e[o + 1] << 8);
    if (unit === 0) break;
    out.push(unit);
  }
  return out;
}

/** Characters never allowed in a long name (Linux vfat_bad_char). */
const BAD_LONG = /["*/:<>?\\|\x00-\x1f]/;
/** Characters a short name may hold besides A–Z and 0–9 (bytes ≥ 0x80 also pass). */
const SHORT_EXTRA = "!#$%&'()-@^_`{}~";

export function validLongName(name: string): boolean {
  return name.length > 0 && name.length <= 255 && !BAD_LONG.test(name) && name !== "." && name !== "..";
}

function shortChar(c: string): boolean {
  return (c >= "A" && c <= "Z") || (c >= "0" && c <= "9") || SHORT_EXTRA.includes(c);
}

/** An 11-byte short name from base and extension (space padded). */
export function packShort(base: string, ext: string): Uint8Array {
  const out = new Uint8Array(11).fill(0x20);
  for (let i = 0; i < base.length; i++) out[i] = base.charCodeAt(i);
  for (let i = 0; i < ext.length; i++) out[8 + i] = ext.charCodeAt(i);
  if (out[0] === DELETED) out[0] = 0x05;
  return out;
}

/** "README.TXT" from the 11 stored bytes, lower-cased per the case bits. */
export function unpackShort(short: Uint8Array, caseBits: number): string {
  const text = (from: number, to: number) => {
    let s = "";
    for (let i = from; i < to; i++) s += String.fromCharCode(i === 0 && short[i] === 0x05 ? DELETED : short[i]);
    return s.replace(/ +$/, "");
  };
  let base = text(0, 8);
  let ext = text(8, 11);
  if (caseBits & CASE_LOWER_BASE) base = base.toLowerCase();
  if (caseBits & CASE_LOWER_EXT) ext = ext.toLowerCase();
  return ext ? `${base}.${ext}` : base;
}

/**
 * The entry a name needs: an exact 8.3 name (upper case, or all lower case kept by the case bits) needs no long name;
 * anything else gets a basis name with a numeric tail chosen by `taken`.
 */
export function shortNameFor(name: string, taken: (short: Uint8Array) => boolean): { short: Uint8Array; caseBits: number; needsLong: boolean } {
  const m = /^([^.]{1,8})(?:\.([^.]{1,3}))?$/.exec(name);
  if (m) {
    const base = m[1], ext = m[2] ?? "";
    const upperBase = base.toUpperCase(), upperExt = ext.toUpperCase();
    const fits = [...upperBase + upperExt].every(shortChar);
    const caseOf = (s: string) => (s === s.toUpperCase() ? 0 : s === s.toLowerCase() ? 1 : 2);
    if (fits && caseOf(base) < 2 && caseOf(ext) < 2) {
      const short = packShort(upperBase, upperExt);
      if (!taken(short)) {
        return { short, caseBits: (caseOf(base) ? CASE_LOWER_BASE : 0) | (caseOf(ext) ? CASE_LOWER_EXT : 0), needsLong: false };
      }
    }
  }
  const clean = (s: string) => [...s.toUpperCase().replace(/[ ]/g, "")].map((c) => (shortChar(c) ? c : "_")).join("");
  const stripped = name.replace(/^\.+/, "");
  const dot = stripped.lastIndexOf(".");
  const base = clean(dot > 0 ? stripped.slice(0, dot) : stripped).replace(/\./g, "") || "_";
  const ext = dot > 0 ? clean(stripped.slice(dot + 1)).slice(0, 3) : "";
  for (let n = 1; n < 1000000; n++) {
    const tail = `~${n}`;
    const short = packShort(base.slice(0, 8 - tail.length) + tail, ext);
    if (!taken(short)) return { short, caseBits: 0, needsLong: true };
  }
  throw new FatError(`no free short name for ${name}`);
}

/** UTF-16 units of a name, as LFN entries store them. */
export function utf16Units(name: string): number[] {
  const out: number[] = [];
  for (let i = 0; i < name.length; i++) out.push(name.charCodeAt(i));
  return out;
}

/** DOS date and time (2-second resolution) of a Unix time in ns, taken as UTC; clamped to 1980 … 2107. */
export function dosTime(ns: number): { date: number; time: number; tenths: number } {
  const ms = Math.min(Math.max(ns / 1e6, Date.UTC(1980, 0, 1)), Date.UTC(2107, 11, 31, 23, 59, 58));
  const d = new Date(ms);
  const date = ((d.getUTCFullYear() - 1980) << 9) | ((d.getUTCMonth() + 1) << 5) | d.getUTCDate();
  const time = (d.getUTCHours() << 11) | (d.getUTCMinutes() << 5) | (d.getUTCSeconds() >> 1);
  const tenths = (d.getUTCSeconds() & 1) * 100 + Math.floor(d.getUTCMilliseconds() / 10);
  return { date, time, tenths };
}

/** The inverse of dosTime; a zero date (never set) reads as 1980-01-01. */
export function unixNs(date: number, time: number, tenths = 0): number {
  if (date === 0) return Date.UTC(1980, 0, 1) * 1e6;
  const ms = Date.UTC(1980 + (date >> 9), ((date >> 5) & 15) - 1, date & 31, time >> 11, (time >> 5) & 63, (time & 31) * 2);
  return (ms + Math.min(tenths, 199) * 10) * 1e6;
}
