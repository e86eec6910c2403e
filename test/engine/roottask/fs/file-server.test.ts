import assert from "node:assert/strict";
import * as nodeFs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { test } from "node:test";
import { AT_FDCWD, O_CLOEXEC, O_CREAT, O_RDONLY, O_RDWR, O_WRONLY, RENAME_EXCHANGE, S_IFMT, S_IFREG } from "../../../../engine/roottask/fs/abi.ts";
import { E } from "../../../../engine/roottask/fs/errno.ts";
import { FileServer, FileServerIo } from "../../../../engine/roottask/fs/file-server.ts";

const enc = (s: string) => new TextEncoder().encode(s);
const dec = (b: Uint8Array) => new TextDecoder().decode(b);

function server(options?: ConstructorParameters<typeof FileServer>[0]) {
  const out: string[] = [];
  const io: FileServerIo = {
    nowNs: () => 42,
    writeConsole: (stream, bytes) => out.push(`${stream}:${dec(bytes)}`) > 0,
    readStdin: () => new Uint8Array(0),
    random: (bytes) => bytes.fill(1),
  };
  const fs = new FileServer(options);
  fs.attach(io);
  fs.createProcess(1, "/");
  return { fs, out };
}

function readAll(fs: FileServer, pid: number, fd: number): string {
  let text = "";
  for (;;) {
    let chunk: Uint8Array = new Uint8Array(0);
    const n = fs.read(pid, fd, 4096, (b) => { chunk = b; });
    assert.ok(n >= 0);
    if (n === 0) return text;
    text += dec(chunk);
  }
}

test("boot-archive files are readable at their paths, parents created", () => {
  const fs = new FileServer();
  fs.addFile("/bin/app", enc("ELF..."), 0o755);
  fs.createProcess(3, "/home/user");
  const fd = fs.open(3, AT_FDCWD, "/bin/app", O_RDONLY, 0);
  assert.equal(fd, 3);
  assert.equal(readAll(fs, 3, fd), "ELF...");
  const st = fs.stat(3, AT_FDCWD, "/bin/app", true);
  assert.ok(typeof st !== "number");
  assert.equal(st.mode, S_IFREG | 0o755);
  assert.equal(st.mtimeNs, 0, "boot files carry boot time");
  assert.equal(fs.getcwd(3), "/home/user", "a missing working directory is created");
});

test("stdio descriptors are wired to the host console; the console needs an attached host", () => {
  const { fs, out } = server();
  assert.equal(fs.write(1, 1, enc("to out")), 6);
  assert.equal(fs.write(1, 2, enc("to err")), 6);
  assert.deepEqual(out, ["stdout:to out", "stderr:to err"]);
  const bare = new FileServer();
  bare.createProcess(1, "/");
  assert.throws(() => bare.write(1, 1, enc("x")), /no host attached/);
});

test("directory link counts follow subdirectories; hard links share an inode", () => {
  const { fs } = server();
  assert.equal(fs.mkdir(1, AT_FDCWD, "/a", 0o755), 0);
  assert.equal(fs.mkdir(1, AT_FDCWD, "/a/b", 0o755), 0);
  assert.equal(fs.mkdir(1, AT_FDCWD, "/a/c", 0o755), 0);
  const a = fs.stat(1, AT_FDCWD, "/a", true);
  assert.ok(typeof a !== "number");
  assert.equal(a.nlink, 4);
  const fd = fs.open(1, AT_FDCWD, "/a/f", O_WRONLY | O_CREAT, 0o644);
  fs.write(1, fd, enc("shared"));
  assert.equal(fs.link(1, AT_FDCWD, "/a/f", AT_FDCWD, "/a/g", false), 0);
  const f = fs.stat(1, AT_FDCWD, "/a/f", true), g = fs.stat(1, AT_FDCWD, "/a/g", true);
  assert.ok(typeof f !== "number" && typeof g !== "number");
  assert.equal(f.ino, g.ino);
  assert.equal(g.nlink, 2);
  assert.equal(fs.link(1, AT_FDCWD, "/a/b", AT_FDCWD, "/a/h", false), -E.EPERM);
  assert.equal(fs.unlink(1, AT_FDCWD, "/a/b", true), 0);
  const after = fs.stat(1, AT_FDCWD, "/a", true);
  assert.ok(typeof after !== "number");
  assert.equal(after.nlink, 3);
});

