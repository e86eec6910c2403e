// Every hypercall of HEDRON.md §2 and its status codes, driven through the real dispatch by the root EC or a guest EC.
// Guest ECs enter through syscallEntry with registers as `syscall` leaves them; no CPU is needed for these paths.

import assert from "node:assert/strict";
import { test } from "node:test";
import { RDI, RDX, RSI } from "../../../engine/cpu/state.ts";
import {
  BAD_CAP, BAD_CPU, BAD_DEV, BAD_HYP, BAD_PAR, HC_ASSIGN_PCI, HC_CALL, HC_CREATE_EC, HC_CREATE_PD, HC_CREATE_PT,
  HC_CREATE_SC, HC_CREATE_SM, HC_EC_CTRL, HC_MACHINE_CTRL, HC_PD_CTRL, HC_PT_CTRL, HC_REVOKE, HC_SC_CTRL, HC_SM_CTRL,
  HIP_ADDR, PT_CTRL, RIGHTS_ALL, ROOT_EC_SEL, SUCCESS, TIMEOUT,
} from "../../../engine/hedron/abi.ts";
import { CRD_MEM, CRD_OBJ, decodeCrd, encodeCrd, memCrd, objCrd } from "../../../engine/hedron/capspace.ts";
import { MEM_MODULE, parseHip } from "../../../engine/hedron/hip.ts";
import { arg1 } from "../../../engine/hedron/syscall.ts";
import { PERM_R, PERM_RW } from "../../../engine/memory/address-space.ts";
import { PAGE_SIZE } from "../../../engine/memory/frames.ts";
import { boot, guestHypercall, obj, ROOT_PD_SEL, type Booted } from "./fixture.ts";

const GUEST_UTCB = 0x7fffffffd000;
const HOST_UTCB = 0x7fff00000000;
const qpd = (prio: number, quantumUs: number) => quantumUs * 4096 + prio;

/** A guest PD at root selector 100 with a global EC at 101 (CPU 0), plus a host local EC at 110 and its portal at 111 (ip 7). */
function world(b: Booted, foreignBase = -1) {
  assert.equal(b.hc(HC_CREATE_PD, 100, 0, ROOT_PD_SEL, 0, foreignBase >= 0 ? foreignBase * 2 + 1 : 0), SUCCESS);
  assert.equal(b.hc(HC_CREATE_EC, 101, 1, 100, GUEST_UTCB + 0, 0x1000, 0), SUCCESS);
  assert.equal(b.hc(HC_CREATE_EC, 110, 0, ROOT_PD_SEL, HOST_UTCB, 0, 0), SUCCESS);
  assert.equal(b.hc(HC_CREATE_PT, 111, 0, ROOT_PD_SEL, 110, 0, 7), SUCCESS);
  const pd = b.k.pds.get(obj(b, 100))!;
  const ec = b.k.ecs.get(obj(b, 101))!;
  return { pd, ec };
}

/** Delegates root selector `sel` into the guest PD (root selector 100) at `dest`. */
function give(b: Booted, sel: number, dest: number, rights = RIGHTS_ALL): number {
  assert.equal(b.hc(HC_PD_CTRL, ROOT_PD_SEL, 2, 100, encodeCrd(objCrd(sel, 0, rights)), 1, encodeCrd(objCrd(dest, 0, RIGHTS_ALL))), SUCCESS);
  return b.k.ecs.get(b.root)!.state.get(RDX);
}

test("boot maps the HIP at 0x7fffffffe000, prints the banner and gives the roottask PD/EC/SC at 32/33/34", () => {
  const b = boot(2);
  const root = b.k.pds.get(b.k.rootPd)!;
  const hip = parseHip(root.space.read(HIP_ADDR, PAGE_SIZE));
  assert.equal(hip.apiVersion, 5004);
  assert.equal(hip.cpus.length, 2);
  assert.equal(hip.selExc, 32);
  const module = hip.memory.find((m) => m.type === MEM_MODULE)!;
  assert.equal(module.size, 12);
  const cmdline = b.k.frames.bytes.subarray(module.aux, module.aux + 8);
  assert.equal(new TextDecoder().decode(cmdline), "userland");
  assert.equal((root.space.lookup(HIP_ADDR / PAGE_SIZE) & 7), PERM_R);
  assert.equal(b.k.ecs.get(b.root)!.state.get(4), HIP_ADDR);
  assert.deepEqual([32, 33, 34].map((s) => b.k.caps.lookup(root, s)?.kind), ["pd", "ec", "sc"]);
  assert.match(b.printed.join(""), /^Hedron Microhypervisor \(lab model\)/);
});

