import assert from "node:assert/strict";
import * as nodeFs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { BLOCKED } from "../../../../engine/roottask/linux/context.ts";
import { test } from "node:test";
import { E } from "../../../../engine/roottask/fs/errno.ts";
import { AT_FDCWD, setup, UNMAPPED } from "./harness.ts";

const O_RDONLY = 0, O_WRONLY = 1, O_RDWR = 2, O_CREAT = 0o100, O_EXCL = 0o200, O_TRUNC = 0o1000;
const O_APPEND = 0o2000, O_DIRECTORY = 0o200000, O_CLOEXEC = 0o2000000, O_LARGEFILE = 0o100000;
const SEEK_SET = 0, SEEK_CUR = 1, SEEK_END = 2;

test("write to fd 1 reaches the host's stdout and returns the byte count", () => {
  const h = setup();
  assert.equal(h.call("write", 1, h.put(new TextEncoder().encode("hello\n")), 6), 6);
  assert.equal(new TextDecoder().decode(Uint8Array.from(h.stdout)), "hello\n");
  assert.equal(h.call("write", 2, h.put(new TextEncoder().encode("oops")), 4), 4);
  assert.equal(h.stderr.length, 4);
});

test("read from fd 0 takes bytes from the host's stdin and returns 0 at end of file", () => {
  const h = setup({ stdin: "abc" });
  const buf = h.alloc(16);
  assert.equal(h.call("read", 0, buf, 16), 3);
  assert.equal(h.text(buf, 3), "abc");
  assert.equal(h.call("read", 0, buf, 16), 0);
});

test("a created file reads back what was written, with offsets moving and lseek repositioning", () => {
  const h = setup();
  const fd = h.call("openat", AT_FDCWD, h.put("/tmp/a.txt"), O_RDWR | O_CREAT, 0o644);
  assert.equal(fd, 3);
  assert.equal(h.call("write", fd, h.put(new TextEncoder().encode("0123456789")), 10), 10);
  assert.equal(h.call("lseek", fd, 0, SEEK_CUR), 10);
  assert.equal(h.call("lseek", fd, 2, SEEK_SET), 2);
  const buf = h.alloc(16);
  assert.equal(h.call("read", fd, buf, 4), 4);
  assert.equal(h.text(buf, 4), "2345");
  assert.equal(h.call("lseek", fd, -3, SEEK_END), 7);
  assert.equal(h.call("read", fd, buf, 16), 3);
  assert.equal(h.text(buf, 3), "789");
  assert.equal(h.call("read", fd, buf, 16), 0);
  assert.equal(h.call("lseek", fd, -20, SEEK_CUR), -E.EINVAL);
  assert.equal(h.call("lseek", fd, 0, 9), -E.EINVAL);
  assert.equal(h.call("lseek", 1, 0, SEEK_SET), -E.ESPIPE);
});

test("pread64/pwrite64 use their own offset and leave the file position alone", () => {
  const h = setup();
  const fd = h.call("open", h.put("/f"), O_RDWR | O_CREAT, 0o600);
  h.call("write", fd, h.put(new TextEncoder().encode("abcdef")), 6);
  assert.equal(h.call("pwrite64", fd, h.put(new TextEncoder().encode("XY")), 2, 1), 2);
  const buf = h.alloc(8);
  assert.equal(h.call("pread64", fd, buf, 8, 0), 6);
  assert.equal(h.text(buf, 6), "aXYdef");
  assert.equal(h.call("lseek", fd, 0, SEEK_CUR), 6);
  assert.equal(h.call("pread64", fd, buf, 8, -1), -E.EINVAL);
  assert.equal(h.call("pread64", 0, buf, 8, 0), -E.ESPIPE);
});

