// The engine worker thread: owns one Machine (live, possibly recorded; or re-executed from a recording), runs it in
// slices and reports status, console text, the VGA screen and the PD list. Slices keep pause and stop responsive.

import { parentPort } from "node:worker_threads";
import type { ConsoleStream } from "../engine/events.ts";
import { Machine, type MachineConfig } from "../engine/machine.ts";
import { Recorder } from "../engine/record/recorder.ts";
import { Recording } from "../engine/record/recording.ts";
import { ExactControl, type Stop } from "../engine/debug/exact.ts";
import { CheckpointCache } from "../engine/record/checkpoints.ts";
import { CheckpointPass } from "../engine/record/checkpoint-pass.ts";
import { controlFor, nextStop, previousStop, seekExact, type StopSpec } from "../engine/debug/reverse.ts";
import { disassemble } from "../engine/disasm.ts";
import type { MachineStatus, PdKind } from "./protocol.ts";
import { diskOf, focusEc, framebufferUsed, inspectMachine, pdsOf, readMemory, screenOf } from "./inspect.ts";
import { fromBase64 } from "./protocol.ts";
import { StdinRing, type FoundStop, type WorkerCommand, type WorkerReport } from "./worker-protocol.ts";

const port = parentPort!;
/** Instructions per slice of an unrecorded run: small enough that a pause lands within tens of milliseconds. */
const SLICE = 400_000;
/** Console text is coalesced and screens are sampled at most this often. */
const REPORT_MS = 33;

let machine: Machine | null = null;
/** Set when the live run is recorded: it then advances chunk by chunk, as replay will. */
let recorder: Recorder | null = null;
/** Exact control of the live machine (steps, run to address, breakpoints); through the recorder when recording. */
let control: ExactControl | null = null;
/** The live run's breakpoints, watchpoints and event stops. */
let liveStops: StopSpec = { addresses: [], events: [], watch: [] };
let guest = "";
let state: MachineStatus["state"] = "off";
let message: string | undefined;
let stdin: StdinRing | null = null;
let lastReport = 0;
let lastScreen = "";
let lastPds = "";
let lastDisk = "";
/** The image the live run attached at /disk (shown with the FAT service's counters), or null. */
let diskPath: string | null = null;
/** Set once a PD has mapped (or drawn into) the linear framebuffer: from then on the screen shows it. */
let linearScreen = false;
/** Each PD's kind as the kernel last showed it, kept for PDs whose process has exited. */
const pdKinds = new Map<number, PdKind>();
const pending: { stream: ConsoleStream; bytes: Uint8Array }[] = [];
/** The machine a replay seek produced, kept so inspect and memory requests read the same point. */
let replayed: { path: string; icount: number; machine: Machine } | null = null;
/**
 * Checkpoints of the recording seeks last went to (one recording's, so host memory holds one budget), and the
 * background pass filling them in while the worker is idle.
 */
let checkpoints: { path: string; cache: CheckpointCache; pass: CheckpointPass } | null = null;
/** Milliseconds of background checkpointing per turn of the event loop: a command waits at most about this long. */
const PASS_SLICE_MS = 15;
const recordings = new Map<string, Recording>();

function post(report: WorkerReport): void {
  port.postMessage(report);
}

function status(): MachineStatus {
  return {
    state,
    guest,
    icount: machine?.icount ?? 0,
    vcycles: machine?.vcycles ?? 0,
    ...(state === "exited" && machine ? { exitStatus: machine.exitStatus } : {}),
    ...(message ? { message } : {}),
  };
}

