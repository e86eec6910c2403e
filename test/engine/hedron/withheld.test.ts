// Withheld replies: a host handler keeps a call's reply capability, its EC serves the next call, and the reply goes
// out later from another EC of the server PD — or when a virtual-time deadline passes. The caller stays blocked.
import assert from "node:assert/strict";
import { test } from "node:test";
import { EXIT_BUDGET } from "../../../engine/cpu/cpu.ts";
import { R11, RAX, RCX, RSP } from "../../../engine/cpu/state.ts";
import { HC_CREATE_EC, HC_CREATE_PD, HC_CREATE_PT, HC_CREATE_SC, HC_PD_CTRL, HC_PT_CTRL, RIGHTS_ALL, SUCCESS } from "../../../engine/hedron/abi.ts";
import { encodeCrd, objCrd } from "../../../engine/hedron/capspace.ts";
import { replyWithheld, withheldMessage, withholdReply } from "../../../engine/hedron/ipc.ts";
import { EXC_MTD, EXC_RIP, MTD_ACDB, MTD_BSD, MTD_FS_GS, MTD_GPR_R8_R15, MTD_RIP_LEN, MTD_RSP } from "../../../engine/hedron/utcb.ts";
import { boot, guestHypercall, obj, ROOT_PD_SEL, type Booted } from "./fixture.ts";

const FOREIGN_MTD = MTD_ACDB | MTD_BSD | MTD_RSP | MTD_RIP_LEN | MTD_GPR_R8_R15 | MTD_FS_GS;

/** A foreign PD with a global EC, a handler EC (root 110) behind its foreign-syscall portal and a waker EC (root 111). */
function world(b: Booted) {
  assert.equal(b.hc(HC_CREATE_PD, 100, 0, ROOT_PD_SEL, 0, 50 * 2 + 1), SUCCESS);
  assert.equal(b.hc(HC_CREATE_EC, 101, 1, 100, 0x7fffffffd000, 0, 0), SUCCESS);
  assert.equal(b.hc(HC_CREATE_EC, 110, 0, ROOT_PD_SEL, 0x7fff00000000), SUCCESS);
  assert.equal(b.hc(HC_CREATE_EC, 111, 0, ROOT_PD_SEL, 0x7fff00001000), SUCCESS);
  assert.equal(b.hc(HC_CREATE_PT, 120, 0, ROOT_PD_SEL, 110, FOREIGN_MTD, 3), SUCCESS);
  assert.equal(b.hc(HC_PT_CTRL, 120, 0, 7), SUCCESS);
  assert.equal(b.hc(HC_PD_CTRL, ROOT_PD_SEL, 2, 100, encodeCrd(objCrd(120, 0, RIGHTS_ALL)), 1, encodeCrd(objCrd(50, 0, RIGHTS_ALL))), SUCCESS);
  assert.equal(b.hc(HC_CREATE_SC, 102, 0, ROOT_PD_SEL, 101, 1 | (10_000 << 12)), SUCCESS);
  const ec = b.k.ecs.get(obj(b, 101))!;
  ec.startup = false;
  ec.state.rip = 0x401000;
  ec.state.set(RSP, 0x7ffffffdd000);
  return { ec, handler: b.k.ecs.get(obj(b, 110))!, waker: b.k.ecs.get(obj(b, 111))! };
}

test("a withheld reply keeps the caller blocked, frees the handler, and resumes the caller when sent from another EC", () => {
  const b = boot();
  const { ec, handler, waker } = world(b);
  b.host.handlers.set(3, () => withholdReply(b.k, handler, 0));
  ec.state.set(RAX, 0);
  guestHypercall(b.k, ec, 0x1234);
  assert.equal(ec.wait, "call", "the caller waits in its call");
  assert.equal(handler.wait, "idle", "the handler EC serves the next call");
  assert.ok(b.k.withheld.has(ec.id));
  const utcb = b.k.utcb(waker);
  withheldMessage(b.k, ec.id, utcb, FOREIGN_MTD, 2);
  assert.equal(utcb.gpr(RCX), 0x401002, "the message is the caller's state again");
  utcb.setU64(EXC_MTD, MTD_ACDB | MTD_RIP_LEN | MTD_RSP);
  utcb.setU64(EXC_RIP, utcb.gpr(RCX));
  utcb.setGprValue(RSP, utcb.gpr(R11));
  utcb.setGprValue(RAX, 42);
  replyWithheld(b.k, ec.id, waker);
  assert.equal(ec.wait, "running");
  assert.equal(ec.state.get(RAX), 42);
  assert.equal(ec.state.rip, 0x401002);
  assert.equal(b.k.withheld.size, 0);
  assert.throws(() => replyWithheld(b.k, ec.id, waker), /no withheld call/);
});

test("the deadline of a withheld reply makes the kernel tell the host once virtual time reaches it", () => {
  const b = boot();
  const { ec, handler, waker } = world(b);
  b.host.handlers.set(3, () => withholdReply(b.k, handler, 5_000_000));
  const due: number[] = [];
  Object.assign(b.host, { replyDue: (caller: number) => {
    due.push(caller);
    const utcb = b.k.utcb(waker);
    withheldMessage(b.k, caller, utcb, FOREIGN_MTD, 2);
    utcb.setU64(EXC_MTD, MTD_ACDB | MTD_RIP_LEN | MTD_RSP);
    utcb.setU64(EXC_RIP, 0x402000);
    utcb.setGprValue(RSP, utcb.gpr(R11));
    utcb.setGprValue(RAX, 0);
    replyWithheld(b.k, caller, waker);
  } });
  guestHypercall(b.k, ec, 0x1234);
  // A CPU that retires whatever it is given: only the scheduling around the deadline is under test.
  b.k.attach([{ icount: 0, readTsc: () => 0, exitVector: 0, exitErrorCode: 0, exitAddress: 0, exitInstrLength: 0,
    load() {}, save() {}, run(budget) { this.icount += budget; return EXIT_BUDGET; } }]);
  assert.equal(b.k.run(1), "budget", "the caller runs again once the deadline passed");
  assert.deepEqual(due, [ec.id]);
  assert.ok(b.k.cpus[0].clock >= 5_000_000, "the idle CPU's clock jumped to the deadline");
  assert.equal(ec.wait, "running");
  assert.equal(ec.state.rip, 0x402000);
});

test("a caller that dies while its reply is withheld leaves no withheld reply behind", () => {
  const b = boot();
  const { ec, handler } = world(b);
  b.host.handlers.set(3, () => withholdReply(b.k, handler, 0));
  guestHypercall(b.k, ec, 0x1234);
  b.k.killEc(ec, "test");
  assert.equal(b.k.withheld.size, 0);
});
