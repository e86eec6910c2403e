// The roottask end to end on the real CPU: process start and exit, fault reports with Linux signal statuses,
// native and hybrid apps using the service portals, and the foreign-syscall path as events.

import assert from "node:assert/strict";
import { test } from "node:test";
import type { MachineEvent } from "../../../engine/events.ts";
import { Machine, type MachineConfig } from "../../../engine/machine.ts";
import { tinyElf, TINY_BASE } from "../../helpers/tiny-elf.ts";

type Module = MachineConfig["modules"][number];

function machine(modules: Module[], cpus = 1): { m: Machine; out: string[]; events: MachineEvent[] } {
  const m = new Machine({ modules, env: [], cpus, memoryMiB: 64, seed: 7, strict: false, mounts: [], readStdin: () => new Uint8Array() });
  const out: string[] = [];
  const events: MachineEvent[] = [];
  m.onConsole((stream, bytes) => out.push(`${stream}:${new TextDecoder().decode(bytes)}`));
  m.onEvent((e) => events.push(e));
  return { m, out, events };
}

const app = (name: string, code: number[], kind: Module["kind"] = "foreign"): Module => ({ name, bytes: tinyElf(code), kind, argv: [name] });
/** Code starts right after the ELF and program headers. */
const ENTRY = TINY_BASE + 64 + 56;

const EXIT_7 = [0xbf, 0x07, 0, 0, 0, 0xb8, 0xe7, 0, 0, 0, 0x0f, 0x05]; // mov edi, 7; mov eax, 231; syscall

test("a Linux process runs from STARTUP to exit_group; its status is the machine's exit status", () => {
  const { m, events } = machine([app("seven", EXIT_7)]);
  assert.equal(m.run(1_000_000), "halted");
  assert.equal(m.exitStatus, 7);
  assert.equal(m.stopReason, null);
  const kinds = events.filter((e) => e.kind !== "hypercall" && e.kind !== "schedule").map((e) => `${e.kind}:${e.name}`);
  assert.deepEqual(kinds, [
    "process_start:seven",
    "portal_call:STARTUP", "portal_reply:STARTUP",
    "portal_call:foreign syscall", "foreign_syscall:exit_group", "process_exit:seven", "portal_reply:foreign syscall",
  ]);
  assert.equal(m.stats().foreignSyscalls.exit_group, 1);
  assert.match(m.serial.buffer.text().join("\n"), /\[ INFO\] process 1000 'seven' exited with status 7/);
});

/** name, code, exit status, vector, report text, offset of the reported RIP from the entry. */
const faults: [string, number[], number, string, RegExp, number][] = [
  ["ud2", [0x0f, 0x0b], 128 + 4, "#UD", /killed by SIGILL: invalid opcode at 0x400078: ud2 \(0f 0b\), rip 0x400078$/, 0],
  ["null read", [0x48, 0x8b, 0x04, 0x25, 0, 0, 0, 0], 128 + 11, "#PF", /killed by SIGSEGV: page fault \(read, page not present\) at 0x0, rip/, 0],
  ["divide by zero", [0x31, 0xc9, 0xf7, 0xf1], 128 + 8, "#DE", /killed by SIGFPE: divide error/, 2],
  ["int3", [0xcc], 128 + 5, "#BP", /killed by SIGTRAP/, 1],
];

for (const [what, code, status, kind, text, ripOffset] of faults) {
  test(`an unhandled ${kind} (${what}) ends the process with status ${status} and a one-line report`, () => {
    const { m } = machine([app("crash", code)]);
    assert.equal(m.run(1_000_000), "halted");
    assert.equal(m.exitStatus, status);
    assert.equal(m.faults.length, 1);
    const f = m.faults[0];
    assert.equal(f.kind, kind);
    assert.equal(f.signal, status - 128);
    assert.match(f.text, text);
    assert.equal(f.rip, ENTRY + ripOffset);
    assert.deepEqual(f.bytes.slice(0, code.length - ripOffset), code.slice(ripOffset));
  });
}

test("a #PF report names the faulting address, not the instruction", () => {
  const { m } = machine([app("wild", [0x48, 0x8b, 0x04, 0x25, 0x00, 0x10, 0x00, 0x00])]); // mov rax, [0x1000]
  m.run(1_000_000);
  assert.equal(m.faults[0].address, 0x1000);
  assert.equal(m.faults[0].rip, ENTRY);
});

// Native app (no foreign flag): stdout service "hi", then the exit service with status 3.
const NATIVE = [
  0x48, 0xbb, 0x00, 0xd0, 0xff, 0xff, 0xff, 0x7f, 0x00, 0x00, 0xc7, 0x43, 0x04, 0x02, 0x00, 0x00, 0x00, 0x48, 0xc7, 0x43,
  0x20, 0x02, 0x00, 0x00, 0x00, 0xc7, 0x43, 0x28, 0x68, 0x69, 0x00, 0x00, 0xbf, 0x00, 0x40, 0x02, 0x00, 0x0f, 0x05, 0x49,
  0x89, 0xfc, 0xc7, 0x43, 0x04, 0x01, 0x00, 0x00, 0x00, 0x48, 0xc7, 0x43, 0x20, 0x03, 0x00, 0x00, 0x00, 0xbf, 0x00, 0x90,
  0x02, 0x00, 0x0f, 0x05, 0x0f, 0x0b,
];

