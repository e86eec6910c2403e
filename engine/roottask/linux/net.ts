// Socket syscalls: the Linux ABI (sockaddr, msghdr, socket options, SIGPIPE) over the roottask's network service.
// The service owns the semantics; this file decodes guest memory, finds the socket behind an fd and encodes results.

import { O_CLOEXEC, O_NONBLOCK, O_RDWR, S_IFMT, S_IFSOCK } from "../fs/abi.ts";
import { E } from "../fs/errno.ts";
import { MAX_RW } from "../fs/file-server.ts";
import { SocketFile, type HoldRights, type NetStack, type Received } from "../net/stack.ts";
import {
  AF_INET, AF_INET6, AF_UNIX, IPPROTO_TCP, MSG_DONTWAIT, MSG_NOSIGNAL, MSG_TRUNC, SOCK_CLOEXEC, SOCK_DGRAM, SOCK_NONBLOCK,
  SOCK_STREAM, type SockAddr, type Socket,
} from "../net/socket.ts";
import { GuestErrno, Sys } from "./context.ts";
import { raise } from "./signal.ts";
import { SI_USER } from "./sigframe.ts";
import { Bytes, decodeIovecs, IOV_MAX, IOVEC_SIZE } from "./structs.ts";

const SIGPIPE = 13;
const SOL_SOCKET = 1;
const IPPROTO_IPV6 = 41;
const SO = { REUSEADDR: 2, TYPE: 3, ERROR: 4, BROADCAST: 6, SNDBUF: 7, RCVBUF: 8, KEEPALIVE: 9, LINGER: 13, REUSEPORT: 15, ACCEPTCONN: 30, PROTOCOL: 38, DOMAIN: 39 };
const TCP_NODELAY = 1;
const IPV6_V6ONLY = 26;
/** struct msghdr (x86-64): name, namelen, iov, iovlen, control, controllen, flags. */
const MSGHDR = { SIZE: 56, name: 0, namelen: 8, iov: 16, iovlen: 24, control: 32, controllen: 40, flags: 48 };
const SUN_PATH_MAX = 108;
/** struct cmsghdr: len (u64), level, type; data from 16. SCM_MAX_FD files per message. */
const CMSG_HDR = 16;
const SCM_RIGHTS = 1;
const SCM_CREDENTIALS = 2;
const SCM_MAX_FD = 253;
const MSG_CTRUNC = 0x8;
const MSG_CMSG_CLOEXEC = 0x40000000;
const align8 = (n: number) => (n + 7) & ~7;

function stack(s: Sys): NetStack {
  const net = s.host.net;
  if (!net) throw new Error("Linux personality: no network service attached");
  return net;
}

/** The socket behind an fd and whether its description is non-blocking; -EBADF / -ENOTSOCK. */
function socketOf(s: Sys, fd: number): { socket: Socket; nonblock: boolean } | number {
  const file = s.fs.file(s.pid, fd);
  if (!file) return -E.EBADF;
  if (!(file.service instanceof SocketFile)) return -E.ENOTSOCK;
  return { socket: file.service.socket, nonblock: (file.flags & O_NONBLOCK) !== 0 };
}

/** Installs a socket as a new fd (socket, accept4, socketpair). */
function install(s: Sys, socket: Socket, flags: number): number {
  const fd = s.fs.openService(s.pid, stack(s).file(socket), S_IFSOCK | 0o777, O_RDWR | (flags & SOCK_NONBLOCK ? O_NONBLOCK : 0) | (flags & SOCK_CLOEXEC ? O_CLOEXEC : 0));
  return fd;
}

// ---- addresses ----

function ipv4Text(b: Uint8Array, at: number): string {
  return `${b[at]}.${b[at + 1]}.${b[at + 2]}.${b[at + 3]}`;
}

/** RFC 5952 text of 16 address bytes (v4-mapped addresses as ::ffff:a.b.c.d). */
function ipv6Text(b: Uint8Array, at: number): string {
  const groups = Array.from({ length: 8 }, (_, i) => (b[at + 2 * i] << 8) | b[at + 2 * i + 1]);
  if (groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff) return `::ffff:${ipv4Text(b, at + 12)}`;
  let best = -1, bestLen = 1;
  for (let i = 0; i < 8;) {
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) { best = i; bestLen = j - i; }
    i = j === i ? i + 1 : j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (best < 0) return hex.join(":");
  return `${hex.slice(0, best).join(":")}::${hex.slice(best + bestLen).join(":")}`;
}

