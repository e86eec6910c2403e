// Every committed Linux guest runs natively and in the lab; stdout, stderr and exit status must match byte for byte.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, it } from "node:test";
import { canRunNatively, GUEST_BIN, runGuestInLab, runNative } from "../helpers/run.ts";

interface Case {
  guest: string;
  args: string[];
  stdin?: string;
}

const ENV = { HEDRON_LAB: "1", HEDRON_GREETING: "hi there", PATH: "/bin" };
const HOST_VSYSCALL = canRunNatively && readFileSync("/proc/self/maps", "utf8").includes("[vsyscall]");
const cases: Case[] = [];
for (const variant of ["", "-O0", "-glibc"]) {
  cases.push({ guest: `hello${variant}`, args: [] });
  cases.push({ guest: `hello${variant}`, args: ["one", "two words", ""] });
  cases.push({ guest: `fileio${variant}`, args: [] });
  cases.push({ guest: `sort${variant}`, args: ["3000"] });
  cases.push({ guest: `signals${variant}`, args: [] });
  cases.push({ guest: `signal-spin${variant}`, args: [] });
  cases.push({ guest: `longdouble${variant}`, args: [] });
  cases.push({ guest: `wrapped-index${variant}`, args: [] });
  cases.push({ guest: `timers${variant}`, args: [] });
  cases.push({ guest: `procviews${variant}`, args: [] });
  cases.push({ guest: `pipe-writes${variant}`, args: [] });
  cases.push({ guest: `shared-memory${variant}`, args: [] });
  // The legacy vsyscall page: native Linux emulates calls to it unless booted with vsyscall=none.
  if (HOST_VSYSCALL) cases.push({ guest: `vsyscall${variant}`, args: [] });
}
cases.push({ guest: "hello-pie", args: ["pie"] });
cases.push({ guest: "cat", args: [], stdin: "line one\nline two\n" });
cases.push({ guest: "cat", args: ["-", "/no/such/file"], stdin: "x" });
cases.push({ guest: "cat-glibc", args: ["-", "/no/such/file"], stdin: "x" });
cases.push({ guest: "bench-glibc", args: ["1"] });

describe("guest conformance: lab output equals native output", { skip: canRunNatively ? false : "needs an x86-64 Linux host for the native reference" }, () => {
  for (const c of cases) {
    it(`${c.guest} ${c.args.map((a) => JSON.stringify(a)).join(" ")}`, () => {
      const elf = path.join(GUEST_BIN, c.guest);
      const native = runNative(elf, c.args, ENV, c.stdin);
      const lab = runGuestInLab(elf, c.args, ENV, c.stdin);
      assert.equal(lab.stdout.toString("latin1"), native.stdout.toString("latin1"), "stdout differs");
      assert.equal(lab.stderr.toString("latin1"), native.stderr.toString("latin1"), "stderr differs");
      assert.equal(lab.status, native.status, "exit status differs");
    });
  }
});
