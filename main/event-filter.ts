// The event table's filter, shared by the main process (which pages the table) and the renderer (whose timeline
// highlights the same events): kind, PD, EC, name, errno and free-text search.

import type { EventFilter, MachineEvent } from "./protocol.ts";

/** True when no field of the filter is set (nothing to highlight). */
export function filterEmpty(filter: EventFilter): boolean {
  return Object.values(filter).every((v) => v === undefined || v === "");
}

export function matches(filter: EventFilter, e: MachineEvent): boolean {
  if (filter.kind !== undefined && e.kind !== filter.kind) return false;
  if (filter.fromIcount !== undefined && e.icount < filter.fromIcount) return false;
  if (filter.toIcount !== undefined && e.icount > filter.toIcount) return false;
  if (filter.pd !== undefined && e.pd !== filter.pd) return false;
  if (filter.ec !== undefined && e.ec !== filter.ec) return false;
  if (filter.name !== undefined && e.name !== filter.name) return false;
  if (filter.errno !== undefined && !new RegExp(`\\b${filter.errno.replace(/\W/g, "")}\\b`).test(e.result)) return false;
  if (filter.search !== undefined) {
    const needle = filter.search.toLowerCase();
    if (![e.name, e.args, e.result].some((text) => text.toLowerCase().includes(needle))) return false;
  }
  return true;
}

