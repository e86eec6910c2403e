// The file server's namespace: inodes (in-memory files, directories, symlinks, devices, host-mount nodes) and
// path resolution. State is plain records in one Map keyed by inode number so a snapshot is a list of records.

import {
  dirType, NAME_MAX, PATH_MAX, RENAME_EXCHANGE, RENAME_NOREPLACE, S_IFCHR, S_IFDIR, S_IFIFO, S_IFLNK, S_IFMT, S_IFREG,
  SYMLOOP_MAX,
} from "./abi.ts";
import { E } from "./errno.ts";
import { NODE_HOST_IO, type HostIo, type MountIo, type MountWriter } from "./host.ts";

export interface Inode {
  ino: number;
  mode: number;
  nlink: number;
  size: number;
  /** Regular in-memory files: bytes [0, size) are the content; capacity grows by doubling. */
  data: Uint8Array;
  /** In-memory directories: name → inode number, in creation order (the getdents order). */
  entries: Map<string, number> | null;
  /** Directories: the parent directory (the root is its own parent) and the name there, for getcwd. */
  parent: number;
  name: string;
  /** Symlinks: the target as written. */
  target: string;
  /** Character devices: which device ("stdin", "stdout", "stderr", "null", "zero", "urandom"). */
  device: string;
  rdev: number;
  /** Index of the host mount this node lives on, or -1 for in-memory nodes. */
  mount: number;
  /** Path inside the mount's host folder ("" = the mount root). */
  rel: string;
  atimeNs: number;
  mtimeNs: number;
  ctimeNs: number;
  /** Open file descriptions referring to the node: an unlinked file lives until the last one closes. */
  opens: number;
}

export interface MountRecord {
  host: string;
  guest: string;
  /** The in-memory directory the mount covers, and the host-node inode that replaces it during lookup. */
  point: number;
  root: number;
  /** The mount's own backend (the FAT disk), or null for a host folder read through the tree's HostIo. */
  io: MountIo | null;
}

export interface StatData {
  dev: number;
  ino: number;
  mode: number;
  nlink: number;
  uid: number;
  gid: number;
  rdev: number;
  size: number;
  blksize: number;
  blocks: number;
  atimeNs: number;
  mtimeNs: number;
  ctimeNs: number;
}

export interface DirEntry {
  name: string;
  ino: number;
  /** DT_* type. */
  type: number;
}

/** A resolved path: the directory holding the last component, its name, and its inode (or -ENOENT). */
export interface Walk {
  parent: number;
  name: string;
  ino: number;
  trailingSlash: boolean;
}

const EMPTY = new Uint8Array(0);
/** Largest file the server grows to; beyond it writes fail with EFBIG. */
const MAX_FILE = 1 << 30;

function components(path: string): string[] {
  return path.split("/").filter((c) => c.length > 0);
}

export class FsTree {
  readonly inodes = new Map<number, Inode>();
  readonly mounts: MountRecord[] = [];
  /** mount index + ":" + rel → inode, so a host file keeps its inode number while the server runs. */
  readonly hostInodes = new Map<string, number>();
  readonly root: number;
  private nextIno = 1;
  /** Bytes of file data held in host memory, its limit (the machine sets it from --fs-quota), writes refused by it. */
  dataBytes = 0;
  quotaBytes = Infinity;
  quotaRefusals = 0;

  constructor(
    readonly nowNs: () => number,
    private readonly hostIo: HostIo = NODE_HOST_IO,
  ) {
    this.root = this.newInode(S_IFDIR | 0o755);
    const root = this.node(this.root);
    root.entries = new Map();
    root.parent = this.root;
    root.nlink = 2;
  }

  node(ino: number): Inode {
    const node = this.inodes.get(ino);
    if (!node) throw new Error(`file server: inode ${ino} does not exist`);
    return node;
  }

  isDir(ino: number): boolean {
    return (this.node(ino).mode & S_IFMT) === S_IFDIR;
  }

  private newInode(mode: number): number {
    const now = this.nowNs();
    const ino = this.nextIno++;
    this.inodes.set(ino, {
      ino, mode, nlink: 1, size: 0, data: EMPTY, entries: null, parent: 0, name: "", target: "", device: "",
      rdev: 0, mount: -1, rel: "", atimeNs: now, mtimeNs: now, ctimeNs: now, opens: 0,
    });
    return ino;
  }

