// The FAT service against the outside judges: images from mkfs.fat + mcopy read back exactly, and every change it
// commits leaves an image fsck.fat -n accepts and mtools reads as written — FAT12, FAT16 and FAT32 alike.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { describe, it } from "node:test";
import { commitPath, imageDiskIo, type DiskIo } from "../../../../engine/roottask/fat/disk.ts";
import { FatVolume } from "../../../../engine/roottask/fat/volume.ts";
import { AT_FDCWD, O_CREAT, O_RDONLY, O_RDWR, O_WRONLY } from "../../../../engine/roottask/fs/abi.ts";
import { E } from "../../../../engine/roottask/fs/errno.ts";
import { FileServer } from "../../../../engine/roottask/fs/file-server.ts";
import { ROOT } from "../../../helpers/run.ts";
import { dosToolsMissing, fsck, makeImage, mtoolsList, mtoolsRead, patternBytes, tempDir, writeTree } from "./images.ts";

const NOW = Date.UTC(2024, 5, 7, 8, 9, 10) * 1e6;
const text = (bytes: Uint8Array | number) => (typeof bytes === "number" ? `errno ${-bytes}` : Buffer.from(bytes).toString());
const sha = (file: string) => crypto.createHash("sha256").update(fs.readFileSync(file)).digest("hex");

function volume(image: string, writable: boolean, io?: DiskIo): FatVolume {
  return new FatVolume(io ?? imageDiskIo(image, writable), writable, () => NOW);
}