test("symlink loops end in ELOOP; dangling links in ENOENT; '..' at the root stays at the root", () => {
  const { fs } = server();
  fs.symlink(1, "/loop2", AT_FDCWD, "/loop1");
  fs.symlink(1, "/loop1", AT_FDCWD, "/loop2");
  assert.equal(fs.open(1, AT_FDCWD, "/loop1", O_RDONLY, 0), -E.ELOOP);
  fs.symlink(1, "/missing", AT_FDCWD, "/dangling");
  assert.equal(fs.open(1, AT_FDCWD, "/dangling", O_RDONLY, 0), -E.ENOENT);
  assert.equal(fs.readlink(1, AT_FDCWD, "/dangling"), "/missing");
  assert.equal(fs.chdir(1, "/../../.."), 0);
  assert.equal(fs.getcwd(1), "/");
  fs.mkdir(1, AT_FDCWD, "/d", 0o755);
  fs.symlink(1, "d", AT_FDCWD, "/dl");
  assert.equal(fs.chdir(1, "/dl/"), 0);
  assert.equal(fs.getcwd(1), "/d");
});

test("rename with RENAME_EXCHANGE swaps two names", () => {
  const { fs } = server();
  for (const [name, text] of [["/x", "X"], ["/y", "Y"]]) {
    const fd = fs.open(1, AT_FDCWD, name, O_WRONLY | O_CREAT, 0o644);
    fs.write(1, fd, enc(text));
  }
  assert.equal(fs.rename(1, AT_FDCWD, "/x", AT_FDCWD, "/y", RENAME_EXCHANGE), 0);
  assert.equal(readAll(fs, 1, fs.open(1, AT_FDCWD, "/x", O_RDONLY, 0)), "Y");
  assert.equal(fs.rename(1, AT_FDCWD, "/x", AT_FDCWD, "/nope", RENAME_EXCHANGE), -E.ENOENT);
  assert.equal(fs.rename(1, AT_FDCWD, "/x", AT_FDCWD, "/y", 3), -E.EINVAL);
});

test("fork shares open file descriptions; exec closes close-on-exec fds; exit frees unlinked files", () => {
  const { fs } = server();
  const fd = fs.open(1, AT_FDCWD, "/tmp/t", O_RDWR | O_CREAT, 0o644);
  const cloexec = fs.open(1, AT_FDCWD, "/tmp/t", O_RDONLY | O_CLOEXEC, 0);
  fs.write(1, fd, enc("abc"));
  fs.forkProcess(1, 2);
  assert.equal(fs.lseek(2, fd, 0, 1), 3, "the child sees the parent's offset");
  fs.lseek(2, fd, 1, 0);
  assert.equal(fs.lseek(1, fd, 0, 1), 1, "and moves it for both");
  fs.execProcess(2);
  assert.equal(fs.file(2, cloexec), null);
  assert.ok(fs.file(2, fd));
  const st = fs.fstat(1, fd);
  assert.ok(typeof st !== "number");
  fs.unlink(1, AT_FDCWD, "/tmp/t", false);
  fs.exitProcess(2);
  assert.ok(fs.tree.inodes.has(st.ino), "still open in process 1");
  fs.exitProcess(1);
  assert.ok(!fs.tree.inodes.has(st.ino), "freed with the last description");
});

