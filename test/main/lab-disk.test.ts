// A FAT image attached from the lab's UI (machine.boot's disk): it reaches the guest at /disk as `run --disk` does, the
// Machine view's disk row reports type, size, access and the service's sector counters, and bad images are one clear error.

import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { after, before, test } from "node:test";
import { LabApi } from "../../main/lab-api.ts";
import type { DiskInfo, LabEvent, MachineStatus } from "../../main/protocol.ts";

const ROOT = resolve(import.meta.dirname, "../..");
let dir: string;
let image: string;
let api: LabApi;

before(() => {
  dir = mkdtempSync(join(tmpdir(), "hedron-lab-disk-"));
  image = join(dir, "fat16.img");
  execFileSync("mkfs.fat", ["-C", "-F", "16", "-n", "LABDISK", image, "16384"], { stdio: "ignore" });
  writeFileSync(join(dir, "greeting.txt"), "hello from a FAT16 disk\n");
  execFileSync("mcopy", ["-i", image, join(dir, "greeting.txt"), "::greeting.txt"]);
  api = new LabApi({
    host: "browser",
    guestsDir: join(ROOT, "engine", "guests", "bin"),
    bundledRecordings: join(ROOT, "recordings"),
    userRecordings: join(dir, "recordings"),
    worker: { url: new URL("../../main/engine-worker.ts", import.meta.url), typescript: true },
    version: "test",
  });
});

after(async () => {
  await api.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Boots `cat` on a file of the disk and collects what the lab pushes until the run ends. */
async function catFromDisk(writable: boolean): Promise<{ stdout: string; disks: (DiskInfo | null)[]; status: MachineStatus }> {
  let stdout = "";
  const disks: (DiskInfo | null)[] = [];
  let unsubscribe = () => {};
  const ended = new Promise<MachineStatus>((done) => {
    unsubscribe = api.subscribe((event: LabEvent) => {
      if (event.kind === "console" && event.stream === "stdout") stdout += event.text;
      if (event.kind === "disk") disks.push(event.disk);
      if (event.kind === "status" && (event.status.state === "exited" || event.status.state === "failed")) done(event.status);
    });
  });
  await api.handle("machine.boot", { guest: "cat", args: ["/disk/greeting.txt"], record: false, disk: { path: image, writable } });
  const status = await ended;
  unsubscribe();
  return { stdout, disks, status };
}

test("a disk attached at boot is read by the guest at /disk and listed with its type, size, access and sectors read", async () => {
  const before = createHash("sha256").update(readFileSync(image)).digest("hex");
  const run = await catFromDisk(false);
  assert.equal(run.status.exitStatus, 0, run.status.message);
  assert.equal(run.stdout, "hello from a FAT16 disk\n");
  const disk = run.disks.at(-1);
  assert.ok(disk, "a disk row was pushed");
  assert.deepEqual({ ...disk, sectorsRead: 0 }, { path: image, fatType: 16, bytes: 16384 * 1024, writable: false, sectorsRead: 0, sectorsWritten: 0, commits: 0 });
  assert.ok(disk.sectorsRead > 1, `the FAT service read the boot sector and more (${disk.sectorsRead})`);
  const hello = await api.handle("lab.hello", {});
  assert.deepEqual(hello.disk, disk, "a renderer connecting later sees the same disk row");
  assert.equal(createHash("sha256").update(readFileSync(image)).digest("hex"), before, "a read-only disk is not changed by a byte");
});

test("a writable disk says so in its row", async () => {
  const run = await catFromDisk(true);
  assert.equal(run.status.exitStatus, 0, run.status.message);
  assert.equal(run.disks.at(-1)?.writable, true);
});

test("a relative path, a missing file and a non-FAT file are refused before anything boots, in one sentence", async () => {
  const boot = (path: string) => api.handle("machine.boot", { guest: "cat", args: [], record: false, disk: { path, writable: false } });
  await assert.rejects(boot("fat16.img"), /^Error: disk image: give the image's full path on the host, not 'fat16.img'$/);
  await assert.rejects(boot(join(dir, "none.img")), /^Error: disk image: .*none\.img: no such file$/);
  await assert.rejects(boot(join(dir, "greeting.txt")), /^Error: disk image: .*greeting\.txt is not a FAT volume: /);
});
