// Messages between the main process and the engine worker thread (structured-clone, never crossing to a renderer).
// The worker owns the Machine; the main thread only sends commands and relays what the worker reports.

import type { MachineConfig } from "../engine/machine.ts";
import type { StopSpec } from "../engine/debug/reverse.ts";
import type { ConsoleStream, DiskInfo, FoundStop, Inspection, MachineStatus, MemoryDump, PdInfo, Screen } from "./protocol.ts";

export type BootModule = MachineConfig["modules"][number];

export type WorkerCommand =
  | {
      op: "boot";
      id: number;
      guest: string;
      modules: BootModule[];
      env: string[];
      seed: number;
      /** Lab version, written into recordings. */
      version: string;
      /** Path of the recording file to write, or null to run unrecorded. */
      record: string | null;
      /** Ring buffer for the guest's stdin (see StdinRing). */
      stdin: SharedArrayBuffer;
      /** Breakpoints, watchpoints and event stops armed from the first instruction. */
      stops: StopSpec;
      /** Compile hot blocks (off: interpret everything); runs are exact either way. */
      jit: boolean;
      /** A FAT image at /disk (checked by the main thread), or null. */
      disk: { path: string; writable: boolean } | null;
    }
  | { op: "run" }
  | { op: "pause" }
  | { op: "step"; instructions: number }
  | { op: "stop" }
  | { op: "inspect"; id: number }
  | { op: "memory"; id: number; pd: number; address: number; length: number }
  /** Re-executes a recording to an instruction count and keeps that machine for inspection. */
  | { op: "seek"; id: number; recording: string; icount: number }
  /** Live machine: run over the call at RIP (or step one instruction), or run to an address. */
  | { op: "step-over" }
  | { op: "run-to"; address: number }
  /** Breakpoints, watchpoints and event stops of the live run (Run stops at them). */
  | { op: "stops"; id: number; stops: StopSpec }
  /** Replay: the next stop after `icount` or the last one before it; the replay machine is left there. */
  | { op: "find"; id: number; recording: string; icount: number; direction: "forward" | "backward"; stops: StopSpec };

export type { StopSpec, FoundStop };

export type WorkerReport =
  | { type: "status"; status: MachineStatus }
  | { type: "console"; stream: ConsoleStream; text: string }
  | { type: "screen"; screen: Screen }
  | { type: "pds"; pds: PdInfo[] }
  | { type: "disk"; disk: DiskInfo | null }
  | { type: "progress"; task: string; done: number; total: number }
  | { type: "reply"; id: number; ok: true; result: Inspection | MemoryDump | FoundStop | null }
  | { type: "reply"; id: number; ok: false; error: string };

/**
 * A single-producer single-consumer byte ring in shared memory: the main thread writes typed keys, the worker's
 * blocking stdin read waits on it with Atomics.wait (a guest read() must block the guest, not the event loop of main).
 */
export class StdinRing {
  static readonly CAPACITY = 1 << 16;
  private readonly header: Int32Array;
  private readonly data: Uint8Array;

  constructor(readonly buffer: SharedArrayBuffer = new SharedArrayBuffer(16 + StdinRing.CAPACITY)) {
    this.header = new Int32Array(buffer, 0, 4);
    this.data = new Uint8Array(buffer, 16);
  }

  // header[0] bytes written, header[1] bytes read (both wrap at 2^31), header[2] 1 = closed (stop or EOF).

  /** Appends bytes; returns how many fit. */
  write(bytes: Uint8Array): number {
    const written = Atomics.load(this.header, 0);
    const free = StdinRing.CAPACITY - ((written - Atomics.load(this.header, 1)) | 0);
    const n = Math.min(free, bytes.length);
    for (let i = 0; i < n; i++) this.data[(written + i) & (StdinRing.CAPACITY - 1)] = bytes[i]!;
    Atomics.store(this.header, 0, (written + n) | 0);
    Atomics.notify(this.header, 0);
    return n;
  }

  close(): void {
    Atomics.store(this.header, 2, 1);
    Atomics.notify(this.header, 0);
  }

  /** Blocks until at least one byte is available (or the ring is closed: returns an empty array). */
  read(max: number): Uint8Array {
    for (;;) {
      const written = Atomics.load(this.header, 0);
      const read = Atomics.load(this.header, 1);
      const available = (written - read) | 0;
      if (available > 0) {
        const n = Math.min(available, max);
        const out = new Uint8Array(n);
        for (let i = 0; i < n; i++) out[i] = this.data[(read + i) & (StdinRing.CAPACITY - 1)]!;
        Atomics.store(this.header, 1, (read + n) | 0);
        return out;
      }
      if (Atomics.load(this.header, 2)) return new Uint8Array(0);
      Atomics.wait(this.header, 0, written);
    }
  }

  /** True when a read would block (the worker reports "waiting for input" before it does). */
  get empty(): boolean {
    return Atomics.load(this.header, 0) === Atomics.load(this.header, 1) && !Atomics.load(this.header, 2);
  }
}
