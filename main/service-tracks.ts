// Which recorded events are work of the roottask's network service or FAT disk service: the timeline gives each its
// own track. Decided from the recorded events alone (no recording field names the service), reading them in order.

import type { MachineEvent } from "../engine/events.ts";
import { ROWS, type SyscallRow } from "../engine/roottask/linux/table.ts";
import { SERVICE_NET } from "../engine/roottask/net/service.ts";

export type Service = "net" | "disk";

/** The service tracks' labels, in display order after the PD/EC tracks. */
export const SERVICE_LABELS: Record<Service, string> = {
  net: "network service (sockets)",
  disk: "disk service (FAT /disk)",
};

const ROW_BY_NAME = new Map<string, SyscallRow>(ROWS.map((row) => [row.name, row]));
const NET_PORTAL = `pt ${SERVICE_NET}`;
/** The FAT service's mount point: an absolute path argument at or under it is the disk service's work. */
const DISK_PATH = /^"\/disk(\/|")/;

/** Top-level comma-separated parts of a formatted argument list (quotes, brackets and braces nest). */
function splitArgs(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let quoted = false;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === "\\") i++;
      else if (c === '"') quoted = false;
    } else if (c === '"') quoted = true;
    else if (c === "[" || c === "{" || c === "(") depth++;
    else if (c === "]" || c === "}" || c === ")") depth--;
    else if (c === "," && depth === 0) {
      parts.push(text.slice(start, i).trim());
      start = i + 1;
    }
  }
  if (text.trim()) parts.push(text.slice(start).trim());
  return parts;
}

/**
 * Classifies events in recording order. Linux socket calls (the personality's net family) and native calls of the
 * network portal are the network service's; calls naming a path under /disk are the disk service's. An fd opened by
 * either (socket, accept, an open under /disk) stays that service's for its PD until closed, so read, write, sendfile
 * or fstat on it count too, and so does its dup. Not followed: fds a fork child inherits or SCM_RIGHTS passes, and paths
 * relative to a cwd.
 */
export class ServiceClassifier {
  /** Per PD: fd → the service it reaches. */
  private readonly fds = new Map<number, Map<number, Service>>();

  classify(event: MachineEvent): Service | null {
    if (event.kind === "portal_call" || event.kind === "portal_reply") return event.name === NET_PORTAL ? "net" : null;
    if (event.kind === "process_exit") this.fds.delete(event.pd);
    if (event.kind !== "foreign_syscall") return null;
    const row = ROW_BY_NAME.get(event.name);
    if (!row) return null;
    const args = splitArgs(event.args);
    let fds = this.fds.get(event.pd);
    let service: Service | null = row.family === "net" ? "net" : null;
    for (let i = 0; i < row.args.length && !service && i < args.length; i++) {
      const kind = row.args[i]!.kind;
      const text = args[i]!;
      if (kind === "path" && DISK_PATH.test(text)) service = "disk";
      else if ((kind === "fd" || kind === "dirfd") && /^\d+$/.test(text)) service = fds?.get(Number(text)) ?? null;
    }
    if (!service) return null;
    const result = Number.parseInt(event.result, 10);
    if (row.ret === "fd" && result >= 0) {
      if (!fds) this.fds.set(event.pd, (fds = new Map()));
      fds.set(result, service);
    }
    if (row.name === "close" && result === 0) fds?.delete(Number(args[0]));
    return service;
  }
}
