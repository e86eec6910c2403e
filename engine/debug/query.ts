// "Ask the recording": read-only SQL over documented views of a recording, built in a private in-memory database
// from the recording reader's event iteration (never from its storage tables, whose layout may change).

import Database from "better-sqlite3";
import type { Recording } from "../record/recording.ts";
import { numbered, pairCalls, serviceOf, type NumberedEvent } from "./calls.ts";

/** The views, their columns and what they mean (README and `hedron-lab query --help` print this). */
export const VIEWS = {
  events: "seq, icount, vcycles, host_ns, kind, cpu, pd, ec, name, args, result, cost, call_id — every event, in order",
  syscalls: "seq, icount, vcycles, pd, ec, name, args, result, ret, errno, cost — forwarded Linux syscalls with decoded arguments; ret is the number returned, errno its name when negative",
  portal_calls: "call_id, seq, icount, vcycles, pd, ec, portal, service, target, syscall, reply_seq, reply_icount, reply_vcycles, reply_result, vcycles_total, host_ns_elapsed — each portal call with its reply",
  processes: "pid, name, pd, ec, argv, start_icount, exit_icount, exit — process starts and exits",
  costs: "call_id, kind, part, vcycles — modelled cycles of each portal call, split by part (kernel entry + IPC call, Linux personality, …)",
} as const;

export interface QueryResult {
  columns: string[];
  rows: unknown[][];
  /** True when more rows matched than returned. */
  truncated: boolean;
}

const SCHEMA = `
CREATE TABLE events (seq INTEGER PRIMARY KEY, icount INTEGER, vcycles INTEGER, host_ns INTEGER, kind TEXT, cpu INTEGER, pd INTEGER, ec INTEGER, name TEXT, args TEXT, result TEXT, cost INTEGER, call_id INTEGER);
CREATE TABLE syscalls (seq INTEGER PRIMARY KEY, icount INTEGER, vcycles INTEGER, pd INTEGER, ec INTEGER, name TEXT, args TEXT, result TEXT, ret INTEGER, errno TEXT, cost INTEGER);
CREATE TABLE portal_calls (call_id INTEGER PRIMARY KEY, seq INTEGER, icount INTEGER, vcycles INTEGER, pd INTEGER, ec INTEGER, portal TEXT, service TEXT, target TEXT, syscall TEXT, reply_seq INTEGER, reply_icount INTEGER, reply_vcycles INTEGER, reply_result TEXT, vcycles_total INTEGER, host_ns_elapsed INTEGER);
CREATE TABLE processes (pid INTEGER, name TEXT, pd INTEGER, ec INTEGER, argv TEXT, start_icount INTEGER, exit_icount INTEGER, exit TEXT);
CREATE TABLE costs (call_id INTEGER, kind TEXT, part TEXT, vcycles INTEGER);
`;

const RET = /^(-?\d+)(?:\s+(E[A-Z0-9]+))?/;

export class RecordingQuery {
  private readonly db: Database.Database;

  constructor(rec: Recording) {
    this.db = new Database(":memory:");
    this.db.exec(SCHEMA);
    this.load(rec);
    this.db.pragma("query_only = 1");
  }

  close(): void {
    this.db.close();
  }

  /** Runs one read-only statement; anything that writes, attaches or returns no rows is refused. */
  run(sql: string, maxRows = 10_000): QueryResult {
    let stmt: Database.Statement;
    try {
      stmt = this.db.prepare(sql);
    } catch (error) {
      throw new Error(`the query does not compile: ${(error as Error).message}`);
    }
    if (!stmt.reader || !stmt.readonly) throw new Error("only read-only queries that return rows (SELECT, WITH …) are allowed");
    const columns = stmt.columns().map((c) => c.name);
    const rows: unknown[][] = [];
    let truncated = false;
    try {
      for (const row of stmt.raw(true).iterate() as IterableIterator<unknown[]>) {
        if (rows.length >= maxRows) {
          truncated = true;
          break;
        }
        rows.push(row.map((v) => (typeof v === "bigint" ? Number(v) : v instanceof Buffer ? `<${v.length} bytes>` : v)));
      }
    } catch (error) {
      throw new Error(`the query failed: ${(error as Error).message}`);
    }
    return { columns, rows, truncated };
  }

  private load(rec: Recording): void {
    const db = this.db;
    const insertEvent = db.prepare("INSERT INTO events VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)");
    const insertSyscall = db.prepare("INSERT INTO syscalls VALUES (?,?,?,?,?,?,?,?,?,?,?)");
    const insertCall = db.prepare("INSERT INTO portal_calls VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)");
    const insertProcess = db.prepare("INSERT INTO processes VALUES (?,?,?,?,?,?,?,?)");
    const insertCost = db.prepare("INSERT INTO costs VALUES (?,?,?,?)");
    const processes = new Map<string, unknown[]>();
    db.transaction(() => {
      const events: NumberedEvent[] = [];
      for (const e of numbered(rec.eachEvent())) {
        const seq = e.seq;
        events.push(e);
        insertEvent.run(seq, e.icount, e.vcycles, e.hostNs, e.kind, e.cpu, e.pd, e.ec, e.name, e.args, e.result, e.cost, e.callId ?? null);
        if (e.kind === "foreign_syscall") {
          const m = RET.exec(e.result);
          insertSyscall.run(seq, e.icount, e.vcycles, e.pd, e.ec, e.name, e.args, e.result, m ? Number(m[1]) : null, m?.[2] ?? null, e.cost);
        } else if (e.kind === "process_start") {
          processes.set(`${e.pd}:${e.result}`, [Number(/\d+/.exec(e.result)?.[0] ?? -1), e.name, e.pd, e.ec, e.args, e.icount, null, null]);
        } else if (e.kind === "process_exit") {
          const row = processes.get(`${e.pd}:${e.args}`);
          if (row) {
            row[6] = e.icount;
            row[7] = e.result;
          }
        }
      }
      for (const p of pairCalls(events)) {
        const c = p.call;
        const target = /→ (.*)$/.exec(c.args)?.[1] ?? "";
        insertCall.run(c.callId!, c.seq, c.icount, c.vcycles, c.pd, c.ec, c.name, serviceOf(c), target, p.syscall?.name ?? null, p.reply.seq, p.reply.icount, p.reply.vcycles, p.reply.result, p.total, p.reply.hostNs - c.hostNs);
        for (const [part, value] of Object.entries(p.parts)) insertCost.run(c.callId!, p.kind, part, value);
      }
      for (const row of processes.values()) insertProcess.run(...row);
    })();
  }
}
