// The Costs view's numbers from a real bundled recording: every forwarded Linux syscall is one foreign call,
// and each call's breakdown adds up to its call-to-reply time.

import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { test } from "node:test";
import { Recording } from "../../engine/record/recording.ts";
import { costReport, readNativeLinux } from "../../main/costs.ts";

test("forwarded syscalls are grouped per syscall on the foreign path, with breakdowns that add up", () => {
  const rec = Recording.open(resolve(import.meta.dirname, "../../recordings/fileio.hlrec"));
  try {
    const report = costReport("bundled:fileio.hlrec", rec);
    const syscalls = new Map<string, number>();
    for (const e of rec.eachEvent()) if (e.kind === "foreign_syscall") syscalls.set(e.name, (syscalls.get(e.name) ?? 0) + 1);
    const foreign = report.rows.filter((r) => r.path === "foreign");
    assert.deepEqual(new Map(foreign.map((r) => [r.kind.replace(/^linux:/, ""), r.count])), syscalls);
    for (const row of report.rows) {
      assert.equal(row.vcycles.length, Math.min(row.count, 2000));
      const mean = row.vcycles.reduce((a, b) => a + b, 0) / row.vcycles.length;
      const parts = Object.values(row.breakdown).reduce((a, b) => a + b, 0);
      assert.ok(Math.abs(parts - mean) < 1e-6 * Math.max(1, mean), `${row.kind}: parts ${parts} vs mean ${mean}`);
      assert.ok(row.vcycles.every((v) => v > 0));
    }
  } finally {
    rec.close();
  }
});

test("the native Linux column comes from the first bench-syscalls JSON file that exists", () => {
  const dir = mkdtempSync(join(tmpdir(), "hedron-lab-costs-"));
  try {
    const missing = join(dir, "none.json");
    const file = join(dir, "bench-syscalls.json");
    assert.deepEqual(readNativeLinux([missing, file]), { values: {}, services: [], file: missing, found: false });
    writeFileSync(file, JSON.stringify({ host: "x", rows: [{ syscall: "getpid", nativeLinux: 98.5 }, { syscall: "write", nativeLinux: null }] }));
    const found = readNativeLinux([missing, file]);
    assert.deepEqual(found, { values: { getpid: 98.5 }, services: [], file, found: true });
    const rec = Recording.open(resolve(import.meta.dirname, "../../recordings/fileio.hlrec"));
    try {
      const report = costReport("bundled:fileio.hlrec", rec, found);
      assert.deepEqual(report.nativeLinux, { getpid: 98.5 });
      assert.deepEqual(report.nativeLinuxFile, { path: file, found: true });
    } finally {
      rec.close();
    }
    // Service rows: the same call through the personality and the SDK path; rows missing a lab figure are left out.
    writeFileSync(file, JSON.stringify({ rows: [
      { row: "TCP send, 64 B (loopback)", syscall: "sendto", service: "net", nativeLinux: 5887, labForeign: 1667, labNative: 1425 },
      { row: "file read, 4 KiB (lab: FAT at /disk)", syscall: null, service: "disk", nativeLinux: null, labForeign: 2174, labNative: 3316 },
      { row: "broken", syscall: null, service: "disk", nativeLinux: null, labForeign: null, labNative: 1 },
    ] }));
    const services = readNativeLinux([file]);
    assert.deepEqual(services.values, { sendto: 5887 });
    assert.deepEqual(services.services, [
      { row: "TCP send, 64 B (loopback)", service: "net", linux: 1667, native: 1425, nativeLinux: 5887 },
      { row: "file read, 4 KiB (lab: FAT at /disk)", service: "disk", linux: 2174, native: 3316, nativeLinux: null },
    ]);
    writeFileSync(file, "{ not json");
    assert.throws(() => readNativeLinux([file]), /bench syscalls --json/);
    writeFileSync(file, JSON.stringify({ columns: [] }));
    assert.throws(() => readNativeLinux([file]), /no "rows" array/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
