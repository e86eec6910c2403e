// The console as a terminal: when the lab's own streams are terminals the guest's fds 0-2 are ttys (isatty, window
// size, termios it can set and read back); on pipes they are not (ENOTTY), exactly as natively in both cases.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, it } from "node:test";
import { canRunNatively, GUEST_BIN, ROOT, runLab, runNative } from "../helpers/run.ts";

const TTY = path.join(GUEST_BIN, "tty");
const CLI = path.join(ROOT, "bin/hedron-lab.js");
const SCRIPT = "/usr/bin/script";
const skip = canRunNatively ? false : "needs an x86-64 Linux host for the native reference";
const skipPty = skip || (!fs.existsSync(SCRIPT) ? "needs script(1) from util-linux to make a pseudo-terminal" : false);

/** Runs `command` on a fresh 30x100 pseudo-terminal (script -qc) and returns what the terminal showed. */
function onPty(command: string): string {
  const r = spawnSync(SCRIPT, ["-qec", `stty rows 30 cols 100; ${command}`, "/dev/null"], { input: "", cwd: ROOT, maxBuffer: 16 << 20 });
  assert.equal(r.status, 0, r.stderr.toString());
  return r.stdout.toString();
}

describe("console as a tty", () => {
  it("is no terminal on pipes: isatty 0, TIOCGWINSZ and tcgetattr fail with ENOTTY as natively", { skip }, () => {
    const native = runNative(TTY, [], {});
    const lab = runLab(["run", TTY]);
    assert.match(native.stdout.toString(), /isatty\(1\) = 0/);
    assert.equal(lab.stdout.toString(), native.stdout.toString());
    assert.equal(lab.status, native.status);
  });

  it("is a terminal on a pseudo-terminal: isatty 1, its window size, termios set and read back as natively", { skip: skipPty }, () => {
    const native = onPty(TTY);
    const lab = onPty(`node ${CLI} run ${TTY}`);
    assert.match(native, /isatty\(0\) = 1/);
    assert.match(native, /winsize 30x100/);
    assert.equal(lab, native);
  });

  it("is recorded: a run on a terminal replays as one on a pipe and verifies", { skip: skipPty }, () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "hedron-tty-"));
    try {
      const rec = path.join(dir, "tty.hlrec");
      // The recorder's progress goes to stderr, so stderr is no terminal in this run.
      const shown = onPty(`node ${CLI} record -o ${rec} ${TTY} 2>/dev/null`);
      assert.match(shown, /isatty\(1\) = 1\r\nisatty\(2\) = 0\r\nwinsize 30x100/);
      const replayed = runLab(["replay", "--verify", rec]);
      assert.equal(replayed.status, 0, replayed.stderr.toString());
      assert.match(replayed.stderr.toString(), /identical/);
      assert.equal(replayed.stdout.toString().replace(/\n/g, "\r\n"), shown);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
