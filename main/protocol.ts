// The lab's one message protocol: typed requests, responses and events with their runtime validators.
// Runs everywhere (Node main process, Electron preload's peer, browser renderer): no Node or DOM imports.

import type { ConsoleStream, EventKind, MachineEvent } from "../engine/events.ts";

export type { ConsoleStream, EventKind, MachineEvent };

/** Thrown when a message does not match the protocol; the message names the offending field. */
export class ProtocolError extends Error {}

type Check<T> = (value: unknown, path: string) => T;

const fail = (path: string, what: string): never => {
  throw new ProtocolError(`${path}: expected ${what}`);
};

const str = (max = 4096): Check<string> => (v, p) =>
  typeof v === "string" && v.length <= max ? v : fail(p, `a string of at most ${max} characters`);
const int = (min = 0, max = Number.MAX_SAFE_INTEGER): Check<number> => (v, p) =>
  Number.isSafeInteger(v) && (v as number) >= min && (v as number) <= max ? (v as number) : fail(p, `an integer in ${min}..${max}`);
const num: Check<number> = (v, p) => (typeof v === "number" && Number.isFinite(v) ? v : fail(p, "a finite number"));
const bool: Check<boolean> = (v, p) => (typeof v === "boolean" ? v : fail(p, "a boolean"));
const oneOf = <T extends string>(...options: T[]): Check<T> => (v, p) =>
  options.includes(v as T) ? (v as T) : fail(p, `one of ${options.join(", ")}`);
const arr = <T>(item: Check<T>, max: number): Check<T[]> => (v, p) => {
  if (!Array.isArray(v) || v.length > max) return fail(p, `an array of at most ${max} items`);
  return v.map((x, i) => item(x, `${p}[${i}]`));
};
/** Base64 text of at most `maxBytes` decoded bytes. */
const base64 = (maxBytes: number): Check<string> => (v, p) =>
  typeof v === "string" && v.length <= Math.ceil(maxBytes / 3) * 4 && /^[A-Za-z0-9+/]*={0,2}$/.test(v)
    ? v
    : fail(p, `base64 data of at most ${maxBytes} bytes`);
/** An optional field: absent stays absent. */
const opt = <T>(check: Check<T>): Check<T | undefined> => (v, p) => (v === undefined ? undefined : check(v, p));
type Shape = Record<string, Check<unknown>>;
type Out<S extends Shape> = { [K in keyof S as undefined extends ReturnType<S[K]> ? never : K]: ReturnType<S[K]> } & {
  [K in keyof S as undefined extends ReturnType<S[K]> ? K : never]?: Exclude<ReturnType<S[K]>, undefined>;
};
/** A plain object with exactly these keys (unknown keys are rejected, so typos fail loudly). */
const obj = <S extends Shape>(shape: S): Check<Out<S>> => (v, p) => {
  if (typeof v !== "object" || v === null || Array.isArray(v)) return fail(p, "an object");
  for (const key of Object.keys(v)) if (!Object.hasOwn(shape, key)) throw new ProtocolError(`${p}.${key}: no such field`);
  const out: Record<string, unknown> = {};
  for (const [key, check] of Object.entries(shape)) {
    const value = check((v as Record<string, unknown>)[key], `${p}.${key}`);
    if (value !== undefined) out[key] = value;
  }
  return out as Out<S>;
};

const MAX_ELF_BYTES = 64 * 1024 * 1024;
const MAX_RECORDING_BYTES = 512 * 1024 * 1024;
const id = str(256);

// ---- data carried by results and events ----

export type PdKind = "native" | "foreign" | "hybrid" | "root";

export interface GuestInfo {
  id: string;
  name: string;
  kind: PdKind;
}

export type MachineState = "off" | "running" | "paused" | "exited" | "failed";