/** Sends console text, a changed screen, a changed PD list and the status. */
function publish(): void {
  lastReport = performance.now();
  const decoder = new TextDecoder();
  for (const { stream, bytes } of pending.splice(0)) post({ type: "console", stream, text: decoder.decode(bytes) });
  if (machine) {
    linearScreen ||= framebufferUsed(machine);
    const screen = screenOf(machine, linearScreen);
    const key = screen.mode === "text" ? screen.cells + screen.cursor : screen.pixels;
    if (key !== lastScreen) {
      lastScreen = key;
      post({ type: "screen", screen });
    }
    const pds = pdsOf(machine, pdKinds);
    const pdKey = JSON.stringify(pds);
    if (pdKey !== lastPds) {
      lastPds = pdKey;
      post({ type: "pds", pds });
    }
    const disk = diskPath === null ? null : diskOf(machine, diskPath);
    const diskKey = JSON.stringify(disk);
    if (diskKey !== lastDisk) {
      lastDisk = diskKey;
      post({ type: "disk", disk });
    }
  }
  post({ type: "status", status: status() });
}

/** The guest blocks in read(): show what it printed so far and say that it waits, then wait for typed input. */
function readStdin(max: number): Uint8Array {
  if (!stdin) return new Uint8Array(0);
  if (stdin.empty) {
    message = "waiting for input: type in the console";
    publish();
  }
  const bytes = stdin.read(max);
  message = undefined;
  return bytes;
}

/** Ends the live run: the recording (if any) is completed, so even a stopped run is a replayable file. */
function end(next: MachineStatus["state"], why: string): void {
  state = next;
  message = why;
  // A run stopped with processes alive still commits what the guest changed on a writable disk (as the CLI does).
  if (machine?.roottask.disk) {
    try {
      machine.roottask.fileServer.tree.sync();
    } catch (error) {
      state = "failed";
      message = `the disk image could not be written: ${error instanceof Error ? error.message : String(error)}`;
    }
  }
  if (recorder) {
    try {
      recorder.finish();
    } catch (error) {
      state = "failed";
      message = `the recording could not be completed: ${error instanceof Error ? error.message : String(error)}`;
    }
    recorder = null;
  }
}

/** Advances the live machine: one chunk when recording, else `budget` instructions. */
function advance(budget: number): void {
  if (!machine) return;
  try {
    const halted = recorder ? recorder.step() : machine.run(budget) === "halted";
    if (halted) end("exited", machine.stopReason ?? `the guest exited with status ${machine.exitStatus}`);
  } catch (error) {
    end("failed", error instanceof Error ? error.message : String(error));
  }
}

/** Runs the live machine exactly to `target` (stopping at the live stops when `stopping`), and reports why it stopped. */
function exactRun(target: number, stopping: boolean): void {
  if (!machine || !control) return;
  let stop: Stop;
  try {
    stop = control.runTo(target, stopping);
  } catch (error) {
    end("failed", error instanceof Error ? error.message : String(error));
    return;
  }
  if (stop.reason === "halted") {
    end("exited", machine.stopReason ?? `the guest exited with status ${machine.exitStatus}`);
    return;
  }
  if (stop.reason !== "target") {
    state = "paused";
    message = describeStop(stop);
  }
}

function describeStop(stop: Stop): string {
  const at = `at instruction ${stop.icount.toLocaleString("en")}`;
  const rip = machine ? focusEc(machine.kernel)?.state.rip : undefined;
  const where = rip !== undefined ? ` (rip 0x${rip.toString(16)})` : "";
  if (stop.reason === "breakpoint") return `stopped at a breakpoint ${at}${where}`;
  if (stop.reason === "watch") return `stopped after a write to watched memory ${at}${where}`;
  if (stop.reason === "event" && stop.event) return `stopped at ${stop.event.kind} ${stop.event.name}(${stop.event.args}) ${at}`;
  return `stopped ${at}`;
}

const armed = () => liveStops.addresses.length + liveStops.events.length + liveStops.watch.length > 0;

function loop(): void {
  if (state !== "running") return;
  if (armed() && machine) exactRun(machine.icount + SLICE, true);
  else advance(SLICE);
  if (performance.now() - lastReport >= REPORT_MS || state !== "running") publish();
  if (state === "running") setImmediate(loop);
}

