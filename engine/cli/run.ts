// `hedron-lab run`: boots the modelled Hedron with one ELF (Linux/foreign, native or hybrid) or a boot config of several, and relays their stdio.
// stdout carries only the guest's stdout, byte for byte; everything the lab says goes to stderr.

import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseElf } from "../elf/elf.ts";
import { Machine, MEMORY_MIB, type MachineConfig } from "../machine.ts";
import type { TerminalInfo } from "../roottask/linux/context.ts";
import type { MachineEvent } from "../events.ts";
import { appKind } from "../roottask/app-kind.ts";
import type { AppKind } from "../roottask/process.ts";
import { CliError, usageError } from "./errors.ts";
import { readDiskImage } from "../roottask/fat/disk.ts";

/** The environment a guest starts with unless --inherit-env or --clear-env: fixed, so runs do not depend on the host. */
export const DEFAULT_ENV: readonly string[] = ["PATH=/bin:/usr/bin", "HOME=/", "LANG=C"];
/** Exit status of a run stopped by --max-instructions or --timeout (as timeout(1) reports its limit). */
export const EXIT_LIMIT = 124;
/** Exit status of a run stopped by SIGINT (128 + 2, as a shell reports it). */
export const EXIT_INTERRUPTED = 130;
import { DEFAULT_JIT_MODE, JIT_MODES, type JitMode } from "../cpu/cpu.ts";

export const RUN_USAGE = `usage: hedron-lab run [options] ELF [ARGS...]
       hedron-lab run [options] --boot FILE.json [ELF [ARGS...]]

options:
  --stats             print a JSON object of run statistics as the last line of stderr
  --trace             print every forwarded syscall and portal call on stderr
  --strict            stop the run at the first syscall the Linux personality does not know
  --env K=V           add an environment variable (repeatable)
  --clear-env         start with an empty environment instead of the default one
  --inherit-env       start with the host's environment instead of the default one
                      (default: ${DEFAULT_ENV.join(" ")}, the same on every machine, so recordings replay anywhere)
  --mount HOST:GUEST  make a host folder visible read-only at GUEST (repeatable)
  --disk IMAGE        attach a raw FAT12/16/32 image (mkfs.fat) at /disk, read-only: writes fail with EROFS
  --disk-writable     let the guest change the --disk image (committed atomically on close, fsync and exit)
  --mediator          simulate the seed's mediator library: one extra IPC before every forwarded syscall
  --serial            copy the serial console (the roottask's log) to stderr
  --cpus N            virtual CPUs (default 1)
  --pid N             pid of the first process (default 1000 for a Linux program, 1 for a native app)
  --max-procs N       live processes at most; fork beyond it fails with EAGAIN (default 256)
  --seed N            seed of the guest-visible PRNG (getrandom, AT_RANDOM; default 1)
  --realtime-start S  CLOCK_REALTIME at the start, in seconds since 1970 (default: the host's wall clock)
  --memory MIB        guest physical memory in MiB, 16 to 4096 (default 512)
  --fs-quota MIB      most file data the in-memory file system holds; writes beyond it fail with ENOSPC
                      (default: half of --memory)
  --max-instructions N  stop the run after N guest instructions (exit status ${EXIT_LIMIT})
  --timeout SECONDS   stop the run after SECONDS of host time (exit status ${EXIT_LIMIT}); SIGINT stops it too (${EXIT_INTERRUPTED})
  --jit MODE          off (interpreter only), blocks (hot blocks compiled to JavaScript), regions (hot blocks
                      later recompiled with the blocks they branch to) or wasm (hot blocks compiled with the blocks
                      they reach to WebAssembly regions linked to each other; the default); every mode retires the
                      same instructions
  --kind KIND         run ELF as native, foreign (Linux) or hybrid (default: what its .hedron.kind section says,
                      foreign without one)
  --boot FILE.json    boot several modules side by side: a JSON array of {"path", "name"?, "kind"?, "argv"?}
                      (paths relative to the file; kind auto-detected unless given); an ELF on the command line
                      is added after them. One entry may be {"disk": IMAGE, "writable"?: true} instead (as --disk)`;

