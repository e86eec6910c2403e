// The network service: TCP/UDP on the lab's own loopback and UNIX sockets, as Linux shows them to programs.
// No packets: what a program observes (handshake into the backlog, flow control, FIN/RST, ICMP-refused UDP) is modelled.

import { E } from "../fs/errno.ts";
import type { ServiceFile } from "../fs/file-server.ts";
import {
  AF_INET, AF_INET6, AF_UNIX, BUF_MAX, EPHEMERAL_FIRST, EPHEMERAL_LAST, formatAddr, isAny, isLoopback, MIN_RCVBUF, MIN_SNDBUF,
  MSG_PEEK, MSG_WAITALL, POLLERR, POLLHUP, POLLIN, POLLOUT, POLLRDHUP, POLLRDNORM, POLLWRNORM, SHUT_RD, SHUT_RDWR, SHUT_WR,
  SOCK_DGRAM, SOCK_STREAM, TCP_RCVBUF, TCP_SNDBUF, UDP_BUF, type SockAddr, type Socket,
} from "./socket.ts";

/**
 * A blocking socket call that cannot proceed now (a non-blocking socket gets EAGAIN instead). The Linux personality
 * withholds its reply until the socket changes (announced under socketWaitKey); the native service ends the run.
 */
export class SocketWouldBlock extends Error {
  constructor(readonly socketId: number, message: string) {
    super(message);
  }
}

/** The wait key under which a socket's readiness changes are announced. */
export const socketWaitKey = (id: number) => `net:${id}`;

export interface SocketView {
  id: number;
  /** "tcp", "udp6", "unix stream" … */
  kind: string;
  state: string;
  local: string;
  peer: string;
  /** Bytes received and not yet read. */
  queued: number;
}

/** Largest UDP payload over IPv4 (65535 − IP and UDP headers); IPv6 allows 65527. */
const UDP_MAX_V4 = 65507;
const UDP_MAX_V6 = 65527;
/** net.unix.max_dgram_qlen: datagrams a UNIX socket queues before senders wait. */
const UNIX_DGRAM_QLEN = 512;
/** SOMAXCONN: listen's backlog is capped here. */
const SOMAXCONN = 4096;

/** A received message: the bytes handed out, who sent them, the datagram's full length (MSG_TRUNC), passed files. */
export interface Received {
  bytes: Uint8Array;
  from: SockAddr | null;
  fullLength: number;
  /** File descriptions that came with the bytes (SCM_RIGHTS): the receiver installs or drops each. */
  rights: number[];
}

/**
 * SCM_RIGHTS on a send: takes a reference to each file description passed, called only once the message is queued
 * (a send that fails or waits takes none). The service keeps the ids as opaque numbers.
 */
export type HoldRights = () => number[];

export class NetStack {
  readonly sockets = new Map<number, Socket>();
  /** "tcp:PORT" / "udp:PORT" → sockets bound there. */
  private readonly ports = new Map<string, number[]>();
  /** UNIX names: socket-file inode → socket, abstract name → socket. */
  private readonly unixByIno = new Map<number, number>();
  private readonly abstract = new Map<string, number>();
  private nextId = 1;
  private nextPort = EPHEMERAL_FIRST;
  private nextAutobind = 0;
  /** Called with a waiter's token when its socket becomes ready for what it waits for (the blocking mechanism's hook). */
  onWake: ((token: number) => void) | null = null;
  /** Called with a socket's id whenever its state changes (blocked Linux calls on it look again). */
  onChange: ((socketId: number) => void) | null = null;
  /** Releases passed file descriptions nobody will receive (a socket closed with them queued, a read() that drops them). */
  onDropRights: ((files: number[]) => void) | null = null;

  /** What the Machine view lists of a socket: protocol, state, addresses and the bytes waiting to be read. */
  describe(socket: Socket): SocketView {
    const ip = socket.family !== AF_UNIX;
    const kind = ip ? (socket.type === SOCK_STREAM ? "tcp" : "udp") + (socket.family === AF_INET6 ? "6" : "") : socket.type === SOCK_STREAM ? "unix stream" : "unix dgram";
    const queued = socket.rxBytes + socket.dgrams.reduce((n, d) => n + d.bytes.length, 0);
    return { id: socket.id, kind, state: socket.state, local: formatAddr(socket.local), peer: formatAddr(socket.peer), queued };
  }

