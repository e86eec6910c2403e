// View mode: reads a recording without executing anything — session, events, timeline buckets,
// console text, framebuffer, trace chunks. Every value comes from a file we do not trust, so all of it is checked.

import type Database from "better-sqlite3";
import type { ConsoleStream, EventKind, MachineEvent } from "../events.ts";
import { DecodeError, decodeTraceChunk, unpackBlob } from "./codec.ts";
import { applyFrameDiff } from "./framebuffer.ts";
import { openRecordingDb, RecordingError, translateSqliteError, type OpenOptions } from "./schema.ts";

export interface SessionRecord {
  guest: string;
  args: string[];
  seed: number;
  config: Record<string, unknown>;
  engineVersion: string;
  created: string;
  status: "complete" | "incomplete";
  chunkInstructions: number;
  instructionStream: boolean;
  snapshotInstructions: number;
  finalIcount: number | null;
  finalVcycles: number | null;
  exitStatus: number | null;
  stopReason: string | null;
}

export interface ChunkRecord {
  seq: number;
  firstIcount: number;
  lastIcount: number;
  vcycles: number;
  blocks: number;
  bytes: number;
  stateHash: string;
}

export interface InputRecord {
  seq: number;
  icount: number;
  kind: string;
  data: Uint8Array;
}

export interface SnapshotRecord {
  icount: number;
  vcycles: number;
  /** Events and inputs recorded before the snapshot. */
  events: number;
  inputs: number;
  state: Uint8Array;
  stateHash: string;
}

export interface TimelineBucket {
  start: number;
  end: number;
  count: number;
  cost: number;
  kinds: Partial<Record<EventKind, number>>;
}

/** Timeline level of detail: the events themselves when few enough, else per-bucket aggregates. */
export type Timeline =
  | { detail: "events"; from: number; to: number; events: MachineEvent[] }
  | { detail: "buckets"; from: number; to: number; buckets: TimelineBucket[] };

export interface Framebuffer {
  icount: number;
  width: number;
  height: number;
  bytesPerPixel: number;
  pixels: Uint8Array;
}

export interface RecordingSummary {
  session: SessionRecord;
  /** Highest instruction count covered by a committed trace chunk (what a replay can verify). */
  verifiableIcount: number;
  events: number;
  eventKinds: Partial<Record<EventKind, number>>;
  chunks: number;
  traceBytes: number;
  /** Trace size per 10^6 instructions, in bytes. */
  traceBytesPerMillion: number;
  snapshots: number;
  snapshotBytes: number;
  inputs: number;
  consoleBytes: number;
  frames: number;
  fileBytes: number;
}

const EVENT_KINDS: ReadonlySet<string> = new Set<EventKind>([
  "portal_call", "portal_reply", "hypercall", "foreign_syscall", "exception", "schedule", "process_start", "process_exit",
]);

const CONSOLE_STREAMS: ReadonlySet<string> = new Set<ConsoleStream>(["stdout", "stderr", "serial", "debugcon"]);

/** Bounds on what a damaged file can make us allocate. */
const MAX_CHUNK_BYTES = 1 << 28;
const MAX_FRAME_BYTES = 1 << 26;

interface EventRow {
  icount: number; vcycles: number; host_ns: number; kind: string; cpu: number; pd: number; ec: number;
  name: string; args: string; result: string; cost: number; call_id: number | null;
}

export class Recording {
  private constructor(
    readonly path: string,
    private readonly db: Database.Database,
    readonly session: SessionRecord,
  ) {}

  static open(path: string, options?: OpenOptions): Recording {
    const db = openRecordingDb(path, options);
    try {
      return new Recording(path, db, readSession(path, db));
    } catch (err) {
      db.close();
      throw err;
    }
  }

  close(): void {
    this.db.close();
  }

  /** Runs a query, turning SQLite's reports of damage into RecordingError and undecodable blobs likewise. */
  private read<T>(what: string, query: () => T): T {
    try {
      return query();
    } catch (err) {
      if (err instanceof RecordingError) throw err;
      if (err instanceof DecodeError) throw new RecordingError("corrupt", this.path, `the recording is corrupt (${what}: ${err.message})`);
      translateSqliteError(this.path, err);
    }
  }

