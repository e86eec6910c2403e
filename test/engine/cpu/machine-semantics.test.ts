// CPU ↔ memory contract: precise faults, self-modifying code and loader rewrites of cached code, page-straddling
// accesses and instructions, TLB flushes on unmap, the syscall exit, #UD/#DE reporting and the block trace.

import { test } from "node:test";
import assert from "node:assert/strict";
import { Cpu, EXIT_BUDGET, EXIT_EXCEPTION, EXIT_SYSCALL, VEC_BP, VEC_DE, VEC_PF, VEC_UD } from "../../../engine/cpu/cpu.ts";
import { CpuState, RAX, RBX, RCX, RSP, R11 } from "../../../engine/cpu/state.ts";
import { AddressSpace, PERM_R, PERM_RW, PERM_RWX, PERM_X, PF_FETCH, PF_PRESENT, PF_USER, PF_WRITE } from "../../../engine/memory/address-space.ts";
import { FramePool } from "../../../engine/memory/frames.ts";

const CODE = 0x10000, DATA = 0x20000, STACK_TOP = 0x31000;
const PERM_RX = PERM_R | PERM_X;

function machine(jitThreshold: number, code: number[], perms = PERM_RX) {
  const frames = new FramePool(8);
  const space = new AddressSpace(frames);
  space.mapAnonymous(CODE, 0x2000, PERM_RWX);
  space.write(CODE, Uint8Array.from(code));
  for (let p = 0; p < 2; p++) space.protect(CODE / 4096 + p, perms);
  space.mapAnonymous(DATA, 0x2000, PERM_RW);
  space.mapAnonymous(STACK_TOP - 0x1000, 0x1000, PERM_RW);
  const cpu = new Cpu(frames, 0);
  cpu.jitThreshold = Math.max(jitThreshold, 0);
  if (jitThreshold < 0) cpu.regionThreshold = 1;
  if (jitThreshold === WASM) cpu.wasmRegions = true;
  const state = new CpuState();
  state.rip = CODE;
  state.set(RSP, STACK_TOP);
  cpu.load(state, space);
  return { frames, space, cpu, state };
}

/** A jit of -2: regions compiled to WebAssembly on the first compiled entry. */
const WASM = -2;

/** Every behaviour holds for the interpreter, for blocks compiled on first entry, and for regions recompiled on the
 * first compiled entry (a jit of -1), in JavaScript or WebAssembly (-2). */
