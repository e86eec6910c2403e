// `hedron-lab record | replay | info | export`: the record/replay commands of the CLI.
// Recordings may come from anywhere, so every failure to read one is a RecordingError shown as one line.

import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { benchRecording, CPU_TARGETS, formatRecordBench, SYSCALL_TARGETS } from "../record/bench.ts";
import { DEFAULT_CHUNK_INSTRUCTIONS, DEFAULT_SNAPSHOT_INSTRUCTIONS } from "../record/driver.ts";
import { exportChromeTrace, exportCsv } from "../record/export.ts";
import { Recorder } from "../record/recorder.ts";
import type { RecordingSummary } from "../record/recording.ts";
import { machineState, replay } from "../record/replayer.ts";
import { MAX_CHUNK_INSTRUCTIONS } from "../record/schema.ts";
import { CliError, usageError } from "./errors.ts";
import { asCliError, openForCli } from "./recording-errors.ts";
import { stopExactlyAt } from "../debug/reverse.ts";
import { attachConsole, driveRun, GUEST_DIR, grouped, hostConsole, machineConfig, parseRunOptions, RUN_USAGE, writeAll } from "./run.ts";

export const RECORD_USAGE = `usage: hedron-lab record -o FILE [record options] [run options] ELF [ARGS...]

records the run into FILE (SQLite): events, console, stdin, the instruction stream, snapshots.

record options:
  -o FILE, --output FILE   the recording to write (replaced if it exists); -o must come first
  --chunk N                instructions per trace chunk (default ${DEFAULT_CHUNK_INSTRUCTIONS})
  --snapshot-every N       instructions between snapshots, taken at the next chunk end (default ${DEFAULT_SNAPSHOT_INSTRUCTIONS})
  --no-instructions        leave out the block-address stream (events, console, hashes only)

${RUN_USAGE.slice(RUN_USAGE.indexOf("options:"))}`;

export const REPLAY_USAGE = `usage: hedron-lab replay FILE [--verify] [--to ICOUNT] [--state]

re-executes a recording from its recorded input (stdin, and what --mount folders held: the host is not read);
the guest's console output goes to stdout.
  --verify      check the digest chain over every table, then re-execute comparing every event field, console write,
                input, block address, state and world hash and the final record; report the first difference (exit 1)
  --to ICOUNT   stop at this instruction count (the first block end at or after it)
  --state       print the machine state where replay stopped as JSON on stdout (instead of the console output)`;

export const INFO_USAGE = `usage: hedron-lab info [--json] [--check] FILE

prints what a recording holds: guest, status, instructions, events, trace and snapshot sizes
  --check   also check the file without re-executing it: SQLite's structure and the digest chain over every table
            (exit status 65 and the first difference named when anything was edited or damaged)`;

export const EXPORT_USAGE = `usage: hedron-lab export FILE --format csv|chrome-trace [-o OUT]

  --format csv           one row per event (icount, vcycles, host_ns, kind, cpu, pd, ec, name, args, result, cost, call_id)
  --format chrome-trace  Chrome trace-event JSON (opens in Perfetto): one track per PD/EC, portal calls as slices
  -o OUT                 write to OUT instead of standard output`;

/** The version in package.json, written into every recording. */
function engineVersion(): string {
  const pkg = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../package.json");
  return (JSON.parse(fs.readFileSync(pkg, "utf8")) as { version: string }).version;
}

/** A progress bar on stderr when it is a terminal (a running count when the total is unknown); silent otherwise. */
class Progress {
  private readonly tty = process.stderr.isTTY === true;
  private last = 0;
  private drawn = false;

  constructor(
    private readonly label: string,
    private readonly total: number,
    private readonly unit: (n: number) => string,
  ) {}