test("fds are allocated lowest-first and limited to 1024", () => {
  const { fs } = server();
  const first = fs.open(1, AT_FDCWD, "/dev/null", O_RDONLY, 0);
  const second = fs.open(1, AT_FDCWD, "/dev/null", O_RDONLY, 0);
  assert.deepEqual([first, second], [3, 4]);
  fs.close(1, first);
  assert.equal(fs.open(1, AT_FDCWD, "/dev/null", O_RDONLY, 0), 3);
  for (let i = 5; i < 1024; i++) assert.equal(fs.dup(1, 0), i);
  assert.equal(fs.dup(1, 0), -E.EMFILE);
  assert.equal(fs.open(1, AT_FDCWD, "/dev/null", O_RDONLY, 0), -E.EMFILE);
});

test("pipe and anonymous fds past the limit are EMFILE and leave no inode behind", () => {
  const { fs } = server();
  for (let i = 3; i < 1023; i++) assert.equal(fs.dup(1, 0), i);
  const inodes = fs.tree.inodes.size;
  assert.equal(fs.pipe(1, 0), -E.EMFILE, "one fd free: the write end does not fit");
  assert.equal(fs.tree.inodes.size, inodes);
  assert.equal(fs.dup(1, 0), 1023);
  assert.equal(fs.pipe(1, 0), -E.EMFILE, "no fd free: the read end does not fit");
  assert.equal(fs.openAnonymous(1, "eventfd", 0), -E.EMFILE);
  assert.equal(fs.tree.inodes.size, inodes);
});

test("file-server state is plain data: it survives structuredClone", () => {
  const { fs } = server();
  fs.open(1, AT_FDCWD, "/state", O_RDWR | O_CREAT, 0o644);
  const copy = structuredClone({ inodes: fs.tree.inodes, files: fs.files, processes: fs.processes, mounts: fs.tree.mounts });
  assert.equal(copy.inodes.size, fs.tree.inodes.size);
  assert.deepEqual(copy.processes.get(1), fs.processes.get(1));
});

test("a host mount reads through to the host folder and refuses a bad configuration", () => {
  const root = nodeFs.mkdtempSync(path.join(os.tmpdir(), "hedron-fs-"));
  try {
    nodeFs.writeFileSync(path.join(root, "data.txt"), "0123456789");
    const { fs } = server({ mounts: [{ host: root, guest: "/data" }] });
    const fd = fs.open(1, AT_FDCWD, "/data/data.txt", O_RDONLY, 0);
    assert.equal(fs.lseek(1, fd, 4, 0), 4);
    assert.equal(readAll(fs, 1, fd), "456789");
    let part: Uint8Array = new Uint8Array(0);
    assert.equal(fs.pread(1, fd, 3, 2, (b) => { part = b; }), 3);
    assert.equal(dec(part), "234");
    const st = fs.fstat(1, fd);
    assert.ok(typeof st !== "number");
    assert.equal(st.mode & S_IFMT, S_IFREG);
    assert.equal(st.size, 10);
    assert.throws(() => new FileServer({ mounts: [{ host: path.join(root, "data.txt"), guest: "/x" }] }), /not a directory/);
  } finally {
    nodeFs.rmSync(root, { recursive: true, force: true });
  }
});

test("a pipe holds at most 64 KiB: a larger write is partial, a full pipe answers EAGAIN", () => {
  const { fs } = server();
  const ends = fs.pipe(1, 0);
  assert.ok(typeof ends !== "number");
  const [r, w] = ends;
  assert.equal(fs.write(1, w, new Uint8Array(70000)), 65536);
  assert.equal(fs.write(1, w, new Uint8Array(1)), -E.EAGAIN);
  assert.equal(fs.pipeBuffered(1, r), 65536);
  assert.equal(fs.read(1, r, 1000, () => {}), 1000);
  assert.equal(fs.write(1, w, new Uint8Array(5000)), 1000);
  const ino = fs.fstat(1, r);
  assert.ok(typeof ino !== "number");
  fs.close(1, r);
  fs.close(1, w);
  assert.ok(!fs.tree.inodes.has(ino.ino), "a closed pipe is freed");
});
