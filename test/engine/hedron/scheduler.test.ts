// The kernel's CPU loop with the real CPU: STARTUP, priorities, round robin, recall, and semaphore timeouts in virtual time.
// Guest code is a few hand-assembled bytes (nasm listings in comments), so each test pins one scheduling rule.

import assert from "node:assert/strict";
import { test } from "node:test";
import { Cpu } from "../../../engine/cpu/cpu.ts";
import { RAX, RDI, RDX, RSP, R15 } from "../../../engine/cpu/state.ts";
import {
  HC_CREATE_EC, HC_CREATE_PD, HC_CREATE_PT, HC_CREATE_SC, HC_CREATE_SM, HC_EC_CTRL, HC_PD_CTRL, HC_REVOKE, HC_PT_CTRL,
  RIGHTS_ALL, SUCCESS, TIMEOUT,
} from "../../../engine/hedron/abi.ts";
import { encodeCrd, objCrd } from "../../../engine/hedron/capspace.ts";
import { EXC_MTD, EXC_RIP, MTD_ALL_GPR, MTD_RIP_LEN, MTD_RSP } from "../../../engine/hedron/utcb.ts";
import { PERM_RW, PERM_RWX } from "../../../engine/memory/address-space.ts";
import { boot, obj, ROOT_PD_SEL, type Booted } from "./fixture.ts";

const CODE = 0x10000;
const IP_STARTUP = 1, IP_EXC = 2;
const qpd = (prio: number, quantumUs: number) => quantumUs * 4096 + prio;

/**
 * A guest PD (root selector 100) with `code` at 0x10000, exception portals 0..31 (startup: RIP = code + entry offset)
 * on the host EC at 110, and the kernel's CPUs attached. ECs are added with `ec()`.
 */
function guest(code: number[], cpus = 1) {
  const b = boot(cpus);
  b.k.attach(Array.from({ length: cpus }, (_, i) => new Cpu(b.k.frames, i)));
  assert.equal(b.hc(HC_CREATE_PD, 100, 0, ROOT_PD_SEL), SUCCESS);
  const pd = b.k.pds.get(obj(b, 100))!;
  pd.space.mapAnonymous(CODE, 0x1000, PERM_RWX);
  pd.space.write(CODE, Uint8Array.from(code));
  pd.space.mapAnonymous(0x20000, 0x10000, PERM_RW);
  for (let cpu = 0; cpu < cpus; cpu++) assert.equal(b.hc(HC_CREATE_EC, 110 + cpu, 0, ROOT_PD_SEL, 0x7fff00000000 + cpu * 0x1000), SUCCESS);
  for (let v = 0; v < 32; v++) {
    assert.equal(b.hc(HC_CREATE_PT, 0x200 + v, 0, ROOT_PD_SEL, 110, v === 30 ? MTD_RIP_LEN | MTD_RSP : MTD_ALL_GPR, v === 30 ? IP_STARTUP : IP_EXC), SUCCESS);
    assert.equal(b.hc(HC_PT_CTRL, 0x200 + v, 0, v), SUCCESS);
  }
  assert.equal(b.hc(HC_PD_CTRL, ROOT_PD_SEL, 2, 100, encodeCrd(objCrd(0x200, 5, RIGHTS_ALL)), 1, encodeCrd(objCrd(0, 5, RIGHTS_ALL))), SUCCESS);
  const starts = new Map<number, number>();
  b.host.handlers.set(IP_STARTUP, (utcb) => {
    utcb.setU64(EXC_MTD, MTD_RIP_LEN | MTD_RSP);
    utcb.setU64(EXC_RIP, CODE);
    utcb.setGprValue(RSP, 0x30000);
  });
  return { b, pd, starts };
}

/** A global EC at root selector `sel` on `cpu` with an SC of the given priority and quantum. */
function thread(b: Booted, sel: number, prio: number, quantumUs = 10_000, cpu = 0) {
  assert.equal(b.hc(HC_CREATE_EC, sel, 1, 100, 0x7ffffffd0000 - sel * 0x1000 + cpu, 0, 0), SUCCESS);
  assert.equal(b.hc(HC_CREATE_SC, sel + 1, 0, ROOT_PD_SEL, sel, qpd(prio, quantumUs)), SUCCESS);
  return b.k.ecs.get(obj(b, sel))!;
}

/** Records (vector, EC registers) of each exception and then kills the EC by revoking it. */
function recordExceptions(b: Booted, log: { vector: number; rip: number; rdi: number; rax: number; rdx: number; r15: number }[], ecSel: (ec: number) => number) {
  b.host.handlers.set(IP_EXC, (utcb, vector) => {
    const faulting = b.k.ecs.get(b.k.ecs.get(b.host.calls.at(-1)!.ec)!.caller)!;
    log.push({ vector, rip: utcb.u64(EXC_RIP), rdi: utcb.gpr(RDI), rax: utcb.gpr(RAX), rdx: utcb.gpr(RDX), r15: utcb.gpr(R15) });
    utcb.setU64(EXC_MTD, 0);
    assert.equal(b.hc(HC_REVOKE, 0, 1, encodeCrd(objCrd(ecSel(faulting.id), 0, RIGHTS_ALL))), SUCCESS);
  });
}

