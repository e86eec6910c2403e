// The prebuilt CLI: engine/cli.ts bundled by esbuild into one CommonJS file under dist/cli/, run with V8's code cache.
// CommonJS because Node 20 caches compiled code only for scripts (vm.Script cachedData), not for ES modules, and
// because an ES module's `import fs` builds a facade that loads all of node:stream (20 ms) at every start.
"use strict";

const fs = require("node:fs");
const { createRequire } = require("node:module");
const path = require("node:path");
const v8 = require("node:v8");
const vm = require("node:vm");

const ROOT = path.resolve(__dirname, "..");
/** dist/cli sits two folders below the root, like engine/cli, so the CLI's root-relative paths hold in both. */
const OUT_DIR = path.join(ROOT, "dist", "cli");
const CLI = path.join(OUT_DIR, "hedron-lab.cjs");
/** V8's compiled code for CLI, written after the first run that found none (or found it rejected by this V8). */
const CODE_CACHE = path.join(OUT_DIR, "hedron-lab.cjs.v8cache");
const MANIFEST = path.join(OUT_DIR, "sources.json");
/** Native, WebAssembly and build-time packages stay in node_modules and load only when a command needs them. */
const EXTERNAL = ["better-sqlite3", "iced-x86", "ws", "vite", "esbuild", "tsx", "electron"];

/**
 * True when the bundle exists and no file it was built from (nor this builder) changed after the build began.
 * Mtimes, not contents: the check costs one stat per source (about a millisecond) at every start.
 */
function bundleIsFresh() {
  let manifest;
  try {
    manifest = JSON.parse(fs.readFileSync(MANIFEST, "utf8"));
  } catch {
    return false;
  }
  if (typeof manifest.builtAt !== "number" || !Array.isArray(manifest.sources)) return false;
  for (const source of [...manifest.sources, __filename]) {
    try {
      if (fs.statSync(path.resolve(ROOT, source)).mtimeMs >= manifest.builtAt) return false;
    } catch {
      return false; // a source was deleted or renamed: whatever imported it changed too
    }
  }
  return fs.existsSync(CLI);
}

/** Builds into a fresh folder and swaps it in, so a concurrent start never sees half a bundle. */
async function buildBundle() {
  const { build } = require("esbuild");
  const builtAt = Date.now();
  fs.mkdirSync(path.dirname(OUT_DIR), { recursive: true });
  const staging = fs.mkdtempSync(path.join(path.dirname(OUT_DIR), ".cli-"));
  fs.chmodSync(staging, 0o755);
  try {
    const common = {
      bundle: true, platform: "node", target: "node20", external: EXTERNAL, absWorkingDir: ROOT, metafile: true,
      minifyWhitespace: true, minifySyntax: true, legalComments: "none", charset: "ascii", logLevel: "warning",
    };
    const [cli, worker] = await Promise.all([
      build({
        ...common, format: "cjs", entryPoints: [path.join(ROOT, "engine", "cli.ts")], outfile: path.join(staging, path.basename(CLI)),
        // import.meta has no CommonJS equivalent: the bundle's own URL stands in (paths in the CLI are root-relative).
        define: { "import.meta": "__hedronImportMeta" },
        banner: { js: 'var __hedronImportMeta = { url: require("node:url").pathToFileURL(__filename).href };' },
      }),
      // The browser host's engine thread (serve/start) loads this file by path.
      build({
        ...common, format: "esm", entryPoints: [path.join(ROOT, "main", "engine-worker.ts")], outfile: path.join(staging, "engine-worker.mjs"),
        banner: { js: "import { createRequire as __hedronRequire } from 'node:module'; const require = __hedronRequire(import.meta.url);" },
      }),
    ]);
    routeDynamicImports(path.join(staging, path.basename(CLI)));
    const inputs = { ...cli.metafile.inputs, ...worker.metafile.inputs };
    const sources = Object.keys(inputs).filter((input) => !input.includes("node_modules/")).sort();
    fs.writeFileSync(path.join(staging, path.basename(MANIFEST)), JSON.stringify({ builtAt, sources }, null, 1) + "\n");
    const old = `${OUT_DIR}.old-${process.pid}`;
    try {
      fs.renameSync(OUT_DIR, old);
    } catch {
      // no bundle yet, or a concurrent build moved it first
    }
    try {
      fs.renameSync(staging, OUT_DIR);
    } catch {
      // a concurrent build of the same sources swapped its (identical) bundle in first
    }
    fs.rmSync(old, { recursive: true, force: true });
    // Warm the code cache with a real run, so the first `run` after a build already starts fast.
    require("node:child_process").spawnSync(process.execPath, [path.join(__dirname, "hedron-lab.js"), "run", "--clear-env", path.join(ROOT, "engine", "guests", "bin", "hello")], { stdio: "ignore" });
  } finally {
    fs.rmSync(staging, { recursive: true, force: true });
  }
}