  create(family: number, type: number, protocol: number): Socket | number {
    if (family !== AF_INET && family !== AF_INET6 && family !== AF_UNIX) return -E.EAFNOSUPPORT;
    if (type !== SOCK_STREAM && type !== SOCK_DGRAM) return -E.ESOCKTNOSUPPORT;
    const ip = family !== AF_UNIX;
    if (protocol !== 0 && !(ip && protocol === (type === SOCK_STREAM ? 6 : 17))) return -E.EPROTONOSUPPORT;
    const id = this.nextId++;
    const big = type === SOCK_DGRAM && ip;
    const socket: Socket = {
      id, family, type, protocol: ip ? (type === SOCK_STREAM ? 6 : 17) : 0, state: "fresh", local: null, peer: null, peerId: 0,
      rx: [], rxRights: [], rxBytes: 0, dgrams: [], queue: [], pending: [], backlog: 0, peerShutWr: false, shutRd: false, shutWr: false,
      peerGone: false, error: 0, connectReported: true,
      options: {
        reuseAddr: false, reusePort: false, keepAlive: false, noDelay: false, lingerOn: false, lingerSecs: 0,
        rcvbuf: big ? UDP_BUF : TCP_RCVBUF, sndbuf: big ? UDP_BUF : ip ? TCP_SNDBUF : UDP_BUF, v6only: false,
      },
      ino: 0, open: true, waiters: [],
    };
    this.sockets.set(id, socket);
    return socket;
  }

  get(id: number): Socket {
    const s = this.sockets.get(id);
    if (!s) throw new Error(`network service: no socket ${id}`);
    return s;
  }

  /** The file-server face of a socket (read, write, poll, last close). */
  file(socket: Socket): ServiceFile {
    return new SocketFile(this, socket.id);
  }

  // ---- wait queues ----

  /** Registers a waiter for poll bits `events` (POLLERR and POLLHUP always count); it is woken once, then dropped. */
  addWaiter(socket: Socket, token: number, events: number): void {
    socket.waiters.push({ token, events: events | POLLERR | POLLHUP });
  }

  removeWaiter(socket: Socket, token: number): void {
    socket.waiters = socket.waiters.filter((w) => w.token !== token);
  }

  /** A socket's state changed: wakes every waiter whose events are now ready. */
  private notify(socket: Socket | undefined): void {
    if (!socket) return;
    this.onChange?.(socket.id);
    if (socket.waiters.length === 0) return;
    const mask = this.pollMask(socket);
    const ready = socket.waiters.filter((w) => w.events & mask);
    if (ready.length === 0) return;
    socket.waiters = socket.waiters.filter((w) => !(w.events & mask));
    for (const w of ready) this.onWake?.(w.token);
  }

  /**
   * Points an IP socket at `dest` on the loopback (the any-address means this host), binding an ephemeral port
   * first; sets its local and peer addresses and returns the destination, or -errno.
   */
  private aimAt(socket: Socket, dest: SockAddr): SockAddr | number {
    if (!isLoopback(dest) && !isAny(dest)) return -E.ENETUNREACH;
    const to = isAny(dest) ? { ...dest, ip: dest.family === AF_INET ? "127.0.0.1" : "::1" } : dest;
    if (!this.isBound(socket)) {
      const r = this.bindPort(socket, { family: socket.family, ip: socket.family === AF_INET ? "0.0.0.0" : "::", port: 0, path: "" });
      if (r < 0) return r;
    }
    socket.local = { ...socket.local!, ip: this.sourceFor(socket, to) };
    socket.peer = { ...to };
    return to;
  }

  private blockedForever(socket: Socket, what: string): never {
    throw new SocketWouldBlock(socket.id, `${what} on ${formatAddr(socket.local)}`);
  }

  // ---- addresses and ports ----

  private portKey(socket: Socket, port: number): string {
    return `${socket.type === SOCK_STREAM ? "tcp" : "udp"}:${port}`;
  }

  /** IPv4 text an address reaches ("127.0.0.1" for ::ffff:127.0.0.1), or null for a pure IPv6 address. */
  private v4Of(addr: SockAddr): string | null {
    if (addr.family === AF_INET) return addr.ip;
    return addr.ip.startsWith("::ffff:") ? addr.ip.slice(7) : addr.ip === "::" ? "0.0.0.0" : null;
  }