test("STARTUP comes before the first instruction; its reply sets RIP and RSP", () => {
  const { b } = guest([0x0f, 0x0b]); // ud2
  const ec = thread(b, 120, 1);
  const log: { vector: number; rip: number }[] = [];
  recordExceptions(b, log as never, () => 120);
  assert.equal(ec.startup, true);
  assert.equal(b.k.run(1000), "halted");
  assert.deepEqual(b.host.calls.map((c) => c.portalId), [30, 6]);
  assert.equal(log[0].rip, CODE);
  assert.equal(b.k.ecs.has(ec.id), false, "revoked → destroyed");
});

test("the higher priority SC runs first", () => {
  const { b } = guest([0x0f, 0x0b]);
  const low = thread(b, 120, 1);
  const high = thread(b, 130, 50);
  const order: number[] = [];
  const log: never[] = [];
  recordExceptions(b, log, (id) => (order.push(id), id === low.id ? 120 : 130));
  b.k.run(1000);
  assert.deepEqual(order, [high.id, low.id]);
});

test("SCs of equal priority share the CPU round robin, one quantum at a time", () => {
  const { b } = guest([0xeb, 0xfe]); // jmp $
  thread(b, 120, 1, 100);
  thread(b, 130, 1, 100);
  assert.equal(b.k.run(2_000_000), "budget");
  const a = b.k.scs.get(obj(b, 121))!;
  const c = b.k.scs.get(obj(b, 131))!;
  // 2M cycles in quanta of 280k: both got several quanta, at most one quantum apart.
  assert.ok(a.time > 500_000 && c.time > 500_000, `${a.time} ${c.time}`);
  assert.ok(Math.abs(a.time - c.time) <= 300_000, `${a.time} ${c.time}`);
  assert.ok(b.k.stats.contextSwitches >= 6);
});

test("ec_ctrl recall delivers RECALL (vector 31) before the EC runs on", () => {
  const { b } = guest([0xeb, 0xfe]);
  thread(b, 120, 1);
  const log: { vector: number; rip: number }[] = [];
  recordExceptions(b, log as never, () => 120);
  assert.equal(b.k.run(1000), "budget");
  assert.equal(b.hc(HC_EC_CTRL, 120), SUCCESS);
  b.k.run(1000);
  assert.deepEqual(log.map((l) => [l.vector, l.rip]), [[31, CODE]]);
});

// rdtsc; deadline = tsc + 1000000 (r15); sm_ctrl down on selector 40 with RSI = deadline hi, RDX = lo; rdtsc; ud2.
const SM_WAIT = [
  0x0f, 0x31, 0x48, 0xc1, 0xe2, 0x20, 0x48, 0x09, 0xd0, 0x48, 0x05, 0x40, 0x42, 0x0f, 0x00, 0x49, 0x89, 0xc7, 0x48, 0x89,
  0xc2, 0x89, 0xd6, 0x48, 0xc1, 0xe8, 0x20, 0x48, 0x89, 0xc6, 0x89, 0xd2, 0xbf, 0x0c, 0x81, 0x02, 0x00, 0x0f, 0x05, 0x0f,
  0x31, 0x0f, 0x0b,
];

test("sm_ctrl down with a deadline times out in virtual time when nothing wakes it", () => {
  const { b } = guest(SM_WAIT);
  assert.equal(b.hc(HC_CREATE_SM, 140, 0, ROOT_PD_SEL, 0), SUCCESS);
  assert.equal(b.hc(HC_PD_CTRL, ROOT_PD_SEL, 2, 100, encodeCrd(objCrd(140, 0, RIGHTS_ALL)), 1, encodeCrd(objCrd(40, 0, RIGHTS_ALL))), SUCCESS);
  thread(b, 120, 1);
  const log: { vector: number; rdi: number; rax: number; rdx: number; r15: number }[] = [];
  recordExceptions(b, log as never, () => 120);
  assert.equal(b.k.run(10_000), "halted");
  assert.equal(log.length, 1);
  const { rdi, rax, rdx, r15 } = log[0];
  assert.equal(rdi, TIMEOUT);
  const after = rdx * 0x100000000 + (rax % 0x100000000);
  assert.ok(after >= r15, `woke at ${after}, deadline ${r15}`);
  assert.ok(after < r15 + 10_000, "time jumped to the deadline, not beyond");
});

test("sm_ctrl up from the roottask wakes a waiter before its deadline with SUCCESS", () => {
  const { b } = guest(SM_WAIT);
  assert.equal(b.hc(HC_CREATE_SM, 140, 0, ROOT_PD_SEL, 0), SUCCESS);
  assert.equal(b.hc(HC_PD_CTRL, ROOT_PD_SEL, 2, 100, encodeCrd(objCrd(140, 0, RIGHTS_ALL)), 1, encodeCrd(objCrd(40, 0, RIGHTS_ALL))), SUCCESS);
  const ec = thread(b, 120, 1);
  const log: { rdi: number }[] = [];
  recordExceptions(b, log as never, () => 120);
  assert.equal(b.k.run(10), "budget");
  assert.equal(ec.wait, "sm");
  assert.equal(b.hc(12 /* sm_ctrl up */, 140, 0), SUCCESS);
  b.k.run(10_000);
  assert.deepEqual(log.map((l) => l.rdi), [SUCCESS]);
});