test("open reports ENOENT, EEXIST, EISDIR and ENOTDIR like Linux", () => {
  const h = setup();
  assert.equal(h.call("openat", AT_FDCWD, h.put("/nope"), O_RDONLY, 0), -E.ENOENT);
  assert.equal(h.call("openat", AT_FDCWD, h.put("/nope/x"), O_RDWR | O_CREAT, 0o644), -E.ENOENT);
  const fd = h.call("open", h.put("/file"), O_WRONLY | O_CREAT, 0o644);
  assert.ok(fd >= 3);
  assert.equal(h.call("open", h.put("/file"), O_WRONLY | O_CREAT | O_EXCL, 0o644), -E.EEXIST);
  assert.equal(h.call("open", h.put("/tmp"), O_WRONLY, 0), -E.EISDIR);
  assert.equal(h.call("open", h.put("/file"), O_RDONLY | O_DIRECTORY, 0), -E.ENOTDIR);
  assert.equal(h.call("open", h.put("/file/sub"), O_RDONLY, 0), -E.ENOTDIR);
  assert.equal(h.call("open", h.put("/file/"), O_RDONLY, 0), -E.ENOTDIR);
  assert.equal(h.call("open", h.put(""), O_RDONLY, 0), -E.ENOENT);
  assert.equal(h.call("openat", 99, h.put("rel"), O_RDONLY, 0), -E.EBADF);
  assert.equal(h.call("openat", fd, h.put("rel"), O_RDONLY, 0), -E.ENOTDIR);
});

test("bad fds and wrong access modes give EBADF", () => {
  const h = setup();
  const buf = h.alloc(8);
  assert.equal(h.call("read", 42, buf, 8), -E.EBADF);
  assert.equal(h.call("write", -1, buf, 8), -E.EBADF);
  assert.equal(h.call("close", 42), -E.EBADF);
  assert.equal(h.call("fstat", 42, buf), -E.EBADF);
  const ro = h.call("open", h.put("/x"), O_RDONLY | O_CREAT, 0o644);
  assert.equal(h.call("write", ro, buf, 1), -E.EBADF);
  const wo = h.call("open", h.put("/x"), O_WRONLY, 0);
  assert.equal(h.call("read", wo, buf, 1), -E.EBADF);
  assert.equal(h.call("read", h.call("open", h.put("/tmp"), O_RDONLY, 0), buf, 1), -E.EISDIR);
});

test("unmapped guest pointers give EFAULT, and a failed read leaves the offset where it was", () => {
  const h = setup();
  const fd = h.call("open", h.put("/data"), O_RDWR | O_CREAT, 0o644);
  h.call("write", fd, h.put(new TextEncoder().encode("payload")), 7);
  h.call("lseek", fd, 0, SEEK_SET);
  assert.equal(h.call("read", fd, UNMAPPED, 7), -E.EFAULT);
  assert.equal(h.call("lseek", fd, 0, SEEK_CUR), 0);
  assert.equal(h.call("write", fd, UNMAPPED, 7), -E.EFAULT);
  assert.equal(h.call("open", UNMAPPED, O_RDONLY, 0), -E.EFAULT);
  assert.equal(h.call("fstat", fd, UNMAPPED), -E.EFAULT);
  assert.equal(h.call("write", 1, h.alloc(8), 2 ** 40), -E.EFAULT);
});

test("O_APPEND writes at the end and O_TRUNC empties the file", () => {
  const h = setup();
  const a = h.call("open", h.put("/log"), O_WRONLY | O_CREAT, 0o644);
  h.call("write", a, h.put(new TextEncoder().encode("one")), 3);
  const b = h.call("open", h.put("/log"), O_WRONLY | O_APPEND, 0);
  h.call("lseek", b, 0, SEEK_SET);
  h.call("write", b, h.put(new TextEncoder().encode("two")), 3);
  const buf = h.alloc(16);
  const r = h.call("open", h.put("/log"), O_RDONLY, 0);
  assert.equal(h.call("read", r, buf, 16), 6);
  assert.equal(h.text(buf, 6), "onetwo");
  h.call("open", h.put("/log"), O_WRONLY | O_TRUNC, 0);
  const st = h.alloc(144);
  h.call("stat", h.put("/log"), st);
  assert.equal(h.u64(st + 48), 0);
});

test("dup'ed descriptors share one offset; a second open has its own", () => {
  const h = setup();
  const fd = h.call("open", h.put("/s"), O_RDWR | O_CREAT, 0o644);
  h.call("write", fd, h.put(new TextEncoder().encode("abcdef")), 6);
  const copy = h.call("dup", fd);
  assert.equal(copy, fd + 1);
  h.call("lseek", fd, 1, SEEK_SET);
  const buf = h.alloc(8);
  h.call("read", copy, buf, 2);
  assert.equal(h.text(buf, 2), "bc");
  assert.equal(h.call("lseek", fd, 0, SEEK_CUR), 3);
  const other = h.call("open", h.put("/s"), O_RDONLY, 0);
  h.call("read", other, buf, 2);
  assert.equal(h.text(buf, 2), "ab");
  assert.equal(h.call("dup2", fd, 10), 10);
  assert.equal(h.call("lseek", 10, 0, SEEK_CUR), 3);
  assert.equal(h.call("dup2", fd, fd), fd);
  assert.equal(h.call("dup3", fd, fd, 0), -E.EINVAL);
  assert.equal(h.call("dup3", fd, 11, O_CLOEXEC), 11);
  assert.equal(h.call("fcntl", 11, 1 /* F_GETFD */), 1);
  assert.equal(h.call("fcntl", 10, 1), 0);
  assert.equal(h.call("dup2", 99, 12), -E.EBADF);
  h.call("close", fd);
  assert.equal(h.call("read", 10, buf, 1), 1, "the description lives while another fd holds it");
});

