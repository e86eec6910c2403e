// `hedron-lab bench net` and `bench disk`: TCP over the lab's loopback and sequential FAT throughput, each beside the
// same guest run natively and under qemu-x86_64 in the same run. Whole-process host time is the headline figure.

import { spawnSync } from "node:child_process";
import fs from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { CliError, usageError } from "./errors.ts";
import { GUEST_DIR } from "./run.ts";

export const NET_USAGE = `usage: hedron-lab bench net [--mib N] [--rounds N] [--json]
  TCP throughput (N MiB through one loopback connection) and round-trip latency (one-byte ping-pongs)`;
export const DISK_USAGE = `usage: hedron-lab bench disk [--mib N] [--json]
  sequential write (64 KiB blocks, fsync) and read of N MiB: the lab on a FAT32 image at /disk, native and qemu in a host folder`;

const CLI = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../bin/hedron-lab.js");
const hostIsX64Linux = process.platform === "linux" && process.arch === "x64";

interface Runner {
  runner: string;
  /** Whole process, as a user times it (the lab: `node bin/hedron-lab.js run …`, start-up included). */
  hostMs: number;
  /** What the guest measured with its own clock: real time natively and under qemu, virtual time in the lab. */
  values: Map<string, number>;
  clock: "host" | "virtual";
}

function parseValues(output: string): Map<string, number> {
  const values = new Map<string, number>();
  for (const m of output.matchAll(/^(\w+) (\d+)$/gm)) values.set(m[1], Number(m[2]));
  return values;
}

/** Best (fastest whole-process) of `repeat` runs; null when the runner is unavailable. */
function timed(runner: string, command: string, args: string[], repeat: number, clock: Runner["clock"]): Runner | null {
  let best: Runner | null = null;
  for (let i = 0; i < repeat; i++) {
    const start = process.hrtime.bigint();
    const r = spawnSync(command, args, { encoding: "latin1", maxBuffer: 16 << 20 });
    const hostMs = Number(process.hrtime.bigint() - start) / 1e6;
    if (r.error) return null;
    if (r.status !== 0) throw new CliError(`${runner} run of ${path.basename(args.find((a) => a.includes("/bin/")) ?? command)} failed (${r.status}): ${r.stderr.trim()}`, 1);
    if (!best || hostMs < best.hostMs) best = { runner, hostMs, values: parseValues(r.stdout), clock };
  }
  return best;
}

function qemuPath(): string {
  return spawnSync("sh", ["-c", "command -v qemu-x86_64"], { encoding: "utf8" }).stdout.trim();
}

/** The three runners of one guest: native, qemu-x86_64, the lab (with `labFlags` and `labArgs`). */
function runners(guest: string, hostArgs: string[], labFlags: string[], labArgs: string[]): Runner[] {
  const elf = path.join(GUEST_DIR, guest);
  if (!fs.existsSync(elf)) throw new CliError(`${elf}: bench guest missing (build it with npm run guests)`, 1);
  const qemu = qemuPath();
  const rows = [
    hostIsX64Linux ? timed("native", elf, hostArgs, 3, "host") : null,
    qemu ? timed("qemu-x86_64", qemu, [elf, ...hostArgs], 2, "host") : null,
    timed("hedron-lab", process.execPath, [CLI, "run", "--clear-env", ...labFlags, elf, ...labArgs], 1, "virtual"),
  ];
  return rows.filter((r): r is Runner => r !== null);
}

function positive(name: string, value: string | undefined): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw usageError(`${name} takes a positive whole number, not '${value ?? ""}'`);
  return n;
}

const need = (r: Runner, key: string): number => {
  const v = r.values.get(key);
  if (v === undefined) throw new CliError(`${r.runner}: the bench guest printed no '${key}'`, 1);
  return v;
};
const mbps = (bytes: number, ns: number) => +(bytes / 1e6 / (ns / 1e9)).toFixed(1);
const ratio = (r: Runner, base: Runner | undefined) => (base ? `${(r.hostMs / base.hostMs).toFixed(2)}×` : "n/a");