test("create_pd creates a foreign PD with its portal base; an occupied selector or a non-PD owner is BAD_CAP", () => {
  const b = boot();
  assert.equal(b.hc(HC_CREATE_PD, 100, 0, ROOT_PD_SEL, 0, 50 * 2 + 1), SUCCESS);
  const pd = b.k.pds.get(obj(b, 100))!;
  assert.equal(pd.foreign, true);
  assert.equal(pd.foreignBase, 50);
  assert.equal(b.hc(HC_CREATE_PD, 100, 0, ROOT_PD_SEL), BAD_CAP);
  assert.equal(b.hc(HC_CREATE_PD, 102, 0, ROOT_EC_SEL), BAD_CAP);
  assert.equal(b.hc(HC_CREATE_PD, 103, 0, 999), BAD_CAP);
});

test("create_pd delegates the initial object CRD at the same selectors", () => {
  const b = boot();
  assert.equal(b.hc(HC_CREATE_SM, 64, 0, ROOT_PD_SEL, 3), SUCCESS);
  assert.equal(b.hc(HC_CREATE_PD, 100, 0, ROOT_PD_SEL, encodeCrd(objCrd(64, 0, RIGHTS_ALL))), SUCCESS);
  const pd = b.k.pds.get(obj(b, 100))!;
  assert.equal(b.k.caps.lookup(pd, 64)?.kind, "sm");
});

test("create_ec maps the UTCB in the EC's PD; bad CPU, UTCB address or owner give BAD_CPU / BAD_PAR / BAD_CAP", () => {
  const b = boot();
  const { pd, ec } = world(b);
  assert.equal(ec.global, true);
  assert.equal(ec.utcbAddr, GUEST_UTCB);
  assert.equal(Math.floor(pd.space.lookup(GUEST_UTCB / PAGE_SIZE) / 8), ec.utcbFrame);
  assert.equal(ec.state.get(4), 0x1000);
  assert.equal(b.hc(HC_CREATE_EC, 120, 0, 100, GUEST_UTCB - PAGE_SIZE + 5), BAD_CPU);
  assert.equal(b.hc(HC_CREATE_EC, 120, 0, 100, 0x7ffffffff000), BAD_PAR);
  assert.equal(b.hc(HC_CREATE_EC, 120, 0, 100, GUEST_UTCB), BAD_PAR, "UTCB page already mapped");
  assert.equal(b.hc(HC_CREATE_EC, 120, 0, 111, GUEST_UTCB - PAGE_SIZE), BAD_CAP, "owner is a portal");
  assert.equal(b.hc(HC_CREATE_EC, 101, 0, 100, GUEST_UTCB - PAGE_SIZE), BAD_CAP, "selector in use");
});

test("create_ec with f3 maps the UTCB in the caller's PD instead", () => {
  const b = boot();
  world(b);
  assert.equal(b.hc(HC_CREATE_EC, 120, 8, 100, HOST_UTCB + 0x10000), SUCCESS);
  const root = b.k.pds.get(b.k.rootPd)!;
  assert.ok(root.space.lookup((HOST_UTCB + 0x10000) / PAGE_SIZE) >= 0);
});

test("create_sc needs a global EC and a valid QPD", () => {
  const b = boot();
  world(b);
  assert.equal(b.hc(HC_CREATE_SC, 102, 0, ROOT_PD_SEL, 110, qpd(10, 1000)), BAD_CAP, "local EC");
  assert.equal(b.hc(HC_CREATE_SC, 102, 0, ROOT_PD_SEL, 101, qpd(0, 1000)), BAD_PAR);
  assert.equal(b.hc(HC_CREATE_SC, 102, 0, ROOT_PD_SEL, 101, qpd(128, 1000)), BAD_PAR);
  assert.equal(b.hc(HC_CREATE_SC, 102, 0, ROOT_PD_SEL, 101, qpd(10, 0)), BAD_PAR);
  assert.equal(b.hc(HC_CREATE_SC, 102, 0, ROOT_PD_SEL, 101, qpd(10, 1000)), SUCCESS);
  const sc = b.k.scs.get(obj(b, 102))!;
  assert.equal(sc.prio, 10);
  assert.equal(sc.quantumUs, 1000);
  assert.equal(sc.queued, true, "a new SC is ready on its CPU");
  assert.equal(b.hc(HC_CREATE_SC, 103, 0, ROOT_PD_SEL, 101, qpd(10, 1000)), BAD_PAR, "EC already has an SC");
});

