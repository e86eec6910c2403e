// The file server: open file descriptions, per-process FD tables and working directories over the FsTree.
// Shared by the Linux personality and the native file service, so it speaks paths, fds and -errno, not guest memory.

import {
  AT_EMPTY_PATH, AT_FDCWD, O_ACCMODE, O_CLOEXEC, O_CREAT, O_DIRECTORY, O_EXCL, O_LARGEFILE, O_NOCTTY, O_NOFOLLOW,
  O_DIRECT, O_NONBLOCK, O_PATH, O_RDONLY, O_RDWR, O_TMPFILE, O_TRUNC, O_APPEND, O_WRONLY, S_IFDIR, S_IFIFO, S_IFLNK, S_IFMT,
  S_IFREG, S_IFSOCK, SEEK_CUR, SEEK_DATA,
  SEEK_END, SEEK_HOLE, SEEK_SET, SETFL_MASK, W_OK, X_OK, R_OK,
} from "./abi.ts";
import { E } from "./errno.ts";
import type { HostIo, MountIo } from "./host.ts";
import { type DirEntry, FsTree, type StatData } from "./tree.ts";

/**
 * An open file description served by another roottask service (a socket of the network service): the file server
 * keeps its fd, flags and inode (S_IFSOCK, for fstat) and hands it reads, writes, poll and the last close.
 * `nonblock` is the description's O_NONBLOCK.
 */
export interface ServiceFile {
  read(max: number, nonblock: boolean, deliver: (bytes: Uint8Array) => void): number;
  write(bytes: Uint8Array, nonblock: boolean): number;
  /** Linux POLLIN/POLLOUT/POLLHUP/POLLERR… bits of what a poll would see now. */
  pollMask(): number;
  /** The wait key under which changes of pollMask() are announced (FileServerIo.changed). */
  waitKey(): string;
  release(): void;
}

/** One open file description: shared by every fd dup'ed from it (offset and status flags included). */
export interface OpenFile {
  id: number;
  ino: number;
  /** Access mode and status flags (O_APPEND, O_NONBLOCK …), as F_GETFL reports them. */
  flags: number;
  offset: number;
  refs: number;
  /** Directories: the listing taken when reading started at position 0; `offset` indexes into it. */
  dir: DirEntry[] | null;
  /** Set for descriptions another service answers (sockets). */
  service?: ServiceFile;
}

export interface FdSlot {
  file: number;
  cloexec: boolean;
}

export interface FsProcess {
  pid: number;
  /** Working directory inode; relative paths resolve here. */
  cwd: number;
  umask: number;
  /** fd → slot; null marks a free number below the highest in use. */
  fds: (FdSlot | null)[];
}

export type ConsoleStreamName = "stdout" | "stderr";

/** What the server needs from its host: guest-visible time, the console and the seeded PRNG. */
export interface FileServerIo {
  nowNs(): number;
  /** False when the host end is closed (the write fails with EPIPE). */
  writeConsole(stream: ConsoleStreamName, bytes: Uint8Array): boolean;
  readStdin(max: number): Uint8Array;
  random(bytes: Uint8Array): void;
  /** Readiness of something changed (key "pipe:INO"): waiters on it should look again. */
  changed?(key: string): void;
}

export interface FileServerOptions {
  /** Host folders shown read-only in the guest tree. */
  mounts?: { host: string; guest: string }[];
  /** How mounted folders are read (default: the host's file system; record/replay substitute their own). */
  hostIo?: HostIo;
  /** A disk volume (the FAT service) mounted at /disk. */
  disk?: MountIo;
}

/** Where `--disk` appears in the guest tree. */
export const DISK_MOUNT = "/disk";
/** RLIMIT_NOFILE the server enforces. */
export const FD_LIMIT = 1024;
/** Largest single transfer, as Linux caps read/write (MAX_RW_COUNT). */
export const MAX_RW = 0x7ffff000;
export const FD_CLOEXEC = 1;
/** A pipe holds at most this much unread data (Linux's default pipe size). */
export const PIPE_CAPACITY = 65536;
/** Largest stdin read passed to the host: a pipe or terminal hands over at most this much at once anyway. */
const STDIN_CHUNK = 65536;

/** makedev(major, minor) for the device numbers stat shows. */
const makedev = (major: number, minor: number) => major * 256 + minor;

