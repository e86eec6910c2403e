// The status codes a guest PD gets for missing rights, wrong object types and undelegated selectors — one case per
// hypercall the other tests leave out — and isolation between two guest PDs, with revocation taking effect at once.

import assert from "node:assert/strict";
import { test } from "node:test";
import { RCX, RDI, RDX } from "../../../engine/cpu/state.ts";
import {
  BAD_CAP, BAD_PAR, EC_BIND_SC, HC_ASSIGN_GSI, HC_CALL, HC_CREATE_EC, HC_CREATE_PD, HC_CREATE_PT, HC_CREATE_SC, HC_CREATE_SM,
  HC_PD_CTRL, HC_PT_CTRL, HC_REPLY, HC_REVOKE, HC_SC_CTRL, HC_SM_CTRL, PD_CREATE_SM, PT_CALL, RIGHTS_ALL, SM_UP, SUCCESS,
} from "../../../engine/hedron/abi.ts";
import { decodeCrd, encodeCrd, memCrd, objCrd, type Crd } from "../../../engine/hedron/capspace.ts";
import type { Ec } from "../../../engine/hedron/ec.ts";
import { arg1 } from "../../../engine/hedron/syscall.ts";
import { PageFault, PERM_RW } from "../../../engine/memory/address-space.ts";
import { PAGE_SIZE } from "../../../engine/memory/frames.ts";
import { boot, guestHypercall, obj, ROOT_PD_SEL, type Booted } from "./fixture.ts";

const UTCB = 0x7fffffffd000;
const HOST_UTCB = 0x7fff00000000;

/** Guest PD `pdSel` (root selector) with a global EC at pdSel + 1; the guest holds its own PD at 32 with `pdRights`. */
function guest(b: Booted, pdSel: number, pdRights = RIGHTS_ALL): Ec {
  assert.equal(b.hc(HC_CREATE_PD, pdSel, 0, ROOT_PD_SEL), SUCCESS);
  assert.equal(b.hc(HC_CREATE_EC, pdSel + 1, 1, pdSel, UTCB, 0x1000, 0), SUCCESS);
  give(b, pdSel, pdSel, 32, pdRights);
  return b.k.ecs.get(obj(b, pdSel + 1))!;
}

/** Root delegates its selector `sel` into the guest PD at root selector `pdSel`, at `dest`, with `rights`. */
function give(b: Booted, sel: number, pdSel: number, dest: number, rights = RIGHTS_ALL): void {
  assert.equal(b.hc(HC_PD_CTRL, ROOT_PD_SEL, 2, pdSel, encodeCrd(objCrd(sel, 0, rights)), 1, encodeCrd(objCrd(dest, 0, RIGHTS_ALL))), SUCCESS);
}

/** A guest hypercall's status (the whole RDI). */
function status(b: Booted, ec: Ec, a1: number, a2 = 0, a3 = 0, a4 = 0, a5 = 0): number {
  guestHypercall(b.k, ec, a1, a2, a3, a4, a5);
  return ec.state.get(RDI);
}

const crd = (c: Crd) => encodeCrd(c);

test("create_*: an owner PD capability without the matching create right is BAD_CAP; with it, SUCCESS", () => {
  const b = boot();
  const ec = guest(b, 100, PD_CREATE_SM);
  assert.equal(status(b, ec, arg1(HC_CREATE_PD, 200), 32), BAD_CAP);
  assert.equal(status(b, ec, arg1(HC_CREATE_EC, 200), 32, UTCB - PAGE_SIZE), BAD_CAP);
  assert.equal(status(b, ec, arg1(HC_CREATE_PT, 200), 32, 33, 0, 0x1000), BAD_CAP);
  assert.equal(status(b, ec, arg1(HC_CREATE_SM, 200), 32, 1), SUCCESS);
  assert.equal(status(b, ec, arg1(HC_CREATE_SM, 200), 32, 1), BAD_CAP, "occupied selector");
  assert.equal(status(b, ec, arg1(HC_CREATE_SM, 201), 200, 1), BAD_CAP, "a semaphore as owner");
});

