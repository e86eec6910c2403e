// The Costs view's numbers from a real bundled recording: every forwarded Linux syscall is one foreign call,
// and each call's breakdown adds up to its call-to-reply time.

import assert from "node:assert/strict";
import { resolve } from "node:path";
import { test } from "node:test";
import { Recording } from "../../engine/record/recording.ts";
import { costReport } from "../../main/costs.ts";

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
