// A GDB remote-protocol stub on a recording: registers (GPRs, x87, SSE), memory, software breakpoints, write
// watchpoints, stepi/continue and, as rr does, reverse-stepi/reverse-continue by re-execution. Loopback only.

import { createServer, type Server, type Socket } from "node:net";
import type { Ec } from "../hedron/ec.ts";
import type { Machine } from "../machine.ts";
import type { Recording } from "../record/recording.ts";
import { ExactControl, peekByte, type Stop } from "./exact.ts";
import { CheckpointCache } from "../record/checkpoints.ts";
import { previousStop, seekExact, type StopSpec } from "./reverse.ts";

/** gdb's amd64 register order (its built-in target description for i386:x86-64). */
const GPR_ORDER = ["rax", "rbx", "rcx", "rdx", "rsi", "rdi", "rbp", "rsp", "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15"];
/** Index of each register in CpuState.gpr (x86 encoding order). */
const ENCODING = ["rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi", "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15"];
const TARGET_XML = '<?xml version="1.0"?><!DOCTYPE target SYSTEM "gdb-target.dtd"><target><architecture>i386:x86-64</architecture><osabi>none</osabi></target>';

const hexLE = (value: bigint | number, bytes: number): string => {
  let v = BigInt(value) & ((1n << BigInt(bytes * 8)) - 1n);
  let out = "";
  for (let i = 0; i < bytes; i++) {
    out += Number(v & 0xffn).toString(16).padStart(2, "0");
    v >>= 8n;
  }
  return out;
};

function checksum(body: string): string {
  let sum = 0;
  for (let i = 0; i < body.length; i++) sum = (sum + body.charCodeAt(i)) & 0xff;
  return sum.toString(16).padStart(2, "0");
}

/**
 * One debugging session on one recording. The debuggee is the first Linux process (one inferior, one thread:
 * its EC); the machine starts where that process is about to run its first instruction.
 */
export class GdbSession {
  private machine: Machine;
  private readonly spec: StopSpec = { addresses: [], events: [], watch: [] };
  /** Where the debuggee's first instruction is: reverse execution stops there ("replaylog:begin"). */
  private readonly start: number;
  private readonly pd: number;
  /** Reverse steps re-execute from the nearest of these (captured by earlier ones) rather than a recorded snapshot. */
  private readonly checkpoints = new CheckpointCache();
  exited = false;

  /** On a recording (`rec`: reverse execution works) or on a live machine that has not run yet (`rec` null). */
  constructor(
    private readonly rec: Recording | null,
    machine?: Machine,
  ) {
    if (!rec && !machine) throw new Error("a gdb session needs a recording or a machine");
    this.machine = rec ? seekExact(rec, 0) : machine!;
    const control = new ExactControl(this.machine);
    control.eventFilters.push({ kind: "process_start" });
    const stop = control.runTo(Number.MAX_SAFE_INTEGER);
    if (stop.reason !== "event" || !stop.event) throw new Error("the recording starts no process to debug");
    this.start = stop.icount;
    this.pd = stop.event.pd;
  }

  private ec(): Ec | undefined {
    const ecs = [...this.machine.kernel.ecs.values()].filter((ec) => ec.pd === this.pd);
    return ecs.find((ec) => ec.wait !== "dead") ?? ecs[0];
  }

  registers(): string {
    const ec = this.ec();
    if (!ec) return "E01";
    const s = ec.state;
    const reg64 = (name: string) => {
      const i = ENCODING.indexOf(name);
      return hexLE((BigInt(s.gpr[2 * i + 1]! >>> 0) << 32n) | BigInt(s.gpr[2 * i]! >>> 0), 8);
    };
    let out = GPR_ORDER.map(reg64).join("") + hexLE(s.rip, 8) + hexLE(s.rflags, 4);
    out += [0x33, 0x2b, 0, 0, 0, 0].map((v) => hexLE(v, 4)).join(""); // cs ss ds es fs gs
    const top = (s.fpuStatus >> 11) & 7;
    for (let i = 0; i < 8; i++) {
      const phys = (top + i) & 7;
      out += hexLE(s.stx[3 * phys]!, 4) + hexLE(s.stx[3 * phys + 1]!, 4) + hexLE(s.stx[3 * phys + 2]! & 0xffff, 2);
    }
    out += [s.fpuControl, s.fpuStatus, s.fpuTag, 0, 0, 0, 0, 0].map((v) => hexLE(v, 4)).join(""); // fctrl … fop
    for (let i = 0; i < 64; i++) out += hexLE(s.xmm[i]! >>> 0, 4);
    return out + hexLE(s.mxcsr, 4);
  }

  memory(address: number, length: number): string {
    let out = "";
    for (let i = 0; i < length; i++) {
      const b = peekByte(this.machine, this.pd, address + i);
      if (b < 0) break;
      out += b.toString(16).padStart(2, "0");
    }
    return out || "E14";
  }

