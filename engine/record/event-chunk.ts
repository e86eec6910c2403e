// One trace chunk's events as one columnar blob: a string table, then each field as its own varint column.
// A row per event cost four SQLite calls per syscall; columns of small deltas deflate to a few bytes per event.
// Since schema version 3 a last column holds captures (events.ts): a syscall's registers and shown guest bytes,
// from which its text is rendered when read, instead of the text itself.

import type { CaptureRenderer, EventKind, MachineEvent, RawEventSink } from "../events.ts";
import { renderSyscall, SYSCALL_CAPTURE } from "../roottask/linux/format.ts";
import { ByteReader, ByteWriter, DecodeError, putVarint32 } from "./codec.ts";

/** Kind codes in the blob: the position in this list (append only; a reordering is a schema change). */
export const EVENT_KINDS: readonly EventKind[] = [
  "portal_call", "portal_reply", "hypercall", "foreign_syscall", "exception", "schedule", "process_start", "process_exit",
];
const KIND_CODE = new Map<string, number>(EVENT_KINDS.map((k, i) => [k, i]));

/** Column order in the blob (Capture only since schema version 3). */
const enum Col { Kind, Icount, Vcycles, HostNs, Cpu, Pd, Ec, Name, Args, Result, Cost, CallId, Capture, Count }

/** The first schema version whose event blobs have the capture column. */
export const CAPTURES_SINCE = 3;

/** Renderers by a capture's first byte. */
const RENDERERS: Readonly<Record<number, CaptureRenderer>> = { [SYSCALL_CAPTURE]: renderSyscall };

/**
 * In the capture column, per event: NO_CAPTURE, SAME_CAPTURE (as the chunk's last capture of an event of the same
 * name: a loop's syscalls repeat theirs), or the length + CAPTURE_BYTES and the bytes.
 */
const NO_CAPTURE = 0, SAME_CAPTURE = 1, CAPTURE_BYTES = 2;

/** A number as a zigzag varint plus one, or 0 and a float64 when it is not a safe integer below 2^51 in magnitude. */
function putNumber(w: ByteWriter, v: number): void {
  if (Number.isInteger(v) && Math.abs(v) < 2 ** 51) w.uint((v >= 0 ? v * 2 : -v * 2 - 1) + 1);
  else {
    w.uint(0);
    w.f64(v);
  }
}

function getNumber(r: ByteReader): number {
  const z = r.uint();
  if (z === 0) return r.f64();
  const u = z - 1;
  return u % 2 === 0 ? u / 2 : -(u + 1) / 2;
}

/** Reads one varint at `at` of `bytes` (as ByteReader.uint does); the position after it is left in `varintEnd`. */
let varintEnd = 0;
function varintAt(bytes: Uint8Array, at: number): number {
  let v = 0;
  let scale = 1;
  for (let i = 0; i < 8; i++) {
    if (at >= bytes.length) throw new DecodeError("varint runs past the end of the data");
    const b = bytes[at++];
    if (b < 0x80) {
      varintEnd = at;
      return v + b * scale;
    }
    v += (b & 0x7f) * scale;
    scale *= 0x80;
  }
  throw new DecodeError("varint longer than 8 bytes");
}

/**
 * Decodes a whole column of `n` plain varints into `out`, each below `limit` (else `what` is the error), and checks
 * that nothing follows. One loop over the bytes per column (a method call per value was most of a decode), into
 * one array type so the loop stays monomorphic.
 */
function getUintColumn(bytes: Uint8Array, n: number, out: Uint32Array, limit: number, what: (v: number) => string): void {
  const len = bytes.length;
  let at = 0;
  for (let i = 0; i < n; i++) {
    let v = at < len ? bytes[at] : 0x80;
    if (v < 0x80) at++;
    else {
      v = varintAt(bytes, at);
      at = varintEnd;
    }
    if (v >= limit) throw new DecodeError(what(v));
    out[i] = v;
  }
  if (at !== len) throw new DecodeError("event column has trailing bytes");
}

