// Exports of a recording's event stream: CSV for spreadsheets and Chrome trace-event JSON for Perfetto.
// Recordings can be large, so both stream their output in pieces instead of building one string.

import type { MachineEvent } from "../events.ts";
import { TSC_KHZ } from "../hedron/costs.ts";
import type { Recording } from "./recording.ts";

export type Sink = (text: string) => void;

const CSV_COLUMNS = ["icount", "vcycles", "host_ns", "kind", "cpu", "pd", "ec", "name", "args", "result", "cost", "call_id"] as const;

/** RFC 4180 field; guest-chosen text that a spreadsheet would take for a formula gets a leading quote mark. */
export function csvField(value: string | number | undefined, guestText = false): string {
  if (value === undefined) return "";
  let s = String(value);
  if (guestText && /^[=+\-@\t\r]/.test(s)) s = "'" + s;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** Batches small writes: one sink call per ~64 KiB. */
function buffered(sink: Sink): { write: Sink; end: () => void } {
  let parts: string[] = [];
  let size = 0;
  return {
    write(text) {
      parts.push(text);
      size += text.length;
      if (size >= 65536) {
        sink(parts.join(""));
        parts = [];
        size = 0;
      }
    },
    end() {
      if (parts.length) sink(parts.join(""));
    },
  };
}

export function exportCsv(recording: Recording, sink: Sink, onEvent?: () => void): number {
  const out = buffered(sink);
  out.write(CSV_COLUMNS.join(",") + "\r\n");
  let n = 0;
  for (const e of recording.eachEvent()) {
    out.write(
      [
        e.icount, e.vcycles, e.hostNs, e.kind, e.cpu, e.pd, e.ec,
        csvField(e.name, true), csvField(e.args, true), csvField(e.result, true), e.cost, csvField(e.callId),
      ].join(",") + "\r\n",
    );
    n++;
    onEvent?.();
  }
  out.end();
  return n;
}

/**
 * Chrome trace-event JSON (the "JSON Array/Object Format" Perfetto and chrome://tracing import).
 * Tracks: one process per PD, one thread per EC. Time: virtual time (modelled cycles at the modelled TSC
 * clock), since that is the guest's time and it is reproducible; host time is noise. Portal calls become complete
 * ("X") slices from call to reply; every other event is an instant on its EC's track.
 */
export function exportChromeTrace(recording: Recording, sink: Sink, onEvent?: () => void): number {
  const out = buffered(sink);
  const session = recording.session;
  out.write(
    `{"displayTimeUnit":"ns","otherData":${JSON.stringify({
      guest: session.guest, args: session.args, seed: session.seed, status: session.status, clock: `virtual time: modelled cycles at ${TSC_KHZ} kHz`,
    })},"traceEvents":[\n`,
  );
  let first = true;
  const emit = (obj: object) => {
    out.write((first ? "" : ",\n") + JSON.stringify(obj));
    first = false;
  };
  const ts = (vcycles: number) => vcycles / (TSC_KHZ / 1000);
  const namedPds = new Set<number>();
  const namedEcs = new Set<string>();
  const track = (e: MachineEvent) => {
    const pid = e.pd;
    const tid = e.ec;
    if (!namedPds.has(pid)) {
      namedPds.add(pid);
      emit({ ph: "M", name: "process_name", pid, tid: 0, args: { name: pid < 0 ? "kernel" : `PD ${pid}` } });
      emit({ ph: "M", name: "process_sort_index", pid, tid: 0, args: { sort_index: pid } });
    }
    const key = `${pid}:${tid}`;
    if (!namedEcs.has(key)) {
      namedEcs.add(key);
      emit({ ph: "M", name: "thread_name", pid, tid, args: { name: tid < 0 ? "kernel" : `EC ${tid}` } });
    }
    return { pid, tid };
  };
  const openCalls = new Map<number, MachineEvent>();
  let lastTs = 0;
  let n = 0;
  for (const e of recording.eachEvent()) {
    n++;
    onEvent?.();
    lastTs = Math.max(lastTs, ts(e.vcycles));
    if (e.kind === "portal_call" && e.callId !== undefined) {
      openCalls.set(e.callId, e);
      continue;
    }
    if (e.kind === "portal_reply" && e.callId !== undefined) {
      const call = openCalls.get(e.callId);
      if (call) {
        openCalls.delete(e.callId);
        emit({
          ph: "X", cat: "portal", name: call.name, ...track(call), ts: ts(call.vcycles), dur: ts(e.vcycles) - ts(call.vcycles),
          args: { args: call.args, result: e.result, icount: call.icount, replyIcount: e.icount, cost: call.cost + e.cost, callId: e.callId },
        });
        continue;
      }
    }
    if (e.kind === "process_start") {
      const t = track(e);
      emit({ ph: "M", name: "process_name", pid: t.pid, tid: 0, args: { name: `PD ${e.pd}: ${e.name}` } });
    }
    emit({
      ph: "i", s: "t", cat: e.kind, name: e.kind === "foreign_syscall" ? e.name : `${e.kind} ${e.name}`, ...track(e), ts: ts(e.vcycles),
      args: { args: e.args, result: e.result, icount: e.icount, cost: e.cost },
    });
  }
  // Calls still open when the recording ends (the run stopped inside them) last until the end.
  for (const call of openCalls.values()) {
    emit({
      ph: "X", cat: "portal", name: call.name, ...track(call), ts: ts(call.vcycles), dur: lastTs - ts(call.vcycles),
      args: { args: call.args, result: "(no reply recorded)", icount: call.icount, callId: call.callId },
    });
  }
  out.write("\n]}\n");
  out.end();
  return n;
}
