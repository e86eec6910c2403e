// Event delivery: foreign-syscall forwarding (NSCT), exceptions with MTD-selected state, reply write-back, and kills.
// Handlers are the test's host PD (TypeScript), exactly as the roottask's are; the kernel paths are the real ones.

import assert from "node:assert/strict";
import { test } from "node:test";
import { R10, R11, R8, R9, RAX, RBX, RCX, RDI, RDX, RSI, RSP } from "../../../engine/cpu/state.ts";
import {
  HC_CALL, HC_CREATE_EC, HC_CREATE_PD, HC_CREATE_PT, HC_CREATE_SM, HC_PD_CTRL, HC_PT_CTRL, RIGHTS_ALL, SUCCESS, ABORT,
} from "../../../engine/hedron/abi.ts";
import { encodeCrd, memCrd, objCrd } from "../../../engine/hedron/capspace.ts";
import { exceptionEntry } from "../../../engine/hedron/ipc.ts";
import { arg1 } from "../../../engine/hedron/syscall.ts";
import {
  EXC_FS_BASE, EXC_INST_LEN, EXC_MTD, EXC_QUAL0, EXC_QUAL1, EXC_RIP, MTD_ACDB, MTD_ALL_GPR, MTD_BSD, MTD_FS_GS,
  MTD_GPR_R8_R15, MTD_QUAL, MTD_RIP_LEN, MTD_RSP, UTCB_NSCT,
} from "../../../engine/hedron/utcb.ts";
import { boot, guestHypercall, obj, ROOT_PD_SEL, type Booted } from "./fixture.ts";

const GUEST_UTCB = 0x7fffffffd000;
const HOST_UTCB = 0x7fff00000000;
const FOREIGN_MTD = MTD_ACDB | MTD_BSD | MTD_RSP | MTD_RIP_LEN | MTD_GPR_R8_R15 | MTD_FS_GS;

/** A foreign PD (portal base 50) with a global EC (EVT 0); a host handler EC at root 110; portals are made per test. */
function foreignWorld(b: Booted) {
  assert.equal(b.hc(HC_CREATE_PD, 100, 0, ROOT_PD_SEL, 0, 50 * 2 + 1), SUCCESS);
  assert.equal(b.hc(HC_CREATE_EC, 101, 1, 100, GUEST_UTCB, 0, 0), SUCCESS);
  assert.equal(b.hc(HC_CREATE_EC, 110, 0, ROOT_PD_SEL, HOST_UTCB), SUCCESS);
  return b.k.ecs.get(obj(b, 101))!;
}

/** A portal on the host EC at root selector `sel`, with `mtd` and entry `ip`, delegated into the guest PD at `dest`. */
function portal(b: Booted, sel: number, dest: number, mtd: number, ip: number, id = 0): void {
  assert.equal(b.hc(HC_CREATE_PT, sel, 0, ROOT_PD_SEL, 110, mtd, ip), SUCCESS);
  assert.equal(b.hc(HC_PT_CTRL, sel, 0, id), SUCCESS);
  assert.equal(b.hc(HC_PD_CTRL, ROOT_PD_SEL, 2, 100, encodeCrd(objCrd(sel, 0, RIGHTS_ALL)), 1, encodeCrd(objCrd(dest, 0, RIGHTS_ALL))), SUCCESS);
}