export interface MachineStatus {
  state: MachineState;
  guest: string;
  icount: number;
  vcycles: number;
  /** Exit status of the guest once it exited. */
  exitStatus?: number;
  /** Why the machine stopped, in one sentence (errors included). */
  message?: string;
  /** Recording the live run is written to, if recording. */
  recording?: string;
}

export interface PdInfo {
  id: number;
  name: string;
  kind: PdKind;
  ecs: number[];
  /** The process in it and its state ("pid 1 running", "pid 1 exited with status 0"), empty for the roottask. */
  state: string;
  /** The Linux or native process the PD holds, with its parent and its threads (none for the roottask). */
  process: ProcessInfo | null;
}

export interface ProcessInfo {
  pid: number;
  ppid: number;
  pgid: number;
  /** One per thread: its EC, virtual CPU, and the syscall it is blocked in (its reply withheld), or null. */
  threads: { tid: number; ec: number; cpu: number; blockedIn: string | null }[];
  /** The sockets it holds open: protocol, state, local and peer address, bytes received and not yet read. */
  sockets: { id: number; kind: string; state: string; local: string; peer: string; queued: number }[];
}

/** The FAT image attached to the run (`--disk`), with the FAT service's counters so far. */
export interface DiskInfo {
  /** The image file on the host. */
  path: string;
  fatType: 12 | 16 | 32;
  /** Volume size (total sectors × sector size). */
  bytes: number;
  writable: boolean;
  sectorsRead: number;
  sectorsWritten: number;
  /** Commits of written sectors to the image file (writable disks only). */
  commits: number;
}

/** The VGA device's visible state: text mode cells or the linear framebuffer. */
export type Screen =
  | { mode: "text"; cols: number; rows: number; /** base64 of cols*rows u16 LE: char | attribute << 8 */ cells: string; cursor: number }
  | { mode: "linear"; width: number; height: number; /** base64 of width*height*4 bytes, B G R X per pixel */ pixels: string };

export interface RegisterRow {
  name: string;
  /** 0x-prefixed 64-bit hex. */
  value: string;
}

export interface DisasmRow {
  address: string;
  bytes: string;
  text: string;
  current: boolean;
}

/** One kernel object as the inspector lists it: generic rows so the UI follows the engine's model. */
export interface KernelObjectRow {
  type: string;
  id: number;
  fields: Record<string, string>;
}

export interface CapabilityRow {
  selector: number;
  object: string;
  rights: string;
}

export interface Inspection {
  icount: number;
  vcycles: number;
  pd: number;
  ec: number;
  registers: RegisterRow[];
  disassembly: DisasmRow[];
  objects: KernelObjectRow[];
  capabilities: { pd: number; name: string; entries: CapabilityRow[] }[];
}

export interface MemoryDump {
  pd: number;
  address: number;
  /** base64; unmapped bytes are reported in `unmapped` as page addresses. */
  bytes: string;
  unmapped: number[];
}

export interface RecordingInfo {
  id: string;
  name: string;
  bundled: boolean;
  guest: string;
  complete: boolean;
  /** Being written by the live run right now (it can be opened once the run ends). */
  live: boolean;
  icount: number;
  events: number;
  bytes: number;
}

export interface Track {
  /** -1 on a service track. */
  pd: number;
  ec: number;
  label: string;
  /** Set on the track of the network or disk service's work (those events are not on their PD/EC's track). */
  service?: "net" | "disk";
}

/** An aggregate of events of one track in an icount range, when there are too many to draw one by one. */
export interface Bucket {
  track: number;
  start: number;
  end: number;
  count: number;
  kinds: Partial<Record<EventKind, number>>;
}

export interface TimelineSlice {
  from: number;
  to: number;
  /** The last event's position on the requested axis (the extent of the timeline). */
  end: number;
  tracks: Track[];
  /** Individual events when the range holds few enough, with `track` indexes into `tracks`. */
  events: (MachineEvent & { track: number; seq: number })[];
  buckets: Bucket[];
  total: number;
}

