// ELF header / program header fuzzer: mutates real guests and tiny ELFs, then parses, loads and (for a sample) boots
// and runs them. Anything but an ElfError sentence or a clean guest end — an engine exception, a hang — is a finding.
// `npm run fuzz -- --cases N [--seed S]` runs it at any size; fuzz.test.ts runs 10^4 cases in `npm test`.

import fs from "node:fs";
import { fileURLToPath } from "node:url";
import { ElfError, parseElf } from "../../../engine/elf/elf.ts";
import { loadElf } from "../../../engine/elf/loader.ts";
import { Machine, MachineConfigError } from "../../../engine/machine.ts";
import { AddressSpace } from "../../../engine/memory/address-space.ts";
import { FramePool } from "../../../engine/memory/frames.ts";
import { tinyElf } from "../../helpers/tiny-elf.ts";

const BIN = new URL("../../../engine/guests/bin/", import.meta.url);
const seedFile = (name: string) => new Uint8Array(fs.readFileSync(new URL(name, BIN)));
// exit(7)
const EXIT_7 = [0xb8, 60, 0, 0, 0, 0xbf, 7, 0, 0, 0, 0x0f, 0x05];

/** The unmutated inputs: a static musl guest, a static PIE and a one-segment tiny ELF. */
export function seeds(): Uint8Array[] {
  return [seedFile("hello"), seedFile("hello-pie"), tinyElf(EXIT_7)];
}

/** xorshift32: the same cases for the same seed on every machine. */
function prng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 0x100000000;
  };
}

const MIB = 1024 * 1024;
/** Values that sit on the boundaries the parser and loader check. */
const INTERESTING = [
  0, 1, 2, 3, 6, 0x38, 0x40, 0xfff, 0x1000, 0x10000, 0x400000, 16 * MIB, 31 * MIB, 32 * MIB, 64 * MIB, 2 ** 31 - 1, 2 ** 31,
  2 ** 32 - 1, 2 ** 32, 2 ** 40, 0x555555554000, 0x7ffffffde000, 0x7fffff7de000, 0x7ffffffff000, 0x800000000000, 2 ** 53 - 1,
  2 ** 53, 2 ** 63, 2 ** 64 - 1,
];

/** Header fields as (offset, width); program header fields are relative to each entry. */
const HEADER_FIELDS: [number, number][] = [[4, 1], [5, 1], [16, 2], [18, 2], [24, 8], [32, 8], [40, 8], [52, 2], [54, 2], [56, 2], [58, 2], [60, 2], [62, 2]];
const PHDR_FIELDS: [number, number][] = [[0, 4], [4, 4], [8, 8], [16, 8], [24, 8], [32, 8], [40, 8], [48, 8]];

function put(bytes: Uint8Array, at: number, width: number, value: number): void {
  if (at + width > bytes.length) return;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const big = BigInt.asUintN(width * 8, BigInt(Math.floor(value)));
  for (let i = 0; i < width; i++) view.setUint8(at + i, Number((big >> BigInt(8 * i)) & 0xffn));
}

/** One mutant: 1–4 field writes (interesting or random values, or small deltas), sometimes a truncation. */
export function mutate(seed: Uint8Array, random: () => number): Uint8Array {
  let bytes = seed.slice();
  const view = new DataView(bytes.buffer);
  const phoff = Number(view.getBigUint64(32, true));
  const phnum = view.getUint16(56, true);
  const pick = <T>(xs: T[]) => xs[Math.floor(random() * xs.length)];
  const writes = 1 + Math.floor(random() * 4);
  for (let w = 0; w < writes; w++) {
    const inPhdr = random() < 0.75 && phnum > 0;
    const [rel, width] = inPhdr ? pick(PHDR_FIELDS) : pick(HEADER_FIELDS);
    const at = inPhdr ? phoff + Math.floor(random() * phnum) * 56 + rel : rel;
    const roll = random();
    let value: number;
    if (roll < 0.5) value = pick(INTERESTING);
    else if (roll < 0.75) value = Math.floor(random() * 2 ** (8 * Math.min(width, 6)));
    else {
      const old = Number(width === 8 ? view.getBigUint64(Math.min(at, bytes.length - 8), true) : width === 4 ? view.getUint32(Math.min(at, bytes.length - 4), true) : 0);
      value = old + pick([-4096, -1, 1, 4096, 1 << 20, 1 << 30]);
    }
    put(bytes, at, width, Math.max(0, value));
  }
  if (random() < 0.05) bytes = bytes.subarray(0, Math.floor(random() * bytes.length));
  return bytes;
}