export class FileServer {
  readonly tree: FsTree;
  readonly files = new Map<number, OpenFile>();
  readonly processes = new Map<number, FsProcess>();
  private nextFile = 1;
  private io: FileServerIo | null = null;

  constructor(options: FileServerOptions = {}) {
    // Until a host attaches, the clock reads 0: boot-archive files are stamped with boot time.
    this.tree = new FsTree(() => (this.io ? this.io.nowNs() : 0), options.hostIo);
    this.tree.addDevice("/dev/null", "null", makedev(1, 3));
    this.tree.addDevice("/dev/zero", "zero", makedev(1, 5));
    this.tree.addDevice("/dev/random", "urandom", makedev(1, 8));
    this.tree.addDevice("/dev/urandom", "urandom", makedev(1, 9));
    this.tree.addDevice("/dev/stdin", "stdin", makedev(5, 1));
    this.tree.addDevice("/dev/stdout", "stdout", makedev(5, 1));
    this.tree.addDevice("/dev/stderr", "stderr", makedev(5, 1));
    this.tree.node(this.tree.mkdirs("/tmp")).mode = S_IFDIR | 0o1777;
    for (const m of options.mounts ?? []) this.tree.mount(m.host, m.guest);
    if (options.disk) this.tree.mount("", DISK_MOUNT, options.disk);
  }

  /** Connects the console, clock and PRNG (the roottask's host services). */
  attach(io: FileServerIo): void {
    this.io = io;
  }

  private host(): FileServerIo {
    if (!this.io) throw new Error("file server: no host attached for console or random devices");
    return this.io;
  }

  /** Adds a file from the boot archive (parents created as needed). */
  addFile(path: string, data: Uint8Array, mode = 0o755): number {
    const cut = path.lastIndexOf("/");
    const dir = this.tree.mkdirs(path.slice(0, cut));
    const name = path.slice(cut + 1);
    const existing = this.tree.lookup(dir, name);
    const ino = existing >= 0 ? existing : this.tree.createNode(dir, name, S_IFREG | mode);
    if (ino < 0) throw new Error(`file server: cannot add ${path} (errno ${-ino})`);
    this.tree.truncate(ino, 0);
    this.tree.write(ino, 0, data);
    return ino;
  }

  /** The service files (sockets …) process `pid` holds open, each description once. */
  servicesOf(pid: number): ServiceFile[] {
    const proc = this.processes.get(pid);
    if (!proc) return [];
    const ids = new Set(proc.fds.filter((slot): slot is FdSlot => slot !== null).map((slot) => slot.file));
    return [...ids].map((id) => this.files.get(id)?.service).filter((service): service is ServiceFile => service !== undefined);
  }

  // ---- processes ----

  /** A process with stdin/stdout/stderr on fds 0–2 and `cwd` (created if missing) as working directory. */
  createProcess(pid: number, cwd: string): FsProcess {
    if (this.processes.has(pid)) throw new Error(`file server: process ${pid} already exists`);
    const proc: FsProcess = { pid, cwd: this.tree.mkdirs(cwd), umask: 0o022, fds: [] };
    this.processes.set(pid, proc);
    for (const [path, flags] of [["/dev/stdin", O_RDONLY], ["/dev/stdout", O_WRONLY], ["/dev/stderr", O_WRONLY]] as const) {
      this.open(pid, AT_FDCWD, path, flags, 0);
    }
    return proc;
  }

  /** fork(): the child shares every open file description with the parent. */
  forkProcess(parent: number, child: number): FsProcess {
    const from = this.process(parent);
    const proc: FsProcess = { pid: child, cwd: from.cwd, umask: from.umask, fds: [] };
    for (const slot of from.fds) {
      if (slot) this.files.get(slot.file)!.refs++;
      proc.fds.push(slot ? { ...slot } : null);
    }
    this.processes.set(child, proc);
    return proc;
  }

  /** execve(): descriptors marked close-on-exec go. */
  execProcess(pid: number): void {
    const proc = this.process(pid);
    proc.fds.forEach((slot, fd) => {
      if (slot?.cloexec) this.close(pid, fd);
    });
  }

  exitProcess(pid: number): void {
    const proc = this.process(pid);
    proc.fds.forEach((slot, fd) => {
      if (slot) this.close(pid, fd);
    });
    this.processes.delete(pid);
    // A process's exit is a commit point of a writable disk (its changes reach the image).
    this.tree.sync();
  }

