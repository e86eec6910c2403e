// View mode: reads a recording without executing anything — session, events, timeline buckets,
// console text, framebuffer, trace chunks. Every value comes from a file we do not trust, so all of it is checked.

import type Database from "better-sqlite3";
import type { ConsoleStream, EventKind, MachineEvent } from "../events.ts";
import { rmSync } from "node:fs";
import { dirname } from "node:path";
import { DecodeError, decodeTraceChunk, unpackBlob } from "./codec.ts";
import { EventBatch, EVENT_KINDS as KIND_LIST } from "./event-chunk.ts";
import { applyFrameDiff } from "./framebuffer.ts";
import { checkIntegrity } from "./integrity.ts";
import { snapshotHashes } from "./snapshot.ts";
import { migrateLegacy } from "./migrate.ts";
import { LEGACY_VERSION, MAX_CHUNK_INSTRUCTIONS, openRecordingDb, RecordingError, translateSqliteError, type OpenOptions } from "./schema.ts";

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
  /** The host ended the recorded run at a chunk end (a stop or a limit), not the guest. */
  hostStop: boolean;
}

export interface ChunkRecord {
  seq: number;
  firstIcount: number;
  lastIcount: number;
  vcycles: number;
  blocks: number;
  bytes: number;
  stateHash: string;
  /** The world hash at the chunk's end where one was taken (snapshots, run end), else null. */
  worldHash: string | null;
  /** Events recorded before this chunk, and in it. */
  firstEvent: number;
  events: number;
}

/** One chunk's events, decoded column-wise; event `i` of it is event number `firstEvent + i + 1` of the recording. */
export interface EventChunk {
  chunk: number;
  firstEvent: number;
  batch: EventBatch;
}

export interface InputRecord {
  seq: number;
  chunk: number;
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
  /** This snapshot's head, and the memory runs of its keyframe and the deltas up to it, oldest first: what restoreSnapshot takes. */
  head: Uint8Array;
  memory: Uint8Array[];
  stateHash: string;
  worldHash: string;
}

/** A snapshot's row as replay --verify cross-checks it, with the hashes its blob carries. */
export interface SnapshotCheck {
  icount: number;
  vcycles: number;
  events: number;
  inputs: number;
  stateHash: string;
  worldHash: string;
  embeddedStateHash: string;
  embeddedWorldHash: string | null;
}

export interface ConsoleRecord {
  icount: number;
  stream: string;
  data: Uint8Array;
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
  /** Compressed event columns, in bytes. */
  eventBytes: number;
  snapshots: number;
  snapshotBytes: number;
  inputs: number;
  consoleBytes: number;
  frames: number;
  fileBytes: number;
}

const CONSOLE_STREAMS: ReadonlySet<string> = new Set<ConsoleStream>(["stdout", "stderr", "serial", "debugcon"]);

/** Bounds on what a damaged file can make us allocate. */
const MAX_CHUNK_BYTES = 1 << 28;
const MAX_FRAME_BYTES = 1 << 26;
/** Snapshots a restore may chain (a keyframe every KEYFRAME_EVERY of them; more means a damaged file). */
const MAX_CHAIN = 64;
/** Decoded event chunks kept for paging and timelines. */
const BATCH_CACHE = 8;

interface ChunkRow {
  seq: number; first_icount: number; last_icount: number; vcycles: number; blocks: number; bytes: number; state_hash: string;
  world_hash: string | null; first_event: number; events: number;
}

export class Recording {
  private readonly batches = new Map<number, EventBatch>();
  private chunkList: ChunkRecord[] | null = null;
  private snapshotIndex: Map<number, SnapshotCheck> | null = null;

  private constructor(
    readonly path: string,
    private readonly db: Database.Database,
    readonly session: SessionRecord,
    /** The schema version of the file opened, when it was migrated to a temporary copy of the current one. */
    readonly migratedFrom: number | null,
    private readonly temporary: string | null,
    /** The schema version of the file read (the copy's, when migrated): event blobs decode by it. */
    readonly schemaVersion: number,
  ) {}