export interface CostRow {
  /** Call kind, e.g. "linux:write" or "native:stdout". */
  kind: string;
  path: "foreign" | "native" | "hybrid";
  count: number;
  /** Modelled virtual cycles per call (samples, capped). */
  vcycles: number[];
  /** Host nanoseconds per call (measured, noisy). */
  hostNs: number[];
  /** Stacked breakdown of the mean modelled cost. */
  breakdown: Record<string, number>;
}

/** One call measured by `hedron-lab bench syscalls` through both paths of a service, in virtual cycles per call. */
export interface ServiceCost {
  row: string;
  service: "net" | "disk";
  /** Through the Linux personality (a forwarded syscall). */
  linux: number;
  /** Through the native SDK client (portal calls to the service). */
  native: number;
  /** The Linux guest on the host (TSC ticks), where measured. */
  nativeLinux: number | null;
}

export interface CostReport {
  recording: string;
  rows: CostRow[];
  /** Host-measured native Linux cycles per syscall, from `hedron-lab bench syscalls`, where known. */
  nativeLinux: Record<string, number>;
  /** The bench's service rows (Linux personality vs native SDK path for the same call), from the same file. */
  services: ServiceCost[];
  /** The bench-syscalls JSON file those figures came from (found) or would come from; null if none is looked for. */
  nativeLinuxFile: { path: string; found: boolean } | null;
}

export interface ReplayPoint {
  recording: string;
  icount: number;
  /** Serial console and guest output written up to this point, in order. */
  console: string;
  /** The framebuffer at this point, if anything drew into it. */
  screen: Screen | null;
}

/** What a renderer needs on (re)connecting: the live machine as it is now, and the recent console text. */
export interface LabSnapshot {
  version: string;
  host: "electron" | "browser";
  status: MachineStatus;
  screen: Screen | null;
  pds: PdInfo[];
  /** The live run's disk, or null without one. */
  disk: DiskInfo | null;
  console: { stream: ConsoleStream; text: string }[];
}

/** Breakpoints (addresses), event stops and watchpoints, as the debugger arms them. */
export interface StopSpec {
  addresses: number[];
  events: { kind?: EventKind; name?: string; args?: string; pd?: number }[];
  watch: { pd: number; address: number; length: number }[];
}

export interface EventFilter {
  kind?: EventKind;
  pd?: number;
  ec?: number;
  /** Syscall, hypercall or portal name, exactly. */
  name?: string;
  /** An errno name in the result, e.g. "ENOENT". */
  errno?: string;
  /** Text anywhere in name, arguments or result. */
  search?: string;
  /** Only events at or after / at or before this instruction count. */
  fromIcount?: number;
  toIcount?: number;
}

export type TableEvent = MachineEvent & { seq: number };

export interface EventPage {
  /** Events matching the filter, and the page of them asked for. */
  total: number;
  offset: number;
  events: TableEvent[];
}

/** Everything about one event: its call and reply, what happened inside, and the modelled cost by part. */
export interface EventDetails {
  event: TableEvent;
  /** The portal call this event belongs to (itself, its reply's call, or the call that delivered a syscall). */
  call: TableEvent | null;
  reply: TableEvent | null;
  /** The forwarded syscall the call carried. */
  syscall: TableEvent | null;
  /** "linux:write", "native:stdout" … */
  callKind: string | null;
  /** Modelled virtual cycles of the whole call and its parts. */
  cost: { total: number; parts: Record<string, number> } | null;
  /** Events between call and reply (at most 50). */
  inside: TableEvent[];
}

export interface FoundStop {
  icount: number;
  reason: string;
}

export interface QueryAnswer {
  columns: string[];
  rows: unknown[][];
  truncated: boolean;
}

// ---- requests: method → params validator; results typed in Results ----