test("create_sc and create_pt need the EC's bind rights", () => {
  const b = boot();
  const ec = guest(b, 100);
  assert.equal(status(b, ec, arg1(HC_CREATE_EC, 40, 1), 32, UTCB - PAGE_SIZE, 0x2000, 0), SUCCESS, "a global EC");
  assert.equal(status(b, ec, arg1(HC_CREATE_EC, 41), 32, UTCB - 2 * PAGE_SIZE, 0x3000, 0), SUCCESS, "a local EC");
  // Copies with fewer rights, made by the guest itself.
  assert.equal(status(b, ec, arg1(HC_PD_CTRL, 32, 2), 32, crd(objCrd(40, 0, EC_BIND_SC)), 1, crd(objCrd(50, 0, RIGHTS_ALL))), SUCCESS);
  assert.equal(status(b, ec, arg1(HC_PD_CTRL, 32, 2), 32, crd(objCrd(41, 0, EC_BIND_SC)), 1, crd(objCrd(51, 0, RIGHTS_ALL))), SUCCESS);
  assert.equal(status(b, ec, arg1(HC_CREATE_PT, 60), 32, 51, 0, 0x1000), BAD_CAP, "no bind-PT right");
  assert.equal(status(b, ec, arg1(HC_CREATE_PT, 60), 32, 41, 0, 0x1000), SUCCESS);
  assert.equal(status(b, ec, arg1(HC_CREATE_SC, 61), 32, 50, 4096 * 1000 + 1), SUCCESS, "bind-SC right suffices");
});

test("sc_ctrl, pt_ctrl and sm_ctrl check their rights; sm_ctrl up and down are separate rights", () => {
  const b = boot();
  const ec = guest(b, 100);
  assert.equal(b.hc(HC_CREATE_EC, 110, 0, ROOT_PD_SEL, HOST_UTCB, 0, 0), SUCCESS);
  assert.equal(b.hc(HC_CREATE_PT, 111, 0, ROOT_PD_SEL, 110, 0, 7), SUCCESS);
  assert.equal(b.hc(HC_CREATE_SM, 112, 0, ROOT_PD_SEL, 1), SUCCESS);
  assert.equal(b.hc(HC_CREATE_SC, 113, 0, ROOT_PD_SEL, 101, 4096 * 1000 + 1), SUCCESS);
  give(b, 111, 100, 40, PT_CALL);
  give(b, 112, 100, 41, SM_UP);
  give(b, 113, 100, 42, 0x2);
  assert.equal(status(b, ec, arg1(HC_PT_CTRL, 40), 9), BAD_CAP, "call right only");
  assert.equal(status(b, ec, arg1(HC_SM_CTRL, 41, 1)), BAD_CAP, "down without the down right");
  assert.equal(status(b, ec, arg1(HC_SM_CTRL, 41, 0)), SUCCESS, "up with the up right");
  assert.equal(b.k.sms.get(obj(b, 112))!.counter, 2);
  assert.equal(status(b, ec, arg1(HC_SC_CTRL, 42)), BAD_CAP, "no sc_ctrl right");
  assert.equal(status(b, ec, arg1(HC_SC_CTRL, 41)), BAD_CAP, "a semaphore is no SC");
  assert.equal(status(b, ec, arg1(HC_ASSIGN_GSI)), BAD_CAP, "hardware");
});

test("pd_ctrl: unmodelled sub-operations are BAD_PAR; a non-PD source or destination, or a kernel source, is BAD_CAP", () => {
  const b = boot();
  const ec = guest(b, 100);
  assert.equal(status(b, ec, arg1(HC_PD_CTRL, 32, 1)), BAD_PAR);
  assert.equal(status(b, ec, arg1(HC_PD_CTRL, 32, 3)), BAD_PAR);
  assert.equal(status(b, ec, arg1(HC_PD_CTRL, 33, 2), 32, crd(objCrd(32, 0, 1)), 1, crd(objCrd(60, 0, 1))), BAD_CAP, "source is an EC");
  assert.equal(status(b, ec, arg1(HC_PD_CTRL, 32, 2), 33, crd(objCrd(32, 0, 1)), 1, crd(objCrd(60, 0, 1))), BAD_CAP, "destination is an EC");
  assert.equal(status(b, ec, arg1(HC_PD_CTRL, 32, 2), 32, crd(memCrd(300, 0, 7)), 1 | (1 << 11), crd(memCrd(0x500, 0, 7))), BAD_CAP, "from the kernel");
});

