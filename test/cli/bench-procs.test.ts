// `hedron-lab bench procs` through the real CLI: every operation measured in the lab (virtual cycles, host µs) beside
// native Linux and qemu-x86_64 in the same run, as JSON and as the printed table.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { test } from "node:test";
import { runLab } from "../helpers/run.ts";

const native = process.platform === "linux" && process.arch === "x64";
const qemu = spawnSync("sh", ["-c", "command -v qemu-x86_64"]).status === 0;

test("bench procs --json measures all six operations in every runner available", () => {
  const r = runLab(["bench", "procs", "--scale", "0.02", "--json"]);
  assert.equal(r.status, 0, r.stderr.toString());
  const { rows } = JSON.parse(r.stdout.toString()) as { rows: { op: string; nativeUs: number | null; qemuUs: number | null; labVirtualCycles: number; labHostUs: number }[] };
  assert.deepEqual(rows.map((x) => x.op), ["fork", "exec", "pipe", "futex", "futex-contended", "thread"]);
  for (const row of rows) {
    assert.ok(row.labVirtualCycles > 0, `${row.op}: no virtual cycles`);
    assert.ok(row.labHostUs >= 0);
    if (native) assert.ok(row.nativeUs !== null && row.nativeUs > 0, `${row.op}: no native figure`);
    if (qemu) assert.ok(row.qemuUs !== null && row.qemuUs > 0, `${row.op}: no qemu figure`);
  }
  // A fork costs more virtual cycles than a futex wake (it creates a PD, an EC and an SC and copies memory).
  assert.ok(rows[0].labVirtualCycles > 10 * rows[3].labVirtualCycles);
});

test("bench procs refuses a bad --scale with a one-line usage error", () => {
  const r = runLab(["bench", "procs", "--scale", "0"]);
  assert.equal(r.status, 2);
  assert.match(r.stderr.toString(), /--scale takes a number above 0/);
});
