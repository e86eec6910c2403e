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

/** Bytes of one CPU's area after the frames (registers, lazy flags, TLBs and the trace that WebAssembly uses). */
export const CPU_AREA_SIZE = 10240;
/**
 * CPU areas a pool holds; a CPU created beyond them keeps its state in plain arrays and runs no WebAssembly. All
 * areas stay within the two WebAssembly pages after the frames: the buffer's length is part of every snapshot and
 * world hash (`view` spans it), so growing it would make every earlier recording fail to verify.
 */
export const CPU_AREAS = 12;
const WASM_PAGE = 65536;
/** WebAssembly pages after the frames that hold the CPU areas. */
const CPU_AREA_PAGES = 2;
if (CPU_AREAS * CPU_AREA_SIZE > CPU_AREA_PAGES * WASM_PAGE) throw new Error("the CPU areas outgrew their WebAssembly pages");

export class FramePool {
  readonly bytes: Uint8Array;
  /** The WebAssembly memory behind `bytes` (null when the pool is too large for one), shared with compiled code;
   * private (#) so snapshots, which walk enumerable state, see only `bytes`. */
  readonly #memory: WebAssembly.Memory | null;
  private cpuAreas = 0;
  readonly view: DataView;
  readonly frameCount: number;
  /** Reference count per frame; 0 = free. A frame shared by memory delegation has count > 1. */
  readonly refs: Uint16Array;
  /** Per frame: nonzero while some CPU holds instructions decoded from it (its writes must invalidate them). */
  readonly code: Uint8Array;
  /** Per frame: bumped by every write to a code frame; CPUs drop blocks decoded under an older epoch. */
  readonly codeEpoch: Uint32Array;
  /** Counts of code-frame writes and of frames newly marked as code; CPUs compare them at run() entry. */
  codeWrites = 0;
  codeMarks = 0;
  private nextFree = 1; // frame 0 stays unused so a frame number of 0 can mean "none"
  private freeList: number[] = [];
  used = 0;

  constructor(megabytes = 512) {
    this.frameCount = Math.floor((megabytes * 1024 * 1024) / PAGE_SIZE); // not >>>: 4096 MiB is 2^32 bytes
    // V8 backs large zeroed buffers (WebAssembly memories too) lazily, so untouched frames cost no host memory.
    const frameBytes = this.frameCount * PAGE_SIZE;
    const pages = Math.ceil(frameBytes / WASM_PAGE) + CPU_AREA_PAGES;
    this.#memory = pages <= 65536 ? new WebAssembly.Memory({ initial: pages, maximum: pages }) : null;
    this.bytes = this.#memory !== null ? new Uint8Array(this.#memory.buffer, 0, frameBytes) : new Uint8Array(frameBytes);
    this.view = new DataView(this.bytes.buffer);
    this.refs = new Uint16Array(this.frameCount);
    this.code = new Uint8Array(this.frameCount);
    this.codeEpoch = new Uint32Array(this.frameCount);
  }

  /** Every writer of frame contents outside the CPU's fast path calls this, so decoded code never goes stale. */
  noteWrite(frame: number): void {
    if (this.code[frame] !== 0) {
      this.code[frame] = 0;
      this.codeEpoch[frame]++;
      this.codeWrites++;
    }
  }

  /** A CPU decoded instructions from this frame. */
  markCode(frame: number): void {
    if (this.code[frame] === 0) {
      this.code[frame] = 1;
      this.codeMarks++;
    }
  }

  /** Byte offset of a fresh CPU area in the memory's buffer, or -1 when none is left (or there is no memory). */
  get memory(): WebAssembly.Memory | null {
    return this.#memory;
  }

  allocCpuArea(): number {
    if (this.#memory === null || this.cpuAreas >= CPU_AREAS) return -1;
    return this.frameCount * PAGE_SIZE + CPU_AREA_SIZE * this.cpuAreas++;
  }

  /** Allocates one zeroed frame and returns its number. */
  alloc(): number {
    let frame: number;
    if (this.freeList.length > 0) {
      frame = this.freeList.pop()!;
      this.noteWrite(frame);
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