function ipv6Bytes(text: string): Uint8Array {
  const out = new Uint8Array(16);
  let t = text;
  if (t.includes(".")) {
    const cut = t.lastIndexOf(":");
    const v4 = t.slice(cut + 1).split(".").map(Number);
    out.set(v4, 12);
    t = t.slice(0, cut + 1) + "0:0";
  }
  const [head, tail] = t.includes("::") ? t.split("::") : [t, null];
  const front = head ? head.split(":") : [];
  const back = tail ? tail.split(":") : [];
  const groups = [...front, ...Array(8 - front.length - back.length).fill("0"), ...back];
  groups.forEach((g, i) => {
    if (i >= 6 && text.includes(".")) return;
    const v = parseInt(g || "0", 16);
    out[2 * i] = v >> 8;
    out[2 * i + 1] = v & 0xff;
  });
  return out;
}

/** A guest sockaddr for a socket of `family`; -errno for a short, foreign or malformed one. */
function readAddr(s: Sys, ptr: number, len: number, family: number): SockAddr | number {
  if (len < 2 || len > 128) return -E.EINVAL;
  const b = s.read(ptr, len);
  const got = b[0] | (b[1] << 8);
  if (family === AF_UNIX) {
    if (got !== AF_UNIX) return -E.EINVAL;
    const raw = b.subarray(2, Math.min(len, 2 + SUN_PATH_MAX));
    if (raw.length === 0) return { family, ip: "", port: 0, path: "" };
    if (raw[0] === 0) return { family, ip: "", port: 0, path: "\0" + Buffer.from(raw.subarray(1)).toString("latin1") };
    const nul = raw.indexOf(0);
    return { family, ip: "", port: 0, path: new TextDecoder().decode(nul < 0 ? raw : raw.subarray(0, nul)) };
  }
  if (got === AF_INET) {
    // An IPv6 socket checks the length first (a sockaddr_in is shorter than SIN6_LEN_RFC2133).
    if (len < 16 || family === AF_INET6) return -E.EINVAL;
    return { family: AF_INET, ip: ipv4Text(b, 4), port: (b[2] << 8) | b[3], path: "" };
  }
  if (got === AF_INET6) {
    if (family !== AF_INET6) return -E.EAFNOSUPPORT;
    if (len < 24) return -E.EINVAL;
    return { family: AF_INET6, ip: ipv6Text(b, 8), port: (b[2] << 8) | b[3], path: "" };
  }
  return family === AF_INET ? -E.EAFNOSUPPORT : -E.EINVAL;
}

function encodeAddr(addr: SockAddr): Uint8Array {
  if (addr.family === AF_UNIX) {
    const name = addr.path.startsWith("\0") ? Buffer.from(addr.path, "latin1") : Buffer.from(addr.path + (addr.path ? "\0" : ""));
    const out = new Uint8Array(2 + name.length);
    out[0] = AF_UNIX;
    out.set(name, 2);
    return out;
  }
  const out = new Uint8Array(addr.family === AF_INET ? 16 : 28);
  out[0] = addr.family;
  out[2] = addr.port >> 8;
  out[3] = addr.port & 0xff;
  if (addr.family === AF_INET) out.set(addr.ip.split(".").map(Number), 4);
  else out.set(ipv6Bytes(addr.ip), 8);
  return out;
}

/** The unnamed address of a socket's family (getsockname before bind). */
function unnamed(socket: Socket): SockAddr {
  return { family: socket.family, ip: socket.family === AF_INET ? "0.0.0.0" : socket.family === AF_INET6 ? "::" : "", port: 0, path: "" };
}

/** Writes an address into (ptr, *lenPtr) as Linux does: truncated to the caller's length, the full length stored. */
function writeAddr(s: Sys, ptr: number, lenPtr: number, addr: SockAddr): void {
  if (ptr === 0 || lenPtr === 0) return;
  const given = new Bytes(s.read(lenPtr, 4)).i32(0);
  if (given < 0) throw new GuestErrno(E.EINVAL);
  const bytes = encodeAddr(addr);
  s.write(ptr, bytes.subarray(0, Math.min(given, bytes.length)));
  const len = new Bytes(new Uint8Array(4));
  len.setU32(0, bytes.length);
  s.write(lenPtr, len.bytes);
}

