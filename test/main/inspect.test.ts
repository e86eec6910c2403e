// The Machine view's PD kinds come from the kernel's PD flags, not from how a module was booted: a foreign PD
// turns hybrid once its EC makes a native call with NSCT set; the lab keeps the linear framebuffer up once drawn.

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { Machine } from "../../engine/machine.ts";
import { framebufferUsed, pdsOf, screenOf } from "../../main/inspect.ts";
import type { PdKind } from "../../main/protocol.ts";

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
