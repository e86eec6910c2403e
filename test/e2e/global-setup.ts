// Builds the renderer once before any browser test (a fresh clone has no renderer/dist), so no test's host start
// pays for a Vite build inside its own timeout.

import { ensureRendererBuilt } from "../../main/renderer-build.ts";
import { ROOT } from "./host.ts";

export default async function globalSetup(): Promise<void> {
  await ensureRendererBuilt(ROOT, (line) => process.stdout.write(`e2e setup: ${line}\n`));
}
