// The parts a portal call's modelled cost is split into, in one fixed order: the Costs view gives each part one
// colour in every chart and recording. No imports, so the renderer can use it too.

import type { EventKind } from "../events.ts";

export const PART_ENTRY = "kernel entry + IPC call";
export const PART_REPLY = "IPC reply + kernel exit";
export const PART_OTHER = "other (instructions, service work)";
export const NESTED_CALLS = "nested portal calls";
/** Events inside a call and the part their cost belongs to. */
export const NESTED_PART: Partial<Record<EventKind, string>> = {
  foreign_syscall: "Linux personality",
  hypercall: "handler hypercalls",
  exception: "exceptions",
  schedule: "context switches",
};
/** Every part in a fixed order, so charts give each part one colour in every recording. */
export const COST_PARTS = [PART_ENTRY, NESTED_PART.foreign_syscall!, NESTED_PART.hypercall!, NESTED_PART.exception!, NESTED_PART.schedule!, NESTED_CALLS, PART_REPLY, PART_OTHER];