test("fcntl duplicates at or above a minimum and reports status flags", () => {
  const h = setup();
  const fd = h.call("open", h.put("/c"), O_RDWR | O_CREAT | O_APPEND, 0o644);
  assert.equal(h.call("fcntl", fd, 0 /* F_DUPFD */, 20), 20);
  assert.equal(h.call("fcntl", fd, 1030 /* F_DUPFD_CLOEXEC */, 20), 21);
  assert.equal(h.call("fcntl", 21, 1), 1);
  assert.equal(h.call("fcntl", fd, 3 /* F_GETFL */), O_RDWR | O_APPEND | O_LARGEFILE);
  assert.equal(h.call("fcntl", fd, 4 /* F_SETFL */, 0), 0);
  assert.equal(h.call("fcntl", fd, 3), O_RDWR | O_LARGEFILE);
  assert.equal(h.call("fcntl", fd, 2 /* F_SETFD */, 1), 0);
  assert.equal(h.call("fcntl", fd, 1), 1);
  assert.equal(h.call("fcntl", fd, 999), -E.EINVAL);
  assert.equal(h.call("fcntl", 55, 1), -E.EBADF);
});

test("fstat fills the 144-byte struct stat with mode, size, nlink, inode and virtual times", () => {
  const h = setup();
  h.clock.ns = 5_000_000_123;
  const fd = h.call("open", h.put("/st"), O_RDWR | O_CREAT, 0o640);
  h.call("write", fd, h.put(new TextEncoder().encode("12345")), 5);
  const st = h.alloc(144);
  assert.equal(h.call("fstat", fd, st), 0);
  assert.equal(h.u32(st + 24), 0o100640);
  assert.equal(h.u64(st + 48), 5);
  assert.equal(h.u64(st + 16), 1);
  assert.ok(h.u64(st + 8) > 0);
  assert.equal(h.u64(st + 56), 4096);
  assert.equal(h.u64(st + 88), 5, "st_mtime seconds");
  assert.equal(h.u64(st + 96), 123, "st_mtime nanoseconds");
  const again = h.alloc(144);
  assert.equal(h.call("newfstatat", fd, h.put(""), again, 0x1000 /* AT_EMPTY_PATH */), 0);
  assert.deepEqual(h.bytes(again, 144), h.bytes(st, 144));
  assert.equal(h.call("newfstatat", AT_FDCWD, h.put("/st"), again, 0x8000), -E.EINVAL);
  assert.equal(h.call("newfstatat", AT_FDCWD, h.put("/tmp"), again, 0), 0);
  assert.equal(h.u32(again + 24) & 0o170000, 0o040000);
  const sx = h.alloc(256);
  assert.equal(h.call("statx", AT_FDCWD, h.put("/st"), 0, 0x7ff, sx), 0);
  assert.equal(new DataView(h.bytes(sx + 28, 2).buffer).getUint16(0, true), 0o100640);
  assert.equal(h.u64(sx + 40), 5);
});

test("symlinks: stat follows, lstat does not, readlink returns the target and /proc/self/exe the executable", () => {
  const h = setup();
  h.call("close", h.call("open", h.put("/real"), O_WRONLY | O_CREAT, 0o644));
  assert.equal(h.call("symlink", h.put("real"), h.put("/link")), 0);
  const st = h.alloc(144);
  h.call("stat", h.put("/link"), st);
  assert.equal(h.u32(st + 24) & 0o170000, 0o100000);
  h.call("lstat", h.put("/link"), st);
  assert.equal(h.u32(st + 24) & 0o170000, 0o120000);
  const buf = h.alloc(64);
  assert.equal(h.call("readlink", h.put("/link"), buf, 64), 4);
  assert.equal(h.text(buf, 4), "real");
  assert.equal(h.call("readlink", h.put("/real"), buf, 64), -E.EINVAL);
  assert.equal(h.call("readlink", h.put("/proc/self/exe"), buf, 64), 9);
  assert.equal(h.text(buf, 9), "/bin/prog");
  assert.equal(h.call("readlinkat", AT_FDCWD, h.put("/proc/self/exe"), buf, 4), 4);
});