  /** Whether two bound addresses share a (protocol, port): wildcards overlap everything of their family reach. */
  private overlaps(a: Socket, b: SockAddr): boolean {
    const x = a.local!;
    if (isAny(x) || isAny(b)) {
      const v6Only = (s: SockAddr, only: boolean) => s.family === AF_INET6 && only && !s.ip.startsWith("::ffff:");
      if (v6Only(x, a.options.v6only) && b.family === AF_INET) return false;
      return true;
    }
    const v4a = this.v4Of(x), v4b = this.v4Of(b);
    return v4a !== null || v4b !== null ? v4a === v4b : x.ip === b.ip;
  }

  private bindPort(socket: Socket, addr: SockAddr): number {
    let port = addr.port;
    const conflict = (p: number) =>
      (this.ports.get(this.portKey(socket, p)) ?? []).some((id) => {
        const other = this.get(id);
        if (!this.overlaps(other, addr)) return false;
        if (socket.options.reusePort && other.options.reusePort) return false;
        const reuse = socket.options.reuseAddr && other.options.reuseAddr;
        return !(reuse && (socket.type === SOCK_DGRAM || other.state !== "listening"));
      });
    if (port === 0) {
      for (let tries = 0; ; tries++) {
        if (tries > EPHEMERAL_LAST - EPHEMERAL_FIRST) return -E.EADDRINUSE;
        const p = this.nextPort;
        this.nextPort = p === EPHEMERAL_LAST ? EPHEMERAL_FIRST : p + 1;
        if (!conflict(p)) { port = p; break; }
      }
    } else if (conflict(port)) {
      return -E.EADDRINUSE;
    }
    const key = this.portKey(socket, port);
    this.ports.set(key, [...(this.ports.get(key) ?? []), socket.id]);
    socket.local = { ...addr, port };
    if (socket.state === "fresh") socket.state = "bound";
    return 0;
  }

  private unbindPort(socket: Socket): void {
    if (!socket.local || socket.family === AF_UNIX) return;
    const key = this.portKey(socket, socket.local.port);
    const left = (this.ports.get(key) ?? []).filter((id) => id !== socket.id);
    if (left.length) this.ports.set(key, left);
    else this.ports.delete(key);
  }

  private isBound(socket: Socket): boolean {
    return socket.local !== null && (socket.family !== AF_UNIX || socket.local.path !== "");
  }

  /** The loopback address a socket speaks from when it was bound to a wildcard (or not at all). */
  private sourceFor(socket: Socket, dest: SockAddr): string {
    if (socket.local && !isAny(socket.local)) return socket.local.ip;
    if (socket.family === AF_INET) return "127.0.0.1";
    return this.v4Of(dest) !== null ? "::ffff:127.0.0.1" : "::1";
  }

  /** An address as a socket of `family` sees it (IPv4 peers of an IPv6 socket appear v4-mapped). */
  private asSeenBy(family: number, addr: SockAddr): SockAddr {
    if (family === addr.family || addr.family === AF_UNIX) return { ...addr };
    if (family === AF_INET6) return { family, ip: `::ffff:${addr.ip}`, port: addr.port, path: "" };
    return { family, ip: this.v4Of(addr) ?? addr.ip, port: addr.port, path: "" };
  }

  // ---- bind / listen ----

  bind(socket: Socket, addr: SockAddr): number {
    if (this.isBound(socket)) return -E.EINVAL;
    if (!isAny(addr) && !isLoopback(addr)) return -E.EADDRNOTAVAIL;
    return this.bindPort(socket, addr);
  }

  /** Binds a UNIX socket to a name: `ino` is the socket file made for a path (0 for an abstract or autobound name). */
  bindUnix(socket: Socket, path: string, ino: number): number {
    if (this.isBound(socket)) return -E.EINVAL;
    if (path.startsWith("\0")) {
      if (this.abstract.has(path)) return -E.EADDRINUSE;
      this.abstract.set(path, socket.id);
    } else {
      this.unixByIno.set(ino, socket.id);
      socket.ino = ino;
    }
    socket.local = { family: AF_UNIX, ip: "", port: 0, path };
    socket.state = socket.state === "fresh" ? "bound" : socket.state;
    return 0;
  }

  /** bind() with only the family: an abstract name of five hex digits, as Linux's autobind picks. */
  autobindUnix(socket: Socket): number {
    for (;;) {
      const name = "\0" + (this.nextAutobind++ & 0xfffff).toString(16).padStart(5, "0");
      if (!this.abstract.has(name)) return this.bindUnix(socket, name, 0);
    }
  }

