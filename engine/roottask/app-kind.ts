// Which personality an ELF wants: the SDK marks native and hybrid apps with a section `.hedron.kind` ("native" /
// "hybrid"); anything else is a plain Linux program (foreign). Read from section headers, which `strip` keeps for SHF_ALLOC.

import type { AppKind } from "./process.ts";

export const KIND_SECTION = ".hedron.kind";

/** The kind an ELF64 image declares; "foreign" when it declares none (or is no readable ELF64). */
export function appKind(elf: Uint8Array): AppKind {
  if (elf.length < 64 || elf[0] !== 0x7f || elf[1] !== 0x45 || elf[2] !== 0x4c || elf[3] !== 0x46 || elf[4] !== 2) return "foreign";
  const view = new DataView(elf.buffer, elf.byteOffset, elf.byteLength);
  const shoff = Number(view.getBigUint64(0x28, true));
  const shentsize = view.getUint16(0x3a, true);
  const shnum = view.getUint16(0x3c, true);
  const shstrndx = view.getUint16(0x3e, true);
  if (shoff === 0 || shentsize < 64 || shstrndx >= shnum || shoff + shnum * shentsize > elf.length) return "foreign";
  const section = (i: number) => {
    const at = shoff + i * shentsize;
    return { name: view.getUint32(at, true), offset: Number(view.getBigUint64(at + 0x18, true)), size: Number(view.getBigUint64(at + 0x20, true)) };
  };
  const strtab = section(shstrndx);
  const cstring = (at: number, end: number) => {
    let stop = at;
    while (stop < end && elf[stop] !== 0) stop++;
    return new TextDecoder().decode(elf.subarray(at, stop));
  };
  for (let i = 0; i < shnum; i++) {
    const s = section(i);
    if (strtab.offset + s.name >= elf.length) continue;
    if (cstring(strtab.offset + s.name, Math.min(elf.length, strtab.offset + strtab.size)) !== KIND_SECTION) continue;
    const kind = cstring(s.offset, Math.min(elf.length, s.offset + s.size));
    return kind === "native" || kind === "hybrid" ? kind : "foreign";
  }
  return "foreign";
}
