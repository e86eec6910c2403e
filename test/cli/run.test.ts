// `hedron-lab run`: its options, --stats/--trace contract, and one clear line for every bad input.
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, describe, it } from "node:test";
import { canRunNatively, GUEST_BIN, lastLine, runLab, runNative } from "../helpers/run.ts";
import { tinyElf } from "../helpers/tiny-elf.ts";

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "hedron-cli-"));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

function file(name: string, bytes: Uint8Array | string): string {
  const p = path.join(tmp, name);
  fs.writeFileSync(p, bytes, { mode: 0o755 });
  return p;
}

const hello = path.join(GUEST_BIN, "hello");
// mov eax, N ; syscall ; mov eax, 60 ; xor edi, edi ; syscall   (exit(0) after an unknown syscall)
const unknownSyscall = [0xb8, 0x4f, 0x01, 0, 0, 0x0f, 0x05, 0xb8, 60, 0, 0, 0, 0x31, 0xff, 0x0f, 0x05];

function oneLineError(r: { stdout: Buffer; stderr: Buffer; status: number | null }, status: number, pattern: RegExp) {
  assert.equal(r.stdout.length, 0, "nothing on stdout");
  const text = r.stderr.toString();
  assert.equal(text.trimEnd().split("\n").length, 1, `one line on stderr, got: ${text}`);
  assert.match(text, pattern);
  assert.doesNotMatch(text, /\n\s+at /, "no stack trace");
  assert.equal(r.status, status);
}

describe("hedron-lab run: bad input gives one clear line and a non-zero exit", () => {
  it("missing file", () => oneLineError(runLab(["run", path.join(tmp, "nope")]), 127, /nope: no such file/));
  it("not an ELF file", () => oneLineError(runLab(["run", file("script.sh", "#!/bin/sh\necho hi\n")]), 126, /not an ELF file/));
  it("32-bit ELF", () => oneLineError(runLab(["run", file("elf32", tinyElf([0xc3], { elfClass: 1 }))]), 126, /32-bit ELF/));
  it("dynamically linked ELF", () =>
    oneLineError(runLab(["run", file("dyn", tinyElf([0xc3], { interp: true }))]), 126, /dynamically linked, only static binaries run here/));
  it("truncated ELF", () => oneLineError(runLab(["run", file("trunc", fs.readFileSync(hello).subarray(0, 3000))]), 126, /truncated/));
  it("no ELF given", () => {
    const r = runLab(["run"]);
    assert.equal(r.status, 2);
    assert.match(r.stderr.toString(), /no ELF file given/);
  });
  it("unknown option", () => assert.equal(runLab(["run", "--bogus", hello]).status, 2));

  it("unsupported instruction: named with address and bytes, exit as SIGILL", () => {
    const elf = file("avx", tinyElf([0xc5, 0xfc, 0x58, 0xc1, 0xc3])); // vaddps ymm0, ymm0, ymm1
    const r = runLab(["run", elf]);
    oneLineError(r, 132, /vaddps ymm0,ymm0,ymm1/);
    assert.match(r.stderr.toString(), /0x4000[0-9a-f]+/);
    assert.match(r.stderr.toString(), /c5 fc 58 c1/);
  });

  it("guest crash: fault kind, address and RIP, exit status as native", () => {
    const elf = file("crash", tinyElf([0x48, 0x8b, 0x04, 0x25, 0x10, 0, 0, 0])); // mov rax, [0x10]
    const r = runLab(["run", elf]);
    oneLineError(r, 139, /page fault/);
    assert.match(r.stderr.toString(), /0x10\b/);
    assert.match(r.stderr.toString(), /rip 0x4000[0-9a-f]+/i);
    if (canRunNatively) assert.equal(runNative(elf, [], {}).status, 139);
  });
});

describe("hedron-lab run: unknown syscalls are never silent", () => {
  const elf = () => file("unknown", tinyElf(unknownSyscall));
  it("returns -ENOSYS and lists it in --stats", () => {
    const r = runLab(["run", "--stats", elf()]);
    assert.equal(r.status, 0);
    const stats = JSON.parse(lastLine(r.stderr));
    assert.deepEqual(stats.unknownSyscalls, [{ number: 335, name: "syscall_335", count: 1 }]);
  });
  it("--strict stops the run naming it", () => {
    const r = runLab(["run", "--strict", elf()]);
    assert.notEqual(r.status, 0);
    assert.match(r.stderr.toString(), /335/);
    assert.equal(r.stderr.toString().trimEnd().split("\n").length, 1);
  });
});

describe("hedron-lab run: --stats and --trace", () => {
  it("--stats prints the JSON contract as the last line of stderr", () => {
    const r = runLab(["run", "--stats", "--clear-env", hello, "x"]);
    assert.equal(r.status, 2);
    const stats = JSON.parse(lastLine(r.stderr));
    for (const key of ["instructions", "vcycles", "hostMs", "mips", "portalCalls", "foreignSyscalls", "hypercalls"]) {
      assert.ok(key in stats, `--stats has ${key}`);
    }
    assert.ok(stats.instructions > 1000);
    assert.ok(stats.foreignSyscalls.write >= 1 || stats.foreignSyscalls.writev >= 1);
    const forwarded = Object.values(stats.foreignSyscalls as Record<string, number>).reduce((a, b) => a + b, 0);
    assert.ok(stats.portalCalls >= forwarded, "a portal call for every forwarded syscall");
    assert.ok(r.stdout.toString().startsWith("Hello from a static Linux binary on Hedron!\n"));
  });
  it("--trace shows each forwarded syscall with arguments and result", () => {
    const r = runLab(["run", "--trace", "--clear-env", hello]);
    const text = r.stderr.toString();
    assert.match(text, /(writev|write)\(1, .*\) = \d+/);
    assert.match(text, /exit_group\(1\)/);
    assert.match(text, /portal call/);
  });
  it("--env and --clear-env set the guest environment", () => {
    const r = runLab(["run", "--clear-env", "--env", "HEDRON_LAB=yes", hello]);
    assert.match(r.stdout.toString(), /env: HEDRON_LAB=yes\n1 environment entries, HEDRON_LAB is set/);
  });
  it("stdin is the guest's stdin", () => {
    const r = runLab(["run", path.join(GUEST_BIN, "cat")], "piped input\n");
    assert.equal(r.stdout.toString(), "piped input\n");
  });
});