test("create_pt needs a local EC; create_sm sets the counter", () => {
  const b = boot();
  world(b);
  assert.equal(b.hc(HC_CREATE_PT, 112, 0, ROOT_PD_SEL, 101, 0, 7), BAD_CAP, "global EC");
  assert.equal(b.hc(HC_CREATE_PT, 112, 0, ROOT_PD_SEL, 110, 0x1f, 9), SUCCESS);
  const pt = b.k.pts.get(obj(b, 112))!;
  assert.deepEqual([pt.mtd, pt.ip, pt.portalId], [0x1f, 9, 0]);
  assert.equal(b.hc(HC_CREATE_SM, 113, 0, ROOT_PD_SEL, 5), SUCCESS);
  assert.equal(b.k.sms.get(obj(b, 113))!.counter, 5);
  assert.equal(b.hc(HC_CREATE_SM, 113, 0, ROOT_PD_SEL, 5), BAD_CAP);
});

test("unknown hypercall numbers are BAD_HYP; hardware hypercalls are BAD_DEV for root, BAD_CAP for others", () => {
  const b = boot();
  const { ec } = world(b);
  assert.equal(b.hc(16), BAD_HYP);
  assert.equal(b.hc(0xff), BAD_HYP);
  assert.equal(b.hc(HC_ASSIGN_PCI), BAD_DEV);
  guestHypercall(b.k, ec, arg1(HC_MACHINE_CTRL));
  assert.equal(ec.state.get(RDI), BAD_CAP);
  assert.equal(ec.state.get(11), 0x200, "R11 = 0x200 on return");
  assert.equal(ec.state.rflags & 0x200, 0x200);
});

test("pt_ctrl sets the portal id the handler receives; a call copies UTCB words both ways", () => {
  const b = boot();
  world(b);
  assert.equal(b.hc(HC_PT_CTRL, 111, 0, 0x42), SUCCESS);
  let seen: number[] = [];
  b.host.handlers.set(7, (utcb, id) => {
    seen = [id, utcb.untyped, utcb.word(0), utcb.word(1)];
    utcb.setWord(0, utcb.word(0) + utcb.word(1));
    utcb.setItems(1, 0);
  });
  const rootUtcb = b.k.utcb(b.k.ecs.get(b.root)!);
  rootUtcb.setWord(0, 40);
  rootUtcb.setWord(1, 2);
  rootUtcb.setItems(2, 0);
  assert.equal(b.hc(HC_CALL, 111), SUCCESS);
  assert.deepEqual(seen, [0x42, 2, 40, 2]);
  assert.equal(rootUtcb.untyped, 1);
  assert.equal(rootUtcb.word(0), 42);
  assert.equal(b.hc(HC_PT_CTRL, 110, 0, 1), BAD_CAP, "not a portal");
});

test("isolation: a PD cannot call a portal it holds no capability for, nor one without the call right", () => {
  const b = boot();
  const { ec } = world(b);
  b.host.handlers.set(7, () => {});
  guestHypercall(b.k, ec, arg1(HC_CALL, 5));
  assert.equal(ec.state.get(RDI), BAD_CAP);
  give(b, 111, 6, PT_CTRL);
  guestHypercall(b.k, ec, arg1(HC_CALL, 6));
  assert.equal(ec.state.get(RDI), BAD_CAP, "ctrl right only");
  assert.equal(b.host.calls.length, 0);
  give(b, 111, 5);
  guestHypercall(b.k, ec, arg1(HC_CALL, 5));
  assert.equal(ec.state.get(RDI) & 0xff, SUCCESS);
  assert.equal(b.host.calls.length, 1);
});

