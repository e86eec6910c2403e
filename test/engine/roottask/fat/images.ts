// FAT images for tests, made the way a user makes them: mkfs.fat (dosfstools) and mcopy (mtools) on a host folder.
// Also fsck.fat -n and mtools reads, the outside judges of what the lab's FAT service wrote.

import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

export const haveDosTools = ["mkfs.fat", "fsck.fat", "mcopy", "mtype"].every(
  (tool) => spawnSync("sh", ["-c", `command -v ${tool}`]).status === 0,
);
export const dosToolsMissing = haveDosTools ? false : "needs dosfstools and mtools (apt-get install dosfstools mtools)";

const MTOOLS_ENV = { ...process.env, MTOOLS_SKIP_CHECK: "1", MTOOLS_NO_VFAT: "" };

function run(cmd: string, args: string[], cwd?: string): string {
  const r = spawnSync(cmd, args, { cwd, env: MTOOLS_ENV, encoding: "latin1", maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")} failed (${r.status}): ${r.stderr}${r.stdout}`);
  return r.stdout;
}

export function tempDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `hedron-${prefix}-`));
}

/** A deterministic pseudo-random file (so failures reproduce). */
export function patternBytes(size: number, seed: number): Uint8Array {
  const out = new Uint8Array(size);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < size; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

/** Files of the test tree: short names, long names, mixed case, nesting, a 300 KB file. */
export function writeTree(root: string): void {
  const files: Record<string, Uint8Array | string> = {
    "readme.txt": "hello from a FAT volume\n",
    "A Long File Name With Spaces.text": "long names live in VFAT LFN entries\n",
    "MixedCase.Data": "mixed case needs a long name too\n",
    "big.bin": patternBytes(300 * 1024, 7),
    "sub/deeper/nested file.c": "int main(void) { return 0; }\n",
    "sub/UPPER.TXT": "an 8.3 upper-case name\n",
    "empty": "",
  };
  for (const [name, data] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(root, name)), { recursive: true });
    fs.writeFileSync(path.join(root, name), data);
  }
  // Old enough that ls -l prints a year, the same on every host and in the lab; even seconds fit FAT's 2 s steps.
  const when = new Date("2020-03-04T05:06:08Z");
  for (const name of [...Object.keys(files), "sub/deeper", "sub"]) fs.utimesSync(path.join(root, name), when, when);
}

/** mkfs.fat an image of `kib` KiB of the given FAT type and copy `tree`'s contents in (mcopy -s -m keeps mtimes). */
export function makeImage(file: string, type: 12 | 16 | 32, kib: number, tree?: string): void {
  fs.rmSync(file, { force: true });
  const cluster = type === 16 ? ["-s", "2"] : type === 32 ? ["-s", "1"] : [];
  run("mkfs.fat", ["-C", "-F", String(type), ...cluster, "-i", "12345678", file, String(kib)]);
  if (tree) {
    const entries = fs.readdirSync(tree).map((n) => path.join(tree, n));
    if (entries.length) run("mcopy", ["-s", "-m", "-i", file, ...entries, "::"]);
  }
}

/** fsck.fat -n: exit status and its report. */
export function fsck(file: string): { status: number | null; output: string } {
  const r = spawnSync("fsck.fat", ["-n", file], { encoding: "latin1" });
  return { status: r.status, output: r.stdout + r.stderr };
}

/** A file's bytes as mtools reads them from the image. */
export function mtoolsRead(file: string, guestPath: string): Buffer {
  const r = spawnSync("mtype", ["-i", file, `::${guestPath}`], { env: MTOOLS_ENV, maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`mtype ${guestPath} failed: ${r.stderr}`);
  return r.stdout;
}

/** Names mtools lists in a directory of the image (long names where present). */
export function mtoolsList(file: string, guestPath: string): string[] {
  return run("mdir", ["-b", "-i", file, `::${guestPath}`]).split("\n").filter((l) => l).map((l) => l.replace(/\/$/, "").replace(/^.*\//, "")).sort();
}