/** Decodes a whole column written by `putColumn` into `out` (summing the deltas when `delta` is set). */
function getNumberColumn(bytes: Uint8Array, n: number, out: Float64Array, delta: boolean): void {
  const len = bytes.length;
  let at = 0;
  let sum = 0;
  for (let i = 0; i < n; i++) {
    // Values of one or two bytes (all but a few) in 32-bit integer operations; the rest as getNumber reads them.
    const b0 = at < len ? bytes[at] : 0;
    const b1 = at + 1 < len ? bytes[at + 1] : 0x80;
    let d: number;
    if (b0 > 0 && b0 < 0x80) {
      const u = b0 - 1;
      d = (u >>> 1) ^ -(u & 1);
      at++;
    } else if (b0 >= 0x80 && b1 < 0x80) {
      const u = ((b0 & 0x7f) | (b1 << 7)) - 1;
      d = (u >>> 1) ^ -(u & 1);
      at += 2;
    } else {
      const z = varintAt(bytes, at);
      at = varintEnd;
      if (z !== 0) {
        const u = z - 1;
        d = u % 2 === 0 ? u / 2 : -(u + 1) / 2;
      } else {
        if (at + 8 > len) throw new DecodeError("number runs past the end of the data");
        d = new DataView(bytes.buffer, bytes.byteOffset + at, 8).getFloat64(0, true);
        at += 8;
      }
    }
    out[i] = delta ? (sum += d) : d;
  }
  if (at !== len) throw new DecodeError("event column has trailing bytes");
}

/** Largest magnitude the integer fast path of `putColumn` encodes with 32-bit operations. */
const SMALL = 1 << 29;
/** Bytes a varint below 2^32 takes at most. */
const VARINT32 = 5;

/**
 * Encodes `n` values of one column as `putNumber` does, each as a delta from the previous one when `delta` is set
 * (the first from `from`); returns the last value, where the column's next values continue.
 * One tight loop per column at chunk end, writing into the buffer directly: per-event calls through the generic
 * encoder were most of the recorder's cost on syscall-heavy guests.
 */
function putColumn(w: ByteWriter, values: Float64Array, n: number, delta: boolean, from = 0): number {
  let buf = w.room(n * VARINT32);
  let at = w.length;
  let prev = from;
  for (let i = 0; i < n; i++) {
    const v = values[i];
    const d = delta ? v - prev : v;
    prev = v;
    if (d === (d | 0) && d > -SMALL && d < SMALL) {
      at = putVarint32(buf, at, ((d << 1) ^ (d >> 31)) + 1);
    } else {
      w.length = at;
      putNumber(w, d);
      buf = w.room((n - i) * VARINT32);
      at = w.length;
    }
  }
  w.length = at;
  return prev;
}

/** Encodes `n` unsigned values below 2^32 of one column as plain varints, as `putColumn` does. */
function putUintColumn(w: ByteWriter, values: Uint8Array | Uint32Array, n: number): void {
  const buf = w.room(n * VARINT32);
  let at = w.length;
  for (let i = 0; i < n; i++) at = putVarint32(buf, at, values[i]);
  w.length = at;
}

/** Events held in typed arrays before they are encoded onto the columns. */
const BATCH = 4096;

/** Numeric fields held per event until they are encoded. */
const enum Num { Icount, Vcycles, HostNs, Pd, Ec, Cost, CallId, Count }

/** Collects a chunk's events column by column as they are emitted; `finish` returns the raw (uncompressed) blob. */
export class EventColumnWriter implements RawEventSink {
  /** Kept across chunks: a fresh set per chunk was a fifth of the recorder's garbage. */
  private readonly cols: ByteWriter[] = Array.from({ length: Col.Count }, () => new ByteWriter());
  /**
   * The last BATCH events' fields, encoded into `cols` whenever they fill up: arrays this small stay in the CPU's
   * cache, where a chunk's worth (tens of MB for 200 k events) made every write and the encoding pass miss it.
   */
  private readonly nums: Float64Array[] = Array.from({ length: Num.Count }, () => new Float64Array(BATCH));
  /** Kind, CPU and the three string indices, one byte or int per event. */
  private readonly kind = new Uint8Array(BATCH);
  private readonly cpu = new Uint32Array(BATCH);
  private readonly nameIx = new Uint32Array(BATCH);
  private readonly argsIx = new Uint32Array(BATCH);
  private readonly resultIx = new Uint32Array(BATCH);
  /** Per event NO_CAPTURE, SAME_CAPTURE or the capture's length + CAPTURE_BYTES; the bytes themselves in `captureBytes`. */
  private readonly captureMark = new Uint32Array(BATCH);
  /** Events held in the arrays above. */
  private held = 0;
  /** Where each delta column and the call ids continue, and the chunk's virtual time bounds so far. */
  private prevIcount = 0;
  private prevVcycles = 0;
  private prevHostNs = 0;
  private prevCallId = 0;
  private minV = Infinity;
  private maxV = -Infinity;
  /** The chunk's captures; those up to `captureFlushed` are in the capture column already. */
  private captureBytes = new Uint8Array(1 << 16);
  private captureLength = 0;
  private captureFlushed = 0;
  /** Where in `captureBytes` the chunk's last capture of each name (by string index) starts, and its length. */
  private readonly lastCaptureAt: number[] = [];
  private readonly lastCaptureLength: number[] = [];
  private readonly strings = new Map<string, number>();
  private readonly table = new ByteWriter();
  /** The last string of each text column and its index: most events repeat their predecessor's name or result. */
  private lastName = "";
  private lastNameIx = -1;
  private lastArgs = "";
  private lastArgsIx = -1;
  private lastResult = "";
  private lastResultIx = -1;
  count = 0;

