// A linear framebuffer (RGB32, 0x00RRGGBB per pixel) in physically contiguous frames the roottask can delegate to a PD.
// The pixels are a view of the frame pool; `generation` counts host-side writes so the recorder knows when to diff.

import { FramePool, PAGE_SIZE } from "../memory/frames.ts";

export class Framebuffer {
  readonly firstFrame: number;
  readonly frameCount: number;
  readonly pitch: number;
  /** The framebuffer's bytes (a view of physical memory). */
  readonly bytes: Uint8Array;
  readonly pixels: Uint32Array;
  generation = 0;

  constructor(
    frames: FramePool,
    readonly width = 1024,
    readonly height = 768,
  ) {
    this.pitch = width * 4;
    this.frameCount = Math.ceil((this.pitch * height) / PAGE_SIZE);
    this.firstFrame = frames.alloc();
    for (let i = 1; i < this.frameCount; i++) {
      if (frames.alloc() !== this.firstFrame + i) throw new Error("framebuffer: physical frames are not contiguous");
    }
    const offset = frames.bytes.byteOffset + this.firstFrame * PAGE_SIZE;
    this.bytes = new Uint8Array(frames.bytes.buffer, offset, this.pitch * height);
    this.pixels = new Uint32Array(frames.bytes.buffer, offset, width * height);
  }

  /** Physical address of the first pixel. */
  get physAddr(): number {
    return this.firstFrame * PAGE_SIZE;
  }

  fillRect(x: number, y: number, w: number, h: number, rgb: number): void {
    for (let row = Math.max(0, y); row < Math.min(this.height, y + h); row++) {
      this.pixels.fill(rgb >>> 0, row * this.width + Math.max(0, x), row * this.width + Math.min(this.width, x + w));
    }
    this.generation++;
  }
}
