// The COM1 serial line (I/O port 0x3f8): the roottask's log goes here; complete lines are kept for the inspector.
// Output is passed on byte-exact as it arrives, so the console order matches the guest's write order.

import type { ConsoleStream } from "../events.ts";

export type ConsoleSink = (stream: ConsoleStream, bytes: Uint8Array) => void;

/** Keeps the last `limit` complete lines of a byte stream, plus the line being written. */
export class LineBuffer {
  readonly lines: string[] = [];
  private partial = "";
  private readonly decoder = new TextDecoder();

  constructor(private readonly limit = 1000) {}

  push(bytes: Uint8Array): void {
    const text = this.partial + this.decoder.decode(bytes, { stream: true });
    const parts = text.split("\n");
    this.partial = parts.pop()!;
    for (const line of parts) this.lines.push(line);
    if (this.lines.length > this.limit) this.lines.splice(0, this.lines.length - this.limit);
  }

  /** Complete lines and the unfinished one, if any. */
  text(): string[] {
    return this.partial ? [...this.lines, this.partial] : [...this.lines];
  }
}

export const COM1_PORT = 0x3f8;

export class SerialPort {
  readonly buffer = new LineBuffer();

  constructor(
    private readonly sink: ConsoleSink,
    readonly port = COM1_PORT,
  ) {}

  write(bytes: Uint8Array): void {
    this.buffer.push(bytes);
    this.sink("serial", bytes);
  }
}