  /**
   * Opens a recording without scanning it (`check: true` adds SQLite's structural check); a version 1 file is
   * migrated into a temporary file of the current schema (deleted on close), a version 2 file read as it is (migrate.ts).
   */
  static open(path: string, options?: OpenOptions): Recording {
    let { db, version } = openRecordingDb(path, options);
    let temporary: string | null = null;
    if (version === LEGACY_VERSION) {
      try {
        temporary = migrateLegacy(path, db);
      } finally {
        db.close();
      }
      const copy = openRecordingDb(temporary);
      db = copy.db;
      version = copy.version;
    }
    try {
      return new Recording(path, db, readSession(path, db), temporary ? LEGACY_VERSION : null, temporary, version);
    } catch (err) {
      db.close();
      if (temporary) rmSync(dirname(temporary), { recursive: true, force: true });
      throw err;
    }
  }

  close(): void {
    if (this.db.open) this.db.close();
    if (this.temporary) rmSync(dirname(this.temporary), { recursive: true, force: true });
  }

  /** Runs a query, turning SQLite's reports of damage into RecordingError and undecodable blobs likewise. */
  private read<T>(what: string, query: () => T): T {
    try {
      return query();
    } catch (err) {
      if (err instanceof RecordingError) throw err;
      if (err instanceof DecodeError) throw new RecordingError("corrupt", this.path, `the recording is corrupt (${what}: ${err.message})`);
      if (err instanceof RangeError) throw new RecordingError("corrupt", this.path, `the recording is corrupt (${what}: ${err.message})`);
      translateSqliteError(this.path, err);
    }
  }

  /**
   * The digest chain and schema check (no re-execution): null when every stored row is as recorded, else one
   * sentence naming the first chunk and table that differ. `info --check` and `replay --verify` run it.
   */
  checkIntegrity(): string | null {
    return this.read("integrity", () => checkIntegrity(this.db, this.session));
  }

  summary(): RecordingSummary {
    return this.read("summary", () => {
      const db = this.db;
      const one = (sql: string) => (db.prepare(sql).pluck().get() as number | null) ?? 0;
      const eventKinds: Partial<Record<EventKind, number>> = {};
      for (const { batch } of this.eventChunks()) {
        for (let i = 0; i < batch.length; i++) {
          const kind = KIND_LIST[batch.kind[i]];
          eventKinds[kind] = (eventKinds[kind] ?? 0) + 1;
        }
      }
      const verifiableIcount = one("SELECT max(last_icount) FROM trace_chunk");
      const traceBytes = one("SELECT sum(length(data)) FROM trace_chunk");
      const tracedInstructions = one("SELECT sum(last_icount - first_icount) FROM trace_chunk");
      const pageCount = one("PRAGMA page_count");
      const pageSize = one("PRAGMA page_size");
      return {
        session: this.session,
        verifiableIcount,
        events: one("SELECT sum(events) FROM trace_chunk"),
        eventKinds,
        chunks: one("SELECT count(*) FROM trace_chunk"),
        traceBytes,
        traceBytesPerMillion: tracedInstructions > 0 ? (traceBytes * 1e6) / tracedInstructions : 0,
        eventBytes: one("SELECT sum(length(event_data)) FROM trace_chunk"),
        snapshots: one("SELECT count(*) FROM snapshot"),
        snapshotBytes: one("SELECT sum(length(data)) FROM snapshot"),
        inputs: one("SELECT count(*) FROM input"),
        consoleBytes: one("SELECT sum(length(data)) FROM console"),
        frames: one("SELECT count(*) FROM frame"),
        fileBytes: pageCount * pageSize,
      };
    });
  }

