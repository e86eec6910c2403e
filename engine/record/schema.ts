// The recording file format: one SQLite database per run, its tables, version and identity checks.
// A recording may come from another machine or be damaged, so opening one checks everything before use.

import Database from "better-sqlite3";
import { closeSync, existsSync, openSync, readSync, rmSync, statSync } from "node:fs";

/** `PRAGMA application_id`: "HdLb". Marks a SQLite file as a Hedron Lab recording. */
export const APPLICATION_ID = 0x48644c62;
/**
 * `PRAGMA user_version`: bumped on every incompatible change of the tables below or their blobs (version 1 files are
 * migrated, version 2 files read in place: migrate.ts). 3: event blobs carry captures (event-chunk.ts).
 */
export const SCHEMA_VERSION = 3;

/** Instructions per chunk a recording may declare: the trace buffers are sized from it. */
export const MAX_CHUNK_INSTRUCTIONS = 1 << 26;

const DDL = `
CREATE TABLE session (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  guest TEXT NOT NULL,
  args TEXT NOT NULL,            -- JSON array of strings (argv)
  seed INTEGER NOT NULL,
  config TEXT NOT NULL,          -- JSON object: the run options, replayed verbatim
  engine_version TEXT NOT NULL,
  created TEXT NOT NULL,         -- host wall-clock, metadata only (never guest-visible)
  status TEXT NOT NULL CHECK (status IN ('incomplete', 'complete')),
  chunk_instructions INTEGER NOT NULL,
  instruction_stream INTEGER NOT NULL,  -- 1: trace chunks hold block addresses; 0: only state hashes
  snapshot_instructions INTEGER NOT NULL,
  final_icount INTEGER,
  final_vcycles INTEGER,
  exit_status INTEGER,
  stop_reason TEXT,
  host_stop INTEGER NOT NULL DEFAULT 0, -- 1: the host ended the run at a chunk end (stop, limit), not the guest
  genesis BLOB NOT NULL,         -- digest of the fields above as created and of the modules (digest.ts)
  final_digest BLOB              -- digest of the last chunk link and the final fields; set when complete
);
CREATE TABLE module (             -- the files the run was booted from (guest ELF ...), so replay needs no host files
  name TEXT PRIMARY KEY,
  data BLOB NOT NULL
);
CREATE TABLE trace_chunk (
  seq INTEGER PRIMARY KEY,       -- 1, 2, 3 ... without gaps
  first_icount INTEGER NOT NULL,
  last_icount INTEGER NOT NULL,
  vcycles INTEGER NOT NULL,
  blocks INTEGER NOT NULL,
  data BLOB NOT NULL,            -- block addresses: delta, zigzag, varint, deflateRaw (codec.ts)
  crc INTEGER NOT NULL,          -- crc32 of data: deflateRaw has no checksum of its own
  state_hash TEXT NOT NULL,      -- registers and memory at last_icount (state-hash.ts)
  world_hash TEXT,               -- everything else the guest can observe, where taken (run end, snapshots)
  first_event INTEGER NOT NULL,  -- events recorded before this chunk
  events INTEGER NOT NULL,
  event_data BLOB NOT NULL,      -- the chunk's events, columnar (event-chunk.ts), deflateRaw
  event_crc INTEGER NOT NULL,
  event_min_vcycles REAL,
  event_max_vcycles REAL,
  digests BLOB NOT NULL,         -- 16-byte SHA-256 prefixes of each part this chunk covers (digest.ts DIGEST_PARTS)
  link BLOB NOT NULL             -- SHA-256(previous link, or genesis ‖ digests)
);
CREATE INDEX trace_chunk_last ON trace_chunk (last_icount);
CREATE TABLE input (
  seq INTEGER PRIMARY KEY,
  chunk INTEGER NOT NULL,        -- the trace chunk it was consumed in (and committed with)
  icount INTEGER NOT NULL,
  kind TEXT NOT NULL,            -- 'stdin', or 'host-lstat' / 'host-readdir' / 'host-readlink' / 'host-read' (mounts, host-io.ts)
  data BLOB NOT NULL
);
CREATE TABLE snapshot (
  icount INTEGER PRIMARY KEY,     -- always the end of a trace chunk
  chunk INTEGER NOT NULL,
  vcycles INTEGER NOT NULL,
  events INTEGER NOT NULL,        -- events recorded before it (replay resumes comparing at the next)
  inputs INTEGER NOT NULL,        -- inputs consumed before it
  keyframe INTEGER NOT NULL,      -- 1: all of memory; 0: frames changed since the previous snapshot (snapshot.ts)
  data BLOB NOT NULL,             -- header and object graph (snapshot.ts), deflateRaw
  crc INTEGER NOT NULL,
  memory BLOB NOT NULL,           -- memory runs: all non-zero frames on a keyframe, else the frames changed; deflateRaw
  memory_crc INTEGER NOT NULL,
  state_hash TEXT NOT NULL,
  world_hash TEXT NOT NULL
);
CREATE TABLE console (
  seq INTEGER PRIMARY KEY,
  chunk INTEGER NOT NULL,
  icount INTEGER NOT NULL,
  stream TEXT NOT NULL,
  data BLOB NOT NULL
);
CREATE INDEX console_icount ON console (icount);
CREATE INDEX console_chunk ON console (chunk);
CREATE TABLE frame (
  seq INTEGER PRIMARY KEY,
  chunk INTEGER NOT NULL,
  icount INTEGER NOT NULL,
  width INTEGER NOT NULL,
  height INTEGER NOT NULL,
  bytes_per_pixel INTEGER NOT NULL,
  keyframe INTEGER NOT NULL,     -- 1: data is the whole framebuffer; 0: runs changed since the previous frame
  data BLOB NOT NULL,
  crc INTEGER NOT NULL
);
CREATE INDEX frame_icount ON frame (icount);
`;

