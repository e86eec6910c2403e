// engine/cpu is layered: tables, decoder and flags at the bottom; the core (state, memory, faults, code cache) on
// them; the instruction-semantic helpers on the core; the interpreter, the block compiler and the WebAssembly
// compiler each on those and never on each other; cpu.ts on top choosing between them. This parses every import
// (`import type` too: a type cycle is still a cycle of meaning) and fails on a cycle or an edge the layers forbid.

import { test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const CPU_DIR = fileURLToPath(new URL("../../../engine/cpu/", import.meta.url));

/** Layer of each module, bottom first; within a layer, modules of the same group may import each other (acyclically). */
const LAYERS: Record<string, { layer: number; group: string }> = {};
function place(layer: number, group: string, files: string[]): void {
  for (const f of files) LAYERS[f] = { layer, group };
}
place(0, "base", ["table.ts", "state.ts", "cpuid.ts", "flags.ts", "decoder.ts", "f80.ts", "wasm/layout.ts", "wasm/encoder.ts"]);
place(1, "core", ["core.ts"]);
place(2, "semantics", ["sse-fp.ts", "sse.ts", "sse4.ts", "x87.ts"]);
place(3, "interpreter", ["interp.ts"]);
place(3, "block compiler", ["jit.ts"]);
place(3, "wasm compiler", ["wasm/compiler.ts", "wasm/runtime.ts", "wasm/f80.ts", "wasm/x87.ts"]);
place(3, "decode check", ["decode-check.ts"]);
place(4, "top", ["cpu.ts"]);

function modules(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? modules(join(dir, e.name)) : e.name.endsWith(".ts") ? [join(dir, e.name)] : []);
}

/** Every module specifier a source imports or re-exports, statically or dynamically. */
function importsOf(source: string): string[] {
  const text = source.replace(/\/\*[\s\S]*?\*\//g, "").replace(/\/\/.*$/gm, "");
  const found = [
    ...text.matchAll(/(?:^|[;\n])\s*(?:import|export)\b[^;"']*?\bfrom\s*["']([^"']+)["']/g),
    ...text.matchAll(/(?:^|[;\n])\s*import\s*["']([^"']+)["']/g),
    ...text.matchAll(/\bimport\s*\(\s*["']([^"']+)["']\s*\)/g),
  ];
  return found.map((m) => m[1]);
}

/** Module (relative to engine/cpu) → the engine/cpu modules it imports. */
function graph(): Map<string, string[]> {
  const edges = new Map<string, string[]>();
  for (const file of modules(CPU_DIR)) {
    const from = relative(CPU_DIR, file);
    const targets = importsOf(readFileSync(file, "utf8"))
      .filter((s) => s.startsWith("."))
      .map((s) => relative(CPU_DIR, join(dirname(file), s)))
      .filter((t) => !t.startsWith(".."));
    edges.set(from, targets);
  }
  return edges;
}

test("the import parser sees every form of import", () => {
  const src = [
    'import { a,\n  b } from "./x.ts";', 'import type { C } from "./y.ts";', 'export { d } from "./z.ts";',
    'import "./side.ts";', 'const m = await import("./lazy.ts");', '// import { no } from "./comment.ts";',
    'import * as ns from "../up.ts"; export * from "./all.ts";',
  ].join("\n");
  assert.deepEqual(importsOf(src).sort(), ["../up.ts", "./all.ts", "./lazy.ts", "./side.ts", "./x.ts", "./y.ts", "./z.ts"]);
});

test("every engine/cpu module has a layer", () => {
  for (const m of graph().keys()) assert.ok(m in LAYERS, `${m} has no layer in layering.test.ts`);
});

test("imports only go down a layer or stay within a group (engines are groups of their own)", () => {
  for (const [from, targets] of graph()) {
    const a = LAYERS[from];
    for (const to of targets) {
      const b = LAYERS[to];
      assert.ok(b !== undefined, `${from} imports ${to}, which has no layer`);
      const down = b.layer < a.layer;
      assert.ok(down || b.group === a.group, `${from} (${a.group}) must not import ${to} (${b.group})`);
    }
  }
});

test("the import graph of engine/cpu has no cycle", () => {
  const edges = graph();
  const state = new Map<string, "open" | "done">();
  const visit = (m: string, path: string[]): void => {
    if (state.get(m) === "done") return;
    assert.notEqual(state.get(m), "open", `import cycle: ${[...path, m].join(" → ")}`);
    state.set(m, "open");
    for (const t of edges.get(m) ?? []) visit(t, [...path, m]);
    state.set(m, "done");
  };
  for (const m of edges.keys()) visit(m, []);
});