/** A UNIX name's socket file: bind creates it (EADDRINUSE when the path exists), connect and sendto look it up. */
function unixFile(s: Sys, path: string, create: boolean): number {
  const tree = s.fs.tree;
  const start = path.startsWith("/") ? tree.root : s.fs.process(s.pid).cwd;
  const w = tree.walk(start, path, !create);
  if (typeof w === "number") return w;
  if (!create) {
    if (w.ino < 0) return w.ino;
    return (tree.node(w.ino).mode & S_IFMT) === S_IFSOCK ? w.ino : -E.ECONNREFUSED;
  }
  if (w.ino >= 0) return -E.EADDRINUSE;
  return tree.createNode(w.parent, w.name, S_IFSOCK | (0o777 & ~s.fs.process(s.pid).umask));
}

/** The socket a UNIX address names, or -errno (ENOENT for a missing path). */
function unixTarget(s: Sys, addr: SockAddr): number {
  if (addr.path === "") return -E.EINVAL;
  if (addr.path.startsWith("\0")) return stack(s).unixTarget(addr.path, 0) || -E.ECONNREFUSED;
  const ino = unixFile(s, addr.path, false);
  return ino < 0 ? ino : stack(s).unixTarget(addr.path, ino) || -E.ECONNREFUSED;
}

// ---- socket calls ----

export function socket(s: Sys): number {
  const type = s.int(1);
  if (type & ~(SOCK_NONBLOCK | SOCK_CLOEXEC | 0xf)) return -E.EINVAL;
  const made = stack(s).create(s.int(0), type & 0xf, s.int(2));
  return typeof made === "number" ? made : install(s, made, type);
}

export function socketpair(s: Sys): number {
  const [domain, type] = [s.int(0), s.int(1)];
  if (domain === AF_INET || domain === AF_INET6) return -E.EOPNOTSUPP;
  if (domain !== AF_UNIX) return -E.EAFNOSUPPORT;
  if (type & ~(SOCK_NONBLOCK | SOCK_CLOEXEC | 0xf)) return -E.EINVAL;
  if (s.int(2) !== 0) return -E.EPROTONOSUPPORT;
  const pair = stack(s).pair(type & 0xf);
  if (typeof pair === "number") return pair;
  const sv = s.u64(3);
  s.read(sv, 8);
  const a = install(s, pair[0], type);
  if (a < 0) {
    stack(s).close(pair[1]);
    return a;
  }
  const b = install(s, pair[1], type);
  if (b < 0) {
    s.fs.close(s.pid, a);
    return b;
  }
  const out = new Bytes(new Uint8Array(8));
  out.setU32(0, a);
  out.setU32(4, b);
  s.write(sv, out.bytes);
  return 0;
}

export function bind(s: Sys): number {
  const found = socketOf(s, s.int(0));
  if (typeof found === "number") return found;
  const { socket } = found;
  const addr = readAddr(s, s.u64(1), s.uint(2), socket.family);
  if (typeof addr === "number") return addr;
  if (socket.family !== AF_UNIX) return stack(s).bind(socket, addr);
  if (socket.local && socket.local.path !== "") return -E.EINVAL;
  if (addr.path === "") return stack(s).autobindUnix(socket);
  if (addr.path.startsWith("\0")) return stack(s).bindUnix(socket, addr.path, 0);
  const ino = unixFile(s, addr.path, true);
  return ino < 0 ? ino : stack(s).bindUnix(socket, addr.path, ino);
}

export function listen(s: Sys): number {
  const found = socketOf(s, s.int(0));
  return typeof found === "number" ? found : stack(s).listen(found.socket, s.int(1));
}

export function connect(s: Sys): number {
  const found = socketOf(s, s.int(0));
  if (typeof found === "number") return found;
  const { socket, nonblock } = found;
  const addr = readAddr(s, s.u64(1), s.uint(2), socket.family);
  if (typeof addr === "number") return addr;
  let target = 0;
  if (socket.family === AF_UNIX) {
    target = unixTarget(s, addr);
    if (target < 0) return target;
  }
  return stack(s).connect(socket, addr, nonblock, target);
}

function acceptCommon(s: Sys, flags: number): number {
  if (flags & ~(SOCK_NONBLOCK | SOCK_CLOEXEC)) return -E.EINVAL;
  const found = socketOf(s, s.int(0));
  if (typeof found === "number") return found;
  const made = stack(s).accept(found.socket, found.nonblock);
  if (typeof made === "number") return made;
  writeAddr(s, s.u64(1), s.u64(2), made.peer ?? unnamed(made));
  return install(s, made, flags);
}