test("a foreign PD's syscall without NSCT goes to EVT + base + CPU with the Linux registers; the reply writes rax/rip/rsp back", () => {
  const b = boot();
  const ec = foreignWorld(b);
  portal(b, 120, 50, FOREIGN_MTD, 3, 0x150);
  const s = ec.state;
  s.rip = 0x401000;
  s.set(RSP, 0x7ffffffdd000);
  s.set(RBX, 0x1111);
  s.set(R10, 0xaaaa);
  s.set(R9, 0x9999);
  s.fsBase = 0x4242000;
  let seen: Record<string, number> = {};
  b.host.handlers.set(3, (utcb, id) => {
    seen = {
      id, mtd: utcb.u64(EXC_MTD), rax: utcb.gpr(RAX), rdi: utcb.gpr(RDI), rsi: utcb.gpr(RSI), rdx: utcb.gpr(RDX),
      r10: utcb.gpr(R10), r8: utcb.gpr(R8), r9: utcb.gpr(R9), rcx: utcb.gpr(RCX), r11: utcb.gpr(R11), fs: utcb.u64(EXC_FS_BASE),
      len: utcb.u64(EXC_INST_LEN),
    };
    utcb.setU64(EXC_MTD, MTD_RIP_LEN | MTD_RSP | MTD_ACDB);
    utcb.setU64(EXC_RIP, utcb.gpr(RCX));
    utcb.setGprValue(RSP, utcb.gpr(R11));
    utcb.setGprValue(RAX, -2);
  });
  // write(1, buf, 5): rax = 1; the real kernel's numbers mean nothing to the model.
  guestHypercall(b.k, ec, 1, 0x5000, 5, 1, 0x8888);
  assert.deepEqual(seen, {
    id: 0x150, mtd: FOREIGN_MTD, rax: 1, rdi: 1, rsi: 0x5000, rdx: 5, r10: 0xaaaa, r8: 0x8888, r9: 0x9999,
    rcx: 0x401002, r11: 0x7ffffffdd000, fs: 0x4242000, len: 2,
  });
  assert.equal(s.getSigned(RAX), -2, "result in rax");
  assert.equal(s.rip, 0x401002);
  assert.equal(s.get(RSP), 0x7ffffffdd000);
  assert.equal(s.get(RDI), 1, "a foreign syscall's RDI is not a hypercall status");
  assert.equal(s.get(RBX), 0x1111);
  assert.equal(ec.wait, "running");
  assert.equal(b.k.stats.foreignSyscalls, 1);
});

test("with NSCT set, the same syscall of a foreign PD is a native hypercall", () => {
  const b = boot();
  const ec = foreignWorld(b);
  portal(b, 120, 50, FOREIGN_MTD, 3);
  portal(b, 121, 7, 0, 4);
  b.host.handlers.set(3, () => assert.fail("forwarded despite NSCT"));
  let called = 0;
  b.host.handlers.set(4, () => called++);
  b.k.utcb(ec).flags = UTCB_NSCT;
  guestHypercall(b.k, ec, arg1(HC_CALL, 7));
  assert.equal(called, 1);
  assert.equal(ec.state.get(RDI) & 0xff, SUCCESS);
  assert.equal(b.k.utcb(ec).flags & UTCB_NSCT, UTCB_NSCT, "the kernel never clears NSCT");
});

test("a foreign syscall with no portal at EVT + base + CPU kills the EC", () => {
  const b = boot();
  const ec = foreignWorld(b);
  guestHypercall(b.k, ec, 60);
  assert.equal(ec.wait, "dead");
});

test("a native PD's syscall is always a hypercall (no forwarding)", () => {
  const b = boot();
  assert.equal(b.hc(HC_CREATE_PD, 100, 0, ROOT_PD_SEL, 0, 0), SUCCESS);
  assert.equal(b.hc(HC_CREATE_EC, 101, 1, 100, GUEST_UTCB, 0, 0), SUCCESS);
  const ec = b.k.ecs.get(obj(b, 101))!;
  guestHypercall(b.k, ec, arg1(HC_CREATE_SM, 9), 1234);
  assert.equal(ec.state.get(RDI), 4 /* BAD_CAP: no PD capability at 1234 */);
  assert.equal(b.k.stats.foreignSyscalls, 0);
});

