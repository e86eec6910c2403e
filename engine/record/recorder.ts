// Records a run into one SQLite file: events, console, nondeterministic input, trace chunks, framebuffer, snapshots.
// Subscribes to the machine's own streams (principle 4) and drives it through the loop replay uses (driver.ts).

import { Machine, type MachineConfig } from "../machine.ts";
import { NODE_HOST_IO } from "../roottask/fs/host.ts";
import { diffFrame } from "./framebuffer.ts";
import { CONSOLE_CLOSED_INPUT, recordingHostIo } from "./host-io.ts";
import { imageDiskIo, recordingDiskIo } from "../roottask/fat/disk.ts";
import { ChunkDriver, DEFAULT_CHUNK_INSTRUCTIONS, DEFAULT_SNAPSHOT_INSTRUCTIONS, storedConfig } from "./driver.ts";
import { captureSnapshot, MemoryShadow, worldHash } from "./snapshot.ts";
import { RecordingWriter } from "./writer.ts";

export interface RecordOptions {
  chunkInstructions?: number;
  snapshotInstructions?: number;
  /** Record the instruction stream (trace chunks with block addresses); without it, only hashes and events. */
  instructionStream?: boolean;
  /** Hedron Lab version written into the session. */
  engineVersion: string;
  /** Called after every chunk (progress bars). */
  onChunk?: (icount: number) => void;
}

export interface RecordResult {
  icount: number;
  vcycles: number;
  chunks: number;
  events: number;
  traceBytes: number;
  eventBytes: number;
  snapshotBytes: number;
  exitStatus: number;
  stopReason: string | null;
}

/** A keyframe every this many framebuffer updates bounds how many deltas a seek applies. */
const KEYFRAME_EVERY = 32;

export class Recorder {
  readonly machine: Machine;
  private readonly writer: RecordingWriter;
  private readonly driver: ChunkDriver;
  private readonly snapshotInstructions: number;
  private lastFrame: Uint8Array | null = null;
  /** Nothing is stored until something draws (generation 0 is the blank framebuffer of boot). */
  private frameGeneration = 0;
  private framesSinceKey = 0;
  private chunks = 0;
  private nextSnapshot: number;
  private readonly shadow = new MemoryShadow();
  private halted = false;

  /**
   * `config.readStdin` and the host I/O of mounts are wrapped so every byte the guest reads is recorded with its
   * instruction count (mounts are read while the machine is built, before it has a count: those rows get 0).
   */
  constructor(
    readonly path: string,
    config: MachineConfig,
    private readonly options: RecordOptions,
  ) {
    const chunkInstructions = options.chunkInstructions ?? DEFAULT_CHUNK_INSTRUCTIONS;
    this.snapshotInstructions = options.snapshotInstructions ?? DEFAULT_SNAPSHOT_INSTRUCTIONS;
    this.nextSnapshot = this.snapshotInstructions;
    const readStdin = config.readStdin;
    const recorded: MachineConfig = {
      ...config,
      readStdin: (max) => {
        const bytes = readStdin(max);
        this.writer.input(this.machine.icount, "stdin", bytes);
        return bytes;
      },
      // A closed host stdout/stderr is input too: the replay must fail the same write with EPIPE.
      consoleSink: config.consoleSink && ((stream, bytes) => {
        if (config.consoleSink!(stream, bytes)) return true;
        this.writer.input(this.machine.icount, CONSOLE_CLOSED_INPUT, new TextEncoder().encode(stream));
        return false;
      }),
      hostIo: recordingHostIo(config.hostIo ?? NODE_HOST_IO, (kind, data) => this.writer.input(this.machine ? this.machine.icount : 0, kind, data)),
      disk: config.disk && {
        ...config.disk,
        io: recordingDiskIo(config.disk.io ?? imageDiskIo(config.disk.path, config.disk.writable), (kind, data) => this.writer.input(this.machine ? this.machine.icount : 0, kind, data)),
      },
    };
    const main = config.modules[0];
    this.writer = new RecordingWriter(
      path,
      {
        guest: main?.name ?? "", args: main?.argv ?? [], seed: config.seed, config: { ...storedConfig(config) },
        engineVersion: options.engineVersion, chunkInstructions, snapshotInstructions: this.snapshotInstructions,
        instructionStream: options.instructionStream ?? true,
      },
      new Map(config.modules.map((m) => [m.name, m.bytes])),
    );
    this.machine = new Machine(recorded);
    this.machine.onRawEvent(this.writer.events);
    this.machine.onConsole((stream, bytes) => this.writer.console(this.machine.icount, stream, bytes));
    this.driver = new ChunkDriver(this.machine, chunkInstructions, options.instructionStream ?? true);
  }

