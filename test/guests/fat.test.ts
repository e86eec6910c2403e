// busybox (Debian's busybox-static) on a FAT disk in the lab: FAT16 and FAT32 images made by mkfs.fat and filled by
// mcopy read exactly as native busybox reads the same tree; with --disk-writable its changes pass fsck.fat and mtools.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { describe, it } from "node:test";
import { Machine } from "../../engine/machine.ts";
import { machineConfig, parseRunOptions } from "../../engine/cli/run.ts";
import { canRunNatively, runLab } from "../helpers/run.ts";
import { dosToolsMissing, fsck, makeImage, mtoolsList, mtoolsRead, tempDir, writeTree } from "../engine/roottask/fat/images.ts";

const BUSYBOX = "/bin/busybox";
const skip = !fs.existsSync(BUSYBOX) ? "busybox-static is not installed" : !canRunNatively ? "needs an x86-64 Linux host" : dosToolsMissing;
const ENV = { LC_ALL: "C", PATH: "/bin", TZ: "UTC" };

interface Outcome { stdout: string; stderr: string; status: number | null }

/** busybox natively, in a folder whose `disk/` is the tree the image was filled from. */
function native(cwd: string, args: string[]): Outcome {
  const r = spawnSync(BUSYBOX, args, { cwd, env: ENV, encoding: "latin1", maxBuffer: 64 << 20 });
  return { stdout: r.stdout, stderr: r.stderr, status: r.status };
}

/** busybox in the lab with the image at /disk, through the CLI's own option parser (in process: it saves a Node start). */
function lab(diskFlags: string[], args: string[]): Outcome {
  const env = Object.entries(ENV).flatMap(([k, v]) => ["--env", `${k}=${v}`]);
  const machine = new Machine(machineConfig(parseRunOptions(["--clear-env", ...env, ...diskFlags, BUSYBOX, ...args])));
  let stdout = "", stderr = "";
  machine.onConsole((stream, bytes) => {
    if (stream === "stdout") stdout += Buffer.from(bytes).toString("latin1");
    if (stream === "stderr") stderr += Buffer.from(bytes).toString("latin1");
  });
  while (machine.run(50_000_000) === "budget");
  assert.equal(machine.stopReason ?? null, null, `the run stopped: ${machine.stopReason}`);
  return { stdout, stderr, status: machine.exitStatus };
}

const sha = (file: string) => crypto.createHash("sha256").update(fs.readFileSync(file)).digest("hex");

