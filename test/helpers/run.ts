// Runs a guest natively and in the lab (through the real CLI), for byte-for-byte comparisons.

import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
export const GUEST_BIN = path.join(ROOT, "engine/guests/bin");
const CLI = path.join(ROOT, "bin/hedron-lab.js");

export interface Outcome {
  stdout: Buffer;
  stderr: Buffer;
  status: number | null;
}

export const canRunNatively = process.platform === "linux" && process.arch === "x64";

/** Runs an x86-64 binary on the host in a fresh temporary folder with exactly `env`. */
export function runNative(elf: string, args: string[], env: Record<string, string>, stdin: string | Uint8Array = ""): Outcome {
  const cwd = fs.mkdtempSync(path.join(os.tmpdir(), "hedron-native-"));
  try {
    const r = spawnSync(elf, args, { cwd, env, input: stdin, maxBuffer: 64 << 20 });
    return { stdout: r.stdout, stderr: r.stderr, status: r.status ?? (r.signal ? 128 + os.constants.signals[r.signal] : null) };
  } finally {
    fs.rmSync(cwd, { recursive: true, force: true });
  }
}

/** Runs `hedron-lab ARGS` from the repository root. */
export function runLab(args: string[], stdin: string | Uint8Array = "", env: NodeJS.ProcessEnv = process.env): Outcome {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd: ROOT, env, input: stdin, maxBuffer: 64 << 20 });
  return { stdout: r.stdout, stderr: r.stderr, status: r.status };
}

/** Runs a guest in the lab with exactly `env` as its environment. */
export function runGuestInLab(elf: string, args: string[], env: Record<string, string>, stdin: string | Uint8Array = "", labOptions: string[] = []): Outcome {
  const envFlags = Object.entries(env).flatMap(([k, v]) => ["--env", `${k}=${v}`]);
  return runLab(["run", "--clear-env", ...envFlags, ...labOptions, elf, ...args], stdin);
}

/** The last line of a stream (e.g. the --stats JSON on stderr). */
export function lastLine(text: Buffer | string): string {
  const lines = text.toString().trimEnd().split("\n");
  return lines[lines.length - 1];
}
