// The typed lab API both hosts serve: machine control through the engine worker, recordings, replay queries, export.
// Parameters arrive already validated (protocol.ts); everything that touches a file path is checked again here.

import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { basename, dirname, isAbsolute, join, resolve } from "node:path";
import { parseElf } from "../engine/elf/elf.ts";
import { appKind } from "../engine/roottask/app-kind.ts";
import { readDiskImage } from "../engine/roottask/fat/disk.ts";
import { Recording } from "../engine/record/recording.ts";
import { exportChromeTrace, exportCsv } from "../engine/record/export.ts";
import type { LabService } from "./browser-host.ts";
import { BENCH_SYSCALLS_JSON, labDataDir } from "../engine/cli/bench-syscalls.ts";
import { costReport, readNativeLinux } from "./costs.ts";
import { EngineSession, type WorkerSpec } from "./engine-session.ts";
import { TimelineIndex, type Axis } from "./timeline-index.ts";
import {
  fromBase64,
  toBase64,
  type ConsoleStream,
  type DiskInfo,
  type GuestInfo,
  type Inspection,
  type LabEvent,
  type MachineStatus,
  type MemoryDump,
  type Method,
  type Params,
  type PdInfo,
  type RecordingInfo,
  type Results,
  type Screen,
  type TimelineSlice,
  type FoundStop,
  type StopSpec,
  type TableEvent,
} from "./protocol.ts";
import { StdinRing, type BootModule, type WorkerCommand, type WorkerReport } from "./worker-protocol.ts";
import { eventDetails, eventPage, tableEvents } from "./event-table.ts";
import { RecordingQuery } from "../engine/debug/query.ts";

export interface LabOptions {
  host: "electron" | "browser";
  /** Folder with the prebuilt guest ELFs (engine/guests/bin). */
  guestsDir: string;
  /** Folder of the bundled demo recordings (read-only). */
  bundledRecordings: string;
  /** Folder where the user's recordings are written. */
  userRecordings: string;
  worker: WorkerSpec;
  version: string;
}

/** A disk image named from the UI: a full host path to a FAT volume, checked as `run --disk` checks it. */
function checkedDisk(disk: { path: string; writable: boolean }): { path: string; writable: boolean } {
  const path = disk.path.trim();
  if (!isAbsolute(path)) throw new Error(`disk image: give the image's full path on the host, not '${path}'`);
  const { problem } = readDiskImage(path);
  if (problem) throw new Error(`disk image: ${problem}`);
  return { path: resolve(path), writable: disk.writable };
}

/** The file extension of recordings the lab writes and lists. */
const RECORDING_EXT = ".hlrec";
/** Guest environment in the lab: fixed, so a recorded run does not depend on the host's variables. */
const GUEST_ENV = ["HOME=/", "PATH=/bin", "TERM=xterm", "LANG=C.UTF-8", "USER=lab"];
/** Console text kept for renderers that connect later (a reload shows the same console). */
const CONSOLE_BACKLOG_CHARS = 1 << 20;

type Handlers = { [M in Method]: (params: Params<M>) => Promise<Results[M]> | Results[M] };

export class LabApi implements LabService {
  private readonly listeners = new Set<(event: LabEvent) => void>();
  private live: EngineSession | null = null;
  private stdin: StdinRing | null = null;
  private replay: EngineSession | null = null;
  private status: MachineStatus = { state: "off", guest: "", icount: 0, vcycles: 0 };
  private screen: Screen | null = null;
  private pds: PdInfo[] = [];
  private disk: DiskInfo | null = null;
  private console: { stream: ConsoleStream; text: string }[] = [];
  private consoleChars = 0;
  private readonly open = new Map<string, Recording>();
  private readonly indexes = new Map<string, Promise<TimelineIndex>>();
  private readonly eventLists = new Map<string, TableEvent[]>();
  private readonly queries = new Map<string, RecordingQuery>();
  /** The live run's stops, armed again in every newly booted machine. */
  private liveStops: StopSpec = { addresses: [], events: [], watch: [] };