  process(pid: number): FsProcess {
    const proc = this.processes.get(pid);
    if (!proc) throw new Error(`file server: no process ${pid}`);
    return proc;
  }

  private slot(pid: number, fd: number): FdSlot | null {
    return this.process(pid).fds[fd] ?? null;
  }

  /** The open file description behind an fd, or null (EBADF). */
  file(pid: number, fd: number): OpenFile | null {
    const slot = this.slot(pid, fd);
    return slot ? this.files.get(slot.file)! : null;
  }

  private install(proc: FsProcess, file: number, cloexec: boolean, min = 0): number {
    let fd = min;
    while (fd < proc.fds.length && proc.fds[fd]) fd++;
    if (fd >= FD_LIMIT) return -E.EMFILE;
    while (proc.fds.length <= fd) proc.fds.push(null);
    proc.fds[fd] = { file, cloexec };
    return fd;
  }

  /** Where a relative path starts: the working directory or a directory fd (absolute paths ignore dirfd). */
  private start(pid: number, dirfd: number, path: string): number {
    if (path.startsWith("/")) return this.tree.root;
    if (dirfd === AT_FDCWD) return this.process(pid).cwd;
    const file = this.file(pid, dirfd);
    if (!file) return -E.EBADF;
    if (path.length > 0 && !this.tree.isDir(file.ino)) return -E.ENOTDIR;
    return file.ino;
  }

  // ---- open / close / dup ----

  open(pid: number, dirfd: number, path: string, flags: number, mode: number): number {
    const proc = this.process(pid);
    const start = this.start(pid, dirfd, path);
    if (start < 0) return start;
    if ((flags & O_TMPFILE) === O_TMPFILE) return -E.EOPNOTSUPP;
    const acc = flags & O_ACCMODE;
    const exclusive = (flags & (O_CREAT | O_EXCL)) === (O_CREAT | O_EXCL);
    const w = this.tree.walk(start, path, !(flags & O_NOFOLLOW) && !exclusive);
    if (typeof w === "number") return w;
    let ino = w.ino;
    if (ino < 0) {
      if (!(flags & O_CREAT)) return ino;
      if (w.trailingSlash) return -E.EISDIR;
      ino = this.tree.createNode(w.parent, w.name, S_IFREG | (mode & 0o7777 & ~proc.umask));
      if (ino < 0) return ino;
    } else {
      if (exclusive) return -E.EEXIST;
      const node = this.tree.node(ino);
      const type = node.mode & S_IFMT;
      if (type === S_IFLNK && !(flags & O_PATH)) return -E.ELOOP;
      if (type !== S_IFDIR && (w.trailingSlash || flags & O_DIRECTORY)) return -E.ENOTDIR;
      if (!(flags & O_PATH)) {
        if (type === S_IFDIR && (acc !== O_RDONLY || flags & O_CREAT)) return -E.EISDIR;
        if (this.tree.readOnly(ino) && (acc !== O_RDONLY || flags & O_TRUNC)) return -E.EROFS;
        if (node.mount >= 0 && type !== S_IFREG && type !== S_IFDIR) return -E.EACCES;
        if (flags & O_TRUNC && acc !== O_RDONLY && type === S_IFREG) this.tree.truncate(ino, 0);
      }
    }
    return this.openInode(proc, ino, flags);
  }

  /** A new open file description for an inode, installed at the lowest free fd. */
  private openInode(proc: FsProcess, ino: number, flags: number): number {
    const id = this.nextFile++;
    const keep = flags & ~(O_CREAT | O_EXCL | O_NOCTTY | O_TRUNC | O_CLOEXEC);
    this.files.set(id, { id, ino, flags: keep | O_LARGEFILE, offset: 0, refs: 1, dir: null });
    this.tree.node(ino).opens++;
    const fd = this.install(proc, id, (flags & O_CLOEXEC) !== 0);
    if (fd < 0) this.drop(id);
    return fd;
  }

  /** A description another service answers (socket(), accept()), on an anonymous inode of `mode`'s type. */
  openService(pid: number, service: ServiceFile, mode: number, flags: number): number {
    const ino = this.tree.createPipe();
    this.tree.node(ino).mode = mode;
    const fd = this.openInode(this.process(pid), ino, flags);
    if (fd < 0) {
      service.release();
      return fd;
    }
    this.files.get(this.process(pid).fds[fd]!.file)!.service = service;
    return fd;
  }

