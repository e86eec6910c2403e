// The Machine view's PD kinds come from the kernel's PD flags, not from how a module was booted: a foreign PD
// turns hybrid once its EC makes a native call with NSCT set; the lab keeps the linear framebuffer up once drawn; the PD
// table names each process's parent and threads.

import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { Machine } from "../../engine/machine.ts";
import { framebufferUsed, pdsOf, screenOf } from "../../main/inspect.ts";
import type { PdInfo, PdKind } from "../../main/protocol.ts";

const BIN = join(import.meta.dirname, "../../engine/guests/bin");

function boot(guest: string, kind: "foreign" | "native" | "hybrid"): Machine {
  return new Machine({
    modules: [{ name: guest, bytes: readFileSync(join(BIN, guest)), kind, argv: [guest] }],
    env: [], cpus: 1, memoryMiB: 64, seed: 1, strict: false, mounts: [], readStdin: () => new Uint8Array(0),
  });
}

/** Runs in small slices and lists the kinds the live app PD showed, until `done` says stop or the machine halts.
 *  Only a live PD counts (it has ECs): an exited one shows the kind its process was started as. */
function kindsOver(machine: Machine, guest: string, done: (kinds: PdKind[]) => boolean): PdKind[] {
  const seen = new Map<number, PdKind>();
  const kinds: PdKind[] = [];
  for (let slice = 0; slice < 5000 && !done(kinds); slice++) {
    const halted = machine.run(100) === "halted";
    const app = pdsOf(machine, seen).find((pd) => pd.name === guest && pd.ecs.length > 0);
    if (app && kinds.at(-1) !== app.kind) kinds.push(app.kind);
    if (halted) break;
  }
  return kinds;
}

test("a Linux program booted as foreign shows as hybrid once it makes a native call with NSCT set", () => {
  const machine = boot("hybrid-hello", "foreign");
  const kinds = kindsOver(machine, "hybrid-hello", (k) => k.includes("hybrid"));
  assert.deepEqual(kinds, ["foreign", "hybrid"]);
});

test("a plain Linux program stays foreign and a native app is native", () => {
  assert.deepEqual(kindsOver(boot("hello", "foreign"), "hello", () => false), ["foreign"]);
  assert.deepEqual(kindsOver(boot("native-hello", "native"), "native-hello", () => false), ["native"]);
});

test("the screen switches to the linear framebuffer once a painter has drawn, and stays after it exits", () => {
  const machine = boot("native-painter", "native");
  assert.equal(framebufferUsed(machine), false);
  assert.equal(screenOf(machine, false).mode, "text");
  machine.run();
  assert.equal(machine.exitStatus, 0);
  assert.equal(framebufferUsed(machine), true);
  const screen = screenOf(machine, true);
  assert.equal(screen.mode, "linear");
  if (screen.mode === "linear") assert.ok(Buffer.from(screen.pixels, "base64").some((b) => b !== 0));
});

test("the PD table lists each process with its parent and threads, and the call a thread is blocked in", { skip: !existsSync("/bin/busybox") && "needs Debian's busybox-static" }, () => {
  const machine = new Machine({
    modules: [{ name: "sh", bytes: readFileSync("/bin/busybox"), kind: "foreign", argv: ["sh", "-c", "sleep 1; echo done"] }],
    env: ["PATH=/bin"], cpus: 1, memoryMiB: 64, seed: 1, strict: false, mounts: [], readStdin: () => new Uint8Array(0),
  });
  // Both wait at once only between two instructions (an idle machine jumps to the sleep's deadline at once): look
  // at the moment the sleep blocks.
  const seen = new Map<number, PdKind>();
  let rows: PdInfo[] = [];
  machine.onEvent((e) => {
    if (e.kind === "foreign_syscall" && e.name === "clock_nanosleep" && e.result === "<blocked>") rows = pdsOf(machine, seen);
  });
  machine.run();
  const shell = rows.find((pd) => pd.process?.pid === 1000)!;
  const sleeper = rows.find((pd) => pd.process?.ppid === 1000)!;
  assert.deepEqual(shell.process!.threads.map((t) => [t.tid, t.blockedIn]), [[1000, "wait4"]]);
  assert.deepEqual(sleeper.process!.threads.map((t) => [t.tid, t.blockedIn]), [[sleeper.process!.pid, "clock_nanosleep"]]);
  assert.equal(sleeper.process!.threads[0].ec, sleeper.ecs[0]);
  assert.equal(rows.find((pd) => pd.name === "root")!.process, null);
});

test("the PD table lists the sockets a process holds: protocol, local address, state", { skip: !existsSync("/bin/busybox") && "needs Debian's busybox-static" }, () => {
  const machine = new Machine({
    modules: [{ name: "nc", bytes: readFileSync("/bin/busybox"), kind: "foreign", argv: ["nc", "-l", "-p", "7000"] }],
    env: ["PATH=/bin"], cpus: 1, memoryMiB: 64, seed: 1, strict: false, mounts: [], readStdin: () => new Uint8Array(0),
  });
  let rows: PdInfo[] = [];
  machine.onEvent((e) => {
    if (e.kind === "foreign_syscall" && e.name === "accept" && e.result === "<blocked>") rows = pdsOf(machine, new Map());
  });
  machine.run();
  const nc = rows.find((pd) => pd.process?.pid === 1000)!;
  assert.deepEqual(nc.process!.sockets.map(({ kind, local, peer, state, queued }) => ({ kind, local, peer, state, queued })), [
    { kind: "tcp6", local: "[::]:7000", peer: "-", state: "listening", queued: 0 },
  ]);
});
