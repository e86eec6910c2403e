// The roottask's native service portals (HEDRON.md §10): allocation 35, stdout 36, stderr 37, file system 38, echo 39,
// raw echo 40, and the lab's exit 41, log 42, process 43, framebuffer 44, network 46 (net/service.ts). Fixed UTCB word layouts stand in for the seed's Rust serialisation.
//
// Word layouts (w0 = untyped word 0 at UTCB+0x20; "bytes" start at the next word and fill the following words):
//   allocation  request w0 = 0 alloc: w1 = size, w2 = align | w0 = 1 release: w1 = address, w2 = size   reply w0 = address (0 = failure) / 0
//   stdout/err  request w0 = byte count (≤ 4000), bytes                                                 reply (empty)
//   fs          w0 = op: 0 open  w1 = flags, w2 = mode, w3 = path length, bytes → w0 = fd or -errno
//                        1 read  w1 = fd, w2 = max (≤ 4000)                   → w0 = count or -errno, bytes
//                        2 write w1 = fd, w2 = count (≤ 4000), bytes          → w0 = count or -errno
//                        3 lseek w1 = fd, w2 = offset, w3 = whence            → w0 = offset or -errno
//                        4 close w1 = fd                                      → w0 = 0 or -errno
//                        5 fstat w1 = fd                                      → w0 = 0 or -errno, w1 = size, w2 = mode, w3 = nlink, w4 = ino
//   echo        the request words come back unchanged; raw echo replies with no words.
//   exit (41, a lab extension: the seed had no way for a native app to end) w0 = exit status; no reply.
//   log (42)    w0 = byte count (≤ 4000), bytes: one `[ INFO] [LOG PID=n] …` line on the roottask's log     reply (empty)
//   process (43) w0 = 0 start: w1 = byte count, bytes "path\0arg0\0arg1\0…" (a file the file server holds) → w0 = pid or -errno
//                w0 = 1 wait: w1 = pid of a child → w0 = exit status, or -ECHILD; while the child runs -EAGAIN plus one typed
//                             item: its exit semaphore (down right) into the caller's delegate window (down it, then ask again)
//                w0 = 2 self                       → w0 = pid, w1 = CPU, w2 = number of CPUs
//   framebuffer (44) (empty)                       → w0 = address of the linear framebuffer now mapped read-write into the
//                                                    caller (0 = none), w1 = width, w2 = height, w3 = pitch in bytes (RGB32)

import { PERM_RW, type AddressSpace } from "../memory/address-space.ts";
import { PAGE_SIZE } from "../memory/frames.ts";
import { SM_DOWN } from "../hedron/abi.ts";
import { encodeCrd, objCrd } from "../hedron/capspace.ts";
import type { Utcb } from "../hedron/utcb.ts";
import { UTCB_DATA } from "../hedron/utcb.ts";
import { AT_FDCWD } from "./fs/abi.ts";
import { E } from "./fs/errno.ts";
import type { FileServer } from "./fs/file-server.ts";
import { XFER_DELEGATE } from "./hypercalls.ts";
import type { Process } from "./process.ts";
import { SERVICE_NET, serveNet } from "./net/service.ts";
import type { NetStack } from "./net/stack.ts";

export const SERVICE_ALLOC = 35;
export const SERVICE_STDOUT = 36;
export const SERVICE_STDERR = 37;
export const SERVICE_FS = 38;
export const SERVICE_ECHO = 39;
export const SERVICE_RAW_ECHO = 40;
export const SERVICE_EXIT = 41;
export const SERVICE_LOG = 42;
export const SERVICE_PROCESS = 43;
export const SERVICE_FB = 44;
export const SERVICE_NAMES: Record<number, string> = {
  35: "alloc", 36: "stdout", 37: "stderr", 38: "fs", 39: "echo", 40: "raw echo", 41: "exit", 42: "log", 43: "process", 44: "framebuffer",
  46: "net",
};
/** The first and last service portal of every app. */
export const FIRST_SERVICE = SERVICE_ALLOC;
export const LAST_SERVICE = SERVICE_FB;

/** Largest byte payload of one message (HEDRON.md §10: chunks of ≤ 4000 bytes). */
export const MAX_CHUNK = 4000;
/** Where the allocation service places memory in a native app. */
export const ALLOC_BASE = 0x100000000;

export interface ServiceHost {
  fileServer: FileServer;
  net: NetStack;
  /** False when the host end is closed (the write fails with EPIPE). */
  writeConsole(stream: "stdout" | "stderr", bytes: Uint8Array): boolean;
  space(proc: Process): AddressSpace;
  log(text: string): void;
  /** Starts a program from the file server as a child of `parent`: its pid, or -errno. */
  spawn(parent: Process, path: string, argv: string[]): number;
  /** A child's exit status; -ECHILD if `pid` is no child of `parent`; -EAGAIN (and the exit SM's root selector) while it runs. */
  wait(parent: Process, pid: number): { status: number; exitSm: number };
  /** CPU and CPU count of the caller. */
  cpus(proc: Process): [number, number];
  /** Maps the linear framebuffer into the caller: [address, width, height, pitch], or null without one. */
  framebuffer(proc: Process): [number, number, number, number] | null;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Runs one service request in the handler EC's UTCB; the reply is left in the same UTCB (exit is the roottask's). */