  constructor(private readonly options: LabOptions) {
    mkdirSync(options.userRecordings, { recursive: true });
  }

  subscribe(listener: (event: LabEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  handle<M extends Method>(method: M, params: Params<M>): Promise<Results[M]> {
    const handler = this.handlers[method] as (p: Params<M>) => Promise<Results[M]> | Results[M];
    return Promise.resolve().then(() => handler(params));
  }

  async close(): Promise<void> {
    this.stdin?.close();
    await Promise.all([this.live?.terminate(), this.replay?.terminate()]);
    for (const recording of this.open.values()) recording.close();
    this.open.clear();
    for (const query of this.queries.values()) query.close();
    this.queries.clear();
  }

  private emit(event: LabEvent): void {
    for (const listener of this.listeners) listener(event);
  }

  private readonly handlers: Handlers = {
    "lab.hello": () => ({
      version: this.options.version,
      host: this.options.host,
      status: this.status,
      screen: this.screen,
      pds: this.pds,
      disk: this.disk,
      console: this.console,
    }),
    "guests.list": () => this.guests(),
    "machine.boot": ({ guest, args, record, jit, disk }) => {
      const info = this.guests().find((g) => g.id === guest);
      if (!info) throw new Error(`no guest named '${guest}'`);
      const image = disk ? checkedDisk(disk) : null;
      const bytes = new Uint8Array(readFileSync(join(this.options.guestsDir, info.id)));
      return this.boot(info.name, [{ name: info.id, bytes, kind: appKind(bytes), argv: [info.id, ...args] }], record, jit ?? true, image);
    },
    "machine.upload": ({ name, elf, args, record }) => {
      const bytes = fromBase64(elf);
      const safe = basename(name).replace(/[^\w.+-]/g, "_").replace(/^\.+/, "") || "guest";
      try {
        parseElf(bytes);
      } catch (error) {
        throw new Error(`${safe}: ${(error as Error).message}`);
      }
      return this.boot(safe, [{ name: safe, bytes, kind: appKind(bytes), argv: [safe, ...args] }], record);
    },
    "machine.run": () => this.control({ op: "run" }),
    "machine.pause": () => this.control({ op: "pause" }),
    "machine.step": ({ instructions }) => this.control({ op: "step", instructions }),
    "machine.stop": () => {
      this.stdin?.close();
      return this.control({ op: "stop" });
    },
    "machine.input": ({ text }) => {
      if (!this.stdin || !this.live) throw new Error("no machine is running to take input");
      const bytes = new TextEncoder().encode(text);
      if (this.stdin.write(bytes) < bytes.length) throw new Error("the guest is not reading its input fast enough; some keys were dropped");
      return null;
    },
    "machine.eof": () => {
      if (!this.stdin || !this.live) throw new Error("no machine is running to take input");
      this.stdin.close();
      return null;
    },
    "machine.inspect": async () => {
      if (!this.live) throw new Error("no machine is running; boot one first");
      return (await this.live.request({ op: "inspect" })) as Inspection;
    },
    "machine.memory": async ({ pd, address, length }) => {
      if (!this.live) throw new Error("no machine is running; boot one first");
      return (await this.live.request({ op: "memory", pd, address, length })) as MemoryDump;
    },
    "recordings.list": () => this.recordings(),
    "recordings.import": ({ name, data }) => {
      const stem = basename(name).replace(/\.[^.]*$/, "").replace(/[^\w.+-]/g, "_") || "imported";
      const target = this.uniquePath(stem);
      const temp = `${target}.import`;
      writeFileSync(temp, fromBase64(data));
      try {
        Recording.open(temp).close();
      } catch (error) {
        for (const suffix of ["", "-wal", "-shm"]) rmSync(temp + suffix, { force: true });
        // Said with the user's file name: the folder the lab keeps recordings in is its own business.
        const message = error instanceof Error ? error.message : String(error);
        throw new Error(`${basename(name)}: ${message.split(temp).join("").replace(/^:\s*/, "").split(dirname(temp)).join("…")}`);
      }
      renameSync(temp, target);
      return this.info(`user:${basename(target)}`);
    },
    "recordings.delete": ({ recording }) => {
      if (!recording.startsWith("user:")) throw new Error("bundled recordings cannot be deleted");
      const path = this.recordingPath(recording);
      this.open.get(recording)?.close();
      this.open.delete(recording);
      this.indexes.delete(recording);
      this.eventLists.delete(recording);
      this.queries.get(recording)?.close();
      this.queries.delete(recording);
      for (const suffix of ["", "-wal", "-shm"]) rmSync(path + suffix, { force: true });
      return null;
    },
    "replay.open": ({ recording }) => {
      this.recording(recording);
      const info = this.info(recording);
      // Start indexing now, so the timeline is ready by the time the user looks at it.
      this.index(recording).catch(() => undefined);
      return info;
    },
    "replay.timeline": ({ recording, axis, from, to, buckets }) => this.timeline(recording, axis, from, to, buckets),
    "replay.costs": ({ recording }) =>
      costReport(
        recording,
        this.recording(recording),
        // Where `bench syscalls` saves, then this lab's own data folder (Electron's differs), then the bundled one.
        readNativeLinux([
          join(labDataDir(), BENCH_SYSCALLS_JSON),
          join(dirname(this.options.userRecordings), BENCH_SYSCALLS_JSON),
          join(this.options.bundledRecordings, BENCH_SYSCALLS_JSON),
        ]),
      ),
    "replay.point": ({ recording, icount }) => {
      const rec = this.recording(recording);
      const streams: ConsoleStream[] = ["serial", "stdout", "stderr"];
      const text = rec.consoleText(icount, streams);
      const fb = rec.framebufferAt(icount);
      const screen: Screen | null = fb
        ? { mode: "linear", width: fb.width, height: fb.height, pixels: toBase64(fb.pixels) }
        : null;
      return { recording, icount, console: text, screen };
    },
    "replay.inspect": async ({ recording, icount }) => {
      const session = this.replaySession();
      await session.request({ op: "seek", recording: this.recordingPath(recording), icount });
      return (await session.request({ op: "inspect" })) as Inspection;
    },
    "replay.memory": async ({ recording, icount, pd, address, length }) => {
      const session = this.replaySession();
      await session.request({ op: "seek", recording: this.recordingPath(recording), icount });
      return (await session.request({ op: "memory", pd, address, length })) as MemoryDump;
    },
    "machine.stepOver": () => this.control({ op: "step-over" }),
    "machine.runTo": ({ address }) => this.control({ op: "run-to", address }),
    "machine.stops": async ({ stops }) => {
      this.liveStops = stops;
      if (this.live) await this.live.request({ op: "stops", stops });
      return null;
    },
    "replay.find": async ({ recording, icount, direction, stops }) => {
      const session = this.replaySession();
      return (await session.request({ op: "find", recording: this.recordingPath(recording), icount, direction, stops })) as FoundStop | null;
    },
    "replay.events": ({ recording, filter, offset, limit, around }) => eventPage(this.events(recording), filter, offset, limit, around),
    "replay.event": ({ recording, seq }) => eventDetails(this.events(recording), seq),
    "replay.query": ({ recording, sql }) => {
      let query = this.queries.get(recording);
      if (!query) {
        query = new RecordingQuery(this.recording(recording));
        this.queries.set(recording, query);
      }
      return query.run(sql, 5000);
    },
    "export.recording": ({ recording, format }) => {
      const rec = this.recording(recording);
      const parts: string[] = [];
      if (format === "csv") exportCsv(rec, (t) => parts.push(t));
      else exportChromeTrace(rec, (t) => parts.push(t));
      const stem = recording.slice(recording.indexOf(":") + 1).replace(/\.[^.]*$/, "");
      return format === "csv"
        ? { filename: `${stem}.csv`, mime: "text/csv", text: parts.join("") }
        : { filename: `${stem}.trace.json`, mime: "application/json", text: parts.join("") };
    },
  };

  // ---- the live machine ----

  private async boot(guest: string, modules: BootModule[], record: boolean, jit = true, disk: { path: string; writable: boolean } | null = null): Promise<MachineStatus> {
    this.stdin?.close();
    await this.live?.terminate();
    this.live = null;
    this.console = [];
    this.consoleChars = 0;
    this.screen = null;
    this.pds = [];
    this.disk = null;
    const stdin = new StdinRing();
    const recordPath = record ? this.uniquePath(guest) : null;
    const session = new EngineSession(this.options.worker, (report) => this.report(session, report));
    this.live = session;
    this.stdin = stdin;
    this.status = { state: "running", guest, icount: 0, vcycles: 0, ...(recordPath ? { recording: `user:${basename(recordPath)}` } : {}) };
    this.emit({ kind: "boot", guest });
    this.emit({ kind: "status", status: this.status });
    await session.request({ op: "boot", guest, modules, env: GUEST_ENV, seed: 1, version: this.options.version, record: recordPath, stdin: stdin.buffer, stops: this.liveStops, jit, disk });
    return this.status;
  }

  /** The recording's events, read once (the table and the details pane page through them). */
  private events(id: string): TableEvent[] {
    let events = this.eventLists.get(id);
    if (!events) {
      events = tableEvents(this.recording(id));
      this.eventLists.set(id, events);
    }
    return events;
  }

  private control(command: Extract<WorkerCommand, { op: "run" | "pause" | "stop" | "step" | "step-over" | "run-to" }>): MachineStatus {
    if (!this.live) throw new Error("no machine is running; boot one first");
    this.live.send(command);
    return this.status;
  }

  /** Reports from the live worker update the snapshot new renderers get and are pushed to connected ones. */
  private report(session: EngineSession, report: WorkerReport): void {
    if (session !== this.live || report.type === "reply") return;
    switch (report.type) {
      case "progress":
        this.emit({ kind: "progress", task: report.task, done: report.done, total: report.total });
        return;
      case "status":
        this.status = {
          ...report.status,
          guest: report.status.guest || this.status.guest,
          ...(this.status.recording ? { recording: this.status.recording } : {}),
        };
        this.emit({ kind: "status", status: this.status });
        return;
      case "screen":
        this.screen = report.screen;
        this.emit({ kind: "screen", screen: report.screen });
        return;
      case "pds":
        this.pds = report.pds;
        this.emit({ kind: "pds", pds: report.pds });
        return;
      case "disk":
        this.disk = report.disk;
        this.emit({ kind: "disk", disk: report.disk });
        return;
      case "console":
        this.console.push({ stream: report.stream, text: report.text });
        this.consoleChars += report.text.length;
        while (this.consoleChars > CONSOLE_BACKLOG_CHARS && this.console.length > 1) this.consoleChars -= this.console.shift()!.text.length;
        this.emit({ kind: "console", stream: report.stream, text: report.text });
        return;
    }
  }

  private replaySession(): EngineSession {
    if (!this.replay) {
      const session = new EngineSession(this.options.worker, (report) => {
        if (report.type === "progress") this.emit({ kind: "progress", task: report.task, done: report.done, total: report.total });
        if (report.type === "status" && report.status.state === "failed" && this.replay === session) this.replay = null;
      });
      this.replay = session;
    }
    return this.replay;
  }

  // ---- guests and recordings ----

  private guests(): GuestInfo[] {
    return readdirSync(this.options.guestsDir)
      .filter((name) => statSync(join(this.options.guestsDir, name)).isFile())
      .sort((a, b) => (a === "hello" ? -1 : b === "hello" ? 1 : a.localeCompare(b)))
      .map((name) => ({ id: name, name, kind: appKind(readFileSync(join(this.options.guestsDir, name))) }));
  }

  private recordings(): RecordingInfo[] {
    const list = (dir: string, prefix: "bundled" | "user") =>
      readdirSync(dir)
        .filter((name) => name.endsWith(RECORDING_EXT))
        .map((name) => `${prefix}:${name}`);
    const ids = [...list(this.options.bundledRecordings, "bundled"), ...list(this.options.userRecordings, "user")];
    return ids.flatMap((id) => {
      try {
        return [this.info(id)];
      } catch {
        return [];
      }
    });
  }

  /** The recording the live run is writing: not opened by anyone else until it is finished (its final
   *  checkpoint needs the file to itself). */
  private writing(id: string): boolean {
    return this.status.recording === id && (this.status.state === "running" || this.status.state === "paused");
  }

  private info(id: string): RecordingInfo {
    const name = id.slice(id.indexOf(":") + 1);
    if (this.writing(id)) {
      return { id, name, bundled: false, guest: this.status.guest, complete: false, live: true, icount: this.status.icount, events: 0, bytes: 0 };
    }
    // Listing opens a file only for a moment; files kept open are the ones being replayed.
    const cached = this.open.get(id);
    const rec = cached ?? Recording.open(this.recordingPath(id));
    try {
      const summary = rec.summary();
      const s = summary.session;
      return {
        id,
        name,
        bundled: id.startsWith("bundled:"),
        guest: s.guest,
        complete: s.status === "complete",
        live: false,
        icount: s.finalIcount ?? summary.verifiableIcount,
        events: summary.events,
        bytes: summary.fileBytes,
      };
    } finally {
      if (!cached) rec.close();
    }
  }

  /** Maps a recording id to its file; ids name a file directly inside one of the two folders, nothing else. */
  private recordingPath(id: string): string {
    if (this.writing(id)) throw new Error("this recording is still being written: stop the run (or let it finish) to replay it");
    const colon = id.indexOf(":");
    const kind = id.slice(0, colon);
    const name = id.slice(colon + 1);
    const dir = kind === "bundled" ? this.options.bundledRecordings : kind === "user" ? this.options.userRecordings : null;
    if (!dir || name !== basename(name) || !name.endsWith(RECORDING_EXT)) throw new Error(`no recording '${id}'`);
    return resolve(dir, name);
  }

  private recording(id: string): Recording {
    let rec = this.open.get(id);
    if (!rec) {
      rec = Recording.open(this.recordingPath(id));
      this.open.set(id, rec);
    }
    return rec;
  }

  private uniquePath(stem: string): string {
    const dir = this.options.userRecordings;
    const base = `${stem}-${new Date().toISOString().replace(/[:.]/g, "-")}`;
    for (let n = 0; ; n++) {
      const path = join(dir, `${base}${n ? `-${n}` : ""}${RECORDING_EXT}`);
      try {
        statSync(path);
      } catch {
        return path;
      }
    }
  }

  /** The recording's timeline index, built once per recording with progress events (it reads every event). */
  private index(id: string): Promise<TimelineIndex> {
    let index = this.indexes.get(id);
    if (!index) {
      const rec = this.recording(id);
      const total = rec.summary().events;
      const task = `indexing ${id.slice(id.indexOf(":") + 1)}`;
      index = TimelineIndex.build(rec, total, (done) => this.emit({ kind: "progress", task, done, total }));
      index.catch(() => this.indexes.delete(id));
      this.indexes.set(id, index);
    }
    return index;
  }

  private async timeline(id: string, axis: Axis, from: number, to: number, buckets: number): Promise<TimelineSlice> {
    const index = await this.index(id);
    return index.slice(this.recording(id), axis, from, to, buckets);
  }
}