  /**
   * Mounts a host folder read-only at a guest directory (created if missing), or with `io` a backend of its own
   * (paths reach it as `host` + "/" + path inside the mount). Throws on bad configuration.
   */
  mount(host: string, guest: string, io: MountIo | null = null): void {
    const st = (io ?? this.hostIo).lstat(host);
    if (typeof st === "number" || (st.mode & S_IFMT) !== S_IFDIR) {
      throw new Error(`mount: host folder ${host} is not a directory`);
    }
    const point = this.mkdirs(guest);
    if (this.mounts.some((m) => m.point === point)) throw new Error(`mount: ${guest} is already a mount point`);
    const index = this.mounts.length;
    this.mounts.push({ host, guest: this.pathOf(point) as string, point, root: 0, io });
    const root = this.hostNode(index, "");
    if (root < 0) throw new Error(`mount: host folder ${host} is unreadable`);
    this.mounts[index].root = root;
  }

  /** Commits every writable mount (fsync, sync). */
  sync(): void {
    for (const m of this.mounts) m.io?.writer?.sync();
  }

  /** Creates every missing directory of an absolute path (boot-time setup); returns the last one. */
  mkdirs(path: string): number {
    let dir = this.root;
    for (const name of components(path)) {
      const child = this.lookup(dir, name);
      if (child >= 0) {
        if (!this.isDir(child)) throw new Error(`file server: ${path}: ${name} is not a directory`);
        dir = child;
      } else {
        dir = this.createNode(dir, name, S_IFDIR | 0o755);
        if (dir < 0) throw new Error(`file server: cannot create ${path} (errno ${-dir})`);
      }
    }
    return dir;
  }

  private ioOf(index: number): HostIo {
    return this.mounts[index].io ?? this.hostIo;
  }

  /** Whether a node may not be changed: on a host folder or a read-only disk. */
  readOnly(ino: number): boolean {
    const node = this.node(ino);
    return node.mount >= 0 && !this.mounts[node.mount].io?.writer;
  }

  /** The writer of the mount a node lives on; null for in-memory nodes and read-only mounts. */
  private writerOf(node: Inode): MountWriter | null {
    return node.mount >= 0 ? this.mounts[node.mount].io?.writer ?? null : null;
  }

  /** The inode for a host path inside mount `index`, refreshed from the host, or -errno. */
  private hostNode(index: number, rel: string): number {
    const mount = this.mounts[index];
    const st = this.ioOf(index).lstat(rel === "" ? mount.host : `${mount.host}/${rel}`);
    if (typeof st === "number") return st;
    const key = `${index}:${rel}`;
    let ino = this.hostInodes.get(key);
    if (ino === undefined) {
      ino = this.newInode(st.mode);
      this.hostInodes.set(key, ino);
    }
    const node = this.node(ino);
    node.mode = st.mode;
    node.nlink = st.nlink ?? 1;
    node.size = (st.mode & S_IFMT) === S_IFDIR ? 4096 : st.size;
    node.atimeNs = st.atimeNs;
    node.mtimeNs = st.mtimeNs;
    node.ctimeNs = st.ctimeNs;
    node.mount = index;
    node.rel = rel;
    return ino;
  }

  private hostPath(node: Inode): string {
    const mount = this.mounts[node.mount];
    return node.rel === "" ? mount.host : `${mount.host}/${node.rel}`;
  }

  /** One name in one directory (no "." or ".."), crossing onto a mount; -errno when absent. */
  lookup(dir: number, name: string): number {
    const node = this.node(dir);
    let child: number;
    if (node.mount >= 0) {
      child = this.hostNode(node.mount, node.rel === "" ? name : `${node.rel}/${name}`);
    } else {
      child = node.entries?.get(name) ?? -E.ENOENT;
    }
    if (child < 0) return child;
    for (const m of this.mounts) if (m.point === child) return m.root;
    return child;
  }

