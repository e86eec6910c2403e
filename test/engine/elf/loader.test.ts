import assert from "node:assert/strict";
import fs from "node:fs";
import { describe, it } from "node:test";
import { ElfError, parseElf } from "../../../engine/elf/elf.ts";
import { AT_ENTRY, AT_EXECFN, AT_NULL, AT_PAGESZ, AT_PHDR, AT_PHNUM, AT_RANDOM, loadElf, PIE_BASE } from "../../../engine/elf/loader.ts";
import { AddressSpace, PERM_R, PERM_W, PERM_X } from "../../../engine/memory/address-space.ts";
import { FramePool } from "../../../engine/memory/frames.ts";
import { tinyElf, TINY_BASE } from "../../helpers/tiny-elf.ts";

const guest = (name: string) => new Uint8Array(fs.readFileSync(new URL(`../../../engine/guests/bin/${name}`, import.meta.url)));
const random16 = Uint8Array.from({ length: 16 }, (_, i) => i * 17);

function load(bytes: Uint8Array, argv = ["/bin/hello", "one"], envp = ["A=1", "B=two"]) {
  const space = new AddressSpace(new FramePool(64));
  const image = parseElf(bytes);
  const loaded = loadElf(image, space, { argv, envp, execfn: argv[0], random16, hwcap: 0x178bfbff });
  return { space, image, loaded };
}

function readAuxv(space: AddressSpace, rsp: number) {
  const argc = space.readU64(rsp);
  let at = rsp + 8 + (argc + 1) * 8;
  while (space.readU64(at) !== 0) at += 8;
  at += 8;
  const auxv = new Map<number, number>();
  for (;;) {
    const key = space.readU64(at);
    auxv.set(key, space.readU64(at + 8));
    at += 16;
    if (key === AT_NULL) return auxv;
  }
}

describe("ELF parsing", () => {
  it("accepts a static musl executable", () => {
    const image = parseElf(guest("hello"));
    assert.equal(image.pie, false);
    assert.ok(image.entry >= 0x400000);
  });
  it("accepts a static-PIE executable", () => {
    assert.equal(parseElf(guest("hello-pie")).pie, true);
  });
  const rejects = (bytes: Uint8Array, message: RegExp) => assert.throws(() => parseElf(bytes), (e: unknown) => e instanceof ElfError && message.test(e.message));
  it("rejects a file without the ELF magic", () => rejects(new TextEncoder().encode("#!/bin/sh\necho hi\n"), /not an ELF file/));
  it("rejects a 32-bit ELF", () => rejects(tinyElf([0xc3], { elfClass: 1 }), /32-bit ELF/));
  it("rejects a dynamically linked ELF", () => rejects(tinyElf([0xc3], { interp: true }), /dynamically linked, only static binaries run here/));
  it("rejects a truncated ELF", () => rejects(guest("hello").subarray(0, 40), /truncated/));
  it("rejects segments that run past the end of the file", () => rejects(guest("hello").subarray(0, 2000), /truncated ELF file \(segment/));
});

describe("ELF loading", () => {
  it("maps segments with their rights and places the initial stack", () => {
    const { space, image, loaded } = load(guest("hello"));
    assert.equal(loaded.entry, image.entry);
    assert.equal(loaded.rsp % 16, 0);
    const text = space.lookup(Math.floor(image.entry / 4096));
    assert.equal(text & 7, PERM_R | PERM_X);
    const top = space.lookup(Math.floor((loaded.brkStart - 1) / 4096));
    assert.equal(top & PERM_W, PERM_W);
    assert.equal(space.lookup(Math.floor(loaded.brkStart / 4096)), -1);
  });

  it("builds argc, argv, envp and auxv as Linux does", () => {
    const { space, image, loaded } = load(guest("hello"));
    const rsp = loaded.rsp;
    assert.equal(space.readU64(rsp), 2);
    const text = (addr: number) => new TextDecoder().decode(space.readCString(addr));
    assert.equal(text(space.readU64(rsp + 8)), "/bin/hello");
    assert.equal(text(space.readU64(rsp + 16)), "one");
    assert.equal(space.readU64(rsp + 24), 0);
    assert.equal(text(space.readU64(rsp + 32)), "A=1");
    assert.equal(text(space.readU64(rsp + 40)), "B=two");
    assert.equal(space.readU64(rsp + 48), 0);
    const auxv = readAuxv(space, rsp);
    assert.equal(auxv.get(AT_ENTRY), image.entry);
    assert.equal(auxv.get(AT_PAGESZ), 4096);
    assert.equal(auxv.get(AT_PHNUM), image.phnum);
    assert.deepEqual(space.read(auxv.get(AT_RANDOM)!, 16), random16);
    assert.equal(text(auxv.get(AT_EXECFN)!), "/bin/hello");
    const phdr = space.read(auxv.get(AT_PHDR)!, 56);
    assert.deepEqual(phdr, image.bytes.subarray(image.phoff, image.phoff + 56));
  });

  it("relocates a static-PIE to the PIE base", () => {
    const { image, loaded } = load(guest("hello-pie"));
    assert.equal(loaded.loadBias, PIE_BASE);
    assert.equal(loaded.entry, image.entry + PIE_BASE);
  });

  it("loads a hand-made minimal executable", () => {
    const { space, loaded } = load(tinyElf([0x90, 0xc3]));
    assert.equal(loaded.entry, TINY_BASE + 64 + 56);
    assert.deepEqual(space.read(loaded.entry, 2), Uint8Array.from([0x90, 0xc3]));
  });
});
