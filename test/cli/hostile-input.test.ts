// Hostile input through the real CLI (issue 14 reproducers): each gets one clear line and exit status 126, 139 or 2, never
// an internal error (70) or a silent exit.

import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, describe, it } from "node:test";
import { spawnSync } from "node:child_process";
import { canRunNatively, GUEST_BIN, runLab } from "../helpers/run.ts";
import { tinyElf } from "../helpers/tiny-elf.ts";

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "hedron-hostile-"));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

const EXIT_7 = [0xb8, 60, 0, 0, 0, 0xbf, 7, 0, 0, 0, 0x0f, 0x05];
const hello = path.join(GUEST_BIN, "hello");

function file(name: string, bytes: Uint8Array | string): string {
  const p = path.join(tmp, name);
  fs.writeFileSync(p, bytes, { mode: 0o755 });
  return p;
}

function oneLine(r: { stdout: Buffer; stderr: Buffer; status: number | null }, status: number, pattern: RegExp) {
  const text = r.stderr.toString();
  assert.equal(text.trimEnd().split("\n").length, 1, `one line on stderr, got: ${text}`);
  assert.match(text, pattern);
  assert.doesNotMatch(text, /internal error|\n\s+at /);
  assert.equal(r.status, status);
}

describe("hostile input gets one clear line", () => {
  it("a PT_LOAD p_memsz larger than guest memory", () => {
    const bytes = tinyElf(EXIT_7);
    new DataView(bytes.buffer).setBigUint64(64 + 40, 1n << 40n, true);
    oneLine(runLab(["run", file("huge-memsz", bytes)]), 126, /^huge-memsz: cannot execute: the loadable segments need more memory than the guest has \(512 MiB, --memory\)\n$/);
  });

  it("program headers outside every loadable segment", () => {
    const bytes = new Uint8Array(4096);
    bytes.set(tinyElf(EXIT_7));
    bytes.set(bytes.subarray(64, 120), 3000);
    new DataView(bytes.buffer).setBigUint64(32, 3000n, true);
    oneLine(runLab(["run", file("phdr-outside", bytes)]), 126, /phdr-outside: the program headers are not inside a loadable segment\n$/);
  });

  it("an ET_EXEC segment at page 0 dies of SIGSEGV (139), as an unprivileged native exec does", () => {
    const bytes = tinyElf(EXIT_7);
    const view = new DataView(bytes.buffer);
    view.setBigUint64(64 + 16, 0n, true);
    view.setBigUint64(24, 120n, true);
    const elf = file("page0", bytes);
    oneLine(runLab(["run", elf]), 139, /^hedron-lab: process 1000 'page0' killed by SIGSEGV: exec failed after the point of no return: segment 0 maps address 0x0, below Linux's vm.mmap_min_addr \(0x1000\)\n$/);
    if (!canRunNatively) return;
    // Root may map page 0 (CAP_SYS_RAWIO); the lab models an unprivileged process, so compare with user nobody.
    const shared = fs.mkdtempSync(path.join(os.tmpdir(), "hedron-page0-"));
    fs.chmodSync(shared, 0o755);
    fs.copyFileSync(elf, path.join(shared, "page0"));
    fs.chmodSync(path.join(shared, "page0"), 0o755);
    const asNobody = process.getuid?.() === 0 ? { uid: 65534, gid: 65534 } : {};
    const native = spawnSync(path.join(shared, "page0"), [], { ...asNobody, cwd: shared });
    fs.rmSync(shared, { recursive: true, force: true });
    assert.equal(native.signal, "SIGSEGV");
  });

  it("--boot argv over 8 MiB is E2BIG", () => {
    const config = file("big-argv.json", JSON.stringify([{ path: hello, argv: ["hello", "x".repeat(9 << 20)] }]));
    oneLine(runLab(["run", "--boot", config]), 126, /^hello: cannot execute: argument list too long: \d+ bytes of arguments and environment, Linux allows 2097152 \(E2BIG\)\n$/);
  });

  it("--memory 4096, the documented maximum, boots", () => {
    const r = runLab(["run", "--clear-env", "--memory", "4096", hello]);
    assert.equal(r.status, 1, r.stderr.toString());
    assert.match(r.stdout.toString(), /^Hello from a static Linux binary on Hedron!\n/);
  });

  it("--memory outside 16–4096 is a usage error naming the range", () => {
    oneLine(runLab(["run", "--memory", "1", hello]), 2, /--memory takes a whole number from 16 to 4096, not '1'/);
    oneLine(runLab(["run", "--memory", "4097", hello]), 2, /--memory takes a whole number from 16 to 4096, not '4097'/);
  });
});