export function serve(service: number, proc: Process, utcb: Utcb, host: ServiceHost): void {
  switch (service) {
    case SERVICE_ALLOC: return alloc(proc, utcb, host);
    case SERVICE_STDOUT:
    case SERVICE_STDERR: return console(service === SERVICE_STDOUT ? "stdout" : "stderr", proc, utcb, host);
    case SERVICE_FS: return fs(proc, utcb, host);
    case SERVICE_ECHO: return;
    case SERVICE_RAW_ECHO: return utcb.setItems(0, 0);
    case SERVICE_LOG: {
      host.log(`[LOG PID=${proc.pid}] ${decoder.decode(payload(utcb, 1, utcb.word(0))).replace(/\n$/, "")}`);
      return utcb.setItems(0, 0);
    }
    case SERVICE_PROCESS: return processService(proc, utcb, host);
    case SERVICE_FB: return replyWords(utcb, ...(host.framebuffer(proc) ?? [0, 0, 0, 0]));
    case SERVICE_NET: return serveNet(host.net, host.fileServer, proc.pid, utcb);
    default: throw new Error(`roottask: no service ${service}`);
  }
}

function payload(utcb: Utcb, firstWord: number, count: number): Uint8Array {
  return utcb.bytes(UTCB_DATA + 8 * firstWord, Math.min(count, MAX_CHUNK));
}

function replyWords(utcb: Utcb, ...words: number[]): void {
  words.forEach((w, i) => utcb.setWord(i, w));
  utcb.setItems(words.length, 0);
}

function alloc(proc: Process, utcb: Utcb, host: ServiceHost): void {
  const space = host.space(proc);
  if (utcb.word(0) === 1) {
    space.unmapRange(utcb.word(1), Math.max(1, utcb.word(2)));
    return replyWords(utcb, 0);
  }
  const size = Math.ceil(Math.max(1, utcb.word(1)) / PAGE_SIZE) * PAGE_SIZE;
  const align = Math.max(PAGE_SIZE, utcb.word(2));
  const addr = Math.ceil(proc.allocNext / align) * align;
  space.mapAnonymous(addr, size, PERM_RW);
  proc.allocNext = addr + size;
  replyWords(utcb, addr);
}

function console(stream: "stdout" | "stderr", proc: Process, utcb: Utcb, host: ServiceHost): void {
  const text = decoder.decode(payload(utcb, 1, utcb.word(0)));
  const tag = `[${stream.toUpperCase()} PID=${proc.pid}] `;
  host.writeConsole(stream, encoder.encode(tag + text + (text.endsWith("\n") ? "" : "\n")));
  utcb.setItems(0, 0);
}

function fs(proc: Process, utcb: Utcb, host: ServiceHost): void {
  const server = host.fileServer;
  const pid = proc.pid;
  switch (utcb.word(0)) {
    case 0: {
      const path = decoder.decode(payload(utcb, 4, utcb.word(3)));
      return replyWords(utcb, server.open(pid, AT_FDCWD, path, utcb.word(1), utcb.word(2)));
    }
    case 1: {
      let got = new Uint8Array(0);
      const r = server.read(pid, utcb.word(1), Math.min(utcb.word(2), MAX_CHUNK), (bytes) => (got = bytes.slice()));
      if (r > 0) utcb.bytes(UTCB_DATA + 8, got.length).set(got);
      utcb.setWord(0, r);
      return utcb.setItems(1 + Math.ceil(Math.max(r, 0) / 8), 0);
    }
    case 2: return replyWords(utcb, server.write(pid, utcb.word(1), payload(utcb, 3, utcb.word(2)).slice()));
    case 3: return replyWords(utcb, server.lseek(pid, utcb.word(1), utcb.word(2), utcb.word(3)));
    case 4: return replyWords(utcb, server.close(pid, utcb.word(1)));
    case 5: {
      const st = server.fstat(pid, utcb.word(1));
      return typeof st === "number" ? replyWords(utcb, st) : replyWords(utcb, 0, st.size, st.mode, st.nlink, st.ino);
    }
    default: return replyWords(utcb, -E.EINVAL);
  }
}

function processService(proc: Process, utcb: Utcb, host: ServiceHost): void {
  switch (utcb.word(0)) {
    case 0: {
      const [path, ...argv] = decoder.decode(payload(utcb, 2, utcb.word(1))).split("\0").filter((s, i) => s || i === 0);
      return replyWords(utcb, path ? host.spawn(proc, path, argv.length > 0 ? argv : [path]) : -E.ENOENT);
    }
    case 1: {
      const { status, exitSm } = host.wait(proc, utcb.word(1));
      replyWords(utcb, status);
      if (status !== -E.EAGAIN) return;
      utcb.setTypedItem(0, encodeCrd(objCrd(exitSm, 0, SM_DOWN)), XFER_DELEGATE);
      return utcb.setItems(1, 1);
    }
    case 2: return replyWords(utcb, proc.pid, ...host.cpus(proc));
    default: return replyWords(utcb, -E.EINVAL);
  }
}