/** Root-relative, so the path holds from engine/cli/ (TypeScript) and from dist/cli/ (the bundle) alike. */
export const GUEST_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../engine/guests/bin");
/** The built-in demo that `npm start` runs until the desktop lab opens instead. */
export const DEMO_GUEST = path.join(GUEST_DIR, "hello");

/** One module of a boot config (`--boot FILE.json`), after validation. */
export interface BootEntry {
  path: string;
  name?: string;
  kind?: AppKind;
  argv?: string[];
}

export interface RunOptions {
  elfPath: string;
  /** --kind: the ELF's kind instead of the one its .hedron.kind section declares. */
  kind?: AppKind;
  /** --boot: modules that boot before the ELF (if any). */
  boot: BootEntry[];
  guestArgs: string[];
  stats: boolean;
  trace: boolean;
  serial: boolean;
  strict: boolean;
  mediator: boolean;
  env: string[];
  mounts: { host: string; guest: string }[];
  /** --disk / --disk-writable. */
  disk?: { path: string; writable: boolean };
  cpus: number;
  seed: number;
  /** --realtime-start, in ns; absent: the host's wall clock when the machine is configured. */
  realtimeStartNs?: number;
  memoryMiB: number;
  /** --fs-quota; undefined: the machine's default (half of memoryMiB). */
  fsQuotaMiB?: number;
  maxInstructions?: number;
  timeoutSeconds?: number;
  jit: JitMode;
  firstPid?: number;
  maxProcs?: number;
}

function jitOption(value: string | undefined): JitMode {
  const mode = JIT_MODES.find((m) => m === value);
  if (mode === undefined) throw usageError(`--jit takes ${JIT_MODES.join(", ")}, not '${value ?? ""}'`);
  return mode;
}

function integerOption(name: string, value: string | undefined, min: number, max: number): number {
  if (value === undefined) throw usageError(`${name} needs a value`);
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) throw usageError(`${name} takes a whole number from ${min} to ${max}, not '${value}'`);
  return n;
}