export function accept(s: Sys): number {
  return acceptCommon(s, 0);
}

export function accept4(s: Sys): number {
  return acceptCommon(s, s.int(3));
}

/** A send's result: EPIPE also raises SIGPIPE unless MSG_NOSIGNAL. */
function sent(s: Sys, result: number, flags: number): number {
  if (result === -E.EPIPE && !(flags & MSG_NOSIGNAL)) raise(s, SIGPIPE, SI_USER);
  return result;
}

function sendCommon(s: Sys, fd: number, bytes: Uint8Array, flags: number, to: number, toLen: number, rights: number[] = []): number {
  const found = socketOf(s, fd);
  if (typeof found === "number") return found;
  const { socket } = found;
  let dest: SockAddr | null = null;
  let target = 0;
  if (to !== 0 && socket.type === SOCK_DGRAM) {
    const addr = readAddr(s, to, toLen, socket.family);
    if (typeof addr === "number") return addr;
    dest = addr;
    if (socket.family === AF_UNIX) {
      target = unixTarget(s, addr);
      if (target < 0) return target;
    }
  } else if (to !== 0 && socket.type === SOCK_STREAM && socket.state !== "connected") {
    return socket.family === AF_UNIX ? -E.EOPNOTSUPP : -E.EPIPE;
  }
  // SCM_RIGHTS belongs to AF_UNIX: other families ignore it, as Linux's __sock_cmsg_send does.
  if (socket.family !== AF_UNIX) rights = [];
  for (const f of rights) if (!s.fs.file(s.pid, f)) return -E.EBADF;
  const hold: HoldRights | null = rights.length ? () => rights.map((f) => s.fs.hold(s.pid, f)) : null;
  return sent(s, stack(s).send(socket, bytes, found.nonblock || (flags & MSG_DONTWAIT) !== 0, dest, target, hold), flags);
}

export function sendto(s: Sys): number {
  return sendCommon(s, s.int(0), s.read(s.u64(1), Math.min(s.u64(2), MAX_RW)), s.int(3), s.u64(4), s.uint(5));
}

function recvCommon(s: Sys, fd: number, max: number, flags: number): Received | number {
  const found = socketOf(s, fd);
  if (typeof found === "number") return found;
  return stack(s).recv(found.socket, Math.min(max, MAX_RW), flags, found.nonblock || (flags & MSG_DONTWAIT) !== 0);
}

export function recvfrom(s: Sys): number {
  const flags = s.int(3);
  const r = recvCommon(s, s.int(0), s.u64(2), flags);
  if (typeof r === "number") return r;
  r.rights.forEach((file) => s.fs.dropHeld(file));
  s.write(s.u64(1), r.bytes);
  if (r.from) writeAddr(s, s.u64(4), s.u64(5), r.from);
  return flags & MSG_TRUNC ? r.fullLength : r.bytes.length;
}

function iovecsOf(s: Sys, at: number, count: number): { base: number; len: number }[] {
  if (count < 0 || count > IOV_MAX) throw new GuestErrno(E.EMSGSIZE);
  return decodeIovecs(s.read(at, count * IOVEC_SIZE));
}

/** The fds a sendmsg's control messages pass (SCM_RIGHTS), or -errno for a malformed or unsupported one. */
function rightsToSend(s: Sys, at: number, length: number): number[] | number {
  const fds: number[] = [];
  if (at === 0 || length < CMSG_HDR) return fds;
  const control = new Bytes(s.read(at, Math.min(length, 1 << 16)));
  for (let off = 0; off + CMSG_HDR <= control.bytes.length;) {
    const len = control.u64(off);
    if (len < CMSG_HDR || off + len > control.bytes.length) return -E.EINVAL;
    const [level, type] = [control.i32(off + 8), control.i32(off + 12)];
    if (level === SOL_SOCKET) {
      if (type === SCM_RIGHTS) {
        for (let p = off + CMSG_HDR; p + 4 <= off + len; p += 4) fds.push(control.i32(p));
        if (fds.length > SCM_MAX_FD) return -E.EINVAL;
      } else if (type !== SCM_CREDENTIALS) {
        return -E.EINVAL;
      }
    }
    off += align8(len);
  }
  return fds;
}