  summary(): RecordingSummary {
    return this.read("summary", () => {
      const db = this.db;
      const one = (sql: string) => (db.prepare(sql).pluck().get() as number | null) ?? 0;
      const eventKinds: Partial<Record<EventKind, number>> = {};
      for (const row of db.prepare("SELECT kind, count(*) AS n FROM event GROUP BY kind").all() as { kind: string; n: number }[]) {
        if (EVENT_KINDS.has(row.kind)) eventKinds[row.kind as EventKind] = row.n;
      }
      const verifiableIcount = one("SELECT max(last_icount) FROM trace_chunk");
      const traceBytes = one("SELECT sum(length(data)) FROM trace_chunk");
      const tracedInstructions = one("SELECT sum(last_icount - first_icount) FROM trace_chunk");
      const pageCount = one("PRAGMA page_count");
      const pageSize = one("PRAGMA page_size");
      return {
        session: this.session,
        verifiableIcount,
        events: one("SELECT count(*) FROM event"),
        eventKinds,
        chunks: one("SELECT count(*) FROM trace_chunk"),
        traceBytes,
        traceBytesPerMillion: tracedInstructions > 0 ? (traceBytes * 1e6) / tracedInstructions : 0,
        snapshots: one("SELECT count(*) FROM snapshot"),
        snapshotBytes: one("SELECT sum(length(data)) FROM snapshot"),
        inputs: one("SELECT count(*) FROM input"),
        consoleBytes: one("SELECT sum(length(data)) FROM console"),
        frames: one("SELECT count(*) FROM frame"),
        fileBytes: pageCount * pageSize,
      };
    });
  }

  /** Events with from ≤ icount ≤ to, in order; `limit` caps the answer (the UI pages through). */
  events(from = 0, to = Number.MAX_SAFE_INTEGER, limit = 10_000, offset = 0): MachineEvent[] {
    return this.read("events", () =>
      (
        this.db
          .prepare("SELECT * FROM event WHERE icount BETWEEN ? AND ? ORDER BY seq LIMIT ? OFFSET ?")
          .all(from, to, limit, offset) as EventRow[]
      ).map((row) => toEvent(row)),
    );
  }

  /** Up to `limit` events following event number `afterSeq` (events are numbered from 1, without gaps). */
  eventsAfter(afterSeq: number, limit: number): MachineEvent[] {
    return this.read("events", () =>
      (this.db.prepare("SELECT * FROM event WHERE seq > ? ORDER BY seq LIMIT ?").all(afterSeq, limit) as EventRow[]).map((row) => toEvent(row)),
    );
  }

  /** Every event, streamed in order (exports of large recordings do not hold them all in memory). */
  *eachEvent(): Generator<MachineEvent> {
    const rows = this.read("events", () => this.db.prepare("SELECT * FROM event ORDER BY seq").iterate() as IterableIterator<EventRow>);
    for (;;) {
      const next = this.read("events", () => rows.next());
      if (next.done) return;
      yield toEvent(next.value);
    }
  }

  /**
   * The timeline between two instruction counts (or virtual-cycle values) at a level of detail: the events
   * themselves when at most `detailLimit` fall in the range, else `buckets` equal slices with counts per kind.
   */
  timeline(from: number, to: number, buckets: number, axis: "icount" | "vcycles" = "icount", detailLimit = 2000): Timeline {
    if (!(to > from) || !Number.isInteger(buckets) || buckets < 1) throw new RangeError("timeline needs to > from and buckets ≥ 1");
    return this.read("timeline", () => {
      const column = axis === "icount" ? "icount" : "vcycles";
      const total = this.db.prepare(`SELECT count(*) FROM event WHERE ${column} BETWEEN ? AND ?`).pluck().get(from, to) as number;
      if (total <= detailLimit) {
        const rows = this.db.prepare(`SELECT * FROM event WHERE ${column} BETWEEN ? AND ? ORDER BY seq`).all(from, to) as EventRow[];
        return { detail: "events", from, to, events: rows.map((row) => toEvent(row)) };
      }
      const width = (to - from) / buckets;
      const out: TimelineBucket[] = [];
      for (let i = 0; i < buckets; i++) out.push({ start: from + i * width, end: from + (i + 1) * width, count: 0, cost: 0, kinds: {} });
      const rows = this.db
        .prepare(
          `SELECT min(CAST((${column} - @from) / @width AS INTEGER), @last) AS b, kind, count(*) AS n, sum(cost) AS cost
           FROM event WHERE ${column} BETWEEN @from AND @to GROUP BY b, kind`,
        )
        .all({ from, to, width, last: buckets - 1 }) as { b: number; kind: string; n: number; cost: number }[];
      for (const row of rows) {
        const bucket = out[row.b];
        if (!bucket || !EVENT_KINDS.has(row.kind)) continue;
        bucket.count += row.n;
        bucket.cost += row.cost;
        bucket.kinds[row.kind as EventKind] = row.n;
      }
      return { detail: "buckets", from, to, buckets: out };
    });
  }

