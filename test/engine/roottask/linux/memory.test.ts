import assert from "node:assert/strict";
import { test } from "node:test";
import { PageFault, PERM_R, PERM_W, PERM_X } from "../../../../engine/memory/address-space.ts";
import { E } from "../../../../engine/roottask/fs/errno.ts";
import { BRK_START, MMAP_BASE, setup } from "./harness.ts";

const PAGE = 4096;
const PROT_NONE = 0, PROT_READ = 1, PROT_WRITE = 2, PROT_EXEC = 4;
const MAP_SHARED = 1, MAP_PRIVATE = 2, MAP_FIXED = 0x10, MAP_ANONYMOUS = 0x20, MAP_FIXED_NOREPLACE = 0x100000;
const ANON = MAP_PRIVATE | MAP_ANONYMOUS;
const RW = PROT_READ | PROT_WRITE;

function perms(h: ReturnType<typeof setup>, addr: number): number {
  const pte = h.space.lookup(Math.floor(addr / PAGE));
  return pte < 0 ? -1 : pte & 7;
}

test("brk starts at brkStart, grows by mapping zeroed pages and shrinks by unmapping them", () => {
  const h = setup();
  assert.equal(h.call("brk", 0), BRK_START);
  assert.equal(h.call("brk", BRK_START + 10000), BRK_START + 10000);
  h.space.write(BRK_START + 9999, new Uint8Array([7]));
  assert.equal(h.bytes(BRK_START, 1)[0], 0);
  assert.equal(perms(h, BRK_START + 8192), PERM_R | PERM_W);
  assert.equal(h.call("brk", BRK_START + 100), BRK_START + 100);
  assert.equal(perms(h, BRK_START + 8192), -1);
  assert.equal(perms(h, BRK_START), PERM_R | PERM_W);
  assert.equal(h.call("brk", BRK_START - PAGE), BRK_START + 100, "below the start: unchanged");
  assert.ok(h.proc.vmas.some((v) => v.name === "[heap]" && v.start === BRK_START && v.end === BRK_START + PAGE));
});

test("brk refuses to grow over an existing mapping", () => {
  const h = setup();
  assert.equal(h.call("mmap", BRK_START + 2 * PAGE, PAGE, RW, ANON | MAP_FIXED, -1, 0), BRK_START + 2 * PAGE);
  assert.equal(h.call("brk", BRK_START + 5 * PAGE), BRK_START);
  assert.equal(h.call("brk", BRK_START + 2 * PAGE), BRK_START + 2 * PAGE);
});

test("anonymous mmap hands out page-aligned, zeroed, distinct ranges growing down from mmapBase", () => {
  const h = setup();
  const a = h.call("mmap", 0, 5000, RW, ANON, -1, 0);
  const b = h.call("mmap", 0, PAGE, RW, ANON, -1, 0);
  assert.equal(a, MMAP_BASE - 2 * PAGE);
  assert.equal(b, a - PAGE);
  assert.equal(a % PAGE, 0);
  assert.deepEqual([...h.bytes(a, 8)], [0, 0, 0, 0, 0, 0, 0, 0]);
  h.space.write(a + 5000, new Uint8Array([1]));
  assert.equal(perms(h, a), PERM_R | PERM_W);
  const x = h.call("mmap", 0, PAGE, PROT_READ | PROT_EXEC, ANON, -1, 0);
  assert.equal(perms(h, x), PERM_R | PERM_X);
  assert.equal(h.call("munmap", a, 2 * PAGE), 0);
  assert.throws(() => h.space.read(a, 1), PageFault);
  assert.equal(h.call("mmap", 0, PAGE, RW, ANON, -1, 0), a + PAGE, "the highest free hole is reused");
});

test("mmap argument errors: zero length, bad offset, no map type, bad fd", () => {
  const h = setup();
  assert.equal(h.call("mmap", 0, 0, RW, ANON, -1, 0), -E.EINVAL);
  assert.equal(h.call("mmap", 0, PAGE, RW, ANON, -1, 100), -E.EINVAL);
  assert.equal(h.call("mmap", 0, PAGE, RW, MAP_ANONYMOUS, -1, 0), -E.EINVAL);
  assert.equal(h.call("mmap", 0, PAGE, RW, MAP_PRIVATE, 42, 0), -E.EBADF);
  assert.equal(h.call("mmap", 0x12345, PAGE, RW, ANON | MAP_FIXED, -1, 0), -E.EINVAL);
  assert.equal(h.call("mmap", 0, 2 ** 47, RW, ANON, -1, 0), -E.ENOMEM);
  assert.equal(h.call("munmap", 0x1001, PAGE), -E.EINVAL);
  assert.equal(h.call("munmap", 0x1000, 0), -E.EINVAL);
});

test("MAP_FIXED replaces what was there; MAP_FIXED_NOREPLACE refuses with EEXIST", () => {
  const h = setup();
  const at = 0x40000000;
  assert.equal(h.call("mmap", at, 2 * PAGE, RW, ANON | MAP_FIXED, -1, 0), at);
  h.space.write(at, new Uint8Array([9]));
  assert.equal(h.call("mmap", at, PAGE, PROT_READ, ANON | MAP_FIXED, -1, 0), at);
  assert.equal(h.bytes(at, 1)[0], 0, "fresh pages");
  assert.equal(perms(h, at), PERM_R);
  assert.equal(h.call("mmap", at + PAGE, PAGE, RW, ANON | MAP_FIXED_NOREPLACE, -1, 0), -E.EEXIST);
  assert.equal(h.call("mmap", at + 2 * PAGE, PAGE, RW, ANON | MAP_FIXED_NOREPLACE, -1, 0), at + 2 * PAGE);
  assert.equal(h.call("mmap", at, PAGE, RW, ANON, -1, 0) !== at, true, "a taken hint is not used");
});

