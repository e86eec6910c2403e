// `hedron-lab bench`: measures the lab against native execution and qemu-x86_64 in the same run.
// Ratios, not absolute figures, are the result: all three runners share this machine and moment.

import { spawnSync } from "node:child_process";
import path from "node:path";
import { Machine } from "../machine.ts";
import { CliError, usageError } from "./errors.ts";
import { benchRecordCommand } from "./record.ts";
import { benchFilesCommand, benchSyscallsCommand } from "./bench-syscalls.ts";
import { benchDiskCommand, benchNetCommand } from "./bench-net.ts";
import { GUEST_DIR, machineConfig, parseRunOptions } from "./run.ts";

export const BENCH_USAGE = `usage: hedron-lab bench cpu|record|syscalls|files|net|disk [options] [--json]

  cpu   runs the CPU-bound guest (hashing, sorting, integer and floating-point arithmetic)
        natively, under qemu-x86_64 (when installed) and in the lab, and prints guest MIPS and ratios
  record  prints the record/replay targets: recording overhead, trace size, replay speed, seek time
  syscalls  times Linux syscalls natively and in the lab (foreign, + mediator) and native Hedron calls, beside HEDRON.md §9
  files   file throughput: Linux syscalls via the personality vs native portal calls, identical work (--mib N)
  net     TCP throughput and round-trip latency over the lab's loopback, beside native and qemu-x86_64 (--mib N, --rounds N)
  disk    FAT sequential write/read MB/s on a FAT32 image at /disk, beside native and qemu-x86_64 in a host folder (--mib N)`;

interface Row {
  runner: string;
  ms: number;
  output: string;
}

function timeHost(runner: string, command: string, args: string[]): Row | null {
  const start = process.hrtime.bigint();
  const r = spawnSync(command, args, { encoding: "latin1" });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (r.error || r.status !== 0) return null;
  return { runner, ms, output: r.stdout };
}

/** Best of `repeat` runs: the least-disturbed measurement of a noisy shared machine. */
function best(rows: (Row | null)[]): Row | null {
  return rows.reduce<Row | null>((a, b) => (b && (!a || b.ms < a.ms) ? b : a), null);
}

async function benchCpu(args: string[]): Promise<number> {
  let scale = 3;
  let json = false;
  for (let i = 0; i < args.length; i++) {
    if (args[i] === "--scale") scale = Number(args[++i]);
    else if (args[i] === "--json") json = true;
    else throw usageError(`unknown option ${args[i]}\n${BENCH_USAGE}`);
  }
  if (!Number.isInteger(scale) || scale < 1) throw usageError("--scale takes a positive whole number");
  const guest = path.join(GUEST_DIR, "bench");
  const guestArgs = [String(scale)];

  const output: string[] = [];
  const options = parseRunOptions(["--clear-env", guest, ...guestArgs]);
  const machine = new Machine(machineConfig(options));
  machine.onConsole((stream, bytes) => {
    if (stream === "stdout") output.push(Buffer.from(bytes).toString("latin1"));
  });
  const start = process.hrtime.bigint();
  while (machine.run(50_000_000) === "budget");
  const labMs = Number(process.hrtime.bigint() - start) / 1e6;
  if (machine.stopReason || machine.exitStatus !== 0) {
    throw new CliError(`the bench guest failed in the lab: ${machine.stopReason ?? `exit status ${machine.exitStatus}`}`, 1);
  }
  const instructions = machine.icount;
  const lab: Row = { runner: "hedron-lab", ms: labMs, output: output.join("") };

  const repeat = 5;
  const native = process.platform === "linux" && process.arch === "x64"
    ? best(Array.from({ length: repeat }, () => timeHost("native", guest, guestArgs)))
    : null;
  const qemuPath = spawnSync("sh", ["-c", "command -v qemu-x86_64"], { encoding: "utf8" }).stdout.trim();
  const qemu = qemuPath ? best(Array.from({ length: 3 }, () => timeHost("qemu-x86_64", qemuPath, [guest, ...guestArgs]))) : null;

  const rows = [native, qemu, lab].filter((r): r is Row => r !== null);
  for (const row of rows) {
    if (row.output !== lab.output) throw new CliError(`${row.runner} printed different output than the lab: the benchmark is invalid`, 1);
  }
  const mips = (ms: number) => instructions / ms / 1000;
  const result = {
    guest: `bench ${scale}`,
    instructions,
    runners: rows.map((r) => ({ runner: r.runner, ms: +r.ms.toFixed(1), mips: +mips(r.ms).toFixed(1), slowdownVsNative: native ? +(r.ms / native.ms).toFixed(2) : null })),
  };
  if (json) {
    process.stdout.write(JSON.stringify(result) + "\n");
    return 0;
  }
  const lines = [
    `CPU-bound guest 'bench ${scale}': ${(instructions / 1e6).toFixed(1)} M guest instructions, output identical in every runner`,
    "",
    "| runner | time (ms) | guest MIPS | time vs native |",
    "|---|---:|---:|---:|",
    ...result.runners.map((r) => `| ${r.runner} | ${r.ms} | ${r.mips} | ${r.slowdownVsNative === null ? "n/a" : `${r.slowdownVsNative}×`} |`),
  ];
  if (!native) lines.push("", "(no native run: the host is not x86-64 Linux)");
  if (!qemu) lines.push("", "(no qemu-x86_64 run: install Debian's qemu-user to compare)");
  process.stdout.write(lines.join("\n") + "\n");
  return 0;
}

export async function benchCommand(args: string[]): Promise<number> {
  const [what, ...rest] = args;
  if (what === "cpu") return benchCpu(rest);
  if (what === "record") return benchRecordCommand(rest);
  if (what === "syscalls") return benchSyscallsCommand(rest);
  if (what === "files") return benchFilesCommand(rest);
  if (what === "net") return benchNetCommand(rest);
  if (what === "disk") return benchDiskCommand(rest);
  throw usageError(BENCH_USAGE);
}