/** The tables and indexes of the current schema: anything missing or extra is a damaged or edited file. */
const SCHEMA_OBJECTS = [...DDL.matchAll(/CREATE (TABLE|INDEX) (\w+)/g)].map((m) => m[2]);
const TABLES = [...DDL.matchAll(/CREATE TABLE (\w+)/g)].map((m) => m[1]);

export type RecordingErrorKind = "missing" | "foreign" | "truncated" | "corrupt" | "newer" | "empty";

/** Every problem with a recording file is one of these, with one sentence for the user. */
export class RecordingError extends Error {
  constructor(
    readonly kind: RecordingErrorKind,
    readonly path: string,
    detail: string,
  ) {
    // One line, whatever a damaged file put into the detail (SQLite quotes schema text, newlines and all).
    const line = detail.replace(/\s*\n\s*/g, " ");
    super(`${path}: ${line.length > 300 ? `${line.slice(0, 300)}…` : line}`);
    this.name = "RecordingError";
  }
}

const SQLITE_MAGIC = "SQLite format 3\0";
const HEADER_SIZE = 100;

/** Header checks SQLite would only notice later (or never): wrong magic, file cut short. */
function checkHeader(path: string): Buffer {
  if (!existsSync(path)) throw new RecordingError("missing", path, "no such recording file");
  const size = statSync(path).size;
  if (size === 0) throw new RecordingError("empty", path, "the file is empty (0 bytes); it is not a recording");
  const header = Buffer.alloc(HEADER_SIZE);
  const fd = openSync(path, "r");
  let got: number;
  try {
    got = readSync(fd, header, 0, HEADER_SIZE, 0);
  } finally {
    closeSync(fd);
  }
  if (header.subarray(0, Math.min(got, 16)).toString("latin1") !== SQLITE_MAGIC.slice(0, got)) {
    throw new RecordingError("foreign", path, "not a Hedron Lab recording (not an SQLite database)");
  }
  if (got < HEADER_SIZE) throw new RecordingError("truncated", path, `the file is truncated (${size} bytes)`);
  const rawPageSize = header.readUInt16BE(16);
  const pageSize = rawPageSize === 1 ? 65536 : rawPageSize;
  const pages = header.readUInt32BE(28);
  // The page count in the header is valid only when the change counter matches "version valid for".
  const countValid = header.readUInt32BE(24) === header.readUInt32BE(92) && pages > 0;
  if (countValid && size < pages * pageSize) {
    throw new RecordingError(
      "truncated",
      path,
      `the file is truncated (${size} bytes, its header promises ${pages * pageSize})`,
    );
  }
  return header;
}

/** Turns SQLite's own complaints about a damaged file into a RecordingError; rethrows anything else. */
export function translateSqliteError(path: string, err: unknown): never {
  const code = (err as { code?: string }).code ?? "";
  if (code === "SQLITE_NOTADB") {
    throw new RecordingError("foreign", path, "not a Hedron Lab recording (not an SQLite database)");
  }
  if (code.startsWith("SQLITE_CORRUPT") || code === "SQLITE_IOERR_SHORT_READ") {
    throw new RecordingError("corrupt", path, `the recording is corrupt (${(err as Error).message.slice(0, 200)})`);
  }
  // A table or column the query needs was dropped or renamed: an edited file, not an engine fault.
  if (code === "SQLITE_ERROR" && /no such (table|column)|malformed/.test((err as Error).message)) {
    throw new RecordingError("corrupt", path, `the recording's tables were altered (${(err as Error).message.slice(0, 200)})`);
  }
  throw err;
}

