// Pairs every portal call of an event stream with its reply and splits its modelled cost by part: the one walk
// behind the Costs view, the query views and the event details pane. Events are stamped after their own cost.

import type { MachineEvent } from "../events.ts";
import { SERVICE_NAMES } from "../roottask/services.ts";
import { NESTED_CALLS, NESTED_PART, PART_ENTRY, PART_OTHER, PART_REPLY } from "./cost-parts.ts";

export type NumberedEvent = MachineEvent & { seq: number };

export interface PairedCall {
  call: NumberedEvent;
  reply: NumberedEvent;
  /** The forwarded Linux syscall the call delivered, or null for a native call. */
  syscall: NumberedEvent | null;
  /** "linux:write", "native:stdout", or the portal's name. */
  kind: string;
  /** Modelled cycles from before the call's own charge to the end of the reply's, and their split by part. */
  total: number;
  parts: Record<string, number>;
}

/** The native service a portal call reaches, from its "pt N id M → ec …" arguments (the slot is id mod 256). */
export function serviceOf(call: MachineEvent): string | null {
  const id = /\bid (\d+)/.exec(call.args);
  return id ? (SERVICE_NAMES[Number(id[1]) % 256] ?? null) : null;
}

export function callKind(call: MachineEvent, syscall: string | null): string {
  if (syscall !== null) return `linux:${syscall}`;
  return `native:${serviceOf(call) ?? call.name}`;
}

/** Numbers events from 1 in stream order, as the recording does. */
export function* numbered(events: Iterable<MachineEvent>): Generator<NumberedEvent> {
  let seq = 0;
  for (const e of events) yield { ...e, seq: ++seq };
}

/** Yields each call once its reply arrives (nested calls before the calls that contain them). */
export function* pairCalls(events: Iterable<NumberedEvent>): Generator<PairedCall> {
  interface Open { call: NumberedEvent; syscall: NumberedEvent | null; parts: Record<string, number> }
  const open = new Map<number, Open>();
  const stack: Open[] = [];
  for (const e of events) {
    if (e.kind === "portal_call" && e.callId !== undefined) {
      const entry: Open = { call: e, syscall: null, parts: {} };
      open.set(e.callId, entry);
      stack.push(entry);
      continue;
    }
    if (e.kind !== "portal_reply" || e.callId === undefined) {
      const inner = stack.at(-1);
      if (!inner) continue;
      if (e.kind === "foreign_syscall" && inner.syscall === null) inner.syscall = e;
      const part = NESTED_PART[e.kind];
      if (part) inner.parts[part] = (inner.parts[part] ?? 0) + e.cost;
      continue;
    }
    const entry = open.get(e.callId);
    if (!entry) continue;
    open.delete(e.callId);
    stack.splice(stack.lastIndexOf(entry), 1);
    const total = e.vcycles - (entry.call.vcycles - entry.call.cost);
    const parts: Record<string, number> = { [PART_ENTRY]: entry.call.cost, ...entry.parts, [PART_REPLY]: e.cost };
    parts[PART_OTHER] = Math.max(0, total - Object.values(parts).reduce((a, b) => a + b, 0));
    const parent = stack.at(-1);
    if (parent) parent.parts[NESTED_CALLS] = (parent.parts[NESTED_CALLS] ?? 0) + total;
    yield { call: entry.call, reply: e, syscall: entry.syscall, kind: callKind(entry.call, entry.syscall?.name ?? null), total, parts };
  }
}
