// The engine worker thread: owns one Machine (live, possibly recorded; or re-executed from a recording), runs it in
// slices and reports status, console text, the VGA screen and the PD list. Slices keep pause and stop responsive.

import { parentPort } from "node:worker_threads";
import type { ConsoleStream } from "../engine/events.ts";
import { Machine, type MachineConfig } from "../engine/machine.ts";
import { Recorder } from "../engine/record/recorder.ts";
import { Recording } from "../engine/record/recording.ts";
import { replay } from "../engine/record/replayer.ts";
import type { MachineStatus, PdKind } from "./protocol.ts";
import { framebufferUsed, inspectMachine, pdsOf, readMemory, screenOf } from "./inspect.ts";
import { StdinRing, type WorkerCommand, type WorkerReport } from "./worker-protocol.ts";

const port = parentPort!;
/** Instructions per slice of an unrecorded run: small enough that a pause lands within tens of milliseconds. */
const SLICE = 400_000;
/** Console text is coalesced and screens are sampled at most this often. */
const REPORT_MS = 33;

let machine: Machine | null = null;
/** Set when the live run is recorded: it then advances chunk by chunk, as replay will. */
let recorder: Recorder | null = null;
let guest = "";
let state: MachineStatus["state"] = "off";
let message: string | undefined;
let stdin: StdinRing | null = null;
let lastReport = 0;
let lastScreen = "";
let lastPds = "";
/** Set once a PD has mapped (or drawn into) the linear framebuffer: from then on the screen shows it. */
let linearScreen = false;
/** Each PD's kind as the kernel last showed it, kept for PDs whose process has exited. */
const pdKinds = new Map<number, PdKind>();
const pending: { stream: ConsoleStream; bytes: Uint8Array }[] = [];
/** The machine a replay seek produced, kept so inspect and memory requests read the same point. */
let replayed: { path: string; icount: number; machine: Machine } | null = null;
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

function loop(): void {
  if (state !== "running") return;
  advance(SLICE);
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
  const config: MachineConfig = { modules: command.modules, env: command.env, cpus: 1, memoryMiB: 256, seed: command.seed, strict: false, mounts: [], readStdin };
  recorder = command.record ? new Recorder(command.record, config, { engineVersion: command.version }) : null;
  machine = recorder ? recorder.machine : new Machine(config);
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

/** Re-executes a recording to `icount` (without verification: the user is browsing, not auditing). */
function seek(path: string, icount: number): void {
  if (replayed && replayed.path === path && replayed.icount === icount) return;
  const task = `re-executing to instruction ${icount.toLocaleString("en")}`;
  const result = replay(recordingAt(path), { to: icount, verify: false, onChunk: (done) => post({ type: "progress", task, done, total: icount }) });
  post({ type: "progress", task, done: icount, total: icount });
  replayed = { path, icount, machine: result.machine };
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
      if (state !== "paused") return;
      advance(command.instructions);
      publish();
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