  /** Records the whole run; the file is complete (and self-contained) when this returns. */
  run(): RecordResult {
    try {
      while (!this.step());
    } catch (error) {
      this.writer.close();
      throw error;
    }
    return this.finish();
  }

  /**
   * Records one chunk (the UI's run loop calls this so it can pause between chunks); true once the machine halted.
   * Every chunk commits with its events, console, input and frames; a killed recorder loses at most the chunk it was in.
   */
  step(): boolean {
    if (this.halted) return true;
    const chunk = this.driver.step();
    this.frame();
    const m = this.machine;
    // Snapshots fall on chunk ends, where replay's chunk-by-chunk loop can pick up from them.
    let snapshot;
    if (!chunk.halted && m.icount >= this.nextSnapshot) {
      const s = captureSnapshot(m, this.shadow);
      snapshot = { icount: m.icount, vcycles: m.vcycles, keyframe: s.keyframe, head: s.head, memory: s.memory, stateHash: s.stateHash, worldHash: s.worldHash };
      this.nextSnapshot = (Math.floor(m.icount / this.snapshotInstructions) + 1) * this.snapshotInstructions;
    }
    const world = snapshot ? snapshot.worldHash : chunk.halted ? worldHash(m) : null;
    this.writer.chunk(chunk.firstIcount, chunk.lastIcount, chunk.vcycles, chunk.streams, chunk.stateHash, world, snapshot);
    this.chunks++;
    this.halted = chunk.halted;
    this.options.onChunk?.(m.icount);
    return chunk.halted;
  }

  /** Runs to instruction `target` (exactly, when the debugger set exact stops), closing every chunk it completes;
   *  true once the machine halted. A chunk advanced in parts is recorded as if run in one piece. */
  advanceTo(target: number): boolean {
    const m = this.machine;
    while (m.icount < target) {
      const end = this.driver.chunkEnd;
      if (m.icount < end) {
        if (this.driver.runTo(Math.min(target, end))) return this.step();
      } else if (m.cpus.some((cpu) => cpu.midBlock)) {
        // The chunk's last block, which an exact stop interrupted, runs on (and may stop again inside).
        if (m.run(1) === "halted") return this.step();
      } else if (this.step()) return true;
    }
    return false;
  }

  /**
   * Marks the recording complete up to here and closes the file. After the machine halted this is the normal end;
   * called between steps of a run that has not ended (a stop, SIGINT, an instruction or time limit) it records a
   * host stop at the last chunk end, with `reason`, and replay then verifies the run up to that point.
   */
  finish(reason = "stopped by the host"): RecordResult {
    const m = this.machine;
    const hostStop = !this.halted;
    this.writer.finish({
      icount: m.icount, vcycles: m.vcycles, exitStatus: hostStop ? null : m.exitStatus,
      stopReason: hostStop ? reason : m.stopReason ?? "exit", hostStop,
    });
    this.writer.close();
    return {
      icount: m.icount, vcycles: m.vcycles, chunks: this.chunks, events: this.writer.eventCount, traceBytes: this.writer.traceBytes,
      eventBytes: this.writer.eventBytes, snapshotBytes: this.writer.snapshotBytes, exitStatus: m.exitStatus, stopReason: m.stopReason,
    };
  }

  /** Stores the framebuffer if it changed since the last chunk: a keyframe now and then, deltas between. */
  private frame(): void {
    const fb = this.machine.framebuffer;
    // Host-side drawing bumps the generation; a framebuffer delegated to a guest PD may change at any time.
    const delegated = this.machine.frames.refs[fb.firstFrame] > 1;
    if (!delegated && fb.generation === this.frameGeneration) return;
    this.frameGeneration = fb.generation;
    const now = fb.bytes;
    if (this.lastFrame === null || this.framesSinceKey >= KEYFRAME_EVERY) {
      this.writer.frame(this.machine.icount, fb.width, fb.height, 4, true, now);
      this.framesSinceKey = 0;
    } else {
      const delta = diffFrame(this.lastFrame, now);
      if (delta.length === 0) return;
      this.writer.frame(this.machine.icount, fb.width, fb.height, 4, false, delta);
      this.framesSinceKey++;
    }
    this.lastFrame = now.slice();
  }
}
