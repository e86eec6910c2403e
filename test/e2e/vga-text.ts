// Reads text back from the VGA canvas's pixels by matching each 8x16 cell against the CP437 font.
// This checks what the user sees (the painted bitmap), not a label the app could get right while drawing wrong.
/// <reference lib="dom" />

import type { Page } from "@playwright/test";
import { CP437_8X16 } from "../../renderer/src/vga/cp437-font.ts";

/** Glyph bitmap (16 row bytes as a key) → character; printable ASCII wins where two glyphs look alike. */
const GLYPHS = new Map<string, string>();
for (let code = 0xff; code >= 0; code--) {
  const key = Array.from(CP437_8X16.subarray(code * 16, code * 16 + 16)).join(",");
  const printable = code >= 0x20 && code < 0x7f;
  if (printable || !GLYPHS.has(key)) GLYPHS.set(key, printable ? String.fromCharCode(code) : "?");
}
GLYPHS.set(new Array(16).fill(0).join(","), " ");

/** The text of the VGA canvas, one string per text row (trailing blanks trimmed). */
export async function readVgaText(page: Page): Promise<string[]> {
  const { width, height, data } = await page.locator('[data-testid="vga"]').first().evaluate((canvas: HTMLCanvasElement) => {
    const ctx = canvas.getContext("2d")!;
    const image = ctx.getImageData(0, 0, canvas.width, canvas.height);
    let binary = "";
    for (let i = 0; i < image.data.length; i += 4) binary += String.fromCharCode(image.data[i]!, image.data[i + 1]!, image.data[i + 2]!);
    return { width: canvas.width, height: canvas.height, data: btoa(binary) };
  });
  const rgb = Buffer.from(data, "base64");
  const pixel = (x: number, y: number) => {
    const i = (y * width + x) * 3;
    return (rgb[i]! << 16) | (rgb[i + 1]! << 8) | rgb[i + 2]!;
  };
  const lines: string[] = [];
  for (let row = 0; row < height / 16; row++) {
    let line = "";
    for (let col = 0; col < width / 8; col++) {
      const background = pixel(col * 8, row * 16);
      const rows: number[] = [];
      for (let y = 0; y < 16; y++) {
        let bits = 0;
        for (let x = 0; x < 8; x++) if (pixel(col * 8 + x, row * 16 + y) !== background) bits |= 0x80 >> x;
        rows.push(bits);
      }
      line += GLYPHS.get(rows.join(",")) ?? "?";
    }
    lines.push(line.trimEnd());
  }
  return lines;
}
