// The Costs view's data: every portal call of a recording paired with its reply, grouped by call kind, with the
// modelled cycles split by where they went. Events are stamped after their own cost is charged (kernel.ts).

import { existsSync, readFileSync } from "node:fs";
import type { Recording } from "../engine/record/recording.ts";
import type { CostReport, CostRow, ServiceCost } from "./protocol.ts";
import { numbered, pairCalls } from "../engine/debug/calls.ts";

/** Samples kept per call kind for the distributions (enough for stable quartiles, bounded for the wire). */
const MAX_SAMPLES = 2000;

/** The part of `hedron-lab bench syscalls --json` (saved as bench-syscalls.json) the Costs view reads; other
 *  fields and rows without a syscall name are ignored. */
export interface SyscallBenchJson {
  rows: {
    /** Linux syscall name, as the personality's table names it ("getpid", "write" …); null for native rows. */
    syscall: string | null;
    /** Host-measured cycles per call of the syscall run natively on Linux (rdtsc), null where not measured. */
    nativeLinux: number | null;
    /** Service rows only: the row's name, and the lab's cycles per call through the personality and the SDK client. */
    row?: string;
    service?: "net" | "disk";
    labForeign?: number | null;
    labNative?: number | null;
  }[];
}

export interface NativeLinux {
  values: Record<string, number>;
  /** The bench's service rows: one call through the Linux personality and through the native SDK path. */
  services: ServiceCost[];
  /** The bench file read, or (when there is none) the file the lab would read. */
  file: string;
  found: boolean;
}

/** Native Linux cycles per syscall from the first of `files` that exists. */
export function readNativeLinux(files: [string, ...string[]]): NativeLinux {
  const file = files.find((f) => existsSync(f));
  if (!file) return { values: {}, services: [], file: files[0], found: false };
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, "utf8"));
  } catch (error) {
    throw new Error(`${file}: not the JSON of \`hedron-lab bench syscalls --json\` (${(error as Error).message})`);
  }
  const rows = (json as Partial<SyscallBenchJson> | null)?.rows;
  if (!Array.isArray(rows)) throw new Error(`${file}: no "rows" array; write it with \`hedron-lab bench syscalls --json\``);
  const values: Record<string, number> = {};
  const services: ServiceCost[] = [];
  const finite = (v: unknown): v is number => typeof v === "number" && Number.isFinite(v);
  for (const row of rows as Partial<SyscallBenchJson["rows"][number]>[]) {
    if (typeof row?.syscall === "string" && finite(row.nativeLinux)) values[row.syscall] = row.nativeLinux;
    if ((row?.service === "net" || row?.service === "disk") && typeof row.row === "string" && finite(row.labForeign) && finite(row.labNative)) {
      services.push({ row: row.row, service: row.service, linux: row.labForeign, native: row.labNative, nativeLinux: finite(row.nativeLinux) ? row.nativeLinux : null });
    }
  }
  return { values, services, file, found: true };
}

export function costReport(id: string, recording: Recording, nativeLinux?: NativeLinux): CostReport {
  let seed = 0x9e3779b9;
  const random = () => {
    seed ^= seed << 13;
    seed ^= seed >>> 17;
    seed ^= seed << 5;
    return (seed >>> 0) / 2 ** 32;
  };
  const rows = new Map<string, CostRow & { seen: number; sums: Record<string, number> }>();
  for (const { call, reply, syscall, kind, total, parts } of pairCalls(numbered(recording.eachEvent()))) {
    const path = syscall !== null ? "foreign" : "native";
    let row = rows.get(kind);
    if (!row) {
      row = { kind, path, count: 0, vcycles: [], hostNs: [], breakdown: {}, seen: 0, sums: {} };
      rows.set(kind, row);
    }
    row.count++;
    for (const [part, value] of Object.entries(parts)) row.sums[part] = (row.sums[part] ?? 0) + value;
    // Reservoir sampling keeps the distributions unbiased when a kind has more calls than we ship; a fixed-seed
    // generator keeps the same recording's charts identical from one opening to the next.
    row.seen++;
    const slot = row.vcycles.length < MAX_SAMPLES ? row.vcycles.length : Math.floor(random() * row.seen);
    if (slot < MAX_SAMPLES) {
      row.vcycles[slot] = total;
      row.hostNs[slot] = reply.hostNs - call.hostNs;
    }
  }
  return {
    recording: id,
    rows: [...rows.values()]
      .sort((a, b) => a.path.localeCompare(b.path) || b.count - a.count)
      .map(({ seen: _seen, sums, ...row }) => ({
        ...row,
        breakdown: Object.fromEntries(Object.entries(sums).map(([part, sum]) => [part, sum / row.count])),
      })),
    nativeLinux: nativeLinux?.values ?? {},
    services: nativeLinux?.services ?? [],
    nativeLinuxFile: nativeLinux ? { path: nativeLinux.file, found: nativeLinux.found } : null,
  };
}
