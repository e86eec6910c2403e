// A recording written from test code: a realistic event stream, console, input, chunks, snapshot and frames.
import type { EventKind, MachineEvent } from "../../../engine/events.ts";
import { RecordingWriter } from "../../../engine/record/writer.ts";
import { diffFrame } from "../../../engine/record/framebuffer.ts";

function event(i: number, kind: EventKind, extra: Partial<MachineEvent> = {}): MachineEvent {
  return {
    kind, icount: i * 100, vcycles: i * 130, hostNs: i * 1000, cpu: 0, pd: 1 + (i % 2), ec: 10 + (i % 2),
    name: kind === "foreign_syscall" ? "write" : kind, args: `fd=1, "x${i}"`, result: String(i % 3), cost: 40, ...extra,
  };
}

export const session = {
  guest: "hello", args: ["hello", "a"], seed: 7, config: { cpus: 1, memoryMiB: 64 }, engineVersion: "test",
  chunkInstructions: 1000, snapshotInstructions: 10_000, instructionStream: true,
};

/** Writes 5000 events, console lines, an input, 50 chunks, a snapshot and three frames. */
export function writeSample(path: string, finish: boolean): void {
  const w = new RecordingWriter(path, session, new Map([["hello", Uint8Array.of(0x7f, 0x45, 0x4c, 0x46)]]));
  const blocks = new Float64Array(100);
  const fb0 = new Uint8Array(8 * 4 * 4);
  w.frame(1000, 8, 4, 4, true, fb0);
  const fb1 = fb0.slice();
  fb1.fill(9, 16, 32);
  w.frame(2000, 8, 4, 4, false, diffFrame(fb0, fb1));
  const fb2 = fb1.slice();
  fb2[0] = 0xee;
  w.frame(3000, 8, 4, 4, false, diffFrame(fb1, fb2));
  for (let i = 0; i < 5000; i++) {
    w.add(event(i, i % 10 === 0 ? "portal_call" : i % 10 === 1 ? "portal_reply" : "foreign_syscall", i % 10 < 2 ? { callId: Math.floor(i / 10) } : {}));
    if (i % 500 === 0) w.console(i * 100, i % 1000 === 0 ? "stdout" : "stderr", Buffer.from(`line ${i}\n`));
    if (i === 1234) w.input(i * 100, "stdin", Buffer.from("typed\n"));
    if (i % 100 === 99) {
      for (let b = 0; b < blocks.length; b++) blocks[b] = 0x401000 + ((b * 7 + i) % 13) * 16;
      w.chunk((i - 99) * 100, (i + 1) * 100, (i + 1) * 130, [{ addresses: blocks, length: blocks.length }], `hash${i}`, null,
        i === 2499 ? { icount: 250_000, vcycles: 325_000, keyframe: true, head: new Uint8Array(50_000).fill(3), memory: new Uint8Array(10), stateHash: "snaphash", worldHash: "world" } : undefined);
    }
  }
  if (finish) w.finish({ icount: 500_000, vcycles: 650_000, exitStatus: 2, stopReason: "exit" });
  w.close();
}