  /** Index of `s` in the chunk's string table (added on first use). */
  private string(s: string): number {
    let i = this.strings.get(s);
    if (i === undefined) {
      i = this.strings.size;
      this.strings.set(s, i);
      this.table.string(s);
    }
    return i;
  }

  /** The smallest and largest virtual time of the open chunk's events. */
  minVcycles(): number {
    this.flush();
    return this.minV;
  }

  maxVcycles(): number {
    this.flush();
    return this.maxV;
  }

  /** An event with its text (migrations, tests). */
  add(e: MachineEvent): void {
    this.event(e.kind, e.icount, e.vcycles, Math.round(e.hostNs), e.cpu, e.pd, e.ec, e.name, e.args, e.result, e.cost, e.callId ?? NaN, null);
  }

  /** One event as the kernel delivers it to raw sinks (events.ts). */
  event(
    kindName: EventKind, icount: number, vcycles: number, hostNs: number, cpu: number, pd: number, ec: number, name: string,
    args: string, result: string, cost: number, callId: number, capture: Uint8Array | null,
  ): void {
    const kind = KIND_CODE.get(kindName);
    if (kind === undefined) throw new TypeError(`record: unknown event kind ${kindName}`);
    if (this.held === BATCH) this.flush();
    const n = this.held;
    this.kind[n] = kind;
    this.cpu[n] = cpu;
    const nums = this.nums;
    nums[Num.Icount][n] = icount;
    nums[Num.Vcycles][n] = vcycles;
    nums[Num.HostNs][n] = hostNs;
    nums[Num.Pd][n] = pd;
    nums[Num.Ec][n] = ec;
    nums[Num.Cost][n] = cost;
    nums[Num.CallId][n] = callId;
    if (name !== this.lastName || this.lastNameIx < 0) {
      this.lastName = name;
      this.lastNameIx = this.string(name);
    }
    this.nameIx[n] = this.lastNameIx;
    if (args !== this.lastArgs || this.lastArgsIx < 0) {
      this.lastArgs = args;
      this.lastArgsIx = this.string(args);
    }
    this.argsIx[n] = this.lastArgsIx;
    if (result !== this.lastResult || this.lastResultIx < 0) {
      this.lastResult = result;
      this.lastResultIx = this.string(result);
    }
    this.resultIx[n] = this.lastResultIx;
    this.captureMark[n] = capture === null ? NO_CAPTURE : this.addCapture(this.lastNameIx, capture);
    this.held = n + 1;
    this.count++;
  }

  /** Stores `capture` unless it repeats the last one of the same name; returns the event's capture mark. */
  private addCapture(nameIx: number, capture: Uint8Array): number {
    const len = capture.length;
    const at = this.lastCaptureAt[nameIx];
    if (at !== undefined && this.lastCaptureLength[nameIx] === len) {
      const bytes = this.captureBytes;
      let i = 0;
      while (i < len && bytes[at + i] === capture[i]) i++;
      if (i === len) return SAME_CAPTURE;
    }
    const start = this.captureLength;
    if (start + len > this.captureBytes.length) {
      const wider = new Uint8Array(Math.max(this.captureBytes.length * 2, start + len));
      wider.set(this.captureBytes.subarray(0, start));
      this.captureBytes = wider;
    }
    this.captureBytes.set(capture, start);
    this.captureLength = start + len;
    this.lastCaptureAt[nameIx] = start;
    this.lastCaptureLength[nameIx] = len;
    return len + CAPTURE_BYTES;
  }

