// The event table and the details pane: filtered pages of a recording's events, and everything about one event
// (its portal call and reply, the syscall it carried, what happened inside, the modelled cost by part).

import { numbered, pairCalls } from "../engine/debug/calls.ts";
import type { Recording } from "../engine/record/recording.ts";
import { matches } from "./event-filter.ts";
import type { EventDetails, EventFilter, EventPage, TableEvent } from "./protocol.ts";

const MAX_INSIDE = 50;

/** One page of the events matching `filter`; with `around` (an event number), the page holding it (or the next match). */
export function eventPage(events: readonly TableEvent[], filter: EventFilter, offset: number, limit: number, around?: number): EventPage {
  const hits = events.filter((e) => matches(filter, e));
  if (around !== undefined) {
    const at = hits.findIndex((e) => e.seq >= around);
    offset = Math.floor((at < 0 ? Math.max(0, hits.length - 1) : at) / limit) * limit;
  }
  return { total: hits.length, offset, events: hits.slice(offset, offset + limit) };
}

/** All events of a recording, numbered as the recording numbers them. */
export function tableEvents(rec: Recording): TableEvent[] {
  return [...numbered(rec.eachEvent())];
}

export function eventDetails(events: readonly TableEvent[], seq: number): EventDetails {
  const event = events[seq - 1];
  if (!event || event.seq !== seq) throw new Error(`the recording has no event number ${seq}`);
  // The call it belongs to: itself, the call of a reply, or the innermost call open when it happened.
  let callSeq = -1;
  if (event.kind === "portal_call") callSeq = seq;
  else if (event.kind === "portal_reply") {
    for (let i = seq - 2; i >= 0 && callSeq < 0; i--) if (events[i]!.kind === "portal_call" && events[i]!.callId === event.callId) callSeq = i + 1;
  }
  else {
    const open: number[] = [];
    for (let i = 0; i < seq - 1; i++) {
      const e = events[i]!;
      if (e.kind === "portal_call") open.push(e.seq);
      else if (e.kind === "portal_reply") {
        const at = open.map((s) => events[s - 1]!.callId).lastIndexOf(e.callId);
        if (at >= 0) open.splice(at, 1);
      }
    }
    callSeq = open.at(-1) ?? -1;
  }
  const none: EventDetails = { event, call: null, reply: null, syscall: null, callKind: null, cost: null, inside: [] };
  if (callSeq < 0) return none;
  const callId = events[callSeq - 1]!.callId;
  const end = events.findIndex((e) => e.seq > callSeq && e.kind === "portal_reply" && e.callId === callId);
  const span = events.slice(callSeq - 1, end < 0 ? events.length : end + 1);
  const paired = [...pairCalls(span)].find((p) => p.call.seq === callSeq);
  return {
    event,
    call: events[callSeq - 1]!,
    reply: paired?.reply ?? null,
    syscall: paired?.syscall ?? null,
    callKind: paired?.kind ?? null,
    cost: paired ? { total: paired.total, parts: paired.parts } : null,
    inside: span.slice(1, end < 0 ? undefined : -1).slice(0, MAX_INSIDE),
  };
}
