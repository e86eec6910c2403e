// The network service's vocabulary: Linux socket constants, addresses as the service keeps them, and one socket's state.
// A socket is a plain record (principle 1: snapshots are data); the stack in stack.ts owns every rule that moves it.

export const AF_UNIX = 1;
export const AF_INET = 2;
export const AF_INET6 = 10;
export const SOCK_STREAM = 1;
export const SOCK_DGRAM = 2;
export const SOCK_NONBLOCK = 0o4000;
export const SOCK_CLOEXEC = 0o2000000;
export const IPPROTO_TCP = 6;
export const IPPROTO_UDP = 17;

export const SHUT_RD = 0;
export const SHUT_WR = 1;
export const SHUT_RDWR = 2;

export const MSG_PEEK = 0x2;
export const MSG_TRUNC = 0x20;
export const MSG_DONTWAIT = 0x40;
export const MSG_WAITALL = 0x100;
export const MSG_NOSIGNAL = 0x4000;

export const POLLIN = 0x1;
export const POLLOUT = 0x4;
export const POLLERR = 0x8;
export const POLLHUP = 0x10;
export const POLLRDNORM = 0x40;
export const POLLWRNORM = 0x100;
export const POLLRDHUP = 0x2000;

/** Linux defaults as getsockopt reports them (tcp_rmem/tcp_wmem middles, rmem_default/wmem_default). */
export const TCP_RCVBUF = 131072;
export const TCP_SNDBUF = 16384;
export const UDP_BUF = 212992;
/** setsockopt SO_RCVBUF/SO_SNDBUF: the value is capped at rmem_max/wmem_max, doubled, and floored. */
export const BUF_MAX = 212992;
export const MIN_RCVBUF = 2304;
export const MIN_SNDBUF = 4608;
/** Linux's ephemeral port range (ip_local_port_range). */
export const EPHEMERAL_FIRST = 32768;
export const EPHEMERAL_LAST = 60999;

/** An address as the service keeps it: IP text and port, or a UNIX name ("" unnamed, "/path", or "\0abstract"). */
export interface SockAddr {
  family: number;
  ip: string;
  port: number;
  path: string;
}

export type SocketState = "fresh" | "bound" | "listening" | "connecting" | "connected" | "refused" | "closed";

export interface Socket {
  id: number;
  family: number;
  type: number;
  protocol: number;
  state: SocketState;
  local: SockAddr | null;
  peer: SockAddr | null;
  /** The connected partner (stream sockets and socketpair datagram sockets), or 0. */
  peerId: number;
  /** Stream bytes received and not yet read; beside each chunk, the file descriptions it carries (SCM_RIGHTS) or null. */
  rx: Uint8Array[];
  rxRights: (number[] | null)[];
  rxBytes: number;
  /** Datagrams received and not yet read, with their senders. */
  dgrams: { from: SockAddr | null; bytes: Uint8Array; rights: number[] | null }[];
  /** Listening: accepted connections (server-side sockets) not yet taken by accept, and connectors waiting for room. */
  queue: number[];
  pending: number[];
  backlog: number;
  /** The peer sent FIN (reads end after the buffered bytes), this side shut down reading or writing. */
  peerShutWr: boolean;
  shutRd: boolean;
  shutWr: boolean;
  /** The peer closed for good: the next write draws a reset (TCP) or EPIPE (UNIX). */
  peerGone: boolean;
  /** A pending error for SO_ERROR / the next call (ECONNREFUSED, ECONNRESET), as a positive errno, or 0. */
  error: number;
  /** A non-blocking connect completed: the next connect() reports it (0 or the error) instead of EALREADY. */
  connectReported: boolean;
  options: { reuseAddr: boolean; reusePort: boolean; keepAlive: boolean; noDelay: boolean; lingerOn: boolean; lingerSecs: number; rcvbuf: number; sndbuf: number; v6only: boolean };
  /** The inode of the socket file a path-bound UNIX socket created, or 0. */
  ino: number;
  /** Open file descriptions referring to the socket (dup and fork share one). */
  open: boolean;
  /** Wait-queue: who waits for which poll bits (the blocking mechanism registers here; notify wakes them). */
  waiters: { token: number; events: number }[];
}

export function isLoopback(addr: SockAddr): boolean {
  if (addr.family === AF_INET) return addr.ip.startsWith("127.");
  return addr.ip === "::1" || addr.ip.startsWith("::ffff:127.");
}

export function isAny(addr: SockAddr): boolean {
  return addr.ip === "0.0.0.0" || addr.ip === "::";
}

export function formatAddr(addr: SockAddr | null): string {
  if (!addr) return "-";
  if (addr.family === AF_UNIX) return addr.path === "" ? "(unnamed)" : addr.path.startsWith("\0") ? `@${addr.path.slice(1)}` : addr.path;
  return addr.family === AF_INET6 ? `[${addr.ip}]:${addr.port}` : `${addr.ip}:${addr.port}`;
}
