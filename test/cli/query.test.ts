// `hedron-lab query`: read-only SQL over a recording's views; syscall counts equal `run --stats`, writes are refused.

import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { GUEST_BIN, ROOT } from "../helpers/run.ts";

const CLI = join(ROOT, "bin/hedron-lab.js");
const lab = (...args: string[]) => spawnSync(process.execPath, [CLI, ...args], { encoding: "utf8", env: { PATH: process.env.PATH ?? "" } });

test("a query counting syscalls by name equals the run's --stats foreignSyscalls", () => {
  const dir = mkdtempSync(join(tmpdir(), "hedron-query-"));
  try {
    // The bundled recording of the same guest: the run is deterministic, so its counts are the run's.
    const file = join(ROOT, "recordings", "fileio.hlrec");
    const stats = JSON.parse(lab("run", "--stats", join(GUEST_BIN, "fileio")).stderr.trim().split("\n").at(-1)!);
    const out = lab("query", "--json", file, "SELECT name, count(*) AS n FROM syscalls GROUP BY name");
    assert.equal(out.status, 0, out.stderr);
    const { columns, rows } = JSON.parse(out.stdout) as { columns: string[]; rows: [string, number][] };
    assert.deepEqual(columns, ["name", "n"]);
    assert.deepEqual(Object.fromEntries(rows), stats.foreignSyscalls);
    const csv = lab("query", file, "SELECT pid, name, exit FROM processes");
    assert.equal(csv.stdout, "pid,name,exit\n1000,fileio,status 0\n"); // a Linux program is pid 1000 by default
    const calls = lab("query", "--json", file, "SELECT count(*) FROM portal_calls WHERE reply_seq IS NULL");
    assert.deepEqual(JSON.parse(calls.stdout).rows, [[0]]);
    for (const sql of ["DELETE FROM events", `ATTACH '${join(dir, "x.db")}' AS x`, "SELECT * FROM session"]) {
      const refused = lab("query", file, sql);
      assert.equal(refused.status, 2, sql);
      assert.match(refused.stderr, /^hedron-lab: (only read-only|the query does not compile)/);
      assert.doesNotMatch(refused.stderr, /\n\s+at /);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("a missing or foreign file is one line with exit 66 / 65, in query as in info, replay and replay --gdb", () => {
  const dir = mkdtempSync(join(tmpdir(), "hedron-query-"));
  try {
    const junk = join(dir, "junk.hlrec");
    writeFileSync(junk, "not a recording\n");
    for (const command of [["query", join(dir, "missing.hlrec"), "SELECT 1"], ["replay", join(dir, "missing.hlrec"), "--gdb", "0"], ["info", join(dir, "missing.hlrec")]]) {
      const r = lab(...command);
      assert.equal(r.status, 66, command.join(" "));
      assert.equal(r.stderr, `hedron-lab: ${join(dir, "missing.hlrec")}: no such recording file\n`);
    }
    const foreign = lab("query", junk, "SELECT 1");
    assert.equal(foreign.status, 65);
    assert.match(foreign.stderr, /^hedron-lab: .*junk\.hlrec: not a Hedron Lab recording .*\n$/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