  /** Console output written at or before `icount`, concatenated per the chosen streams. */
  consoleText(icount = Number.MAX_SAFE_INTEGER, streams: readonly ConsoleStream[] = ["stdout", "stderr"]): string {
    return Buffer.from(this.consoleBytes(icount, streams)).toString("utf8");
  }

  consoleBytes(icount = Number.MAX_SAFE_INTEGER, streams: readonly ConsoleStream[] = ["stdout", "stderr"]): Uint8Array {
    return this.read("console", () => {
      const wanted = new Set(streams.filter((s) => CONSOLE_STREAMS.has(s)));
      const parts: Buffer[] = [];
      for (const row of this.db.prepare("SELECT stream, data FROM console WHERE icount <= ? ORDER BY seq").iterate(icount) as IterableIterator<{ stream: string; data: Buffer }>) {
        if (wanted.has(row.stream as ConsoleStream)) parts.push(row.data);
      }
      return Buffer.concat(parts);
    });
  }

  /** The framebuffer as it was at `icount`: the last keyframe before it plus the deltas up to it; null if none. */
  framebufferAt(icount: number): Framebuffer | null {
    return this.read("framebuffer", () => {
      const key = this.db
        .prepare("SELECT seq FROM frame WHERE keyframe = 1 AND icount <= ? ORDER BY seq DESC LIMIT 1")
        .pluck()
        .get(icount) as number | undefined;
      if (key === undefined) return null;
      type FrameRow = { icount: number; width: number; height: number; bytes_per_pixel: number; keyframe: number; data: Buffer; crc: number };
      let fb: Framebuffer | null = null;
      for (const row of this.db.prepare("SELECT * FROM frame WHERE seq >= ? AND icount <= ? ORDER BY seq").iterate(key, icount) as IterableIterator<FrameRow>) {
        const size = row.width * row.height * row.bytes_per_pixel;
        if (!Number.isInteger(size) || size <= 0 || size > MAX_FRAME_BYTES) throw new DecodeError(`frame of ${size} bytes`);
        const raw = unpackBlob(row.data, row.crc, MAX_FRAME_BYTES);
        if (row.keyframe) {
          if (raw.length !== size) throw new DecodeError("keyframe size does not match its dimensions");
          fb = { icount: row.icount, width: row.width, height: row.height, bytesPerPixel: row.bytes_per_pixel, pixels: new Uint8Array(raw) };
        } else if (fb) {
          if (size !== fb.pixels.length) throw new DecodeError("delta frame changes the framebuffer size without a keyframe");
          applyFrameDiff(fb.pixels, raw);
          fb.icount = row.icount;
        }
      }
      return fb;
    });
  }

  chunks(): ChunkRecord[] {
    return this.read("trace chunks", () =>
      (this.db
        .prepare("SELECT seq, first_icount, last_icount, vcycles, blocks, length(data) AS bytes, state_hash FROM trace_chunk ORDER BY seq")
        .all() as { seq: number; first_icount: number; last_icount: number; vcycles: number; blocks: number; bytes: number; state_hash: string }[]
      ).map((r) => ({
        seq: r.seq, firstIcount: r.first_icount, lastIcount: r.last_icount, vcycles: r.vcycles,
        blocks: r.blocks, bytes: r.bytes, stateHash: r.state_hash,
      })),
    );
  }

  /** The block addresses executed in one chunk, one array per virtual CPU. */
  chunkBlocks(seq: number): Float64Array[] {
    return this.read(`trace chunk ${seq}`, () => {
      const row = this.db.prepare("SELECT blocks, data, crc FROM trace_chunk WHERE seq = ?").get(seq) as
        | { blocks: number; data: Buffer; crc: number }
        | undefined;
      if (!row) throw new RangeError(`no trace chunk ${seq}`);
      if (!Number.isInteger(row.blocks) || row.blocks < 0 || row.blocks > MAX_CHUNK_BYTES) throw new DecodeError(`block count ${row.blocks}`);
      const streams = decodeTraceChunk(unpackBlob(row.data, row.crc, MAX_CHUNK_BYTES), row.blocks);
      if (streams.reduce((n, s) => n + s.length, 0) !== row.blocks) throw new DecodeError("block count does not match the chunk's data");
      return streams;
    });
  }