export interface OpenOptions {
  /** Run SQLite's structural check on open (cost grows with the file: off by default, `info --check` turns it on). */
  check?: boolean;
}

/** Version 1 recordings: events one row each, full snapshots, no digest chain; migrate.ts converts them. */
export const LEGACY_VERSION = 1;
const LEGACY_TABLES = ["session", "module", "event", "trace_chunk", "input", "snapshot", "console", "frame"];

/** A recording left in WAL mode (the recorder did not finish) keeps its newest data in FILE-wal. */
function missingWal(path: string, header: Buffer): boolean {
  return header[18] === 2 && !existsSync(path + "-wal");
}

/**
 * Opens an existing recording read-only after checking magic, size, identity, schema version and that its tables
 * exist. Returns the schema version too: a version 1 file is opened as it is, for migrate.ts to convert.
 */
export function openRecordingDb(path: string, options: OpenOptions = {}): { db: Database.Database; version: number } {
  const header = checkHeader(path);
  const walHint = missingWal(path, header)
    ? ` — the recording was still being written (WAL mode) and its ${path}-wal file is missing: copy FILE-wal along with FILE`
    : "";
  let db: Database.Database | undefined;
  try {
    db = new Database(path, { readonly: true, fileMustExist: true });
    const appId = db.pragma("application_id", { simple: true }) as number;
    if (appId !== APPLICATION_ID) {
      if (walHint) throw new RecordingError("truncated", path, `not readable as a recording${walHint}`);
      throw new RecordingError("foreign", path, "an SQLite database, but not a Hedron Lab recording");
    }
    const version = db.pragma("user_version", { simple: true }) as number;
    if (version > SCHEMA_VERSION) {
      throw new RecordingError(
        "newer",
        path,
        `recorded with a newer Hedron Lab (schema version ${version}; this build reads versions ${LEGACY_VERSION}–${SCHEMA_VERSION}): open it with a newer hedron-lab`,
      );
    }
    if (version < LEGACY_VERSION) {
      throw new RecordingError("foreign", path, `schema version ${version} is not one this build can read`);
    }
    const present = new Set(db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").pluck().all() as string[]);
    const missing = (version === LEGACY_VERSION ? LEGACY_TABLES : TABLES).filter((t) => !present.has(t));
    if (missing.length > 0) {
      throw new RecordingError("corrupt", path, `the recording lacks its ${missing.join(", ")} table${missing.length > 1 ? "s" : ""} (damaged or edited)${walHint}`);
    }
    if (options.check) {
      const result = db.pragma("quick_check(1)", { simple: true }) as string;
      if (result !== "ok") {
        const detail = result.replace("*** in database main ***", "").trim().replace(/\s*\n\s*/g, "; ");
        throw new RecordingError("corrupt", path, `the recording is corrupt (${detail.slice(0, 200)})`);
      }
    }
    if (db.prepare("SELECT count(*) AS n FROM session").pluck().get() !== 1) {
      throw new RecordingError("corrupt", path, `the recording has no session record${walHint}`);
    }
    return { db, version };
  } catch (err) {
    db?.close();
    if (err instanceof RecordingError) throw err;
    translateSqliteError(path, err);
  }
}

/** The schema objects (tables, indexes) that are not part of the current schema, or missing from it. */
export function schemaDifferences(db: Database.Database): string[] {
  const rows = db.prepare("SELECT type, name FROM sqlite_master WHERE type IN ('table', 'index', 'view', 'trigger') AND name NOT LIKE 'sqlite_%'").all() as { type: string; name: string }[];
  const names = new Set(rows.map((r) => r.name));
  const out = rows.filter((r) => !SCHEMA_OBJECTS.includes(r.name)).map((r) => `an extra ${r.type} ${r.name}`);
  for (const name of SCHEMA_OBJECTS) if (!names.has(name)) out.push(`no ${name}`);
  return out;
}

/** Creates a new recording file (replacing any file at `path`), in WAL mode so a killed recorder leaves a readable file. */
export function createRecordingDb(path: string): Database.Database {
  for (const suffix of ["", "-wal", "-shm"]) rmSync(path + suffix, { force: true });
  const db = new Database(path);
  db.pragma("journal_mode = WAL");
  // No fsync: a committed transaction is in the OS's cache, so it survives the recorder being killed (SIGKILL, crash);
  // only an OS crash or power cut may damage the file, which then opens as "corrupt". fsyncs cost ~2% of a recording.
  db.pragma("synchronous = OFF");
  // One transaction, so a file is either not yet ours or carries identity, version and tables together.
  db.transaction(() => {
    db.pragma(`application_id = ${APPLICATION_ID}`);
    db.exec(DDL);
    db.pragma(`user_version = ${SCHEMA_VERSION}`);
  })();
  return db;
}
