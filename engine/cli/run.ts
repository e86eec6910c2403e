// `hedron-lab run`: boots the modelled Hedron with one ELF (Linux/foreign, native or hybrid) or a boot config of several, and relays their stdio.
// stdout carries only the guest's stdout, byte for byte; everything the lab says goes to stderr.

import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseElf } from "../elf/elf.ts";
import { Machine, type MachineConfig } from "../machine.ts";
import type { MachineEvent } from "../events.ts";
import { appKind } from "../roottask/app-kind.ts";
import type { AppKind } from "../roottask/process.ts";
import { CliError, usageError } from "./errors.ts";

export const RUN_USAGE = `usage: hedron-lab run [options] ELF [ARGS...]
       hedron-lab run [options] --boot FILE.json [ELF [ARGS...]]

options:
  --stats             print a JSON object of run statistics as the last line of stderr
  --trace             print every forwarded syscall and portal call on stderr
  --strict            stop the run at the first syscall the Linux personality does not know
  --env K=V           add an environment variable (repeatable)
  --clear-env         start with an empty environment instead of the CLI's
  --mount HOST:GUEST  make a host folder visible read-only at GUEST (repeatable)
  --mediator          simulate the seed's mediator library: one extra IPC before every forwarded syscall
  --serial            copy the serial console (the roottask's log) to stderr
  --cpus N            virtual CPUs (default 1)
  --pid N             pid of the first process (default 1000 for a Linux program, 1 for a native app)
  --max-procs N       live processes at most; fork beyond it fails with EAGAIN (default 256)
  --seed N            seed of the guest-visible PRNG (getrandom, AT_RANDOM; default 1)
  --memory MIB        guest physical memory in MiB (default 512)
  --kind KIND         run ELF as native, foreign (Linux) or hybrid (default: what its .hedron.kind section says,
                      foreign without one)
  --boot FILE.json    boot several modules side by side: a JSON array of {"path", "name"?, "kind"?, "argv"?}
                      (paths relative to the file; kind auto-detected unless given); an ELF on the command line
                      is added after them`;

export const GUEST_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../guests/bin");
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
  cpus: number;
  seed: number;
  memoryMiB: number;
  firstPid?: number;
  maxProcs?: number;
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
  let clearEnv = false;
  const added: [string, string][] = [];
  const options: RunOptions = {
    elfPath: "", boot: [], guestArgs: [], stats: false, trace: false, serial: false, strict: false, mediator: false,
    env: [], mounts: [], cpus: 1, seed: 1, memoryMiB: 512,
  };
  let i = 0;
  const next = () => args[++i];
  for (; i < args.length; i++) {
    const arg = args[i];
    if (arg === "--") { i++; break; }
    if (!arg.startsWith("--")) break;
    if (extra?.(arg, next)) continue;
    switch (arg) {
      case "--stats": options.stats = true; break;
      case "--trace": options.trace = true; break;
      case "--serial": options.serial = true; break;
      case "--strict": options.strict = true; break;
      case "--mediator": options.mediator = true; break;
      case "--clear-env": clearEnv = true; break;
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
      case "--cpus": options.cpus = integerOption("--cpus", next(), 1, 64); break;
      case "--pid": options.firstPid = integerOption("--pid", next(), 1, 4_000_000); break;
      case "--max-procs": options.maxProcs = integerOption("--max-procs", next(), 1, 100_000); break;
      case "--seed": options.seed = integerOption("--seed", next(), 0, 2 ** 32 - 1); break;
      case "--memory": options.memoryMiB = integerOption("--memory", next(), 16, 4096); break;
      case "--kind": options.kind = kindOption("--kind", next()); break;
      case "--boot": options.boot.push(...readBootConfig(next())); break;
      case "--help": throw new CliError(RUN_USAGE, 0);
      default: throw usageError(`unknown option ${arg}\n${RUN_USAGE}`);
    }
  }
  if (!options.elfPath && (i < args.length || options.boot.length === 0)) {
    if (i >= args.length) throw usageError(`no ELF file given\n${RUN_USAGE}`);
    options.elfPath = args[i++];
  }
  options.guestArgs = args.slice(i);
  if (!clearEnv) for (const [k, v] of Object.entries(process.env)) if (v !== undefined) env.set(k, v);
  for (const [k, v] of added) env.set(k, v);
  options.env = [...env].map(([k, v]) => `${k}=${v}`);
  return options;
}

