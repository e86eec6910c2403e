#!/usr/bin/env node
// The `hedron-lab` command: runs the prebuilt bundle (dist/cli), rebuilding it first when the TypeScript changed.
// Where no rebuild is possible (a read-only install without a bundle), or with HEDRON_LAB_FROM_SOURCE=1, it runs the
// TypeScript through tsx instead.

import { createRequire } from "node:module";

const { buildBundle, bundleIsFresh, loadBundle } = createRequire(import.meta.url)("./cli-bundle.cjs");

async function fromSource() {
  const { register } = await import("tsx/esm/api");
  register();
  const { main } = await import("../engine/cli.ts");
  return main(process.argv.slice(2));
}

async function fromBundle() {
  const { exports, saveCodeCache } = loadBundle();
  const status = await exports.main(process.argv.slice(2));
  saveCodeCache();
  return status;
}

const fromSourceRequested = process.env.HEDRON_LAB_FROM_SOURCE === "1";
let useBundle = !fromSourceRequested && bundleIsFresh();
if (!useBundle && !fromSourceRequested) {
  await buildBundle().catch(() => {});
  useBundle = bundleIsFresh();
}
process.exitCode = await (useBundle ? fromBundle() : fromSource());
