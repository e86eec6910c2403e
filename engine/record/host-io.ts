// Mounted host folders as recorded input: every answer the host gives the file server becomes one input row.
// A replay must never read the host folder (it may have changed or be gone), so the replaying HostIo reads only rows.

import type { HostIo, HostStat } from "../roottask/fs/host.ts";

/** The input row of a guest write that found the host's stdout/stderr closed; its data is the stream's name. */
export const CONSOLE_CLOSED_INPUT = "console-closed";

/** Input-row kinds, one per HostIo method. */
export const HOST_KINDS = { lstat: "host-lstat", readdir: "host-readdir", readlink: "host-readlink", read: "host-read" } as const;
type Op = keyof typeof HOST_KINDS;

/** What was asked and, except for a read's bytes, what came back. */
export interface HostCall {
  path: string;
  offset?: number;
  max?: number;
  result?: HostStat | string[] | string | number;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** A row's data: u32 (little endian) header length, the call as JSON, then a successful read's bytes. */
export function encodeHostCall(call: HostCall, bytes: Uint8Array = new Uint8Array(0)): Uint8Array {
  const header = encoder.encode(JSON.stringify(call));
  const out = new Uint8Array(4 + header.length + bytes.length);
  new DataView(out.buffer).setUint32(0, header.length, true);
  out.set(header, 4);
  out.set(bytes, 4 + header.length);
  return out;
}

/** The inverse of encodeHostCall; null when the row is not one (a damaged recording). */
export function decodeHostCall(data: Uint8Array): { call: HostCall; bytes: Uint8Array } | null {
  if (data.length < 4) return null;
  const length = new DataView(data.buffer, data.byteOffset, data.byteLength).getUint32(0, true);
  if (4 + length > data.length) return null;
  try {
    const call = JSON.parse(decoder.decode(data.subarray(4, 4 + length))) as HostCall;
    if (typeof call !== "object" || call === null || typeof call.path !== "string") return null;
    return { call, bytes: data.slice(4 + length) };
  } catch {
    return null;
  }
}

/** Passes every call to `host` and hands each answer to `store` as (kind, row data). */
export function recordingHostIo(host: HostIo, store: (kind: string, data: Uint8Array) => void): HostIo {
  return {
    lstat(path) {
      const result = host.lstat(path);
      store(HOST_KINDS.lstat, encodeHostCall({ path, result }));
      return result;
    },
    readdir(path) {
      const result = host.readdir(path);
      store(HOST_KINDS.readdir, encodeHostCall({ path, result }));
      return result;
    },
    readlink(path) {
      const result = host.readlink(path);
      store(HOST_KINDS.readlink, encodeHostCall({ path, result }));
      return result;
    },
    read(path, offset, max) {
      const result = host.read(path, offset, max);
      store(HOST_KINDS.read, typeof result === "number" ? encodeHostCall({ path, offset, max, result }) : encodeHostCall({ path, offset, max }, result));
      return result;
    },
  };
}

/** -EIO: what a call gets when the recording has no matching answer (the replay has diverged by then). */
const EIO = -5;

/**
 * Answers every call from the recording. `take(kind, asked)` returns the next row's data if it is of that kind,
 * else null; `mismatch(what)` reports a row whose call differs from the one replay makes.
 */
export function replayingHostIo(take: (kind: string, asked: string) => Uint8Array | null, mismatch: (what: string) => void): HostIo {
  const answer = (op: Op, asked: HostCall): { call: HostCall; bytes: Uint8Array } | null => {
    const text = `${op} ${asked.path}${asked.max === undefined ? "" : ` at ${asked.offset} (${asked.max} bytes)`}`;
    const data = take(HOST_KINDS[op], text);
    if (data === null) return null;
    const row = decodeHostCall(data);
    if (!row || row.call.path !== asked.path || row.call.offset !== asked.offset || row.call.max !== asked.max) {
      mismatch(`the guest's host ${text} differs from the recorded one (${row ? `${op} ${row.call.path}` : "unreadable row"})`);
      return null;
    }
    return row;
  };
  return {
    lstat: (path) => (answer("lstat", { path })?.call.result as HostStat | number | undefined) ?? EIO,
    readdir: (path) => (answer("readdir", { path })?.call.result as string[] | number | undefined) ?? EIO,
    readlink: (path) => (answer("readlink", { path })?.call.result as string | number | undefined) ?? EIO,
    read(path, offset, max) {
      const row = answer("read", { path, offset, max });
      if (!row) return EIO;
      return typeof row.call.result === "number" ? row.call.result : row.bytes;
    },
  };
}