test("a #PF is delivered to EVT+14 with error code, address and the portal's MTD; the reply's mtd selects what is written back", () => {
  const b = boot();
  const ec = foreignWorld(b);
  portal(b, 114, 14, MTD_ALL_GPR, 5, 0x10e);
  ec.state.rip = 0x401234;
  ec.state.set(RAX, 77);
  ec.state.set(RBX, 88);
  let seen: number[] = [];
  b.host.handlers.set(5, (utcb, id) => {
    seen = [id, utcb.u64(EXC_QUAL0), utcb.u64(EXC_QUAL1), utcb.u64(EXC_RIP), utcb.gpr(RAX), utcb.u64(EXC_MTD) & MTD_QUAL];
    utcb.setGprValue(RAX, 1);
    utcb.setGprValue(RBX, 2);
    utcb.setU64(EXC_RIP, 0x401238);
    utcb.setU64(EXC_MTD, MTD_RIP_LEN | MTD_BSD);
  });
  exceptionEntry(b.k, ec, 14, 6, 0xdead0008, 4);
  assert.deepEqual(seen, [0x10e, 6, 0xdead0008, 0x401234, 77, MTD_QUAL]);
  assert.equal(ec.state.rip, 0x401238);
  assert.equal(ec.state.get(RAX), 77, "rax group not in the reply mtd: unchanged");
  assert.equal(ec.state.get(RBX), 88);
  assert.equal(b.k.stats.exceptions.get(14), 1);
});

test("the portal's MTD limits what the handler sees", () => {
  const b = boot();
  const ec = foreignWorld(b);
  portal(b, 113, 13, MTD_RIP_LEN, 5);
  ec.state.set(RAX, 0x1234);
  ec.state.rip = 0x1000;
  let rax = -1;
  b.host.handlers.set(5, (utcb) => {
    rax = utcb.gpr(RAX);
    utcb.setU64(EXC_MTD, 0);
  });
  b.k.utcb(b.k.ecs.get(obj(b, 110))!).setGprValue(RAX, 0);
  exceptionEntry(b.k, ec, 13, 0, 0, 0);
  assert.equal(rax, 0);
  assert.equal(ec.state.rip, 0x1000, "mtd 0 in the reply changes nothing");
});

test("an exception with no portal at EVT + vector kills the EC", () => {
  const b = boot();
  const ec = foreignWorld(b);
  exceptionEntry(b.k, ec, 6, 0, 0x401000, 0);
  assert.equal(ec.wait, "dead");
});

test("RFLAGS written back by a reply is sanitised: IF stays on", () => {
  const b = boot();
  const ec = foreignWorld(b);
  portal(b, 130, 3, MTD_ALL_GPR, 5);
  b.host.handlers.set(5, (utcb) => {
    utcb.setU64(0x38, 0x3000 | 1);
    utcb.setU64(EXC_MTD, 1 << 4);
  });
  exceptionEntry(b.k, ec, 3, 0, 0, 1);
  assert.equal(ec.state.rflags & 0x200, 0x200);
  assert.equal(ec.state.rflags & 0x3000, 0, "IOPL is not the handler's to set");
  assert.equal(ec.state.rflags & 1, 1);
});

test("a handler that kills its caller (the roottask's exit path) leaves nothing to reply to", () => {
  const b = boot();
  const ec = foreignWorld(b);
  portal(b, 120, 50, FOREIGN_MTD, 3);
  b.host.handlers.set(3, () => {
    assert.equal(b.hc(7 /* revoke */, 0, 1, encodeCrd(objCrd(101, 0, RIGHTS_ALL))), SUCCESS);
  });
  guestHypercall(b.k, ec, 231);
  assert.equal(ec.wait, "dead");
  assert.equal(b.k.ecs.has(ec.id), false, "the EC object is destroyed with its last capability");
});