  /** The directory ".." names; the root of a mount leads back to the guest tree, never up the host. */
  parentOf(dir: number): number {
    const node = this.node(dir);
    if (node.mount < 0) return node.parent;
    if (node.rel === "") return this.node(this.mounts[node.mount].point).parent;
    const cut = node.rel.lastIndexOf("/");
    const up = this.hostNode(node.mount, cut < 0 ? "" : node.rel.slice(0, cut));
    return up < 0 ? this.root : up;
  }

  /**
   * Resolves a path from `start` (used when it is relative), following symlinks in every directory
   * component and in the last one when `followLast` (or a trailing slash) asks for it. Host symlinks
   * are resolved in the guest namespace, so a link on a mount can never name a host path outside it.
   */
  walk(start: number, path: string, followLast: boolean): Walk | number {
    if (path.length === 0) return -E.ENOENT;
    if (path.length >= PATH_MAX) return -E.ENAMETOOLONG;
    const trailingSlash = path.endsWith("/");
    let comps = components(path);
    let cur = path.startsWith("/") ? this.root : start;
    if (!this.inodes.has(cur)) return -E.ENOENT;
    let links = 0;
    let i = 0;
    for (;;) {
      if (i >= comps.length) return { parent: cur, name: ".", ino: cur, trailingSlash };
      const name = comps[i];
      if (name.length > NAME_MAX) return -E.ENAMETOOLONG;
      if (!this.isDir(cur)) return -E.ENOTDIR;
      const last = i === comps.length - 1;
      const child = name === "." ? cur : name === ".." ? this.parentOf(cur) : this.lookup(cur, name);
      if (child < 0) {
        return last && child === -E.ENOENT ? { parent: cur, name, ino: child, trailingSlash } : child;
      }
      const isLink = (this.node(child).mode & S_IFMT) === S_IFLNK;
      if (isLink && (!last || followLast || trailingSlash)) {
        if (++links > SYMLOOP_MAX) return -E.ELOOP;
        const target = this.readlink(child);
        if (typeof target === "number") return target;
        if (target.length === 0) return -E.ENOENT;
        comps = [...components(target), ...comps.slice(i + 1)];
        if (target.startsWith("/")) cur = this.root;
        i = 0;
        continue;
      }
      if (last) return { parent: cur, name, ino: child, trailingSlash };
      cur = child;
      i++;
    }
  }

  /** Resolves to an existing inode, or -errno. */
  resolve(start: number, path: string, followLast: boolean): number {
    const w = this.walk(start, path, followLast);
    if (typeof w === "number") return w;
    if (w.ino >= 0 && w.trailingSlash && !this.isDir(w.ino)) return -E.ENOTDIR;
    return w.ino;
  }

  /** Absolute guest path of a directory (getcwd), or -ENOENT once it has been removed. */
  pathOf(dir: number): string | number {
    const node = this.inodes.get(dir);
    if (!node || node.nlink === 0) return -E.ENOENT;
    if (node.mount >= 0) {
      const base = this.mounts[node.mount].guest;
      return node.rel === "" ? base : `${base === "/" ? "" : base}/${node.rel}`;
    }
    const names: string[] = [];
    for (let cur = node; cur.ino !== this.root; cur = this.node(cur.parent)) names.push(cur.name);
    return "/" + names.reverse().join("/");
  }

  /** Creates a node in an in-memory directory; -EEXIST, -EROFS on a read-only mount, -ENOENT in a removed dir. */
  createNode(dir: number, name: string, mode: number): number {
    const parent = this.node(dir);
    if (parent.mount >= 0) return this.mountCreate(parent, name, mode);
    if (!parent.entries || parent.nlink === 0) return -E.ENOENT;
    if (name === "." || name === ".." || parent.entries.has(name)) return -E.EEXIST;
    if (name.length > NAME_MAX) return -E.ENAMETOOLONG;
    const ino = this.newInode(mode);
    const node = this.node(ino);
    if ((mode & S_IFMT) === S_IFDIR) {
      node.entries = new Map();
      node.parent = dir;
      node.name = name;
      node.nlink = 2;
      parent.nlink++;
    }
    parent.entries.set(name, ino);
    parent.mtimeNs = parent.ctimeNs = node.ctimeNs;
    return ino;
  }