const EVENT_KIND_NAMES: EventKind[] = ["portal_call", "portal_reply", "hypercall", "foreign_syscall", "exception", "schedule", "process_start", "process_exit"];
const eventKind = oneOf(...EVENT_KIND_NAMES);
const stopSpec = obj({
  addresses: arr(int(), 64),
  events: arr(obj({ kind: opt(eventKind), name: opt(str(128)), args: opt(str(256)), pd: opt(int(0, 1 << 26)) }), 16),
  watch: arr(obj({ pd: int(0, 1 << 26), address: int(), length: int(1, 64) }), 8),
  registers: opt(arr(obj({ ec: int(0, 1 << 26), reg: int(0, 15) }), 4)),
});
const eventFilter = obj({
  kind: opt(eventKind), pd: opt(int(0, 1 << 26)), ec: opt(int(0, 1 << 26)), name: opt(str(128)), errno: opt(str(32)), search: opt(str(256)),
  fromIcount: opt(int()), toIcount: opt(int()),
});

/** A FAT image on the host to attach at /disk, as `run --disk IMAGE [--disk-writable]`. */
const diskSpec = obj({ path: str(4096), writable: bool });

export const requests = {
  "lab.hello": obj({}),
  "guests.list": obj({}),
  "machine.boot": obj({ guest: id, args: arr(str(4096), 256), record: bool, jit: opt(bool), disk: opt(diskSpec) }),
  "machine.upload": obj({ name: str(256), elf: base64(MAX_ELF_BYTES), args: arr(str(4096), 256), record: bool }),
  "machine.run": obj({}),
  "machine.pause": obj({}),
  "machine.step": obj({ instructions: int(1, 1_000_000) }),
  "machine.stop": obj({}),
  "machine.input": obj({ text: str(65536) }),
  "machine.eof": obj({}),
  "machine.inspect": obj({}),
  "machine.memory": obj({ pd: int(0, 1 << 26), address: int(), length: int(1, 65536) }),
  "recordings.list": obj({}),
  "recordings.import": obj({ name: str(256), data: base64(MAX_RECORDING_BYTES) }),
  "recordings.delete": obj({ recording: id }),
  "replay.open": obj({ recording: id }),
  "replay.timeline": obj({ recording: id, axis: oneOf("icount", "vcycles"), from: num, to: num, buckets: int(1, 20000) }),
  "replay.costs": obj({ recording: id }),
  "replay.point": obj({ recording: id, icount: int() }),
  "replay.inspect": obj({ recording: id, icount: int() }),
  "replay.memory": obj({ recording: id, icount: int(), pd: int(0, 1 << 26), address: int(), length: int(1, 65536) }),
  "export.recording": obj({ recording: id, format: oneOf("chrome-trace", "csv") }),
  "machine.stepOver": obj({}),
  "machine.runTo": obj({ address: int() }),
  "machine.stops": obj({ stops: stopSpec }),
  "replay.find": obj({ recording: id, icount: int(), direction: oneOf("forward", "backward"), stops: stopSpec }),
  "replay.events": obj({ recording: id, filter: eventFilter, offset: int(), limit: int(1, 5000), around: opt(int(1)) }),
  "replay.event": obj({ recording: id, seq: int(1) }),
  "replay.query": obj({ recording: id, sql: str(20000) }),
};

export type Method = keyof typeof requests;
export type Params<M extends Method> = ReturnType<(typeof requests)[M]>;

export interface Results {
  "lab.hello": LabSnapshot;
  "guests.list": GuestInfo[];
  "machine.boot": MachineStatus;
  "machine.upload": MachineStatus;
  "machine.run": MachineStatus;
  "machine.pause": MachineStatus;
  "machine.step": MachineStatus;
  "machine.stop": MachineStatus;
  "machine.input": null;
  "machine.eof": null;
  "machine.inspect": Inspection;
  "machine.memory": MemoryDump;
  "recordings.list": RecordingInfo[];
  "recordings.import": RecordingInfo;
  "recordings.delete": null;
  "replay.open": RecordingInfo;
  "replay.timeline": TimelineSlice;
  "replay.costs": CostReport;
  "replay.point": ReplayPoint;
  "replay.inspect": Inspection;
  "replay.memory": MemoryDump;
  "export.recording": { filename: string; mime: string; text: string };
  "machine.stepOver": MachineStatus;
  "machine.runTo": MachineStatus;
  "machine.stops": null;
  "replay.find": FoundStop | null;
  "replay.events": EventPage;
  "replay.event": EventDetails;
  "replay.query": QueryAnswer;
}

