// Writes one recording file: queues rows in memory and commits them in batched transactions.
// A run may be killed at any moment, so every commit leaves a file that opens and reads up to that point.

import type Database from "better-sqlite3";
import type { ConsoleStream, MachineEvent } from "../events.ts";
import { encodeTraceChunk, packBlob, type BlockStream } from "./codec.ts";
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
}

export interface FinishInfo {
  icount: number;
  vcycles: number;
  exitStatus: number | null;
  stopReason: string;
}

/** Rows queued past this many are committed even before the next chunk closes (bounds memory). */
const MAX_PENDING_ROWS = 8192;

type Row = { stmt: Database.Statement; values: unknown[] };

export class RecordingWriter {
  readonly db: Database.Database;
  private pending: Row[] = [];
  private readonly insEvent: Database.Statement;
  private readonly insConsole: Database.Statement;
  private readonly insInput: Database.Statement;
  private readonly insChunk: Database.Statement;
  private readonly insSnapshot: Database.Statement;
  private readonly insFrame: Database.Statement;
  private readonly insModule: Database.Statement;
  private readonly commitPending: () => void;
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
    this.insEvent = db.prepare(
      "INSERT INTO event (icount, vcycles, host_ns, kind, cpu, pd, ec, name, args, result, cost, call_id) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
    );
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
    this.commitPending = db.transaction(() => {
      for (const row of this.pending) row.stmt.run(row.values);
    });
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
  }

  private queue(stmt: Database.Statement, values: unknown[]): void {
    this.pending.push({ stmt, values });
    if (this.pending.length >= MAX_PENDING_ROWS) this.flush();
  }

  event(e: MachineEvent): void {
    this.eventCount++;
    this.queue(this.insEvent, [
      e.icount,
      e.vcycles,
      Math.round(e.hostNs),
      e.kind,
      e.cpu,
      e.pd,
      e.ec,
      e.name,
      e.args,
      e.result,
      e.cost,
      e.callId ?? null,
    ]);
  }

  console(icount: number, stream: ConsoleStream, bytes: Uint8Array): void {
    this.queue(this.insConsole, [icount, stream, Buffer.from(bytes)]);
  }

  /** Nondeterministic input; commits with the chunk that covers it, the unit a replay verifies. */
  input(icount: number, kind: string, bytes: Uint8Array): void {
    this.inputCount++;
    this.queue(this.insInput, [icount, kind, Buffer.from(bytes)]);
  }

  /** Closes one trace chunk; the chunk and every row queued before it commit together. */
  chunk(firstIcount: number, lastIcount: number, vcycles: number, streams: readonly BlockStream[], stateHash: string): void {
    const { data, crc } = packBlob(encodeTraceChunk(streams));
    const count = streams.reduce((n, s) => n + s.length, 0);
    this.traceBytes += data.length;
    this.chunkCount++;
    this.pending.push({ stmt: this.insChunk, values: [firstIcount, lastIcount, vcycles, count, data, crc, stateHash] });
    this.flush();
  }

  snapshot(icount: number, vcycles: number, state: Uint8Array, stateHash: string): void {
    const { data, crc } = packBlob(state, true);
    this.snapshotBytes += data.length;
    this.pending.push({ stmt: this.insSnapshot, values: [icount, vcycles, this.eventCount, this.inputCount, data, crc, stateHash] });
    this.flush();
  }

  frame(icount: number, width: number, height: number, bytesPerPixel: number, keyframe: boolean, raw: Uint8Array): void {
    const { data, crc } = packBlob(raw);
    this.queue(this.insFrame, [icount, width, height, bytesPerPixel, keyframe ? 1 : 0, data, crc]);
  }

  flush(): void {
    if (this.pending.length === 0) return;
    this.commitPending();
    this.pending = [];
  }

  /** Marks the session complete and folds the WAL into the file, so the recording is one self-contained file. */
  finish(info: FinishInfo): void {
    this.flush();
    this.db
      .prepare(
        "UPDATE session SET status = 'complete', final_icount = ?, final_vcycles = ?, exit_status = ?, stop_reason = ? WHERE id = 1",
      )
      .run(info.icount, info.vcycles, info.exitStatus, info.stopReason);
    this.db.pragma("wal_checkpoint(TRUNCATE)");
    this.db.pragma("journal_mode = DELETE");
  }

  close(): void {
    this.flush();
    this.db.close();
  }
}