test("reply with no caller makes the EC wait for a call without a status; every status replaces RDI, RCX keeps the return RIP", () => {
  const b = boot();
  const ec = guest(b, 100);
  ec.state.set(RDI, 0x1234_5000 + HC_REVOKE);
  assert.equal(status(b, ec, arg1(HC_REVOKE, 0, 2), crd(objCrd(0, 0, RIGHTS_ALL)), 33), BAD_CAP, "remote revoke in an EC");
  assert.equal(ec.state.get(RCX), ec.state.rip);
  guestHypercall(b.k, ec, arg1(HC_REPLY));
  assert.equal(ec.wait, "idle");
});

test("isolation between two guest PDs: no access to the other's memory, objects or capability space", () => {
  const b = boot();
  const a = guest(b, 100);
  const c = guest(b, 120);
  const aPd = b.k.pds.get(a.pd)!;
  const cPd = b.k.pds.get(c.pd)!;
  aPd.space.mapAnonymous(0x400000, PAGE_SIZE, PERM_RW);
  aPd.space.write(0x400000, new Uint8Array([42]));
  assert.throws(() => cPd.space.read(0x400000, 1), PageFault, "C sees nothing at A's address");
  assert.equal(status(b, a, arg1(HC_CREATE_SM, 70), 32, 0), SUCCESS);
  // C holds no capability for A's PD: it can neither take from it nor revoke in it; A's semaphore is not at C's 70.
  assert.equal(status(b, c, arg1(HC_PD_CTRL, 77, 2), 32, crd(objCrd(70, 0, RIGHTS_ALL)), 1, crd(objCrd(70, 0, RIGHTS_ALL))), BAD_CAP, "no PD at 77");
  assert.equal(status(b, c, arg1(HC_SM_CTRL, 70)), BAD_CAP);
  // The root gives A's page to C; C sees the same byte; a revoke in C takes effect before C's next access.
  const aFrame = Math.floor(aPd.space.lookup(0x400000 / PAGE_SIZE) / 8);
  assert.equal(b.hc(HC_PD_CTRL, 100, 2, 120, crd(memCrd(0x400, 0, 7)), 1, crd(memCrd(0x800, 0, 1))), SUCCESS);
  assert.deepEqual(decodeCrd(b.k.ecs.get(b.root)!.state.get(RDX), 0), { type: 1, rights: 1, order: 0, base: 0x800 });
  assert.equal(cPd.space.read(0x800000, 1)[0], 42);
  assert.equal(Math.floor(cPd.space.lookup(0x800) / 8), aFrame, "the same frame");
  assert.throws(() => cPd.space.write(0x800000, new Uint8Array([1])), PageFault, "read-only in C");
  assert.equal(b.hc(HC_REVOKE, 0, 2, crd(memCrd(0x800, 0, 7)), 120), SUCCESS);
  assert.throws(() => cPd.space.read(0x800000, 1), PageFault);
  assert.equal(aPd.space.read(0x400000, 1)[0], 42, "A keeps its page");
  // Objects: a portal given to C stops working the moment the root revokes it.
  assert.equal(b.hc(HC_CREATE_EC, 140, 0, ROOT_PD_SEL, HOST_UTCB, 0, 0), SUCCESS);
  assert.equal(b.hc(HC_CREATE_PT, 141, 0, ROOT_PD_SEL, 140, 0, 7), SUCCESS);
  b.host.handlers.set(7, () => {});
  give(b, 141, 120, 90, PT_CALL);
  assert.equal(status(b, c, arg1(HC_CALL, 90)) & 0xff, SUCCESS);
  assert.equal(b.hc(HC_REVOKE, 0, 0, crd(objCrd(141, 0, RIGHTS_ALL))), SUCCESS);
  assert.equal(status(b, c, arg1(HC_CALL, 90)), BAD_CAP);
  assert.equal(b.host.calls.length, 1);
});