  /** Encodes the held events onto the columns. */
  private flush(): void {
    const n = this.held, c = this.cols, nums = this.nums;
    if (n === 0) return;
    putUintColumn(c[Col.Kind], this.kind, n);
    putUintColumn(c[Col.Cpu], this.cpu, n);
    putUintColumn(c[Col.Name], this.nameIx, n);
    putUintColumn(c[Col.Args], this.argsIx, n);
    putUintColumn(c[Col.Result], this.resultIx, n);
    const captureCol = c[Col.Capture];
    let at = this.captureFlushed;
    for (let i = 0; i < n; i++) {
      const mark = this.captureMark[i];
      captureCol.uint(mark);
      if (mark >= CAPTURE_BYTES) {
        captureCol.copy(this.captureBytes, at, mark - CAPTURE_BYTES);
        at += mark - CAPTURE_BYTES;
      }
    }
    this.captureFlushed = at;
    const vcycles = nums[Num.Vcycles];
    for (let i = 0; i < n; i++) {
      if (vcycles[i] < this.minV) this.minV = vcycles[i];
      if (vcycles[i] > this.maxV) this.maxV = vcycles[i];
    }
    this.prevIcount = putColumn(c[Col.Icount], nums[Num.Icount], n, true, this.prevIcount);
    this.prevVcycles = putColumn(c[Col.Vcycles], vcycles, n, true, this.prevVcycles);
    this.prevHostNs = putColumn(c[Col.HostNs], nums[Num.HostNs], n, true, this.prevHostNs);
    putColumn(c[Col.Pd], nums[Num.Pd], n, false);
    putColumn(c[Col.Ec], nums[Num.Ec], n, false);
    putColumn(c[Col.Cost], nums[Num.Cost], n, false);
    // Call ids: a presence flag, then the delta from the previous present id.
    const calls = nums[Num.CallId], callCol = c[Col.CallId];
    let callId = this.prevCallId;
    for (let i = 0; i < n; i++) {
      const id = calls[i];
      if (Number.isNaN(id)) callCol.byte(0);
      else {
        callCol.byte(1);
        // A reply repeats its call's id, the next call adds one: putNumber's one-byte case without its checks.
        const d = id - callId;
        if (d >= 0 && d < 0x40) callCol.byte(d * 2 + 1);
        else putNumber(callCol, d);
        callId = id;
      }
    }
    this.prevCallId = callId;
    this.held = 0;
  }

  /** The blob: count, string table, then every column length-prefixed. Resets the writer for the next chunk. */
  finish(): Uint8Array {
    this.flush();
    const c = this.cols;
    // One buffer of the final size: growing one from small doubled and copied the chunk's bytes several times.
    const table = this.table.finish();
    let size = 2 * VARINT32 + table.length;
    for (const col of c) size += VARINT32 + col.length;
    const w = new ByteWriter(size);
    w.uint(this.count);
    w.uint(this.strings.size);
    w.raw(table);
    for (const col of c) w.bytes(col.finish());
    const out = w.finish();
    this.reset();
    return out;
  }

  private reset(): void {
    for (const col of this.cols) col.length = 0;
    this.strings.clear();
    this.table.length = 0;
    this.count = 0;
    this.lastNameIx = this.lastArgsIx = this.lastResultIx = -1;
    this.captureLength = this.captureFlushed = 0;
    this.prevIcount = this.prevVcycles = this.prevHostNs = this.prevCallId = 0;
    this.minV = Infinity;
    this.maxV = -Infinity;
    this.lastCaptureAt.length = 0;
    this.lastCaptureLength.length = 0;
  }
}

/** Bounds on what a damaged blob can make us allocate. */
const MAX_EVENTS = 1 << 24;

/**
 * A decoded chunk of events: numeric columns in typed arrays, text kept as undecoded bytes (or captures) until an
 * event is asked for (a timeline that only counts kinds and costs never builds a string).
 */