export interface Finding {
  case: number;
  stage: "parse" | "load" | "run";
  error: string;
  bytes: Uint8Array;
}

/** Guest memory of the sampled runs: small, so segments that do not fit are common. */
const RUN_MEMORY_MIB = 32;
const RUN_INSTRUCTIONS = 200_000;
const CASE_LIMIT_MS = 5_000;

/**
 * Runs `cases` mutants: each is parsed and, if it parses, loaded into a fresh address space; every `runEvery`-th
 * loadable one boots in a machine and runs up to RUN_INSTRUCTIONS. Returns the findings (empty when all is well).
 */
export function fuzzElf(cases: number, seed = 1, runEvery = 25): { findings: Finding[]; parsed: number; loaded: number; ran: number } {
  const random = prng(seed);
  const inputs = seeds();
  const frames = new FramePool(RUN_MEMORY_MIB);
  const findings: Finding[] = [];
  let parsed = 0, loaded = 0, ran = 0;
  for (let n = 0; n < cases; n++) {
    const bytes = mutate(inputs[n % inputs.length], random);
    const started = performance.now();
    let stage: Finding["stage"] = "parse";
    try {
      const image = parseElf(bytes);
      parsed++;
      stage = "load";
      const space = new AddressSpace(frames);
      try {
        loadElf(image, space, { argv: ["fuzz"], envp: [], execfn: "/fuzz", random16: new Uint8Array(16) });
        loaded++;
      } catch (error) {
        if (!(error instanceof ElfError)) throw error;
        continue;
      } finally {
        space.destroy();
      }
      if (loaded % runEvery !== 0) continue;
      stage = "run";
      ran++;
      const machine = new Machine({
        modules: [{ name: "fuzz", bytes, kind: "foreign", argv: ["fuzz"] }], env: [], cpus: 1, memoryMiB: RUN_MEMORY_MIB, seed: 1,
        strict: false, mounts: [], readStdin: () => new Uint8Array(0),
      });
      machine.onConsole(() => {});
      machine.run(RUN_INSTRUCTIONS);
      if (performance.now() - started > CASE_LIMIT_MS) throw new Error(`case took ${(performance.now() - started).toFixed(0)} ms (a hang)`);
    } catch (error) {
      if (error instanceof ElfError || error instanceof MachineConfigError) continue;
      findings.push({ case: n, stage, error: error instanceof Error ? `${error.name}: ${error.message}` : String(error), bytes });
    }
  }
  return { findings, parsed, loaded, ran };
}

// `npm run fuzz -- --cases N [--seed S] [--save DIR]`: prints a summary; saves each finding's bytes with --save.
if (process.argv[1] && fs.realpathSync(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const arg = (name: string, fallback: string) => {
    const i = process.argv.indexOf(name);
    return i > 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1] : fallback;
  };
  const cases = Number(arg("--cases", "10000"));
  const seed = Number(arg("--seed", "1"));
  const save = arg("--save", "");
  const start = performance.now();
  const result = fuzzElf(cases, seed);
  process.stdout.write(
    `${cases} ELF mutants (seed ${seed}) in ${((performance.now() - start) / 1000).toFixed(1)} s: ${result.parsed} parsed, ` +
    `${result.loaded} loaded, ${result.ran} ran, ${result.findings.length} finding(s)\n`,
  );
  for (const f of result.findings) {
    process.stdout.write(`  case ${f.case} (${f.stage}): ${f.error}\n`);
    if (save) fs.writeFileSync(`${save}/elf-finding-${seed}-${f.case}`, f.bytes, { mode: 0o755 });
  }
  process.exitCode = result.findings.length ? 1 : 0;
}