test("getdents64 lists . and .. and the entries in creation order, in linux_dirent64 records", () => {
  const h = setup();
  assert.equal(h.call("mkdir", h.put("/d"), 0o755), 0);
  assert.equal(h.call("mkdir", h.put("/d"), 0o755), -E.EEXIST);
  for (const name of ["b", "a", "c"]) h.call("close", h.call("open", h.put(`/d/${name}`), O_WRONLY | O_CREAT, 0o644));
  h.call("mkdir", h.put("/d/sub"), 0o755);
  const dir = h.call("open", h.put("/d"), O_RDONLY | O_DIRECTORY, 0);
  const buf = h.alloc(512);
  const n = h.call("getdents64", dir, buf, 512);
  assert.ok(n > 0);
  const names: string[] = [];
  const types: number[] = [];
  for (let off = 0; off < n;) {
    const reclen = new DataView(h.bytes(buf + off + 16, 2).buffer).getUint16(0, true);
    const type = h.bytes(buf + off + 18, 1)[0];
    const raw = h.bytes(buf + off + 19, reclen - 19);
    names.push(new TextDecoder().decode(raw.subarray(0, raw.indexOf(0))));
    types.push(type);
    assert.equal(reclen % 8, 0);
    off += reclen;
  }
  assert.deepEqual(names, [".", "..", "b", "a", "c", "sub"]);
  assert.deepEqual(types, [4, 4, 8, 8, 8, 4]);
  assert.equal(h.call("getdents64", dir, buf, 512), 0, "end of directory");
  h.call("lseek", dir, 0, 0);
  assert.equal(h.call("getdents64", dir, buf, 8), -E.EINVAL, "buffer too small for one entry");
  assert.equal(h.call("getdents64", 1, buf, 512), -E.ENOTDIR);
});

test("unlink, rmdir and rename follow Linux's rules", () => {
  const h = setup();
  h.call("mkdir", h.put("/d"), 0o755);
  h.call("close", h.call("open", h.put("/d/f"), O_WRONLY | O_CREAT, 0o644));
  assert.equal(h.call("rmdir", h.put("/d")), -E.ENOTEMPTY);
  assert.equal(h.call("unlink", h.put("/d")), -E.EISDIR);
  assert.equal(h.call("rmdir", h.put("/d/f")), -E.ENOTDIR);
  assert.equal(h.call("rename", h.put("/d/f"), h.put("/g")), 0);
  assert.equal(h.call("access", h.put("/d/f"), 0), -E.ENOENT);
  assert.equal(h.call("access", h.put("/g"), 0), 0);
  assert.equal(h.call("rename", h.put("/d"), h.put("/d/inside")), -E.EINVAL);
  assert.equal(h.call("rename", h.put("/g"), h.put("/d")), -E.EISDIR);
  assert.equal(h.call("rmdir", h.put("/d")), 0);
  assert.equal(h.call("unlink", h.put("/g")), 0);
  assert.equal(h.call("unlink", h.put("/g")), -E.ENOENT);
  h.call("mkdir", h.put("/x"), 0o755);
  h.call("close", h.call("open", h.put("/x/1"), O_WRONLY | O_CREAT, 0o644));
  h.call("mkdir", h.put("/y"), 0o755);
  assert.equal(h.call("renameat2", AT_FDCWD, h.put("/x"), AT_FDCWD, h.put("/y"), 1 /* NOREPLACE */), -E.EEXIST);
  assert.equal(h.call("rename", h.put("/x"), h.put("/y")), 0, "a directory replaces an empty one");
  assert.equal(h.call("access", h.put("/y/1"), 0), 0);
  assert.equal(h.call("unlinkat", AT_FDCWD, h.put("/y/1"), 0), 0);
  assert.equal(h.call("unlinkat", AT_FDCWD, h.put("/y"), 0x200 /* AT_REMOVEDIR */), 0);
});

