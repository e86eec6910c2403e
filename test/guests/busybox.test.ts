// Debian's busybox-static (built by people who never saw this lab) must produce native output for its applets.
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, it } from "node:test";
import { canRunNatively, runGuestInLab, runNative } from "../helpers/run.ts";

const BUSYBOX = "/bin/busybox";
const skip = !fs.existsSync(BUSYBOX)
  ? "busybox-static is not installed (apt-get install busybox-static; .ci/run installs it)"
  : !canRunNatively
    ? "needs an x86-64 Linux host for the native reference"
    : false;

const text = Array.from({ length: 60 }, (_, i) => `${(i * 7919) % 101} line ${i % 13} ${["alpha", "beta", "gamma", "delta"][i % 4]}\n`).join("");
const ENV = { LC_ALL: "C", PATH: "/bin" };

interface Case {
  name: string;
  args: string[];
  stdin?: string;
}

const cases: Case[] = [
  { name: "echo", args: ["echo", "-n", "hello", "world"] },
  { name: "cat", args: ["cat"], stdin: text },
  { name: "wc", args: ["wc"], stdin: text },
  { name: "sort -n", args: ["sort", "-n"], stdin: text },
  { name: "sort -k3,3 -k1,1nr", args: ["sort", "-k3,3", "-k1,1nr"], stdin: text },
  { name: "uniq -c", args: ["uniq", "-c"], stdin: "a\na\nb\nc\nc\nc\na\n" },
  { name: "head -n 5", args: ["head", "-n", "5"], stdin: text },
  { name: "tail -n 3", args: ["tail", "-n", "3"], stdin: text },
  { name: "tr a-z A-Z", args: ["tr", "a-z", "A-Z"], stdin: text },
  { name: "cut -d' ' -f1,3", args: ["cut", "-d", " ", "-f1,3"], stdin: text },
  { name: "md5sum", args: ["md5sum"], stdin: text },
  { name: "sha256sum", args: ["sha256sum"], stdin: text },
  { name: "sha512sum", args: ["sha512sum"], stdin: text },
  { name: "base64", args: ["base64"], stdin: text },
  { name: "od -A x -t x1z", args: ["od", "-A", "x", "-t", "x1z"], stdin: text.slice(0, 200) },
  { name: "expr", args: ["expr", "7", "*", "6", "+", "100", "/", "7"] },
  { name: "seq", args: ["seq", "1", "3", "40"] },
  { name: "printf", args: ["printf", "%5d|%-8s|%x|%o|%c\\n", "42", "str", "255", "8", "Z"] },
  { name: "sed", args: ["sed", "-e", "s/line \\([0-9]*\\)/L<\\1>/", "-e", "/gamma/d"], stdin: text },
  { name: "grep -c", args: ["grep", "-c", "beta"], stdin: text },
  { name: "grep -n -E", args: ["grep", "-n", "-E", "^(1|2)[0-9]? "], stdin: text },
  { name: "awk with floating point", args: ["awk", "{ s += $1 * 1.5; n++ } END { printf \"%.3f %d %g\\n\", s / n, n, s / 7 }"], stdin: text },
];

describe("busybox applets: lab output equals native output", { skip }, () => {
  for (const c of cases) {
    it(c.name, () => {
      const native = runNative(BUSYBOX, c.args, ENV, c.stdin);
      const lab = runGuestInLab(BUSYBOX, c.args, ENV, c.stdin);
      assert.equal(lab.stderr.toString("latin1"), native.stderr.toString("latin1"), "stderr differs");
      assert.equal(lab.stdout.toString("latin1"), native.stdout.toString("latin1"), "stdout differs");
      assert.equal(lab.status, native.status, "exit status differs");
    });
  }

  it("gzip | gunzip round trip", () => {
    const nativeZip = runNative(BUSYBOX, ["gzip", "-c"], ENV, text);
    const labZip = runGuestInLab(BUSYBOX, ["gzip", "-c"], ENV, text);
    assert.equal(labZip.status, 0);
    assert.deepEqual(labZip.stdout, nativeZip.stdout, "compressed bytes differ");
    const labUnzip = runGuestInLab(BUSYBOX, ["gunzip", "-c"], ENV, labZip.stdout);
    assert.equal(labUnzip.stdout.toString("latin1"), text);
  });

  it("link counts on a --mount'ed folder: a directory has 2 + its subdirectories, as natively", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "hedron-nlink-"));
    try {
      fs.mkdirSync(path.join(dir, "a/b"), { recursive: true });
      fs.mkdirSync(path.join(dir, "c"));
      fs.writeFileSync(path.join(dir, "f"), "x");
      fs.linkSync(path.join(dir, "f"), path.join(dir, "g"));
      const script = "cd \"$0\" && stat -c '%n %h' . a a/b c f g && ls -ld . a | awk '{ print $2 }'";
      const native = runNative(BUSYBOX, ["sh", "-c", script, dir], ENV);
      const lab = runGuestInLab(BUSYBOX, ["sh", "-c", script, "/m"], ENV, "", ["--mount", `${dir}:/m`]);
      assert.equal(native.stdout.toString(), ". 4\na 3\na/b 2\nc 2\nf 2\ng 2\n4\n3\n");
      assert.equal(lab.stdout.toString(), native.stdout.toString());
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
