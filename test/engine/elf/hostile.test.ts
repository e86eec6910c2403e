// Reproducers of hostile ELFs (issue 14): each is refused with one ElfError sentence before anything runs, where the
// loader used to fail deep inside (physical memory exhausted, a silent exit 126, mappings outside user space).

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ElfError, ElfMapError, parseElf, PIE_BASE } from "../../../engine/elf/elf.ts";
import { ARG_MAX, loadElf } from "../../../engine/elf/loader.ts";
import { AddressSpace } from "../../../engine/memory/address-space.ts";
import { FramePool } from "../../../engine/memory/frames.ts";
import { tinyElf, TINY_BASE } from "../../helpers/tiny-elf.ts";

const EXIT_7 = [0xb8, 60, 0, 0, 0, 0xbf, 7, 0, 0, 0, 0x0f, 0x05];

/** tinyElf with its one PT_LOAD (entry 0) edited. */
function edited(edit: (view: DataView) => void): Uint8Array {
  const bytes = tinyElf(EXIT_7);
  edit(new DataView(bytes.buffer));
  return bytes;
}
const PHDR = 64;
const setU64 = (view: DataView, at: number, value: number | bigint) => view.setBigUint64(at, BigInt(value), true);

function load(bytes: Uint8Array, memoryMiB = 64, argv = ["/bin/x"]) {
  return loadElf(parseElf(bytes), new AddressSpace(new FramePool(memoryMiB)), { argv, envp: [], execfn: "/bin/x", random16: new Uint8Array(16) });
}

describe("hostile ELFs are refused with one sentence", () => {
  it("a PT_LOAD larger than guest memory: a clear error, not 'physical memory exhausted'", () => {
    const bytes = edited((v) => setU64(v, PHDR + 40, 600 * 1024 * 1024));
    assert.throws(() => load(bytes, 64), (e: Error) => e instanceof ElfError && /need more memory than the guest has \(64 MiB, --memory\)/.test(e.message));
  });

  it("program headers outside every loadable segment are found at parse time (no silent exit 126)", () => {
    const bytes = new Uint8Array(4096);
    bytes.set(tinyElf(EXIT_7));
    bytes.set(bytes.subarray(64, 120), 3000);
    new DataView(bytes.buffer).setBigUint64(32, 3000n, true);
    assert.throws(() => parseElf(bytes), /^ElfError: the program headers are not inside a loadable segment$/);
  });

  it("an ET_EXEC segment at page 0 parses but cannot be mapped, as Linux refuses mappings below vm.mmap_min_addr", () => {
    const bytes = edited((v) => {
      setU64(v, PHDR + 16, 0);
      setU64(v, 24, 120);
    });
    parseElf(bytes);
    assert.throws(() => load(bytes), (e: Error) => e instanceof ElfMapError && /^segment 0 maps address 0x0, below Linux's vm.mmap_min_addr \(0x1000\)$/.test(e.message));
  });

  it("the user-range check includes the PIE load offset", () => {
    const bytes = edited((v) => {
      v.setUint16(16, 3, true); // ET_DYN
      setU64(v, PHDR + 16, 0x7ffffffff000 - PIE_BASE + 0x1000);
      setU64(v, 24, 0x7ffffffff000 - PIE_BASE + 0x1000 + 120);
    });
    assert.throws(() => load(bytes), (e: Error) => e instanceof ElfMapError && /segment 0 \(0x800000000000–0x800000000084\) lies outside user space/.test(e.message));
  });

  it("a segment reaching into the stack is refused instead of being overwritten by it", () => {
    const bytes = edited((v) => {
      setU64(v, PHDR + 16, 0x7ffffff00000);
      setU64(v, 24, 0x7ffffff00000 + 120);
    });
    assert.throws(() => load(bytes), /segment 0 \(0x7ffffff00000–0x7ffffff00084\) overlaps the stack/);
  });

  it("argv beyond Linux's ARG_MAX is E2BIG, not a fault while the stack is built", () => {
    assert.throws(() => load(tinyElf(EXIT_7), 64, ["/bin/x", "x".repeat(ARG_MAX)]), /argument list too long: \d+ bytes .* Linux allows 2097152 \(E2BIG\)/);
    assert.equal(load(tinyElf(EXIT_7), 64, ["/bin/x", "x".repeat(ARG_MAX - 100)]).entry, TINY_BASE + 120);
  });

  it("a 4096 MiB frame pool (the documented maximum) has 2^20 frames, not 0", () => {
    assert.equal(new FramePool(4096).frameCount, 1 << 20);
  });
});
