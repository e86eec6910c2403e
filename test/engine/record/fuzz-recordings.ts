// The recording fuzzer: mutates bundled recordings (truncation, bit flips, dropped and altered tables, huge values)
// and runs every reader on each; anything but success or a RecordingError is a reproducer. `npm run fuzz:recordings`.
import { copyFileSync, mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import Database from "better-sqlite3";
import { RECORDINGS_DIR } from "../../../engine/record/make-recordings.ts";
import { Recording } from "../../../engine/record/recording.ts";
import { replay } from "../../../engine/record/replayer.ts";
import { RecordingQuery, VIEWS } from "../../../engine/debug/query.ts";
import { RecordingError } from "../../../engine/record/schema.ts";

const SOURCES = ["cat-stdin.hlrec", "hello.hlrec"];
const TABLES = ["session", "module", "trace_chunk", "input", "snapshot", "console", "frame"];
const HUGE: unknown[] = [null, -1, 0, 2 ** 31, 2 ** 33, 2 ** 53, -(2 ** 53), 1e308, 0.5, "text", Buffer.from([0, 0xff]), Buffer.alloc(1 << 20, 7)];

/** xorshift32: the same seed gives the same cases, so a failure is reproducible from its case number. */
function prng(seed: number): () => number {
  let x = Math.imul((seed | 0) ^ 0x9e3779b9, 0x85ebca6b) || 1;
  for (let i = 0; i < 8; i++) x ^= (x << 13) ^ (x >>> 17) ^ (x << 5);
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 2 ** 32;
  };
}

/** How the cases ended: read fine (perhaps with a divergence), or refused with a RecordingError. */
export const outcomes = { read: 0, refused: 0 };

export interface FuzzFailure {
  case: number;
  mutation: string;
  error: string;
}

/** Applies one random mutation to the file at `path`; returns its description. */
function mutate(path: string, rnd: () => number): string {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)];
  const kind = Math.floor(rnd() * 7);
  if (kind === 0) {
    const bytes = readFileSync(path);
    const at = Math.floor(rnd() * bytes.length);
    truncateSync(path, at);
    return `truncated to ${at} bytes`;
  }
  if (kind === 1) {
    const bytes = readFileSync(path);
    const flips: number[] = [];
    for (let i = 0, n = 1 + Math.floor(rnd() * 8); i < n; i++) {
      const bit = Math.floor(rnd() * bytes.length * 8);
      bytes[bit >> 3] ^= 1 << (bit & 7);
      flips.push(bit);
    }
    writeFileSync(path, bytes);
    return `bits flipped at ${flips.join(", ")}`;
  }
  const db = new Database(path);
  try {
    if (kind === 2) {
      const table = pick(TABLES);
      db.exec(`DROP TABLE ${table}`);
      return `table ${table} dropped`;
    }
    const table = pick(TABLES);
    const columns = (db.prepare(`PRAGMA table_info(${table})`).all() as { name: string }[]).map((c) => c.name);
    const rows = db.prepare(`SELECT rowid FROM ${table}`).pluck().all() as number[];
    if (rows.length === 0) return `table ${table} left alone (empty)`;
    const row = pick(rows);
    if (kind === 3) {
      db.prepare(`DELETE FROM ${table} WHERE rowid = ?`).run(row);
      return `${table} row ${row} deleted`;
    }
    if (kind === 4 && table === "session") {
      const key = pick(["seed", "cpus", "memoryMiB", "env", "mounts", "modules", "strict"]);
      const value = pick([-1, 0, 1, 65, 4096, 2 ** 33, "x", [], [{ host: "/nonexistent", guest: "/mnt" }], null]);
      db.prepare(`UPDATE session SET config = json_set(config, '$.${key}', json(?))`).run(JSON.stringify(value));
      return `session config ${key} = ${JSON.stringify(value)}`;
    }
    const column = pick(columns);
    const value = pick(HUGE);
    try {
      db.prepare(`UPDATE ${table} SET ${column} = ? WHERE rowid = ?`).run(value as never, row);
    } catch {
      return `${table}.${column} of row ${row} left alone (constraint)`;
    }
    return `${table}.${column} of row ${row} = ${Buffer.isBuffer(value) ? `blob of ${value.length}` : JSON.stringify(value)}`;
  } finally {
    db.close();
  }
}

/** Everything a user can do with a recording: info, check, verify, seek, page events, console, framebuffer, query. */
function exercise(path: string): void {
  const rec = Recording.open(path, { check: true });
  try {
    const summary = rec.summary();
    rec.checkIntegrity();
    rec.eventsAfter(0, 50);
    rec.events(0, 1000, 10);
    rec.consoleText();
    rec.framebufferAt(Number.MAX_SAFE_INTEGER);
    rec.inputs();
    if (summary.verifiableIcount > 1) rec.timeline(0, summary.verifiableIcount, 8);
    replay(rec);
    replay(rec, { to: Math.floor(summary.verifiableIcount / 2), verify: false });
    const query = new RecordingQuery(rec);
    try {
      for (const view of Object.keys(VIEWS)) query.run(`SELECT count(*) FROM ${view}`, 10);
    } finally {
      query.close();
    }
  } finally {
    rec.close();
  }
}

/** Runs `cases` mutations from `seed`; a case that throws anything but a RecordingError, or takes over 20 s, fails. */
export function fuzzRecordings(cases: number, seed = 1): FuzzFailure[] {
  const dir = mkdtempSync(join(tmpdir(), "hedron-fuzz-rec-"));
  const failures: FuzzFailure[] = [];
  try {
    for (let c = 0; c < cases; c++) {
      const rnd = prng(seed * 1_000_003 + c);
      const path = join(dir, `case-${c}.hlrec`);
      copyFileSync(join(RECORDINGS_DIR, SOURCES[c % SOURCES.length]), path);
      let mutation = "";
      const start = performance.now();
      try {
        mutation = mutate(path, rnd);
        exercise(path);
        outcomes.read++;
      } catch (err) {
        if (err instanceof RecordingError) outcomes.refused++;
        if (process.env.FUZZ_VERBOSE) process.stdout.write(`case ${c}: ${mutation}: ${(err as Error).message}\n`);
        if (!(err instanceof RecordingError)) failures.push({ case: c, mutation, error: String((err as Error).stack ?? err).split("\n").slice(0, 3).join(" | ") });
        else if (err.message.length > 400 || err.message.includes("\n")) failures.push({ case: c, mutation, error: `not one short line: ${err.message.slice(0, 200)}` });
      }
      const ms = performance.now() - start;
      if (ms > 20_000) failures.push({ case: c, mutation, error: `took ${ms.toFixed(0)} ms` });
      rmSync(path, { force: true });
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return failures;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const arg = (flag: string, fallback: number) => {
    const i = process.argv.indexOf(flag);
    return i >= 0 ? Number(process.argv[i + 1]) : fallback;
  };
  const cases = arg("--cases", 500);
  const seed = arg("--seed", Date.now() % 100_000);
  const failures = fuzzRecordings(cases, seed);
  for (const f of failures) process.stdout.write(`case ${f.case} (seed ${seed}): ${f.mutation}: ${f.error}\n`);
  process.stdout.write(`${cases} mutated recordings, seed ${seed}: ${outcomes.read} read, ${outcomes.refused} refused with a clear error, ${failures.length} failures\n`);
  process.exitCode = failures.length > 0 ? 1 : 0;
}
