// epoll and eventfd: open file descriptions of kinds the personality implements on nameless inodes of the file
// server. Every kind answers a readiness mask (Linux POLL* bits) and a wake key, so poll, select and epoll_wait
// treat pipes, eventfds, epolls (and later sockets) alike and block by withholding the reply.

import { O_NONBLOCK, S_IFMT, S_IFREG } from "../fs/abi.ts";
import { E } from "../fs/errno.ts";
import type { Sys } from "./context.ts";
import { Bytes } from "./structs.ts";
import { timerfdReady } from "./timers.ts";

const POLLIN = 1, POLLOUT = 4, POLLERR = 8, POLLHUP = 16, POLLNVAL = 32;
const EPOLLET = 1 << 31, EPOLLONESHOT = 1 << 30;
const EPOLL_CTL_ADD = 1, EPOLL_CTL_DEL = 2, EPOLL_CTL_MOD = 3;
const EPOLL_EVENT_SIZE = 12;
const EVENTFD_MAX = 0xfffffffffffffe;
const EFD_SEMAPHORE = 1;

export interface EpollInterest {
  fd: number;
  events: number;
  dataLo: number;
  dataHi: number;
  /** Edge-triggered: the mask last reported (an unchanged readiness is not reported again). */
  reported: number;
  disabled: boolean;
}

/** The state behind epoll and eventfd inodes, by inode number, and the console terminal's settings (plain data). */
export class AnonFiles {
  readonly eventfds = new Map<number, { count: number; semaphore: boolean }>();
  readonly epolls = new Map<number, EpollInterest[]>();
  /** The console's termios as TCSETS* last set it (null: a fresh terminal's). */
  consoleTermios: Uint8Array | null = null;
}

function inoOf(s: Sys, fd: number): { ino: number; device: string; flags: number } | null {
  const file = s.fs.file(s.pid, fd);
  if (!file) return null;
  return { ino: file.ino, device: s.fs.tree.node(file.ino).device, flags: file.flags };
}

/** Readiness of any fd as Linux POLL* bits: pipes and files from the file server, eventfd and epoll here. */
export function pollMask(s: Sys, fd: number): number {
  const f = inoOf(s, fd);
  if (!f) return POLLNVAL;
  if (f.device === "eventfd") {
    const e = s.anon.eventfds.get(f.ino)!;
    return (e.count > 0 ? POLLIN : 0) | (e.count < EVENTFD_MAX ? POLLOUT : 0);
  }
  if (f.device === "epoll") return readyList(s, f.ino, false).length > 0 ? POLLIN : 0;
  if (f.device === "timerfd") return timerfdReady(s, f.ino) ? POLLIN : 0;
  return s.fs.pollMask(s.pid, fd);
}

/** What a waiter on an fd blocks on (a change of it notifies the key), or null for always-ready files. */
export function waitKey(s: Sys, fd: number): string | null {
  const f = inoOf(s, fd);
  if (!f) return null;
  if (f.device === "eventfd" || f.device === "timerfd") return `anon:${f.ino}`;
  return s.fs.file(s.pid, fd)?.service?.waitKey() ?? s.fs.pipeKey(s.pid, fd);
}

export function eventfd2(s: Sys): number {
  const initval = s.uint(0), flags = s.int(1);
  if (flags & ~(EFD_SEMAPHORE | O_NONBLOCK | 0o2000000)) return -E.EINVAL;
  const fd = s.fs.openAnonymous(s.pid, "eventfd", flags);
  if (fd < 0) return fd;
  s.anon.eventfds.set(s.fs.file(s.pid, fd)!.ino, { count: initval, semaphore: (flags & EFD_SEMAPHORE) !== 0 });
  return fd;
}

export function eventfd(s: Sys): number {
  return eventfd2(s);
}

/** read/write of an eventfd (8-byte counter), or null when `fd` is no eventfd. */
export function eventfdIo(s: Sys, fd: number, buf: number, len: number, write: boolean): number | null {
  const f = inoOf(s, fd);
  if (!f || f.device !== "eventfd") return null;
  if (len < 8) return -E.EINVAL;
  const e = s.anon.eventfds.get(f.ino)!;
  const key = `anon:${f.ino}`;
  const wait = () => (f.flags & O_NONBLOCK ? -E.EAGAIN : s.block([key]));
  if (write) {
    const v = new Bytes(s.read(buf, 8)).u64(0);
    if (v >= 2 ** 64 - 1) return -E.EINVAL;
    if (e.count + v > EVENTFD_MAX) return wait();
    e.count += v;
  } else {
    if (e.count === 0) return wait();
    const v = e.semaphore ? 1 : e.count;
    const b = Bytes.alloc(8);
    b.setU64(0, v);
    s.write(buf, b.bytes);
    e.count -= v;
  }
  s.waits.notify(key);
  return 8;
}

