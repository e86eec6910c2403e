// Protection domain: a memory space, an I/O port space and an object space, plus the foreign flag of HEDRON.md §8.
// A plain record: the kernel finds PDs by id, capabilities name them by id, nothing holds a closure.

import { AddressSpace } from "../memory/address-space.ts";
import type { FramePool } from "../memory/frames.ts";
import type { CapHolder, Counted } from "./capspace.ts";

export interface Pd extends CapHolder, Counted {
  id: number;
  name: string;
  /** The root PD: may delegate physical memory (transfer items with the kernel-source bit). */
  privileged: boolean;
  /** Its ECs run TypeScript handlers (the roottask), not guest code. */
  host: boolean;
  /** Syscalls of its ECs without NSCT go to portal EVT + foreignBase + CPU. */
  foreign: boolean;
  foreignBase: number;
  /** A foreign PD one of whose ECs made a native call with NSCT set: a hybrid app (HEDRON.md §8). */
  nsctUsed: boolean;
  dead: boolean;
}

export function createPd(
  id: number,
  name: string,
  frames: FramePool,
  opts: { privileged?: boolean; host?: boolean; foreign?: boolean; foreignBase?: number } = {},
): Pd {
  return {
    id,
    name,
    refs: 0,
    objects: new Map(),
    space: new AddressSpace(frames),
    ports: new Map(),
    utcbPages: new Set(),
    privileged: opts.privileged ?? false,
    host: opts.host ?? false,
    foreign: opts.foreign ?? false,
    foreignBase: opts.foreignBase ?? 0,
    nsctUsed: false,
    dead: false,
  };
}
