import assert from "node:assert/strict";
import { test } from "node:test";
import type { EventKind } from "../../../engine/events.ts";
import { ByteWriter, DecodeError } from "../../../engine/record/codec.ts";
import { EventBatch, EventColumnWriter } from "../../../engine/record/event-chunk.ts";
import { SCHEMA_VERSION } from "../../../engine/record/schema.ts";
import { captureSyscall, renderSyscall } from "../../../engine/roottask/linux/format.ts";
import { BY_NUMBER } from "../../../engine/roottask/linux/table.ts";
import { newSyscallFrame, setSyscallArg } from "../../../engine/roottask/linux/context.ts";
import { AddressSpace } from "../../../engine/memory/address-space.ts";
import { FramePool } from "../../../engine/memory/frames.ts";

/** A close(fd) capture: no guest memory, so an unmapped space will do. */
function closeCapture(fd: number, result: number): Uint8Array {
  const frame = newSyscallFrame();
  frame.nr = 3;
  setSyscallArg(frame, 0, fd, 0);
  frame.result = result;
  const w = new ByteWriter();
  captureSyscall(BY_NUMBER[3], new AddressSpace(new FramePool(4)), frame, "exit", w);
  return w.finish().slice();
}

test("a chunk of 30,000 events (several encoding batches) decodes field for field, captures and repeats included", () => {
  const w = new EventColumnWriter();
  const kinds: EventKind[] = ["portal_call", "hypercall", "portal_reply", "foreign_syscall"];
  const expected: { kind: EventKind; icount: number; vcycles: number; hostNs: number; pd: number; callId: number; args: string; result: string }[] = [];
  for (let i = 0; i < 30_000; i++) {
    const kind = kinds[i % 4];
    const icount = Math.floor(i / 4) * 7, vcycles = i * 31 + (i % 5 === 0 ? 2 ** 40 : 0), hostNs = i * 1013;
    const callId = kind === "portal_call" || kind === "portal_reply" ? Math.floor(i / 4) + 1 : NaN;
    // Mostly the same close, every 1000th another fd: repeats and fresh captures interleave across batches.
    const capture = kind === "foreign_syscall" ? closeCapture(i % 1000 === 3 ? 4 + (i % 7) : 3, i % 3000 === 3 ? -9 : 0) : null;
    const args = capture ? "" : kind === "hypercall" ? "sel=0" : `pt ${i % 3}`;
    w.event(kind, icount, vcycles, hostNs, 0, 6, 51, kind === "foreign_syscall" ? "close" : "x", args, "", 4, callId, capture);
    const text = capture ? renderSyscall(capture) : { args, result: "" };
    expected.push({ kind, icount, vcycles, hostNs, pd: 6, callId, ...text });
  }
  const min = w.minVcycles(), max = w.maxVcycles();
  const batch = new EventBatch(w.finish().slice(), SCHEMA_VERSION);
  assert.equal(batch.length, expected.length);
  assert.equal(min, Math.min(...expected.map((e) => e.vcycles)));
  assert.equal(max, Math.max(...expected.map((e) => e.vcycles)));
  expected.forEach((e, i) => {
    const got = batch.get(i);
    assert.deepEqual(
      [got.kind, got.icount, got.vcycles, got.hostNs, got.pd, got.callId ?? NaN, got.args, got.result],
      [e.kind, e.icount, e.vcycles, e.hostNs, e.pd, e.callId, e.args, e.result],
      `event ${i}`,
    );
  });
  assert.equal(batch.get(7).args, "3");
  assert.equal(batch.get(3).args, "7");
  assert.equal(batch.get(3003).result, "-1 EBADF (Bad file descriptor)");
  assert.equal(w.count, 0);
});

test("a damaged capture is a DecodeError when its text is asked for, never another exception", () => {
  const damaged = [closeCapture(3, 0).slice(0, 3), Uint8Array.of(9, 1, 2), Uint8Array.of(1, 3, 0, 0, 3, 0, 7)];
  const w = new EventColumnWriter();
  damaged.forEach((capture, i) => w.event("foreign_syscall", i, i, i, 0, 6, 51, `call${i}`, "", "", 1, NaN, capture));
  const batch = new EventBatch(w.finish().slice(), SCHEMA_VERSION);
  for (let i = 0; i < damaged.length; i++) assert.throws(() => batch.get(i), DecodeError, `capture ${i}`);
});
