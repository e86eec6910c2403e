// Guests that die of a CPU fault with no handler: stdout and exit status (128 + signal) as native Linux gives them,
// and the lab's one-line report (fault kind, address, RIP) on stderr, where native Linux prints nothing.
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import path from "node:path";
import { describe, it } from "node:test";
import { canRunNatively, GUEST_BIN, runGuestInLab, runNative } from "../helpers/run.ts";

const ENV = { PATH: "/bin" };
const HEX = "0x[0-9a-f]+";
const cases = [
  { guest: "crash-segv", status: 139, report: `killed by SIGSEGV: page fault \\(write, page not present\\) at 0x10, rip ${HEX}` },
  { guest: "crash-fpe", status: 136, report: `killed by SIGFPE: divide error, rip ${HEX}` },
  // The address of a hybrid app's UTCB: a plain Linux program has nothing mapped there, so the write faults.
  { guest: "crash-utcb-page", status: 139, report: `killed by SIGSEGV: page fault \\(write, page not present\\) at 0x7fffffffd000, rip ${HEX}` },
  // SIGILL set to SIG_IGN: a synchronous fault kills anyway.
  { guest: "crash-ill", status: 132, report: `killed by SIGILL: invalid opcode at ${HEX}: ud2 \\(0f 0b\\), rip ${HEX}` },
];

describe("guests killed by a CPU fault: native status and stdout, plus a one-line report", () => {
  for (const c of cases) {
    for (const variant of ["", "-O0", "-glibc"]) {
      const guest = c.guest + variant;
      it(guest, { skip: existsSync(path.join(GUEST_BIN, guest)) ? false : `${guest} is not built` }, () => {
        const elf = path.join(GUEST_BIN, guest);
        const lab = runGuestInLab(elf, [], ENV);
        assert.equal(lab.status, c.status);
        const lines = lab.stderr.toString().trimEnd().split("\n");
        assert.equal(lines.length, 1, `one report line, got: ${lab.stderr}`);
        assert.match(lines[0], new RegExp(`^hedron-lab: process 1000 '${guest}' ${c.report}$`));
        if (!canRunNatively) return;
        const native = runNative(elf, [], ENV);
        assert.equal(native.status, c.status, "native exit status");
        assert.equal(lab.stdout.toString("latin1"), native.stdout.toString("latin1"), "stdout differs");
        assert.equal(native.stderr.length, 0);
      });
    }
  }
});

describe("signal handlers under glibc: lab output equals native output", { skip: canRunNatively ? false : "needs an x86-64 Linux host" }, () => {
  const elf = path.join(GUEST_BIN, "signals-glibc");
  it("signals-glibc", { skip: existsSync(elf) ? false : "signals-glibc is not built" }, () => {
    const native = runNative(elf, [], ENV);
    const lab = runGuestInLab(elf, [], ENV);
    assert.equal(lab.stdout.toString("latin1"), native.stdout.toString("latin1"), "stdout differs");
    assert.equal(lab.stderr.toString("latin1"), native.stderr.toString("latin1"), "stderr differs");
    assert.equal(lab.status, native.status, "exit status differs");
  });
});