test("ABORT reaches an IPC caller whose callee dies while serving it", () => {
  const b = boot();
  // Guest server: PD 100 with local guest EC 102 and portal 103; a second foreign-free PD calls it from EC 101.
  assert.equal(b.hc(HC_CREATE_PD, 100, 0, ROOT_PD_SEL, 0, 0), SUCCESS);
  assert.equal(b.hc(HC_CREATE_EC, 101, 1, 100, GUEST_UTCB, 0, 0), SUCCESS);
  assert.equal(b.hc(HC_CREATE_EC, 102, 0, 100, GUEST_UTCB - 0x1000, 0x9000, 0), SUCCESS);
  assert.equal(b.hc(HC_CREATE_PT, 103, 0, ROOT_PD_SEL, 102, 0, 0x5000), SUCCESS);
  assert.equal(b.hc(HC_PT_CTRL, 103, 0, 0x77), SUCCESS);
  assert.equal(b.hc(HC_PD_CTRL, ROOT_PD_SEL, 2, 100, encodeCrd(objCrd(103, 0, RIGHTS_ALL)), 1, encodeCrd(objCrd(8, 0, RIGHTS_ALL))), SUCCESS);
  const client = b.k.ecs.get(obj(b, 101))!;
  const server = b.k.ecs.get(obj(b, 102))!;
  guestHypercall(b.k, client, arg1(HC_CALL, 8));
  assert.equal(client.wait, "call");
  assert.equal(server.wait, "running");
  assert.equal(server.state.rip, 0x5000, "entry IP");
  assert.equal(server.state.get(RDI), 0x77, "portal id in RDI");
  assert.equal(server.state.get(RSP), 0x9000, "create_ec's initial RSP");
  b.k.killEc(server, "test");
  assert.equal(client.wait, "running");
  assert.equal(client.state.get(RDI), ABORT);
});

test("a guest callee's reply returns its UTCB words to the caller and keeps its RSP for the next call", () => {
  const b = boot();
  assert.equal(b.hc(HC_CREATE_PD, 100, 0, ROOT_PD_SEL, 0, 0), SUCCESS);
  assert.equal(b.hc(HC_CREATE_EC, 101, 1, 100, GUEST_UTCB, 0, 0), SUCCESS);
  assert.equal(b.hc(HC_CREATE_EC, 102, 0, 100, GUEST_UTCB - 0x1000, 0x9000, 0), SUCCESS);
  assert.equal(b.hc(HC_CREATE_PT, 103, 0, ROOT_PD_SEL, 102, 0, 0x5000), SUCCESS);
  assert.equal(b.hc(HC_PD_CTRL, ROOT_PD_SEL, 2, 100, encodeCrd(objCrd(103, 0, RIGHTS_ALL)), 1, encodeCrd(objCrd(8, 0, RIGHTS_ALL))), SUCCESS);
  const client = b.k.ecs.get(obj(b, 101))!;
  const server = b.k.ecs.get(obj(b, 102))!;
  const cu = b.k.utcb(client);
  cu.setWord(0, 5);
  cu.setItems(1, 0);
  client.state.set(RDI, 0);
  guestHypercall(b.k, client, arg1(HC_CALL, 8));
  const su = b.k.utcb(server);
  assert.equal(su.word(0), 5);
  su.setWord(0, 25);
  su.setItems(1, 0);
  server.state.set(RSP, 0x8f00);
  guestHypercall(b.k, server, arg1(1 /* reply */));
  assert.equal(client.wait, "running");
  assert.equal(cu.word(0), 25);
  assert.equal(server.wait, "idle");
  guestHypercall(b.k, client, arg1(HC_CALL, 8));
  assert.equal(server.state.get(RSP), 0x8f00, "RSP as at the last reply");
});