  /** The socket bound to a UNIX name (a socket file's inode or an abstract name), or 0. */
  unixTarget(path: string, ino: number): number {
    return path.startsWith("\0") ? this.abstract.get(path) ?? 0 : this.unixByIno.get(ino) ?? 0;
  }

  listen(socket: Socket, backlog: number): number {
    if (socket.type !== SOCK_STREAM) return -E.EOPNOTSUPP;
    if (socket.state !== "fresh" && socket.state !== "bound" && socket.state !== "listening") return -E.EINVAL;
    if (!this.isBound(socket)) {
      const r = socket.family === AF_UNIX ? this.autobindUnix(socket) : this.bindPort(socket, { family: socket.family, ip: socket.family === AF_INET ? "0.0.0.0" : "::", port: 0, path: "" });
      if (r < 0) return r;
    }
    socket.backlog = Math.min(Math.max(backlog, 0), SOMAXCONN);
    socket.state = "listening";
    return 0;
  }

  // ---- connect / accept ----

  /** The listener a TCP connection to `dest` reaches, or null. */
  private listenerFor(dest: SockAddr): Socket | null {
    const v4 = this.v4Of(dest);
    let wildcard: Socket | null = null;
    for (const id of this.ports.get(`tcp:${dest.port}`) ?? []) {
      const s = this.get(id);
      if (s.state !== "listening") continue;
      const l = s.local!;
      if (l.family === AF_INET) {
        if (v4 === null) continue;
        if (l.ip === v4) return s;
        if (l.ip === "0.0.0.0") wildcard ??= s;
      } else if (l.ip === "::") {
        if (v4 === null || !s.options.v6only) wildcard ??= s;
      } else if (l.ip.startsWith("::ffff:") ? l.ip.slice(7) === v4 : l.ip === dest.ip) {
        return s;
      }
    }
    return wildcard;
  }

  /** connect(): `target` is the listener a UNIX name resolved to (0: none). */
  connect(socket: Socket, dest: SockAddr, nonblock: boolean, target = 0): number {
    if (socket.type === SOCK_DGRAM) return this.connectDgram(socket, dest, target);
    switch (socket.state) {
      case "listening": return -E.EINVAL;
      case "connected":
        if (socket.connectReported) return -E.EISCONN;
        socket.connectReported = true;
        return 0;
      case "connecting":
        if (nonblock) return -E.EALREADY;
        return this.blockedForever(socket, "the listener's backlog is full");
      case "refused": {
        const error = socket.error;
        socket.error = 0;
        socket.state = "fresh";
        socket.connectReported = true;
        return error ? -error : -E.ECONNABORTED;
      }
      case "closed": return -E.EISCONN;
      default: break;
    }
    let listener: Socket | null;
    if (socket.family === AF_UNIX) {
      listener = target ? this.get(target) : null;
      if (!listener) return -E.ECONNREFUSED;
      if (listener.type !== SOCK_STREAM) return -E.EPROTOTYPE;
      if (listener.state !== "listening") return -E.ECONNREFUSED;
    } else {
      const to = this.aimAt(socket, dest);
      if (typeof to === "number") return to;
      listener = this.listenerFor(to);
      if (!listener) {
        this.unbindPort(socket);
        socket.local = null;
        socket.peer = null;
        if (!nonblock) {
          socket.state = "fresh";
          return -E.ECONNREFUSED;
        }
        socket.state = "refused";
        socket.error = E.ECONNREFUSED;
        socket.connectReported = false;
        return -E.EINPROGRESS;
      }
    }
    socket.peer = socket.family === AF_UNIX ? { ...listener.local! } : socket.peer;
    socket.connectReported = !nonblock || socket.family === AF_UNIX;
    if (listener.queue.length > listener.backlog) {
      socket.state = "connecting";
      listener.pending.push(socket.id);
      if (!nonblock) return this.blockedForever(socket, "the listener's backlog is full");
      return socket.family === AF_UNIX ? -E.EAGAIN : -E.EINPROGRESS;
    }
    this.establish(listener, socket);
    return socket.connectReported ? 0 : -E.EINPROGRESS;
  }

