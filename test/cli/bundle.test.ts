// The prebuilt CLI (bin/cli-bundle.cjs): `hedron-lab` runs the esbuild bundle, rebuilds it when a TypeScript source
// changed, never runs a stale one, and falls back to tsx on request. Exercised on a copy of the sources.

import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { ROOT } from "../helpers/run.ts";

const copy = fs.mkdtempSync(path.join(os.tmpdir(), "hedron-bundle-"));
after(() => fs.rmSync(copy, { recursive: true, force: true }));

function lab(args: string[], env: NodeJS.ProcessEnv = {}) {
  const r = spawnSync(process.execPath, [path.join(copy, "bin", "hedron-lab.js"), ...args], {
    cwd: copy, encoding: "utf8", env: { PATH: process.env.PATH, ...env },
  });
  return { stdout: r.stdout, stderr: r.stderr, status: r.status };
}

const manifest = () => JSON.parse(fs.readFileSync(path.join(copy, "dist", "cli", "sources.json"), "utf8")) as { builtAt: number; sources: string[] };
const hello = () => path.join(copy, "engine", "guests", "bin", "hello");

describe("the prebuilt CLI bundle", () => {
  before(() => {
    for (const dir of ["bin", "engine", "main"]) fs.cpSync(path.join(ROOT, dir), path.join(copy, dir), { recursive: true });
    fs.copyFileSync(path.join(ROOT, "package.json"), path.join(copy, "package.json"));
    fs.symlinkSync(path.join(ROOT, "node_modules"), path.join(copy, "node_modules"));
  });

  it("is built on first use, with a warm code cache, and runs the guest byte for byte as from source", () => {
    const bundled = lab(["run", "--clear-env", hello(), "a b"]);
    assert.ok(fs.existsSync(path.join(copy, "dist", "cli", "hedron-lab.cjs")));
    assert.ok(fs.existsSync(path.join(copy, "dist", "cli", "hedron-lab.cjs.v8cache")));
    assert.ok(fs.existsSync(path.join(copy, "dist", "cli", "engine-worker.mjs")), "the browser host's worker is bundled too");
    const source = lab(["run", "--clear-env", hello(), "a b"], { HEDRON_LAB_FROM_SOURCE: "1" });
    assert.equal(bundled.stdout, source.stdout);
    assert.equal(bundled.stderr, source.stderr);
    assert.equal(bundled.status, 2);
    assert.match(bundled.stdout, /argv\[1\] = "a b"/);
  });

  it("lists every engine source it was built from, and is reused while none changes", () => {
    const { builtAt, sources } = manifest();
    assert.ok(sources.includes("engine/cli.ts") && sources.includes("engine/machine.ts") && sources.includes("main/engine-worker.ts"));
    assert.ok(!sources.some((s) => s.includes("node_modules")));
    lab(["help"]);
    assert.equal(manifest().builtAt, builtAt);
  });

  it("is rebuilt when a TypeScript source changes, so an edit takes effect at the next start", () => {
    const cli = path.join(copy, "engine", "cli.ts");
    fs.writeFileSync(cli, fs.readFileSync(cli, "utf8").replace("help                               show this text", "help                               show this edited text"));
    const r = lab(["help"]);
    assert.equal(r.status, 0);
    assert.match(r.stdout, /show this edited text/);
    assert.match(lab(["help"], { HEDRON_LAB_FROM_SOURCE: "1" }).stdout, /show this edited text/);
  });

  it("does not load SQLite, WebSocket, iced-x86 or Vite for `run`", () => {
    const probe = path.join(copy, "probe.cjs");
    fs.writeFileSync(probe, `
      const Module = require("node:module");
      const load = Module._load;
      const loaded = new Set();
      Module._load = function (request, ...rest) { loaded.add(request); return load.call(this, request, ...rest); };
      process.on("exit", () => process.stderr.write("\\nLOADED " + JSON.stringify([...loaded]) + "\\n"));
    `);
    const r = spawnSync(process.execPath, ["--require", probe, path.join(copy, "bin", "hedron-lab.js"), "run", "--clear-env", hello()], { encoding: "utf8" });
    const loaded = JSON.parse(/LOADED (.*)/.exec(r.stderr)![1]) as string[];
    for (const heavy of ["better-sqlite3", "ws", "iced-x86", "vite", "tsx", "esbuild"]) assert.ok(!loaded.includes(heavy), `${heavy} loaded: ${loaded}`);
  });
});