  /** A file or directory on a writable mount (it keeps no other kinds, as Linux vfat refuses them with EPERM). */
  private mountCreate(parent: Inode, name: string, mode: number): number {
    const writer = this.writerOf(parent);
    if (!writer) return -E.EROFS;
    if (name === "." || name === "..") return -E.EEXIST;
    if (name.length > NAME_MAX) return -E.ENAMETOOLONG;
    const type = mode & S_IFMT;
    if (type !== S_IFREG && type !== S_IFDIR) return -E.EPERM;
    const rel = parent.rel === "" ? name : `${parent.rel}/${name}`;
    const path = this.hostPath(parent) + "/" + name;
    const made = type === S_IFDIR ? writer.mkdir(path) : writer.create(path);
    if (made < 0) return made;
    if ((mode & 0o222) === 0) writer.chmod(path, mode);
    return this.hostNode(parent.mount, rel);
  }

  /** An anonymous pipe: a FIFO in no directory, alive while open file descriptions refer to it. */
  createPipe(): number {
    const ino = this.newInode(S_IFIFO | 0o600);
    this.node(ino).nlink = 0;
    return ino;
  }

  /** A nameless inode for an object the personality implements (epoll, eventfd): `device` names its kind. */
  createAnonymous(device: string): number {
    const ino = this.newInode(0o600);
    const node = this.node(ino);
    node.nlink = 0;
    node.device = device;
    return ino;
  }

  /** A character device node at an absolute path (boot-time setup of /dev). */
  addDevice(path: string, device: string, rdev: number): number {
    const cut = path.lastIndexOf("/");
    const dir = this.mkdirs(path.slice(0, cut));
    const ino = this.createNode(dir, path.slice(cut + 1), S_IFCHR | 0o666);
    if (ino < 0) throw new Error(`file server: cannot create device ${path} (errno ${-ino})`);
    const node = this.node(ino);
    node.device = device;
    node.rdev = rdev;
    return ino;
  }

  symlink(target: string, start: number, path: string): number {
    if (target.length === 0) return -E.ENOENT;
    const w = this.walk(start, path, false);
    if (typeof w === "number") return w;
    if (w.ino >= 0) return -E.EEXIST;
    const ino = this.createNode(w.parent, w.name, S_IFLNK | 0o777);
    if (ino < 0) return ino;
    const node = this.node(ino);
    node.target = target;
    node.size = new TextEncoder().encode(target).length;
    return 0;
  }

  link(oldStart: number, oldPath: string, newStart: number, newPath: string, follow: boolean): number {
    const from = this.resolve(oldStart, oldPath, follow);
    if (from < 0) return from;
    if (this.isDir(from)) return -E.EPERM;
    const w = this.walk(newStart, newPath, false);
    if (typeof w === "number") return w;
    if (w.ino >= 0) return -E.EEXIST;
    const parent = this.node(w.parent);
    const node = this.node(from);
    if (parent.mount >= 0 || node.mount >= 0) return node.mount === parent.mount ? -E.EROFS : -E.EXDEV;
    if (!parent.entries || parent.nlink === 0) return -E.ENOENT;
    parent.entries.set(w.name, from);
    node.nlink++;
    node.ctimeNs = parent.mtimeNs = parent.ctimeNs = this.nowNs();
    return 0;
  }

  readlink(ino: number): string | number {
    const node = this.node(ino);
    if ((node.mode & S_IFMT) !== S_IFLNK) return -E.EINVAL;
    return node.mount >= 0 ? this.ioOf(node.mount).readlink(this.hostPath(node)) : node.target;
  }

  /** Drops a name from its directory and frees the inode when nothing refers to it any more. */
  private detach(dir: number, name: string, ino: number): void {
    const parent = this.node(dir);
    const node = this.node(ino);
    parent.entries!.delete(name);
    parent.mtimeNs = parent.ctimeNs = node.ctimeNs = this.nowNs();
    if ((node.mode & S_IFMT) === S_IFDIR) {
      parent.nlink--;
      node.nlink = 0;
    } else {
      node.nlink--;
    }
    this.release(ino);
  }

