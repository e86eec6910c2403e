// Writes one recording file: rows go straight into an open transaction that commits at every chunk end.
// A run may be killed at any moment, so every commit leaves a file that opens and reads up to that point.

import type Database from "better-sqlite3";
import type { ConsoleStream, MachineEvent, RawEventSink } from "../events.ts";
import { encodeTraceChunk, packBlob, type BlockStream } from "./codec.ts";
import { ChunkDigest, finalDigest, genesisDigest, type RowValue } from "./digest.ts";
import { EventColumnWriter } from "./event-chunk.ts";
import { createRecordingDb } from "./schema.ts";

export interface SessionInfo {
  guest: string;
  args: string[];
  seed: number;
  /** The run options, stored verbatim so replay builds the same machine. */
  config: Record<string, unknown>;
  engineVersion: string;
  chunkInstructions: number;
  snapshotInstructions: number;
  /** Whether trace chunks carry block addresses (else only state hashes). */
  instructionStream: boolean;
  /** Host wall-clock of the recording (metadata); now, unless a migration keeps the original. */
  created?: string;
}

export interface FinishInfo {
  icount: number;
  vcycles: number;
  exitStatus: number | null;
  stopReason: string;
  /** True when the host ended the run at a chunk end (a stop or a limit) rather than the guest finishing. */
  hostStop?: boolean;
}

export interface SnapshotInfo {
  icount: number;
  vcycles: number;
  keyframe: boolean;
  /** Header and object graph, and the memory runs (snapshot.ts); a version 1 snapshot has all in `head`. */
  head: Uint8Array;
  memory: Uint8Array;
  stateHash: string;
  worldHash: string;
}

/** The session fields the genesis digest covers, in the order the checker reads them (integrity.ts). */
export const GENESIS_FIELDS = [
  "guest", "args", "seed", "config", "engine_version", "created", "chunk_instructions", "instruction_stream", "snapshot_instructions",
] as const;
/** The session fields the final digest covers. */
export const FINAL_FIELDS = ["status", "final_icount", "final_vcycles", "exit_status", "stop_reason", "host_stop"] as const;

export class RecordingWriter {
  readonly db: Database.Database;
  /** The open chunk's events; subscribed to the machine directly (`events`), so an event costs one call. */
  private readonly columns = new EventColumnWriter();
  /** Events of the chunks committed so far. */
  private committedEvents = 0;
  private digest = new ChunkDigest();
  private link: Uint8Array;
  private readonly insConsole: Database.Statement;
  private readonly insInput: Database.Statement;
  private readonly insChunk: Database.Statement;
  private readonly insSnapshot: Database.Statement;
  private readonly insFrame: Database.Statement;
  /** Totals, for progress and the bench. */
  inputCount = 0;
  chunkCount = 0;
  traceBytes = 0;
  eventBytes = 0;
  snapshotBytes = 0;

  constructor(
    readonly path: string,
    session: SessionInfo,
    modules: ReadonlyMap<string, Uint8Array>,
  ) {
    this.db = createRecordingDb(path);
    const db = this.db;
    this.insConsole = db.prepare("INSERT INTO console (chunk, icount, stream, data) VALUES (?,?,?,?)");
    this.insInput = db.prepare("INSERT INTO input (chunk, icount, kind, data) VALUES (?,?,?,?)");
    this.insChunk = db.prepare(
      `INSERT INTO trace_chunk (seq, first_icount, last_icount, vcycles, blocks, data, crc, state_hash, world_hash, first_event, events,
         event_data, event_crc, event_min_vcycles, event_max_vcycles, digests, link) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)`,
    );
    this.insSnapshot = db.prepare(
      "INSERT INTO snapshot (icount, chunk, vcycles, events, inputs, keyframe, data, crc, memory, memory_crc, state_hash, world_hash) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
    );
    this.insFrame = db.prepare(
      "INSERT INTO frame (chunk, icount, width, height, bytes_per_pixel, keyframe, data, crc) VALUES (?,?,?,?,?,?,?,?)",
    );
    const fields: Record<(typeof GENESIS_FIELDS)[number], RowValue> = {
      guest: session.guest, args: JSON.stringify(session.args), seed: session.seed, config: JSON.stringify(session.config),
      engine_version: session.engineVersion, created: session.created ?? new Date().toISOString(),
      chunk_instructions: session.chunkInstructions, instruction_stream: session.instructionStream ? 1 : 0,
      snapshot_instructions: session.snapshotInstructions,
    };
    const values = GENESIS_FIELDS.map((f) => fields[f]);
    this.link = genesisDigest(values, [...modules].map(([name, data]) => [name, Buffer.from(data)]));
    db.transaction(() => {
      db.prepare(`INSERT INTO session (id, status, genesis, ${GENESIS_FIELDS.join(", ")}) VALUES (1, 'incomplete', ?, ${GENESIS_FIELDS.map(() => "?").join(", ")})`)
        .run(this.link, ...values);
      const insModule = db.prepare("INSERT INTO module (name, data) VALUES (?, ?)");
      for (const [name, data] of modules) insModule.run(name, Buffer.from(data));
    })();
    // Rows are inserted as they come, with no queue of our own: SQLite keeps the open transaction's pages in its
    // cache and spills them to the WAL, uncommitted, when it grows large.
    db.exec("BEGIN");
  }

