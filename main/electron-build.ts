// Builds what the Electron app loads: the renderer (Vite) and, with esbuild, the main process, preload and engine worker.
// Electron cannot load TypeScript, and a sandboxed preload must be one CommonJS file that requires only `electron`.

import { build } from "esbuild";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { ensureRendererBuilt } from "./renderer-build.ts";

/** Builds the renderer if stale and the three Electron entry files; returns the path of the main-process bundle. */
export async function buildElectronMain(root: string): Promise<string> {
  await ensureRendererBuilt(root, (line) => process.stderr.write(`hedron-lab: ${line}\n`));
  const out = join(root, "dist", "electron");
  const common = { bundle: true, platform: "node", target: "node20", sourcemap: "linked", logLevel: "warning" } as const;
  // Native and WebAssembly packages stay in node_modules: esbuild cannot inline a .node file.
  const external = ["electron", "better-sqlite3", "iced-x86"];
  await Promise.all([
    build({ ...common, format: "esm", entryPoints: [join(root, "main", "electron-main.ts")], outfile: join(out, "main.mjs"), external }),
    build({ ...common, format: "esm", entryPoints: [join(root, "main", "engine-worker.ts")], outfile: join(out, "engine-worker.mjs"), external }),
    build({ ...common, format: "cjs", entryPoints: [join(root, "main", "preload.ts")], outfile: join(out, "preload.cjs"), external: ["electron"] }),
  ]);
  return join(out, "main.mjs");
}

// `npm run build` (and `npm run dist` before packaging) runs this file directly.
if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  // No top-level await: the CLI's CommonJS bundle (bin/cli-bundle.js) includes this module.
  void buildElectronMain(resolve(dirname(fileURLToPath(import.meta.url)), "..")).then((file) => process.stderr.write(`built ${file}\n`));
}
