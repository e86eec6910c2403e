// Threads: musl and glibc pthreads guests (a pool of 8 on 2 virtual CPUs, condition variables, a timed wait) and a
// g++ std::thread guest that throws and catches match native output; the multi-threaded run is deterministic
// (identical event streams) and its recording replays verified.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, it } from "node:test";
import { Machine } from "../../engine/machine.ts";
import { canRunNatively, GUEST_BIN, runGuestInLab, runLab, runNative } from "../helpers/run.ts";

const ENV = { PATH: "/bin" };

describe("pthreads guests on 2 virtual CPUs: lab equals native", { skip: canRunNatively ? false : "needs an x86-64 Linux host" }, () => {
  for (const guest of ["threads", "threads-glibc", "cxx-threads"]) {
    it(guest, () => {
      const elf = path.join(GUEST_BIN, guest);
      const native = runNative(elf, [], ENV);
      const lab = runGuestInLab(elf, [], ENV, "", ["--cpus", "2"]);
      assert.equal(lab.stderr.toString(), native.stderr.toString(), "stderr differs");
      assert.equal(lab.stdout.toString(), native.stdout.toString(), "stdout differs");
      assert.equal(lab.status, native.status, "exit status differs");
    });
  }
});

/** Every event of a run but its host time, hashed, plus the console output. */
function eventDigest(guest: string): { digest: string; events: number; stdout: string } {
  const machine = new Machine({
    modules: [{ name: guest, bytes: fs.readFileSync(path.join(GUEST_BIN, guest)), kind: "foreign", argv: [guest] }],
    env: [], cpus: 2, memoryMiB: 256, seed: 1, strict: false, mounts: [], readStdin: () => new Uint8Array(0),
  });
  const h = createHash("sha256");
  let events = 0;
  machine.onEvent((e) => {
    events++;
    h.update(JSON.stringify({ ...e, hostNs: 0 }));
  });
  let stdout = "";
  machine.onConsole((stream, bytes) => {
    if (stream === "stdout") stdout += Buffer.from(bytes).toString();
  });
  while (machine.run(50_000_000) === "budget");
  assert.equal(machine.exitStatus, 0, machine.stopReason ?? "");
  return { digest: h.digest("hex"), events, stdout };
}

describe("multi-threaded runs are deterministic", () => {
  it("two runs of the pthreads pool give identical event streams", () => {
    const a = eventDigest("threads");
    const b = eventDigest("threads");
    assert.ok(a.events > 1000, `only ${a.events} events`);
    assert.equal(a.stdout, b.stdout);
    assert.equal(a.digest, b.digest);
  });

  it("a recording of the multi-threaded run replays with --verify", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "hedron-threads-"));
    try {
      const file = path.join(dir, "threads.hlrec");
      const rec = runLab(["record", "-o", file, "--clear-env", "--cpus", "2", path.join(GUEST_BIN, "threads")]);
      assert.equal(rec.status, 0, rec.stderr.toString());
      const replay = runLab(["replay", file, "--verify"]);
      assert.equal(replay.status, 0, replay.stderr.toString() + replay.stdout.toString());
      assert.match(replay.stdout.toString() + replay.stderr.toString(), /identical|verified/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
