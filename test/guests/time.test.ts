// Time and timers: CLOCK_REALTIME is the host's wall clock at the run's start (an input a recording keeps, so a
// replay reads the same times), and the timers guest (itimers, alarm, POSIX timers, timerfds) runs as natively.
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, it } from "node:test";
import { canRunNatively, GUEST_BIN, runLab, runNative } from "../helpers/run.ts";

const BUSYBOX = "/bin/busybox";
const skipBusybox = !fs.existsSync(BUSYBOX) ? "busybox-static is not installed (apt-get install busybox-static)" : false;

describe("CLOCK_REALTIME", { skip: skipBusybox }, () => {
  it("--realtime-start sets it", () => {
    const lab = runLab(["run", "--realtime-start", "1000000000", BUSYBOX, "date", "-u"]);
    assert.equal(lab.stdout.toString(), "Sun Sep  9 01:46:40 UTC 2001\n");
  });

  it("starts at the host's wall clock, not at 1970", () => {
    const before = Math.floor(Date.now() / 1000);
    const lab = runLab(["run", BUSYBOX, "date", "+%s"]);
    const after = Math.ceil(Date.now() / 1000);
    assert.equal(lab.status, 0, lab.stderr.toString());
    const seconds = Number(lab.stdout.toString().trim());
    assert.ok(seconds >= before && seconds <= after + 1, `date +%s printed ${seconds}, the host clock ran from ${before} to ${after}`);
  });

  it("a file the guest creates carries a wall-clock modification time", () => {
    const lab = runLab(["run", BUSYBOX, "sh", "-c", "touch f; date -r f +%Y"]);
    assert.equal(lab.stdout.toString().trim(), String(new Date().getUTCFullYear()));
  });

  it("is recorded: a replay later reads the recorded time and verifies", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "hedron-time-"));
    try {
      const rec = path.join(dir, "date.hlrec");
      // Nanoseconds tell runs apart even within one second.
      const recorded = runLab(["record", "-o", rec, BUSYBOX, "date", "+%s.%N"]);
      assert.equal(recorded.status, 0, recorded.stderr.toString());
      const replayed = runLab(["replay", "--verify", rec]);
      assert.equal(replayed.status, 0, replayed.stderr.toString());
      assert.match(replayed.stderr.toString(), /identical/);
      assert.equal(replayed.stdout.toString(), recorded.stdout.toString());
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("timers guest", { skip: canRunNatively ? false : "needs an x86-64 Linux host for the native reference" }, () => {
  it("runs the same on --cpus 2 as natively (the timers' signals reach the named threads, busy loops are interrupted)", () => {
    const elf = path.join(GUEST_BIN, "timers");
    const native = runNative(elf, [], {});
    const lab = runLab(["run", "--clear-env", "--cpus", "2", elf]);
    assert.equal(lab.stdout.toString(), native.stdout.toString());
    assert.equal(lab.status, native.status);
  });

  it("gives identical event streams on two runs and a recording that replays with --verify", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "hedron-timers-"));
    try {
      const elf = path.join(GUEST_BIN, "timers");
      // The wall clock is the run's one input here: fixed, two runs must trace alike.
      const traces = [1, 2].map(() => runLab(["run", "--trace", "--realtime-start", "1800000000", "--clear-env", elf]).stderr.toString());
      assert.equal(traces[0], traces[1], "two runs traced differently");
      assert.match(traces[0], /ec_ctrl/, "a busy thread is recalled for its timer's signal");
      const rec = path.join(dir, "timers.hlrec");
      assert.equal(runLab(["record", "-o", rec, "--clear-env", elf]).status, 0);
      const replayed = runLab(["replay", "--verify", rec]);
      assert.equal(replayed.status, 0, replayed.stderr.toString());
      assert.match(replayed.stderr.toString(), /identical/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