test("an unlinked file stays readable through an open descriptor", () => {
  const h = setup();
  const fd = h.call("open", h.put("/tmp/gone"), O_RDWR | O_CREAT, 0o644);
  h.call("write", fd, h.put(new TextEncoder().encode("still here")), 10);
  assert.equal(h.call("unlink", h.put("/tmp/gone")), 0);
  h.call("lseek", fd, 0, SEEK_SET);
  const buf = h.alloc(16);
  assert.equal(h.call("read", fd, buf, 16), 10);
  assert.equal(h.text(buf, 10), "still here");
  const st = h.alloc(144);
  h.call("fstat", fd, st);
  assert.equal(h.u64(st + 16), 0, "nlink 0");
});

test("getcwd and chdir: relative paths resolve in the working directory", () => {
  const h = setup();
  const buf = h.alloc(64);
  assert.equal(h.call("getcwd", buf, 64), 2);
  assert.equal(h.text(buf, 2), "/\0");
  h.call("mkdir", h.put("/work"), 0o755);
  assert.equal(h.call("chdir", h.put("work")), 0);
  h.call("close", h.call("open", h.put("notes"), O_WRONLY | O_CREAT, 0o644));
  assert.equal(h.call("access", h.put("/work/notes"), 0), 0);
  assert.equal(h.call("getcwd", buf, 64), 6);
  assert.equal(h.text(buf, 5), "/work");
  assert.equal(h.call("getcwd", buf, 3), -E.ERANGE);
  assert.equal(h.call("chdir", h.put("notes")), -E.ENOTDIR);
  assert.equal(h.call("chdir", h.put("../..")), 0);
  h.call("getcwd", buf, 64);
  assert.equal(h.text(buf, 1), "/");
  const dir = h.call("open", h.put("/work"), O_RDONLY | O_DIRECTORY, 0);
  assert.equal(h.call("openat", dir, h.put("notes"), O_RDONLY, 0) >= 0, true);
  assert.equal(h.call("fchdir", dir), 0);
  assert.equal(h.call("getcwd", buf, 64), 6);
});

test("writev gathers and readv scatters", () => {
  const h = setup();
  const fd = h.call("open", h.put("/v"), O_RDWR | O_CREAT, 0o644);
  const iov = h.alloc(32);
  const a = h.put(new TextEncoder().encode("hello "));
  const b = h.put(new TextEncoder().encode("world"));
  const view = new DataView(new ArrayBuffer(32));
  view.setUint32(0, a, true); view.setUint32(8, 6, true);
  view.setUint32(16, b, true); view.setUint32(24, 5, true);
  h.space.write(iov, new Uint8Array(view.buffer));
  assert.equal(h.call("writev", fd, iov, 2), 11);
  h.call("lseek", fd, 0, SEEK_SET);
  const x = h.alloc(4), y = h.alloc(16);
  view.setUint32(0, x, true); view.setUint32(8, 4, true);
  view.setUint32(16, y, true); view.setUint32(24, 16, true);
  h.space.write(iov, new Uint8Array(view.buffer));
  assert.equal(h.call("readv", fd, iov, 2), 11);
  assert.equal(h.text(x, 4), "hell");
  assert.equal(h.text(y, 7), "o world");
  assert.equal(h.call("writev", fd, iov, -1), -E.EINVAL);
  assert.equal(h.call("writev", 1, iov, 0), 0);
});

test("ioctl: the console is not a terminal unless the host says so", () => {
  const plain = setup();
  const ws = plain.alloc(8);
  assert.equal(plain.call("ioctl", 1, 0x5413 /* TIOCGWINSZ */, ws), -E.ENOTTY);
  assert.equal(plain.call("ioctl", 0, 0x5401 /* TCGETS */, plain.alloc(64)), -E.ENOTTY);
  assert.equal(plain.call("ioctl", 9, 0x5413, ws), -E.EBADF);
  const term = setup({ terminal: { stdin: true, stdout: true, stderr: false, rows: 30, cols: 100 } });
  const w = term.alloc(8);
  assert.equal(term.call("ioctl", 1, 0x5413, w), 0);
  assert.deepEqual([...term.bytes(w, 4)], [30, 0, 100, 0]);
  assert.equal(term.call("ioctl", 2, 0x5413, w), -E.ENOTTY);
  assert.equal(term.call("ioctl", 0, 0x5401, term.alloc(64)), 0);
  assert.equal(term.call("ioctl", 1, 0x5451 /* FIOCLEX */, 0), 0);
  assert.equal(term.call("fcntl", 1, 1), 1);
});

