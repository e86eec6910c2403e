// The machine refuses configurations it cannot run (from recordings or host APIs, which skip the CLI's flag checks)
// with one sentence naming the valid range, before anything boots.

import assert from "node:assert/strict";
import fs from "node:fs";
import { test } from "node:test";
import { Machine, MachineConfigError, type MachineConfig } from "../../engine/machine.ts";

const hello = new Uint8Array(fs.readFileSync(new URL("../../engine/guests/bin/hello", import.meta.url)));
const config = (change: Partial<MachineConfig>): MachineConfig => ({
  modules: [{ name: "hello", bytes: hello, kind: "foreign", argv: ["hello"] }], env: [], cpus: 1, memoryMiB: 64, seed: 1, strict: false,
  mounts: [], readStdin: () => new Uint8Array(0), ...change,
});

test("memoryMiB = 1 is refused up front with the valid range, not at boot", () => {
  assert.throws(() => new Machine(config({ memoryMiB: 1 })), (e: Error) => e instanceof MachineConfigError && e.message === "guest memory must be 16 to 4096 MiB, not 1");
  assert.throws(() => new Machine(config({ memoryMiB: 4097 })), MachineConfigError);
  assert.throws(() => new Machine(config({ memoryMiB: 16.5 })), MachineConfigError);
});

test("the smallest accepted memory boots and runs the guest", () => {
  const machine = new Machine(config({ memoryMiB: 16 }));
  machine.onConsole(() => {});
  while (machine.run(1e7) === "budget");
  assert.equal(machine.stopReason, null);
  assert.equal(machine.exitStatus, 1);
});

test("a file-system quota that cannot hold the boot modules is refused up front", () => {
  assert.throws(() => new Machine(config({ fsQuotaMiB: 0 })), MachineConfigError);
  assert.throws(() => new Machine(config({ modules: [{ name: "big", bytes: new Uint8Array(3 << 20), kind: "foreign", argv: ["big"] }], fsQuotaMiB: 2 })), /do not fit in the file-system quota of 2 MiB/);
});