  private stopReply(stop: Stop | null): string {
    if (stop === null) return "T05replaylog:begin;";
    if (stop.reason === "halted") {
      this.exited = true;
      return `W${(this.machine.exitStatus & 0xff).toString(16).padStart(2, "0")}`;
    }
    if (stop.reason === "breakpoint") return "T05swbreak:;";
    if (stop.reason === "watch") return `T05watch:${this.spec.watch[0]?.address.toString(16) ?? "0"};`;
    return "S05";
  }

  private control(): ExactControl {
    const control = new ExactControl(this.machine);
    for (const a of this.spec.addresses) control.breakpoints.add(a);
    control.watchpoints.push(...this.spec.watch);
    return control;
  }

  step(): string {
    return this.stopReply(this.control().runTo(this.machine.icount + 1, false));
  }

  continue(): string {
    return this.stopReply(this.control().continue());
  }

  /** Reverse execution re-executes the recording; a live run has none to go back through. */
  private recording(): Recording {
    if (!this.rec) throw new Error("reverse execution needs a recording: record the run, then debug it with replay --gdb");
    return this.rec;
  }

  reverseStep(): string {
    if (this.machine.icount <= this.start) return this.stopReply(null);
    this.machine = seekExact(this.recording(), this.machine.icount - 1, undefined, this.checkpoints, this.machine);
    return "S05";
  }

  reverseContinue(): string {
    const rec = this.recording();
    const stop = previousStop(rec, this.machine.icount, this.spec);
    const to = stop && stop.icount >= this.start ? stop.icount : this.start;
    this.machine = seekExact(rec, to, undefined, this.checkpoints, this.machine);
    return stop && stop.icount >= this.start ? this.stopReply(stop) : this.stopReply(null);
  }

  /** Answers one packet body; "" is gdb's "not supported". */
  handle(packet: string): string {
    const [head] = packet.split(/[:;,]/);
    switch (packet[0]) {
      case "?": return "S05";
      case "g": return this.registers();
      case "m": {
        const [a, n] = packet.slice(1).split(",").map((x) => parseInt(x, 16));
        return this.memory(a!, Math.min(n!, 4096));
      }
      case "s": return this.step();
      case "c": return this.continue();
      case "H": return "OK";
      case "T": return "OK";
      case "D": return "OK";
      case "Z":
      case "z": {
        const [type, addr, kind] = packet.slice(1).split(",");
        const address = parseInt(addr!, 16);
        if (type === "0" || type === "1") {
          this.spec.addresses = this.spec.addresses.filter((x) => x !== address);
          if (packet[0] === "Z") this.spec.addresses.push(address);
          return "OK";
        }
        if (type === "2") {
          this.spec.watch = this.spec.watch.filter((w) => w.address !== address);
          if (packet[0] === "Z") this.spec.watch.push({ pd: this.pd, address, length: parseInt(kind!, 16) });
          return "OK";
        }
        return "";
      }
      case "b":
        if (packet === "bs") return this.reverseStep();
        if (packet === "bc") return this.reverseContinue();
        return "";
    }
    if (head === "qSupported") return `PacketSize=4000;qXfer:features:read+;swbreak+${this.rec ? ";ReverseStep+;ReverseContinue+" : ""}`;
    if (packet.startsWith("qXfer:features:read:target.xml:")) {
      const [off, len] = packet.slice("qXfer:features:read:target.xml:".length).split(",").map((x) => parseInt(x, 16));
      const part = TARGET_XML.slice(off!, off! + len!);
      return (off! + len! >= TARGET_XML.length ? "l" : "m") + part;
    }
    if (head === "qAttached") return "1";
    if (head === "qC") return "QC1";
    if (head === "qfThreadInfo") return "m1";
    if (head === "qsThreadInfo") return "l";
    if (head === "qSymbol") return "OK";
    if (head === "qOffsets") return "Text=0;Data=0;Bss=0";
    if (head === "vMustReplyEmpty") return "";
    return "";
  }
}

/** Serves `session` to one gdb at a time on 127.0.0.1:port (0: any free port); resolves once listening. */
export function serveGdb(session: GdbSession, port: number, onClose?: () => void): Promise<Server> {
  const server = createServer((socket: Socket) => {
    let buffer = "";
    let ack = true;
    const send = (body: string) => socket.write(`$${body}#${checksum(body)}`);
    socket.on("data", (data) => {
      buffer += data.toString("latin1");
      for (;;) {
        buffer = buffer.replace(/^[+\-\x03]+/, "");
        const start = buffer.indexOf("$");
        const end = buffer.indexOf("#", start);
        if (start < 0 || end < 0 || buffer.length < end + 3) return;
        const body = buffer.slice(start + 1, end);
        buffer = buffer.slice(end + 3);
        if (ack) socket.write("+");
        let reply: string;
        if (body === "QStartNoAckMode") {
          send("OK");
          ack = false;
          continue;
        }
        if (body === "k") {
          socket.end();
          return;
        }
        try {
          reply = session.handle(body);
        } catch (error) {
          reply = `E.${error instanceof Error ? error.message : String(error)}`;
        }
        send(reply);
      }
    });
    socket.on("close", () => onClose?.());
    socket.on("error", () => undefined);
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => resolve(server));
  });
}
