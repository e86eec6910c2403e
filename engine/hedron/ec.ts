// Execution context: registers, UTCB, event base, CPU; global (runs on its own SC) or local (runs on a caller's donated SC).
// Its blocking state is one field so the scheduler, IPC and snapshots all read the same thing.

import { CpuState } from "../cpu/state.ts";

/**
 * running: may execute (global EC with its SC, or local EC serving a call). idle: a local EC waiting for
 * a call. call: blocked until its callee replies. sm: blocked on a semaphore. busy: waiting for a busy
 * callee to finish (the call is retried). dead: killed or destroyed.
 */
export type EcWait = "running" | "idle" | "call" | "sm" | "busy" | "dead";

export interface Ec {
  id: number;
  refs: number;
  name: string;
  pd: number;
  cpu: number;
  global: boolean;
  /** Runs TypeScript handlers: the kernel calls the host runtime instead of loading the registers on a CPU. */
  host: boolean;
  evt: number;
  utcbAddr: number;
  utcbFrame: number;
  state: CpuState;
  wait: EcWait;
  /** Own SC (global ECs) or -1. */
  sc: number;
  /** While serving a call: the SC whose time it runs on. */
  donor: number;
  /** The reply capability: the EC whose call this EC is serving, -1 if none. */
  caller: number;
  /** What the pending reply returns: an IPC message, or registers for an event (exception, startup, foreign syscall). */
  callKind: "ipc" | "event";
  /** Correlates the portal_call and portal_reply events of the call this EC serves. */
  callId: number;
  /** Name of the portal call this EC serves (for the reply event). */
  callName: string;
  /** ECs waiting to call this EC while it serves another caller; they retry their `call`. */
  waiters: number[];
  /** STARTUP not yet delivered (global ECs before their first run). */
  startup: boolean;
  /** ec_ctrl recall pending: RECALL is delivered before the EC next runs guest code. */
  recall: boolean;
  /** Status the EC's pending hypercall returns when it resumes (sm down, busy call). */
  resumeStatus: number;
}

export function createEc(
  id: number,
  name: string,
  p: { pd: number; cpu: number; global: boolean; host: boolean; evt: number; utcbAddr: number; utcbFrame: number; rsp: number },
): Ec {
  const state = new CpuState();
  state.set(4, p.rsp);
  return {
    id, refs: 0, name, pd: p.pd, cpu: p.cpu, global: p.global, host: p.host, evt: p.evt,
    utcbAddr: p.utcbAddr, utcbFrame: p.utcbFrame, state,
    wait: p.global ? "running" : "idle",
    sc: -1, donor: -1, caller: -1, callKind: "ipc", callId: 0, callName: "", waiters: [],
    startup: p.global && !p.host, recall: false, resumeStatus: -1,
  };
}

/** Can this EC execute when its SC is picked? */
export function runnable(ec: Ec): boolean {
  return ec.wait === "running";
}