/** Pushed from the main process to every connected renderer. */
export type LabEvent =
  /** A new machine booted: consoles, screen and PD list start empty. */
  | { kind: "boot"; guest: string }
  | { kind: "status"; status: MachineStatus }
  | { kind: "console"; stream: ConsoleStream; text: string }
  | { kind: "screen"; screen: Screen }
  | { kind: "pds"; pds: PdInfo[] }
  | { kind: "disk"; disk: DiskInfo | null }
  | { kind: "progress"; task: string; done: number; total: number };

// ---- envelopes ----

export interface RequestMessage<M extends Method = Method> {
  type: "request";
  id: number;
  method: M;
  params: Params<M>;
}

export type ResponseMessage =
  | { type: "response"; id: number; ok: true; result: unknown }
  | { type: "response"; id: number; ok: false; error: string };

export interface EventMessage {
  type: "event";
  event: LabEvent;
}

export type ServerMessage = ResponseMessage | EventMessage;

const envelope = obj({ type: oneOf("request"), id: int(0, 2 ** 31), method: str(64), params: (v) => v });

/** Validates an untrusted request: the envelope, the method name and the method's parameters. */
export function parseRequest(raw: unknown): RequestMessage {
  const message = envelope(raw, "request");
  if (!Object.hasOwn(requests, message.method)) throw new ProtocolError(`request.method: unknown method '${message.method}'`);
  const method = message.method as Method;
  const params = requests[method](message.params, `${method}.params`);
  return { type: "request", id: message.id, method, params } as RequestMessage;
}

/** Checks the shape of a message from the main process before the renderer trusts its fields. */
export function parseServerMessage(raw: unknown): ServerMessage {
  if (typeof raw !== "object" || raw === null) throw new ProtocolError("message: expected an object");
  const m = raw as Record<string, unknown>;
  if (m.type === "response" && Number.isSafeInteger(m.id) && typeof m.ok === "boolean") {
    if (m.ok || typeof m.error === "string") return m as unknown as ResponseMessage;
  }
  if (m.type === "event" && typeof m.event === "object" && m.event !== null && typeof (m.event as { kind?: unknown }).kind === "string") {
    return m as unknown as EventMessage;
  }
  throw new ProtocolError("message: neither a response nor an event");
}

/** The contract both hosts implement and the renderer calls: one method per request. */
export interface LabHandler {
  handle<M extends Method>(method: M, params: Params<M>): Promise<Results[M]>;
}

/** Runs one untrusted request against a handler; every failure becomes an error response, never a throw. */
export async function dispatch(handler: LabHandler, raw: unknown): Promise<ResponseMessage> {
  let requestId = 0;
  try {
    if (typeof raw === "object" && raw !== null && Number.isSafeInteger((raw as { id?: unknown }).id)) {
      requestId = (raw as { id: number }).id;
    }
    const request = parseRequest(raw);
    const result = await handler.handle(request.method, request.params);
    return { type: "response", id: request.id, ok: true, result: result ?? null };
  } catch (error) {
    return { type: "response", id: requestId, ok: false, error: error instanceof Error ? error.message : String(error) };
  }
}

// ---- base64 helpers usable in Node and the browser ----

export function toBase64(bytes: Uint8Array): string {
  let binary = "";
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary);
}

export function fromBase64(text: string): Uint8Array {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}