test("mkdir/unlink/rename relative to directory fds, and EROFS-free chmod/utimensat on memory files", () => {
  const h = setup();
  h.call("mkdir", h.put("/base"), 0o755);
  const dir = h.call("open", h.put("/base"), O_RDONLY | O_DIRECTORY, 0);
  assert.equal(h.call("mkdirat", dir, h.put("child"), 0o700), 0);
  const st = h.alloc(144);
  h.call("stat", h.put("/base/child"), st);
  assert.equal(h.u32(st + 24), 0o040700);
  assert.equal(h.call("renameat", dir, h.put("child"), AT_FDCWD, h.put("/moved")), 0);
  assert.equal(h.call("chmod", h.put("/moved"), 0o711), 0);
  h.call("stat", h.put("/moved"), st);
  assert.equal(h.u32(st + 24) & 0o7777, 0o711);
  const times = h.alloc(32);
  const t = new DataView(new ArrayBuffer(32));
  t.setUint32(0, 100, true); t.setUint32(8, 5, true);
  t.setUint32(16, 200, true); t.setUint32(24, 0x3ffffffe /* UTIME_OMIT */, true);
  h.space.write(times, new Uint8Array(t.buffer));
  const before = h.alloc(144);
  h.call("stat", h.put("/moved"), before);
  assert.equal(h.call("utimensat", AT_FDCWD, h.put("/moved"), times, 0), 0);
  h.call("stat", h.put("/moved"), st);
  assert.equal(h.u64(st + 72), 100);
  assert.equal(h.u64(st + 80), 5);
  assert.equal(h.u64(st + 88), h.u64(before + 88), "UTIME_OMIT keeps mtime");
  assert.equal(h.call("unlinkat", dir, h.put("missing"), 0), -E.ENOENT);
  assert.equal(h.call("umask", 0o077), 0o022);
  h.call("mkdir", h.put("/private"), 0o777);
  h.call("stat", h.put("/private"), st);
  assert.equal(h.u32(st + 24) & 0o777, 0o700);
});

test("/dev/null, /dev/zero and /dev/urandom behave as devices", () => {
  const h = setup();
  const buf = h.alloc(8);
  const nul = h.call("open", h.put("/dev/null"), O_RDWR, 0);
  assert.equal(h.call("write", nul, buf, 8), 8);
  assert.equal(h.call("read", nul, buf, 8), 0);
  const zero = h.call("open", h.put("/dev/zero"), O_RDONLY, 0);
  h.space.write(buf, new Uint8Array([1, 2, 3, 4]));
  assert.equal(h.call("read", zero, buf, 4), 4);
  assert.deepEqual([...h.bytes(buf, 4)], [0, 0, 0, 0]);
  const rnd = h.call("open", h.put("/dev/urandom"), O_RDONLY, 0);
  assert.equal(h.call("read", rnd, buf, 4), 4);
  assert.deepEqual([...h.bytes(buf, 4)], [11, 84, 157, 230], "seeded host PRNG");
});