/** Parses the options shared by `run` and `record`; guest arguments start at the ELF path. */
export function parseRunOptions(args: string[], extra?: (flag: string, next: () => string | undefined) => boolean): RunOptions {
  const env = new Map<string, string>();
  let baseEnv = "default" as "default" | "clear" | "inherit";
  const setBaseEnv = (flag: string, wanted: "clear" | "inherit") => {
    if (baseEnv !== "default" && baseEnv !== wanted) throw usageError(`${flag}: choose one of --clear-env and --inherit-env`);
    baseEnv = wanted;
  };
  const added: [string, string][] = [];
  const options: RunOptions = {
    elfPath: "", boot: [], guestArgs: [], stats: false, trace: false, serial: false, strict: false, mediator: false,
    env: [], mounts: [], cpus: 1, seed: 1, memoryMiB: 512, jit: DEFAULT_JIT_MODE,
  };
  let i = 0;
  const next = () => args[++i];
  for (; i < args.length; i++) {
    const arg = args[i];
    if (arg === "--") { i++; break; }
    // A command's own flags may be short (record's -o), so they are offered before the ELF ends the options.
    if (arg.startsWith("-") && extra?.(arg, next)) continue;
    if (!arg.startsWith("--")) break;
    if (arg.startsWith("--jit=")) { options.jit = jitOption(arg.slice(6)); continue; }
    switch (arg) {
      case "--stats": options.stats = true; break;
      case "--trace": options.trace = true; break;
      case "--serial": options.serial = true; break;
      case "--strict": options.strict = true; break;
      case "--mediator": options.mediator = true; break;
      case "--clear-env": setBaseEnv(arg, "clear"); break;
      case "--inherit-env": setBaseEnv(arg, "inherit"); break;
      case "--demo": options.elfPath = DEMO_GUEST; break;
      case "--env": {
        const kv = next();
        if (kv === undefined || !kv.includes("=")) throw usageError("--env takes K=V");
        added.push([kv.slice(0, kv.indexOf("=")), kv.slice(kv.indexOf("=") + 1)]);
        break;
      }
      case "--mount": {
        const spec = next();
        const colon = spec?.lastIndexOf(":") ?? -1;
        if (spec === undefined || colon <= 0 || colon === spec.length - 1) throw usageError("--mount takes HOST:GUEST");
        const host = path.resolve(spec.slice(0, colon));
        if (!fs.existsSync(host) || !fs.statSync(host).isDirectory()) throw new CliError(`--mount: ${host} is not a folder`, 2);
        const guest = spec.slice(colon + 1);
        if (!guest.startsWith("/")) throw usageError(`--mount: the guest path '${guest}' must be absolute`);
        options.mounts.push({ host, guest });
        break;
      }
      case "--disk": {
        const image = next();
        if (image === undefined) throw usageError("--disk needs an image file");
        options.disk = { path: path.resolve(image), writable: options.disk?.writable ?? false };
        break;
      }
      case "--disk-writable": options.disk = { path: options.disk?.path ?? "", writable: true }; break;
      case "--cpus": options.cpus = integerOption("--cpus", next(), 1, 64); break;
      case "--pid": options.firstPid = integerOption("--pid", next(), 1, 4_000_000); break;
      case "--max-procs": options.maxProcs = integerOption("--max-procs", next(), 1, 100_000); break;
      case "--seed": options.seed = integerOption("--seed", next(), 0, 2 ** 32 - 1); break;
      case "--realtime-start": options.realtimeStartNs = integerOption("--realtime-start", next(), 0, 2 ** 33) * 1e9; break;
      case "--memory": options.memoryMiB = integerOption("--memory", next(), MEMORY_MIB.min, MEMORY_MIB.max); break;
      case "--fs-quota": options.fsQuotaMiB = integerOption("--fs-quota", next(), 1, 1 << 20); break;
      case "--max-instructions": options.maxInstructions = integerOption("--max-instructions", next(), 1, Number.MAX_SAFE_INTEGER); break;
      case "--timeout": options.timeoutSeconds = secondsOption("--timeout", next()); break;
      case "--kind": options.kind = kindOption("--kind", next()); break;
      case "--jit": options.jit = jitOption(next()); break;
      case "--boot": {
        const config = readBootConfig(next());
        options.boot.push(...config.modules);
        if (config.disk) options.disk = config.disk;
        break;
      }
      case "--help": throw new CliError(RUN_USAGE, 0);
      default: throw usageError(`unknown option ${arg}\n${RUN_USAGE}`);
    }
  }
  if (!options.elfPath && (i < args.length || options.boot.length === 0)) {
    if (i >= args.length) throw usageError(`no ELF file given\n${RUN_USAGE}`);
    options.elfPath = args[i++];
  }
  options.guestArgs = args.slice(i);
  if (options.disk && !options.disk.path) throw usageError("--disk-writable needs --disk IMAGE");
  if (options.disk) checkDiskImage(options.disk.path);
  if (baseEnv === "inherit") for (const [k, v] of Object.entries(process.env)) if (v !== undefined) env.set(k, v);
  if (baseEnv === "default") for (const kv of DEFAULT_ENV) env.set(kv.slice(0, kv.indexOf("=")), kv.slice(kv.indexOf("=") + 1));
  for (const [k, v] of added) env.set(k, v);
  options.env = [...env].map(([k, v]) => `${k}=${v}`);
  return options;
}

function secondsOption(name: string, value: string | undefined): number {
  const n = Number(value);
  if (value === undefined || value.trim() === "" || !Number.isFinite(n) || n <= 0 || n > 1e7) {
    throw usageError(`${name} takes a number of seconds greater than 0, not '${value ?? ""}'`);
  }
  return n;
}

/** A bad --disk image is one clear line before anything boots. */
function checkDiskImage(image: string): void {
  const { problem } = readDiskImage(image);
  if (problem) throw new CliError(`--disk: ${problem}`, 2);
}

const KINDS: readonly AppKind[] = ["native", "foreign", "hybrid"];

function kindOption(name: string, value: string | undefined): AppKind {
  if (!KINDS.includes(value as AppKind)) throw usageError(`${name} takes native, foreign or hybrid, not '${value ?? ""}'`);
  return value as AppKind;
}