export function epollCreate1(s: Sys): number {
  return s.int(0) & ~0o2000000 ? -E.EINVAL : newEpoll(s, s.int(0));
}

export function epollCreate(s: Sys): number {
  return s.int(0) <= 0 ? -E.EINVAL : newEpoll(s, 0);
}

function newEpoll(s: Sys, flags: number): number {
  const fd = s.fs.openAnonymous(s.pid, "epoll", flags);
  if (fd >= 0) s.anon.epolls.set(s.fs.file(s.pid, fd)!.ino, []);
  return fd;
}

function epollOf(s: Sys, epfd: number): EpollInterest[] | number {
  const f = inoOf(s, epfd);
  if (!f) return -E.EBADF;
  return f.device === "epoll" ? s.anon.epolls.get(f.ino)! : -E.EINVAL;
}

export function epollCtl(s: Sys): number {
  const epfd = s.int(0), op = s.int(1), fd = s.int(2), ev = s.u64(3);
  const list = epollOf(s, epfd);
  if (typeof list === "number") return list;
  const target = s.fs.file(s.pid, fd);
  if (!target) return -E.EBADF;
  if (fd === epfd) return -E.EINVAL;
  // Regular files and directories are always ready, which Linux refuses to watch.
  const node = s.fs.tree.node(target.ino);
  if (!node.device && ((node.mode & S_IFMT) === S_IFREG || s.fs.tree.isDir(target.ino))) return -E.EPERM;
  const i = list.findIndex((x) => x.fd === fd);
  if (op === EPOLL_CTL_DEL) {
    if (i < 0) return -E.ENOENT;
    list.splice(i, 1);
    return 0;
  }
  if (op !== EPOLL_CTL_ADD && op !== EPOLL_CTL_MOD) return -E.EINVAL;
  const b = new Bytes(s.read(ev, EPOLL_EVENT_SIZE));
  const entry = { fd, events: b.u32(0), dataLo: b.u32(4), dataHi: b.u32(8), reported: 0, disabled: false };
  if (op === EPOLL_CTL_ADD) {
    if (i >= 0) return -E.EEXIST;
    list.push(entry);
  } else {
    if (i < 0) return -E.ENOENT;
    list[i] = entry;
  }
  return 0;
}

/** The interests ready now with their reported events; `consume` updates edge-trigger and one-shot state. */
function readyList(s: Sys, ino: number, consume: boolean): { entry: EpollInterest; events: number }[] {
  const out: { entry: EpollInterest; events: number }[] = [];
  for (const entry of s.anon.epolls.get(ino) ?? []) {
    if (entry.disabled) continue;
    const mask = pollMask(s, entry.fd);
    if (mask & POLLNVAL) continue;
    const events = mask & ((entry.events & 0xffff) | POLLERR | POLLHUP);
    if (entry.events & EPOLLET && (events & ~entry.reported) === 0) {
      if (consume) entry.reported = events;
      continue;
    }
    if (events === 0) continue;
    if (consume) {
      entry.reported = events;
      if (entry.events & EPOLLONESHOT) entry.disabled = true;
    }
    out.push({ entry, events });
  }
  return out;
}

function epollWaitCommon(s: Sys, timeoutMs: number): number {
  const epfd = s.int(0), buf = s.u64(1), max = s.int(2);
  if (max <= 0 || max > 0x7fffffff / EPOLL_EVENT_SIZE) return -E.EINVAL;
  const list = epollOf(s, epfd);
  if (typeof list === "number") return list;
  const ino = s.fs.file(s.pid, epfd)!.ino;
  const ready = readyList(s, ino, true).slice(0, max);
  if (ready.length === 0) {
    if (timeoutMs === 0) return 0;
    const keys: string[] = [];
    for (const e of list) {
      const key = waitKey(s, e.fd);
      if (key && !keys.includes(key)) keys.push(key);
    }
    return s.block(keys, { deadlineNs: timeoutMs < 0 ? 0 : s.deadlineAfter(timeoutMs * 1e6), timeoutResult: 0 });
  }
  const out = Bytes.alloc(ready.length * EPOLL_EVENT_SIZE);
  ready.forEach(({ entry, events }, i) => {
    out.setU32(i * EPOLL_EVENT_SIZE, events);
    out.setU32(i * EPOLL_EVENT_SIZE + 4, entry.dataLo);
    out.setU32(i * EPOLL_EVENT_SIZE + 8, entry.dataHi);
  });
  s.write(buf, out.bytes);
  return ready.length;
}

export function epollWait(s: Sys): number {
  return epollWaitCommon(s, s.int(3));
}

export function epollPwait(s: Sys): number {
  return epollWaitCommon(s, s.int(3));
}