test("a native app calls the stdout and exit service portals with hypercalls", () => {
  const { m, out } = machine([app("native", NATIVE, "native")]);
  assert.equal(m.run(1_000_000), "halted");
  assert.ok(out.includes("stdout:[STDOUT PID=1] hi\n"), out.join("|"));
  assert.equal(m.exitStatus, 3);
  assert.equal(m.stats().hypercalls.call, 2);
  assert.deepEqual(m.stats().foreignSyscalls, {});
});

// Hybrid app: sets NSCT, calls stdout natively, clears NSCT, then exit_group(5) as a Linux syscall.
const HYBRID = [
  0x48, 0xbb, 0x00, 0xd0, 0xff, 0xff, 0xff, 0x7f, 0x00, 0x00, 0xc7, 0x03, 0x01, 0x00, 0x00, 0x00, 0xc7, 0x43, 0x04, 0x02,
  0x00, 0x00, 0x00, 0x48, 0xc7, 0x43, 0x20, 0x02, 0x00, 0x00, 0x00, 0xc7, 0x43, 0x28, 0x68, 0x69, 0x00, 0x00, 0xbf, 0x00,
  0x40, 0x02, 0x00, 0x0f, 0x05, 0xc7, 0x03, 0x00, 0x00, 0x00, 0x00, 0xbf, 0x05, 0x00, 0x00, 0x00, 0xb8, 0xe7, 0x00, 0x00,
  0x00, 0x0f, 0x05, 0x0f, 0x0b,
];

test("a hybrid app makes a native call with NSCT set and a Linux syscall with it clear", () => {
  const { m, out } = machine([app("hybrid", HYBRID, "hybrid")]);
  assert.equal(m.run(1_000_000), "halted");
  assert.ok(out.includes("stdout:[STDOUT PID=1000] hi\n"), out.join("|"));
  assert.equal(m.exitStatus, 5);
  assert.equal(m.stats().hypercalls.call, 1);
  assert.deepEqual(m.stats().foreignSyscalls, { exit_group: 1 });
});

// Spins 200000 iterations, then exit_group(0).
const SPIN = [0xb9, 0x40, 0x0d, 0x03, 0x00, 0xff, 0xc9, 0x75, 0xfc, 0x31, 0xff, 0xb8, 0xe7, 0x00, 0x00, 0x00, 0x0f, 0x05];

test("two apps on two virtual CPUs run interleaved, each on its own CPU", () => {
  const { m, events } = machine([app("a", SPIN), app("b", SPIN)], 2);
  assert.equal(m.run(10_000_000), "halted");
  const procs = m.inspect().processes;
  assert.deepEqual(procs.map((p) => [p.name, p.cpu, p.state, p.exitStatus]), [["a", 0, "exited", 0], ["b", 1, "exited", 0]]);
  const cpusSeen = new Set(events.filter((e) => e.kind === "schedule").map((e) => e.cpu));
  assert.deepEqual([...cpusSeen].sort(), [0, 1]);
  // Lockstep: both CPUs' clocks end close together, far from the 400k cycles a serial run would put between them.
  const [c0, c1] = m.inspect().cpus.map((c) => c.clock);
  assert.ok(Math.abs(c0 - c1) < 100_000, `${c0} vs ${c1}`);
});

test("the same configuration runs to the same instruction count, virtual time and event sequence", () => {
  const trace = () => {
    const { m, events } = machine([app("a", SPIN), app("b", EXIT_7)], 2);
    m.run(10_000_000);
    return { icount: m.icount, vcycles: m.vcycles, events: events.map((e) => [e.kind, e.icount, e.vcycles, e.cpu, e.name, e.args, e.result].join(" ")) };
  };
  assert.deepEqual(trace(), trace());
});

test("the kernel's banner is on the VGA text console; the roottask's log on serial and debugcon", () => {
  const { m } = machine([app("seven", EXIT_7)]);
  m.run(1_000_000);
  assert.match(m.vga.lines()[0], /^Hedron Microhypervisor \(lab model\), API 5\.4/);
  const serial = m.serial.buffer.text();
  assert.match(serial[0], /^\[ INFO\] Hedron roottask/);
  assert.deepEqual(m.debugcon.buffer.text(), serial);
});

test("an endless loop uses up the budget and the run can continue", () => {
  const { m } = machine([app("loop", [0xeb, 0xfe])]); // jmp $
  assert.equal(m.run(200_000), "budget");
  assert.equal(m.icount, 200_000);
  assert.equal(m.run(100_000), "budget");
  assert.equal(m.icount, 300_000);
  assert.equal(m.stopReason, null);
});
