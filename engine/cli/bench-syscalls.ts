// `hedron-lab bench syscalls` and `bench files`: the thesis's syscall timings (HEDRON.md §9) natively and in the lab,
// and the Linux-vs-native file-throughput pair. Guests time themselves with rdtsc: host TSC ticks natively, virtual cycles in the lab.

import { spawnSync } from "node:child_process";
import fs from "node:fs";
import { homedir, tmpdir } from "node:os";
import path from "node:path";
import { THESIS } from "../hedron/costs.ts";
import { Machine, type MachineConfig, type MachineStats } from "../machine.ts";
import { CliError, usageError } from "./errors.ts";
import { GUEST_DIR } from "./run.ts";

export const SYSCALLS_USAGE = `usage: hedron-lab bench syscalls [--rounds N] [--host-rounds N] [--json] [--no-save]

  Times set_tid_address, fstat and open (rdtsc around each call, mean of N rounds after N/10 warm-up rounds) natively
  on the host (x86-64 Linux only) and in the lab as a foreign app without and with the simulated mediator IPC, and a
  raw hypercall and IPC round trips (same PD, across PDs) in a native app; prints them beside HEDRON.md §9.
  --rounds N       timed rounds per call in the lab (default 2000; the lab is deterministic)
  --host-rounds N  timed rounds per call natively (default 100000, as the thesis)
  --json           print the result as JSON (the Costs view reads the same JSON from the lab's data folder)
  --no-save        do not write bench-syscalls.json to the lab's data folder`;

export const FILES_USAGE = `usage: hedron-lab bench files [--mib N] [--json]

  Writes then reads N MiB (default 4) in 4 KiB blocks, once through Linux read/write syscalls forwarded to the
  personality and once through the native file service's portal calls, and prints both side by side.`;

/** The lab's data folder: $HEDRON_LAB_DATA, else the XDG data folder (the desktop lab reads bench-syscalls.json there). */
export function labDataDir(): string {
  return process.env.HEDRON_LAB_DATA ?? path.join(process.env.XDG_DATA_HOME ?? path.join(homedir(), ".local", "share"), "hedron-lab");
}

export const BENCH_SYSCALLS_JSON = "bench-syscalls.json";

const GUESTS = {
  linuxSyscalls: path.join(GUEST_DIR, "syscall-bench"),
  nativeSyscalls: path.join(GUEST_DIR, "native-syscall-bench"),
  linuxFiles: path.join(GUEST_DIR, "file-bench"),
  nativeFiles: path.join(GUEST_DIR, "native-file-bench"),
  procs: path.join(GUEST_DIR, "procs-bench"),
  linuxServices: path.join(GUEST_DIR, "service-bench"),
  nativeServices: path.join(GUEST_DIR, "native-service-bench"),
};

const hostIsX64Linux = process.platform === "linux" && process.arch === "x64";

type Kind = MachineConfig["modules"][number]["kind"];

interface LabRun {
  values: Map<string, number>;
  output: string;
  stats: MachineStats;
  vcycles: number;
  hostMs: number;
}

/** `name value` lines of a bench guest (native apps' lines carry the stdout service's prefix). */
function parseValues(output: string): Map<string, number> {
  const values = new Map<string, number>();
  for (const line of output.split("\n")) {
    const m = /^(?:\[STDOUT PID=\d+\] )?(\w+) (\d+)$/.exec(line.trim());
    if (m) values.set(m[1], Number(m[2]));
  }
  return values;
}

/** Runs one bench guest in a fresh lab machine to its end; a crash or a non-zero exit invalidates the benchmark. */
function runInLab(elf: string, args: string[], kind: Kind, mediator: boolean, disk?: string): LabRun {
  if (!fs.existsSync(elf)) throw new CliError(`${elf}: bench guest missing (build it with npm run guests)`, 1);
  const machine = new Machine({
    modules: [{ name: path.basename(elf), bytes: fs.readFileSync(elf), kind, argv: [path.basename(elf), ...args] }],
    env: [], cpus: 1, memoryMiB: 256, seed: 1, strict: false, mounts: [], readStdin: () => new Uint8Array(0), mediator,
    ...(disk ? { disk: { path: disk, writable: false } } : {}),
  });
  const chunks: string[] = [];
  const errors: string[] = [];
  machine.onConsole((stream, bytes) => {
    if (stream === "stdout") chunks.push(Buffer.from(bytes).toString("latin1"));
    else if (stream === "stderr") errors.push(Buffer.from(bytes).toString("latin1"));
  });
  while (machine.run(50_000_000) === "budget");
  if (machine.stopReason || machine.exitStatus !== 0) {
    const why = machine.stopReason ?? `exit status ${machine.exitStatus}`;
    throw new CliError(`${path.basename(elf)} (${kind}${mediator ? ", mediator" : ""}) failed in the lab: ${why}${errors.length ? `\n${errors.join("")}` : ""}`, 1);
  }
  const stats = machine.stats();
  const output = chunks.join("");
  return { values: parseValues(output), output, stats, vcycles: machine.vcycles, hostMs: stats.hostMs };
}

