// Electron smoke test: the packaged-style app opens its window on app://lab and shows the demo's banner.
// Skipped with the reason when the Electron binary is absent (npm install does not download it).

import { _electron as electron, expect, test } from "@playwright/test";
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { ROOT, SHOTS } from "./host.ts";

function electronBinary(): string | null {
  try {
    const path = createRequire(import.meta.url)("electron") as unknown;
    return typeof path === "string" && existsSync(path) ? path : null;
  } catch {
    return null;
  }
}

test("the Electron app opens the lab window on the demo", async () => {
  const binary = electronBinary();
  const reason = "Electron binary not installed (its download needs the internet: node node_modules/electron/install.js)";
  if (binary === null) process.stdout.write(`electron smoke test skipped: ${reason}\n`);
  test.skip(binary === null, reason);
  const { buildElectronMain } = await import("../../main/electron-build.ts");
  const main = await buildElectronMain(ROOT);
  const app = await electron.launch({ executablePath: binary!, args: [main], env: { ...process.env, HEDRON_LAB_DATA: join(ROOT, "test-results", "electron-data") } });
  try {
    const window = await app.firstWindow();
    expect(window.url()).toBe("app://lab/index.html");
    await expect(window.locator('[data-testid="status"]')).toBeVisible();
    expect(await window.evaluate(() => typeof (globalThis as { require?: unknown }).require)).toBe("undefined");
    await expect.poll(() => window.locator('[data-testid="vga"]').getAttribute("aria-label"), { timeout: 60_000 }).toContain("Hedron Microhypervisor");
    await window.screenshot({ path: join(SHOTS, "electron.png") });
  } finally {
    await app.close();
  }
});
