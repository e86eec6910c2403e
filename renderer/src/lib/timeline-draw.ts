// Draws a timeline slice onto a canvas (and into SVG for export): spans for portal calls, marks for the rest.
// The slice is already level-of-detail reduced by the main process, so drawing is O(items on screen).

import type { MachineEvent, TimelineSlice } from "../../../main/protocol.ts";

export const TRACK_HEIGHT = 26;
export const AXIS_HEIGHT = 24;

export const KIND_COLORS: Record<string, string> = {
  portal_call: "#5fb3ff",
  portal_reply: "#5fb3ff",
  hypercall: "#7bd88f",
  foreign_syscall: "#ffb454",
  exception: "#ff5370",
  schedule: "#6b7a8c",
  process_start: "#c792ea",
  process_exit: "#e0e6ef",
};

type SliceEvent = TimelineSlice["events"][number];

/** Something drawn that hover and click can find again. */
export interface Hit {
  x0: number;
  x1: number;
  y0: number;
  y1: number;
  /** Where a click moves the replay; -1 for an aggregate on the virtual-time axis (no single instruction). */
  icount: number;
  /** Hover text, built only when hovered (building it for every shape would dominate a redraw). */
  text: () => string;
}

export interface Shape {
  kind: "span" | "mark" | "flag" | "bar";
  x0: number;
  x1: number;
  y0: number;
  y1: number;
  color: string;
  hit: Hit;
  /** The event drawn (individual events only), for selection and highlighting. */
  event?: SliceEvent;
}

function describe(e: MachineEvent): string {
  return [
    `${e.kind} ${e.name}${e.args ? `(${e.args})` : ""}${e.result ? ` = ${e.result}` : ""}`,
    `PD ${e.pd} · EC ${e.ec} · CPU ${e.cpu}`,
    `icount ${e.icount.toLocaleString("en")} · vcycles ${e.vcycles.toLocaleString("en")}`,
    `modelled cost ${e.cost} cycles`,
    `host clock at the event: ${(e.hostNs / 1e6).toFixed(3)} ms after boot (measured, not a cost)`,
  ].join("\n");
}

export type Axis = "icount" | "vcycles";

/** Lays the slice out as shapes for the x scale (axis value → pixels): the one place that decides what is drawn. */
export function layout(slice: TimelineSlice, axis: Axis, x: (value: number) => number, width: number): Shape[] {
  const shapes: Shape[] = [];
  const rowTop = (track: number) => AXIS_HEIGHT + track * TRACK_HEIGHT;
  if (slice.buckets.length) {
    const max = Math.max(1, ...slice.buckets.map((b) => b.count));
    for (const b of slice.buckets) {
      if (!b.count) continue;
      const x0 = Math.max(0, x(b.start));
      const x1 = Math.min(width, Math.max(x0 + 1, x(b.end)));
      if (x1 < 0 || x0 > width) continue;
      const top = rowTop(b.track);
      const height = Math.max(2, ((TRACK_HEIGHT - 6) * Math.log1p(b.count)) / Math.log1p(max));
      let y = top + TRACK_HEIGHT - 3;
      const kinds = Object.entries(b.kinds);
      const text = () =>
        `${b.count.toLocaleString("en")} events in ${axis} ${Math.round(b.start).toLocaleString("en")}–${Math.round(b.end).toLocaleString("en")}\n` +
        kinds.map(([k, n]) => `${k}: ${n}`).join("\n");
      const hit = { x0, x1, y0: top, y1: top + TRACK_HEIGHT, icount: axis === "icount" ? Math.round(b.start) : -1, text };
      for (const [kind, n] of kinds) {
        const h = (height * (n ?? 0)) / b.count;
        shapes.push({ kind: "bar", x0, x1, y0: y - h, y1: y, color: KIND_COLORS[kind] ?? "#888", hit });
        y -= h;
      }
    }
    return shapes;
  }
  const replies = new Map<number, SliceEvent>();
  for (const e of slice.events) if (e.kind === "portal_reply" && e.callId !== undefined) replies.set(e.callId, e);
  for (const e of slice.events) {
    const top = rowTop(e.track);
    const px = x(e[axis]);
    if (e.kind === "portal_call") {
      const reply = e.callId !== undefined ? replies.get(e.callId) : undefined;
      const end = reply ? x(reply[axis]) : width;
      const x0 = Math.max(px, -1);
      const x1 = Math.min(Math.max(end, px + 2), width + 1);
      if (x1 < 0 || x0 > width) continue;
      const text = () => describe(e) + (reply ? `\nreply: ${reply.result} after ${(reply.vcycles - e.vcycles).toLocaleString("en")} vcycles` : "\n(no reply in view)");
      shapes.push({ kind: "span", x0, x1, y0: top + 4, y1: top + 13, color: KIND_COLORS.portal_call!, hit: { x0, x1, y0: top, y1: top + 14, icount: e.icount, text }, event: e });
    } else if (e.kind !== "portal_reply") {
      if (px < -2 || px > width + 2) continue;
      const flag = e.kind === "exception";
      shapes.push({
        kind: flag ? "flag" : "mark",
        x0: px,
        x1: px + (flag ? 0 : 1.5),
        y0: top + (flag ? 3 : 14),
        y1: top + TRACK_HEIGHT - 3,
        color: KIND_COLORS[e.kind] ?? "#888",
        hit: { x0: px - 3, x1: px + 3, y0: top, y1: top + TRACK_HEIGHT, icount: e.icount, text: () => describe(e) },
        event: e,
      });
    }
  }
  return shapes;
}