/** A boot config: a JSON array of modules and at most one disk; paths are relative to the file's folder. */
function readBootConfig(file: string | undefined): { modules: BootEntry[]; disk?: { path: string; writable: boolean } } {
  if (file === undefined) throw usageError("--boot needs a JSON file");
  let data: unknown;
  try {
    data = JSON.parse(fs.readFileSync(file, "utf8"));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new CliError(`--boot ${file}: ${code === "ENOENT" ? "no such file" : (error as Error).message}`, 2);
  }
  const bad = (why: string) => new CliError(`--boot ${file}: ${why}`, 2);
  if (!Array.isArray(data) || data.length === 0) throw bad("expected a non-empty JSON array of modules");
  const disks = data.filter((m) => typeof m === "object" && m !== null && "disk" in m) as Record<string, unknown>[];
  if (disks.length > 1) throw bad("more than one disk entry");
  const disk = disks[0];
  if (disk && (typeof disk.disk !== "string" || (disk.writable !== undefined && typeof disk.writable !== "boolean"))) {
    throw bad(`a disk entry needs a "disk" image path and an optional boolean "writable"`);
  }
  const modules = data.filter((m) => m !== disk).map((m: unknown, i) => {
    const e = m as Record<string, unknown>;
    if (typeof e !== "object" || e === null || typeof e.path !== "string") throw bad(`module ${i} needs a "path" string`);
    if (e.name !== undefined && typeof e.name !== "string") throw bad(`module ${i}: "name" must be a string`);
    if (e.kind !== undefined && !KINDS.includes(e.kind as AppKind)) throw bad(`module ${i}: "kind" must be native, foreign or hybrid`);
    if (e.argv !== undefined && !(Array.isArray(e.argv) && e.argv.every((a) => typeof a === "string"))) throw bad(`module ${i}: "argv" must be an array of strings`);
    return { path: path.resolve(path.dirname(file), e.path), name: e.name as string | undefined, kind: e.kind as AppKind | undefined, argv: e.argv as string[] | undefined };
  });
  if (modules.length === 0) throw bad("expected at least one module beside the disk");
  return { modules, disk: disk && { path: path.resolve(path.dirname(file), disk.disk as string), writable: disk.writable === true } };
}

/** Reads and validates one module's ELF, so a bad file is one clear line; the kind defaults to the ELF's own. */
function loadModule(elfPath: string, name: string, argv: string[], kind: AppKind | undefined): MachineConfig["modules"][number] {
  let bytes: Uint8Array;
  try {
    bytes = fs.readFileSync(elfPath);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT") throw new CliError(`${elfPath}: no such file`, 127);
    if (code === "EISDIR") throw new CliError(`${elfPath}: is a folder, not an ELF file`, 126);
    throw new CliError(`${elfPath}: cannot read (${code ?? String(error)})`, 126);
  }
  try {
    parseElf(bytes);
  } catch (error) {
    throw new CliError(`${elfPath}: ${(error as Error).message}`, 126);
  }
  return { name, bytes, kind: kind ?? appKind(bytes), argv };
}

/** Reads and validates every module before anything boots. */
export function machineConfig(options: RunOptions): MachineConfig {
  const modules = options.boot.map((b) => loadModule(b.path, b.name ?? path.basename(b.path), b.argv ?? [b.path], b.kind));
  if (options.elfPath) modules.push(loadModule(options.elfPath, path.basename(options.elfPath), [options.elfPath, ...options.guestArgs], options.kind));
  const names = new Set<string>();
  for (const m of modules) {
    if (names.has(m.name)) throw new CliError(`two modules are named '${m.name}': give one a "name" in the boot config`, 2);
    names.add(m.name);
  }
  return {
    modules,
    env: options.env,
    cpus: options.cpus,
    memoryMiB: options.memoryMiB,
    ...(options.fsQuotaMiB === undefined ? {} : { fsQuotaMiB: options.fsQuotaMiB }),
    seed: options.seed,
    strict: options.strict,
    mediator: options.mediator,
    mounts: options.mounts,
    jit: options.jit,
    disk: options.disk,
    firstPid: options.firstPid,
    maxProcs: options.maxProcs,
    realtimeStartNs: options.realtimeStartNs ?? Date.now() * 1e6,
    terminal: hostTerminal(),
    readStdin: readHostStdinInterruptibly,
  };
}