describe("busybox on a FAT disk", { skip }, () => {
  const dir = tempDir("fat-guest");
  const tree = path.join(dir, "disk");
  writeTree(tree);
  for (const f of ["readme.txt", "A Long File Name With Spaces.text", "MixedCase.Data", "big.bin"]) fs.chmodSync(path.join(tree, f), 0o755);
  const same = (image: string, args: string[]) => {
    const want = native(dir, args);
    // The lab's working directory is /, so "disk/…" names the mounted image there and the tree here.
    const got = lab(["--disk", image], args);
    assert.equal(got.stderr, want.stderr, "stderr differs");
    assert.equal(got.stdout, want.stdout, "stdout differs");
    assert.equal(got.status, want.status, "exit status differs");
  };

  for (const type of [16, 32] as const) {
    const image = path.join(dir, `fat${type}.img`);
    it(`FAT${type}: ls -R and md5sum (a 300 KB file, long names) print what native busybox prints for the same tree`, () => {
      makeImage(image, type, type === 32 ? 34 * 1024 : 8 * 1024, tree);
      const before = sha(image);
      same(image, ["ls", "-R", "disk"]);
      same(image, ["md5sum", "disk/big.bin", "disk/A Long File Name With Spaces.text", "disk/sub/deeper/nested file.c", "disk/empty"]);
      if (type === 16) {
        same(image, ["ls", "-ln", "disk/readme.txt", "disk/MixedCase.Data", "disk/big.bin"]);
        // Directories link 2 + their subdirectories, in Linux's vfat as on the native tree.
        same(image, ["stat", "-c", "%n %h", "disk", "disk/sub", "disk/sub/deeper"]);
        same(image, ["cat", "disk/A Long File Name With Spaces.text", "disk/sub/UPPER.TXT"]);
      }
      assert.equal(sha(image), before, "reading never changes the image");
    });
  }

  it("read-only: mkdir and echo > file fail with EROFS and the image's sha256 is unchanged", () => {
    const image = path.join(dir, "ro.img");
    makeImage(image, 16, 8 * 1024, tree);
    const before = sha(image);
    const mkdir = lab(["--disk", image], ["mkdir", "disk/new"]);
    assert.equal(mkdir.status, 1);
    assert.match(mkdir.stderr, /Read-only file system/);
    const echo = lab(["--disk", image], ["sh", "-c", "echo hi > disk/readme.txt"]);
    assert.notEqual(echo.status, 0);
    assert.match(echo.stderr, /Read-only file system/);
    assert.equal(sha(image), before);
  });

  it("--disk-writable: busybox mkdir, cp, rm and echo > file leave an image fsck.fat accepts and mtools reads back", () => {
    const image = path.join(dir, "rw.img");
    makeImage(image, 32, 34 * 1024, tree);
    const rw = ["--disk", image, "--disk-writable"];
    for (const args of [
      ["mkdir", "-p", "disk/made here/and below"],
      ["cp", "disk/big.bin", "disk/made here/and below/a copy of big.bin"],
      ["rm", "disk/readme.txt", "disk/MixedCase.Data"],
      ["sh", "-c", "echo written by the lab > 'disk/made here/echo output.txt'"],
    ]) assert.equal(lab(rw, args).status, 0, args.join(" "));
    const check = fsck(image);
    assert.equal(check.status, 0, check.output);
    assert.deepEqual(mtoolsRead(image, "/made here/and below/a copy of big.bin"), fs.readFileSync(path.join(tree, "big.bin")));
    assert.equal(mtoolsRead(image, "/made here/echo output.txt").toString(), "written by the lab\n");
    assert.deepEqual(mtoolsList(image, "/"), ["A Long File Name With Spaces.text", "big.bin", "empty", "made here", "sub"]);
  });

  it("--disk errors are one clear line; a boot file may name the disk", () => {
    const reject = (args: string[], message: RegExp) => assert.throws(() => parseRunOptions([...args, BUSYBOX]), (e: Error) => message.test(e.message));
    reject(["--disk", path.join(dir, "missing.img")], /--disk: .*missing\.img: no such file$/);
    reject(["--disk", path.join(tree, "readme.txt")], /is not a FAT volume: no FAT boot sector/);
    reject(["--disk-writable"], /--disk-writable needs --disk IMAGE/);
    const image = path.join(dir, "boot.img");
    makeImage(image, 12, 1024);
    const boot = path.join(dir, "boot.json");
    fs.writeFileSync(boot, JSON.stringify([{ path: BUSYBOX }, { disk: "boot.img", writable: true }]));
    assert.deepEqual(parseRunOptions(["--boot", boot]).disk, { path: image, writable: true });
    fs.writeFileSync(boot, JSON.stringify([{ path: BUSYBOX }, { disk: "boot.img" }, { disk: "boot.img" }]));
    reject(["--boot", boot], /more than one disk entry/);
  });

  it("a recording of a run with a disk replays without the image (every sector read is recorded input)", () => {
    const image = path.join(dir, "recorded.img");
    makeImage(image, 16, 8 * 1024, tree);
    const rec = path.join(dir, "disk.hlrec");
    const recorded = runLab(["record", "-o", rec, "--clear-env", "--disk", image, BUSYBOX, "md5sum", "/disk/big.bin"]);
    assert.equal(recorded.status, 0, recorded.stderr.toString());
    const md5 = crypto.createHash("md5").update(fs.readFileSync(path.join(tree, "big.bin"))).digest("hex");
    assert.equal(recorded.stdout.toString(), `${md5}  /disk/big.bin\n`);
    fs.rmSync(image);
    const replayed = runLab(["replay", rec, "--verify"]);
    assert.equal(replayed.status, 0, replayed.stderr.toString());
    assert.match(replayed.stdout.toString() + replayed.stderr.toString(), new RegExp(md5));
  });
});