for (const [mode, jit] of [["interpreted", Infinity], ["compiled", 0], ["regions", -1], ["wasm regions", WASM]] as const) {
  test(`${mode}: a store into the running block re-decodes the patched instruction`, () => {
    // mov byte [rip+1], 0x42 ; mov eax, 0x11 (immediate patched to 0x42) ; int3
    const { cpu } = machine(jit, [0xc6, 0x05, 0x01, 0x00, 0x00, 0x00, 0x42, 0xb8, 0x11, 0x00, 0x00, 0x00, 0xcc], PERM_RWX);
    assert.equal(cpu.run(100), EXIT_EXCEPTION);
    assert.equal(cpu.exitVector, VEC_BP);
    assert.equal(cpu.reg64(RAX), 0x42);
  });

  test(`${mode}: code rewritten through AddressSpace.write (the loader) is not served from the block cache`, () => {
    const { cpu, space } = machine(jit, [0xb8, 0x01, 0x00, 0x00, 0x00, 0xcc]); // mov eax, 1 ; int3
    assert.equal(cpu.run(100), EXIT_EXCEPTION);
    assert.equal(cpu.reg64(RAX), 1);
    space.write(CODE, Uint8Array.from([0xb8, 0x02, 0x00, 0x00, 0x00, 0xcc]), true);
    cpu.rip = CODE;
    cpu.syncMemory();
    assert.equal(cpu.run(100), EXIT_EXCEPTION);
    assert.equal(cpu.reg64(RAX), 2);
  });

  test(`${mode}: a faulting read-modify-write leaves memory, registers and flags untouched`, () => {
    // cmp eax, eax (ZF=1) ; add [rbx], ecx   with rbx -> read-only page
    const { cpu, space } = machine(jit, [0x39, 0xc0, 0x01, 0x0b, 0xcc]);
    space.protect(DATA / 4096, PERM_R);
    cpu.syncMemory();
    cpu.setReg64(RBX, DATA + 8);
    cpu.setReg64(RCX, 5);
    assert.equal(cpu.run(100), EXIT_EXCEPTION);
    assert.equal(cpu.exitVector, VEC_PF);
    assert.equal(cpu.exitErrorCode, PF_WRITE | PF_USER | PF_PRESENT);
    assert.equal(cpu.exitAddress, DATA + 8);
    assert.equal(cpu.rip, CODE + 2);
    assert.equal(cpu.icount, 1);
    assert.equal(cpu.getRflags() & 0x40, 0x40);
    assert.equal(space.readU64(DATA + 8), 0);
  });

  test(`${mode}: push onto an unmapped stack faults with rsp unchanged`, () => {
    const { cpu } = machine(jit, [0x50, 0xcc]); // push rax
    cpu.setReg64(RSP, STACK_TOP - 0x1000);
    assert.equal(cpu.run(100), EXIT_EXCEPTION);
    assert.equal(cpu.exitVector, VEC_PF);
    assert.equal(cpu.exitAddress, STACK_TOP - 0x1008);
    assert.equal(cpu.reg64(RSP), STACK_TOP - 0x1000);
    assert.equal(cpu.rip, CODE);
  });

  test(`${mode}: page-straddling loads and stores work, and a straddling store to a partly unmapped range writes nothing`, () => {
    // mov [rbx], rcx ; mov rax, [rbx] ; int3
    const { cpu, space } = machine(jit, [0x48, 0x89, 0x0b, 0x48, 0x8b, 0x03, 0xcc]);
    cpu.setReg64(RBX, DATA + 0xffc);
    cpu.r[2 * RCX] = 0x44332211;
    cpu.r[2 * RCX + 1] = 0x88776655 | 0;
    assert.equal(cpu.run(100), EXIT_EXCEPTION);
    assert.equal(cpu.exitVector, VEC_BP);
    assert.equal(cpu.r[2 * RAX] >>> 0, 0x44332211);
    assert.equal(cpu.r[2 * RAX + 1] >>> 0, 0x88776655);
    assert.deepEqual([...space.read(DATA + 0xffc, 8)], [0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88]);
    space.unmap(DATA / 4096 + 1);
    space.write(DATA + 0xffc, new Uint8Array(4));
    cpu.rip = CODE;
    cpu.syncMemory();
    assert.equal(cpu.run(100), EXIT_EXCEPTION);
    assert.equal(cpu.exitVector, VEC_PF);
    assert.equal(cpu.exitAddress, DATA + 0x1000);
    assert.deepEqual([...space.read(DATA + 0xffc, 4)], [0, 0, 0, 0]);
  });

  test(`${mode}: an unmapped page is seen after the TLB held it (generation flush)`, () => {
    const { cpu, space } = machine(jit, [0x8b, 0x03, 0xcc]); // mov eax, [rbx]
    cpu.setReg64(RBX, DATA);
    assert.equal(cpu.run(100), EXIT_EXCEPTION);
    assert.equal(cpu.exitVector, VEC_BP);
    space.unmap(DATA / 4096);
    cpu.rip = CODE;
    cpu.syncMemory();
    assert.equal(cpu.run(100), EXIT_EXCEPTION);
    assert.equal(cpu.exitVector, VEC_PF);
    assert.equal(cpu.exitErrorCode, PF_USER);
  });

  test(`${mode}: an instruction straddling two code pages runs, and faults on fetch when the second page is gone`, () => {
    const start = CODE + 0xffe; // mov eax, 0x12345678 split 2 | 3 bytes ; int3
    const { cpu, space } = machine(jit, []);
    space.write(start, Uint8Array.from([0xb8, 0x78, 0x56, 0x34, 0x12, 0xcc]), true);
    cpu.syncMemory();
    cpu.rip = start;
    assert.equal(cpu.run(100), EXIT_EXCEPTION);
    assert.equal(cpu.exitVector, VEC_BP);
    assert.equal(cpu.reg64(RAX), 0x12345678);
    space.unmap(CODE / 4096 + 1);
    cpu.rip = start;
    cpu.syncMemory();
    assert.equal(cpu.run(100), EXIT_EXCEPTION);
    assert.equal(cpu.exitVector, VEC_PF);
    assert.equal(cpu.exitErrorCode, PF_FETCH | PF_USER);
    assert.equal(cpu.exitAddress, CODE + 0x1000);
    assert.equal(cpu.rip, start);
  });

  test(`${mode}: a jump to a page without execute permission faults at its target, the jump counted`, () => {
    // mov eax, 7 ; jmp DATA (mapped read-write): the fault comes from fetching the next block
    const rel = DATA - (CODE + 10);
    const { cpu } = machine(jit, [0xb8, 0x07, 0x00, 0x00, 0x00, 0xe9, rel & 0xff, (rel >> 8) & 0xff, (rel >> 16) & 0xff, rel >>> 24]);
    assert.equal(cpu.run(100), EXIT_EXCEPTION);
    assert.equal(cpu.exitVector, VEC_PF);
    assert.equal(cpu.exitErrorCode, PF_FETCH | PF_PRESENT | PF_USER);
    assert.equal(cpu.exitAddress, DATA);
    assert.equal(cpu.rip, DATA);
    assert.equal(cpu.exitInstrLength, 0);
    assert.equal(cpu.icount, 2);
    assert.equal(cpu.reg64(RAX), 7);
  });

  test(`${mode}: syscall exits with rcx = next rip, r11 = rflags and length 2`, () => {
    const { cpu } = machine(jit, [0x31, 0xc0, 0x0f, 0x05]); // xor eax, eax ; syscall
    assert.equal(cpu.run(100), EXIT_SYSCALL);
    assert.equal(cpu.rip, CODE + 4);
    assert.equal(cpu.reg64(RCX), CODE + 4);
    assert.equal(cpu.reg64(R11), cpu.getRflags());
    assert.equal(cpu.reg64(R11) & 0x44, 0x44); // ZF and PF from xor
    assert.equal(cpu.exitInstrLength, 2);
    assert.equal(cpu.icount, 2);
  });

  test(`${mode}: unimplemented encodings raise #UD at their address; division by zero raises #DE at the div`, () => {
    const ud = machine(jit, [0x90, 0xc5, 0xf8, 0x77]); // nop ; vzeroupper (AVX is not implemented)
    assert.equal(ud.cpu.run(100), EXIT_EXCEPTION);
    assert.equal(ud.cpu.exitVector, VEC_UD);
    assert.equal(ud.cpu.exitAddress, CODE + 1);
    assert.equal(ud.cpu.rip, CODE + 1);
    const de = machine(jit, [0x31, 0xc9, 0xf7, 0xf1]); // xor ecx, ecx ; div ecx
    assert.equal(de.cpu.run(100), EXIT_EXCEPTION);
    assert.equal(de.cpu.exitVector, VEC_DE);
    assert.equal(de.cpu.rip, CODE + 2);
  });

  test(`${mode}: the budget is checked at block ends and the block trace records each block start`, () => {
    // loop: dec ecx ; jnz loop ; int3
    const { cpu } = machine(jit, [0xff, 0xc9, 0x75, 0xfc, 0xcc]);
    cpu.setReg64(RCX, 10);
    cpu.blockTrace = new Float64Array(64);
    assert.equal(cpu.run(6), EXIT_BUDGET);
    assert.equal(cpu.icount, 6);
    assert.equal(cpu.run(100), EXIT_EXCEPTION);
    assert.equal(cpu.icount, 21);
    assert.equal(cpu.blockTraceLength, 11);
    assert.deepEqual([...cpu.blockTrace.subarray(0, 11)], [...Array(10).fill(CODE), CODE + 4]);
  });
}
