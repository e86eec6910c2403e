// `hedron-lab serve` (the browser host alone) and `hedron-lab start` (Electron when installed, else the browser host).
// The machine here often has no Electron binary and no display, so `start` says which host it chose and why.

import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { startBrowserHost } from "../../main/browser-host.ts";
import { LabApi } from "../../main/lab-api.ts";
import { ensureRendererBuilt } from "../../main/renderer-build.ts";
import { labDataDir as userDataDir } from "./bench-syscalls.ts";
import { CliError, usageError } from "./errors.ts";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
/** This module is engine/cli/serve.ts under tsx, or a chunk of the dist/cli bundle beside its engine-worker.mjs. */
const RUNNING_FROM_SOURCE = import.meta.url.endsWith(".ts");

export const SERVE_USAGE = `usage: hedron-lab serve [--port N] [--no-open]

Starts the lab's browser host on 127.0.0.1 and prints its address (with this start's access token) on stdout.
  --port N     listen on port N (default: any free port)
  --no-open    do not open a browser window`;

interface ServeOptions {
  port: number;
  open: boolean;
}

function parseServeOptions(argv: string[]): ServeOptions {
  const options: ServeOptions = { port: 0, open: true };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === "--no-open") options.open = false;
    else if (arg === "--port") {
      const value = Number(argv[++i]);
      if (!Number.isInteger(value) || value < 0 || value > 65535) throw usageError(`--port takes a port number from 0 to 65535, not '${argv[i] ?? ""}'`);
      options.port = value;
    } else if (arg === "--help") throw new CliError(SERVE_USAGE, 0);
    else throw usageError(`unknown option ${arg}\n${SERVE_USAGE}`);
  }
  return options;
}

function labOptions(host: "browser" | "electron") {
  const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { version: string };
  return {
    host,
    guestsDir: join(ROOT, "engine", "guests", "bin"),
    bundledRecordings: join(ROOT, "recordings"),
    userRecordings: join(userDataDir(), "recordings"),
    worker: RUNNING_FROM_SOURCE
      ? { url: new URL("../../main/engine-worker.ts", import.meta.url), typescript: true }
      : { url: new URL("./engine-worker.mjs", import.meta.url), typescript: false },
    version: pkg.version,
  } as const;
}

/** A Chromium-family browser on PATH, for opening the lab as an app window. */
function findBrowser(): string | null {
  for (const candidate of ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome", "/usr/bin/google-chrome-stable"]) {
    if (existsSync(candidate)) return candidate;
  }
  return null;
}

function openBrowser(url: string): string {
  if (!process.env.DISPLAY && !process.env.WAYLAND_DISPLAY) return "no display (DISPLAY/WAYLAND_DISPLAY unset): open the address above in a browser";
  const browser = findBrowser();
  if (!browser) return "no Chromium found: open the address above in a browser";
  const profile = mkdtempSync(join(tmpdir(), "hedron-lab-browser-"));
  spawn(browser, [`--app=${url}`, `--user-data-dir=${profile}`, "--no-first-run", "--no-default-browser-check"], {
    detached: true,
    stdio: "ignore",
  }).unref();
  return `opened ${browser}`;
}

export async function serve(argv: string[]): Promise<number> {
  const options = parseServeOptions(argv);
  const rendererDir = await ensureRendererBuilt(ROOT, (line) => process.stderr.write(`hedron-lab: ${line}\n`));
  const api = new LabApi(labOptions("browser"));
  const host = await startBrowserHost(api, rendererDir, options.port);
  process.stdout.write(`${host.url}\n`);
  if (options.open) process.stderr.write(`hedron-lab: ${openBrowser(host.url)}\n`);
  await api.handle("machine.boot", { guest: "hello", args: [], record: false }).catch((error: unknown) => {
    process.stderr.write(`hedron-lab: the demo did not boot: ${error instanceof Error ? error.message : String(error)}\n`);
  });
  await new Promise<void>((done) => {
    process.once("SIGINT", done);
    process.once("SIGTERM", done);
  });
  await host.close();
  await api.close();
  return 0;
}

/** The Electron binary's path, or why there is none (its download is not part of `npm install`). */
function electronBinary(): { path: string } | { reason: string } {
  try {
    const path = createRequire(import.meta.url)("electron") as unknown;
    if (typeof path === "string" && existsSync(path)) return { path };
    return { reason: "the Electron package is installed but its binary is missing" };
  } catch {
    return {
      reason:
        "the Electron binary is not installed (npm install does not download it; with internet access run " +
        "`node node_modules/electron/install.js` to get it)",
    };
  }
}

export async function start(argv: string[]): Promise<number> {
  const electron = electronBinary();
  if ("path" in electron) {
    const { buildElectronMain } = await import("../../main/electron-build.ts");
    const mainFile = await buildElectronMain(ROOT);
    process.stderr.write("hedron-lab: starting the Electron lab\n");
    const child = spawn(electron.path, [mainFile, ...argv], { stdio: "inherit", env: { ...process.env, HEDRON_LAB_DATA: userDataDir() } });
    return await new Promise<number>((done) => child.on("exit", (code) => done(code ?? 1)));
  }
  process.stderr.write(`hedron-lab: ${electron.reason}; starting the browser host instead\n`);
  return serve(argv);
}
