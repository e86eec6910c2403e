// The SDK's demo apps (engine/guests/native, engine/guests/hybrid) through the real CLI and the machine: their output,
// the framebuffer they draw, kind auto-detection, boot configs, isolation from inside a PD, and 2-CPU determinism.

import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { test } from "node:test";
import { machineConfig, parseRunOptions } from "../../../engine/cli/run.ts";
import type { MachineEvent } from "../../../engine/events.ts";
import { Machine } from "../../../engine/machine.ts";
import { appKind } from "../../../engine/roottask/app-kind.ts";
import { GUEST_BIN, runLab } from "../../helpers/run.ts";

const bin = (name: string) => path.join(GUEST_BIN, name);
const BOOT_DEMOS = path.join(GUEST_BIN, "../demos.json");

/** Boots through the CLI's option parser and config builder; returns the machine with its console split by stream. */
function boot(args: string[]) {
  const machine = new Machine({ ...machineConfig(parseRunOptions(["--clear-env", ...args])), memoryMiB: 64 });
  const out: Record<string, string> = { stdout: "", stderr: "", serial: "" };
  machine.onConsole((stream, bytes) => {
    if (stream in out) out[stream] += Buffer.from(bytes).toString();
  });
  return { machine, out };
}

function runToEnd(args: string[]) {
  const b = boot(args);
  assert.equal(b.machine.run(500_000_000), "halted");
  return b;
}

test("the SDK marks native and hybrid ELFs; plain Linux programs are foreign", () => {
  assert.equal(appKind(fs.readFileSync(bin("native-hello"))), "native");
  assert.equal(appKind(fs.readFileSync(bin("hybrid-hello"))), "hybrid");
  assert.equal(appKind(fs.readFileSync(bin("hello"))), "foreign");
  assert.equal(appKind(new Uint8Array(10)), "foreign");
});

test("native hello prints through the stdout service, run by the real CLI with its kind auto-detected", () => {
  const r = runLab(["run", "--clear-env", bin("native-hello"), "a", "b"]);
  assert.equal(r.status, 0, r.stderr.toString());
  assert.equal(
    r.stdout.toString(),
    `[STDOUT PID=1] Hello from a native Hedron app!\n[STDOUT PID=1] argc=3 argv[0]=${bin("native-hello")} cpu=0 of 1 utcb=0x7fffffffd000\n`,
  );
});

test("ping-pong: 1000 semaphore round trips between two ECs and 1000 portal calls, with their costs", () => {
  const { machine, out } = runToEnd([bin("native-pingpong")]);
  assert.equal(machine.exitStatus, 0, out.stderr);
  const lines = out.stdout.split("\n");
  assert.equal(lines[0], "[STDOUT PID=1] ping on CPU 0, pong on CPU 0, 1000 rounds");
  assert.match(lines[1], /^\[STDOUT PID=1\] semaphore ping-pong: 1000 round trips, avg \d+ min \d+ max \d+ cycles$/);
  const ipc = /portal call\+reply \(same PD\): 1000 round trips, avg (\d+) min \d+ max \d+ cycles, counter 1000$/.exec(lines[2]);
  assert.ok(ipc, lines[2]);
  const echo = /across PDs\): avg (\d+) /.exec(lines[3]);
  assert.ok(echo, lines[3]);
  // §9: a round trip within a PD is cheaper than one across PDs (791 vs 1190 measured).
  assert.ok(Number(ipc[1]) < Number(echo[1]), `${ipc[1]} < ${echo[1]}`);
});

test("ping-pong with 2 CPUs puts pong on the second CPU", () => {
  const { machine, out } = runToEnd(["--cpus", "2", bin("native-pingpong")]);
  assert.equal(machine.exitStatus, 0, out.stderr);
  assert.match(out.stdout, /ping on CPU 0, pong on CPU 1, 1000 rounds/);
  assert.match(out.stdout, /semaphore ping-pong: 1000 round trips/);
});

