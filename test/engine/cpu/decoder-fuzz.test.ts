// The decoder against iced-x86 on 10^6 random byte strings (fixed seed) and every instruction of the committed guests:
// every encoding the engine accepts must be valid for iced with the same length. More: npm run test:diff -- --decoder N.

import { test } from "node:test";
import assert from "node:assert/strict";
import { checkGuests, checkRandom, type DecoderReport } from "./decoder-fuzz.ts";

test("decoder agrees with iced-x86 on 1,000,000 random byte strings (seed 1) on length and validity", () => {
  const rep: DecoderReport = { checked: 0, supported: 0, mismatches: [] };
  checkRandom(1_000_000, 1, rep);
  assert.equal(rep.checked, 1_000_000);
  assert.ok(rep.supported > 400_000, `only ${rep.supported} strings decode to supported instructions`);
  assert.deepEqual(rep.mismatches.slice(0, 10), [], `${rep.mismatches.length} disagreements`);
});

test("decoder agrees with iced-x86 on every instruction of the committed guests", () => {
  const rep: DecoderReport = { checked: 0, supported: 0, mismatches: [] };
  checkGuests(rep);
  assert.ok(rep.checked > 100_000, `only ${rep.checked} guest instructions`);
  assert.deepEqual(rep.mismatches.slice(0, 10), [], `${rep.mismatches.length} disagreements`);
});
