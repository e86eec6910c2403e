// The VGA text console: 80×25 cells of (char | attr << 8) in physical memory at 0xb8000, with a writer that scrolls.
// The cells are a view of the frame pool (not a copy), so a PD the page is delegated to sees the same screen.

import type { FramePool } from "../memory/frames.ts";

export const VGA_PHYS = 0xb8000;
export const VGA_COLS = 80;
export const VGA_ROWS = 25;
/** Light grey on black. */
export const VGA_DEFAULT_ATTR = 0x07;

export class VgaText {
  readonly cells: Uint16Array;
  row = 0;
  col = 0;
  attr = VGA_DEFAULT_ATTR;

  constructor(frames: FramePool) {
    if (frames.refs[VGA_PHYS >>> 12] === 0) throw new Error("VGA: frame 0xb8 is not reserved (boot the kernel first)");
    this.cells = new Uint16Array(frames.bytes.buffer, frames.bytes.byteOffset + VGA_PHYS, VGA_COLS * VGA_ROWS);
    this.clear();
  }

  clear(): void {
    this.cells.fill(0x20 | (this.attr << 8));
    this.row = 0;
    this.col = 0;
  }

  /** Writes text (code points above 0xff become '?', as a code page 437 screen cannot show them). */
  write(text: string): void {
    for (const ch of text) {
      if (ch === "\n") this.newline();
      else if (ch === "\r") this.col = 0;
      else if (ch === "\t") {
        do this.put(0x20);
        while (this.col % 8 !== 0);
      } else {
        const code = ch.codePointAt(0)!;
        this.put(code < 0x100 ? code : 0x3f);
      }
    }
  }

  private put(code: number): void {
    if (this.col === VGA_COLS) this.newline();
    this.cells[this.row * VGA_COLS + this.col++] = code | (this.attr << 8);
  }

  private newline(): void {
    this.col = 0;
    if (++this.row < VGA_ROWS) return;
    this.cells.copyWithin(0, VGA_COLS);
    this.cells.fill(0x20 | (this.attr << 8), (VGA_ROWS - 1) * VGA_COLS);
    this.row = VGA_ROWS - 1;
  }

  /** The screen as 25 lines of text (trailing blanks trimmed). */
  lines(): string[] {
    const out: string[] = [];
    for (let r = 0; r < VGA_ROWS; r++) {
      let line = "";
      for (let c = 0; c < VGA_COLS; c++) line += String.fromCharCode(this.cells[r * VGA_COLS + c] & 0xff);
      out.push(line.trimEnd());
    }
    return out;
  }
}