describe("FAT volume", { skip: dosToolsMissing }, () => {
  const dir = tempDir("fat-unit");
  const tree = path.join(dir, "tree");
  writeTree(tree);

  for (const type of [12, 16, 32] as const) {
    const kib = type === 32 ? 34 * 1024 : type === 16 ? 8 * 1024 : 2 * 1024;
    const image = path.join(dir, `fat${type}.img`);

    it(`FAT${type}: reads names (long, short, mixed case) and contents that mcopy wrote`, () => {
      makeImage(image, type, kib, tree);
      const v = volume(image, false);
      assert.equal(v.bpb.type, type);
      assert.deepEqual([...(v.readdir("") as string[])].sort(), fs.readdirSync(tree).sort());
      assert.deepEqual([...(v.readdir("/sub") as string[])].sort(), ["UPPER.TXT", "deeper"]);
      for (const name of ["readme.txt", "A Long File Name With Spaces.text", "MixedCase.Data", "big.bin", "sub/deeper/nested file.c", "empty"]) {
        const want = fs.readFileSync(path.join(tree, name));
        assert.deepEqual(Buffer.from(v.read("/" + name, 0, want.length + 10) as Uint8Array), want, name);
      }
      assert.equal(text(v.read("/BIG.BIN", 300 * 1024 - 3, 100)).length, 3, "lookup ignores case; reads stop at the size");
      assert.equal(text(v.read("/readme.txt", 6, 4)), "from");
      const st = v.lstat("/big.bin");
      assert.ok(typeof st !== "number");
      assert.equal(st.size, 300 * 1024);
      assert.equal(st.mtimeNs, Date.UTC(2020, 2, 4, 5, 6, 8) * 1e6, "mtime as mcopy -m stored it");
      const links = (p: string) => (v.lstat(p) as { nlink?: number }).nlink;
      assert.deepEqual([links(""), links("/sub"), links("/sub/deeper"), links("/readme.txt")], [3, 3, 2, 1], "2 + subdirectories, as Linux's vfat");
      assert.equal(v.lstat("/nothing"), -E.ENOENT);
      assert.equal(v.readdir("/readme.txt"), -E.ENOTDIR);
    });

    it(`FAT${type}: create, write, truncate, rename, unlink, mkdir, rmdir commit an image fsck.fat and mtools accept`, () => {
      makeImage(image, type, kib, tree);
      const v = volume(image, true);
      const w = v.writer!;
      assert.equal(w.mkdir("/New Folder"), 0);
      assert.equal(w.create("/New Folder/a rather long file name.bin"), 0);
      const data = patternBytes(70_000, type);
      assert.equal(w.write("/New Folder/a rather long file name.bin", 0, data), data.length);
      assert.equal(w.write("/New Folder/a rather long file name.bin", 80_000, Uint8Array.of(1, 2, 3)), 3, "a write past the end leaves a gap of zeros");
      assert.equal(w.create("/short.txt"), 0);
      assert.equal(w.write("/short.txt", 0, Buffer.from("0123456789")), 10);
      assert.equal(w.truncate("/short.txt", 4), 0);
      assert.equal(w.truncate("/big.bin", 5000), 0);
      assert.equal(w.rename("/MixedCase.Data", "/sub/deeper/Moved Here.txt"), 0);
      assert.equal(w.rename("/sub/UPPER.TXT", "/readme.txt"), 0, "rename replaces a file");
      assert.equal(w.unlink("/A Long File Name With Spaces.text"), 0);
      assert.equal(w.mkdir("/gone"), 0);
      assert.equal(w.rmdir("/gone"), 0);
      assert.equal(w.rmdir("/sub"), -E.ENOTEMPTY);
      assert.equal(w.rename("/sub", "/sub/deeper/x"), -E.EINVAL, "a directory cannot move below itself");
      assert.equal(w.rename("/sub/deeper", "/New Folder/deeper moved"), 0, "a directory moves with its '..'");
      assert.equal(w.create("/bad:name"), -E.EINVAL);
      assert.equal(w.create("/README.TXT"), -E.EEXIST, "names compare without case");
      for (let i = 0; i < 40; i++) assert.equal(w.create(`/New Folder/entry number ${i} with a long name`), 0, "the directory grows by clusters");
      assert.equal(w.setTimes("/short.txt", -1, Date.UTC(2001, 1, 2, 3, 4, 6) * 1e6), 0);
      const before = sha(image);
      assert.equal(sha(image), before, "nothing reaches the image before a commit");
      w.sync();
      assert.notEqual(sha(image), before);
      const check = fsck(image);
      assert.equal(check.status, 0, check.output);
      const back = mtoolsRead(image, "/New Folder/a rather long file name.bin");
      assert.equal(back.length, 80_003);
      assert.deepEqual(back.subarray(0, 70_000), Buffer.from(data));
      assert.ok(back.subarray(70_000, 80_000).every((b) => b === 0));
      assert.equal(mtoolsRead(image, "/short.txt").toString(), "0123");
      assert.equal(mtoolsRead(image, "/readme.txt").toString(), "an 8.3 upper-case name\n");
      assert.deepEqual(mtoolsRead(image, "/big.bin"), Buffer.from(patternBytes(300 * 1024, 7).subarray(0, 5000)));
      assert.equal(mtoolsRead(image, "/New Folder/deeper moved/Moved Here.txt").toString(), "mixed case needs a long name too\n");
      assert.equal(mtoolsList(image, "/").join("|"), "New Folder|big.bin|empty|readme.txt|short.txt|sub");
      const reread = volume(image, false);
      assert.equal((reread.lstat("/short.txt") as { mtimeNs: number }).mtimeNs, Date.UTC(2001, 1, 2, 3, 4, 6) * 1e6);
      assert.equal((reread.lstat("/New Folder") as { mtimeNs: number }).mtimeNs, NOW - (NOW % 2e9), "new entries carry the guest's time");
      assert.equal((reread.readdir("/New Folder") as string[]).length, 42);
      assert.equal((reread.lstat("/New Folder") as { nlink?: number }).nlink, 3, "a moved-in directory counts, a removed one no longer");
      assert.equal((reread.lstat("/sub") as { nlink?: number }).nlink, 2);
    });
  }

  it("an image cut short under the running lab answers EIO, not an engine error", () => {
    const image = path.join(dir, "cut.img");
    makeImage(image, 16, 8 * 1024, tree);
    const v = volume(image, false);
    fs.truncateSync(image, 64 * 1024);
    assert.equal(v.read("/big.bin", 0, 300 * 1024), -E.EIO);
  });

  it("a full volume answers ENOSPC and stays consistent", () => {
    const image = path.join(dir, "full.img");
    makeImage(image, 12, 200);
    const v = volume(image, true);
    const w = v.writer!;
    assert.equal(w.create("/filler"), 0);
    let at = 0;
    for (;;) {
      const n = w.write("/filler", at, new Uint8Array(8192));
      if (n < 0) {
        assert.equal(n, -E.ENOSPC);
        break;
      }
      at += n;
    }
    w.sync();
    const check = fsck(image);
    assert.equal(check.status, 0, check.output);
    assert.equal(mtoolsRead(image, "/filler").length, at);
  });

  it("read-only: the file server refuses every change with EROFS and the image keeps its sha256", () => {
    const image = path.join(dir, "ro.img");
    makeImage(image, 16, 8 * 1024, tree);
    const before = sha(image);
    const fsrv = new FileServer({ disk: volume(image, false) });
    fsrv.createProcess(1, "/");
    assert.equal(fsrv.open(1, AT_FDCWD, "/disk/readme.txt", O_WRONLY, 0), -E.EROFS);
    assert.equal(fsrv.open(1, AT_FDCWD, "/disk/new", O_CREAT | O_WRONLY, 0o644), -E.EROFS);
    assert.equal(fsrv.mkdir(1, AT_FDCWD, "/disk/d", 0o755), -E.EROFS);
    assert.equal(fsrv.unlink(1, AT_FDCWD, "/disk/readme.txt", false), -E.EROFS);
    assert.equal(fsrv.rename(1, AT_FDCWD, "/disk/readme.txt", AT_FDCWD, "/disk/x", 0), -E.EROFS);
    assert.equal(fsrv.truncate(1, "/disk/readme.txt", 0), -E.EROFS);
    const fd = fsrv.open(1, AT_FDCWD, "/disk/readme.txt", O_RDONLY, 0);
    let got = "";
    assert.ok(fsrv.read(1, fd, 100, (b) => (got = Buffer.from(b).toString())) > 0);
    assert.equal(got, "hello from a FAT volume\n");
    fsrv.close(1, fd);
    fsrv.exitProcess(1);
    assert.equal(sha(image), before);
  });

  it("a file unlinked while open keeps its data for the open description; the last close commits", () => {
    const image = path.join(dir, "open.img");
    makeImage(image, 16, 8 * 1024, tree);
    const fsrv = new FileServer({ disk: volume(image, true) });
    fsrv.createProcess(1, "/");
    const fd = fsrv.open(1, AT_FDCWD, "/disk/readme.txt", O_RDWR, 0);
    assert.equal(fsrv.unlink(1, AT_FDCWD, "/disk/readme.txt", false), 0);
    assert.equal(fsrv.stat(1, AT_FDCWD, "/disk/readme.txt", true), -E.ENOENT);
    let got = "";
    fsrv.read(1, fd, 100, (b) => (got = Buffer.from(b).toString()));
    assert.equal(got, "hello from a FAT volume\n");
    const created = fsrv.open(1, AT_FDCWD, "/disk/sub/made.txt", O_CREAT | O_WRONLY, 0o644);
    assert.equal(fsrv.write(1, created, Buffer.from("made in the lab\n")), 16);
    fsrv.close(1, created);
    assert.equal(mtoolsRead(image, "/sub/made.txt").toString(), "made in the lab\n", "closing a written file commits it");
    fsrv.close(1, fd);
    fsrv.exitProcess(1);
    const check = fsck(image);
    assert.equal(check.status, 0, check.output);
    assert.ok(!mtoolsList(image, "/").includes("readme.txt"));
  });

  it("a torn commit (only some of its sectors written in place) is what fsck.fat rejects", () => {
    const image = path.join(dir, "torn.img");
    makeImage(image, 16, 8 * 1024, tree);
    const original = fs.readFileSync(image);
    const disk = imageDiskIo(image, true);
    let writes: { lba: number; bytes: Uint8Array }[] = [];
    const v = volume(image, true, { read: disk.read, commit: (w) => ((writes = w.map((x) => ({ lba: x.lba, bytes: x.bytes.slice() }))), disk.commit(w)) });
    const w = v.writer!;
    assert.equal(w.mkdir("/a directory"), 0);
    assert.equal(w.create("/a directory/file"), 0);
    assert.equal(w.write("/a directory/file", 0, patternBytes(200_000, 3)), 200_000);
    assert.equal(w.unlink("/big.bin"), 0);
    w.sync();
    assert.equal(fsck(image).status, 0);
    // The metadata sectors come first (FAT copies, then directories): cuts among them damage the volume.
    const rejected = [1, 3, 5].filter((count) => {
      const torn = Buffer.from(original);
      for (const x of writes.slice(0, count)) torn.set(x.bytes, x.lba * 512);
      const file = path.join(dir, "torn-copy.img");
      fs.writeFileSync(file, torn);
      return fsck(file).status !== 0;
    });
    assert.deepEqual(rejected, [1, 3, 5], "an in-place commit cut short would leave a damaged volume, so commits are whole-image renames");
  });

  it("SIGKILL at random points of a busy writer never leaves an image fsck.fat rejects", async (t) => {
    const image = path.join(dir, "kill.img");
    makeImage(image, 32, 34 * 1024, tree);
    const script = path.join(ROOT, "test/engine/roottask/fat/busy-writer.ts");
    let midCommit = 0;
    for (let round = 0; round < 4; round++) {
      const child = spawn(process.execPath, ["--import", "tsx", script, image, String(round)], { cwd: ROOT, stdio: ["ignore", "pipe", "inherit"] });
      await new Promise<void>((resolve) => child.stdout.once("data", () => resolve()));
      await new Promise((r) => setTimeout(r, 30 + ((round * 97) % 250)));
      child.kill("SIGKILL");
      await new Promise((r) => child.once("exit", r));
      const check = fsck(image);
      assert.equal(check.status, 0, `round ${round}: ${check.output}`);
      if (fs.existsSync(commitPath(image))) midCommit++;
      volume(image, true);
      assert.ok(!fs.existsSync(commitPath(image)), "a half-built side copy is removed when the disk is next opened");
    }
    t.diagnostic(`${midCommit} of 4 kills landed inside a commit`);
  });
});