export async function benchNetCommand(args: string[]): Promise<number> {
  let mib = 8, rounds = 2000, json = false;
  for (let i = 0; i < args.length; i++) {
    if (args[i] === "--mib") mib = positive("--mib", args[++i]);
    else if (args[i] === "--rounds") rounds = positive("--rounds", args[++i]);
    else if (args[i] === "--json") json = true;
    else throw usageError(`unknown option ${args[i]}\n${NET_USAGE}`);
  }
  const guestArgs = [String(mib), String(rounds)];
  const rows = runners("net-bench", guestArgs, [], guestArgs);
  for (const r of rows) if (need(r, "errors") !== 0) throw new CliError(`${r.runner}: TCP delivered wrong bytes: the benchmark is invalid`, 1);
  const result = rows.map((r) => ({
    runner: r.runner, clock: r.clock, wholeProcessMs: +r.hostMs.toFixed(1),
    tcpMBps: mbps(need(r, "tcp_bytes"), need(r, "tcp_ns")), rttUs: +(need(r, "rtt_ns") / need(r, "rtt_rounds") / 1000).toFixed(2),
  }));
  if (json) {
    process.stdout.write(JSON.stringify({ mib, rounds, runners: result }) + "\n");
    return 0;
  }
  const native = rows.find((r) => r.runner === "native");
  process.stdout.write([
    `TCP over the loopback, one process: ${mib} MiB through one connection, ${rounds} one-byte round trips; every byte checked`,
    "",
    "| runner | guest clock | TCP MB/s (guest clock) | round trip µs (guest clock) | whole process ms | whole process vs native |",
    "|---|---|---:|---:|---:|---:|",
    ...result.map((r, i) => `| ${r.runner} | ${r.clock} | ${r.tcpMBps} | ${r.rttUs} | ${r.wholeProcessMs} | ${ratio(rows[i], native)} |`),
    "",
    "The lab's guest clock is virtual time (retired instructions + modelled kernel costs, HEDRON.md §9); whole-process ms is host time.",
  ].join("\n") + "\n");
  return 0;
}

export async function benchDiskCommand(args: string[]): Promise<number> {
  let mib = 4, json = false;
  for (let i = 0; i < args.length; i++) {
    if (args[i] === "--mib") mib = positive("--mib", args[++i]);
    else if (args[i] === "--json") json = true;
    else throw usageError(`unknown option ${args[i]}\n${DISK_USAGE}`);
  }
  if (spawnSync("sh", ["-c", "command -v mkfs.fat"]).status !== 0) throw new CliError("bench disk needs mkfs.fat (apt-get install dosfstools)", 1);
  const dir = fs.mkdtempSync(path.join(tmpdir(), "hedron-bench-disk-"));
  try {
    const image = path.join(dir, "disk.img");
    const kib = Math.max(40 * 1024, mib * 1024 * 3);
    const mkfs = spawnSync("mkfs.fat", ["-C", "-F", "32", image, String(kib)], { encoding: "utf8" });
    if (mkfs.status !== 0) throw new CliError(`mkfs.fat failed: ${mkfs.stderr.trim()}`, 1);
    const rows = runners("fat-bench", [dir, String(mib)], ["--disk", image, "--disk-writable"], ["/disk", String(mib)]);
    const sums = new Set(rows.map((r) => need(r, "checksum")));
    if (sums.size !== 1) throw new CliError("the runners read back different data: the benchmark is invalid", 1);
    const result = rows.map((r) => ({
      runner: r.runner, clock: r.clock, storage: r.runner === "hedron-lab" ? "FAT32 image (FAT service)" : "host folder",
      writeMBps: mbps(need(r, "bytes"), need(r, "write_ns")), readMBps: mbps(need(r, "bytes"), need(r, "read_ns")),
      wholeProcessMs: +r.hostMs.toFixed(1),
    }));
    if (json) {
      process.stdout.write(JSON.stringify({ mib, runners: result }) + "\n");
      return 0;
    }
    const native = rows.find((r) => r.runner === "native");
    const lab = rows.find((r) => r.runner === "hedron-lab")!;
    process.stdout.write([
      `Sequential file throughput: write ${mib} MiB in 64 KiB blocks + fsync, then read it back; identical data in every runner`,
      "",
      "| runner | storage | guest clock | write MB/s (guest clock) | read MB/s (guest clock) | whole process ms | whole process vs native |",
      "|---|---|---|---:|---:|---:|---:|",
      ...result.map((r, i) => `| ${r.runner} | ${r.storage} | ${r.clock} | ${r.writeMBps} | ${r.readMBps} | ${r.wholeProcessMs} | ${ratio(rows[i], native)} |`),
      "",
      `Lab whole process: ${(2 * mib / (lab.hostMs / 1000)).toFixed(1)} MB/s of file traffic (write + read) in host time, boot and start-up included.`,
      "The lab's guest clock is virtual time (instructions + modelled kernel costs): FAT service work is not costed in it.",
    ].join("\n") + "\n");
    return 0;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
