// Side-effect-free "decode one instruction" for cross-checks (iced-x86, tests): the length of an encoding the engine
// executes, or 0 when it raises #UD. A separate file so the decoder's hot path stays as it is.

import { CodeBuffer, TRUNCATED, decode, rowOf } from "./decoder.ts";
import { U } from "./table.ts";
import { registerFormExists } from "./x87.ts";

const slot = new CodeBuffer(1);

/** Length of the instruction at buf[pos..pos+avail) if the engine supports it, 0 if #UD, TRUNCATED if cut short. */
export function supportedLength(buf: Uint8Array, pos: number, avail: number): number {
  const len = decode(buf, pos, avail, 0x1000, slot, 0);
  if (len === TRUNCATED) return TRUNCATED;
  const row = rowOf(slot, 0);
  if (row === undefined) return 0;
  if (row.ex === U.X87 && slot.mem[0] === 0) {
    // The ModRM byte is the last byte of a register-form x87 instruction.
    if (!registerFormExists(row.ext, row.ext2, buf[pos + len - 1])) return 0;
  }
  return len;
}
