// Devices: the VGA text writer (wrap, scroll, control characters), line keeping of serial/debugcon,
// the framebuffer's physical frames, and the virtual timer's conversion from cycles.

import assert from "node:assert/strict";
import { test } from "node:test";
import { DebugCon } from "../../../engine/devices/debugcon.ts";
import { Framebuffer } from "../../../engine/devices/framebuffer.ts";
import { LineBuffer, SerialPort } from "../../../engine/devices/serial.ts";
import { VirtualTimer } from "../../../engine/devices/timer.ts";
import { VGA_COLS, VGA_PHYS, VGA_ROWS, VgaText } from "../../../engine/devices/vga.ts";
import type { ConsoleStream } from "../../../engine/events.ts";
import { FramePool, PAGE_SIZE } from "../../../engine/memory/frames.ts";

/** A pool whose low megabyte is taken, as the kernel's boot leaves it. */
function lowReserved(): FramePool {
  const frames = new FramePool(16);
  for (let f = 1; f < 256; f++) frames.alloc();
  return frames;
}

test("VGA cells live in physical memory at 0xb8000 as char | attr << 8", () => {
  const frames = lowReserved();
  const vga = new VgaText(frames);
  vga.write("Hi");
  assert.equal(frames.view.getUint16(VGA_PHYS, true), 0x0748);
  assert.equal(frames.view.getUint16(VGA_PHYS + 2, true), 0x0769);
  assert.deepEqual(vga.lines().slice(0, 2), ["Hi", ""]);
});

test("VGA text wraps at 80 columns, honours \\r and tabs, and scrolls at the bottom", () => {
  const vga = new VgaText(lowReserved());
  vga.write("x".repeat(VGA_COLS + 3) + "\n");
  assert.deepEqual(vga.lines().slice(0, 2), ["x".repeat(80), "xxx"]);
  vga.write("abc\rZ\ta\n");
  assert.equal(vga.lines()[2], "Z       a", "a tab writes blanks up to the next multiple of 8");
  for (let i = 0; i < VGA_ROWS; i++) vga.write(`line ${i}\n`);
  const lines = vga.lines();
  assert.equal(lines[VGA_ROWS - 2], `line ${VGA_ROWS - 1}`);
  assert.equal(lines[VGA_ROWS - 1], "");
  assert.equal(vga.row, VGA_ROWS - 1);
});

test("VGA refuses a pool whose low memory the kernel has not reserved", () => {
  assert.throws(() => new VgaText(new FramePool(16)), /not reserved/);
});

test("serial and debugcon pass bytes on as they come and keep complete lines", () => {
  const seen: [ConsoleStream, string][] = [];
  const sink = (s: ConsoleStream, b: Uint8Array) => seen.push([s, new TextDecoder().decode(b)]);
  const serial = new SerialPort(sink);
  const debugcon = new DebugCon(sink);
  serial.write(new TextEncoder().encode("[ INFO] a\n[ INFO] b"));
  debugcon.write(new TextEncoder().encode("x\n"));
  assert.deepEqual(seen, [["serial", "[ INFO] a\n[ INFO] b"], ["debugcon", "x\n"]]);
  assert.deepEqual(serial.buffer.lines, ["[ INFO] a"]);
  assert.deepEqual(serial.buffer.text(), ["[ INFO] a", "[ INFO] b"]);
  assert.deepEqual(debugcon.buffer.text(), ["x"]);
});

test("a line buffer keeps only the newest lines", () => {
  const buffer = new LineBuffer(2);
  buffer.push(new TextEncoder().encode("1\n2\n3\n"));
  assert.deepEqual(buffer.lines, ["2", "3"]);
});

test("the framebuffer is 1024×768 RGB32 in contiguous frames, and pixels are physical memory", () => {
  const frames = lowReserved();
  const fb = new Framebuffer(frames);
  assert.equal(fb.frameCount, (1024 * 768 * 4) / PAGE_SIZE);
  assert.equal(fb.pitch, 4096);
  fb.fillRect(10, 2, 3, 1, 0x00ff8000);
  assert.equal(frames.view.getUint32(fb.physAddr + 2 * fb.pitch + 10 * 4, true), 0x00ff8000);
  assert.equal(frames.view.getUint32(fb.physAddr + 2 * fb.pitch + 13 * 4, true), 0);
  assert.equal(fb.generation, 1);
  assert.ok(frames.refs[fb.firstFrame + fb.frameCount - 1] > 0);
});

test("virtual time: 2.8 GHz TSC, so 2.8 million cycles are one millisecond", () => {
  let cycles = 2_800_000;
  const timer = new VirtualTimer(() => cycles);
  assert.equal(timer.nowUs(), 1000);
  assert.equal(timer.nowNs(), 1_000_000);
  cycles = 28;
  assert.equal(timer.nowNs(), 10);
});