  /** pipe2(): a read end and a write end; O_CLOEXEC and O_NONBLOCK apply to both. */
  pipe(pid: number, flags: number): [number, number] | number {
    if (flags & ~(O_CLOEXEC | O_NONBLOCK | O_DIRECT)) return -E.EINVAL;
    const proc = this.process(pid);
    const ino = this.tree.createPipe();
    // openInode frees the inode itself when no fd is left.
    const read = this.openInode(proc, ino, O_RDONLY | flags);
    if (read < 0) return read;
    const write = this.openInode(proc, ino, O_WRONLY | flags);
    if (write < 0) {
      this.close(pid, read);
      return write;
    }
    return [read, write];
  }

  /** An fd on a fresh nameless inode of kind `device` (epoll, eventfd), read-write; O_CLOEXEC and O_NONBLOCK apply. */
  openAnonymous(pid: number, device: string, flags: number): number {
    const ino = this.tree.createAnonymous(device);
    return this.openInode(this.process(pid), ino, O_RDWR | (flags & (O_CLOEXEC | O_NONBLOCK)));
  }

  /** A read-only regular file in no directory holding `data` (the /proc views the personality generates). */
  openGenerated(pid: number, data: Uint8Array, flags: number): number {
    if ((flags & O_ACCMODE) !== O_RDONLY) return -E.EACCES;
    const ino = this.tree.createAnonymous("");
    const node = this.tree.node(ino);
    node.mode = S_IFREG | 0o444;
    node.data = data;
    node.size = data.length;
    return this.openInode(this.process(pid), ino, O_RDONLY | (flags & (O_CLOEXEC | O_NONBLOCK)));
  }

  private isPipe(ino: number): boolean {
    return (this.tree.node(ino).mode & S_IFMT) === S_IFIFO;
  }

  /** Open descriptions of a pipe that can write to it (so a reader knows whether more may come). */
  private pipeEnds(ino: number, access: number): number {
    let n = 0;
    for (const f of this.files.values()) if (f.ino === ino && (f.flags & O_ACCMODE) === access) n++;
    return n;
  }

  /**
   * Reads buffered pipe bytes. An empty pipe with a writer left answers EAGAIN: blocking needs a second
   * runnable thread or process, which the scheduler does not model yet; with no writer it is end of file.
   */
  private pipeRead(file: OpenFile, max: number, deliver: (bytes: Uint8Array) => void): number {
    const node = this.tree.node(file.ino);
    if (node.size === 0) return this.pipeEnds(file.ino, O_WRONLY) > 0 ? -E.EAGAIN : 0;
    const n = Math.min(max, node.size);
    deliver(node.data.slice(0, n));
    node.data.copyWithin(0, n, node.size);
    node.size -= n;
    this.changed(file.ino);
    return n;
  }

  private changed(ino: number): void {
    this.io?.changed?.(`pipe:${ino}`);
  }

  /** The wake key of the pipe behind an fd (what a blocked reader or writer waits on), or null. */
  pipeKey(pid: number, fd: number): string | null {
    const file = this.file(pid, fd);
    return file && this.isPipe(file.ino) ? `pipe:${file.ino}` : null;
  }

  /**
   * Readiness as Linux poll bits (POLLIN 1, POLLOUT 4, POLLERR 8, POLLHUP 16): a pipe's read end is readable with
   * data, hung up without writers; its write end writable with room, in error without readers. Files and devices
   * are always ready.
   */
  pollMask(pid: number, fd: number): number {
    const file = this.file(pid, fd);
    if (!file) return 32; // POLLNVAL
    if (file.service) return file.service.pollMask(); // a socket answers for itself
    const acc = file.flags & O_ACCMODE;
    if (!this.isPipe(file.ino)) return (acc !== O_WRONLY ? 1 : 0) | (acc !== O_RDONLY ? 4 : 0);
    const node = this.tree.node(file.ino);
    if (acc === O_RDONLY) return (node.size > 0 ? 1 : 0) | (this.pipeEnds(file.ino, O_WRONLY) === 0 ? 16 : 0);
    return this.pipeEnds(file.ino, O_RDONLY) === 0 ? 8 : node.size < PIPE_CAPACITY ? 4 : 0;
  }

  /** The path of the directory or file an fd names (execveat, /proc/self/fd links). */
  pathOfFd(pid: number, fd: number): string | number {
    const file = this.file(pid, fd);
    return file ? this.tree.pathOf(file.ino) : -E.EBADF;
  }