test("calling a busy callee: f0 gives TIMEOUT; without it the caller waits and retries its call after the reply", () => {
  const b = boot();
  assert.equal(b.hc(HC_CREATE_PD, 100, 0, ROOT_PD_SEL, 0, 0), SUCCESS);
  assert.equal(b.hc(HC_CREATE_EC, 101, 1, 100, GUEST_UTCB, 0, 0), SUCCESS);
  assert.equal(b.hc(HC_CREATE_EC, 104, 1, 100, GUEST_UTCB - 0x2000, 0, 0), SUCCESS);
  assert.equal(b.hc(HC_CREATE_EC, 102, 0, 100, GUEST_UTCB - 0x1000, 0x9000, 0), SUCCESS);
  assert.equal(b.hc(HC_CREATE_PT, 103, 0, ROOT_PD_SEL, 102, 0, 0x5000), SUCCESS);
  assert.equal(b.hc(HC_PD_CTRL, ROOT_PD_SEL, 2, 100, encodeCrd(objCrd(103, 0, RIGHTS_ALL)), 1, encodeCrd(objCrd(8, 0, RIGHTS_ALL))), SUCCESS);
  const [first, second, server] = [101, 104, 102].map((s) => b.k.ecs.get(obj(b, s))!);
  guestHypercall(b.k, first, arg1(HC_CALL, 8));
  assert.equal(server.caller, first.id);
  second.state.rip = 0x7000;
  guestHypercall(b.k, second, arg1(HC_CALL, 8, 1));
  assert.equal(second.state.get(RDI), 1 /* TIMEOUT */);
  guestHypercall(b.k, second, arg1(HC_CALL, 8));
  assert.equal(second.wait, "busy");
  assert.equal(second.state.rip, 0x7002, "rewound onto its syscall (at 0x7002) to retry it");
  guestHypercall(b.k, server, arg1(1 /* reply */));
  assert.equal(first.wait, "running");
  assert.equal(second.wait, "running", "woken to retry");
});

test("a portal whose EC runs on another CPU cannot be called: BAD_CPU", () => {
  const b = boot(2);
  assert.equal(b.hc(HC_CREATE_PD, 100, 0, ROOT_PD_SEL, 0, 0), SUCCESS);
  assert.equal(b.hc(HC_CREATE_EC, 101, 1, 100, GUEST_UTCB, 0, 0), SUCCESS);
  assert.equal(b.hc(HC_CREATE_EC, 110, 0, ROOT_PD_SEL, HOST_UTCB + 1), SUCCESS);
  portal(b, 120, 8, 0, 3);
  b.host.handlers.set(3, () => assert.fail("called across CPUs"));
  const ec = b.k.ecs.get(obj(b, 101))!;
  guestHypercall(b.k, ec, arg1(HC_CALL, 8));
  assert.equal(ec.state.get(RDI), 7 /* BAD_CPU */);
});

test("a page-fault reply can carry a memory delegation into the faulting PD's receive window", () => {
  const b = boot();
  const ec = foreignWorld(b);
  portal(b, 114, 14, MTD_ALL_GPR, 5);
  const root = b.k.pds.get(b.k.rootPd)!;
  root.space.mapAnonymous(0x300000, 0x1000, 3);
  root.space.write(0x300000, new TextEncoder().encode("paged in"));
  // The faulting EC accepts delegations anywhere in its space (window order 31 at page 0).
  b.k.utcb(ec).setU64(0x10, encodeCrd(memCrd(0, 31, 7)));
  b.host.handlers.set(5, (utcb) => {
    const page = Math.floor(utcb.u64(EXC_QUAL1) / 0x1000);
    utcb.setU64(EXC_MTD, 0);
    utcb.setItems(utcb.untyped, 1);
    utcb.setTypedItem(0, encodeCrd(memCrd(0x300, 0, 3)), page * 4096 + 1);
  });
  exceptionEntry(b.k, ec, 14, 4, 0x5000123, 3);
  const pd = b.k.pds.get(obj(b, 100))!;
  assert.equal(new TextDecoder().decode(pd.space.read(0x5000000, 8)), "paged in");
  assert.equal(pd.space.lookup(0x5000) & 7, 3);
});