/** The Linux guest on the host, best (lowest) figure per call over `repeat` runs: the least-disturbed measurement. */
function runOnHost(elf: string, args: string[], repeat: number): Map<string, number> | null {
  if (!hostIsX64Linux) return null;
  const cwd = fs.mkdtempSync(path.join(tmpdir(), "hedron-bench-"));
  try {
    let best: Map<string, number> | null = null;
    for (let i = 0; i < repeat; i++) {
      const r = spawnSync(elf, args, { cwd, encoding: "latin1" });
      if (r.error || r.status !== 0) return null;
      const values = parseValues(r.stdout);
      if (!best) best = values;
      else for (const [k, v] of values) best.set(k, Math.min(v, best.get(k) ?? v));
    }
    return best;
  } finally {
    fs.rmSync(cwd, { recursive: true, force: true });
  }
}

/** One row of the syscall table: what the guests measured and what the thesis measured (null = no such figure). */
export interface SyscallRow {
  row: string;
  /** The personality's name for the Linux syscall (the Costs view's key); null for the native rows. */
  syscall: string | null;
  nativeLinux: number | null;
  labForeign: number | null;
  labForeignMediator: number | null;
  labNative: number | null;
  thesis: { nativeLinux: number | null; foreign: number | null; mediator: number | null; native: number | null };
  /** Process and thread rows: the portal calls and hypercalls one operation really makes in the lab (its cost's parts). */
  perOperation?: { portalCalls: number; hypercalls: number };
  /** Service rows: the same work through the Linux personality (labForeign) and the native SDK client (labNative). */
  service?: "net" | "disk";
}

export interface SyscallBench {
  rounds: { lab: number; host: number | null };
  rows: SyscallRow[];
}

const LINUX_ROWS = ["set_tid_address", "fstat", "open"] as const;
const NATIVE_ROWS = [
  { row: "raw hypercall (pt_ctrl)", key: "hypercall", thesis: THESIS.hypercallNative },
  { row: "IPC call+reply, same PD", key: "ipc_same_pd", thesis: THESIS.ipcSamePd },
  { row: "IPC call+reply, across PDs", key: "ipc_cross_pd", thesis: THESIS.ipcCrossPd },
] as const;

/** Operations of many syscalls (the procs-bench guest), costed in the lab from the portal calls they make. */
const PROCESS_ROWS = [
  { row: "fork + exit + wait", op: "fork" },
  { row: "fork + execve + exit + wait", op: "exec" },
  { row: "futex wake (uncontended)", op: "futex" },
  { row: "pipe round trip", op: "pipe" },
  { row: "thread create + join", op: "thread" },
] as const;

/** The service-bench guests' figures: one call each through the network service and the FAT disk service. */
const SERVICE_ROWS = [
  { row: "TCP send, 64 B (loopback)", key: "send", syscall: "sendto", service: "net" },
  { row: "TCP recv, 64 B (loopback)", key: "recv", syscall: "recvfrom", service: "net" },
  // Natively the host reads the same bytes from a host file: Linux has no FAT driver in this path to compare with.
  { row: "file read, 4 KiB (lab: FAT at /disk)", key: "file_read", syscall: null, service: "disk" },
] as const;

/** Rounds of the service rows at most: the file read once through holds 1.1 × this many 4 KiB blocks (18 MB). */
const SERVICE_MAX_ROUNDS = 4000;

/** A FAT32 image (mkfs.fat) holding `file` as /service.dat, or null without dosfstools and mtools. */
function serviceImage(dir: string, file: string): string | null {
  const image = path.join(dir, "service.img");
  const mkfs = spawnSync("mkfs.fat", ["-C", "-F", "32", image, "65536"], { encoding: "utf8" });
  if (mkfs.error || mkfs.status !== 0) return null;
  const copy = spawnSync("mcopy", ["-i", image, file, "::service.dat"], { encoding: "utf8" });
  return copy.error || copy.status !== 0 ? null : image;
}