  /** The handshake: a server-side socket joins the listener's accept queue, connected to the client. */
  private establish(listener: Socket, client: Socket): void {
    const server = this.create(listener.family, SOCK_STREAM, 0) as Socket;
    server.open = false;
    server.options = { ...listener.options };
    server.state = "connected";
    client.state = "connected";
    server.peerId = client.id;
    client.peerId = server.id;
    if (listener.family === AF_UNIX) {
      server.local = { ...listener.local! };
      server.peer = client.local ? { ...client.local } : { family: AF_UNIX, ip: "", port: 0, path: "" };
    } else {
      server.local = this.asSeenBy(listener.family, { ...client.peer!, port: listener.local!.port });
      server.peer = this.asSeenBy(listener.family, client.local!);
    }
    listener.queue.push(server.id);
    this.notify(listener);
    this.notify(client);
  }

  accept(listener: Socket, nonblock: boolean): Socket | number {
    if (listener.type !== SOCK_STREAM) return -E.EOPNOTSUPP;
    if (listener.state !== "listening") return -E.EINVAL;
    const id = listener.queue.shift();
    if (id === undefined) {
      if (nonblock) return -E.EAGAIN;
      return this.blockedForever(listener, "no connection is pending");
    }
    const waiting = listener.pending.shift();
    if (waiting !== undefined) this.establish(listener, this.get(waiting));
    const server = this.get(id);
    server.open = true;
    return server;
  }

  /** socketpair(): two connected UNIX sockets. */
  pair(type: number): [Socket, Socket] | number {
    const a = this.create(AF_UNIX, type, 0);
    if (typeof a === "number") return a;
    const b = this.create(AF_UNIX, type, 0) as Socket;
    for (const [x, y] of [[a, b], [b, a]]) {
      x.state = "connected";
      x.peerId = y.id;
      x.local = { family: AF_UNIX, ip: "", port: 0, path: "" };
      x.peer = { family: AF_UNIX, ip: "", port: 0, path: "" };
    }
    return [a, b];
  }

  private connectDgram(socket: Socket, dest: SockAddr, target: number): number {
    if (socket.family === AF_UNIX) {
      if (!target) return -E.ECONNREFUSED;
      if (this.get(target).type !== SOCK_DGRAM) return -E.EPROTOTYPE;
      socket.peerId = target;
      socket.peer = { ...this.get(target).local! };
      socket.state = "connected";
      return 0;
    }
    const to = this.aimAt(socket, dest);
    if (typeof to === "number") return to;
    socket.state = "connected";
    return 0;
  }

  // ---- data ----

  /** Bytes a stream's peer can still take (its receive buffer plus this side's send buffer, as loopback behaves). */
  private room(socket: Socket, peer: Socket): number {
    return Math.max(0, peer.options.rcvbuf + socket.options.sndbuf - peer.rxBytes);
  }

  /** send/write. `to` is a datagram's destination (and `target` the UNIX socket it names). EPIPE → the caller's SIGPIPE. */
  send(socket: Socket, bytes: Uint8Array, nonblock: boolean, to: SockAddr | null = null, target = 0, hold: HoldRights | null = null): number {
    if (socket.type === SOCK_DGRAM) return this.sendDgram(socket, bytes, nonblock, to, target, hold);
    if (socket.shutWr) return -E.EPIPE;
    if (socket.error) {
      const error = socket.error;
      socket.error = 0;
      return -error;
    }
    if (socket.state === "connecting") {
      if (nonblock) return -E.EAGAIN;
      return this.blockedForever(socket, "the connection is not established");
    }
    if (socket.state !== "connected") return socket.family === AF_UNIX && socket.state !== "closed" ? -E.ENOTCONN : -E.EPIPE;
    const peer = this.sockets.get(socket.peerId);
    if (socket.peerGone || !peer) {
      if (socket.family === AF_UNIX) return -E.EPIPE;
      // The closed peer answers the data with a reset: this write succeeds, the next one reports it.
      this.reset(socket);
      return bytes.length;
    }
    if (bytes.length === 0) return 0;
    const n = Math.min(this.room(socket, peer), bytes.length);
    // A blocking send waits only while nothing fits; a partial fit is a short write the caller continues.
    if (n === 0) return nonblock ? -E.EAGAIN : this.blockedForever(socket, "the peer's receive buffer is full");
    peer.rx.push(bytes.slice(0, n));
    peer.rxRights.push(hold ? hold() : null);
    peer.rxBytes += n;
    this.notify(peer);
    return n;
  }

