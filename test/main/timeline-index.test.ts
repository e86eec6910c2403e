// The timeline's level of detail over a real bundled recording: aggregates must account for exactly the events
// of the range, per track, on both axes, and small ranges must come back event by event.

import assert from "node:assert/strict";
import { resolve } from "node:path";
import { after, before, test } from "node:test";
import { Recording } from "../../engine/record/recording.ts";
import { DETAIL_LIMIT, TimelineIndex } from "../../main/timeline-index.ts";

let rec: Recording;
let index: TimelineIndex;
let all: ReturnType<Recording["events"]>;
/** A detail limit below the fixture's size, so its ranges aggregate as a 10^6-event recording's would. */
const SMALL_LIMIT = 100;

before(async () => {
  rec = Recording.open(resolve(import.meta.dirname, "../../recordings/fileio.hlrec"));
  const total = rec.summary().events;
  let progress = 0;
  index = await TimelineIndex.build(rec, total, (done) => (progress = done));
  assert.equal(progress, total);
  all = rec.events(0, Number.MAX_SAFE_INTEGER, total);
  assert.ok(all.length > 4 * SMALL_LIMIT, "the fixture needs more events than a detailed view holds");
});

after(() => rec.close());

test("tracks are the recording's PD/EC pairs, ordered by PD then EC", () => {
  const pairs = new Set(all.map((e) => `${e.pd}:${e.ec}`));
  assert.deepEqual(new Set(index.tracks.map((t) => `${t.pd}:${t.ec}`)), pairs);
  const sorted = [...index.tracks].sort((a, b) => a.pd - b.pd || a.ec - b.ec);
  assert.deepEqual(index.tracks, sorted);
});

for (const axis of ["icount", "vcycles"] as const) {
  test(`buckets on the ${axis} axis count every event of the range once, on its own track`, () => {
    const end = index.end(axis);
    const from = Math.floor(end / 4);
    const to = end;
    const inRange = all.filter((e) => e[axis] >= from && e[axis] <= to);
    const slice = index.slice(rec, axis, from, to, 50, SMALL_LIMIT);
    assert.equal(slice.events.length, 0);
    assert.equal(slice.total, inRange.length);
    assert.equal(slice.buckets.reduce((n, b) => n + b.count, 0), inRange.length);
    for (const [t, track] of index.tracks.entries()) {
      const expected = inRange.filter((e) => e.pd === track.pd && e.ec === track.ec).length;
      assert.equal(slice.buckets.filter((b) => b.track === t).reduce((n, b) => n + b.count, 0), expected);
    }
    for (const b of slice.buckets) assert.equal(Object.values(b.kinds).reduce((n, k) => n + (k ?? 0), 0), b.count);
  });

  test(`a small ${axis} range comes back event by event, the same events the recording holds`, () => {
    const middle = all[Math.floor(all.length / 2)]!;
    const from = middle[axis];
    const to = from + 2000;
    const slice = index.slice(rec, axis, from, to, 50);
    const expected = all.filter((e) => e[axis] >= from && e[axis] <= to);
    assert.ok(expected.length > 0 && expected.length <= DETAIL_LIMIT);
    assert.equal(slice.buckets.length, 0);
    assert.deepEqual(slice.events.map(({ track: _t, seq: _s, ...e }) => e), expected);
    for (const e of slice.events) assert.deepEqual([index.tracks[e.track]!.pd, index.tracks[e.track]!.ec], [e.pd, e.ec]);
  });
}