  inputs(): InputRecord[] {
    return this.read("inputs", () =>
      (this.db.prepare("SELECT seq, icount, kind, data FROM input ORDER BY seq").all() as { seq: number; icount: number; kind: string; data: Buffer }[]).map(
        (r) => ({ seq: r.seq, icount: r.icount, kind: r.kind, data: new Uint8Array(r.data) }),
      ),
    );
  }

  /** The latest snapshot taken at or before `icount`, decompressed; null if there is none. */
  snapshotAtOrBefore(icount: number, maxBytes: number): SnapshotRecord | null {
    return this.read("snapshot", () => {
      const row = this.db.prepare("SELECT * FROM snapshot WHERE icount <= ? ORDER BY icount DESC LIMIT 1").get(icount) as
        | { icount: number; vcycles: number; events: number; inputs: number; data: Buffer; crc: number; state_hash: string }
        | undefined;
      if (!row) return null;
      return {
        icount: row.icount, vcycles: row.vcycles, events: row.events, inputs: row.inputs,
        state: unpackBlob(row.data, row.crc, maxBytes), stateHash: row.state_hash,
      };
    });
  }

  /** The files the run booted from (guest ELF ...), by name. */
  modules(): Map<string, Uint8Array> {
    return this.read("modules", () => {
      const out = new Map<string, Uint8Array>();
      for (const row of this.db.prepare("SELECT name, data FROM module").all() as { name: string; data: Buffer }[]) {
        out.set(row.name, new Uint8Array(row.data));
      }
      return out;
    });
  }
}

function toEvent(row: EventRow): MachineEvent {
  const event: MachineEvent = {
    kind: (EVENT_KINDS.has(row.kind) ? row.kind : "hypercall") as EventKind,
    icount: row.icount, vcycles: row.vcycles, hostNs: row.host_ns, cpu: row.cpu, pd: row.pd, ec: row.ec,
    name: String(row.name), args: String(row.args), result: String(row.result), cost: row.cost,
  };
  if (row.call_id !== null) event.callId = row.call_id;
  return event;
}

function readSession(path: string, db: Database.Database): SessionRecord {
  let row: Record<string, unknown>;
  try {
    row = db.prepare("SELECT * FROM session WHERE id = 1").get() as Record<string, unknown>;
  } catch (err) {
    translateSqliteError(path, err);
  }
  const bad = (what: string): never => {
    throw new RecordingError("corrupt", path, `the recording's session record is damaged (${what})`);
  };
  const json = (field: string): unknown => {
    try {
      return JSON.parse(String(row[field]));
    } catch {
      return bad(field);
    }
  };
  const args = json("args");
  if (!Array.isArray(args) || !args.every((a) => typeof a === "string")) bad("args");
  const config = json("config");
  if (typeof config !== "object" || config === null || Array.isArray(config)) bad("config");
  const num = (field: string): number => {
    const v = row[field];
    if (typeof v !== "number" || !Number.isFinite(v)) bad(field);
    return v as number;
  };
  const optNum = (field: string): number | null => (row[field] === null ? null : num(field));
  const status = row.status;
  if (status !== "complete" && status !== "incomplete") bad("status");
  const chunkInstructions = num("chunk_instructions");
  if (chunkInstructions <= 0) bad("chunk_instructions");
  return {
    guest: String(row.guest),
    args: args as string[],
    seed: num("seed"),
    config: config as Record<string, unknown>,
    engineVersion: String(row.engine_version),
    created: String(row.created),
    status: status as "complete" | "incomplete",
    chunkInstructions,
    instructionStream: row.instruction_stream === 1,
    snapshotInstructions: num("snapshot_instructions"),
    finalIcount: optNum("final_icount"),
    finalVcycles: optNum("final_vcycles"),
    exitStatus: optNum("exit_status"),
    stopReason: row.stop_reason === null ? null : String(row.stop_reason),
  };
}