test("mprotect changes page rights, maps PROT_NONE reservations on demand and rejects holes", () => {
  const h = setup();
  const a = h.call("mmap", 0, 4 * PAGE, PROT_NONE, ANON, -1, 0);
  assert.ok(a > 0);
  assert.equal(perms(h, a), -1, "PROT_NONE reserves without frames");
  const used = h.frames.used;
  assert.equal(h.call("mprotect", a + PAGE, 2 * PAGE, RW), 0);
  assert.equal(h.frames.used, used + 2);
  assert.equal(perms(h, a + PAGE), PERM_R | PERM_W);
  assert.equal(perms(h, a + 3 * PAGE), -1);
  h.space.write(a + PAGE, new Uint8Array([5]));
  assert.equal(h.call("mprotect", a + PAGE, PAGE, PROT_READ), 0);
  assert.throws(() => h.space.write(a + PAGE, new Uint8Array([1])), PageFault);
  assert.equal(h.bytes(a + PAGE, 1)[0], 5);
  assert.deepEqual(h.proc.vmas.filter((v) => v.start >= a && v.end <= a + 4 * PAGE).map((v) => [v.start - a, v.end - a, v.prot]), [
    [0, PAGE, PROT_NONE], [PAGE, 2 * PAGE, PROT_READ], [2 * PAGE, 3 * PAGE, RW], [3 * PAGE, 4 * PAGE, PROT_NONE],
  ]);
  assert.equal(h.call("mprotect", 0x50000000, PAGE, PROT_READ), -E.ENOMEM);
  assert.equal(h.call("mprotect", a + 1, PAGE, PROT_READ), -E.EINVAL);
});

test("mremap grows in place when it can and moves the contents when it must", () => {
  const h = setup();
  const above = h.call("mmap", 0, PAGE, RW, ANON, -1, 0);
  const a = h.call("mmap", 0, PAGE, RW, ANON, -1, 0);
  assert.equal(a, above - PAGE);
  h.space.write(a, new TextEncoder().encode("keep"));
  const grown = h.call("mremap", a, PAGE, 3 * PAGE, 1 /* MAYMOVE */, 0);
  assert.notEqual(grown, a, "the page above a is taken, so it moves");
  assert.equal(h.text(grown, 4), "keep");
  assert.throws(() => h.space.read(a, 1), PageFault);
  h.space.write(grown + 3 * PAGE - 1, new Uint8Array([1]));
  const fixed = 0x30000000;
  h.call("mmap", fixed, PAGE, RW, ANON | MAP_FIXED, -1, 0);
  assert.equal(h.call("mremap", fixed, PAGE, 2 * PAGE, 0, 0), fixed, "free space above: in place");
  assert.equal(h.call("mremap", fixed, 2 * PAGE, PAGE, 0, 0), fixed);
  assert.equal(perms(h, fixed + PAGE), -1);
  h.call("mmap", fixed + PAGE, PAGE, RW, ANON | MAP_FIXED, -1, 0);
  assert.equal(h.call("mremap", fixed, PAGE, 2 * PAGE, 0, 0), -E.ENOMEM, "blocked and not allowed to move");
  assert.equal(h.call("mremap", 0x60000000, PAGE, 2 * PAGE, 1, 0), -E.EFAULT);
});

test("a private file mapping is a copy of the file, padded with zeros", () => {
  const h = setup();
  const fd = h.call("open", h.put("/lib.bin"), 0o102 /* O_RDWR|O_CREAT */, 0o644);
  const data = new Uint8Array(PAGE + 10).map((_, i) => i & 0xff);
  h.call("write", fd, h.put(data), data.length);
  const m = h.call("mmap", 0, 2 * PAGE, PROT_READ, MAP_PRIVATE, fd, 0);
  assert.ok(m > 0);
  assert.deepEqual(h.bytes(m, PAGE + 10), data);
  assert.equal(h.bytes(m + PAGE + 10, 1)[0], 0);
  const second = h.call("mmap", 0, PAGE, PROT_READ, MAP_PRIVATE, fd, PAGE);
  assert.deepEqual(h.bytes(second, 10), data.subarray(PAGE, PAGE + 10));
  assert.equal(h.call("mmap", 0, PAGE, RW, MAP_SHARED, fd, 0), -E.ENODEV);
  assert.equal(h.call("mmap", 0, PAGE, PROT_READ, MAP_SHARED, fd, 0) > 0, true);
  const dir = h.call("open", h.put("/tmp"), 0, 0);
  assert.equal(h.call("mmap", 0, PAGE, PROT_READ, MAP_PRIVATE, dir, 0), -E.ENODEV);
});

test("madvise(MADV_DONTNEED) zeroes private anonymous pages", () => {
  const h = setup();
  const a = h.call("mmap", 0, 2 * PAGE, RW, ANON, -1, 0);
  h.space.write(a, new Uint8Array([1, 2, 3]));
  assert.equal(h.call("madvise", a, 2 * PAGE, 4), 0);
  assert.deepEqual([...h.bytes(a, 3)], [0, 0, 0]);
  assert.equal(h.call("madvise", a, PAGE, 999), -E.EINVAL);
  assert.equal(h.call("madvise", 0x70000000, PAGE, 4), -E.ENOMEM);
});

test("mmap fails with ENOMEM instead of exhausting the frame pool", () => {
  const h = setup();
  const free = h.frames.frameCount - 1 - h.frames.used;
  assert.equal(h.call("mmap", 0, (free + 1) * PAGE, RW, ANON, -1, 0), -E.ENOMEM);
  assert.equal(h.frames.frameCount - 1 - h.frames.used, free);
});