  /** One chunk's events, decoded (cached: paging and timelines come back to the same chunks). */
  eventBatch(seq: number): EventBatch {
    const cached = this.batches.get(seq);
    if (cached) return cached;
    const batch = this.read(`events of chunk ${seq}`, () => {
      const row = this.db.prepare("SELECT events, event_data, event_crc FROM trace_chunk WHERE seq = ?").get(seq) as
        | { events: number; event_data: Buffer; event_crc: number }
        | undefined;
      if (!row) throw new RangeError(`no trace chunk ${seq}`);
      const batch = new EventBatch(unpackBlob(row.event_data, row.event_crc, MAX_CHUNK_BYTES), this.schemaVersion);
      if (batch.length !== row.events) throw new DecodeError(`chunk ${seq} says ${row.events} events, its data holds ${batch.length}`);
      return batch;
    });
    if (this.batches.size >= BATCH_CACHE) this.batches.delete(this.batches.keys().next().value!);
    this.batches.set(seq, batch);
    return batch;
  }

  /**
   * The stable reader API over a recording's events: chunk by chunk, in order, from the chunk holding event number
   * `afterSeq + 1` (events are numbered from 1). Each batch decodes its numbers at once and its text when asked.
   */
  *eventChunks(afterSeq = 0): Generator<EventChunk> {
    for (const c of this.chunks()) {
      if (c.firstEvent + c.events <= afterSeq || c.events === 0) continue;
      yield { chunk: c.seq, firstEvent: c.firstEvent, batch: this.eventBatch(c.seq) };
    }
  }

  /** Events with from ≤ icount ≤ to, in order; `limit` caps the answer (the UI pages through). */
  events(from = 0, to = Number.MAX_SAFE_INTEGER, limit = 10_000, offset = 0): MachineEvent[] {
    const out: MachineEvent[] = [];
    let skip = offset;
    for (const c of this.chunks()) {
      if (c.lastIcount < from || c.events === 0) continue;
      if (c.firstIcount > to) break;
      const batch = this.eventBatch(c.seq);
      // Text renders from captures here, so damage in one is reported as damage.
      this.read(`events of chunk ${c.seq}`, () => {
        for (let i = 0; i < batch.length && out.length < limit; i++) {
          if (batch.icount[i] < from || batch.icount[i] > to) continue;
          if (skip > 0) skip--;
          else out.push(batch.get(i));
        }
      });
      if (out.length >= limit) break;
    }
    return out;
  }

  /** Up to `limit` events following event number `afterSeq` (events are numbered from 1, without gaps). */
  eventsAfter(afterSeq: number, limit: number): MachineEvent[] {
    const out: MachineEvent[] = [];
    for (const { chunk, firstEvent, batch } of this.eventChunks(afterSeq)) {
      this.read(`events of chunk ${chunk}`, () => {
        for (let i = Math.max(0, afterSeq - firstEvent); i < batch.length && out.length < limit; i++) out.push(batch.get(i));
      });
      if (out.length >= limit) break;
    }
    return out;
  }

  /** Every event, streamed in order (exports of large recordings do not hold them all in memory). */
  *eachEvent(): Generator<MachineEvent> {
    for (const { chunk, batch } of this.eventChunks()) {
      for (let i = 0; i < batch.length; i++) yield this.read(`events of chunk ${chunk}`, () => batch.get(i));
    }
  }