export function sendmsg(s: Sys): number {
  const m = new Bytes(s.read(s.u64(1), MSGHDR.SIZE));
  const iov = iovecsOf(s, m.u64(MSGHDR.iov), m.u64(MSGHDR.iovlen));
  const parts = iov.map((v) => s.read(v.base, Math.min(v.len, MAX_RW)));
  const bytes = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  parts.reduce((at, p) => (bytes.set(p, at), at + p.length), 0);
  const rights = rightsToSend(s, m.u64(MSGHDR.control), m.u64(MSGHDR.controllen));
  if (typeof rights === "number") return rights;
  return sendCommon(s, s.int(0), bytes, s.int(2), m.u64(MSGHDR.name), m.u32(MSGHDR.namelen), rights);
}

/**
 * Installs received files as fds of the caller and writes one SCM_RIGHTS control message; what does not fit the
 * control buffer (or the fd table) is closed and flagged MSG_CTRUNC. Returns the control length and the flag.
 */
function deliverRights(s: Sys, rights: number[], at: number, length: number, cloexec: boolean): { controllen: number; flags: number } {
  const room = at === 0 || length < CMSG_HDR ? 0 : Math.floor((length - CMSG_HDR) / 4);
  const fds: number[] = [];
  let tableFull = false;
  for (const file of rights) {
    if (fds.length >= room || tableFull) {
      s.fs.dropHeld(file);
      continue;
    }
    const fd = s.fs.installHeld(s.pid, file, cloexec);
    if (fd >= 0) fds.push(fd);
    else tableFull = true;
  }
  const truncated = fds.length < rights.length ? MSG_CTRUNC : 0;
  if (room === 0) return { controllen: 0, flags: truncated };
  const msg = Bytes.alloc(CMSG_HDR + 4 * fds.length);
  msg.setU64(0, CMSG_HDR + 4 * fds.length);
  msg.setU32(8, SOL_SOCKET);
  msg.setU32(12, SCM_RIGHTS);
  fds.forEach((fd, i) => msg.setU32(CMSG_HDR + 4 * i, fd));
  s.write(at, msg.bytes);
  return { controllen: Math.min(align8(msg.bytes.length), length), flags: truncated };
}

export function recvmsg(s: Sys): number {
  const at = s.u64(1);
  const m = new Bytes(s.read(at, MSGHDR.SIZE));
  const iov = iovecsOf(s, m.u64(MSGHDR.iov), m.u64(MSGHDR.iovlen));
  const flags = s.int(2);
  const r = recvCommon(s, s.int(0), iov.reduce((n, v) => n + v.len, 0), flags);
  if (typeof r === "number") return r;
  let off = 0;
  for (const v of iov) {
    if (off >= r.bytes.length) break;
    const n = Math.min(v.len, r.bytes.length - off);
    s.write(v.base, r.bytes.subarray(off, off + n));
    off += n;
  }
  if (r.from && m.u64(MSGHDR.name) !== 0) {
    const name = encodeAddr(r.from);
    s.write(m.u64(MSGHDR.name), name.subarray(0, Math.min(m.u32(MSGHDR.namelen), name.length)));
    m.setU32(MSGHDR.namelen, name.length);
  } else {
    m.setU32(MSGHDR.namelen, 0);
  }
  const control = r.rights.length
    ? deliverRights(s, r.rights, m.u64(MSGHDR.control), m.u64(MSGHDR.controllen), (flags & MSG_CMSG_CLOEXEC) !== 0)
    : { controllen: 0, flags: 0 };
  m.setU64(MSGHDR.controllen, control.controllen);
  m.setU32(MSGHDR.flags, (r.fullLength > r.bytes.length ? MSG_TRUNC : 0) | control.flags);
  s.write(at, m.bytes);
  return flags & MSG_TRUNC ? r.fullLength : r.bytes.length;
}

export function shutdown(s: Sys): number {
  const found = socketOf(s, s.int(0));
  return typeof found === "number" ? found : stack(s).shutdown(found.socket, s.int(1));
}

function nameCommon(s: Sys, peer: boolean): number {
  const found = socketOf(s, s.int(0));
  if (typeof found === "number") return found;
  const { socket } = found;
  const addr = peer ? (socket.state === "connected" || socket.state === "closed" ? socket.peer : null) : socket.local ?? unnamed(socket);
  if (!addr) return -E.ENOTCONN;
  writeAddr(s, s.u64(1), s.u64(2), addr);
  return 0;
}

