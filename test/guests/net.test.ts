// Sockets in the lab against Linux itself: the net guests print the same facts natively and in the lab (TCP, UDP, IPv6,
// UNIX, options, non-blocking, FIN/RST, forked peers, epoll); what only the lab does (no way out) is pinned too.
import assert from "node:assert/strict";
import path from "node:path";
import { describe, it } from "node:test";
import { canRunNatively, GUEST_BIN, runGuestInLab, runLab, runNative } from "../helpers/run.ts";
import { dosToolsMissing, makeImage, tempDir, writeTree } from "../engine/roottask/fat/images.ts";

const ENV = { PATH: "/bin" };

describe("sockets: lab output equals native output", { skip: canRunNatively ? false : "needs an x86-64 Linux host for the native reference" }, () => {
  // net-loopback: one process; net-fork: TCP echo with a 3 MiB transfer, FIN, RST, UDP, socketpair, UNIX names,
  // non-blocking connect between forked processes; net-epoll: an epoll server with 20 forked clients. Ports and pids
  // differ between hosts, so the guests print only facts about them (in range, equal to the peer's view).
  for (const guest of ["net-loopback", "net-fork", "net-epoll"]) {
    for (const variant of ["", "-O0", "-glibc"]) {
      it(`${guest}${variant}`, () => {
        const elf = path.join(GUEST_BIN, `${guest}${variant}`);
        const native = runNative(elf, [], ENV);
        const lab = runGuestInLab(elf, [], ENV);
        assert.equal(lab.stdout.toString("latin1"), native.stdout.toString("latin1"), "stdout differs");
        assert.equal(lab.stderr.toString("latin1"), native.stderr.toString("latin1"), "stderr differs");
        assert.equal(lab.status, native.status, "exit status differs");
      });
    }
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
    it(`a blocking ${call} nothing could ever satisfy ends the run with one line naming the call`, () => {
      const lab = runGuestInLab(path.join(GUEST_BIN, "net-blocking"), [call], ENV);
      assert.equal(lab.stdout.toString(), `waiting in ${call}\n`);
      const name = call === "recv" ? "recvfrom" : call;
      assert.equal(lab.stderr.toString(), `hedron-lab: deadlock: process(es) 1000 'net-blocking' in ${name} blocked with nothing left to run\n`);
      assert.notEqual(lab.status, 0);
    });
  }
});

describe("the native SDK path: hrstd's network client and the file service on the FAT disk", { skip: dosToolsMissing }, () => {
  it("a native app listens, connects, accepts, echoes 8 KiB and reads /disk through the same services", () => {
    const dir = tempDir("net-native");
    writeTree(`${dir}/tree`);
    makeImage(`${dir}/disk.img`, 16, 8 * 1024, `${dir}/tree`);
    const lab = runLab(["run", "--disk", `${dir}/disk.img`, path.join(GUEST_BIN, "native-net-echo")]);
    assert.equal(lab.status, 0, lab.stderr.toString());
    assert.equal(lab.stdout.toString(), [
      "listen: 0 (ephemeral port: yes)", "connect: 0", "accept: a new fd", "send 8192 bytes: 8192", "server echoed 8192 bytes",
      "client received 8192 bytes: identical", "after the client closed, the server receives 0",
      "connect to an unreachable address: -101", "read from the FAT disk: hello from a FAT volume",
    ].map((line) => `[STDOUT PID=1] ${line}\n`).join(""));
  });
});
