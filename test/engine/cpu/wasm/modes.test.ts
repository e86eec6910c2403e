// WebAssembly regions against the interpreter, instruction by instruction: what the region compiler emits itself
// (SSE scalar arithmetic kept under sticky PE, the x87 and its hand-overs to f80.ts, one-operand mul, bit scans, string moves, pushes, conditions, the lazy flags kept in
// locals and patched or materialised by the helpers) must leave exactly the interpreter's state, undefined flags
// included. The differential suite checks both against the host, but meets these forms in the WebAssembly mode only a
// few times per run. The data page is in the TLB before the compiled run, so memory forms run compiled too.

import { test } from "node:test";
import assert from "node:assert/strict";
import { generateCases, runEngine } from "../diff-gen.ts";

const FORMS = /^(addsd|subsd|mulsd|divsd|addss|subss|mulss|divss|f[a-z0-9]+|mul|not|xchg|movups|movupd|movdq[au]|movntp[sd]|cvtsi2sd|movsd|movss|movq|movapd|movaps|pxor|por|pand|pandn|bsf|bsr|tzcnt|lzcnt|popcnt|push|movs[bwdq]?|stos[bwdq]?|rep movs[bwdq]?|rep stos[bwdq]?|set[a-z]+|cmov[a-z]+|j[a-z]+|adc|sbb|rol|ror|inc|dec|neg|shl|shr|sar|imul) /;

test("WebAssembly regions leave exactly the interpreter's state for the forms they compile", () => {
  const cases = generateCases(9000, 11, FORMS);
  assert.ok(cases.length === 9000);
  const failures: string[] = [];
  for (const c of cases) {
    const interpreted = runEngine(c, Infinity, Infinity, false);
    const compiled = runEngine(c, 0, 1, true, true);
    try {
      assert.deepEqual(compiled, interpreted);
    } catch {
      if (failures.length < 10) failures.push(`${c.row.mn} ${c.row.form} ${Buffer.from(c.code).toString("hex")}`);
    }
  }
  assert.deepEqual(failures, []);
});
