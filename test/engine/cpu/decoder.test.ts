// The decoder against iced-x86: every instruction of the prebuilt musl guests' code sections must decode
// (no #UD) to the same length iced reports. Busybox (if present) is checked for lengths of what we decode.

import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { Code, Decoder, DecoderOptions, EncodingKind, Formatter, FormatterSyntax } from "iced-x86";
import { CodeBuffer, decode, rowOf } from "../../../engine/cpu/decoder.ts";
import { U } from "../../../engine/cpu/table.ts";

const GUESTS = new URL("../../../engine/guests/bin/", import.meta.url);

/** Executable sections (SHF_EXECINSTR) of an ELF64: [address, bytes]. */
function codeSections(elf: Uint8Array): [number, Uint8Array][] {
  const v = new DataView(elf.buffer, elf.byteOffset, elf.byteLength);
  const shoff = Number(v.getBigUint64(0x28, true));
  const shentsize = v.getUint16(0x3a, true), shnum = v.getUint16(0x3c, true);
  const out: [number, Uint8Array][] = [];
  for (let k = 0; k < shnum; k++) {
    const h = shoff + k * shentsize;
    const type = v.getUint32(h + 4, true);
    const flags = Number(v.getBigUint64(h + 8, true));
    if (type !== 1 || (flags & 4) === 0) continue;
    const addr = Number(v.getBigUint64(h + 0x10, true));
    const off = Number(v.getBigUint64(h + 0x18, true)), size = Number(v.getBigUint64(h + 0x20, true));
    out.push([addr, elf.subarray(off, off + size)]);
  }
  return out;
}

interface Check {
  instructions: number;
  mismatches: string[];
  unsupported: Map<string, number>;
}

/** Legacy-encoded extensions CPUID does not advertise (XSAVE, TSX, RDRAND/RDSEED); glibc and libstdc++ carry them, and VEX/EVEX code, behind CPUID checks. */
const NOT_ADVERTISED = new Set(["xgetbv", "xsave", "xsavec", "xrstor", "xbegin", "xend", "xabort", "xtest", "rdrand", "rdseed"]);

function crossCheck(elf: Uint8Array): Check {
  const result: Check = { instructions: 0, mismatches: [], unsupported: new Map() };
  const slots = new CodeBuffer(1);
  const formatter = new Formatter(FormatterSyntax.Intel);
  for (const [addr, bytes] of codeSections(elf)) {
    const decoder = new Decoder(64, bytes, DecoderOptions.None);
    decoder.ip = BigInt(addr);
    let pos = 0;
    while (decoder.canDecode) {
      const instr = decoder.decode();
      const len = instr.length;
      if (instr.code !== Code.INVALID) {
        result.instructions++;
        const ours = decode(bytes, pos, bytes.length - pos, addr + pos, slots, 0);
        const text = formatter.format(instr);
        if (slots.op[0] === U.UD && rowOf(slots, 0) === undefined) {
          const key = text.split(" ")[0];
          if (instr.encoding === EncodingKind.Legacy && !NOT_ADVERTISED.has(key)) result.unsupported.set(key, (result.unsupported.get(key) ?? 0) + 1);
        } else if (ours !== len) {
          result.mismatches.push(`0x${(addr + pos).toString(16)} ${text}: iced ${len}, ours ${ours}`);
        }
      }
      instr.free();
      pos += len;
    }
    decoder.free();
  }
  formatter.free();
  return result;
}

const guests = existsSync(GUESTS) ? readdirSync(GUESTS).filter((n) => !n.includes(".")) : [];

test("prebuilt musl guests are present", () => {
  assert.ok(guests.length >= 4, `expected guests in ${GUESTS.pathname}`);
});

for (const name of guests) {
  test(`decoder matches iced-x86 lengths and supports every instruction of ${name}`, () => {
    const r = crossCheck(readFileSync(new URL(name, GUESTS)));
    assert.ok(r.instructions > 1000);
    assert.deepEqual(r.mismatches.slice(0, 10), []);
    assert.deepEqual([...r.unsupported.entries()], []);
  });
}

test("decoder lengths match iced-x86 on busybox (instructions it supports)", { skip: !existsSync("/bin/busybox") && "no /bin/busybox" }, () => {
  const r = crossCheck(readFileSync("/bin/busybox"));
  assert.ok(r.instructions > 100000);
  assert.deepEqual(r.mismatches.slice(0, 10), []);
});