  update(done: number): void {
    if (!this.tty) return;
    const now = performance.now();
    if (now - this.last < 100) return;
    this.last = now;
    this.drawn = true;
    if (this.total <= 0) {
      process.stderr.write(`\r${this.label} ${this.unit(done)}\x1b[K`);
      return;
    }
    const fraction = Math.min(1, done / this.total);
    const width = 30;
    const filled = Math.round(fraction * width);
    process.stderr.write(
      `\r${this.label} [${"#".repeat(filled)}${".".repeat(width - filled)}] ${(fraction * 100).toFixed(0).padStart(3)}% ${this.unit(done)}\x1b[K`,
    );
  }

  end(): void {
    if (this.drawn) process.stderr.write("\r\x1b[K");
  }
}


const plural = (n: number, word: string) => `${grouped(n)} ${word}${n === 1 ? "" : "s"}`;
const kib = (n: number) => `${(n / 1024).toFixed(1)} KiB`;

function formatSummary(path: string, s: RecordingSummary): string {
  const ses = s.session;
  const lines = [`recording ${path}`];
  lines.push(`  guest         ${ses.args.join(" ")}  (seed ${ses.seed})`);
  if (ses.status === "complete" && ses.hostStop) {
    lines.push(`  status        complete up to a host stop (${ses.stopReason ?? "stopped"}): the guest had not finished`);
    lines.push(`  instructions  ${grouped(ses.finalIcount ?? 0)}   virtual cycles ${grouped(ses.finalVcycles ?? 0)}`);
  } else if (ses.status === "complete") {
    lines.push(`  status        complete: ${ses.stopReason ?? "stopped"}${ses.exitStatus === null ? "" : `, exit status ${ses.exitStatus}`}`);
    lines.push(`  instructions  ${grouped(ses.finalIcount ?? 0)}   virtual cycles ${grouped(ses.finalVcycles ?? 0)}`);
  } else if (s.chunks === 0) {
    lines.push(`  status        incomplete: the recorder stopped before its first chunk end; nothing was committed to replay`);
  } else {
    lines.push(`  status        incomplete: the recorder stopped before the run ended; replayable up to instruction ${grouped(s.verifiableIcount)}`);
  }
  lines.push(`  recorded      ${ses.created} by hedron-lab ${ses.engineVersion}`);
  const kinds = Object.entries(s.eventKinds).map(([k, n]) => `${k} ${grouped(n)}`).join(", ");
  lines.push(`  events        ${grouped(s.events)}${kinds ? ` (${kinds})` : ""}`);
  lines.push(
    s.chunks === 0
      ? "  trace         no chunk committed"
      : ses.instructionStream
        ? `  trace         ${plural(s.chunks, "chunk")}, ${kib(s.traceBytes)}, ${kib(s.traceBytesPerMillion)} per 10^6 instructions`
        : `  trace         ${plural(s.chunks, "chunk")} of state hashes only (recorded without the instruction stream)`,
  );
  lines.push(`  event data    ${kib(s.eventBytes)}${s.events > 0 ? `, ${(s.eventBytes / s.events).toFixed(1)} bytes per event` : ""}`);
  lines.push(`  snapshots     ${grouped(s.snapshots)}, ${kib(s.snapshotBytes)}`);
  lines.push(`  inputs        ${grouped(s.inputs)}   console ${grouped(s.consoleBytes)} bytes   frames ${grouped(s.frames)}`);
  lines.push(`  file          ${kib(s.fileBytes)}`);
  return lines.join("\n") + "\n";
}

export async function infoCommand(args: string[]): Promise<number> {
  let json = false;
  let check = false;
  let file: string | undefined;
  for (const arg of args) {
    if (arg === "--json") json = true;
    else if (arg === "--check") check = true;
    else if (arg === "--help") throw new CliError(INFO_USAGE, 0);
    else if (arg.startsWith("-")) throw usageError(`unknown option ${arg}\n${INFO_USAGE}`);
    else if (file === undefined) file = arg;
    else throw usageError(`one recording at a time\n${INFO_USAGE}`);
  }
  if (file === undefined) throw usageError(`no recording given\n${INFO_USAGE}`);
  const rec = openForCli(file, check);
  try {
    const summary = rec.summary();
    const problem = check ? rec.checkIntegrity() : null;
    if (json) writeAll(1, Buffer.from(JSON.stringify(check ? { ...summary, integrity: problem ?? "ok" } : summary) + "\n"));
    else {
      writeAll(1, Buffer.from(formatSummary(file, summary)));
      if (check && !problem) writeAll(1, Buffer.from(`  integrity     ok: SQLite structure and the digest chain over ${plural(summary.chunks, "chunk")} and every table\n`));
    }
    if (problem) throw new CliError(`${file}: integrity check failed: ${problem}`, 65);
  } catch (err) {
    throw asCliError(err);
  } finally {
    rec.close();
  }
  return 0;
}

