// A minimal ustar reader and writer for the `userland` boot module (regular files only, as the seed's archive).
// Names up to 255 bytes use ustar's prefix field; anything else in an archive is an error, not skipped silently.

const BLOCK = 512;

export interface TarEntry {
  name: string;
  data: Uint8Array;
  mode: number;
}

export class TarError extends Error {}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

function putString(block: Uint8Array, at: number, len: number, text: string): void {
  const bytes = encoder.encode(text);
  if (bytes.length > len) throw new TarError(`tar: '${text}' does not fit a ${len}-byte field`);
  block.set(bytes, at);
}

function putOctal(block: Uint8Array, at: number, len: number, value: number): void {
  putString(block, at, len, value.toString(8).padStart(len - 1, "0"));
}

function getString(block: Uint8Array, at: number, len: number): string {
  const field = block.subarray(at, at + len);
  const end = field.indexOf(0);
  return decoder.decode(end < 0 ? field : field.subarray(0, end));
}

function getOctal(block: Uint8Array, at: number, len: number): number {
  const text = getString(block, at, len).trim();
  if (!/^[0-7]*$/.test(text)) throw new TarError(`tar: bad octal field '${text}'`);
  return text ? parseInt(text, 8) : 0;
}

function checksum(block: Uint8Array): number {
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 0x20 : block[i];
  return sum;
}

export function writeTar(entries: TarEntry[]): Uint8Array {
  const size = entries.reduce((n, e) => n + BLOCK + Math.ceil(e.data.length / BLOCK) * BLOCK, 2 * BLOCK);
  const out = new Uint8Array(size);
  let at = 0;
  for (const e of entries) {
    const header = out.subarray(at, at + BLOCK);
    const nameBytes = encoder.encode(e.name).length;
    if (nameBytes > 100) {
      const cut = e.name.lastIndexOf("/", e.name.length - 1 - Math.max(0, nameBytes - 101));
      if (cut <= 0) throw new TarError(`tar: name '${e.name}' is too long`);
      putString(header, 0, 100, e.name.slice(cut + 1));
      putString(header, 345, 155, e.name.slice(0, cut));
    } else {
      putString(header, 0, 100, e.name);
    }
    putOctal(header, 100, 8, e.mode);
    putOctal(header, 108, 8, 0);
    putOctal(header, 116, 8, 0);
    putOctal(header, 124, 12, e.data.length);
    putOctal(header, 136, 12, 0);
    header[156] = 0x30; // '0': regular file
    putString(header, 257, 6, "ustar");
    putString(header, 263, 2, "00");
    putOctal(header, 148, 7, checksum(header));
    out.set(e.data, at + BLOCK);
    at += BLOCK + Math.ceil(e.data.length / BLOCK) * BLOCK;
  }
  return out;
}

export function readTar(bytes: Uint8Array): TarEntry[] {
  const entries: TarEntry[] = [];
  let at = 0;
  while (at + BLOCK <= bytes.length) {
    const header = bytes.subarray(at, at + BLOCK);
    if (header.every((b) => b === 0)) break;
    if (getOctal(header, 148, 8) !== checksum(header)) throw new TarError(`tar: header checksum mismatch at offset ${at}`);
    const prefix = getString(header, 345, 155);
    const name = (prefix ? prefix + "/" : "") + getString(header, 0, 100);
    const size = getOctal(header, 124, 12);
    const type = header[156];
    if (type !== 0x30 && type !== 0) throw new TarError(`tar: entry '${name}' is not a regular file (type '${String.fromCharCode(type)}')`);
    if (at + BLOCK + size > bytes.length) throw new TarError(`tar: entry '${name}' is truncated`);
    entries.push({ name, data: bytes.slice(at + BLOCK, at + BLOCK + size), mode: getOctal(header, 100, 8) });
    at += BLOCK + Math.ceil(size / BLOCK) * BLOCK;
  }
  return entries;
}
