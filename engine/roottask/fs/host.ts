// Read-only access to a host folder mounted into the guest tree (`--mount HOST:GUEST`).
// Callers only ever pass a mount root joined with names that contain no "/" and are not "." or "..",
// so nothing here can reach outside the folder; symlinks are reported, never followed on the host.
// Every host access goes through one HostIo object, so a recorder can store the answers and a replay feed them back.

import * as nodeFs from "node:fs";
import { E } from "./errno.ts";

export interface HostStat {
  mode: number;
  size: number;
  /** Hard links (a directory: 2 + its subdirectories); absent in recordings made before it was kept: 1. */
  nlink?: number;
  mtimeNs: number;
  atimeNs: number;
  ctimeNs: number;
}

/** Host error code → errno, so host trouble reaches the guest as an ordinary error value. */
function hostErrno(error: unknown): number {
  const code = (error as { code?: string }).code;
  switch (code) {
    case "ENOENT": return E.ENOENT;
    case "ENOTDIR": return E.ENOTDIR;
    case "EACCES": case "EPERM": return E.EACCES;
    case "ELOOP": return E.ELOOP;
    case "EISDIR": return E.EISDIR;
    case "ENAMETOOLONG": return E.ENAMETOOLONG;
    default: return E.EIO;
  }
}

/** lstat of a host path, or -errno. */
export function hostLstat(path: string): HostStat | number {
  try {
    const st = nodeFs.lstatSync(path, { bigint: true });
    return {
      mode: Number(st.mode),
      size: Number(st.size),
      nlink: Number(st.nlink),
      atimeNs: Number(st.atimeNs),
      mtimeNs: Number(st.mtimeNs),
      ctimeNs: Number(st.ctimeNs),
    };
  } catch (error) {
    return -hostErrno(error);
  }
}

/** Names in a host directory, sorted so the guest sees the same order on every host. */
export function hostReaddir(path: string): string[] | number {
  try {
    return nodeFs.readdirSync(path).sort();
  } catch (error) {
    return -hostErrno(error);
  }
}

export function hostReadlink(path: string): string | number {
  try {
    return nodeFs.readlinkSync(path);
  } catch (error) {
    return -hostErrno(error);
  }
}

/** Up to `max` bytes at `offset` of a host file (opened without following a final symlink). */
export function hostRead(path: string, offset: number, max: number): Uint8Array | number {
  let fd = -1;
  try {
    fd = nodeFs.openSync(path, nodeFs.constants.O_RDONLY | nodeFs.constants.O_NOFOLLOW);
    const out = new Uint8Array(max);
    let done = 0;
    while (done < max) {
      const n = nodeFs.readSync(fd, out, done, max - done, offset + done);
      if (n === 0) break;
      done += n;
    }
    return done === max ? out : out.slice(0, done);
  } catch (error) {
    return -hostErrno(error);
  } finally {
    if (fd >= 0) nodeFs.closeSync(fd);
  }
}

/** Everything the file server asks of the host about mounted folders (errors as -errno). */
export interface HostIo {
  lstat(path: string): HostStat | number;
  readdir(path: string): string[] | number;
  readlink(path: string): string | number;
  read(path: string, offset: number, max: number): Uint8Array | number;
}

/** The host's own file system. */
export const NODE_HOST_IO: HostIo = { lstat: hostLstat, readdir: hostReaddir, readlink: hostReadlink, read: hostRead };

/** The changes a writable mount accepts (the FAT disk with --disk-writable); paths and results as HostIo's. */
export interface MountWriter {
  create(path: string): number;
  mkdir(path: string): number;
  write(path: string, offset: number, bytes: Uint8Array): number;
  truncate(path: string, length: number): number;
  unlink(path: string): number;
  rmdir(path: string): number;
  /** Replaces a file by a file or an empty directory by a directory, as rename(2). */
  rename(from: string, to: string): number;
  setTimes(path: string, atimeNs: number, mtimeNs: number): number;
  chmod(path: string, mode: number): number;
  /** Makes every change so far durable (last close of a file on it, fsync, exit). */
  sync(): void;
}

/** A mount's own backend (the FAT disk): read like a host folder, changed through `writer` unless read-only. */
export interface MountIo extends HostIo {
  readonly writer: MountWriter | null;
}