/**
 * A script restored from V8's code cache loses Node's dynamic-import hook, so the bundle's import() of ES-module-only
 * packages (vite, for `serve`) goes through a function the loader passes in; only external packages may be imported.
 */
function routeDynamicImports(file) {
  const code = fs.readFileSync(file, "utf8").replace(/\bimport\("([^"]+)"\)/g, (_, specifier) => {
    if (!EXTERNAL.includes(specifier)) throw new Error(`the CLI bundle imports '${specifier}' dynamically; only ${EXTERNAL.join(", ")} may be`);
    return `__hedronImport(${JSON.stringify(specifier)})`;
  });
  fs.writeFileSync(file, code);
}

function readCodeCache() {
  try {
    return fs.readFileSync(CODE_CACHE);
  } catch {
    return undefined;
  }
}

/** Loads the bundle as Node loads a CommonJS module, with V8's code cache; returns its exports and a cache saver. */
function loadBundle() {
  // V8 starts optimising a function after a budget of executed bytecode; at the default, a 10^4-instruction guest
  // already spends a third of its start-up CPU compiling in background threads. A larger budget delays that by
  // milliseconds in long runs (measured: bench cpu unchanged) and takes `run` of a hello guest from 2.6x to 2.0x
  // `node -e 0`. Set before the bundle compiles, so the code cache is made and used under the same flags.
  v8.setFlagsFromString("--interrupt-budget=1000000");
  const cachedData = readCodeCache();
  const wrapped = `(function (exports, require, module, __filename, __dirname, __hedronImport) {${fs.readFileSync(CLI, "utf8")}\n})`;
  const script = new vm.Script(wrapped, { filename: CLI, cachedData });
  const bundle = { exports: {}, filename: CLI, id: CLI, loaded: false };
  script.runInThisContext()(bundle.exports, createRequire(CLI), bundle, CLI, OUT_DIR, (specifier) => import(specifier));
  bundle.loaded = true;
  /** After a run: the cache then also holds every function the run compiled. Best effort (the folder may be read-only). */
  const saveCodeCache = () => {
    if (cachedData !== undefined && !script.cachedDataRejected) return;
    const temporary = `${CODE_CACHE}.${process.pid}`;
    try {
      fs.writeFileSync(temporary, script.createCachedData());
      fs.renameSync(temporary, CODE_CACHE);
    } catch {
      fs.rmSync(temporary, { force: true });
    }
  };
  return { exports: bundle.exports, saveCodeCache };
}

module.exports = { bundleIsFresh, buildBundle, loadBundle };

// `npm run build:cli` and npm's `prepare` step run this file directly; `npm test` with --if-stale, so the CLI tests
// that start in parallel find a fresh bundle instead of each building one.
if (require.main === module) {
  const wanted = process.argv.includes("--if-stale") ? !bundleIsFresh() : true;
  if (wanted) buildBundle().then(
    () => process.stderr.write(`built ${path.relative(ROOT, CLI)}\n`),
    (error) => {
      process.stderr.write(`hedron-lab: building the CLI bundle failed: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exitCode = 1;
    },
  );
}
