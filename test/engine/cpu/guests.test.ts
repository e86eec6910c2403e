// Real musl guests (engine/guests/bin, -O0 and -O2) run on the whole machine in every JIT mode (interpreter, blocks,
// regions in JavaScript and in WebAssembly) and must print exactly what the same binary prints on the host CPU, retiring the same instructions.

import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { runOnMachine } from "../../helpers/machine-run.ts";

const BIN = new URL("../../../engine/guests/bin/", import.meta.url);
const native = process.platform === "linux" && process.arch === "x64";

function hostRun(name: string, args: string[], stdin: string): string {
  const r = spawnSync(new URL(name, BIN).pathname, args, { env: { HEDRON_LAB: "1" }, input: stdin, cwd: "/tmp" });
  return r.stdout.toString();
}

const CASES: [string, string[], string][] = [
  ["hello", [], ""], ["hello-O0", [], ""], ["hello-pie", [], ""],
  ["sort", [], ""], ["sort-O0", [], ""],
  ["fileio", [], ""], ["fileio-O0", [], ""],
  ["cat", [], "a line\nanother line\n"], ["cat-O0", [], "x\n"],
  ["bench", ["1"], ""], ["bench-O0", ["1"], ""],
  ["x87-bench", ["3000"], ""], ["x87-bench-O0", ["1000"], ""],
];

/**
 * Interpreter only, hot blocks compiled, every block compiled on first entry, regions (every block recompiled with
 * the executed blocks it reaches after a few compiled entries, as JavaScript), WebAssembly regions from every
 * block's first entry, and the default (WebAssembly regions of hot blocks).
 */
const MODES: [string, number, number, boolean][] = [
  ["interpreted", Infinity, Infinity, false], ["blocks", 1000, Infinity, false], ["all compiled", 0, Infinity, false],
  ["regions", 0, 3, false], ["wasm regions", 0, 3, true], ["default (wasm)", 250, 2000, true],
];

for (const [name, args, stdin] of CASES) {
  test(`${name} ${args.join(" ")} prints the same as on the host CPU`, { skip: (!native || !existsSync(new URL(name, BIN))) && "needs x86-64 Linux host and the prebuilt guest" }, () => {
    const expected = hostRun(name, args, stdin);
    const counts = new Set<number>();
    for (const [mode, jitThreshold, regionThreshold, wasm] of MODES) {
      const r = runOnMachine(readFileSync(new URL(name, BIN)), [name, ...args], { stdin, jitThreshold, regionThreshold, wasm });
      assert.equal(r.fault, undefined, mode);
      assert.equal(r.stdout, expected, mode);
      counts.add(r.instructions);
    }
    assert.equal(counts.size, 1, "every mode retires the same number of instructions");
  });
}