/** The same sends, receives and 4 KiB reads through the Linux personality (plain and with the mediator) and through
 *  the native SDK path, on a read-only FAT image; the host runs the Linux guest on a copy of the file. Empty without
 *  mkfs.fat and mcopy. */
function serviceRows(rounds: number, hostRounds: number | null): SyscallRow[] {
  const dir = fs.mkdtempSync(path.join(tmpdir(), "hedron-bench-services-"));
  try {
    const blocks = Math.max(rounds, hostRounds ?? 0) + Math.floor(Math.max(rounds, hostRounds ?? 0) / 10);
    const file = path.join(dir, "service.dat");
    fs.writeFileSync(file, Buffer.alloc(blocks * 4096, 0x5a));
    const image = serviceImage(dir, file);
    if (!image) return [];
    const args = [String(rounds), "/disk/service.dat"];
    const foreign = runInLab(GUESTS.linuxServices, args, "foreign", false, image);
    const mediator = runInLab(GUESTS.linuxServices, args, "foreign", true, image);
    const native = runInLab(GUESTS.nativeServices, args, "native", false, image);
    const host = hostRounds === null ? null : runOnHost(GUESTS.linuxServices, [String(hostRounds), file], 3);
    return SERVICE_ROWS.map((r) => ({
      row: r.row,
      syscall: r.syscall,
      nativeLinux: host?.get(r.key) ?? null,
      labForeign: need(foreign, r.key, "Linux service"),
      labForeignMediator: need(mediator, r.key, "Linux service"),
      labNative: need(native, r.key, "native service"),
      thesis: { nativeLinux: null, foreign: null, mediator: null, native: null },
      service: r.service,
    }));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** Per-operation cycles (the guest's rdtsc) of a procs-bench run, and the portal calls and hypercalls it made per operation. */
function processRow(row: string, op: string, rounds: number, host: Map<string, number> | null, hostRounds: number): SyscallRow {
  const args = [op, String(rounds)];
  const foreign = runInLab(GUESTS.procs, args, "foreign", false);
  const mediator = runInLab(GUESTS.procs, args, "foreign", true);
  const idle = runInLab(GUESTS.procs, [op, "0"], "foreign", false);
  const hypercalls = (r: LabRun) => Object.values(r.stats.hypercalls).reduce((a, b) => a + b, 0);
  const perOp = (n: number) => Math.round(n / rounds);
  return {
    row, syscall: null,
    nativeLinux: host ? Math.round((host.get("cycles") ?? NaN) / hostRounds) : null,
    labForeign: perOp(need(foreign, "cycles", "procs")),
    labForeignMediator: perOp(need(mediator, "cycles", "procs")),
    labNative: null,
    thesis: { nativeLinux: null, foreign: null, mediator: null, native: null },
    perOperation: {
      portalCalls: +((foreign.stats.portalCalls - idle.stats.portalCalls) / rounds).toFixed(1),
      hypercalls: +((hypercalls(foreign) - hypercalls(idle)) / rounds).toFixed(1),
    },
  };
}

function need(run: LabRun, key: string, what: string): number {
  const v = run.values.get(key);
  if (v === undefined) throw new CliError(`the ${what} bench guest printed no '${key}' figure:\n${run.output}`, 1);
  return v;
}

/** Runs every column; the host column only when `hostRounds` is given and the host is x86-64 Linux. */
export function measureSyscalls(options: { rounds: number; hostRounds: number | null }): SyscallBench {
  const labArgs = [String(options.rounds), String(Math.max(1, Math.floor(options.rounds / 10)))];
  const foreign = runInLab(GUESTS.linuxSyscalls, labArgs, "foreign", false);
  const mediator = runInLab(GUESTS.linuxSyscalls, labArgs, "foreign", true);
  const native = runInLab(GUESTS.nativeSyscalls, labArgs, "native", false);
  const host = options.hostRounds === null
    ? null
    : runOnHost(GUESTS.linuxSyscalls, [String(options.hostRounds), String(Math.floor(options.hostRounds / 10))], 3);
  const rows: SyscallRow[] = [
    ...LINUX_ROWS.map((name) => ({
      row: name,
      syscall: name,
      nativeLinux: host?.get(name) ?? null,
      labForeign: need(foreign, name, "Linux"),
      labForeignMediator: need(mediator, name, "Linux"),
      labNative: null,
      thesis: { nativeLinux: THESIS.linux[name].native, foreign: THESIS.linux[name].foreign, mediator: THESIS.linux[name].mediator, native: null },
    })),
    ...NATIVE_ROWS.map((r) => ({
      row: r.row,
      syscall: null,
      nativeLinux: null,
      labForeign: null,
      labForeignMediator: null,
      labNative: need(native, r.key, "native"),
      thesis: { nativeLinux: null, foreign: null, mediator: null, native: r.thesis },
    })),
    ...PROCESS_ROWS.map(({ row, op }) => {
      const labRounds = Math.max(5, Math.floor(options.rounds / 100));
      const hostRounds = labRounds * 10;
      const hostRun = options.hostRounds === null ? null : runOnHost(GUESTS.procs, [op, String(hostRounds)], 3);
      return processRow(row, op, labRounds, hostRun, hostRounds);
    }),
    ...serviceRows(Math.min(options.rounds, SERVICE_MAX_ROUNDS), options.hostRounds === null ? null : Math.min(options.hostRounds, SERVICE_MAX_ROUNDS)),
  ];
  return { rounds: { lab: options.rounds, host: host ? options.hostRounds : null }, rows };
}

/** Every lab figure with a thesis figure beside it, and how far off it is (lab / thesis − 1). */
export function deviations(bench: SyscallBench): { row: string; column: string; lab: number; thesis: number; deviation: number }[] {
  const out = [];
  for (const r of bench.rows) {
    const pairs: [string, number | null, number | null][] = [
      ["lab foreign", r.labForeign, r.thesis.foreign],
      ["lab foreign + mediator", r.labForeignMediator, r.thesis.mediator],
      ["lab native", r.labNative, r.thesis.native],
    ];
    for (const [column, lab, thesis] of pairs) {
      if (lab !== null && thesis !== null) out.push({ row: r.row, column, lab, thesis, deviation: lab / thesis - 1 });
    }
  }
  return out;
}

const cell = (v: number | null) => (v === null ? "–" : String(v));
const percent = (d: number) => `${d >= 0 ? "+" : "−"}${Math.abs(d * 100).toFixed(1)} %`;

export function formatSyscallTable(bench: SyscallBench): string {
  const lines = [
    `Cycles per call (rdtsc around each call; lab: mean of ${bench.rounds.lab} rounds, virtual cycles; ` +
      `host: ${bench.rounds.host === null ? "not run" : `best of 3 × mean of ${bench.rounds.host} rounds, TSC ticks`}); thesis = HEDRON.md §9`,
    "",
    "| call | native Linux | thesis | lab foreign | thesis | lab foreign + mediator | thesis | lab native | thesis |",
    "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ...bench.rows.map((r) =>
      `| ${r.row} | ${cell(r.nativeLinux)} | ${cell(r.thesis.nativeLinux)} | ${cell(r.labForeign)} | ${cell(r.thesis.foreign)} | ` +
      `${cell(r.labForeignMediator)} | ${cell(r.thesis.mediator)} | ${cell(r.labNative)} | ${cell(r.thesis.native)} |`),
  ];
  const worst = deviations(bench).reduce((a, b) => (Math.abs(b.deviation) > Math.abs(a.deviation) ? b : a));
  lines.push("", `largest lab-vs-thesis deviation: ${worst.row}, ${worst.column}: ${worst.lab} vs ${worst.thesis} (${percent(worst.deviation)}; calibration limit ±25 %)`);
  const composite = bench.rows.filter((r) => r.perOperation);
  if (composite.length > 0) {
    lines.push("", "Process and thread rows (procs-bench guest, cycles per operation; no thesis figure) are costed from the calls they make:");
    for (const r of composite) lines.push(`  ${r.row}: ${r.perOperation!.portalCalls} portal calls, ${r.perOperation!.hypercalls} hypercalls per operation`);
  }
  const services = bench.rows.filter((r) => r.service);
  if (services.length > 0) {
    lines.push("", "Service rows (service-bench guests): the same call through the Linux personality (lab foreign) and the native SDK client (lab native);");
    lines.push("  a native 4 KiB read is two file-service portal calls (messages carry ≤ 4000 bytes); native Linux reads a host file, not FAT.");
  } else lines.push("", "(no service rows: they need mkfs.fat and mcopy, apt-get install dosfstools mtools)");
  if (bench.rounds.host === null) lines.push("(no native Linux run: the host is not x86-64 Linux)");
  return lines.join("\n") + "\n";
}

function positive(name: string, value: string | undefined): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw usageError(`${name} takes a positive whole number`);
  return n;
}

export async function benchSyscallsCommand(args: string[]): Promise<number> {
  let rounds = 2000;
  let hostRounds = 100_000;
  let json = false;
  let save = true;
  for (let i = 0; i < args.length; i++) {
    if (args[i] === "--rounds") rounds = positive("--rounds", args[++i]);
    else if (args[i] === "--host-rounds") hostRounds = positive("--host-rounds", args[++i]);
    else if (args[i] === "--json") json = true;
    else if (args[i] === "--no-save") save = false;
    else throw usageError(`unknown option ${args[i]}\n${SYSCALLS_USAGE}`);
  }
  const bench = measureSyscalls({ rounds, hostRounds });
  const text = JSON.stringify(bench);
  if (save) {
    const file = path.join(labDataDir(), BENCH_SYSCALLS_JSON);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, text + "\n");
    process.stderr.write(`hedron-lab: wrote ${file} (the Costs view's native Linux figures)\n`);
  }
  process.stdout.write(json ? text + "\n" : formatSyscallTable(bench));
  return 0;
}

