// Builds the renderer with Vite when its output is missing or older than its sources, before a host serves it.
// `npm start` on a fresh clone must work without a separate build step, and must not rebuild needlessly.

import { existsSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";

function newestMtime(path: string): number {
  const info = statSync(path);
  if (!info.isDirectory()) return info.mtimeMs;
  let newest = info.mtimeMs;
  for (const name of readdirSync(path)) if (name !== "dist" && name !== "node_modules") newest = Math.max(newest, newestMtime(join(path, name)));
  return newest;
}

/** Returns the folder with the built renderer, building it first if needed; `log` receives one line when it builds. */
export async function ensureRendererBuilt(root: string, log: (line: string) => void): Promise<string> {
  const rendererDir = join(root, "renderer");
  const dist = join(rendererDir, "dist");
  const index = join(dist, "index.html");
  // The renderer's sources, and the shared modules outside renderer/ that it imports.
  const shared = ["main/protocol.ts", "main/event-filter.ts", "engine/debug/cost-parts.ts", "engine/record/export.ts"];
  const sources = Math.max(newestMtime(rendererDir), ...shared.map((file) => newestMtime(join(root, file))));
  if (existsSync(index) && statSync(index).mtimeMs >= sources) return dist;
  log("building the renderer (vite)…");
  const { build } = await import("vite");
  await build({ configFile: join(rendererDir, "vite.config.ts"), logLevel: "warn" });
  return dist;
}
