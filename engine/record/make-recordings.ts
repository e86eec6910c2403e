// `npm run recordings`: regenerates the bundled demo recordings in recordings/ from the prebuilt demo guests.
// They are committed and opened by the tests, so each must stay small and be reproducible byte for byte in content.

import { mkdirSync, readFileSync, rmSync, statSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { MachineConfig } from "../machine.ts";
import { Recorder } from "./recorder.ts";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const GUESTS = path.join(ROOT, "engine/guests/bin");
export const RECORDINGS_DIR = path.join(ROOT, "recordings");

/** The guest environment of every demo recording: fixed, so no host variable ends up in a committed file. */
const ENV = ["HOME=/", "PATH=/bin", "TERM=xterm", "LANG=C.UTF-8", "USER=lab", "HEDRON_LAB=1"];

export interface Demo {
  file: string;
  guest: string;
  argv: string[];
  stdin?: string;
  /** Smaller chunks and snapshots than the defaults give short demos a timeline worth seeking in. */
  chunkInstructions: number;
  snapshotInstructions: number;
}

export const DEMOS: readonly Demo[] = [
  { file: "hello.hlrec", guest: "hello", argv: ["world", "42"], chunkInstructions: 1024, snapshotInstructions: 8192 },
  { file: "cat-stdin.hlrec", guest: "cat", argv: [], stdin: "typed into the recorded run\nsecond line\n", chunkInstructions: 256, snapshotInstructions: 512 },
  { file: "fileio.hlrec", guest: "fileio", argv: [], chunkInstructions: 16384, snapshotInstructions: 131072 },
  { file: "sort.hlrec", guest: "sort", argv: ["2000"], chunkInstructions: 65536, snapshotInstructions: 1 << 21 },
  { file: "bench.hlrec", guest: "bench", argv: ["1"], chunkInstructions: 1 << 20, snapshotInstructions: 1 << 24 },
];

function engineVersion(): string {
  return (JSON.parse(readFileSync(path.join(ROOT, "package.json"), "utf8")) as { version: string }).version;
}

function demoConfig(demo: Demo): MachineConfig {
  const stdin = demo.stdin === undefined ? [] : [new TextEncoder().encode(demo.stdin)];
  return {
    modules: [{ name: demo.guest, bytes: readFileSync(path.join(GUESTS, demo.guest)), kind: "foreign", argv: [demo.guest, ...demo.argv] }],
    env: ENV, cpus: 1, memoryMiB: 64, seed: 1, strict: false, mounts: [],
    readStdin: () => stdin.shift() ?? new Uint8Array(0),
  };
}

function main(): void {
  mkdirSync(RECORDINGS_DIR, { recursive: true });
  for (const demo of DEMOS) {
    const file = path.join(RECORDINGS_DIR, demo.file);
    rmSync(file, { force: true });
    const result = new Recorder(file, demoConfig(demo), {
      chunkInstructions: demo.chunkInstructions, snapshotInstructions: demo.snapshotInstructions, engineVersion: engineVersion(),
    }).run();
    if (result.stopReason) throw new Error(`${demo.guest} stopped: ${result.stopReason}`);
    const kib = (statSync(file).size / 1024).toFixed(0);
    process.stdout.write(`${demo.file}: ${result.icount} instructions, ${result.events} events, ${result.chunks} chunks, exit ${result.exitStatus}, ${kib} KiB\n`);
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main();