  /** Appends to a pipe up to its capacity; EPIPE once no reader is left (the caller raises SIGPIPE). */
  private pipeWrite(file: OpenFile, bytes: Uint8Array): number {
    if (this.pipeEnds(file.ino, O_RDONLY) === 0) return -E.EPIPE;
    const node = this.tree.node(file.ino);
    const room = PIPE_CAPACITY - node.size;
    if (room === 0 && bytes.length > 0) return -E.EAGAIN;
    const n = this.tree.write(file.ino, node.size, bytes.subarray(0, Math.min(room, bytes.length)));
    if (n > 0) this.changed(file.ino);
    return n;
  }

  /** Free bytes in the pipe behind an fd, or -1 when the fd is not a pipe. */
  pipeRoom(pid: number, fd: number): number {
    const file = this.file(pid, fd);
    return file && this.isPipe(file.ino) ? PIPE_CAPACITY - this.tree.node(file.ino).size : -1;
  }

  /** Open read ends of the pipe behind an fd (0: a write gets EPIPE). */
  pipeReaders(pid: number, fd: number): number {
    const file = this.file(pid, fd);
    return file ? this.pipeEnds(file.ino, O_RDONLY) : 0;
  }

  /** Bytes waiting in a pipe (FIONREAD), or -1 when the fd is not a pipe. */
  pipeBuffered(pid: number, fd: number): number {
    const file = this.file(pid, fd);
    return file && this.isPipe(file.ino) ? this.tree.node(file.ino).size : -1;
  }

  private drop(id: number): void {
    const file = this.files.get(id)!;
    if (--file.refs > 0) return;
    this.files.delete(id);
    file.service?.release();
    if (this.isPipe(file.ino)) this.changed(file.ino);
    this.tree.node(file.ino).opens--;
    this.tree.release(file.ino);
  }

  close(pid: number, fd: number): number {
    const proc = this.process(pid);
    const slot = proc.fds[fd];
    if (!slot) return -E.EBADF;
    proc.fds[fd] = null;
    while (proc.fds.length > 0 && proc.fds[proc.fds.length - 1] === null) proc.fds.pop();
    this.drop(slot.file);
    return 0;
  }

  /** dup() and fcntl(F_DUPFD[_CLOEXEC]): the lowest free fd ≥ min. */
  dup(pid: number, fd: number, min = 0, cloexec = false): number {
    const slot = this.slot(pid, fd);
    if (!slot) return -E.EBADF;
    if (min < 0 || min >= FD_LIMIT) return -E.EINVAL;
    const result = this.install(this.process(pid), slot.file, cloexec, min);
    if (result >= 0) this.files.get(slot.file)!.refs++;
    return result;
  }

  /** SCM_RIGHTS: a reference to fd's description that travels in a message; -EBADF. installHeld or dropHeld ends it. */
  hold(pid: number, fd: number): number {
    const slot = this.slot(pid, fd);
    if (!slot) return -E.EBADF;
    this.files.get(slot.file)!.refs++;
    return slot.file;
  }

  /** A held description becomes the lowest free fd of `pid` (the hold passes to it); -EMFILE drops it. */
  installHeld(pid: number, file: number, cloexec: boolean): number {
    const fd = this.install(this.process(pid), file, cloexec);
    if (fd < 0) this.drop(file);
    return fd;
  }

  dropHeld(file: number): void {
    this.drop(file);
  }

  /** dup2 (flags = -1: same fds is a no-op) and dup3 (same fds is EINVAL; only O_CLOEXEC allowed). */
  dup3(pid: number, oldfd: number, newfd: number, flags: number): number {
    const slot = this.slot(pid, oldfd);
    if (flags !== -1 && (flags & ~O_CLOEXEC || oldfd === newfd)) return -E.EINVAL;
    if (!slot) return -E.EBADF;
    if (newfd < 0 || newfd >= FD_LIMIT) return -E.EBADF;
    if (oldfd === newfd) return newfd;
    const proc = this.process(pid);
    this.files.get(slot.file)!.refs++;
    if (proc.fds[newfd]) this.close(pid, newfd);
    while (proc.fds.length <= newfd) proc.fds.push(null);
    proc.fds[newfd] = { file: slot.file, cloexec: flags !== -1 && (flags & O_CLOEXEC) !== 0 };
    return newfd;
  }

