// Run limits through the real CLI: --max-instructions, --timeout, SIGINT (run and record) and the file-system quota
// each end the guest with one line naming the limit and the documented exit status; the default environment.

import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, describe, it } from "node:test";
import { GUEST_BIN, lastLine, ROOT, runLab } from "../helpers/run.ts";
import { tinyElf } from "../helpers/tiny-elf.ts";

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "hedron-limits-"));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

const spin = path.join(tmp, "spin");
fs.writeFileSync(spin, tinyElf([0xeb, 0xfe]), { mode: 0o755 }); // jmp $: runs forever
// write(1, "ready\n", 6), then jmp $: the CLI is past start-up once "ready" arrives.
const readySpin = path.join(tmp, "ready-spin");
fs.writeFileSync(readySpin, tinyElf([
  0xb8, 1, 0, 0, 0, 0xbf, 1, 0, 0, 0, 0x48, 0x8d, 0x35, 9, 0, 0, 0, 0xba, 6, 0, 0, 0, 0x0f, 0x05, 0xeb, 0xfe,
  ...Buffer.from("ready\n"),
]), { mode: 0o755 });
const hello = path.join(GUEST_BIN, "hello");
const fileBench = path.join(GUEST_BIN, "file-bench");

/** Starts the CLI, sends SIGINT `ms` after the guest said "ready" (so start-up time under load does not matter). */
function interruptAfter(args: string[], ms: number): Promise<{ stderr: string; status: number | null }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [path.join(ROOT, "bin", "hedron-lab.js"), ...args], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.stdout.once("data", () => setTimeout(() => child.kill("SIGINT"), ms));
    child.on("exit", (status) => resolve({ stderr, status }));
  });
}

describe("run limits", () => {
  it("--max-instructions stops after exactly N instructions with exit status 124 and one line", () => {
    const r = runLab(["run", "--stats", "--max-instructions", "3000000", spin]);
    assert.equal(r.status, 124);
    const lines = r.stderr.toString().trimEnd().split("\n");
    assert.equal(lines.length, 2, r.stderr.toString());
    assert.match(lines[0], /^hedron-lab: instruction limit reached \(--max-instructions 3000000\): stopped at instruction 3,000,000$/);
    assert.equal(JSON.parse(lastLine(r.stderr)).instructions, 3_000_000);
  });

  it("--max-instructions does not touch a guest that ends first", () => {
    const r = runLab(["run", "--clear-env", "--max-instructions", "100000000", hello]);
    assert.equal(r.status, 1);
    assert.doesNotMatch(r.stderr.toString(), /limit/);
  });

  it("--timeout stops a spinning guest after the host time with exit status 124", () => {
    const start = performance.now();
    const r = runLab(["run", "--timeout", "0.5", spin]);
    assert.equal(r.status, 124);
    assert.match(r.stderr.toString(), /^hedron-lab: time limit reached \(--timeout 0\.5\): stopped after 0\.\d s of host time at instruction [\d,]+\n$/);
    assert.ok(performance.now() - start < 20_000);
  });

  it("bad limit values are usage errors", () => {
    for (const args of [["--max-instructions", "0"], ["--max-instructions", "1.5"], ["--timeout", "-1"], ["--timeout", "soon"], ["--fs-quota", "0"]]) {
      const r = runLab(["run", ...args, hello]);
      assert.equal(r.status, 2, args.join(" "));
      assert.equal(r.stderr.toString().trimEnd().split("\n").length, 1);
    }
  });

  it("SIGINT stops a run cleanly: one line, exit status 130", async () => {
    const r = await interruptAfter(["run", readySpin], 300);
    assert.equal(r.status, 130);
    assert.match(r.stderr, /^hedron-lab: interrupted \(SIGINT\): stopped at instruction [\d,]+\n$/);
  });

  it("SIGINT closes a recording as complete up to there, and it replays verified", async () => {
    const file = path.join(tmp, "interrupted.hlrec");
    const r = await interruptAfter(["record", "-o", file, readySpin], 1000);
    assert.equal(r.status, 130, r.stderr);
    assert.match(r.stderr, /hedron-lab: interrupted \(SIGINT\): stopped at instruction [\d,]+\n/);
    const info = runLab(["info", "--json", file]);
    assert.equal(info.status, 0, info.stderr.toString());
    assert.equal(JSON.parse(info.stdout.toString()).session.status, "complete");
    const replay = runLab(["replay", "--verify", file]);
    assert.equal(replay.status, 0, replay.stderr.toString());
    assert.match(replay.stderr.toString(), /identical/);
  });

  it("record --max-instructions ends the recording at the chunk end reaching the limit, verifiable", () => {
    const file = path.join(tmp, "limited.hlrec");
    const r = runLab(["record", "-o", file, "--chunk", "100000", "--max-instructions", "250000", spin]);
    assert.equal(r.status, 124, r.stderr.toString());
    assert.match(r.stderr.toString(), /instruction limit reached \(--max-instructions 250000\): stopped at instruction 300,000/);
    assert.equal(runLab(["replay", "--verify", file]).status, 0);
  });
});

