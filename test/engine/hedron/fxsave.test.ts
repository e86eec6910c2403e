import assert from "node:assert/strict";
import { test } from "node:test";
import { toDouble } from "../../../engine/cpu/f80.ts";
import { CpuState, RAX } from "../../../engine/cpu/state.ts";
import { FX_MXCSR, FX_ST, FX_XMM, readFxsave, writeFxsave } from "../../../engine/hedron/fxsave.ts";
import { EXC_FPU, MTD_ACDB, MTD_FPU, Utcb } from "../../../engine/hedron/utcb.ts";
import { FramePool } from "../../../engine/memory/frames.ts";
import { sampleRegs } from "../../helpers/cpu-state.ts";

test("fxsave image: ST(i) slots follow TOP, the abridged tag and XMM lanes in place, and it reads back exactly", () => {
  const r = sampleRegs(0x7ffff000);
  const image = new DataView(new ArrayBuffer(512));
  writeFxsave(r, image, 0);
  assert.equal(image.getUint16(0, true), 0x027f);
  assert.equal(image.getUint16(2, true), 6 << 11);
  assert.equal(image.getUint8(4), 0xc0);
  assert.equal(image.getUint32(FX_MXCSR, true), 0x1fa0);
  assert.equal(image.getUint32(FX_ST + 4, true), 0x80000000); // ST(0) = physical 6
  assert.equal(image.getUint16(FX_ST + 8, true), 0x3fff);
  assert.equal(image.getUint16(FX_ST + 16 + 8, true), 0x4000);
  assert.equal(image.getUint32(FX_ST + 16 + 4, true), 0xc0000000); // ST(1) = physical 7
  assert.equal(image.getInt32(FX_XMM + 16 * 3 + 8, true), 0x01010101 * 15);
  const back = new CpuState();
  readFxsave(back, image, 0);
  assert.deepEqual([...back.xmm], [...r.xmm]);
  assert.deepEqual([...back.stx], [...r.stx]);
  assert.equal(toDouble(back.stx, 3 * 6), 1);
  assert.equal(toDouble(back.stx, 3 * 7), 3);
  assert.deepEqual([back.mxcsr, back.fpuControl, back.fpuStatus, back.fpuTag], [r.mxcsr, r.fpuControl, r.fpuStatus, r.fpuTag]);
});

test("MTD_FPU: the exception layout carries the FXSAVE image at EXC_FPU, and a reply with the bit loads it", () => {
  const frames = new FramePool(4);
  const utcb = new Utcb(frames, frames.alloc());
  const r = sampleRegs(0x7ffff000);
  utcb.saveState(r, (MTD_ACDB | MTD_FPU) >>> 0, { errorCode: 0, address: 0, instLength: 0 });
  assert.equal(frames.view.getUint16(utcb.base + EXC_FPU, true), r.fpuControl);
  assert.equal(frames.view.getInt32(utcb.base + EXC_FPU + FX_XMM, true), r.xmm[0]);
  const back = new CpuState();
  assert.equal(utcb.loadState(back) >>> 0, (MTD_ACDB | MTD_FPU) >>> 0);
  assert.deepEqual([...back.xmm], [...r.xmm]);
  assert.deepEqual([...back.stx], [...r.stx]);
  assert.equal(back.get(RAX), r.get(RAX));
  // Without the bit the reply leaves the FPU alone.
  utcb.setU64(0x20, MTD_ACDB);
  const untouched = new CpuState();
  utcb.loadState(untouched);
  assert.equal(untouched.xmm[0], 0);
  assert.equal(untouched.mxcsr, 0x1f80);
});
