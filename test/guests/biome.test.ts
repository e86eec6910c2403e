// A Rust static-PIE from npm: Biome (@biomejs/cli-linux-x64-musl) formats a small JavaScript file in the lab exactly
// as it does natively — jemalloc, rayon's thread pool, membarrier, and memory operands whose scaled index wraps.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { it } from "node:test";
import { canRunNatively, ROOT, runLab, runNative } from "../helpers/run.ts";

const BIOME = path.join(ROOT, "node_modules/@biomejs/cli-linux-x64-musl/biome");
const skip = !fs.existsSync(BIOME) ? "@biomejs/cli-linux-x64-musl is not installed (an optional dependency npm skips on a glibc host; .ci/run unpacks it)" : !canRunNatively ? "needs an x86-64 Linux host" : false;
const SOURCE = "const  a = {b:1,\n c:[1,2,3]}\nfunction f( x ){return x*2}\nexport default   f\n";

it("biome format prints a JavaScript file from stdin formatted as natively", { skip }, () => {
  const native = runNative(BIOME, ["format", "--stdin-file-path=in.js"], {}, SOURCE);
  const lab = runLab(["run", "--clear-env", BIOME, "format", "--stdin-file-path=in.js"], SOURCE);
  assert.equal(native.status, 0, native.stderr.toString());
  assert.equal(lab.stderr.toString(), native.stderr.toString(), "stderr differs");
  assert.equal(lab.stdout.toString(), native.stdout.toString(), "stdout differs");
  assert.equal(lab.status, native.status);
});

it("biome format reports an unformatted file on a --mount'ed folder as natively (the elapsed time aside)", { skip }, () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "hedron-biome-"));
  try {
    fs.writeFileSync(path.join(dir, "in.js"), SOURCE);
    // The folder appears at the same path in the lab and both run in "/" (the lab's working directory), so the
    // diagnostics name the same file.
    const run = spawnSync(BIOME, ["format", "--colors=off", path.join(dir, "in.js")], { cwd: "/", env: {} });
    const native = { stdout: run.stdout, stderr: run.stderr, status: run.status };
    const lab = runLab(["run", "--clear-env", "--mount", `${dir}:${dir}`, BIOME, "format", "--colors=off", path.join(dir, "in.js")]);
    const timeless = (b: Buffer) => b.toString().replace(/ in [0-9.]+(ns|µs|ms|s)\./g, " in TIME.");
    assert.equal(native.status, 1, "an unformatted file is an error");
    assert.match(timeless(native.stderr), /Formatter would have printed the following content/);
    assert.equal(timeless(lab.stderr), timeless(native.stderr), "stderr differs");
    assert.equal(lab.stdout.toString(), native.stdout.toString(), "stdout differs");
    assert.equal(lab.status, native.status);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