/** One side of the file-throughput pair. */
export interface FilesSide {
  path: string;
  blocks: number;
  writeCyclesPerOp: number;
  readCyclesPerOp: number;
  checksum: string;
  vcycles: number;
  /** Guest instructions retired (CPI 1: as many vcycles) and the rest of the vcycles: kernel paths, IPC, service work. */
  instructions: number;
  kernelVcycles: number;
  portalCalls: number;
  foreignSyscalls: number;
  hostMs: number;
}

function filesSide(label: string, elf: string, kind: Kind, mib: number): FilesSide {
  const run = runInLab(elf, [String(mib)], kind, false);
  const checksum = /checksum ([0-9a-f]{8})/.exec(run.output)?.[1];
  if (!checksum) throw new CliError(`the ${label} file bench printed no checksum:\n${run.output}`, 1);
  return {
    path: label,
    blocks: need(run, "blocks", label),
    writeCyclesPerOp: need(run, "write", label),
    readCyclesPerOp: need(run, "read", label),
    checksum,
    vcycles: run.vcycles,
    instructions: run.stats.instructions,
    kernelVcycles: run.vcycles - run.stats.costs.instructions,
    portalCalls: run.stats.portalCalls,
    foreignSyscalls: Object.values(run.stats.foreignSyscalls).reduce((a, b) => a + b, 0),
    hostMs: run.hostMs,
  };
}