export async function exportCommand(args: string[]): Promise<number> {
  let format: string | undefined;
  let out: string | undefined;
  let file: string | undefined;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === "--format") format = args[++i];
    else if (arg === "-o" || arg === "--output") out = args[++i];
    else if (arg === "--help") throw new CliError(EXPORT_USAGE, 0);
    else if (arg.startsWith("-")) throw usageError(`unknown option ${arg}\n${EXPORT_USAGE}`);
    else if (file === undefined) file = arg;
    else throw usageError(`one recording at a time\n${EXPORT_USAGE}`);
  }
  if (file === undefined) throw usageError(`no recording given\n${EXPORT_USAGE}`);
  if (format !== "csv" && format !== "chrome-trace") throw usageError(`--format takes csv or chrome-trace\n${EXPORT_USAGE}`);
  if (out === "") throw usageError("-o needs a file name");
  const rec = openForCli(file);
  let fd = 1;
  try {
    const total = rec.summary().events;
    if (out !== undefined) {
      try {
        fd = fs.openSync(out, "w");
      } catch (err) {
        throw new CliError(`${out}: cannot write (${(err as NodeJS.ErrnoException).code ?? String(err)})`, 73);
      }
    }
    const progress = new Progress("exporting", total, (n) => `${grouped(n)} / ${grouped(total)} events`);
    let done = 0;
    const exporter = format === "csv" ? exportCsv : exportChromeTrace;
    exporter(rec, (text) => writeAll(fd, Buffer.from(text)), () => progress.update(++done));
    progress.end();
  } catch (err) {
    throw asCliError(err);
  } finally {
    rec.close();
    if (fd !== 1) fs.closeSync(fd);
  }
  return 0;
}

const millions = (n: number) => `${(n / 1e6).toFixed(1)} M instructions`;

function positiveInteger(flag: string, value: string | undefined): number {
  const n = Number(value);
  if (value === undefined || !Number.isSafeInteger(n) || n < 1) throw usageError(`${flag} takes a positive whole number, not '${value ?? ""}'`);
  return n;
}