  /** Frees an inode with no names and no open descriptions; the last close of a file on a writable disk commits it. */
  release(ino: number): void {
    const node = this.node(ino);
    this.writerOf(node)?.sync();
    if (node.nlink === 0 && node.opens === 0 && node.mount < 0) {
      this.dataBytes -= node.data.length;
      this.inodes.delete(ino);
    }
  }

  /**
   * unlink/rmdir on a writable mount. A file still open becomes an anonymous in-memory copy first, so its open
   * descriptions keep reading and writing it after its clusters are freed, as they would on Linux.
   */
  private mountRemove(ino: number, dir: boolean): number {
    const node = this.node(ino);
    const writer = this.writerOf(node);
    if (!writer) return -E.EROFS;
    const path = this.hostPath(node);
    const content = !dir && node.opens > 0 ? this.read(ino, 0, node.size) : null;
    if (typeof content === "number") return content;
    const done = dir ? writer.rmdir(path) : writer.unlink(path);
    if (done < 0) return done;
    this.hostInodes.delete(`${node.mount}:${node.rel}`);
    node.mount = -1;
    node.nlink = 0;
    if (content) {
      node.data = content;
      node.size = content.length;
    }
    this.release(ino);
    return 0;
  }

  /** rename on a writable mount; inodes below a renamed directory follow it, so open descriptions stay valid. */
  private mountRename(from: Walk, to: Walk): number {
    const node = this.node(from.ino);
    const writer = this.writerOf(node);
    if (!writer) return -E.EROFS;
    const parent = this.node(to.parent);
    const rel = parent.rel === "" ? to.name : `${parent.rel}/${to.name}`;
    const done = writer.rename(this.hostPath(node), this.hostPath(parent) + "/" + to.name);
    if (done < 0) return done;
    const index = node.mount, old = node.rel;
    if (to.ino >= 0 && to.ino !== from.ino) this.hostInodes.delete(`${index}:${rel}`);
    for (const [key, ino] of [...this.hostInodes]) {
      const moved = this.node(ino);
      if (moved.mount !== index || (moved.rel !== old && !moved.rel.startsWith(old + "/"))) continue;
      this.hostInodes.delete(key);
      moved.rel = rel + moved.rel.slice(old.length);
      this.hostInodes.set(`${index}:${moved.rel}`, ino);
    }
    this.hostNode(index, rel);
    return 0;
  }

  private isMountPoint(ino: number): boolean {
    return this.mounts.some((m) => m.point === ino || m.root === ino);
  }

  unlink(start: number, path: string): number {
    const w = this.walk(start, path, false);
    if (typeof w === "number") return w;
    if (w.ino < 0) return w.ino;
    if (this.isDir(w.ino)) return -E.EISDIR;
    if (w.trailingSlash) return -E.ENOTDIR;
    if (this.node(w.parent).mount >= 0) return this.mountRemove(w.ino, false);
    this.detach(w.parent, w.name, w.ino);
    return 0;
  }

  rmdir(start: number, path: string): number {
    const w = this.walk(start, path, false);
    if (typeof w === "number") return w;
    if (w.ino < 0) return w.ino;
    if (!this.isDir(w.ino)) return -E.ENOTDIR;
    if (w.name === ".") return -E.EINVAL;
    if (w.name === "..") return -E.ENOTEMPTY;
    if (w.ino === this.root || this.isMountPoint(w.ino)) return -E.EBUSY;
    if (this.node(w.parent).mount >= 0) return this.mountRemove(w.ino, true);
    if (this.node(w.ino).entries!.size > 0) return -E.ENOTEMPTY;
    this.detach(w.parent, w.name, w.ino);
    return 0;
  }

  mkdir(start: number, path: string, mode: number): number {
    const w = this.walk(start, path, false);
    if (typeof w === "number") return w;
    if (w.ino >= 0) return -E.EEXIST;
    const ino = this.createNode(w.parent, w.name, S_IFDIR | (mode & 0o7777));
    return ino < 0 ? ino : 0;
  }