  private sendDgram(socket: Socket, bytes: Uint8Array, nonblock: boolean, to: SockAddr | null, target: number, hold: HoldRights | null): number {
    if (socket.shutWr) return -E.EPIPE;
    if (socket.error) {
      const error = socket.error;
      socket.error = 0;
      return -error;
    }
    if (socket.family === AF_UNIX) {
      const id = to ? target : socket.peerId;
      if (!to && !id) return -E.ENOTCONN;
      if (!id) return -E.ECONNREFUSED;
      const receiver = this.sockets.get(id);
      if (!receiver && !to) {
        // The connected peer is gone: this send reports it and disconnects (later sends are ENOTCONN), as Linux does.
        socket.peerId = 0;
        socket.state = socket.local && socket.local.path !== "" ? "bound" : "fresh";
        return -E.ECONNREFUSED;
      }
      if (!receiver || receiver.type !== SOCK_DGRAM) return -E.ECONNREFUSED;
      if (receiver.state === "connected" && receiver.peerId !== socket.id && receiver.peerId !== 0) return -E.EPERM;
      if (bytes.length > receiver.options.rcvbuf) return -E.EMSGSIZE;
      if (receiver.dgrams.length >= UNIX_DGRAM_QLEN) {
        if (nonblock) return -E.EAGAIN;
        return this.blockedForever(socket, "the receiver's queue is full");
      }
      receiver.dgrams.push({ from: socket.local ? { ...socket.local } : null, bytes: bytes.slice(), rights: hold ? hold() : null });
      receiver.rxBytes += bytes.length;
      this.notify(receiver);
      return bytes.length;
    }
    const dest = to ?? socket.peer;
    if (!dest) return -E.EDESTADDRREQ;
    if (!isLoopback(dest) && !isAny(dest)) return -E.ENETUNREACH;
    if (bytes.length > (socket.family === AF_INET ? UDP_MAX_V4 : UDP_MAX_V6)) return -E.EMSGSIZE;
    const dst = isAny(dest) ? { ...dest, ip: dest.family === AF_INET ? "127.0.0.1" : "::1" } : dest;
    if (!this.isBound(socket)) {
      const r = this.bindPort(socket, { family: socket.family, ip: socket.family === AF_INET ? "0.0.0.0" : "::", port: 0, path: "" });
      if (r < 0) return r;
    }
    const from = { ...socket.local!, ip: this.sourceFor(socket, dst) };
    const receiver = this.udpReceiver(dst, from);
    if (!receiver) {
      // ICMP port unreachable comes back: a connected socket reports it on its next call.
      if (socket.state === "connected") socket.error = E.ECONNREFUSED;
      return bytes.length;
    }
    if (receiver.rxBytes + bytes.length <= receiver.options.rcvbuf) {
      receiver.dgrams.push({ from: this.asSeenBy(receiver.family, from), bytes: bytes.slice(), rights: null });
      receiver.rxBytes += bytes.length;
      this.notify(receiver);
    }
    return bytes.length;
  }

  /** The UDP socket a datagram to `dest` from `from` lands in (connected sockets take only their peer's). */
  private udpReceiver(dest: SockAddr, from: SockAddr): Socket | null {
    const v4 = this.v4Of(dest);
    let wildcard: Socket | null = null;
    for (const id of this.ports.get(`udp:${dest.port}`) ?? []) {
      const s = this.get(id);
      if (s.state === "connected" && s.peer && !(s.peer.port === from.port && this.v4Of(s.peer) === this.v4Of(from) && (v4 !== null || s.peer.ip === from.ip))) continue;
      const l = s.local!;
      if (l.family === AF_INET ? v4 !== null && l.ip === v4 : l.ip.startsWith("::ffff:") ? l.ip.slice(7) === v4 : l.ip === dest.ip) return s;
      if (l.family === AF_INET ? v4 !== null && l.ip === "0.0.0.0" : l.ip === "::" && (v4 === null || !s.options.v6only)) wildcard ??= s;
    }
    return wildcard;
  }

