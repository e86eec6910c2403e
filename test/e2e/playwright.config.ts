// Playwright configuration of the browser tests: Debian's Chromium (no Playwright browser download here), headless.
// Tests start their own browser host, so they run one at a time (two cores shared with the engine workers).

import { defineConfig } from "@playwright/test";
import { accessSync, constants } from "node:fs";

const chromium = process.env.CHROMIUM ?? "/usr/bin/chromium";
try {
  accessSync(chromium, constants.X_OK);
} catch {
  throw new Error(
    `the browser tests need Chromium at ${chromium}, and there is none: apt-get install chromium ` +
      "(or set CHROMIUM=/path/to/chromium); Playwright's own browser download is not used",
  );
}

export default defineConfig({
  testDir: ".",
  testMatch: /.*\.spec\.ts$/,
  globalSetup: "./global-setup.ts",
  outputDir: "../../test-results/e2e",
  workers: 1,
  timeout: 120_000,
  expect: { timeout: 30_000 },
  reporter: [["list"]],
  use: {
    browserName: "chromium",
    viewport: { width: 1400, height: 900 },
    acceptDownloads: true,
    screenshot: "only-on-failure",
    launchOptions: {
      executablePath: chromium,
      args: [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--no-first-run",
        "--disable-component-update",
        "--disable-sync",
      ],
    },
  },
});