  rename(oldStart: number, oldPath: string, newStart: number, newPath: string, flags: number): number {
    if (flags & ~(RENAME_NOREPLACE | RENAME_EXCHANGE) || flags === (RENAME_NOREPLACE | RENAME_EXCHANGE)) {
      return -E.EINVAL;
    }
    const from = this.walk(oldStart, oldPath, false);
    if (typeof from === "number") return from;
    if (from.ino < 0) return from.ino;
    const to = this.walk(newStart, newPath, false);
    if (typeof to === "number") return to;
    if (from.name === "." || from.name === ".." || to.name === "." || to.name === "..") return -E.EBUSY;
    const fromDir = this.node(from.parent);
    const toDir = this.node(to.parent);
    if (fromDir.mount !== toDir.mount) return -E.EXDEV;
    if (fromDir.mount >= 0 && this.readOnly(from.parent)) return -E.EROFS;
    if (this.isMountPoint(from.ino) || (to.ino >= 0 && this.isMountPoint(to.ino))) return -E.EBUSY;
    const fromIsDir = this.isDir(from.ino);
    if (!fromIsDir && (from.trailingSlash || to.trailingSlash)) return -E.ENOTDIR;
    if (flags & RENAME_EXCHANGE) {
      if (to.ino < 0) return to.ino;
      return fromDir.mount >= 0 ? -E.EINVAL : this.exchange(from, to);
    }
    if (to.ino >= 0 && flags & RENAME_NOREPLACE) return -E.EEXIST;
    if (to.ino === from.ino) return 0;
    if (fromIsDir && this.isAncestor(from.ino, to.parent)) return -E.EINVAL;
    if (fromDir.mount >= 0) return this.mountRename(from, to);
    if (to.ino >= 0) {
      const toIsDir = this.isDir(to.ino);
      if (fromIsDir && !toIsDir) return -E.ENOTDIR;
      if (!fromIsDir && toIsDir) return -E.EISDIR;
      if (toIsDir && this.node(to.ino).entries!.size > 0) return -E.ENOTEMPTY;
      this.detach(to.parent, to.name, to.ino);
    } else if (toDir.nlink === 0) {
      return -E.ENOENT;
    }
    fromDir.entries!.delete(from.name);
    toDir.entries!.set(to.name, from.ino);
    const node = this.node(from.ino);
    if (fromIsDir) {
      fromDir.nlink--;
      toDir.nlink++;
      node.parent = to.parent;
      node.name = to.name;
    }
    fromDir.mtimeNs = fromDir.ctimeNs = toDir.mtimeNs = toDir.ctimeNs = node.ctimeNs = this.nowNs();
    return 0;
  }

  private exchange(a: Walk, b: Walk): number {
    if (a.ino === b.ino) return 0;
    if (this.isDir(a.ino) && this.isAncestor(a.ino, b.parent)) return -E.EINVAL;
    if (this.isDir(b.ino) && this.isAncestor(b.ino, a.parent)) return -E.EINVAL;
    const aDir = this.node(a.parent);
    const bDir = this.node(b.parent);
    aDir.entries!.set(a.name, b.ino);
    bDir.entries!.set(b.name, a.ino);
    for (const [ino, dir, name] of [[a.ino, b.parent, b.name], [b.ino, a.parent, a.name]] as const) {
      const node = this.node(ino);
      if (!this.isDir(ino)) continue;
      this.node(node.parent).nlink--;
      this.node(dir).nlink++;
      node.parent = dir;
      node.name = name;
    }
    return 0;
  }

  /** Whether `dir` is `ancestor` or lies below it. */
  private isAncestor(ancestor: number, dir: number): boolean {
    for (let cur = dir; ; cur = this.parentOf(cur)) {
      if (cur === ancestor) return true;
      if (cur === this.root) return false;
    }
  }

  stat(ino: number): StatData {
    let node = this.node(ino);
    if (node.mount >= 0) {
      this.hostNode(node.mount, node.rel);
      node = this.node(ino);
    }
    const type = node.mode & S_IFMT;
    // Directories report one block; a pipe's buffered bytes are not its size (Linux shows 0).
    const size = type === S_IFDIR && node.mount < 0 ? 4096 : type === S_IFIFO ? 0 : node.size;
    return {
      dev: node.mount >= 0 ? 0x20 + node.mount : node.device ? 5 : 1,
      ino,
      mode: node.mode,
      nlink: node.nlink,
      uid: 0,
      gid: 0,
      rdev: node.rdev,
      size,
      blksize: 4096,
      blocks: Math.ceil(size / 4096) * 8,
      atimeNs: node.atimeNs,
      mtimeNs: node.mtimeNs,
      ctimeNs: node.ctimeNs,
    };
  }

