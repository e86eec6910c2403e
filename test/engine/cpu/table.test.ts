// The interpreter dispatches on literal uop numbers (V8 builds a jump table only for literal cases); this pins
// each `case N: // NAME` label to table.ts, and checks that every uop and every table row has a handler.

import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { ROWS, S, U, X } from "../../../engine/cpu/table.ts";

const source = readFileSync(new URL("../../../engine/cpu/interp.ts", import.meta.url), "utf8");

/** [uop numbers, names from the comment] of every `case N: ... // NAME, NAME` line. */
function caseLabels(): [number[], string[]][] {
  const out: [number[], string[]][] = [];
  for (const line of source.split("\n")) {
    const m = /^\s*((?:case \d+: )+)(?:\{ )?\/\/ (.*)$/.exec(line);
    if (!m) continue;
    const nums = [...m[1].matchAll(/case (\d+):/g)].map((x) => Number(x[1]));
    const names = m[2].split(/[:(]/)[0].split(",").map((t) => t.trim().split(/\s/)[0]);
    out.push([nums, names]);
  }
  return out;
}

test("every literal case label in interp.ts names the uop with that number", () => {
  const labels = caseLabels();
  assert.ok(labels.length > 50);
  for (const [nums, names] of labels) {
    nums.forEach((n, k) => {
      const name = names[Math.min(k, names.length - 1)];
      assert.equal((U as Record<string, number>)[name], n, `case ${n} is labelled ${name}`);
    });
  }
});

test("every uop has exactly one handler", () => {
  const handled = caseLabels().flatMap(([nums]) => nums).sort((a, b) => a - b);
  assert.deepEqual(handled, Object.values(U).sort((a, b) => a - b));
});

test("table rows use known uops and sub-operations", () => {
  const uops = new Set<number>(Object.values(U));
  const sse = new Set<number>(Object.values(S));
  const x87 = new Set<number>(Object.values(X));
  for (const row of ROWS) {
    assert.ok(uops.has(row.ex), `${row.mn}: uop ${row.ex}`);
    if (row.ex === U.SSE) assert.ok(sse.has(row.ext), `${row.mn}: SSE sub-op ${row.ext}`);
    if (row.ex === U.X87) assert.ok(x87.has(row.ext), `${row.mn}: x87 sub-op ${row.ext}`);
  }
});
