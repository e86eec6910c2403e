// Calibration: the bench guests, timing themselves with rdtsc in the lab, land within 25 % of every HEDRON.md §9 figure,
// and the per-kind cost breakdown of --stats adds up to the figures the guests measure.

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { test } from "node:test";
import { deviations, measureSyscalls } from "../../../engine/cli/bench-syscalls.ts";
import { FOREIGN_PATH, MEDIATOR_IPC, THESIS } from "../../../engine/hedron/costs.ts";
import { Machine } from "../../../engine/machine.ts";

const bench = measureSyscalls({ rounds: 200, hostRounds: null });

test("every lab column lands within 25 % of the thesis figure beside it", () => {
  const all = deviations(bench);
  // 3 Linux rows × (foreign, + mediator) and 3 native rows.
  assert.equal(all.length, 9);
  for (const d of all) assert.ok(Math.abs(d.deviation) <= 0.25, `${d.row}, ${d.column}: ${d.lab} vs ${d.thesis}`);
});

test("the guest-measured figures are the modelled paths plus only the few instructions between the two rdtsc", () => {
  const row = (name: string) => bench.rows.find((r) => r.row === name)!;
  for (const name of ["set_tid_address", "fstat", "open"] as const) {
    const overhead = row(name).labForeign! - THESIS.linux[name].foreign;
    assert.ok(overhead >= 0 && overhead < 30, `${name}: ${overhead} cycles beyond the model`);
    assert.equal(row(name).labForeignMediator! - row(name).labForeign!, MEDIATOR_IPC);
  }
  assert.ok(row("raw hypercall (pt_ctrl)").labNative! - THESIS.hypercallNative < 30);
  assert.ok(row("IPC call+reply, same PD").labNative! - THESIS.ipcSamePd < 30);
  assert.ok(Math.abs(row("IPC call+reply, across PDs").labNative! - THESIS.ipcCrossPd) < 30);
});

test("--stats costsByKind: a forwarded fstat splits into the parts of its §9 figure, counted once per call", () => {
  const elf = readFileSync(resolve(import.meta.dirname, "../../../engine/guests/bin/syscall-bench"));
  const m = new Machine({
    modules: [{ name: "syscall-bench", bytes: elf, kind: "foreign", argv: ["syscall-bench", "50", "5"] }],
    env: [], cpus: 1, memoryMiB: 64, seed: 1, strict: false, mounts: [], readStdin: () => new Uint8Array(0),
  });
  assert.equal(m.run(), "halted");
  const stats = m.stats();
  for (const key of ["instructions", "vcycles", "portalCalls", "foreignSyscalls", "hypercalls", "costs", "costTable"]) assert.ok(key in stats, key);
  const fstat = stats.costsByKind["linux:fstat"];
  assert.equal(fstat.count, stats.foreignSyscalls.fstat);
  assert.equal(fstat.count, 55);
  assert.equal(Object.values(fstat.perCall).reduce((a, b) => a + b, 0), THESIS.linux.fstat.foreign);
  assert.equal(fstat.perCall["kernel entry/exit"] + fstat.perCall.IPC, FOREIGN_PATH);
  assert.equal(fstat.total, fstat.count * THESIS.linux.fstat.foreign);
  assert.equal(stats.costsByKind["linux:open"].perCall["personality work"], THESIS.linux.open.foreign - FOREIGN_PATH);
});