  /** recv/read: up to `max` bytes; a stream keeps order, a datagram is one message (the rest of it is dropped). */
  recv(socket: Socket, max: number, flags: number, nonblock: boolean): Received | number {
    if (socket.type === SOCK_DGRAM) {
      const d = socket.dgrams[0];
      if (!d) {
        if (socket.error) {
          const error = socket.error;
          socket.error = 0;
          return -error;
        }
        if (socket.shutRd) return { bytes: new Uint8Array(0), from: null, fullLength: 0, rights: [] };
        if (nonblock) return -E.EAGAIN;
        return this.blockedForever(socket, "no datagram is queued");
      }
      // MSG_PEEK leaves passed files with the datagram (Linux would hand out duplicates).
      if (!(flags & MSG_PEEK)) {
        socket.dgrams.shift();
        socket.rxBytes -= d.bytes.length;
      }
      return { bytes: d.bytes.slice(0, max), from: d.from, fullLength: d.bytes.length, rights: flags & MSG_PEEK ? [] : d.rights ?? [] };
    }
    if (socket.state === "listening" || socket.state === "fresh" || socket.state === "bound") return -E.ENOTCONN;
    if (socket.rxBytes > 0 && max > 0) {
      const out = new Uint8Array(Math.min(max, socket.rxBytes));
      let done = 0;
      // A read ends with the first chunk that carries files, as unix_stream_read_generic stops after detaching them.
      let carrier = -1;
      for (let i = 0; i < socket.rx.length && done < out.length; i++) {
        const chunk = socket.rx[i];
        const n = Math.min(chunk.length, out.length - done);
        out.set(chunk.subarray(0, n), done);
        done += n;
        if (socket.rxRights[i] && !(flags & MSG_PEEK)) {
          carrier = i;
          break;
        }
      }
      if (carrier < 0 && flags & MSG_WAITALL && done < max && !socket.peerShutWr && !socket.shutRd && !nonblock) {
        return this.blockedForever(socket, "fewer bytes than MSG_WAITALL asks for are queued");
      }
      const rights = carrier >= 0 ? socket.rxRights[carrier]! : [];
      if (carrier >= 0) socket.rxRights[carrier] = null;
      if (!(flags & MSG_PEEK)) this.consume(socket, done);
      return { bytes: out.subarray(0, done), from: socket.peer, fullLength: done, rights };
    }
    if (max === 0) return { bytes: new Uint8Array(0), from: null, fullLength: 0, rights: [] };
    if (socket.error) {
      const error = socket.error;
      socket.error = 0;
      return -error;
    }
    if (socket.peerShutWr || socket.shutRd || socket.state === "closed") return { bytes: new Uint8Array(0), from: null, fullLength: 0, rights: [] };
    if (nonblock) return -E.EAGAIN;
    return this.blockedForever(socket, "no data is queued and the peer is still open");
  }

  private consume(socket: Socket, n: number): void {
    socket.rxBytes -= n;
    while (n > 0) {
      const chunk = socket.rx[0];
      if (chunk.length <= n) {
        n -= chunk.length;
        socket.rx.shift();
        socket.rxRights.shift();
      } else {
        socket.rx[0] = chunk.subarray(n);
        n = 0;
      }
    }
    // Room opened up: a writer waiting on the peer may go on.
    if (socket.peerId) this.notify(this.sockets.get(socket.peerId));
  }

  /**
   * A reset reached `socket`: an error for the next call (EPIPE once the peer's FIN had come, ECONNRESET before, as
   * tcp_reset decides), end of stream after it, and no more writes.
   */
  private reset(socket: Socket): void {
    socket.error = socket.peerShutWr ? E.EPIPE : E.ECONNRESET;
    socket.state = "closed";
    socket.peerShutWr = true;
    socket.peerGone = false;
    socket.peerId = 0;
    this.notify(socket);
  }

  shutdown(socket: Socket, how: number): number {
    if (how !== SHUT_RD && how !== SHUT_WR && how !== SHUT_RDWR) return -E.EINVAL;
    if (socket.state === "listening" && socket.type === SOCK_STREAM) {
      if (how !== SHUT_WR) socket.shutRd = true;
      this.notify(socket);
      return 0;
    }
    if (socket.state !== "connected") return -E.ENOTCONN;
    if (how !== SHUT_WR) socket.shutRd = true;
    if (how !== SHUT_RD && !socket.shutWr) {
      socket.shutWr = true;
      const peer = socket.peerId ? this.sockets.get(socket.peerId) : undefined;
      if (peer && socket.type === SOCK_STREAM) {
        peer.peerShutWr = true;
        this.notify(peer);
      }
    }
    this.notify(socket);
    return 0;
  }

