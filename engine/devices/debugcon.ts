// QEMU's debug console (I/O port 0xe9): a byte stream Hedron setups use for early logging; the roottask mirrors its log here.
// Same line keeping as the serial port, under its own console stream.

import { LineBuffer, type ConsoleSink } from "./serial.ts";

export const DEBUGCON_PORT = 0xe9;

export class DebugCon {
  readonly buffer = new LineBuffer();

  constructor(private readonly sink: ConsoleSink) {}

  write(bytes: Uint8Array): void {
    this.buffer.push(bytes);
    this.sink("debugcon", bytes);
  }
}