  getFdFlags(pid: number, fd: number): number {
    const slot = this.slot(pid, fd);
    return slot ? (slot.cloexec ? FD_CLOEXEC : 0) : -E.EBADF;
  }

  setFdFlags(pid: number, fd: number, flags: number): number {
    const slot = this.slot(pid, fd);
    if (!slot) return -E.EBADF;
    slot.cloexec = (flags & FD_CLOEXEC) !== 0;
    return 0;
  }

  getStatusFlags(pid: number, fd: number): number {
    const file = this.file(pid, fd);
    return file ? file.flags : -E.EBADF;
  }

  setStatusFlags(pid: number, fd: number, flags: number): number {
    const file = this.file(pid, fd);
    if (!file) return -E.EBADF;
    file.flags = (file.flags & ~SETFL_MASK) | (flags & SETFL_MASK);
    return 0;
  }

  /** The device an fd refers to ("stdin", "null" …), "" for files, or -EBADF. */
  deviceOf(pid: number, fd: number): string | number {
    const file = this.file(pid, fd);
    return file ? this.tree.node(file.ino).device : -E.EBADF;
  }

  // ---- data ----

  private readable(pid: number, fd: number): OpenFile | number {
    const file = this.file(pid, fd);
    if (!file || file.flags & O_PATH || (file.flags & O_ACCMODE) === O_WRONLY) return -E.EBADF;
    if (this.tree.isDir(file.ino)) return -E.EISDIR;
    return file;
  }

  private writable(pid: number, fd: number): OpenFile | number {
    const file = this.file(pid, fd);
    if (!file || file.flags & O_PATH || (file.flags & O_ACCMODE) === O_RDONLY) return -E.EBADF;
    return file;
  }

  /** Pipes and the console streams have no file position. */
  private unseekable(ino: number): boolean {
    const device = this.tree.node(ino).device;
    return this.isPipe(ino) || (this.tree.node(ino).mode & S_IFMT) === S_IFSOCK || device === "stdin" || device === "stdout" || device === "stderr";
  }

  /** Bytes a device produces on read; null for a regular file. */
  private deviceRead(device: string, max: number): Uint8Array | number | null {
    switch (device) {
      case "": return null;
      case "stdin": return this.host().readStdin(Math.min(max, STDIN_CHUNK));
      case "null": return new Uint8Array(0);
      case "zero": return new Uint8Array(max);
      case "urandom": {
        const out = new Uint8Array(max);
        this.host().random(out);
        return out;
      }
      default: return -E.EINVAL;
    }
  }

  /**
   * read(): hands the bytes to `deliver` (which copies them into the guest) before moving the offset,
   * so a faulting guest buffer leaves the file position where it was.
   */
  read(pid: number, fd: number, max: number, deliver: (bytes: Uint8Array) => void): number {
    const file = this.readable(pid, fd);
    if (typeof file === "number") return file;
    const n = Math.min(max, MAX_RW);
    if (file.service) return file.service.read(n, (file.flags & O_NONBLOCK) !== 0, deliver);
    if (this.isPipe(file.ino)) return this.pipeRead(file, n, deliver);
    const bytes = this.deviceRead(this.tree.node(file.ino).device, n) ?? this.tree.read(file.ino, file.offset, n);
    if (typeof bytes === "number") return bytes;
    deliver(bytes);
    if (!this.tree.node(file.ino).device) file.offset += bytes.length;
    return bytes.length;
  }

  pread(pid: number, fd: number, max: number, offset: number, deliver: (bytes: Uint8Array) => void): number {
    const file = this.readable(pid, fd);
    if (typeof file === "number") return file;
    if (offset < 0) return -E.EINVAL;
    if (this.unseekable(file.ino)) return -E.ESPIPE;
    const device = this.tree.node(file.ino).device;
    const n = Math.min(max, MAX_RW);
    const bytes = this.deviceRead(device, n) ?? this.tree.read(file.ino, offset, n);
    if (typeof bytes === "number") return bytes;
    deliver(bytes);
    return bytes.length;
  }

  /** Bytes written to a device, or null for a regular file. */
  private deviceWrite(device: string, bytes: Uint8Array): number | null {
    switch (device) {
      case "": return null;
      case "stdout": case "stderr":
        return this.host().writeConsole(device, bytes) ? bytes.length : -E.EPIPE;
      case "null": case "zero": case "urandom": return bytes.length;
      default: return -E.EINVAL;
    }
  }