export class EventBatch {
  readonly kind: Uint8Array;
  readonly icount: Float64Array;
  readonly vcycles: Float64Array;
  readonly hostNs: Float64Array;
  readonly cpu: Float64Array;
  readonly pd: Float64Array;
  readonly ec: Float64Array;
  readonly cost: Float64Array;
  /** NaN where an event has no call id. */
  readonly callId: Float64Array;
  private readonly nameIx: Uint32Array;
  private readonly argsIx: Uint32Array;
  private readonly resultIx: Uint32Array;
  private readonly stringBytes: Uint8Array[];
  private readonly stringCache: (string | undefined)[];
  /** The capture column's bytes, and where each event's capture is in them (-1: none, its text is in the table). */
  private readonly captureData: Uint8Array;
  private readonly captureAt: Int32Array;
  private readonly captureLength: Uint32Array;
  /** Text rendered from captures, by the capture's place: an event repeating a capture shares its text. */
  private readonly rendered = new Map<number, { args: string; result: string }>();

  /** `schemaVersion` (the recording's) decides the blob's layout: a capture column since CAPTURES_SINCE. */
  constructor(raw: Uint8Array, schemaVersion: number) {
    const r = new ByteReader(raw);
    const n = r.uint();
    if (n > MAX_EVENTS) throw new DecodeError(`event chunk of ${n} events`);
    const strings = r.uint();
    if (strings > 3 * n) throw new DecodeError("event string table larger than its events need");
    this.stringBytes = [];
    for (let i = 0; i < strings; i++) this.stringBytes.push(r.bytes());
    this.stringCache = new Array(strings);
    const columns: Uint8Array[] = [];
    for (let i = 0, count = schemaVersion >= CAPTURES_SINCE ? Col.Count : Col.Capture; i < count; i++) columns.push(r.bytes());
    if (!r.done) throw new DecodeError("event chunk has trailing bytes");
    this.kind = new Uint8Array(n);
    this.icount = new Float64Array(n);
    this.vcycles = new Float64Array(n);
    this.hostNs = new Float64Array(n);
    this.cpu = new Float64Array(n);
    this.pd = new Float64Array(n);
    this.ec = new Float64Array(n);
    this.cost = new Float64Array(n);
    this.callId = new Float64Array(n);
    this.nameIx = new Uint32Array(n);
    this.argsIx = new Uint32Array(n);
    this.resultIx = new Uint32Array(n);
    this.captureData = columns[Col.Capture] ?? new Uint8Array(0);
    this.captureAt = new Int32Array(n).fill(-1);
    this.captureLength = new Uint32Array(n);
    const missing = () => "event names a string the chunk does not have";
    const small = new Uint32Array(n);
    getUintColumn(columns[Col.Kind], n, small, EVENT_KINDS.length, (k) => `unknown event kind ${k}`);
    this.kind.set(small);
    getNumberColumn(columns[Col.Icount], n, this.icount, true);
    getNumberColumn(columns[Col.Vcycles], n, this.vcycles, true);
    getNumberColumn(columns[Col.HostNs], n, this.hostNs, true);
    getUintColumn(columns[Col.Cpu], n, small, 2 ** 32, (c) => `event on cpu ${c}`);
    this.cpu.set(small);
    getNumberColumn(columns[Col.Pd], n, this.pd, false);
    getNumberColumn(columns[Col.Ec], n, this.ec, false);
    getUintColumn(columns[Col.Name], n, this.nameIx, strings, missing);
    getUintColumn(columns[Col.Args], n, this.argsIx, strings, missing);
    getUintColumn(columns[Col.Result], n, this.resultIx, strings, missing);
    getNumberColumn(columns[Col.Cost], n, this.cost, false);
    const calls = new ByteReader(columns[Col.CallId]);
    let callId = 0;
    for (let i = 0; i < n; i++) {
      const hasCall = calls.uint();
      if (hasCall > 1) throw new DecodeError("malformed call id");
      this.callId[i] = hasCall ? (callId += getNumber(calls)) : NaN;
    }
    if (!calls.done) throw new DecodeError("event column has trailing bytes");
    if (columns[Col.Capture]) this.captures(new ByteReader(columns[Col.Capture]), n);
  }

