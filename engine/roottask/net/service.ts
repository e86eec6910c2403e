// The network service's native portal (46): what a Hedron app reaches through hrstd's hrt_net_* (engine/guests/sdk).
// Sockets are the caller's file-server fds, as for Linux apps, so one socket table serves both personalities.
//
// Word layout (w0 = op; IPv4 addresses as a host-order u32, ports as numbers; results ≥ 0 or -errno):
//   0 socket  w1 = type (1 stream, 2 datagram)          → w0 = fd
//   1 bind    w1 = fd, w2 = ipv4, w3 = port             → w0 = 0; w1 = the port bound (port 0 picks one)
//   2 listen  w1 = fd, w2 = backlog                     → w0 = 0
//   3 connect w1 = fd, w2 = ipv4, w3 = port             → w0 = 0
//   4 accept  w1 = fd                                   → w0 = fd of the connection
//   5 send    w1 = fd, w2 = count (≤ 4000), bytes       → w0 = count sent
//   6 recv    w1 = fd, w2 = max (≤ 4000)                → w0 = count (0: end of stream), bytes
//   7 close   w1 = fd                                   → w0 = 0
// A call that would block (accept with nothing pending, recv with nothing queued, send into a full peer) keeps the
// caller waiting: the roottask withholds the reply and runs the request again when the socket changes (NativeNetWaits).

import { O_RDWR, S_IFSOCK } from "../fs/abi.ts";
import { E } from "../fs/errno.ts";
import type { FileServer } from "../fs/file-server.ts";
import { UTCB_DATA, type Utcb } from "../../hedron/utcb.ts";
import { AF_INET, type Socket } from "./socket.ts";
import { SocketFile, type NetStack } from "./stack.ts";

export const SERVICE_NET = 46;
const MAX_CHUNK = 4000;
const OP_NAMES = ["socket", "bind", "listen", "connect", "accept", "send", "recv", "close"];

function ipText(ip: number): string {
  return [ip >>> 24, (ip >>> 16) & 0xff, (ip >>> 8) & 0xff, ip & 0xff].join(".");
}

function reply(utcb: Utcb, ...words: number[]): void {
  words.forEach((w, i) => utcb.setWord(i, w));
  utcb.setItems(words.length, 0);
}

/** A native app's network call that waits: its request words, kept to run it again in a waker's UTCB. */
export interface NativeNetWait {
  pid: number;
  socketId: number;
  request: Uint8Array;
}

/** Native network calls whose replies are withheld, by caller EC, and those due to run again (plain data). */
export class NativeNetWaits {
  readonly waiting = new Map<number, NativeNetWait>();
  readonly due: number[] = [];

  /** Keeps the request in `utcb` (its untyped words) of the caller EC `callerEc` until socket `socketId` changes. */
  park(callerEc: number, pid: number, socketId: number, utcb: Utcb): void {
    this.waiting.set(callerEc, { pid, socketId, request: utcb.bytes(UTCB_DATA, 8 * utcb.untyped).slice() });
  }

  /** Socket `socketId` changed: every call waiting on it is due. */
  changed(socketId: number): void {
    for (const [ec, w] of this.waiting) if (w.socketId === socketId && !this.due.includes(ec)) this.due.push(ec);
  }

  /** The calls process `pid` waits in ("net accept", …), for the deadlock report. */
  callsOf(pid: number): string[] {
    return [...this.waiting.values()].filter((w) => w.pid === pid).map((w) => `net ${OP_NAMES[w.request[0]] ?? "call"}`);
  }

  /** Puts a waiting call's request into `utcb` for its next run. */
  restore(w: NativeNetWait, utcb: Utcb): void {
    utcb.bytes(UTCB_DATA, w.request.length).set(w.request);
    utcb.setItems(w.request.length / 8, 0);
  }
}

/** Serves one request of process `pid` in the handler's UTCB; the reply is left there. Throws SocketWouldBlock. */
export function serveNet(net: NetStack, files: FileServer, pid: number, utcb: Utcb): void {
  const fd = utcb.word(1);
  const socketOf = (): Socket | number => {
    const file = files.file(pid, fd);
    if (!file) return -E.EBADF;
    return file.service instanceof SocketFile ? file.service.socket : -E.ENOTSOCK;
  };
  const addr = () => ({ family: AF_INET, ip: ipText(utcb.word(2)), port: utcb.word(3) & 0xffff, path: "" });
  const op = utcb.word(0);
  if (op === 0) {
    const made = net.create(AF_INET, utcb.word(1), 0);
    return reply(utcb, typeof made === "number" ? made : files.openService(pid, net.file(made), S_IFSOCK | 0o777, O_RDWR));
  }
  if (op === 7) return reply(utcb, files.close(pid, fd));
  const socket = socketOf();
  if (typeof socket === "number") return reply(utcb, socket);
  switch (op) {
    case 1: {
      const r = net.bind(socket, addr());
      return reply(utcb, r, r === 0 ? socket.local!.port : 0);
    }
    case 2: return reply(utcb, net.listen(socket, utcb.word(2)));
    case 3: return reply(utcb, net.connect(socket, addr(), false));
    case 4: {
      const made = net.accept(socket, false);
      return reply(utcb, typeof made === "number" ? made : files.openService(pid, net.file(made), S_IFSOCK | 0o777, O_RDWR));
    }
    case 5: return reply(utcb, net.send(socket, utcb.bytes(UTCB_DATA + 24, Math.min(utcb.word(2), MAX_CHUNK)).slice(), false));
    case 6: {
      const r = net.recv(socket, Math.min(utcb.word(2), MAX_CHUNK), 0, false);
      if (typeof r === "number") return reply(utcb, r);
      utcb.bytes(UTCB_DATA + 8, r.bytes.length).set(r.bytes);
      utcb.setWord(0, r.bytes.length);
      return utcb.setItems(1 + Math.ceil(r.bytes.length / 8), 0);
    }
    default: return reply(utcb, -E.EINVAL);
  }
}
