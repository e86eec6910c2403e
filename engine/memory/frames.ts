// Physical memory: a pool of 4 KiB frames in one zero-initialised buffer.
// One buffer (not one ArrayBuffer per frame) so the CPU's TLB can hold plain byte offsets.

export const PAGE_SHIFT = 12;
export const PAGE_SIZE = 1 << PAGE_SHIFT;
export const PAGE_MASK = PAGE_SIZE - 1;

export class OutOfMemoryError extends Error {
  constructor(frames: number) {
    super(`physical memory exhausted (${frames} frames of 4 KiB in use)`);
  }
}

export class FramePool {
  readonly bytes: Uint8Array;
  readonly view: DataView;
  readonly frameCount: number;
  /** Reference count per frame; 0 = free. A frame shared by memory delegation has count > 1. */
  readonly refs: Uint16Array;
  private nextFree = 1; // frame 0 stays unused so a frame number of 0 can mean "none"
  private freeList: number[] = [];
  used = 0;

  constructor(megabytes = 512) {
    this.frameCount = (megabytes * 1024 * 1024) >>> PAGE_SHIFT;
    // V8 backs large zeroed ArrayBuffers lazily, so untouched frames cost no host memory.
    this.bytes = new Uint8Array(this.frameCount * PAGE_SIZE);
    this.view = new DataView(this.bytes.buffer);
    this.refs = new Uint16Array(this.frameCount);
  }

  /** Allocates one zeroed frame and returns its number. */
  alloc(): number {
    let frame: number;
    if (this.freeList.length > 0) {
      frame = this.freeList.pop()!;
      this.bytes.fill(0, frame * PAGE_SIZE, (frame + 1) * PAGE_SIZE);
    } else if (this.nextFree < this.frameCount) {
      frame = this.nextFree++;
    } else {
      throw new OutOfMemoryError(this.used);
    }
    this.refs[frame] = 1;
    this.used++;
    return frame;
  }

  retain(frame: number): void {
    this.refs[frame]++;
  }

  /** Drops one reference; the frame returns to the pool when none is left. */
  release(frame: number): void {
    if (this.refs[frame] === 0) throw new Error(`release of free frame ${frame}`);
    if (--this.refs[frame] === 0) {
      this.freeList.push(frame);
      this.used--;
    }
  }

  /** Byte offset of a frame in `bytes`. */
  static base(frame: number): number {
    return frame * PAGE_SIZE;
  }
}
