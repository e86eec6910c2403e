// The disk under the FAT service: a raw image file read by sector, and written back only by an atomic commit.
// Crash safety by write ordering at file level: a commit writes a full copy beside the image and renames it over, so a
// SIGKILL at any instant leaves either the previous or the new image, each a state the driver left consistent.

import * as nodeFs from "node:fs";
import { FatError, parseBpb, type Bpb } from "./layout.ts";

export const SECTOR = 512;

/** Everything the FAT service asks of the host about its disk (the recorder and the replayer substitute their own). */
export interface DiskIo {
  /** `count` sectors from `lba`, or -errno (EIO beyond the end of the image). */
  read(lba: number, count: number): Uint8Array | number;
  /** Makes every sector in `writes` durable at once (all or nothing); only called on a writable disk. */
  commit(writes: { lba: number; bytes: Uint8Array }[]): void;
}

/** What `--disk` names: the image and whether the guest may change it. */
export interface DiskConfig {
  path: string;
  writable: boolean;
  /** How the image is reached (default: the file at `path`); the recorder and the replayer substitute their own. */
  io?: DiskIo;
}

const EIO = -5;

/** The image's BPB, or why it cannot be attached (one sentence naming it): the CLI and the lab check before booting. */
export function readDiskImage(image: string): { problem: string; bpb: null } | { problem: null; bpb: Bpb } {
  const boot = new Uint8Array(SECTOR);
  try {
    if (!nodeFs.statSync(image).isFile()) return { problem: `${image} is not a file`, bpb: null };
    const fd = nodeFs.openSync(image, "r");
    try {
      nodeFs.readSync(fd, boot, 0, SECTOR, 0);
    } finally {
      nodeFs.closeSync(fd);
    }
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return { problem: `${image}: ${code === "ENOENT" ? "no such file" : `cannot read (${code ?? String(error)})`}`, bpb: null };
  }
  try {
    return { problem: null, bpb: parseBpb(boot) };
  } catch (error) {
    if (error instanceof FatError) return { problem: `${image} is not a FAT volume: ${error.message}`, bpb: null };
    throw error;
  }
}

/** Where a commit builds the next image before renaming it over the old one. */
export function commitPath(image: string): string {
  return `${image}.hedron-commit`;
}

/** The image file itself. A commit left half-done by a killed lab (only ever the side copy) is removed first. */
export function imageDiskIo(image: string, writable: boolean): DiskIo {
  if (writable) nodeFs.rmSync(commitPath(image), { force: true });
  let fd = nodeFs.openSync(image, "r");
  return {
    read(lba, count) {
      const out = new Uint8Array(count * SECTOR);
      let done = 0;
      while (done < out.length) {
        const n = nodeFs.readSync(fd, out, done, out.length - done, lba * SECTOR + done);
        if (n === 0) return EIO;
        done += n;
      }
      return out;
    },
    commit(writes) {
      if (!writable) throw new Error(`disk ${image}: commit on a read-only disk`);
      const next = commitPath(image);
      nodeFs.copyFileSync(image, next);
      const out = nodeFs.openSync(next, "r+");
      try {
        for (const w of writes) nodeFs.writeSync(out, w.bytes, 0, w.bytes.length, w.lba * SECTOR);
        nodeFs.fsyncSync(out);
      } finally {
        nodeFs.closeSync(out);
      }
      nodeFs.renameSync(next, image);
      nodeFs.closeSync(fd);
      fd = nodeFs.openSync(image, "r");
    },
  };
}

/** Input-row kind of one sector read in a recording. */
export const DISK_READ_KIND = "disk-read";

/** A row: u32 lba, u32 count (little endian), then the sectors. */
function encodeRead(lba: number, count: number, bytes: Uint8Array | null): Uint8Array {
  const out = new Uint8Array(8 + (bytes?.length ?? 0));
  const view = new DataView(out.buffer);
  view.setUint32(0, lba, true);
  view.setUint32(4, count, true);
  if (bytes) out.set(bytes, 8);
  return out;
}

/** Passes reads to `disk` and stores each answer; commits still reach the image (a recorded run is a real run). */
export function recordingDiskIo(disk: DiskIo, store: (kind: string, data: Uint8Array) => void): DiskIo {
  return {
    read(lba, count) {
      const result = disk.read(lba, count);
      store(DISK_READ_KIND, encodeRead(lba, count, typeof result === "number" ? null : result));
      return result;
    },
    commit: (writes) => disk.commit(writes),
  };
}

/**
 * Answers reads from the recording, never the image (it may have changed or be gone); commits are dropped.
 * `take(kind, asked)` returns the next row of that kind or null; `mismatch` reports a row for another read.
 */
export function replayingDiskIo(take: (kind: string, asked: string) => Uint8Array | null, mismatch: (what: string) => void): DiskIo {
  return {
    read(lba, count) {
      const asked = `disk read of ${count} sector(s) at ${lba}`;
      const data = take(DISK_READ_KIND, asked);
      if (data === null) return EIO;
      const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
      if (data.length < 8 || view.getUint32(0, true) !== lba || view.getUint32(4, true) !== count) {
        mismatch(`the guest's ${asked} differs from the recorded one`);
        return EIO;
      }
      return data.length === 8 ? EIO : data.slice(8);
    },
    commit: () => {},
  };
}