  write(pid: number, fd: number, bytes: Uint8Array): number {
    const file = this.writable(pid, fd);
    if (typeof file === "number") return file;
    const data = bytes.length > MAX_RW ? bytes.subarray(0, MAX_RW) : bytes;
    if (file.service) return file.service.write(data, (file.flags & O_NONBLOCK) !== 0);
    if (this.isPipe(file.ino)) return this.pipeWrite(file, data);
    const done = this.deviceWrite(this.tree.node(file.ino).device, data);
    if (done !== null) return done;
    const at = file.flags & O_APPEND ? this.tree.node(file.ino).size : file.offset;
    const n = this.tree.write(file.ino, at, data);
    if (n >= 0) file.offset = at + n;
    return n;
  }

  pwrite(pid: number, fd: number, bytes: Uint8Array, offset: number): number {
    const file = this.writable(pid, fd);
    if (typeof file === "number") return file;
    if (offset < 0) return -E.EINVAL;
    if (this.unseekable(file.ino)) return -E.ESPIPE;
    const done = this.deviceWrite(this.tree.node(file.ino).device, bytes);
    if (done !== null) return done;
    // Linux quirk kept on purpose: pwrite on an O_APPEND file appends.
    return this.tree.write(file.ino, file.flags & O_APPEND ? this.tree.node(file.ino).size : offset, bytes);
  }

  lseek(pid: number, fd: number, offset: number, whence: number): number {
    const file = this.file(pid, fd);
    if (!file) return -E.EBADF;
    if (this.unseekable(file.ino)) return -E.ESPIPE;
    if (this.tree.node(file.ino).device) return 0;
    const size = this.tree.stat(file.ino).size;
    let pos: number;
    switch (whence) {
      case SEEK_SET: pos = offset; break;
      case SEEK_CUR: pos = file.offset + offset; break;
      case SEEK_END: pos = size + offset; break;
      case SEEK_DATA: if (offset >= size) return -E.ENXIO; pos = offset; break;
      case SEEK_HOLE: if (offset >= size) return -E.ENXIO; pos = size; break;
      default: return -E.EINVAL;
    }
    if (pos < 0) return -E.EINVAL;
    if (this.tree.isDir(file.ino) && pos === 0) file.dir = null;
    file.offset = pos;
    return pos;
  }

  ftruncate(pid: number, fd: number, length: number): number {
    const file = this.file(pid, fd);
    if (!file || file.flags & O_PATH) return -E.EBADF;
    if (length < 0 || (file.flags & O_ACCMODE) === O_RDONLY) return -E.EINVAL;
    return this.tree.truncate(file.ino, length);
  }

  truncate(pid: number, path: string, length: number): number {
    if (length < 0) return -E.EINVAL;
    const ino = this.resolve(pid, AT_FDCWD, path, true);
    return ino < 0 ? ino : this.tree.truncate(ino, length);
  }

  // ---- directories ----

  /** The entries a getdents on `fd` has not returned yet (the listing is taken at position 0). */
  dirEntries(pid: number, fd: number): DirEntry[] | number {
    const file = this.file(pid, fd);
    if (!file || file.flags & O_PATH) return -E.EBADF;
    if (!this.tree.isDir(file.ino)) return -E.ENOTDIR;
    if (!file.dir || file.offset === 0) {
      const list = this.tree.list(file.ino);
      if (typeof list === "number") return list;
      file.dir = list;
    }
    return file.dir.slice(file.offset);
  }

  /** Marks `count` entries returned by getdents as consumed. */
  advanceDir(pid: number, fd: number, count: number): void {
    this.file(pid, fd)!.offset += count;
  }

  /** Resolves a path (dirfd-relative; empty path with AT_EMPTY_PATH means dirfd itself) to an inode. */
  resolve(pid: number, dirfd: number, path: string, follow: boolean, flags = 0): number {
    if (path.length === 0 && flags & AT_EMPTY_PATH) {
      if (dirfd === AT_FDCWD) return this.process(pid).cwd;
      const file = this.file(pid, dirfd);
      return file ? file.ino : -E.EBADF;
    }
    const start = this.start(pid, dirfd, path);
    return start < 0 ? start : this.tree.resolve(start, path, follow);
  }

  fstat(pid: number, fd: number): StatData | number {
    const file = this.file(pid, fd);
    return file ? this.tree.stat(file.ino) : -E.EBADF;
  }