test("the painter draws into the framebuffer the framebuffer service delegated to it", () => {
  const { machine, out } = runToEnd([bin("native-painter")]);
  assert.equal(machine.exitStatus, 0, out.stderr);
  const fb = machine.framebuffer;
  assert.match(out.stdout, new RegExp(`framebuffer 1024x768 pitch 4096 at 0x${(0x10000000000 + fb.physAddr).toString(16)}\\n`));
  assert.match(out.stdout, /painted: gradient, rings, checkerboard, diamonds; checksum [0-9a-f]{8}\n/);
  const at = (x: number, y: number) => fb.pixels[y * fb.width + x];
  assert.equal(at(0, 0), 0xffffff, "white frame");
  assert.equal(at(35, 35), 0x000000, "checkerboard, dark square");
  assert.equal(at(55, 35), 0xffffff, "checkerboard, light square");
  assert.equal(at(512, 384), 0xffff00, "yellow ring centre");
  assert.equal(at(1000, 20) >>> 16, Math.floor((1000 * 255) / 1023), "red grows to the right");
});

test("the file client creates, writes, reads back and stats a file through the file service", () => {
  const { machine, out } = runToEnd([bin("native-fileclient")]);
  assert.equal(machine.exitStatus, 0, out.stderr);
  assert.equal(
    out.stdout.replaceAll("[STDOUT PID=1] ", ""),
    [
      "open /tmp/native-notes.txt -> fd 3", "write 10000 bytes -> 10000", "fstat -> 0, size 10000, mode 100644", "lseek 0 -> 0",
      "read back 10000 bytes: identical", "close -> 0, close again -> -9", "open /no/such/file -> -2", "",
    ].join("\n"),
  );
  assert.equal(machine.roottask.fileServer.stat(0, -100, "/tmp/native-notes.txt", true) !== null, true);
});

test("the hybrid app printf()s through Linux and calls roottask services and hypercalls with NSCT set", () => {
  const { machine, out } = runToEnd([bin("hybrid-hello")]);
  assert.equal(machine.exitStatus, 0, out.stderr);
  assert.equal(
    out.stdout,
    [
      `hybrid: hello from printf (a foreign syscall), argv[0]=${bin("hybrid-hello")}`,
      "[STDOUT PID=1000] hybrid: hello from the native stdout service (cpu 0 of 1)",
      "hybrid: create_sm=0 sm_down=0 pt_ctrl(on a semaphore)=4",
      `hybrid: drew a 1024x768 xor pattern into the framebuffer at 0x${(0x10000000000 + machine.framebuffer.physAddr).toString(16)}`,
      "",
    ].join("\n"),
  );
  assert.match(out.serial, /\[ INFO\] \[LOG PID=1000\] hybrid app says hi on the roottask log\n/);
  const stats = machine.stats();
  assert.ok((stats.hypercalls.call ?? 0) >= 4, "service calls are native portal calls");
  assert.ok(Object.values(stats.foreignSyscalls).reduce((a, b) => a + b, 0) > 0, "printf makes foreign syscalls");
  const fb = machine.framebuffer;
  assert.equal(fb.pixels[32], 0x2040c0);
  assert.equal(fb.pixels[0], 0);
});

test("the launcher starts two children through the process service and waits for their statuses", () => {
  const { machine, out } = runToEnd([bin("native-launcher")]);
  assert.equal(machine.exitStatus, 0, out.stderr);
  assert.equal(
    out.stdout,
    [
      "[STDOUT PID=1] started children 2 and 3", "[STDOUT PID=2] child 3 running on CPU 0", "[STDOUT PID=3] child 5 running on CPU 0",
      "[STDOUT PID=1] child 2 exited with 3, child 3 exited with 5", "[STDOUT PID=1] wait for a non-child -> -10, start of a missing file -> -2", "",
    ].join("\n"),
  );
  assert.deepEqual([...machine.roottask.processes.procs.values()].map((p) => [p.pid, p.ppid, p.kind, p.exitStatus]), [
    [1, 0, "native", 0], [2, 1, "native", 3], [3, 1, "native", 5],
  ]);
});

