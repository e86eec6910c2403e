// The machine's one event stream (ARCHITECTURE.md principle 4): the recorder, the live UI, the CLI's
// --trace and --stats, and the tests all subscribe to the same typed events.

export type EventKind =
  | "portal_call" // an IPC call through a portal (explicit, exception, startup or foreign-syscall delivery)
  | "portal_reply" // the matching reply
  | "hypercall" // a native Hedron system call (any number, including call/reply themselves)
  | "foreign_syscall" // a Linux syscall forwarded by the kernel, decoded by the personality
  | "exception" // a CPU exception delivered to (or killing) an EC
  | "schedule" // an SC/EC switch on a virtual CPU
  | "process_start"
  | "process_exit";

export interface MachineEvent {
  kind: EventKind;
  /** Instructions retired on all virtual CPUs when the event happened. */
  icount: number;
  /** Virtual cycles (modelled time) when the event happened. */
  vcycles: number;
  /** Host nanoseconds since machine start: measured, noisy, never guest-visible. */
  hostNs: number;
  cpu: number;
  /** PD and EC the event belongs to (ids as shown in the inspector), -1 if none. */
  pd: number;
  ec: number;
  /** Hypercall name, syscall name, portal name, exception mnemonic, process name … */
  name: string;
  /** Decoded arguments, already human-readable (the same text --trace prints). */
  args: string;
  /** Result as text (e.g. "3", "-ENOENT", "SUCCESS"); empty where there is none. */
  result: string;
  /** Modelled virtual cycles this event accounts for (kernel path, IPC, service work). */
  cost: number;
  /** For portal_call / portal_reply: a correlation id shared by a call and its reply. */
  callId?: number;
}

export type EventListener = (event: MachineEvent) => void;

/**
 * An event's text rendered from its capture: what an emitter records instead of text when building the text would
 * cost more than the event (a syscall's strace line). The capture's first byte names its renderer.
 */
export type CaptureRenderer = (capture: Uint8Array) => { args: string; result: string };

/**
 * The recorder's and the verifying replayer's way in: every event as plain values, no object per event and no text
 * where the emitter has a capture (`args` and `result` are then empty). `callId` is NaN where there is none;
 * `capture` (null if none) is valid only during the call.
 */
export interface RawEventSink {
  /** False for a sink that ignores host time (the verifier): the kernel then reads no clock on its behalf. */
  readonly hostTime?: boolean;
  event(
    kind: EventKind, icount: number, vcycles: number, hostNs: number, cpu: number, pd: number, ec: number, name: string,
    args: string, result: string, cost: number, callId: number, capture: Uint8Array | null,
  ): void;
}

/** Console output of the machine: guest stdout/stderr, the serial line, the debug console. */
export type ConsoleStream = "stdout" | "stderr" | "serial" | "debugcon";
export type ConsoleListener = (stream: ConsoleStream, bytes: Uint8Array) => void;
