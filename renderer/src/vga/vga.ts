// Paints the VGA device onto a canvas: 80x25 text cells with CP437 glyphs and attributes, or the linear framebuffer.
// Pixels are computed into one ImageData per frame (no fillText), so the screen is exactly the VGA's bitmap.

import type { Screen } from "../../../main/protocol.ts";
import { fromBase64 } from "../../../main/protocol.ts";
import { CP437_8X16, GLYPH_HEIGHT, GLYPH_WIDTH } from "./cp437-font.ts";
import { CP437_UNICODE } from "./cp437.ts";

/** The 16-colour VGA palette as RGB (the default DAC values of text mode). */
export const VGA_PALETTE: readonly [number, number, number][] = [
  [0x00, 0x00, 0x00], [0x00, 0x00, 0xaa], [0x00, 0xaa, 0x00], [0x00, 0xaa, 0xaa],
  [0xaa, 0x00, 0x00], [0xaa, 0x00, 0xaa], [0xaa, 0x55, 0x00], [0xaa, 0xaa, 0xaa],
  [0x55, 0x55, 0x55], [0x55, 0x55, 0xff], [0x55, 0xff, 0x55], [0x55, 0xff, 0xff],
  [0xff, 0x55, 0x55], [0xff, 0x55, 0xff], [0xff, 0xff, 0x55], [0xff, 0xff, 0xff],
];

/** Renders a text-mode screen: cell = char | attr << 8; attr bits 3:0 foreground, 6:4 background. */
export function paintText(image: ImageData, cols: number, rows: number, cells: Uint16Array, cursor: number, cursorOn: boolean): void {
  const data = image.data;
  const stride = image.width * 4;
  for (let row = 0; row < rows; row++) {
    for (let col = 0; col < cols; col++) {
      const cell = cells[row * cols + col] ?? 0;
      const glyph = (cell & 0xff) * GLYPH_HEIGHT;
      const fg = VGA_PALETTE[(cell >> 8) & 0x0f]!;
      const bg = VGA_PALETTE[(cell >> 12) & 0x07]!;
      const underline = cursorOn && row * cols + col === cursor;
      for (let y = 0; y < GLYPH_HEIGHT; y++) {
        const bits = underline && y >= 14 ? 0xff : CP437_8X16[glyph + y]!;
        let p = (row * GLYPH_HEIGHT + y) * stride + col * GLYPH_WIDTH * 4;
        for (let x = 0; x < GLYPH_WIDTH; x++, p += 4) {
          const c = (bits >> (7 - x)) & 1 ? fg : bg;
          data[p] = c[0];
          data[p + 1] = c[1];
          data[p + 2] = c[2];
          data[p + 3] = 255;
        }
      }
    }
  }
}

/** Converts B,G,R,X framebuffer pixels (the layout the framebuffer service hands to guests) to RGBA. */
export function paintLinear(image: ImageData, pixels: Uint8Array): void {
  const data = image.data;
  const n = Math.min(data.length, pixels.length);
  for (let i = 0; i < n; i += 4) {
    data[i] = pixels[i + 2]!;
    data[i + 1] = pixels[i + 1]!;
    data[i + 2] = pixels[i]!;
    data[i + 3] = 255;
  }
}

/** Size in pixels of the canvas that shows this screen. */
export function screenSize(screen: Screen): { width: number; height: number } {
  return screen.mode === "text"
    ? { width: screen.cols * GLYPH_WIDTH, height: screen.rows * GLYPH_HEIGHT }
    : { width: screen.width, height: screen.height };
}

export function paintScreen(ctx: CanvasRenderingContext2D, screen: Screen, cursorOn: boolean): void {
  const { width, height } = screenSize(screen);
  if (ctx.canvas.width !== width || ctx.canvas.height !== height) {
    ctx.canvas.width = width;
    ctx.canvas.height = height;
  }
  const image = ctx.createImageData(width, height);
  if (screen.mode === "text") {
    const bytes = fromBase64(screen.cells);
    const cells = new Uint16Array(bytes.buffer, bytes.byteOffset, bytes.byteLength >> 1);
    paintText(image, screen.cols, screen.rows, cells, screen.cursor, cursorOn);
  } else {
    paintLinear(image, fromBase64(screen.pixels));
  }
  ctx.putImageData(image, 0, 0);
}

/** The screen's text in Unicode, offered to screen readers and copy (the canvas itself is only pixels). */
export function screenText(screen: Screen): string {
  if (screen.mode !== "text") return "";
  const bytes = fromBase64(screen.cells);
  const lines: string[] = [];
  for (let row = 0; row < screen.rows; row++) {
    let line = "";
    for (let col = 0; col < screen.cols; col++) {
      const ch = bytes[(row * screen.cols + col) * 2] ?? 0;
      line += ch === 0 || ch === 0xff ? " " : CP437_UNICODE[ch];
    }
    lines.push(line.trimEnd());
  }
  return lines.join("\n").trimEnd();
}