test("a host mount is read-only and '..' or symlinks never reach outside it", () => {
  const root = nodeFs.mkdtempSync(path.join(os.tmpdir(), "hedron-mount-"));
  try {
    const shared = path.join(root, "shared");
    nodeFs.mkdirSync(path.join(shared, "sub"), { recursive: true });
    nodeFs.writeFileSync(path.join(shared, "inner.txt"), "inside\n");
    nodeFs.writeFileSync(path.join(shared, "sub", "deep.txt"), "deep\n");
    nodeFs.writeFileSync(path.join(root, "secret.txt"), "host secret\n");
    nodeFs.symlinkSync("../secret.txt", path.join(shared, "up-link"));
    nodeFs.symlinkSync(path.join(root, "secret.txt"), path.join(shared, "abs-link"));
    nodeFs.symlinkSync("inner.txt", path.join(shared, "ok-link"));
    const h = setup({ mounts: [{ host: shared, guest: "/mnt/host" }] });
    const buf = h.alloc(64);
    const fd = h.call("open", h.put("/mnt/host/inner.txt"), O_RDONLY, 0);
    assert.ok(fd >= 3);
    assert.equal(h.call("read", fd, buf, 64), 7);
    assert.equal(h.text(buf, 7), "inside\n");
    assert.equal(h.call("open", h.put("/mnt/host/sub/../inner.txt"), O_RDONLY, 0) >= 0, true);
    for (const escape of [
      "/mnt/host/../secret.txt", "/mnt/host/../../secret.txt", "/mnt/host/sub/../../secret.txt",
      "/mnt/host/../../../../../../secret.txt", "/mnt/host/up-link", "/mnt/host/abs-link",
    ]) {
      assert.equal(h.call("open", h.put(escape), O_RDONLY, 0), -E.ENOENT, escape);
    }
    const ok = h.call("open", h.put("/mnt/host/ok-link"), O_RDONLY, 0);
    assert.equal(h.call("read", ok, buf, 64), 7, "a link inside the mount resolves inside it");
    assert.equal(h.call("open", h.put("/mnt/host/inner.txt"), O_WRONLY, 0), -E.EROFS);
    assert.equal(h.call("open", h.put("/mnt/host/new.txt"), O_WRONLY | O_CREAT, 0o644), -E.EROFS);
    assert.equal(h.call("mkdir", h.put("/mnt/host/newdir"), 0o755), -E.EROFS);
    assert.equal(h.call("unlink", h.put("/mnt/host/inner.txt")), -E.EROFS);
    assert.equal(h.call("rename", h.put("/mnt/host/inner.txt"), h.put("/tmp/x")), -E.EXDEV);
    assert.equal(h.call("access", h.put("/mnt/host/inner.txt"), 2 /* W_OK */), -E.EROFS);
    assert.equal(h.call("chdir", h.put("/mnt/host/sub")), 0);
    assert.equal(h.call("getcwd", buf, 64), "/mnt/host/sub".length + 1);
    assert.equal(h.text(buf, 13), "/mnt/host/sub");
    assert.equal(h.call("chdir", h.put("../../..")), 0);
    h.call("getcwd", buf, 64);
    assert.equal(h.text(buf, 2), "/\0", "'..' from the mount root returns to the guest tree");
    const dir = h.call("open", h.put("/mnt/host"), O_RDONLY | O_DIRECTORY, 0);
    const dents = h.alloc(1024);
    const n = h.call("getdents64", dir, dents, 1024);
    const listing = new TextDecoder().decode(h.bytes(dents, n));
    for (const name of ["inner.txt", "sub", "up-link"]) assert.ok(listing.includes(name), name);
    assert.ok(!listing.includes("secret"));
    const st = h.alloc(144);
    assert.equal(h.call("stat", h.put("/mnt/host/inner.txt"), st), 0);
    assert.equal(h.u64(st + 48), 7);
  } finally {
    nodeFs.rmSync(root, { recursive: true, force: true });
  }
});

test("poll reports files ready and closed descriptors as POLLNVAL", () => {
  const h = setup();
  const fds = h.alloc(16);
  const v = new DataView(new ArrayBuffer(16));
  v.setInt32(0, 1, true); v.setInt16(4, 4 /* POLLOUT */, true);
  v.setInt32(8, 33, true); v.setInt16(12, 1, true);
  h.space.write(fds, new Uint8Array(v.buffer));
  assert.equal(h.call("poll", fds, 2, -1), 2);
  const out = new DataView(h.bytes(fds, 16).buffer);
  assert.equal(out.getInt16(6, true), 4);
  assert.equal(out.getInt16(14, true), 0x20);
});

test("sendfile copies between descriptors, from the file offset or an explicit one", () => {
  const h = setup();
  const src = h.call("open", h.put("/src"), O_RDWR | O_CREAT, 0o644);
  h.call("write", src, h.put(new TextEncoder().encode("copy me")), 7);
  h.call("lseek", src, 0, SEEK_SET);
  assert.equal(h.call("sendfile", 1, src, 0, 100), 7);
  const off = h.alloc(8);
  h.space.writeU64(off, 5);
  assert.equal(h.call("sendfile", 1, src, off, 100), 2);
  assert.equal(h.u64(off), 7);
  assert.equal(new TextDecoder().decode(Uint8Array.from(h.stdout)), "copy meme");
});