  /** The last close: FIN to the peer, or RST when unread data is dropped (or SO_LINGER with a zero timeout). */
  close(socket: Socket): void {
    socket.open = false;
    if (socket.state === "listening") {
      for (const id of socket.queue) this.close(this.get(id));
      for (const id of socket.pending) {
        const client = this.get(id);
        client.state = "refused";
        client.error = E.ECONNREFUSED;
        this.notify(client);
      }
    }
    const peer = socket.peerId ? this.sockets.get(socket.peerId) : undefined;
    if (peer && socket.type === SOCK_STREAM && peer.peerId === socket.id) {
      if (socket.rxBytes > 0 || (socket.options.lingerOn && socket.options.lingerSecs === 0)) {
        this.reset(peer);
      } else {
        peer.peerShutWr = true;
        peer.peerGone = true;
        this.notify(peer);
      }
    }
    for (const s of this.sockets.values()) {
      // A UNIX datagram socket keeps naming its closed peer until a send finds it gone; a UDP one forgets it.
      if (s.type === SOCK_DGRAM && s.peerId === socket.id && s.family !== AF_UNIX) s.peerId = 0;
      const at = s.pending.indexOf(socket.id);
      if (at >= 0) s.pending.splice(at, 1);
    }
    const queued = [...socket.rxRights, ...socket.dgrams.map((d) => d.rights)].flatMap((r) => r ?? []);
    if (queued.length) this.onDropRights?.(queued);
    this.unbindPort(socket);
    if (socket.local?.path.startsWith("\0")) this.abstract.delete(socket.local.path);
    if (socket.ino) this.unixByIno.delete(socket.ino);
    this.sockets.delete(socket.id);
  }

  /** Linux poll bits of a socket now. */
  pollMask(socket: Socket): number {
    let mask = socket.error ? POLLERR : 0;
    if (socket.type === SOCK_DGRAM) {
      if (socket.dgrams.length) mask |= POLLIN | POLLRDNORM;
      if (socket.shutRd) mask |= POLLIN | POLLRDNORM | POLLRDHUP;
      if (!socket.shutWr) mask |= POLLOUT | POLLWRNORM;
      if (socket.shutRd && socket.shutWr) mask |= POLLHUP;
      return mask;
    }
    switch (socket.state) {
      case "listening": return mask | (socket.queue.length ? POLLIN | POLLRDNORM : 0);
      case "connecting": return mask;
      case "fresh": case "bound": return mask | POLLOUT | POLLWRNORM | POLLHUP;
      case "refused": return mask | POLLIN | POLLRDNORM | POLLRDHUP | POLLOUT | POLLWRNORM | POLLHUP;
      default: break;
    }
    if (socket.rxBytes > 0) mask |= POLLIN | POLLRDNORM;
    if (socket.peerShutWr || socket.shutRd) mask |= POLLIN | POLLRDNORM | POLLRDHUP;
    if (socket.state === "closed" || (socket.shutWr && (socket.peerShutWr || socket.shutRd))) mask |= POLLHUP;
    const peer = socket.peerId ? this.sockets.get(socket.peerId) : undefined;
    if (!socket.shutWr && (socket.state === "closed" || socket.peerGone || (peer && this.room(socket, peer) > 0))) mask |= POLLOUT | POLLWRNORM;
    return mask;
  }

  /** SO_RCVBUF / SO_SNDBUF as Linux stores them: capped, doubled, floored. */
  setBuffer(socket: Socket, which: "rcvbuf" | "sndbuf", value: number): void {
    const doubled = Math.min(Math.max(value, 0), BUF_MAX) * 2;
    socket.options[which] = Math.max(doubled, which === "rcvbuf" ? MIN_RCVBUF : MIN_SNDBUF);
    if (socket.peerId) this.notify(this.sockets.get(socket.peerId));
  }
}

/** An open file description of a socket: what the file server calls for read, write, poll and the last close. */
export class SocketFile implements ServiceFile {
  constructor(
    private readonly stack: NetStack,
    readonly socketId: number,
  ) {}

  get socket(): Socket {
    return this.stack.get(this.socketId);
  }

  read(max: number, nonblock: boolean, deliver: (bytes: Uint8Array) => void): number {
    const r = this.stack.recv(this.socket, max, 0, nonblock);
    if (typeof r === "number") return r;
    if (r.rights.length) this.stack.onDropRights?.(r.rights);
    deliver(r.bytes);
    return r.bytes.length;
  }

  write(bytes: Uint8Array, nonblock: boolean): number {
    return this.stack.send(this.socket, bytes, nonblock);
  }

  waitKey(): string {
    return socketWaitKey(this.socketId);
  }

  pollMask(): number {
    return this.stack.pollMask(this.socket);
  }

  release(): void {
    if (this.stack.sockets.has(this.socketId)) this.stack.close(this.socket);
  }
}