export async function recordCommand(args: string[]): Promise<number> {
  let out: string | undefined;
  let chunk = DEFAULT_CHUNK_INSTRUCTIONS;
  let snapshotEvery: number | undefined;
  let instructionStream = true;
  const options = parseRunOptions(args, (flag, next) => {
    switch (flag) {
      case "-o": case "--output": out = next(); return true;
      case "--chunk":
        chunk = positiveInteger(flag, next());
        if (chunk > MAX_CHUNK_INSTRUCTIONS) throw usageError(`--chunk takes at most ${MAX_CHUNK_INSTRUCTIONS} instructions`);
        return true;
      case "--snapshot-every": snapshotEvery = positiveInteger(flag, next()); return true;
      case "--no-instructions": instructionStream = false; return true;
      case "--help": throw new CliError(RECORD_USAGE, 0);
      default: return false;
    }
  });
  if (!out) throw usageError(`record needs -o FILE\n${RECORD_USAGE}`);
  const snapshotInstructions = snapshotEvery ?? DEFAULT_SNAPSHOT_INSTRUCTIONS;
  const progress = new Progress("recording", 0, millions);
  const folder = path.dirname(path.resolve(out));
  if (!fs.existsSync(folder) || !fs.statSync(folder).isDirectory()) throw new CliError(`${out}: the folder ${folder} does not exist`, 73);
  const config = { ...machineConfig(options), consoleSink: hostConsole };
  let recorder: Recorder;
  try {
    recorder = new Recorder(out, config, {
      chunkInstructions: chunk, snapshotInstructions, instructionStream, engineVersion: engineVersion(), onChunk: (n) => progress.update(n),
    });
  } catch (err) {
    const code = (err as { code?: string }).code ?? "";
    if (code.startsWith("SQLITE_CANTOPEN") || code === "ENOENT" || code === "EACCES") {
      throw new CliError(`${out}: cannot create the recording (${(err as Error).message})`, 73);
    }
    throw err;
  }
  attachConsole(recorder.machine, options);
  // Chunk by chunk, so --max-instructions, --timeout and SIGINT end the recording at a chunk end, complete up to there.
  const hostStop = await driveRun(() => recorder.step(), () => recorder.machine.icount, options);
  if (hostStop) recorder.machine.kernel.stop(hostStop.reason);
  // A host stop passes its reason to finish(), which records it where the recorder takes one (the recording helper's
  // finish(reason), issue 12); the stop reason set on the kernel above says the same to a finish() without it.
  const finish: (reason: string) => ReturnType<Recorder["finish"]> = recorder.finish.bind(recorder);
  const result = hostStop ? finish(hostStop.reason) : recorder.finish();
  progress.end();
  if (result.stopReason) writeAll(2, Buffer.from(`hedron-lab: ${result.stopReason}\n`));
  const quota = recorder.machine.fsQuotaReport();
  if (quota) writeAll(2, Buffer.from(`hedron-lab: ${quota}\n`));
  const perMillion = result.icount > 0 ? (result.traceBytes * 1e6) / result.icount : 0;
  writeAll(2, Buffer.from(
    `hedron-lab: recorded ${plural(result.icount, "instruction")}, ${plural(result.events, "event")}, ${plural(result.chunks, "chunk")} ` +
    `(trace ${kib(result.traceBytes)}, ${kib(perMillion)} per 10^6 instructions; snapshots ${kib(result.snapshotBytes)}) to ${out}\n`,
  ));
  if (options.stats) writeAll(2, Buffer.from(JSON.stringify(recorder.machine.stats()) + "\n"));
  return hostStop?.exitStatus ?? result.exitStatus;
}

