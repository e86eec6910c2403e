// Writes one recording file: rows go straight into an open transaction that commits at every chunk end.
// A run may be killed at any moment, so every commit leaves a file that opens and reads up to that point.

import type Database from "better-sqlite3";
import type { ConsoleStream, MachineEvent } from "../events.ts";
import { encodeTraceChunk, packBlob, type BlockStream } from "./codec.ts";
import { createRecordingDb } from "./schema.ts";

/** Events per INSERT statement: 16 rows a call cut the insert time ~1.6× against one (64 is no faster). */
const EVENT_BATCH = 16;

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
}

export interface FinishInfo {
  icount: number;
  vcycles: number;
  exitStatus: number | null;
  stopReason: string;
}

export class RecordingWriter {
  readonly db: Database.Database;
  private readonly insEvent: Database.Statement;
  private readonly insEvents: Database.Statement;
  /** Events not yet inserted, 12 values each: they go in EVENT_BATCH rows per statement (SQLite calls dominate). */
  private readonly eventValues: unknown[] = [];
  private readonly insConsole: Database.Statement;
  private readonly insInput: Database.Statement;
  private readonly insChunk: Database.Statement;
  private readonly insSnapshot: Database.Statement;
  private readonly insFrame: Database.Statement;
  private readonly insModule: Database.Statement;
  /** Totals, for progress and the bench. */
  eventCount = 0;
  inputCount = 0;
  chunkCount = 0;
  traceBytes = 0;
  snapshotBytes = 0;

  constructor(
    readonly path: string,
    session: SessionInfo,
    modules: ReadonlyMap<string, Uint8Array>,
  ) {
    this.db = createRecordingDb(path);
    const db = this.db;
    const insertEvents = (rows: number) =>
      db.prepare(
        "INSERT INTO event (icount, vcycles, host_ns, kind, cpu, pd, ec, name, args, result, cost, call_id) VALUES " +
          Array(rows).fill("(?,?,?,?,?,?,?,?,?,?,?,?)").join(","),
      );
    this.insEvent = insertEvents(1);
    this.insEvents = insertEvents(EVENT_BATCH);
    this.insConsole = db.prepare("INSERT INTO console (icount, stream, data) VALUES (?,?,?)");
    this.insInput = db.prepare("INSERT INTO input (icount, kind, data) VALUES (?,?,?)");
    this.insChunk = db.prepare(
      "INSERT INTO trace_chunk (first_icount, last_icount, vcycles, blocks, data, crc, state_hash) VALUES (?,?,?,?,?,?,?)",
    );
    this.insSnapshot = db.prepare("INSERT INTO snapshot (icount, vcycles, events, inputs, data, crc, state_hash) VALUES (?,?,?,?,?,?,?)");
    this.insFrame = db.prepare(
      "INSERT INTO frame (icount, width, height, bytes_per_pixel, keyframe, data, crc) VALUES (?,?,?,?,?,?,?)",
    );
    this.insModule = db.prepare("INSERT INTO module (name, data) VALUES (?, ?)");
    db.transaction(() => {
      db.prepare(
        `INSERT INTO session (id, guest, args, seed, config, engine_version, created, status, chunk_instructions, instruction_stream, snapshot_instructions)
         VALUES (1, ?, ?, ?, ?, ?, ?, 'incomplete', ?, ?, ?)`,
      ).run(
        session.guest,
        JSON.stringify(session.args),
        session.seed,
        JSON.stringify(session.config),
        session.engineVersion,
        new Date().toISOString(),
        session.chunkInstructions,
        session.instructionStream ? 1 : 0,
        session.snapshotInstructions,
      );
      for (const [name, data] of modules) this.insModule.run(name, Buffer.from(data));
    })();
    // Rows are inserted as they come (events EVENT_BATCH at a time), with no queue of our own: SQLite keeps the open
    // transaction's pages in its cache and spills them to the WAL, uncommitted, when it grows large.
    db.exec("BEGIN");
  }

  event(e: MachineEvent): void {
    this.eventCount++;
    const v = this.eventValues;
    v.push(e.icount, e.vcycles, Math.round(e.hostNs), e.kind, e.cpu, e.pd, e.ec, e.name, e.args, e.result, e.cost, e.callId ?? null);
    if (v.length === EVENT_BATCH * 12) {
      this.insEvents.run(v);
      v.length = 0;
    }
  }

  console(icount: number, stream: ConsoleStream, bytes: Uint8Array): void {
    this.insConsole.run(icount, stream, Buffer.from(bytes));
  }

  /** Nondeterministic input; commits with the chunk that covers it, the unit a replay verifies. */
  input(icount: number, kind: string, bytes: Uint8Array): void {
    this.inputCount++;
    this.insInput.run(icount, kind, Buffer.from(bytes));
  }

  /** Closes one trace chunk; the chunk and every row written before it commit together. */
  chunk(firstIcount: number, lastIcount: number, vcycles: number, streams: readonly BlockStream[], stateHash: string): void {
    const { data, crc } = packBlob(encodeTraceChunk(streams));
    const count = streams.reduce((n, s) => n + s.length, 0);
    this.traceBytes += data.length;
    this.chunkCount++;
    this.insChunk.run(firstIcount, lastIcount, vcycles, count, data, crc, stateHash);
    this.commit();
  }

  snapshot(icount: number, vcycles: number, state: Uint8Array, stateHash: string): void {
    const { data, crc } = packBlob(state, true);
    this.snapshotBytes += data.length;
    this.insSnapshot.run(icount, vcycles, this.eventCount, this.inputCount, data, crc, stateHash);
    this.commit();
  }

  frame(icount: number, width: number, height: number, bytesPerPixel: number, keyframe: boolean, raw: Uint8Array): void {
    const { data, crc } = packBlob(raw);
    this.insFrame.run(icount, width, height, bytesPerPixel, keyframe ? 1 : 0, data, crc);
  }

  /** Commits everything written so far and opens the next transaction. */
  private commit(): void {
    this.end();
    this.db.exec("BEGIN");
  }

  /** Inserts the events still batched and commits. */
  private end(): void {
    const v = this.eventValues;
    for (let i = 0; i < v.length; i += 12) this.insEvent.run(v.slice(i, i + 12));
    v.length = 0;
    if (this.db.inTransaction) this.db.exec("COMMIT");
  }

  /** Marks the session complete and folds the WAL into the file, so the recording is one self-contained file. */
  finish(info: FinishInfo): void {
    this.end();
    this.db
      .prepare(
        "UPDATE session SET status = 'complete', final_icount = ?, final_vcycles = ?, exit_status = ?, stop_reason = ? WHERE id = 1",
      )
      .run(info.icount, info.vcycles, info.exitStatus, info.stopReason);
    this.db.pragma("wal_checkpoint(TRUNCATE)");
    this.db.pragma("journal_mode = DELETE");
  }

  close(): void {
    if (!this.db.open) return;
    this.end();
    this.db.close();
  }
}