  /** The chunk the rows written now belong to (numbered from 1). */
  private get chunkSeq(): number {
    return this.chunkCount + 1;
  }

  /** Events of committed chunks and of the open one. */
  get eventCount(): number {
    return this.committedEvents + this.columns.count;
  }

  /** Where the machine delivers its events (Machine.onRawEvent): a capture is stored instead of text where it has one. */
  get events(): RawEventSink {
    return this.columns;
  }

  /** An event with its text (migrations). */
  add(e: MachineEvent): void {
    this.columns.add(e);
  }

  console(icount: number, stream: ConsoleStream, bytes: Uint8Array): void {
    const data = Buffer.from(bytes);
    this.insConsole.run(this.chunkSeq, icount, stream, data);
    this.digest.add("console", [this.chunkSeq, icount, stream, data]);
  }

  /** Nondeterministic input; commits with the chunk that covers it, the unit a replay verifies. */
  input(icount: number, kind: string, bytes: Uint8Array): void {
    this.inputCount++;
    const data = Buffer.from(bytes);
    this.insInput.run(this.chunkSeq, icount, kind, data);
    this.digest.add("input", [this.chunkSeq, icount, kind, data]);
  }

  frame(icount: number, width: number, height: number, bytesPerPixel: number, keyframe: boolean, raw: Uint8Array): void {
    const { data, crc } = packBlob(raw);
    const row = [this.chunkSeq, icount, width, height, bytesPerPixel, keyframe ? 1 : 0, data, crc];
    this.insFrame.run(row);
    this.digest.add("frames", row);
  }

  /**
   * Closes one trace chunk (with the snapshot taken at its end, if any); the chunk and every row written before it
   * commit together, and the digest chain gains one link.
   */
  chunk(
    firstIcount: number, lastIcount: number, vcycles: number, streams: readonly BlockStream[], stateHash: string,
    worldHash: string | null, snapshot?: SnapshotInfo,
  ): void {
    const seq = this.chunkSeq;
    // Level-1 deflate: the zigzag deltas of a loop's block addresses repeat, so the fast level loses little.
    const trace = packBlob(encodeTraceChunk(streams), true);
    const blocks = streams.reduce((n, s) => n + s.length, 0);
    const events = this.columns.count;
    const firstEvent = this.committedEvents;
    const min = events > 0 ? this.columns.minVcycles() : null;
    const max = events > 0 ? this.columns.maxVcycles() : null;
    const eventBlob = packBlob(this.columns.finish(), true);
    const chunkRow: RowValue[] = [seq, firstIcount, lastIcount, vcycles, blocks, trace.data, trace.crc, stateHash, worldHash];
    const eventRow: RowValue[] = [firstEvent, events, eventBlob.data, eventBlob.crc, min, max];
    this.digest.add("trace chunk", chunkRow);
    this.digest.add("events", eventRow);
    if (snapshot) {
      const head = packBlob(snapshot.head, true);
      const memory = packBlob(snapshot.memory, true);
      this.snapshotBytes += head.data.length + memory.data.length;
      const row: RowValue[] = [
        snapshot.icount, seq, snapshot.vcycles, firstEvent + events, this.inputCount, snapshot.keyframe ? 1 : 0, head.data, head.crc,
        memory.data, memory.crc, snapshot.stateHash, snapshot.worldHash,
      ];
      this.insSnapshot.run(row);
      this.digest.add("snapshot", row);
    }
    const { parts, link } = this.digest.finish(this.link);
    this.insChunk.run(...chunkRow, ...eventRow, parts, link);
    this.link = link;
    this.digest = new ChunkDigest();
    this.committedEvents += events;
    this.traceBytes += trace.data.length;
    this.eventBytes += eventBlob.data.length;
    this.chunkCount++;
    this.commit();
  }

  /** Commits everything written so far and opens the next transaction. */
  private commit(): void {
    if (this.db.inTransaction) this.db.exec("COMMIT");
    this.db.exec("BEGIN");
  }

  /**
   * Marks the session complete and folds the WAL into the file, so the recording is one self-contained file.
   * Rows written after the last chunk (there are none when finish follows a chunk end) are not kept.
   */
  finish(info: FinishInfo): void {
    if (this.db.inTransaction) this.db.exec("ROLLBACK");
    const fields: RowValue[] = ["complete", info.icount, info.vcycles, info.exitStatus, info.stopReason, info.hostStop ? 1 : 0];
    this.db
      .prepare(`UPDATE session SET ${FINAL_FIELDS.map((f) => `${f} = ?`).join(", ")}, final_digest = ? WHERE id = 1`)
      .run(...fields, finalDigest(this.link, fields));
    this.db.pragma("wal_checkpoint(TRUNCATE)");
    this.db.pragma("journal_mode = DELETE");
  }

  /** Pending events (emitted since the last chunk end): a finish would drop them. */
  get pendingEvents(): number {
    return this.columns.count;
  }

  /** Closes the file; rows of a chunk not yet ended are dropped (no chunk would cover them, so nothing verifies them). */
  close(): void {
    if (!this.db.open) return;
    if (this.db.inTransaction) this.db.exec("ROLLBACK");
    this.db.close();
  }
}