export async function replayCommand(args: string[]): Promise<number> {
  let file: string | undefined;
  let verify = false;
  let state = false;
  let to: number | undefined;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === "--verify") verify = true;
    else if (arg === "--state") state = true;
    else if (arg === "--to") {
      const n = Number(args[++i]);
      if (!Number.isSafeInteger(n) || n < 0) throw usageError(`--to takes an instruction count, not '${args[i] ?? ""}'`);
      to = n;
    } else if (arg === "--help") throw new CliError(REPLAY_USAGE, 0);
    else if (arg.startsWith("-")) throw usageError(`unknown option ${arg}\n${REPLAY_USAGE}`);
    else if (file === undefined) file = arg;
    else throw usageError(`one recording at a time\n${REPLAY_USAGE}`);
  }
  if (file === undefined) throw usageError(`no recording given\n${REPLAY_USAGE}`);
  const rec = openForCli(file);
  try {
    const session = rec.session;
    const total = to ?? (session.finalIcount ?? rec.summary().verifiableIcount);
    const progress = new Progress(verify ? "verifying" : "replaying", total, millions);
    const result = replay(rec, {
      to, verify, onChunk: (n) => progress.update(n),
      onStart: (machine) => {
        if (to !== undefined) stopExactlyAt(machine, to);
        if (!state) {
          machine.onConsole((stream, bytes) => {
            if (stream === "stdout") writeAll(1, bytes);
            else if (stream === "stderr") writeAll(2, bytes);
          });
        }
      },
    });
    progress.end();
    const m = result.machine;
    if (state) writeAll(1, Buffer.from(JSON.stringify(machineState(result.machine), null, 1) + "\n"));
    if (result.divergence) {
      const d = result.divergence;
      if (d.kind === "integrity") {
        writeAll(2, Buffer.from(`hedron-lab: verify failed: the recording was altered after it was written: ${d.what}\n`));
        return 1;
      }
      writeAll(2, Buffer.from(`hedron-lab: replay diverged in chunk ${d.chunk} (instructions ${d.firstIcount}–${d.lastIcount}) at instruction ${d.icount}: ${d.what}\n`));
      return 1;
    }
    if (verify && rec.chunks().length === 0) {
      writeAll(2, Buffer.from(
        `hedron-lab: nothing to verify: the recording holds no committed chunk (the recorder stopped within its first ${grouped(session.chunkInstructions)} instructions); its session and modules are intact\n`,
      ));
      return 1;
    }
    const where = result.complete ? "the end of the recording" : `instruction ${grouped(m.icount)}`;
    if (session.status === "incomplete" && result.complete) {
      writeAll(2, Buffer.from(`hedron-lab: the recording is incomplete; replayed up to its last committed chunk (instruction ${grouped(m.icount)})\n`));
    }
    if (verify) {
      const migrated = rec.migratedFrom === null ? "" : ` (a schema version ${rec.migratedFrom} file: its rows were checked against a converted copy, and it holds no world hashes)`;
      writeAll(2, Buffer.from(`hedron-lab: replay verified ${plural(result.chunksVerified, "chunk")} up to ${where}: identical${migrated}\n`));
    }
    else writeAll(2, Buffer.from(`hedron-lab: replayed to ${where}\n`));
    return 0;
  } catch (err) {
    throw asCliError(err);
  } finally {
    rec.close();
  }
}

export const BENCH_RECORD_USAGE = `usage: hedron-lab bench record [--scale N] [--rounds N] [--repeat N] [--json]

  record  for the CPU-bound guest ('bench N', default 3) and the syscall-heavy guest ('syscall-bench N', default 45000
          rounds: ~800 k events, the issue's size): runs unrecorded, recorded (events only; with the instruction stream), re-executes the recording with
          verification and seeks in it; prints the issue's record/replay targets as ratios (CPU time, best of --repeat)`;

export async function benchRecordCommand(args: string[]): Promise<number> {
  let scale = 3;
  let rounds = 45_000;
  let repeat = 3;
  let json = false;
  for (let i = 0; i < args.length; i++) {
    if (args[i] === "--scale") scale = positiveInteger("--scale", args[++i]);
    else if (args[i] === "--rounds") rounds = positiveInteger("--rounds", args[++i]);
    else if (args[i] === "--repeat") repeat = positiveInteger("--repeat", args[++i]);
    else if (args[i] === "--json") json = true;
    else if (args[i] === "--help") throw new CliError(BENCH_RECORD_USAGE, 0);
    else throw usageError(`unknown option ${args[i]}\n${BENCH_RECORD_USAGE}`);
  }
  const bench = (guest: string, guestArgs: string[]) =>
    benchRecording(`${guest} ${guestArgs.join(" ")}`, () => machineConfig(parseRunOptions(["--clear-env", path.join(GUEST_DIR, guest), ...guestArgs])), DEFAULT_SNAPSHOT_INSTRUCTIONS, repeat);
  const cpu = bench("bench", [String(scale)]);
  const syscalls = bench("syscall-bench", [String(rounds)]);
  writeAll(1, Buffer.from(json
    ? JSON.stringify({ cpu, syscalls }) + "\n"
    : [
      formatRecordBench(cpu, CPU_TARGETS), "", formatRecordBench(syscalls, SYSCALL_TARGETS), "",
      "Seek cost does not grow with the recording's length: a seek restores the nearest snapshot chain (an indexed lookup)",
      "and re-executes at most one snapshot interval, so the worst seek here bounds a seek in a 10^9-instruction recording.",
    ].join("\n") + "\n"));
  return 0;
}
