// Exports: CSV that a spreadsheet reads back field for field, Chrome trace JSON with one track per PD/EC.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { TSC_KHZ } from "../../../engine/hedron/costs.ts";
import { exportChromeTrace, exportCsv } from "../../../engine/record/export.ts";
import { Recording } from "../../../engine/record/recording.ts";
import { RecordingWriter } from "../../../engine/record/writer.ts";
import { session, writeSample } from "./sample.ts";

const dir = mkdtempSync(join(tmpdir(), "hedron-export-"));
const path = join(dir, "sample.hlrec");
writeSample(path, true);

/** RFC 4180 parser: enough to prove the export is well-formed. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = "";
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') { field += '"'; i++; }
      else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ",") { row.push(field); field = ""; }
    else if (c === "\r" && text[i + 1] === "\n") { row.push(field); rows.push(row); row = []; field = ""; i++; }
    else field += c;
  }
  assert.equal(field, "", "CSV must end with a line break");
  return rows;
}

test("CSV export has a header and one row per event, quoted fields read back exactly", () => {
  const rec = Recording.open(path);
  const parts: string[] = [];
  const n = exportCsv(rec, (s) => parts.push(s));
  rec.close();
  assert.equal(n, 5000);
  const rows = parseCsv(parts.join(""));
  assert.deepEqual(rows[0], ["icount", "vcycles", "host_ns", "kind", "cpu", "pd", "ec", "name", "args", "result", "cost", "call_id"]);
  assert.equal(rows.length, 5001);
  assert.deepEqual(rows[6], ["500", "650", "5000", "foreign_syscall", "0", "2", "11", "write", 'fd=1, "x5"', "2", "40", ""]);
  assert.equal(rows[11][11], "1");
});

test("CSV export defuses guest text a spreadsheet would run as a formula", () => {
  const p = join(dir, "formula.hlrec");
  const w = new RecordingWriter(p, session, new Map());
  w.add({ kind: "foreign_syscall", icount: 1, vcycles: 1, hostNs: 1, cpu: 0, pd: 1, ec: 1, name: "open", args: "=HYPERLINK(\"x\")", result: "-ENOENT", cost: 1 });
  w.chunk(0, 2, 2, [], "hash", null);
  w.finish({ icount: 2, vcycles: 2, exitStatus: 0, stopReason: "exit" });
  w.close();
  const rec = Recording.open(p);
  const parts: string[] = [];
  exportCsv(rec, (s) => parts.push(s));
  rec.close();
  const row = parseCsv(parts.join(""))[1];
  assert.equal(row[8], "'=HYPERLINK(\"x\")");
  assert.equal(row[9], "'-ENOENT");
});

test("Chrome trace export: valid JSON, a named track per PD and EC, portal calls as slices from call to reply", () => {
  const rec = Recording.open(path);
  const parts: string[] = [];
  const n = exportChromeTrace(rec, (s) => parts.push(s));
  rec.close();
  assert.equal(n, 5000);
  const trace = JSON.parse(parts.join("")) as { traceEvents: Record<string, unknown>[]; otherData: Record<string, unknown> };
  assert.equal(trace.otherData.guest, "hello");
  const ev = trace.traceEvents;
  const names = ev.filter((e) => e.ph === "M" && e.name === "process_name").map((e) => (e.args as { name: string }).name).sort();
  assert.deepEqual(names, ["PD 1", "PD 2"]);
  const threads = ev.filter((e) => e.ph === "M" && e.name === "thread_name").map((e) => `${e.pid}/${e.tid}`).sort();
  assert.deepEqual(threads, ["1/10", "2/11"]);
  const slices = ev.filter((e) => e.ph === "X");
  assert.equal(slices.length, 500);
  // Call i*10 at vcycles i*10*130 on PD 1 / EC 10, its reply one event later at +130 cycles.
  const third = slices[3];
  assert.equal(third.pid, 1);
  assert.equal(third.tid, 10);
  assert.equal(third.ts, (30 * 130) / (TSC_KHZ / 1000));
  assert.equal(third.dur, (31 * 130) / (TSC_KHZ / 1000) - (30 * 130) / (TSC_KHZ / 1000));
  assert.equal(ev.filter((e) => e.ph === "i").length, 4000);
  for (const e of ev) assert.equal(typeof e.pid, "number");
});
