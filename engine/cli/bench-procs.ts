// `hedron-lab bench procs`: fork+exit+wait, fork+execve+exit+wait, a pipe round trip, an uncontended and a contended
// futex and thread create+join, natively, under qemu-x86_64 and in the lab, in the same run (host µs and cycles).

import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { CliError, usageError } from "./errors.ts";
import { GUEST_DIR } from "./run.ts";

export const PROCS_USAGE = `usage: hedron-lab bench procs [--scale F] [--json]
  fork+exit+wait, execve, a pipe round trip, uncontended and contended futex, thread create+join: per operation in host
  µs and cycles natively, under qemu-x86_64 and in the lab (virtual cycles; host µs from whole-process times).
  --scale F  multiply every operation's round count by F (default 1)`;

const CLI = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../bin/hedron-lab.js");
const GUEST = path.join(GUEST_DIR, "procs-bench");
const hostIsX64Linux = process.platform === "linux" && process.arch === "x64";

/** Each operation with its default rounds (enough to dwarf start-up natively, few enough for the lab). */
const OPERATIONS = [
  { op: "fork", row: "fork + exit + wait", rounds: 200 },
  { op: "exec", row: "fork + execve + exit + wait", rounds: 100 },
  { op: "pipe", row: "pipe round trip (two processes)", rounds: 2000 },
  { op: "futex", row: "futex wake, uncontended", rounds: 20000 },
  { op: "futex-contended", row: "futex hand-over, contended (two threads)", rounds: 2000 },
  { op: "thread", row: "thread create + join", rounds: 500 },
] as const;

interface Measured {
  /** Whole process, host time. */
  hostMs: number;
  /** The guest's own totals: CLOCK_MONOTONIC ns and rdtsc cycles (host natively and under qemu, virtual in the lab). */
  ns: number;
  cycles: number;
}

function run(command: string, args: string[]): Measured | null {
  const start = process.hrtime.bigint();
  const r = spawnSync(command, args, { encoding: "latin1", maxBuffer: 16 << 20 });
  const hostMs = Number(process.hrtime.bigint() - start) / 1e6;
  if (r.error) return null;
  if (r.status !== 0) throw new CliError(`${path.basename(command)} ${args.join(" ")} failed (${r.status}): ${r.stderr.trim()}`, 1);
  const value = (key: string) => Number(new RegExp(`^${key} (\\d+)$`, "m").exec(r.stdout)?.[1] ?? NaN);
  return { hostMs, ns: value("ns"), cycles: value("cycles") };
}

/** The fastest of `repeat` runs (the least disturbed). */
function best(command: string, args: string[], repeat: number): Measured | null {
  let out: Measured | null = null;
  for (let i = 0; i < repeat; i++) {
    const m = run(command, args);
    if (!m) return null;
    if (!out || m.ns < out.ns) out = m;
  }
  return out;
}

export interface ProcsRow {
  op: string;
  row: string;
  rounds: number;
  nativeUs: number | null;
  nativeCycles: number | null;
  qemuUs: number | null;
  /** Lab host time per operation: (whole process with the rounds − whole process with none) / rounds. */
  labHostUs: number;
  labVirtualCycles: number;
  labVirtualUs: number;
}

const per = (total: number, rounds: number, digits = 2) => +(total / rounds).toFixed(digits);

export function measureProcs(scale: number): ProcsRow[] {
  if (!fs.existsSync(GUEST)) throw new CliError(`${GUEST}: bench guest missing (build it with npm run guests)`, 1);
  const qemu = spawnSync("sh", ["-c", "command -v qemu-x86_64"], { encoding: "utf8" }).stdout.trim();
  const lab = (op: string, rounds: number) => run(process.execPath, [CLI, "run", "--clear-env", "--cpus", "2", GUEST, op, String(rounds)])!;
  const idle = lab("fork", 0);
  return OPERATIONS.map(({ op, row, rounds: base }) => {
    const rounds = Math.max(1, Math.round(base * scale));
    const native = hostIsX64Linux ? best(GUEST, [op, String(rounds)], 3) : null;
    const emulated = qemu ? best(qemu, [GUEST, op, String(rounds)], 2) : null;
    const inLab = lab(op, rounds);
    return {
      op, row, rounds,
      nativeUs: native ? per(native.ns / 1000, rounds) : null,
      nativeCycles: native ? Math.round(native.cycles / rounds) : null,
      qemuUs: emulated ? per(emulated.ns / 1000, rounds) : null,
      labHostUs: per(Math.max(0, inLab.hostMs - idle.hostMs) * 1000, rounds),
      labVirtualCycles: Math.round(inLab.cycles / rounds),
      labVirtualUs: per(inLab.ns / 1000, rounds, 3),
    };
  });
}

export async function benchProcsCommand(args: string[]): Promise<number> {
  let scale = 1, json = false;
  for (let i = 0; i < args.length; i++) {
    if (args[i] === "--scale") {
      scale = Number(args[++i]);
      if (!(scale > 0) || scale > 100) throw usageError(`--scale takes a number above 0 and at most 100, not '${args[i] ?? ""}'`);
    } else if (args[i] === "--json") json = true;
    else throw usageError(`unknown option ${args[i]}\n${PROCS_USAGE}`);
  }
  const rows = measureProcs(scale);
  if (json) {
    process.stdout.write(JSON.stringify({ scale, rows }) + "\n");
    return 0;
  }
  const cell = (v: number | null) => (v === null ? "n/a" : String(v));
  const ratio = (a: number, b: number | null) => (b ? `${(a / b).toFixed(1)}×` : "n/a");
  process.stdout.write([
    "Processes and threads, per operation (native and qemu-x86_64: best of 3 / 2 runs, the guest's CLOCK_MONOTONIC and rdtsc;",
    "lab on --cpus 2: host µs from whole-process times minus an idle run, virtual cycles and µs from the guest's clocks)",
    "",
    "| operation | rounds | native µs | native cycles | qemu-x86_64 µs | lab host µs | lab host vs native | lab virtual cycles | lab virtual µs |",
    "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ...rows.map((r) => `| ${r.row} | ${r.rounds} | ${cell(r.nativeUs)} | ${cell(r.nativeCycles)} | ${cell(r.qemuUs)} | ${r.labHostUs} | ` +
      `${ratio(r.labHostUs, r.nativeUs)} | ${r.labVirtualCycles} | ${r.labVirtualUs} |`),
    "",
    "Virtual cycles are modelled (instructions + kernel path costs, HEDRON.md §9); host µs are measured and noisy.",
    "Under qemu-x86_64 the execve'd child runs on the host CPU (qemu-user does not follow execve without binfmt_misc).",
  ].join("\n") + "\n");
  return 0;
}