/** The guest's stdout/stderr written to the CLI's own (a config's `consoleSink`): a closed reader is EPIPE. */
export function hostConsole(stream: "stdout" | "stderr", bytes: Uint8Array): boolean {
  return writeAll(stream === "stdout" ? 1 : 2, bytes);
}

/** Which of the CLI's streams are terminals (the guest's console is a tty exactly then), with the window size. */
function hostTerminal(): TerminalInfo | undefined {
  const stdin = process.stdin.isTTY === true, stdout = process.stdout.isTTY === true, stderr = process.stderr.isTTY === true;
  if (!stdin && !stdout && !stderr) return undefined;
  const sized = stdout ? process.stdout : stderr ? process.stderr : null;
  return { stdin, stdout, stderr, rows: sized?.rows ?? 24, cols: sized?.columns ?? 80 };
}

/** Blocking read of the CLI's stdin; an empty array is end of file (also when stdin is closed). */
function readHostStdin(max: number): Uint8Array {
  const buffer = new Uint8Array(max);
  for (;;) {
    try {
      return buffer.subarray(0, fs.readSync(0, buffer, 0, max, null));
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === "EAGAIN") { Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 5); continue; }
      if (code === "EOF" || code === "EBADF" || code === "ENXIO") return buffer.subarray(0, 0);
      throw error;
    }
  }
}

/**
 * SIGINT asks the run loop to stop at its next check. The loop runs synchronously, so the request is seen when it
 * yields to the event loop; while the guest waits in a blocking stdin read, SIGINT keeps its default action instead
 * (the process ends at once, as before: a recording then stays incomplete but replayable up to its last chunk).
 */
let interruptRequested = false;
const requestInterrupt = () => {
  interruptRequested = true;
};

function readHostStdinInterruptibly(max: number): Uint8Array {
  const watching = process.listeners("SIGINT").includes(requestInterrupt);
  if (watching) process.off("SIGINT", requestInterrupt);
  try {
    return readHostStdin(max);
  } finally {
    if (watching) process.on("SIGINT", requestInterrupt);
  }
}

/** Why the host ended a run before the guest did: the one line the CLI prints and the exit status it returns. */
export interface HostStop {
  reason: string;
  exitStatus: number;
}

/** Instructions per step when the stepper takes a budget: small enough to check limits and SIGINT every few ms. */
const SLICE_INSTRUCTIONS = 1 << 20;
/** Host time between yields to the event loop (where SIGINT arrives). */
const YIELD_MS = 25;

/** n with thousands separators (96,972,053): not toLocaleString, whose first call costs ~25 ms loading ICU data. */
export function grouped(n: number): string {
  const [whole, fraction] = String(n).split(".");
  const digits = whole.replace(/\B(?=(\d{3})+$)/g, ",");
  return fraction === undefined ? digits : `${digits}.${fraction}`;
}

/**
 * Drives a run to its end under --max-instructions, --timeout and SIGINT. `step(budget)` runs up to `budget`
 * instructions (the recorder runs one chunk instead) and says whether the machine halted; null when it did.
 */
export async function driveRun(step: (budget: number) => boolean, icount: () => number, options: Pick<RunOptions, "maxInstructions" | "timeoutSeconds">): Promise<HostStop | null> {
  const start = performance.now();
  let lastYield = start;
  interruptRequested = false;
  process.on("SIGINT", requestInterrupt);
  try {
    for (;;) {
      if (interruptRequested) return { reason: `interrupted (SIGINT): stopped at instruction ${grouped(icount())}`, exitStatus: EXIT_INTERRUPTED };
      const left = options.maxInstructions === undefined ? SLICE_INSTRUCTIONS : options.maxInstructions - icount();
      if (left <= 0) {
        return {
          reason: `instruction limit reached (--max-instructions ${options.maxInstructions}): stopped at instruction ${grouped(icount())}`,
          exitStatus: EXIT_LIMIT,
        };
      }
      if (step(Math.min(left, SLICE_INSTRUCTIONS))) return null;
      const now = performance.now();
      if (options.timeoutSeconds !== undefined && now - start >= options.timeoutSeconds * 1000) {
        return {
          reason: `time limit reached (--timeout ${options.timeoutSeconds}): stopped after ${((now - start) / 1000).toFixed(1)} s of host time at instruction ${grouped(icount())}`,
          exitStatus: EXIT_LIMIT,
        };
      }
      if (now - lastYield >= YIELD_MS) {
        await new Promise<void>((resolve) => setImmediate(resolve));
        lastYield = performance.now();
      }
    }
  } finally {
    process.off("SIGINT", requestInterrupt);
  }
}