  stat(pid: number, dirfd: number, path: string, follow: boolean, flags = 0): StatData | number {
    const ino = this.resolve(pid, dirfd, path, follow, flags);
    return ino < 0 ? ino : this.tree.stat(ino);
  }

  /** access()/faccessat(): the caller is root, so only read-only mounts and missing execute bits refuse. */
  access(pid: number, dirfd: number, path: string, mode: number, follow: boolean, flags = 0): number {
    if (mode & ~(R_OK | W_OK | X_OK)) return -E.EINVAL;
    const ino = this.resolve(pid, dirfd, path, follow, flags);
    if (ino < 0) return ino;
    const node = this.tree.node(ino);
    if (mode & W_OK && this.tree.readOnly(ino)) return -E.EROFS;
    if (mode & X_OK && (node.mode & S_IFMT) !== S_IFDIR && (node.mode & 0o111) === 0) return -E.EACCES;
    return 0;
  }

  getcwd(pid: number): string | number {
    return this.tree.pathOf(this.process(pid).cwd);
  }

  chdir(pid: number, path: string): number {
    const ino = this.resolve(pid, AT_FDCWD, path, true);
    if (ino < 0) return ino;
    if (!this.tree.isDir(ino)) return -E.ENOTDIR;
    this.process(pid).cwd = ino;
    return 0;
  }

  fchdir(pid: number, fd: number): number {
    const file = this.file(pid, fd);
    if (!file) return -E.EBADF;
    if (!this.tree.isDir(file.ino)) return -E.ENOTDIR;
    this.process(pid).cwd = file.ino;
    return 0;
  }

  umask(pid: number, mask: number): number {
    const proc = this.process(pid);
    const old = proc.umask;
    proc.umask = mask & 0o777;
    return old;
  }

  mkdir(pid: number, dirfd: number, path: string, mode: number): number {
    const start = this.start(pid, dirfd, path);
    return start < 0 ? start : this.tree.mkdir(start, path, mode & ~this.process(pid).umask);
  }

  /** unlinkat(): AT_REMOVEDIR makes it rmdir. */
  unlink(pid: number, dirfd: number, path: string, removeDir: boolean): number {
    const start = this.start(pid, dirfd, path);
    if (start < 0) return start;
    return removeDir ? this.tree.rmdir(start, path) : this.tree.unlink(start, path);
  }

  rename(pid: number, olddirfd: number, oldPath: string, newdirfd: number, newPath: string, flags: number): number {
    const from = this.start(pid, olddirfd, oldPath);
    if (from < 0) return from;
    const to = this.start(pid, newdirfd, newPath);
    return to < 0 ? to : this.tree.rename(from, oldPath, to, newPath, flags);
  }

  symlink(pid: number, target: string, dirfd: number, path: string): number {
    const start = this.start(pid, dirfd, path);
    return start < 0 ? start : this.tree.symlink(target, start, path);
  }

  link(pid: number, olddirfd: number, oldPath: string, newdirfd: number, newPath: string, follow: boolean): number {
    const from = this.start(pid, olddirfd, oldPath);
    if (from < 0) return from;
    const to = this.start(pid, newdirfd, newPath);
    return to < 0 ? to : this.tree.link(from, oldPath, to, newPath, follow);
  }

  readlink(pid: number, dirfd: number, path: string): string | number {
    const ino = this.resolve(pid, dirfd, path, false);
    return ino < 0 ? ino : this.tree.readlink(ino);
  }

  chmod(pid: number, dirfd: number, path: string, mode: number, follow: boolean): number {
    const ino = this.resolve(pid, dirfd, path, follow);
    return ino < 0 ? ino : this.tree.chmod(ino, mode);
  }

  fchmod(pid: number, fd: number, mode: number): number {
    const file = this.file(pid, fd);
    return file ? this.tree.chmod(file.ino, mode) : -E.EBADF;
  }

  /** utimensat(): times in ns, -1 to leave one unchanged; an empty path with AT_EMPTY_PATH names dirfd. */
  utimens(pid: number, dirfd: number, path: string, atimeNs: number, mtimeNs: number, follow: boolean, flags = 0): number {
    const ino = this.resolve(pid, dirfd, path, follow, flags);
    return ino < 0 ? ino : this.tree.setTimes(ino, atimeNs, mtimeNs);
  }
}
