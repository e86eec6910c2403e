// Disassembly of guest bytes with iced-x86, for error reports, --trace and the inspector.
// iced objects live in WebAssembly memory, so each one is freed as soon as it is formatted; the module (and its
// WebAssembly) loads on first use, so a run that never disassembles does not pay for it at start-up.

import { createRequire } from "node:module";
import type * as Iced from "iced-x86";

let icedModule: typeof Iced | null = null;
const iced = (): typeof Iced => (icedModule ??= createRequire(import.meta.url)("iced-x86") as typeof Iced);

export interface DisassembledInstruction {
  address: number;
  length: number;
  bytes: Uint8Array;
  /** Intel syntax, e.g. "vaddps ymm0,ymm1,ymm2"; "(bad)" when the bytes are no valid instruction. */
  text: string;
  valid: boolean;
}

/** Disassembles up to `count` instructions from `bytes`, which start at guest address `address`. */
export function disassemble(bytes: Uint8Array, address: number, count = 1): DisassembledInstruction[] {
  const { Decoder, DecoderOptions, Formatter, FormatterSyntax, Code } = iced();
  const decoder = new Decoder(64, bytes, DecoderOptions.None);
  const formatter = new Formatter(FormatterSyntax.Intel);
  decoder.ip = BigInt(address);
  const out: DisassembledInstruction[] = [];
  try {
    let offset = 0;
    while (out.length < count && decoder.canDecode) {
      const instruction = decoder.decode();
      const valid = instruction.code !== Code.INVALID;
      const length = valid ? instruction.length : 1;
      out.push({
        address: address + offset,
        length,
        bytes: bytes.slice(offset, offset + length),
        text: valid ? formatter.format(instruction) : "(bad)",
        valid,
      });
      instruction.free();
      offset += length;
      if (!valid) decoder.position = offset;
    }
  } finally {
    formatter.free();
    decoder.free();
  }
  return out;
}

export function hexBytes(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join(" ");
}

export function hex(value: number): string {
  return "0x" + value.toString(16);
}
