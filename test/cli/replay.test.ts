// `hedron-lab replay --to N` lands on exactly instruction N, not at the end of the block N falls in, and reads only
// the chunks after its snapshot.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { test } from "node:test";
import { ROOT } from "../helpers/run.ts";

const CLI = join(ROOT, "bin/hedron-lab.js");
const HELLO = join(ROOT, "recordings/hello.hlrec");

test("replay --to N stops at exactly instruction N; --state shows the machine there", () => {
  for (const to of [1, 4321, 6257, 8000]) {
    const r = spawnSync(process.execPath, [CLI, "replay", "--to", String(to), HELLO], { encoding: "utf8" });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stderr.trimEnd().split("\n").at(-1), `hedron-lab: replayed to instruction ${to.toLocaleString("en-US")}`);
  }
  const state = spawnSync(process.execPath, [CLI, "replay", "--to", "4321", "--state", HELLO], { encoding: "utf8" });
  assert.equal(JSON.parse(state.stdout).icount, 4321);
});