/** Draws the shapes with one path per colour (thousands of fillRect calls with style changes are the slow part). */
export function drawCanvas(ctx: CanvasRenderingContext2D, shapes: Shape[]): void {
  const paths = new Map<string, Path2D>();
  const pathFor = (key: string) => {
    let path = paths.get(key);
    if (!path) paths.set(key, (path = new Path2D()));
    return path;
  };
  for (const s of shapes) {
    const path = pathFor(`${s.kind === "span" ? 0.75 : 1}|${s.color}`);
    if (s.kind === "flag") {
      path.moveTo(s.x0, s.y0);
      path.lineTo(s.x0 - 5, s.y0 + 9);
      path.lineTo(s.x0 + 5, s.y0 + 9);
      path.closePath();
      path.rect(s.x0 - 0.5, s.y0 + 9, 1, s.y1 - s.y0 - 9);
    } else {
      // Whole pixels: fractional edges make the rasteriser antialias every rectangle.
      const x0 = Math.round(s.x0);
      const y0 = Math.round(s.y0);
      path.rect(x0, y0, Math.max(1, Math.round(s.x1) - x0), Math.max(1, Math.round(s.y1) - y0));
    }
  }
  for (const [key, path] of paths) {
    const [alpha, color] = key.split("|");
    ctx.globalAlpha = Number(alpha);
    ctx.fillStyle = color!;
    ctx.fill(path);
  }
  ctx.globalAlpha = 1;
}

/** Rings around the highlighted shapes (events the table's filter matches) and a bolder one around the selection. */
export function drawHighlights(ctx: CanvasRenderingContext2D, shapes: Shape[], highlighted: (e: SliceEvent) => boolean, selected: number): number {
  let count = 0;
  ctx.lineWidth = 1;
  for (const s of shapes) {
    if (!s.event) continue;
    const isSelected = s.event.seq === selected;
    if (!isSelected && !highlighted(s.event)) continue;
    count++;
    ctx.strokeStyle = isSelected ? "#ffffff" : "#ffe066";
    ctx.lineWidth = isSelected ? 2 : 1;
    ctx.strokeRect(Math.round(s.x0) - 2.5, Math.round(s.y0) - 2.5, Math.max(1, Math.round(s.x1 - s.x0)) + 5, Math.round(s.y1 - s.y0) + 5);
  }
  return count;
}

/** The same shapes as SVG elements, for export. */
export function shapesToSvg(shapes: Shape[]): string {
  return shapes
    .map((s) =>
      s.kind === "flag"
        ? `<path d="M${s.x0},${s.y0}l-5,9h10z" fill="${s.color}"/><rect x="${s.x0 - 0.5}" y="${s.y0 + 9}" width="1" height="${s.y1 - s.y0 - 9}" fill="${s.color}"/>`
        : `<rect x="${s.x0.toFixed(1)}" y="${s.y0.toFixed(1)}" width="${Math.max(1, s.x1 - s.x0).toFixed(1)}" height="${(s.y1 - s.y0).toFixed(1)}" fill="${s.color}"${s.kind === "span" ? ' fill-opacity="0.75"' : ""}><title>${escapeXml(s.hit.text())}</title></rect>`,
    )
    .join("");
}

export function escapeXml(text: string): string {
  return text.replace(/[<>&"]/g, (c) => ({ "<": "&lt;", ">": "&gt;", "&": "&amp;", '"': "&quot;" })[c]!);
}