  /**
   * The timeline between two instruction counts (or virtual-cycle values) at a level of detail: the events
   * themselves when at most `detailLimit` fall in the range, else `buckets` equal slices with counts per kind.
   */
  timeline(from: number, to: number, buckets: number, axis: "icount" | "vcycles" = "icount", detailLimit = 2000): Timeline {
    if (!(to > from) || !Number.isInteger(buckets) || buckets < 1) throw new RangeError("timeline needs to > from and buckets ≥ 1");
    return this.read("timeline", () => {
      const inRange: { batch: EventBatch; at: Float64Array }[] = [];
      const rows = (axis === "icount"
        ? this.db.prepare("SELECT seq FROM trace_chunk WHERE events > 0 AND last_icount >= ? AND first_icount <= ? ORDER BY seq")
        : this.db.prepare("SELECT seq FROM trace_chunk WHERE events > 0 AND event_max_vcycles >= ? AND event_min_vcycles <= ? ORDER BY seq")
      ).pluck().all(from, to) as number[];
      let total = 0;
      for (const seq of rows) {
        const batch = this.eventBatch(seq);
        const at = axis === "icount" ? batch.icount : batch.vcycles;
        for (let i = 0; i < batch.length; i++) if (at[i] >= from && at[i] <= to) total++;
        inRange.push({ batch, at });
      }
      if (total <= detailLimit) {
        const events: MachineEvent[] = [];
        for (const { batch, at } of inRange) for (let i = 0; i < batch.length; i++) if (at[i] >= from && at[i] <= to) events.push(batch.get(i));
        return { detail: "events", from, to, events };
      }
      const width = (to - from) / buckets;
      const out: TimelineBucket[] = [];
      for (let i = 0; i < buckets; i++) out.push({ start: from + i * width, end: from + (i + 1) * width, count: 0, cost: 0, kinds: {} });
      for (const { batch, at } of inRange) {
        for (let i = 0; i < batch.length; i++) {
          if (at[i] < from || at[i] > to) continue;
          const bucket = out[Math.min(Math.floor((at[i] - from) / width), buckets - 1)];
          const kind = KIND_LIST[batch.kind[i]];
          bucket.count++;
          bucket.cost += batch.cost[i];
          bucket.kinds[kind] = (bucket.kinds[kind] ?? 0) + 1;
        }
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
        if (!(row.data instanceof Uint8Array)) throw new DecodeError(`console output stored as a ${typeof row.data}, not bytes`);
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

  /** The trace chunks, in order (read once: a recording is read-only). */
  chunks(): ChunkRecord[] {
    this.chunkList ??= this.chunkRows("", []);
    return this.chunkList;
  }

  /**
   * The chunks ending after instruction `icount`, in order: what a seek re-executes from its snapshot. An indexed
   * read of a few rows, where the whole list reads every row's page (0.1–0.3 s for a 10^9-instruction recording).
   */
  chunksAfter(icount: number): ChunkRecord[] {
    return this.chunkList?.filter((c) => c.lastIcount > icount) ?? this.chunkRows("WHERE last_icount > ?", [icount]);
  }

  private chunkRows(where: string, params: number[]): ChunkRecord[] {
    return this.read("trace chunks", () =>
      (this.db
        .prepare(
          `SELECT seq, first_icount, last_icount, vcycles, blocks, length(data) AS bytes, state_hash, world_hash, first_event, events FROM trace_chunk ${where} ORDER BY seq`,
        )
        .all(...params) as ChunkRow[]
      ).map((r) => ({
        seq: r.seq, firstIcount: r.first_icount, lastIcount: r.last_icount, vcycles: r.vcycles, blocks: r.blocks, bytes: r.bytes,
        stateHash: String(r.state_hash), worldHash: r.world_hash === null ? null : String(r.world_hash), firstEvent: r.first_event, events: r.events,
      })),
    );
  }

  /** Console writes committed with chunk `seq`, in order. */
  chunkConsole(seq: number): ConsoleRecord[] {
    return this.read("console", () =>
      (this.db.prepare("SELECT icount, stream, data FROM console WHERE chunk = ? ORDER BY seq").all(seq) as { icount: number; stream: string; data: Buffer }[]).map(
        (r) => ({ icount: r.icount, stream: String(r.stream), data: r.data instanceof Uint8Array ? r.data : Buffer.from(String(r.data)) }),
      ),
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
      (this.db.prepare("SELECT seq, chunk, icount, kind, data FROM input ORDER BY seq").all() as { seq: number; chunk: number; icount: number; kind: string; data: Buffer }[]).map(
        (r) => ({ seq: r.seq, chunk: r.chunk, icount: r.icount, kind: String(r.kind), data: r.data instanceof Uint8Array ? new Uint8Array(r.data) : Buffer.from(String(r.data)) }),
      ),
    );
  }

  /** The latest snapshot taken at or before `icount`, with the chain of snapshots a restore needs; null if none. */
  snapshotAtOrBefore(icount: number, maxBytes: number): SnapshotRecord | null {
    return this.read("snapshot", () => {
      type Row = { icount: number; vcycles: number; events: number; inputs: number; keyframe: number; memory: Buffer; memory_crc: number; state_hash: string; world_hash: string };
      const rows = this.db
        .prepare("SELECT icount, vcycles, events, inputs, keyframe, memory, memory_crc, state_hash, world_hash FROM snapshot WHERE icount <= ? ORDER BY icount DESC LIMIT ?")
        .all(icount, MAX_CHAIN) as Row[];
      if (rows.length === 0) return null;
      const key = rows.findIndex((r) => r.keyframe === 1);
      if (key < 0) throw new DecodeError(`no keyframe within ${MAX_CHAIN} snapshots before instruction ${rows[0].icount}`);
      const top = rows[0];
      const head = this.db.prepare("SELECT data, crc FROM snapshot WHERE icount = ?").get(top.icount) as { data: Buffer; crc: number };
      const memory = rows.slice(0, key + 1).reverse().map((r) => unpackBlob(r.memory, r.memory_crc, maxBytes)).filter((m) => m.length > 0);
      return {
        icount: top.icount, vcycles: top.vcycles, events: top.events, inputs: top.inputs, head: unpackBlob(head.data, head.crc, maxBytes), memory,
        stateHash: String(top.state_hash), worldHash: String(top.world_hash),
      };
    });
  }

  /** The instruction count of the latest snapshot at or before `icount`, or 0 (an indexed lookup, nothing decoded). */
  snapshotIcountAtOrBefore(icount: number): number {
    return this.read("snapshot", () => (this.db.prepare("SELECT max(icount) FROM snapshot WHERE icount <= ?").pluck().get(icount) as number | null) ?? 0);
  }

  /** The snapshot taken at the end of chunk `seq` (its row and the hashes inside its blob), or null. */
  snapshotAtChunk(seq: number): SnapshotCheck | null {
    return this.read("snapshot", () => {
      this.snapshotIndex ??= new Map(
        (this.db.prepare("SELECT chunk, icount, vcycles, events, inputs, data, crc, state_hash, world_hash FROM snapshot").all() as {
          chunk: number; icount: number; vcycles: number; events: number; inputs: number; data: Buffer; crc: number; state_hash: string; world_hash: string;
        }[]).map((r) => {
          const head = snapshotHashes(unpackBlob(r.data, r.crc, 1 << 30));
          return [r.chunk, {
            icount: r.icount, vcycles: r.vcycles, events: r.events, inputs: r.inputs, stateHash: String(r.state_hash), worldHash: String(r.world_hash),
            embeddedStateHash: head.stateHash, embeddedWorldHash: head.worldHash,
          }];
        }),
      );
      return this.snapshotIndex.get(seq) ?? null;
    });
  }

  /** The files the run booted from (guest ELF ...), by name. */
  modules(): Map<string, Uint8Array> {
    return this.read("modules", () => {
      const out = new Map<string, Uint8Array>();
      for (const row of this.db.prepare("SELECT name, data FROM module").all() as { name: string; data: Buffer }[]) {
        if (!(row.data instanceof Uint8Array)) throw new DecodeError(`module ${String(row.name).slice(0, 40)} holds a ${typeof row.data}, not file bytes`);
        out.set(String(row.name), new Uint8Array(row.data));
      }
      return out;
    });
  }
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
  if (!Number.isInteger(chunkInstructions) || chunkInstructions <= 0 || chunkInstructions > MAX_CHUNK_INSTRUCTIONS) bad(`chunk_instructions ${chunkInstructions}`);
  const snapshotInstructions = num("snapshot_instructions");
  if (!Number.isInteger(snapshotInstructions) || snapshotInstructions <= 0) bad(`snapshot_instructions ${snapshotInstructions}`);
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
    snapshotInstructions,
    hostStop: row.host_stop === 1,
    finalIcount: optNum("final_icount"),
    finalVcycles: optNum("final_vcycles"),
    exitStatus: optNum("exit_status"),
    stopReason: row.stop_reason === null ? null : String(row.stop_reason),
  };
}