function reply(id: number, work: () => unknown): void {
  try {
    post({ type: "reply", id, ok: true, result: (work() ?? null) as never });
  } catch (error) {
    post({ type: "reply", id, ok: false, error: error instanceof Error ? error.message : String(error) });
  }
}

function boot(command: Extract<WorkerCommand, { op: "boot" }>): void {
  guest = command.guest;
  stdin = new StdinRing(command.stdin);
  diskPath = command.disk?.path ?? null;
  lastDisk = "";
  const config: MachineConfig = {
    modules: command.modules, env: command.env, cpus: 1, memoryMiB: 256, seed: command.seed, strict: false, mounts: [], readStdin,
    ...(command.disk ? { disk: command.disk } : {}),
  };
  recorder = command.record ? new Recorder(command.record, config, { engineVersion: command.version }) : null;
  machine = recorder ? recorder.machine : new Machine(config);
  liveStops = command.stops;
  if (!command.jit) for (const cpu of machine.cpus) cpu.jitThreshold = Infinity;
  const rec = recorder;
  control = rec ? controlFor(machine, liveStops, (target) => rec.advanceTo(target)) : controlFor(machine, liveStops);
  // The roottask logs while the machine is constructed, before a listener can attach; the serial line keeps
  // those lines, so they are taken from there.
  const early = machine.serial.buffer.lines;
  if (early.length) pending.push({ stream: "serial", bytes: new TextEncoder().encode(early.join("\n") + "\n") });
  machine.onConsole((stream, bytes) => pending.push({ stream, bytes: bytes.slice() }));
  state = "running";
  message = undefined;
}

function recordingAt(path: string): Recording {
  let rec = recordings.get(path);
  if (!rec) {
    rec = Recording.open(path);
    recordings.set(path, rec);
  }
  return rec;
}

/** Re-executes a recording to exactly `icount` (without verification: the user is browsing, not auditing); a
 *  point after the current one is reached by running on, an earlier one from the nearest snapshot. */
function seek(path: string, icount: number): void {
  if (replayed && replayed.path === path && replayed.icount === icount) return;
  if (replayed && replayed.path === path && replayed.icount < icount && icount - replayed.icount < 1 << 22) {
    new ExactControl(replayed.machine).runTo(icount, false);
    replayed.icount = icount;
    return;
  }
  const task = `re-executing to instruction ${icount.toLocaleString("en")}`;
  const rec = recordingAt(path);
  if (checkpoints?.path !== path) {
    const cache = new CheckpointCache();
    checkpoints = { path, cache, pass: new CheckpointPass(rec, cache) };
    setImmediate(checkpointInBackground);
  }
  // Restored over the machine of the last seek in this recording, when there is one: its compiled code stays warm.
  const reuse = replayed?.path === path ? replayed.machine : null;
  replayed = null;
  const machine = seekExact(rec, icount, (done) => post({ type: "progress", task, done, total: icount }), checkpoints.cache, reuse);
  post({ type: "progress", task, done: icount, total: icount });
  replayed = { path, icount, machine };
}

/** One slice of the open recording's checkpoint pass, while no live run needs the thread; then the next. */
function checkpointInBackground(): void {
  const current = checkpoints;
  if (current === null || current.pass.finished) return;
  if (state === "running") {
    setTimeout(checkpointInBackground, 100);
    return;
  }
  try {
    if (current.pass.advance(PASS_SLICE_MS)) setImmediate(checkpointInBackground);
  } catch {
    // A recording the pass cannot re-execute is one seeks report on their own; the pass just ends.
    current.pass.finished = true;
  }
}