const KINDS: readonly AppKind[] = ["native", "foreign", "hybrid"];

function kindOption(name: string, value: string | undefined): AppKind {
  if (!KINDS.includes(value as AppKind)) throw usageError(`${name} takes native, foreign or hybrid, not '${value ?? ""}'`);
  return value as AppKind;
}

/** A boot config: a JSON array of modules; paths are relative to the file's folder. */
function readBootConfig(file: string | undefined): BootEntry[] {
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
  return data.map((m: unknown, i) => {
    const e = m as Record<string, unknown>;
    if (typeof e !== "object" || e === null || typeof e.path !== "string") throw bad(`module ${i} needs a "path" string`);
    if (e.name !== undefined && typeof e.name !== "string") throw bad(`module ${i}: "name" must be a string`);
    if (e.kind !== undefined && !KINDS.includes(e.kind as AppKind)) throw bad(`module ${i}: "kind" must be native, foreign or hybrid`);
    if (e.argv !== undefined && !(Array.isArray(e.argv) && e.argv.every((a) => typeof a === "string"))) throw bad(`module ${i}: "argv" must be an array of strings`);
    return { path: path.resolve(path.dirname(file), e.path), name: e.name as string | undefined, kind: e.kind as AppKind | undefined, argv: e.argv as string[] | undefined };
  });
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
    seed: options.seed,
    strict: options.strict,
    mediator: options.mediator,
    mounts: options.mounts,
    firstPid: options.firstPid,
    maxProcs: options.maxProcs,
    readStdin: readHostStdin,
  };
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

/** Synchronous, complete writes: the machine runs synchronously, and output order must be exact. */
export function writeAll(fd: number, bytes: Uint8Array): void {
  let done = 0;
  while (done < bytes.length) {
    try {
      done += fs.writeSync(fd, bytes, done, bytes.length - done);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === "EAGAIN") { Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1); continue; }
      if (code === "EPIPE") return;
      throw error;
    }
  }
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

/** Wires a machine's console to the CLI's stdout/stderr (and, with --serial, the serial line to stderr). */
export function attachConsole(machine: Machine, options: RunOptions): void {
  machine.onConsole((stream, bytes) => {
    if (stream === "stdout") writeAll(1, bytes);
    else if (stream === "stderr") writeAll(2, bytes);
    else if (options.serial && stream === "serial") writeAll(2, bytes);
  });
  if (options.trace) {
    machine.onEvent((event) => {
      const line = formatTraceEvent(event, machine.taskOfEc(event.ec));
      if (line) writeAll(2, Buffer.from(line + "\n"));
    });
  }
}

/** Runs the machine to the end; reports a crash or stop in one line; returns the guest's exit status. */
export function runToEnd(machine: Machine, options: RunOptions): number {
  while (machine.run(50_000_000) === "budget") {
    // Keep going: the budget only bounds how long one call holds the thread.
  }
  if (machine.stopReason) writeAll(2, Buffer.from(`hedron-lab: ${machine.stopReason}\n`));
  if (options.stats) writeAll(2, Buffer.from(JSON.stringify(machine.stats()) + "\n"));
  return machine.exitStatus;
}

export async function runCommand(args: string[]): Promise<number> {
  const options = parseRunOptions(args);
  const machine = new Machine(machineConfig(options));
  attachConsole(machine, options);
  return runToEnd(machine, options);
}