test("pd_ctrl delegate returns the arrived CRD; lookup reports the capability; revoke takes it back recursively", () => {
  const b = boot();
  const { pd } = world(b);
  const arrived = decodeCrd(give(b, 111, 9), 0);
  assert.deepEqual(arrived, { type: CRD_OBJ, rights: RIGHTS_ALL, order: 0, base: 9 });
  assert.equal(b.k.caps.lookup(pd, 9)?.obj, obj(b, 111));
  assert.equal(b.hc(HC_PD_CTRL, 0, 0, encodeCrd(objCrd(111, 0, 0))), SUCCESS);
  assert.deepEqual(decodeCrd(b.k.ecs.get(b.root)!.state.get(RSI), 0), { type: CRD_OBJ, rights: RIGHTS_ALL, order: 0, base: 111 });
  // Revoke without `self`: the derived capability goes, root keeps its own.
  assert.equal(b.hc(HC_REVOKE, 0, 0, encodeCrd(objCrd(111, 0, RIGHTS_ALL))), SUCCESS);
  assert.equal(b.k.caps.lookup(pd, 9), undefined);
  assert.ok(b.k.pts.has(obj(b, 111)));
  // With `self`: root's capability goes too and the portal is destroyed.
  const ptId = obj(b, 111);
  assert.equal(b.hc(HC_REVOKE, 0, 1, encodeCrd(objCrd(111, 0, RIGHTS_ALL))), SUCCESS);
  assert.equal(obj(b, 111), -1);
  assert.equal(b.k.pts.has(ptId), false);
});

test("revoke removes only the masked rights; remote revoke acts in another PD", () => {
  const b = boot();
  const { pd } = world(b);
  give(b, 111, 9);
  assert.equal(b.hc(HC_REVOKE, 0, 0, encodeCrd(objCrd(111, 0, PT_CTRL))), SUCCESS);
  assert.equal(b.k.caps.lookup(pd, 9)?.rights, RIGHTS_ALL & ~PT_CTRL);
  assert.equal(b.hc(HC_REVOKE, 0, 3, encodeCrd(objCrd(9, 0, RIGHTS_ALL)), 100), SUCCESS);
  assert.equal(b.k.caps.lookup(pd, 9), undefined);
  assert.equal(b.hc(HC_REVOKE, 0, 3, encodeCrd(objCrd(9, 0, RIGHTS_ALL)), 777), BAD_CAP);
});

test("memory delegation maps the same frame with the intersected rights; memory revoke unmaps", () => {
  const b = boot();
  const { pd } = world(b);
  const root = b.k.pds.get(b.k.rootPd)!;
  root.space.mapAnonymous(0x200000, PAGE_SIZE, PERM_RW);
  root.space.write(0x200000, new TextEncoder().encode("shared"));
  const send = memCrd(0x200, 0, 7);
  const window = memCrd(0x400, 0, PERM_R);
  assert.equal(b.hc(HC_PD_CTRL, ROOT_PD_SEL, 2, 100, encodeCrd(send), 1, encodeCrd(window)), SUCCESS);
  assert.deepEqual(decodeCrd(b.k.ecs.get(b.root)!.state.get(RDX), 0), { type: CRD_MEM, rights: PERM_R, order: 0, base: 0x400 });
  assert.equal(new TextDecoder().decode(pd.space.read(0x400000, 6)), "shared");
  assert.equal(pd.space.lookup(0x400) & 7, PERM_R);
  assert.equal(Math.floor(pd.space.lookup(0x400) / 8), Math.floor(root.space.lookup(0x200) / 8));
  assert.equal(b.hc(HC_REVOKE, 0, 2, encodeCrd(memCrd(0x400, 0, 7)), 100), SUCCESS);
  assert.equal(pd.space.lookup(0x400), -1);
});

test("delegation clamps differing orders with the hotspot and never overwrites another object", () => {
  const b = boot();
  world(b);
  for (let i = 0; i < 4; i++) assert.equal(b.hc(HC_CREATE_SM, 200 + i, 0, ROOT_PD_SEL, i), SUCCESS);
  // Send 4 selectors (order 2) into a 1-selector window at 20; hotspot 2 picks the third.
  assert.equal(b.hc(HC_PD_CTRL, ROOT_PD_SEL, 2, 100, encodeCrd(objCrd(200, 2, RIGHTS_ALL)), 2 * 4096 + 1, encodeCrd(objCrd(20, 0, RIGHTS_ALL))), SUCCESS);
  const pd = b.k.pds.get(obj(b, 100))!;
  assert.equal(b.k.caps.lookup(pd, 20)?.obj, obj(b, 202));
  assert.equal(b.hc(HC_PD_CTRL, ROOT_PD_SEL, 2, 100, encodeCrd(objCrd(201, 0, RIGHTS_ALL)), 1, encodeCrd(objCrd(20, 0, RIGHTS_ALL))), SUCCESS);
  assert.equal(b.k.caps.lookup(pd, 20)?.obj, obj(b, 202), "occupied selector keeps its object");
  // Types must match: an object CRD into a memory window arrives as null.
  assert.equal(b.hc(HC_PD_CTRL, ROOT_PD_SEL, 2, 100, encodeCrd(objCrd(201, 0, RIGHTS_ALL)), 1, encodeCrd(memCrd(0x10, 0, 7))), SUCCESS);
  assert.equal(b.k.ecs.get(b.root)!.state.get(RDX), 0);
});