export function measureFiles(mib: number): { mib: number; sides: FilesSide[] } {
  const sides = [
    filesSide("Linux syscall via personality", GUESTS.linuxFiles, "foreign", mib),
    filesSide("native portal call", GUESTS.nativeFiles, "native", mib),
  ];
  if (sides[0].checksum !== sides[1].checksum) {
    throw new CliError(`the file bench variants read back different data (${sides[0].checksum} vs ${sides[1].checksum}): the comparison is invalid`, 1);
  }
  return { mib, sides };
}

export function formatFilesTable(result: { mib: number; sides: FilesSide[] }): string {
  const [linux] = result.sides;
  return [
    `File throughput: write then read ${result.mib} MiB in 4 KiB blocks (${linux.blocks} blocks each way), identical data (checksum ${linux.checksum})`,
    "",
    "| path | vcycles / 4 KiB write | vcycles / 4 KiB read | total vcycles | guest instructions | kernel + service vcycles | portal calls | foreign syscalls | host ms |",
    "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ...result.sides.map((s) =>
      `| ${s.path} | ${s.writeCyclesPerOp} | ${s.readCyclesPerOp} | ${s.vcycles} | ${s.instructions} | ${s.kernelVcycles} | ${s.portalCalls} | ${s.foreignSyscalls} | ${s.hostMs} |`),
  ].join("\n") + "\n";
}

export async function benchFilesCommand(args: string[]): Promise<number> {
  let mib = 4;
  let json = false;
  for (let i = 0; i < args.length; i++) {
    if (args[i] === "--mib") mib = positive("--mib", args[++i]);
    else if (args[i] === "--json") json = true;
    else throw usageError(`unknown option ${args[i]}\n${FILES_USAGE}`);
  }
  const result = measureFiles(mib);
  process.stdout.write(json ? JSON.stringify(result) + "\n" : formatFilesTable(result));
  return 0;
}
