// Sockets in the lab against Linux itself: the net-loopback guest prints the same facts natively and in the lab
// (TCP, UDP, IPv6, UNIX, options, non-blocking, FIN/RST); what only the lab does (no way out, no waiting) is pinned too.
import assert from "node:assert/strict";
import path from "node:path";
import { describe, it } from "node:test";
import { canRunNatively, GUEST_BIN, runGuestInLab, runNative } from "../helpers/run.ts";

const ENV = { PATH: "/bin" };

describe("sockets: lab output equals native output", { skip: canRunNatively ? false : "needs an x86-64 Linux host for the native reference" }, () => {
  for (const variant of ["", "-O0", "-glibc"]) {
    it(`net-loopback${variant}`, () => {
      const elf = path.join(GUEST_BIN, `net-loopback${variant}`);
      const native = runNative(elf, [], ENV);
      const lab = runGuestInLab(elf, [], ENV);
      assert.equal(lab.stdout.toString("latin1"), native.stdout.toString("latin1"), "stdout differs");
      assert.equal(lab.stderr.toString("latin1"), native.stderr.toString("latin1"), "stderr differs");
      assert.equal(lab.status, native.status, "exit status differs");
    });
  }
});

describe("sockets: the lab's own rules", () => {
  it("no traffic leaves the lab: every address off the loopback is unreachable", () => {
    const lab = runGuestInLab(path.join(GUEST_BIN, "net-blocking"), ["unreachable"], ENV);
    assert.equal(lab.status, 0);
    const lines = lab.stdout.toString().trim().split("\n");
    assert.equal(lines.length, 9);
    for (const line of lines) assert.match(line, /^(connect|sendto) .*: Network unreachable$|^bind .*: Address not available$/);
  });

  for (const call of ["accept", "recv"]) {
    it(`a blocking ${call} nothing could ever satisfy ends the run with one clear line`, () => {
      const lab = runGuestInLab(path.join(GUEST_BIN, "net-blocking"), [call], ENV);
      assert.equal(lab.stdout.toString(), `waiting in ${call}\n`);
      assert.match(lab.stderr.toString(), new RegExp(`^hedron-lab: process 1 'net-blocking': ${call === "recv" ? "recvfrom" : call}: .* on 127\\.0\\.0\\.1:\\d+, so it would block forever \\(no other thread or process could wake it\\)\\n$`));
      assert.notEqual(lab.status, 0);
    });
  }
});
