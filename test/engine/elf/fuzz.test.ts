// 10^4 mutated ELF headers and program headers (seeded, the same every run): every one parses to an ElfError
// sentence or loads, and a sample boots and runs; none ends in an engine exception or a hang (`npm run fuzz` for more).

import assert from "node:assert/strict";
import { test } from "node:test";
import { fuzzElf } from "./elf-fuzz.ts";

test("10^4 mutated ELF headers: only ElfError sentences or clean runs, no internal error, no hang", () => {
  const result = fuzzElf(10_000, 1, 40);
  assert.deepEqual(result.findings.map((f) => `case ${f.case} (${f.stage}): ${f.error}`), []);
  // The mutants reach every stage: parse failures, loads and real runs.
  assert.ok(result.parsed > 2_000 && result.parsed < 9_000, `parsed ${result.parsed}`);
  assert.ok(result.ran >= 50, `ran ${result.ran}`);
});
