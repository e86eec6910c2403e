// Differential test against the host CPU: 10,000 cases (fixed seed) drawn from every row of the instruction table —
// register and memory forms, all operand sizes, random operands, flags, XMM and x87 state — run natively and in the engine
// in turn in every JIT mode (interpreter, blocks, regions in JavaScript and in WebAssembly).

import { after, test } from "node:test";
import assert from "node:assert/strict";
import { buildHarness, differentialRows, runDifferential } from "./diff-gen.ts";

const { path: harness, cleanup } = buildHarness();
after(cleanup);

test("10,000 generated instructions agree with the host CPU (GPRs, defined flags, memory, XMM, MXCSR, x87)", { skip: !harness && "needs gcc on an x86-64 Linux host" }, () => {
  const rep = runDifferential(harness!, 10_000, 20261123);
  assert.equal(rep.cases, 10_000);
  assert.equal(rep.rowsCovered, differentialRows().length, "every table row is exercised");
  const summary = [...rep.byMnemonic].map(([k, n]) => `${k}: ${n}`).join(", ");
  assert.deepEqual(rep.failures.slice(0, 5), [], `mismatches by form: ${summary}`);
});
