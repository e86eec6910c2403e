// The renderer's shared state: machine status, screen, PDs, errors and the replay point, fed by lab events.
// One instance per window; views read its runes and call the lab through `client`.

import type { ConsoleStream, DiskInfo, EventFilter, LabEvent, MachineStatus, PdInfo, RecordingInfo, Screen, StopSpec, TableEvent } from "../../../main/protocol.ts";
import type { LabClient } from "./client.ts";

export type View = "machine" | "timeline" | "events" | "costs" | "recordings" | "inspector";

/** Receives console text; a null stream means the console was reset (a new machine booted). */
type ConsoleListener = (stream: ConsoleStream | null, text: string) => void;

export class Lab {
  view = $state<View>("machine");
  status = $state<MachineStatus>({ state: "off", guest: "", icount: 0, vcycles: 0 });
  screen = $state.raw<Screen | null>(null);
  pds = $state.raw<PdInfo[]>([]);
  /** The FAT image the live run has at /disk, with the service's counters. */
  disk = $state.raw<DiskInfo | null>(null);
  errors = $state<{ id: number; text: string }[]>([]);
  progress = $state<{ task: string; done: number; total: number } | null>(null);
  /** The recording the analysis views show, and the instruction count the replay stands at. */
  recording = $state.raw<RecordingInfo | null>(null);
  icount = $state(0);
  /** False once the host is gone: every control is disabled and the window offers to reconnect. */
  connected = $state(true);
  /** The event selected in the timeline or the event table, and the table's filter (the timeline highlights it). */
  selected = $state.raw<TableEvent | null>(null);
  filter = $state<EventFilter>({});
  /** Breakpoints, event stops and watchpoints: armed in the live run and used by replay's continue / reverse. */
  stops = $state<StopSpec>({ addresses: [], events: [], watch: [] });
  private nextError = 1;
  private readonly consoleListeners = new Set<ConsoleListener>();
  /** Console output that arrived before the terminal was ready; replayed to the first listener. */
  private consoleBacklog: [ConsoleStream, string][] = [];

  constructor(readonly client: LabClient) {
    client.onEvent((event) => this.apply(event));
  }

  /** Takes over the live machine as the host has it now (a reload or a second window shows the same state). */
  async connect(): Promise<void> {
    const snapshot = await this.client.call("lab.hello", {});
    this.apply({ kind: "status", status: snapshot.status });
    this.screen = snapshot.screen;
    this.pds = snapshot.pds;
    this.disk = snapshot.disk;
    for (const { stream, text } of snapshot.console) this.apply({ kind: "console", stream, text });
  }

  private apply(event: LabEvent): void {
    switch (event.kind) {
      case "boot":
        this.screen = null;
        this.pds = [];
        this.disk = null;
        this.consoleBacklog = [];
        for (const listener of this.consoleListeners) listener(null, "");
        break;
      case "status":
        this.openFinishedRecording(this.status, event.status);
        this.status = event.status;
        if (event.status.state === "failed" && event.status.message) this.error(event.status.message);
        break;
      case "screen":
        this.screen = event.screen;
        break;
      case "pds":
        this.pds = event.pds;
        break;
      case "disk":
        this.disk = event.disk;
        break;
      case "console":
        if (this.consoleListeners.size === 0) this.consoleBacklog.push([event.stream, event.text]);
        for (const listener of this.consoleListeners) listener(event.stream, event.text);
        break;
      case "progress":
        this.progress = event.done >= event.total ? null : { task: event.task, done: event.done, total: event.total };
        break;
    }
  }

  /** A recorded run that just ended is opened in Timeline, Costs and Inspector at once (the empty states say so). */
  private openFinishedRecording(before: MachineStatus, after: MachineStatus): void {
    const wasLive = before.state === "running" || before.state === "paused";
    const ended = after.state === "exited" || after.state === "failed";
    const id = after.recording;
    if (!id || !ended || (!wasLive && before.recording === id)) return;
    void this.attempt(() => this.client.call("replay.open", { recording: id })).then((info) => {
      if (!info) return;
      this.recording = info;
      this.icount = 0;
      this.selected = null;
    });
  }

  /** The host went away: say so once, and let the window offer a reconnect. */
  disconnect(reason: string): void {
    if (!this.connected) return;
    this.connected = false;
    this.error(reason);
  }

  /** Reconnecting is loading the page again: the address carries the token, the host the state. */
  reconnect(): void {
    location.reload();
  }

  onConsole(listener: ConsoleListener): () => void {
    this.consoleListeners.add(listener);
    for (const [stream, text] of this.consoleBacklog) listener(stream, text);
    this.consoleBacklog = [];
    return () => this.consoleListeners.delete(listener);
  }

  /** Shows an error in the window's error list (never a blank screen, never only the devtools console). */
  error(error: unknown): void {
    const text = error instanceof Error ? error.message : String(error);
    this.errors.push({ id: this.nextError++, text });
  }

  dismiss(id: number): void {
    this.errors = this.errors.filter((e) => e.id !== id);
  }

  /** Runs a lab call and reports its failure in the UI; returns undefined when it failed. */
  async attempt<T>(work: () => Promise<T>): Promise<T | undefined> {
    try {
      return await work();
    } catch (error) {
      this.error(error);
      return undefined;
    }
  }
}