test("select returns the descriptors asked about as ready, EBADF for a closed one", () => {
  const h = setup();
  const readfds = h.alloc(8), writefds = h.alloc(8), exceptfds = h.alloc(8);
  h.space.write(readfds, new Uint8Array([0b001]));
  h.space.write(writefds, new Uint8Array([0b110]));
  h.space.write(exceptfds, new Uint8Array([0b010]));
  assert.equal(h.call("select", 3, readfds, writefds, exceptfds, 0), 3);
  assert.equal(h.bytes(readfds, 1)[0], 0b001);
  assert.equal(h.bytes(exceptfds, 1)[0], 0);
  h.space.write(readfds, new Uint8Array([0b10000]));
  assert.equal(h.call("select", 5, readfds, 0, 0, 0), -E.EBADF);
  assert.equal(h.call("select", 0, 0, 0, 0, h.alloc(16)), 0, "a zero timeout passes at once");
  assert.equal(h.call("select", 0, 0, 0, 0, 0), BLOCKED, "no timeout and nothing to watch: waits for a signal");
});

test("flock is granted on open descriptors; fallocate grows a file", () => {
  const h = setup();
  const fd = h.call("open", h.put("/lock"), O_RDWR | O_CREAT, 0o644);
  assert.equal(h.call("flock", fd, 2 /* LOCK_EX */), 0);
  assert.equal(h.call("flock", 50, 2), -E.EBADF);
  assert.equal(h.call("flock", fd, 3), -E.EINVAL);
  assert.equal(h.call("fallocate", fd, 0, 100, 400), 0);
  const st = h.alloc(144);
  h.call("fstat", fd, st);
  assert.equal(h.u64(st + 48), 500);
  assert.equal(h.call("fallocate", fd, 1, 0, 10), -E.EOPNOTSUPP);
});

test("a pipe carries bytes from its write end to its read end, then reports EOF once the writer closes", () => {
  const h = setup();
  const fds = h.alloc(8);
  assert.equal(h.call("pipe2", fds, O_CLOEXEC), 0);
  const [r, w] = [h.u32(fds), h.u32(fds + 4)];
  assert.deepEqual([r, w], [3, 4]);
  assert.equal(h.call("fcntl", r, 1), 1, "O_CLOEXEC applies to both ends");
  const buf = h.alloc(16);
  assert.equal(h.call("read", r, buf, 16), BLOCKED, "empty with a writer: the read waits for the pipe");
  assert.deepEqual(h.thread.blocked?.keys, [h.fs.pipeKey(h.proc.pid, r)]);
  h.thread.blocked = null;
  assert.equal(h.call("write", w, h.put(new TextEncoder().encode("through")), 7), 7);
  assert.equal(h.call("ioctl", r, 0x541b /* FIONREAD */, buf), 0);
  assert.equal(h.u32(buf), 7);
  assert.equal(h.call("read", r, buf, 4), 4);
  assert.equal(h.text(buf, 4), "thro");
  assert.equal(h.call("lseek", r, 0, SEEK_SET), -E.ESPIPE);
  assert.equal(h.call("read", w, buf, 4), -E.EBADF);
  const st = h.alloc(144);
  h.call("fstat", r, st);
  assert.equal(h.u32(st + 24) & 0o170000, 0o010000, "S_IFIFO");
  h.call("close", w);
  assert.equal(h.call("read", r, buf, 16), 3);
  assert.equal(h.call("read", r, buf, 16), 0, "EOF");
  assert.equal(h.call("pipe2", fds, 0o1), -E.EINVAL);
  assert.equal(h.call("pipe", UNMAPPED), -E.EFAULT);
  assert.equal(h.call("fcntl", 4, 1), -E.EBADF, "the ends of a failed pipe() are closed again");
});

test("writing to a pipe with no reader gives EPIPE and SIGPIPE, which kills by default", () => {
  const ignored = setup();
  const fds = ignored.alloc(8);
  ignored.call("pipe", fds);
  ignored.call("close", ignored.u32(fds));
  const act = ignored.alloc(32);
  ignored.space.writeU64(act, 1 /* SIG_IGN */);
  ignored.call("rt_sigaction", 13, act, 0, 8);
  assert.equal(ignored.call("write", ignored.u32(fds + 4), ignored.put("x"), 1), -E.EPIPE);
  assert.equal(ignored.frame.exited, false);
  const h = setup();
  const p = h.alloc(8);
  h.call("pipe", p);
  h.call("close", h.u32(p));
  h.call("write", h.u32(p + 4), h.put("x"), 1);
  assert.equal(h.frame.exited, true);
  assert.equal(h.frame.exitStatus, 128 + 13);
});
