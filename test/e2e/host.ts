// Starts the real browser host (`hedron-lab serve`) for a test, with its own data folder, and stops it afterwards.
// The URL with the token is read from the command's stdout, exactly as a user would copy it.

import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = resolve(fileURLToPath(new URL("../..", import.meta.url)));
export const SHOTS = join(ROOT, "test-results", "e2e", "screenshots");

export interface Host {
  url: string;
  data: string;
  log: () => string;
  stop: () => Promise<void>;
  /** Ends the host abruptly (SIGKILL), as a crash or a closed terminal would. */
  kill: () => Promise<void>;
}

/** Starts the host; `prepare` may put files into its data folder (e.g. recordings/) before it starts. */
export async function startHost(prepare?: (data: string) => void): Promise<Host> {
  const data = mkdtempSync(join(tmpdir(), "hedron-lab-e2e-"));
  prepare?.(data);
  const child: ChildProcess = spawn(process.execPath, [join(ROOT, "bin", "hedron-lab.js"), "serve", "--no-open"], {
    cwd: ROOT,
    env: { ...process.env, HEDRON_LAB_DATA: data },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stderr = "";
  child.stderr!.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const url = await new Promise<string>((resolveUrl, reject) => {
    let stdout = "";
    const timer = setTimeout(() => reject(new Error(`the host printed no URL within 60 s\n${stderr}`)), 60_000);
    child.stdout!.on("data", (chunk: Buffer) => {
      stdout += chunk.toString();
      const line = stdout.split("\n")[0];
      if (stdout.includes("\n") && line) {
        clearTimeout(timer);
        resolveUrl(line.trim());
      }
    });
    child.once("exit", (code) => reject(new Error(`the host exited (${code}) before printing its URL\n${stderr}`)));
  });
  return {
    url,
    data,
    log: () => stderr,
    kill: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((done) => child.once("exit", done));
      child.kill("SIGKILL");
      await exited;
    },
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((done) => child.once("exit", done));
        child.kill("SIGTERM");
        await exited;
      }
      rmSync(data, { recursive: true, force: true });
    },
  };
}