  /** Entries of a directory, "." and ".." first; host directories are listed in sorted order. */
  list(dir: number): DirEntry[] | number {
    const node = this.node(dir);
    const entry = (name: string, ino: number): DirEntry => ({ name, ino, type: dirType(this.node(ino).mode) });
    const out = [entry(".", dir), entry("..", this.parentOf(dir))];
    if (node.mount >= 0) {
      const names = this.ioOf(node.mount).readdir(this.hostPath(node));
      if (typeof names === "number") return names;
      for (const name of names) {
        const ino = this.lookup(dir, name);
        if (ino >= 0) out.push(entry(name, ino));
      }
    } else {
      for (const [name, ino] of node.entries!) out.push(entry(name, ino));
    }
    return out;
  }

  /** Up to `max` bytes of a regular file at `offset`. */
  read(ino: number, offset: number, max: number): Uint8Array | number {
    const node = this.node(ino);
    if (node.mount >= 0) return this.ioOf(node.mount).read(this.hostPath(node), offset, max);
    if (offset >= node.size) return EMPTY;
    return node.data.slice(offset, Math.min(node.size, offset + max));
  }

  /** Writes into an in-memory regular file, growing it (a gap reads as zeros). */
  write(ino: number, offset: number, bytes: Uint8Array): number {
    const node = this.node(ino);
    if (node.mount >= 0) return this.writerOf(node)?.write(this.hostPath(node), offset, bytes) ?? -E.EROFS;
    const end = offset + bytes.length;
    if (end > MAX_FILE) return -E.EFBIG;
    if (!this.reserve(node, end)) return -E.ENOSPC;
    node.data.set(bytes, offset);
    if (end > node.size) node.size = end;
    node.mtimeNs = node.ctimeNs = this.nowNs();
    return bytes.length;
  }

  truncate(ino: number, length: number): number {
    const node = this.node(ino);
    if (node.mount >= 0) return this.writerOf(node)?.truncate(this.hostPath(node), length) ?? -E.EROFS;
    if ((node.mode & S_IFMT) === S_IFDIR) return -E.EISDIR;
    if ((node.mode & S_IFMT) !== S_IFREG) return -E.EINVAL;
    if (length > MAX_FILE) return -E.EFBIG;
    if (length < node.size) node.data.fill(0, length, node.size);
    else if (!this.reserve(node, length)) return -E.ENOSPC;
    node.size = length;
    node.mtimeNs = node.ctimeNs = this.nowNs();
    return 0;
  }

  /** Grows a file's buffer to hold `size` bytes, charged to the quota (doubling, but never past it); false if full. */
  private reserve(node: Inode, size: number): boolean {
    if (size <= node.data.length) return true;
    const room = this.quotaBytes - this.dataBytes + node.data.length;
    if (size > room) {
      this.quotaRefusals++;
      return false;
    }
    const grown = new Uint8Array(Math.min(Math.max(size, node.data.length * 2, 64), room));
    grown.set(node.data.subarray(0, node.size));
    this.dataBytes += grown.length - node.data.length;
    node.data = grown;
    return true;
  }

  chmod(ino: number, mode: number): number {
    const node = this.node(ino);
    if (node.mount >= 0) return this.writerOf(node)?.chmod(this.hostPath(node), mode) ?? -E.EROFS;
    node.mode = (node.mode & S_IFMT) | (mode & 0o7777);
    node.ctimeNs = this.nowNs();
    return 0;
  }

  /** Sets access and modification times (utimensat); a negative value leaves that time unchanged. */
  setTimes(ino: number, atimeNs: number, mtimeNs: number): number {
    const node = this.node(ino);
    if (node.mount >= 0) return this.writerOf(node)?.setTimes(this.hostPath(node), atimeNs, mtimeNs) ?? -E.EROFS;
    if (atimeNs >= 0) node.atimeNs = atimeNs;
    if (mtimeNs >= 0) node.mtimeNs = mtimeNs;
    node.ctimeNs = this.nowNs();
    return 0;
  }
}