describe("file-system quota", () => {
  it("a write past --fs-quota fails with ENOSPC and the lab names the quota in one line", () => {
    const r = runLab(["run", "--clear-env", "--fs-quota", "8", fileBench, "12"]);
    assert.equal(r.status, 1);
    assert.equal(r.stderr.toString(), "file-bench: write: No space left on device\nhedron-lab: file-system quota reached (--fs-quota 8 MiB): 1 write(s) failed with ENOSPC\n");
  });

  it("defaults to half of --memory, and a file up to the quota fits despite buffer doubling", () => {
    assert.match(runLab(["run", "--clear-env", "--memory", "32", fileBench, "20"]).stderr.toString(), /--fs-quota 16 MiB/);
    const fits = runLab(["run", "--clear-env", "--fs-quota", "13", fileBench, "12"]);
    assert.equal(fits.status, 0, fits.stderr.toString());
  });

  it("boot modules larger than the quota are refused up front", () => {
    const big = path.join(tmp, "big");
    fs.writeFileSync(big, tinyElf(new Uint8Array(3 << 19).fill(0x90)), { mode: 0o755 }); // 1.5 MiB of nop
    const r = runLab(["run", "--fs-quota", "1", big]);
    assert.equal(r.status, 2);
    assert.equal(r.stderr.toString(), "hedron-lab: the boot modules (1.5 MiB) do not fit in the file-system quota of 1 MiB\n");
  });
});

describe("guest environment", () => {
  it("is a fixed minimal one by default, whatever the host's", () => {
    const r = runLab(["run", hello], "", { ...process.env, HEDRON_SECRET: "s3cret" });
    assert.match(r.stdout.toString(), /\n3 environment entries, HEDRON_LAB is not set\n$/);
    assert.doesNotMatch(r.stdout.toString(), /s3cret/);
  });

  it("--inherit-env passes the host's, --env adds to it, and --clear-env conflicts with it", () => {
    const r = runLab(["run", "--inherit-env", "--env", "HEDRON_LAB=1", hello], "", { PATH: process.env.PATH, HEDRON_SECRET: "s3cret" });
    assert.match(r.stdout.toString(), /env: HEDRON_SECRET=s3cret\n/);
    assert.match(r.stdout.toString(), /HEDRON_LAB is set/);
    const both = runLab(["run", "--clear-env", "--inherit-env", hello]);
    assert.equal(both.status, 2);
    assert.match(both.stderr.toString(), /choose one of --clear-env and --inherit-env/);
  });

  it("record stores only the environment the guest saw", () => {
    const file = path.join(tmp, "env.hlrec");
    const r = runLab(["record", "-o", file, hello], "", { ...process.env, HEDRON_SECRET: "s3cret" });
    assert.equal(r.status, 1, r.stderr.toString());
    assert.ok(!fs.readFileSync(file).includes("s3cret"));
    const info = JSON.parse(runLab(["info", "--json", file]).stdout.toString());
    assert.deepEqual(info.session.config.env, ["PATH=/bin:/usr/bin", "HOME=/", "LANG=C"]);
  });
});
