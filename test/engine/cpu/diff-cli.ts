// `npm run test:diff -- --cases N --seed S [--decoder M]`: any number of differential cases against the host CPU
// and of decoder cross-check strings against iced-x86; prints figures and the first mismatches, exits 1 on any.

import { buildHarness, runDifferential } from "./diff-gen.ts";
import { checkGuests, checkRandom, type DecoderReport } from "./decoder-fuzz.ts";

function arg(name: string, fallback: number): number {
  const k = process.argv.indexOf(`--${name}`);
  return k >= 0 ? Number(process.argv[k + 1]) : fallback;
}

const cases = arg("cases", process.argv.includes("--decoder") ? 0 : 10000), seed = arg("seed", 1);
const k = process.argv.indexOf("--only");
const only = k >= 0 ? new RegExp(process.argv[k + 1]) : undefined;
let bad = 0;
if (cases > 0) {
  const { path, cleanup } = buildHarness();
  if (!path) { console.error("differential: needs gcc on an x86-64 Linux host"); process.exit(2); }
  const t0 = performance.now();
  const rep = runDifferential(path, cases, seed, only);
  cleanup();
  console.log(`differential: ${rep.cases} cases (seed ${seed}, ${rep.rowsCovered} table rows) in ${((performance.now() - t0) / 1000).toFixed(1)} s: ${rep.failures.length ? [...rep.byMnemonic].reduce((a, [, n]) => a + n, 0) : 0} mismatches`);
  for (const [k, n] of rep.byMnemonic) console.log(`  ${n}\t${k}`);
  for (const f of rep.failures.slice(0, arg("show", 20))) console.log(f);
  bad += rep.failures.length;
}
const strings = arg("decoder", 0);
if (strings > 0) {
  const t0 = performance.now();
  const rep: DecoderReport = { checked: 0, supported: 0, mismatches: [] };
  checkRandom(strings, seed, rep);
  checkGuests(rep);
  console.log(`decoder: ${rep.checked} encodings (${strings} random strings, seed ${seed}, plus the guests), ${rep.supported} supported by the engine, in ${((performance.now() - t0) / 1000).toFixed(1)} s: ${rep.mismatches.length} disagreements with iced-x86`);
  for (const m of rep.mismatches.slice(0, arg("show", 20))) console.log(m);
  bad += rep.mismatches.length;
}
process.exit(bad ? 1 : 0);