/**
 * Synchronous, complete writes: the machine runs synchronously, and output order must be exact.
 * False when the reader has gone (EPIPE), so a guest writing to a closed pipe sees EPIPE as on Linux.
 */
export function writeAll(fd: number, bytes: Uint8Array): boolean {
  let done = 0;
  while (done < bytes.length) {
    try {
      done += fs.writeSync(fd, bytes, done, bytes.length - done);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === "EAGAIN") { Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1); continue; }
      if (code === "EPIPE") return false;
      throw error;
    }
  }
  return true;
}

/** One --trace line; `task` names the Linux process and thread the event's EC runs, when it runs one. */
export function formatTraceEvent(event: MachineEvent, task: { pid: number; tid: number } | null = null): string | null {
  const who = task ? `[pid ${task.pid} tid ${task.tid} pd ${event.pd} ec ${event.ec}]` : `[pd ${event.pd} ec ${event.ec}]`;
  switch (event.kind) {
    case "foreign_syscall":
      return `${who} ${event.name}(${event.args}) = ${event.result}`;
    case "portal_call":
      return `${who} portal call ${event.name}${event.args ? ` ${event.args}` : ""}`;
    case "portal_reply":
      return `${who} portal reply ${event.name}${event.result ? ` ${event.result}` : ""}`;
    case "hypercall":
      return `${who} hypercall ${event.name}(${event.args}) = ${event.result}`;
    case "exception":
      return `${who} exception ${event.name} ${event.args}${event.result ? ` → ${event.result}` : ""}`;
    case "process_start":
    case "process_exit":
      return `${who} ${event.kind.replace("_", " ")} ${event.name} ${event.args}${event.result ? ` ${event.result}` : ""}`;
    case "schedule":
      return null;
  }
}

/** With --serial, the serial line to stderr, and --trace (the guest's stdout/stderr go through `consoleSink`). */
export function attachConsole(machine: Machine, options: RunOptions): void {
  if (options.serial) machine.onConsole((stream, bytes) => { if (stream === "serial") writeAll(2, bytes); });
  if (options.trace) {
    machine.onEvent((event) => {
      const line = formatTraceEvent(event, machine.taskOfEc(event.ec));
      if (line) writeAll(2, Buffer.from(line + "\n"));
    });
  }
}

/** Runs the machine to its end or a limit; reports a crash, stop or limit in one line; returns the exit status. */
export async function runToEnd(machine: Machine, options: RunOptions): Promise<number> {
  const hostStop = await driveRun((budget) => machine.run(budget) === "halted", () => machine.icount, options);
  const reason = hostStop?.reason ?? machine.stopReason;
  if (reason) writeAll(2, Buffer.from(`hedron-lab: ${reason}\n`));
  const quota = machine.fsQuotaReport();
  if (quota) writeAll(2, Buffer.from(`hedron-lab: ${quota}\n`));
  // A run stopped with processes alive still commits what the guest changed on a writable disk.
  machine.roottask.fileServer.tree.sync();
  if (options.stats) writeAll(2, Buffer.from(JSON.stringify(machine.stats()) + "\n"));
  return hostStop?.exitStatus ?? machine.exitStatus;
}

export async function runCommand(args: string[]): Promise<number> {
  const options = parseRunOptions(args);
  const machine = new Machine({ ...machineConfig(options), consoleSink: hostConsole });
  attachConsole(machine, options);
  return runToEnd(machine, options);
}