test("only the root PD may delegate from the kernel (physical memory)", () => {
  const b = boot();
  const { ec } = world(b);
  give(b, 100, 40);
  const hip = b.k.frames.frameCount - 1;
  guestHypercall(b.k, ec, arg1(HC_PD_CTRL, 40, 2), 40, encodeCrd(memCrd(hip, 0, 7)), (1 << 11) | 1, encodeCrd(memCrd(0x100, 0, 7)));
  assert.equal(ec.state.get(RDI), BAD_CAP);
});

test("sm_ctrl: down takes a count, blocks at zero until up, and times out at a passed deadline", () => {
  const b = boot();
  const { ec } = world(b);
  assert.equal(b.hc(HC_CREATE_SM, 130, 0, ROOT_PD_SEL, 2), SUCCESS);
  give(b, 130, 7);
  const sm = b.k.sms.get(obj(b, 130))!;
  guestHypercall(b.k, ec, arg1(HC_SM_CTRL, 7, 1));
  assert.equal(ec.state.get(RDI), SUCCESS);
  assert.equal(sm.counter, 1);
  guestHypercall(b.k, ec, arg1(HC_SM_CTRL, 7, 1 | 2));
  assert.equal(sm.counter, 0, "f1 zeroes the counter");
  guestHypercall(b.k, ec, arg1(HC_SM_CTRL, 7, 1), 0, 1);
  assert.equal(ec.state.get(RDI), TIMEOUT, "deadline already passed");
  guestHypercall(b.k, ec, arg1(HC_SM_CTRL, 7, 1));
  assert.equal(ec.wait, "sm");
  assert.deepEqual(sm.waiters.map((w) => w.ec), [ec.id]);
  assert.equal(b.hc(HC_SM_CTRL, 130, 0), SUCCESS);
  assert.equal(ec.wait, "running");
  assert.equal(ec.state.get(RDI), SUCCESS);
  assert.equal(sm.counter, 0, "the up went to the waiter");
  assert.equal(b.hc(HC_SM_CTRL, 130, 0), SUCCESS);
  assert.equal(sm.counter, 1);
});

test("destroying a semaphore wakes its waiters with BAD_CAP", () => {
  const b = boot();
  const { ec } = world(b);
  assert.equal(b.hc(HC_CREATE_SM, 130, 0, ROOT_PD_SEL, 0), SUCCESS);
  give(b, 130, 7);
  guestHypercall(b.k, ec, arg1(HC_SM_CTRL, 7, 1));
  assert.equal(ec.wait, "sm");
  assert.equal(b.hc(HC_REVOKE, 0, 1, encodeCrd(objCrd(130, 0, RIGHTS_ALL))), SUCCESS);
  assert.equal(ec.wait, "running");
  assert.equal(ec.state.get(RDI), BAD_CAP);
});

test("sc_ctrl returns the SC's consumed time in µs (RSI = high, RDX = low half)", () => {
  const b = boot();
  world(b);
  assert.equal(b.hc(HC_CREATE_SC, 102, 0, ROOT_PD_SEL, 101, qpd(5, 10_000)), SUCCESS);
  const sc = b.k.scs.get(obj(b, 102))!;
  b.k.cpus[0].current = sc.id;
  b.k.charge(0, 2_800_000, "instructions");
  b.k.cpus[0].current = -1;
  assert.equal(b.hc(HC_SC_CTRL, 102), SUCCESS);
  const s = b.k.ecs.get(b.root)!.state;
  assert.deepEqual([s.get(RSI), s.get(RDX)], [0, 1000]);
  assert.equal(b.hc(HC_SC_CTRL, 101), BAD_CAP, "an EC is no SC");
});

test("ec_ctrl recall marks the EC for a RECALL event; host ECs and non-ECs are refused", () => {
  const b = boot();
  const { ec } = world(b);
  assert.equal(b.hc(HC_EC_CTRL, 101), SUCCESS);
  assert.equal(ec.recall, true);
  assert.equal(b.hc(HC_EC_CTRL, 110), BAD_PAR);
  assert.equal(b.hc(HC_EC_CTRL, 111), BAD_CAP);
  assert.equal(b.hc(HC_EC_CTRL, 101, 1), BAD_PAR, "sub-operations other than recall");
});
