// Decoder cross-check against iced-x86: random byte strings biased towards valid encodings (prefixes, REX, the four
// opcode maps, random ModRM/SIB/displacement/immediate bytes) and every instruction of the committed guests.

import { readdirSync, readFileSync } from "node:fs";
import { Code, Decoder, DecoderOptions } from "iced-x86";
import { supportedLength } from "../../../engine/cpu/decode-check.ts";

const STRIDE = 16;
const PREFIXES = [0x66, 0x67, 0xf2, 0xf3, 0xf0, 0x2e, 0x3e, 0x26, 0x36, 0x64, 0x65];

/** xorshift32: a seed reproduces the strings. */
function prng(seed: number): () => number {
  let s = seed | 0 || 1;
  return () => {
    s ^= s << 13; s ^= s >>> 17; s ^= s << 5;
    return s >>> 0;
  };
}

/** `count` random instruction strings of STRIDE bytes each, concatenated. */
export function randomStrings(count: number, seed: number): Uint8Array {
  const next = prng(seed);
  const out = new Uint8Array(count * STRIDE);
  for (let k = 0; k < count; k++) {
    const o = k * STRIDE;
    let p = o;
    const r = next();
    const npfx = r % 8 < 4 ? 0 : r % 8 < 6 ? 1 : r % 8 < 7 ? 2 : 3;
    for (let j = 0; j < npfx; j++) out[p++] = PREFIXES[next() % PREFIXES.length];
    if ((r >>> 3) % 2) out[p++] = 0x40 | (next() & 15);
    const map = (r >>> 4) % 10;
    if (map >= 6) {
      out[p++] = 0x0f;
      if (map === 9) out[p++] = (r >>> 8) & 1 ? 0x38 : 0x3a;
    }
    while (p < o + STRIDE) out[p++] = next() & 0xff;
  }
  return out;
}

export interface DecoderReport {
  checked: number;
  supported: number;
  mismatches: string[];
}

/** Compares length and validity at each start offset (every STRIDE bytes of `bytes`, or each instruction when `sequential`). */
export function crossCheck(bytes: Uint8Array, sequential: boolean, report: DecoderReport): void {
  const decoder = new Decoder(64, bytes, DecoderOptions.None);
  let pos = 0;
  while (pos < bytes.length) {
    decoder.position = pos;
    decoder.ip = BigInt(0x1000 + pos);
    const instr = decoder.decode();
    const icedValid = instr.code !== Code.INVALID;
    const icedLen = instr.length;
    instr.free();
    const avail = sequential ? bytes.length - pos : STRIDE;
    const ours = supportedLength(bytes, pos, avail);
    report.checked++;
    if (ours > 0) {
      report.supported++;
      if (!icedValid || icedLen !== ours) {
        if (report.mismatches.length < 5000) {
          const hex = Buffer.from(bytes.subarray(pos, pos + Math.max(ours, icedLen, 1))).toString("hex");
          report.mismatches.push(`${hex}: engine length ${ours}, iced ${icedValid ? "length " + icedLen : "invalid"}`);
        }
      }
    }
    pos += sequential ? Math.max(icedLen, 1) : STRIDE;
  }
}

/** Executable sections of an ELF64 (SHF_EXECINSTR). */
export function codeSections(elf: Uint8Array): Uint8Array[] {
  const v = new DataView(elf.buffer, elf.byteOffset, elf.byteLength);
  const shoff = Number(v.getBigUint64(0x28, true));
  const shentsize = v.getUint16(0x3a, true), shnum = v.getUint16(0x3c, true);
  const out: Uint8Array[] = [];
  for (let k = 0; k < shnum; k++) {
    const h = shoff + k * shentsize;
    if (v.getUint32(h + 4, true) !== 1 || (Number(v.getBigUint64(h + 8, true)) & 4) === 0) continue;
    const off = Number(v.getBigUint64(h + 0x18, true)), size = Number(v.getBigUint64(h + 0x20, true));
    out.push(elf.subarray(off, off + size));
  }
  return out;
}

/** Every instruction of every committed guest binary. */
export function checkGuests(report: DecoderReport): void {
  const dir = new URL("../../../engine/guests/bin/", import.meta.url);
  for (const name of readdirSync(dir).sort()) {
    const elf = new Uint8Array(readFileSync(new URL(name, dir)));
    if (elf[0] !== 0x7f || elf[1] !== 0x45) continue;
    for (const code of codeSections(elf)) crossCheck(code, true, report);
  }
}

/** `count` random strings from `seed`. */
export function checkRandom(count: number, seed: number, report: DecoderReport): void {
  const chunk = 100000;
  for (let done = 0; done < count; done += chunk) crossCheck(randomStrings(Math.min(chunk, count - done), seed + done), false, report);
}
