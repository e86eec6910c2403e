// The timeline's level of detail: a compact in-memory column index of a recording's events (icount, vcycles, track,
// kind) that answers "per-track buckets for this range" in milliseconds, so zoom and pan stay smooth at 10^6 events.

import type { EventKind } from "../engine/events.ts";
import type { Recording } from "../engine/record/recording.ts";
import type { Bucket, TimelineSlice, Track } from "./protocol.ts";
import { SERVICE_LABELS, ServiceClassifier, type Service } from "./service-tracks.ts";

const KINDS: EventKind[] = ["portal_call", "portal_reply", "hypercall", "foreign_syscall", "exception", "schedule", "process_start", "process_exit"];
/** Events read per page while indexing; the host yields between pages so it keeps answering other requests. */
const PAGE = 20_000;
/** At most this many events in a range are sent one by one; beyond it the range is aggregated. */
export const DETAIL_LIMIT = 2000;

export type Axis = "icount" | "vcycles";

export class TimelineIndex {
  private constructor(
    readonly tracks: Track[],
    private readonly columns: Record<Axis, Float64Array>,
    private readonly track: Uint16Array,
    private readonly kind: Uint8Array,
  ) {}

  /** Reads every event once (in pages, yielding between them) and keeps three columns of it. */
  static async build(rec: Recording, total: number, progress: (done: number) => void): Promise<TimelineIndex> {
    const icount = new Float64Array(total);
    const vcycles = new Float64Array(total);
    const trackCol = new Uint16Array(total);
    const kindCol = new Uint8Array(total);
    const keys = new Map<string, number>();
    const found: { pd: number; ec: number; service?: Service }[] = [];
    const pdNames = new Map<number, string>();
    const services = new ServiceClassifier();
    let n = 0;
    for (;;) {
      const page = rec.eventsAfter(n, PAGE);
      for (const e of page) {
        if (n >= total) break;
        // Network and disk service work gets the service's track; everything else its PD/EC's.
        const service = services.classify(e);
        const key = service ?? `${e.pd}:${e.ec}`;
        let t = keys.get(key);
        if (t === undefined) {
          t = found.length;
          keys.set(key, t);
          found.push(service ? { pd: -1, ec: -1, service } : { pd: e.pd, ec: e.ec });
        }
        if (e.kind === "process_start") pdNames.set(e.pd, e.name);
        icount[n] = e.icount;
        vcycles[n] = e.vcycles;
        trackCol[n] = t;
        kindCol[n] = Math.max(0, KINDS.indexOf(e.kind));
        n++;
      }
      progress(n);
      if (page.length < PAGE || n >= total) break;
      await new Promise((resolve) => setImmediate(resolve));
    }
    // Display order: by PD, then EC, then the service tracks; the columns keep the discovery order, so map through a
    // permutation.
    const rankOf = (t: (typeof found)[number]) => (t.service ? Object.keys(SERVICE_LABELS).indexOf(t.service) + 1 : 0);
    const order = found.map((_, i) => i).sort((a, b) => rankOf(found[a]!) - rankOf(found[b]!) || found[a]!.pd - found[b]!.pd || found[a]!.ec - found[b]!.ec);
    const rank = new Uint16Array(found.length);
    order.forEach((original, position) => (rank[original] = position));
    for (let i = 0; i < n; i++) trackCol[i] = rank[trackCol[i]!]!;
    const tracks = order.map((i): Track => {
      const { pd, ec, service } = found[i]!;
      if (service) return { pd, ec, label: SERVICE_LABELS[service], service };
      const name = pdNames.get(pd);
      return { pd, ec, label: `PD ${pd}${name ? ` ${name}` : ""} · EC ${ec}` };
    });
    const columns = { icount: icount.subarray(0, n), vcycles: vcycles.subarray(0, n) };
    return new TimelineIndex(tracks, columns, trackCol.subarray(0, n), kindCol.subarray(0, n));
  }

  /** The largest value of an axis (the end of the recording's time line). */
  end(axis: Axis): number {
    return this.columns[axis].at(-1) ?? 0;
  }

  /** First index whose value is ≥ `value`; both axes grow with the event sequence (the machine's clocks only advance). */
  private lowerBound(column: Float64Array, value: number): number {
    let lo = 0;
    let hi = column.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (column[mid]! < value) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** The events of [from, to] one by one when few enough (details from the recording), else per-track buckets. */
  slice(rec: Recording, axis: Axis, from: number, to: number, buckets: number, detailLimit = DETAIL_LIMIT): TimelineSlice {
    const column = this.columns[axis];
    const lo = this.lowerBound(column, from);
    const hi = this.lowerBound(column, Math.floor(to) + 1);
    const total = hi - lo;
    if (total <= detailLimit) {
      // Index position i is event seq i + 1 (events are numbered from 1 in order).
      const events = rec.eventsAfter(lo, total).map((e, i) => ({ ...e, track: this.track[lo + i]!, seq: lo + i + 1 }));
      return { from, to, end: this.end(axis), tracks: this.tracks, events, buckets: [], total };
    }
    const width = (to - from) / buckets;
    const cells = new Map<number, Bucket>();
    for (let i = lo; i < hi; i++) {
      const b = Math.min(buckets - 1, Math.floor((column[i]! - from) / width));
      const t = this.track[i]!;
      const key = t * buckets + b;
      let cell = cells.get(key);
      if (!cell) {
        cell = { track: t, start: from + b * width, end: from + (b + 1) * width, count: 0, kinds: {} };
        cells.set(key, cell);
      }
      cell.count++;
      const kind = KINDS[this.kind[i]!]!;
      cell.kinds[kind] = (cell.kinds[kind] ?? 0) + 1;
    }
    return { from, to, end: this.end(axis), tracks: this.tracks, events: [], buckets: [...cells.values()], total };
  }
}