export function getsockname(s: Sys): number {
  return nameCommon(s, false);
}

export function getpeername(s: Sys): number {
  return nameCommon(s, true);
}

export function setsockopt(s: Sys): number {
  const found = socketOf(s, s.int(0));
  if (typeof found === "number") return found;
  const { socket } = found;
  const [level, name, ptr, len] = [s.int(1), s.int(2), s.u64(3), s.int(4)];
  if (len < 4) return -E.EINVAL;
  const value = new Bytes(s.read(ptr, Math.min(len, 8)));
  const v = value.i32(0);
  const o = socket.options;
  if (level === SOL_SOCKET) {
    switch (name) {
      case SO.REUSEADDR: o.reuseAddr = v !== 0; return 0;
      case SO.REUSEPORT: o.reusePort = v !== 0; return 0;
      case SO.KEEPALIVE: o.keepAlive = v !== 0; return 0;
      case SO.BROADCAST: return 0;
      case SO.RCVBUF: stack(s).setBuffer(socket, "rcvbuf", v); return 0;
      case SO.SNDBUF: stack(s).setBuffer(socket, "sndbuf", v); return 0;
      case SO.LINGER:
        if (len < 8) return -E.EINVAL;
        o.lingerOn = v !== 0;
        o.lingerSecs = value.i32(4);
        return 0;
      default: return -E.ENOPROTOOPT;
    }
  }
  if (level === IPPROTO_TCP && socket.protocol === IPPROTO_TCP && name === TCP_NODELAY) {
    o.noDelay = v !== 0;
    return 0;
  }
  if (level === IPPROTO_IPV6 && socket.family === AF_INET6 && name === IPV6_V6ONLY) {
    if (socket.local) return -E.EINVAL;
    o.v6only = v !== 0;
    return 0;
  }
  return socket.family === AF_UNIX && level !== SOL_SOCKET ? -E.EOPNOTSUPP : -E.ENOPROTOOPT;
}

export function getsockopt(s: Sys): number {
  const found = socketOf(s, s.int(0));
  if (typeof found === "number") return found;
  const { socket } = found;
  const [level, name, ptr, lenPtr] = [s.int(1), s.int(2), s.u64(3), s.u64(4)];
  const given = new Bytes(s.read(lenPtr, 4)).i32(0);
  if (given < 0) return -E.EINVAL;
  const o = socket.options;
  let words: number[] | null = null;
  if (level === SOL_SOCKET) {
    switch (name) {
      case SO.REUSEADDR: words = [+o.reuseAddr]; break;
      case SO.REUSEPORT: words = [+o.reusePort]; break;
      case SO.KEEPALIVE: words = [+o.keepAlive]; break;
      case SO.TYPE: words = [socket.type]; break;
      case SO.PROTOCOL: words = [socket.protocol]; break;
      case SO.DOMAIN: words = [socket.family]; break;
      case SO.ACCEPTCONN: words = [+(socket.state === "listening")]; break;
      case SO.RCVBUF: words = [o.rcvbuf]; break;
      case SO.SNDBUF: words = [o.sndbuf]; break;
      case SO.BROADCAST: words = [0]; break;
      case SO.LINGER: words = [+o.lingerOn, o.lingerSecs]; break;
      case SO.ERROR: {
        words = [socket.error];
        socket.error = 0;
        // A non-blocking connect's failure is reported once, here or by the next connect.
        if (socket.state === "refused") socket.state = "fresh";
        break;
      }
      default: return -E.ENOPROTOOPT;
    }
  } else if (level === IPPROTO_TCP && socket.protocol === IPPROTO_TCP && name === TCP_NODELAY) {
    words = [+o.noDelay];
  } else if (level === IPPROTO_IPV6 && socket.family === AF_INET6 && name === IPV6_V6ONLY) {
    words = [+o.v6only];
  } else {
    return socket.family === AF_UNIX && level !== SOL_SOCKET ? -E.EOPNOTSUPP : -E.ENOPROTOOPT;
  }
  const out = new Bytes(new Uint8Array(words.length * 4));
  words.forEach((w, i) => out.setU32(i * 4, w >>> 0));
  const n = Math.min(given, out.bytes.length);
  s.write(ptr, out.bytes.subarray(0, n));
  const len = new Bytes(new Uint8Array(4));
  len.setU32(0, n);
  s.write(lenPtr, len.bytes);
  return 0;
}