/** The next stop after `icount` or the last one before it, in a recording; the replay machine is left there. */
function find(path: string, icount: number, direction: "forward" | "backward", stops: StopSpec): FoundStop | null {
  const rec = recordingAt(path);
  if (direction === "forward") {
    seek(path, icount);
    const stop = nextStop(replayed!.machine, stops);
    replayed!.icount = replayed!.machine.icount;
    return stop ? { icount: stop.icount, reason: describeFound(stop) } : null;
  }
  post({ type: "progress", task: "searching backwards (re-executing from the start)", done: 0, total: icount });
  const stop = previousStop(rec, icount, stops);
  post({ type: "progress", task: "searching backwards (re-executing from the start)", done: icount, total: icount });
  if (!stop) return null;
  seek(path, stop.icount);
  return { icount: stop.icount, reason: describeFound(stop) };
}

function describeFound(stop: Stop): string {
  if (stop.reason === "event" && stop.event) return `${stop.event.kind} ${stop.event.name}`;
  return stop.reason === "watch" ? "write to watched memory" : stop.reason;
}

/** Step over: a call at RIP runs until it returns to the next instruction; anything else is one step. */
function stepOver(): void {
  if (!machine || !control) return;
  const ec = focusEc(machine.kernel);
  const pd = ec ? machine.kernel.pds.get(ec.pd) : undefined;
  if (!ec || !pd) return exactRun(machine.icount + 1, false);
  const bytes = fromBase64(readMemory(machine, pd.id, ec.state.rip, 16).bytes);
  const [insn] = disassemble(bytes, ec.state.rip, 1);
  if (!insn || !/^call\b/.test(insn.text)) return exactRun(machine.icount + 1, false);
  const after = ec.state.rip + insn.length;
  const once = controlFor(machine, { addresses: [after], events: [], watch: [] }, recorder ? (t) => recorder!.advanceTo(t) : undefined);
  settle(once.continue());
}

/** Run to an address (a one-off breakpoint there, plus the armed stops). */
function runTo(address: number): void {
  if (!machine) return;
  const rec = recorder;
  const once = controlFor(machine, { ...liveStops, addresses: [...liveStops.addresses, address] }, rec ? (t) => rec.advanceTo(t) : undefined);
  settle(once.continue());
}

function settle(stop: Stop): void {
  if (!machine) return;
  if (stop.reason === "halted") {
    end("exited", machine.stopReason ?? `the guest exited with status ${machine.exitStatus}`);
  } else message = describeStop(stop);
}

/** The machine requests refer to: the replayed one in a replay worker, else the live one. */
function target(): Machine {
  const m = replayed?.machine ?? machine;
  if (!m) throw new Error("no machine");
  return m;
}

port.on("message", (command: WorkerCommand) => {
  switch (command.op) {
    case "boot":
      reply(command.id, () => boot(command));
      setImmediate(loop);
      return;
    case "run":
      if (state !== "paused") return;
      state = "running";
      setImmediate(loop);
      return;
    case "pause":
      if (state !== "running") return;
      state = "paused";
      publish();
      return;
    case "step":
      if (state !== "paused" || !machine) return;
      exactRun(machine.icount + command.instructions, false);
      publish();
      return;
    case "step-over":
      if (state !== "paused") return;
      stepOver();
      publish();
      return;
    case "run-to":
      if (state !== "paused") return;
      runTo(command.address);
      publish();
      return;
    case "stops":
      reply(command.id, () => {
        liveStops = command.stops;
        if (machine) control = controlFor(machine, liveStops, recorder ? (t) => recorder!.advanceTo(t) : undefined);
      });
      return;
    case "find":
      reply(command.id, () => find(command.recording, command.icount, command.direction, command.stops));
      return;
    case "stop":
      if (state !== "running" && state !== "paused") return;
      machine?.kernel.stop("stopped by the user");
      end("exited", "stopped by the user");
      publish();
      return;
    case "inspect":
      reply(command.id, () => inspectMachine(target()));
      return;
    case "memory":
      reply(command.id, () => readMemory(target(), command.pd, command.address, command.length));
      return;
    case "seek":
      reply(command.id, () => seek(command.recording, command.icount));
      return;
  }
});