  /** Locates every event's capture in the capture column (a repeat points at its name's last capture). */
  private captures(col: ByteReader, n: number): void {
    /** The last event with a capture of its own, by name. */
    const lastCapture = new Map<number, number>();
    for (let i = 0; i < n; i++) {
      const mark = col.uint();
      if (mark === NO_CAPTURE) continue;
      if (mark === SAME_CAPTURE) {
        const from = lastCapture.get(this.nameIx[i]);
        if (from === undefined) throw new DecodeError("an event repeats a capture its chunk does not have");
        this.captureAt[i] = this.captureAt[from];
        this.captureLength[i] = this.captureLength[from];
      } else {
        this.captureAt[i] = col.offset;
        this.captureLength[i] = col.raw(mark - CAPTURE_BYTES).length;
        if (this.captureLength[i] === 0) throw new DecodeError("empty event capture");
        lastCapture.set(this.nameIx[i], i);
      }
    }
    if (!col.done) throw new DecodeError("event column has trailing bytes");
  }

  get length(): number {
    return this.kind.length;
  }

  private text(i: number): string {
    let s = this.stringCache[i];
    if (s === undefined) s = this.stringCache[i] = new TextDecoder().decode(this.stringBytes[i]);
    return s;
  }

  /** Event `i`'s capture (a view into the batch), or null when its text was stored as text. */
  capture(i: number): Uint8Array | null {
    const at = this.captureAt[i];
    return at < 0 ? null : this.captureData.subarray(at, at + this.captureLength[i]);
  }

  /** Event `i`'s text rendered from its capture. */
  private render(i: number): { args: string; result: string } {
    let text = this.rendered.get(this.captureAt[i]);
    if (text === undefined) {
      try {
        text = renderCapture(this.capture(i)!);
      } catch (err) {
        // A damaged capture is a damaged recording, whatever the renderer tripped over.
        throw err instanceof DecodeError ? err : new DecodeError(`an event capture does not render (${(err as Error).message})`);
      }
      this.rendered.set(this.captureAt[i], text);
    }
    return text;
  }

  kindOf(i: number): EventKind {
    return EVENT_KINDS[this.kind[i]];
  }

  name(i: number): string {
    return this.text(this.nameIx[i]);
  }

  args(i: number): string {
    return this.captureAt[i] < 0 ? this.text(this.argsIx[i]) : this.render(i).args;
  }

  result(i: number): string {
    return this.captureAt[i] < 0 ? this.text(this.resultIx[i]) : this.render(i).result;
  }

  /** Event `i` as the machine emitted it (its text rendered from its capture, if it has one). */
  get(i: number): MachineEvent {
    const e: MachineEvent = {
      kind: this.kindOf(i), icount: this.icount[i], vcycles: this.vcycles[i], hostNs: this.hostNs[i], cpu: this.cpu[i],
      pd: this.pd[i], ec: this.ec[i], name: this.name(i), args: this.args(i), result: this.result(i), cost: this.cost[i],
    };
    if (!Number.isNaN(this.callId[i])) e.callId = this.callId[i];
    return e;
  }

  /**
   * Whether event `i` equals an event as a raw sink receives it (events.ts) in every field the guest's execution
   * determines (all but host time): captures compare byte for byte, text with text (a capture rendered when only
   * one side has one: a recording of schema version 2 stored text).
   */
  matches(
    i: number, kind: EventKind, icount: number, vcycles: number, cpu: number, pd: number, ec: number, name: string, args: string,
    result: string, cost: number, callId: number, capture: Uint8Array | null,
  ): boolean {
    if (
      this.kindOf(i) !== kind || this.icount[i] !== icount || this.vcycles[i] !== vcycles || this.cpu[i] !== cpu ||
      this.pd[i] !== pd || this.ec[i] !== ec || this.cost[i] !== cost ||
      (Number.isNaN(this.callId[i]) ? !Number.isNaN(callId) : this.callId[i] !== callId) || this.name(i) !== name
    ) return false;
    const at = this.captureAt[i];
    if (capture !== null && at >= 0) {
      const len = capture.length;
      if (this.captureLength[i] !== len) return false;
      const data = this.captureData;
      for (let k = 0; k < len; k++) if (data[at + k] !== capture[k]) return false;
      return true;
    }
    if (capture !== null) ({ args, result } = renderCapture(capture));
    return this.args(i) === args && this.result(i) === result;
  }
}

/** A capture's text, by the renderer its first byte names. */
export function renderCapture(capture: Uint8Array): { args: string; result: string } {
  const render = RENDERERS[capture[0]];
  if (!render) throw new DecodeError(`event capture of unknown format ${capture[0]}`);
  return render(capture);
}