test("isolation from inside a PD: undelegated selectors, missing rights, and revocation taking effect at once", () => {
  const { machine, out } = runToEnd([bin("native-isolation")]);
  const lines = out.stdout.trimEnd().split("\n");
  assert.equal(lines.length, 21);
  assert.deepEqual(lines.filter((l) => l.includes("UNEXPECTED")), []);
  assert.match(out.stdout, /alias reads 0x1234 \(the same frame\)/);
  assert.match(out.stdout, /sm_down through the revoked copy \(BAD_CAP, at once\): 4\n/);
  // The last step reads the revoked alias: the page is gone at once, so the roottask kills the app.
  assert.equal(machine.exitStatus, 128 + 11);
  assert.match(machine.stopReason ?? "", /killed by SIGSEGV: page fault \(read, page not present\) at 0x500000000/);
});

test("a boot config runs native, hybrid and Linux modules side by side, each with its detected kind", () => {
  const { machine, out } = runToEnd(["--cpus", "2", "--boot", BOOT_DEMOS]);
  assert.equal(machine.stopReason, null);
  const procs = [...machine.roottask.processes.procs.values()];
  assert.deepEqual(procs.map((p) => [p.name, p.kind, p.cpu, p.exitStatus]), [
    ["native-hello", "native", 0, 0], ["native-painter", "native", 1, 0], ["hybrid-hello", "hybrid", 0, 0], ["linux-hello", "foreign", 1, 1 /* argc */],
  ]);
  assert.match(out.stdout, /\[STDOUT PID=1\] argc=5 argv\[0\]=native-hello cpu=0 of 2/);
  assert.match(out.stdout, /\[STDOUT PID=2\] painted/);
  assert.match(out.stdout, /hybrid: drew a 1024x768 xor pattern/);
  assert.match(out.stdout, /Hello from a static Linux binary on Hedron!/);
});

test("--kind overrides detection; --boot adds the command-line ELF last; bad configs are one clear error", () => {
  const o = parseRunOptions(["--kind", "hybrid", "--boot", BOOT_DEMOS, bin("hello"), "x"]);
  const config = machineConfig(o);
  assert.deepEqual(config.modules.map((m) => [m.name, m.kind]), [
    ["native-hello", "native"], ["native-painter", "native"], ["hybrid-hello", "hybrid"], ["linux-hello", "foreign"], ["hello", "hybrid"],
  ]);
  assert.deepEqual(config.modules[4].argv, [bin("hello"), "x"]);
  assert.throws(() => parseRunOptions(["--kind", "alien", bin("hello")]), /--kind takes native, foreign or hybrid/);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "hedron-boot-"));
  try {
    const write = (name: string, data: string) => (fs.writeFileSync(path.join(dir, name), data), path.join(dir, name));
    assert.throws(() => parseRunOptions(["--boot", write("a.json", "{}")]), /a non-empty JSON array/);
    assert.throws(() => parseRunOptions(["--boot", write("b.json", '[{"name": "x"}]')]), /module 0 needs a "path"/);
    assert.throws(() => parseRunOptions(["--boot", write("c.json", '[{"path": "x", "kind": "alien"}]')]), /"kind" must be/);
    const twice = write("d.json", JSON.stringify([{ path: bin("hello") }, { path: bin("hello") }]));
    assert.throws(() => machineConfig(parseRunOptions(["--boot", twice])), /two modules are named 'hello'/);
    const missing = write("e.json", '[{"path": "nothing-here"}]');
    assert.throws(() => machineConfig(parseRunOptions(["--boot", missing])), /nothing-here: no such file/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test("determinism: two runs with 2 virtual CPUs give identical event streams and output", () => {
  const once = () => {
    const { machine, out } = boot(["--cpus", "2", "--boot", BOOT_DEMOS, bin("native-pingpong")]);
    const events: Omit<MachineEvent, "hostNs">[] = [];
    machine.onEvent(({ hostNs: _, ...rest }) => events.push(rest));
    assert.equal(machine.run(500_000_000), "halted");
    return { events, out: out.stdout, vcycles: machine.vcycles, icount: machine.icount };
  };
  const a = once();
  const b = once();
  assert.ok(a.events.length > 1000, `${a.events.length} events`);
  assert.ok(new Set(a.events.map((e) => e.cpu)).size === 2, "both CPUs ran");
  assert.deepEqual(b.events, a.events);
  assert.equal(b.out, a.out);
  assert.deepEqual([b.vcycles, b.icount], [a.vcycles, a.icount]);
});
