// A Go static binary from npm: esbuild (@esbuild/linux-x64) transforms a TypeScript file on a --mount'ed folder in
// the lab exactly as it does natively — goroutines on threads, futexes, epoll, eventfd and signals underneath.
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { it } from "node:test";
import { canRunNatively, ROOT, runLab, runNative } from "../helpers/run.ts";

const ESBUILD = path.join(ROOT, "node_modules/@esbuild/linux-x64/bin/esbuild");
const skip = !fs.existsSync(ESBUILD) ? "@esbuild/linux-x64 is not installed" : !canRunNatively ? "needs an x86-64 Linux host" : false;

it("esbuild transforms a TypeScript file as natively", { skip }, () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "hedron-esbuild-"));
  try {
    const source = "interface P { x: number }\nexport const norm = (p: P): number => Math.abs(p.x) as number;\nenum E { A = 1, B }\nexport default E.B;\n";
    fs.writeFileSync(path.join(dir, "in.ts"), source);
    const native = runNative(ESBUILD, [path.join(dir, "in.ts")], {});
    const lab = runLab(["run", "--clear-env", "--mount", `${dir}:/src`, ESBUILD, "/src/in.ts"]);
    assert.equal(native.status, 0, native.stderr.toString());
    assert.equal(lab.stderr.toString(), native.stderr.toString(), "stderr differs");
    assert.equal(lab.stdout.toString(), native.stdout.toString(), "stdout differs");
    assert.equal(lab.status, native.status);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
