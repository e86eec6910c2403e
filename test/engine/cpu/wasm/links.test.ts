// Regions linked to each other: a call into code that the guest then rewrites runs the new code (no stale link), and
// budget stops fall on the same block ends as in the interpreter.

import { test } from "node:test";
import assert from "node:assert/strict";
import { Cpu, VEC_BP, type JitMode } from "../../../../engine/cpu/cpu.ts";
import { CpuState, RBX, RSP } from "../../../../engine/cpu/state.ts";
import { AddressSpace, PERM_RW, PERM_RWX } from "../../../../engine/memory/address-space.ts";
import { FramePool } from "../../../../engine/memory/frames.ts";
import { runInSlices } from "./slices.ts";

const CODE = 0x10000, F = CODE + 0x1000, G = CODE + 0x2000, STACK_TOP = 0x31000;

// 3000 times: rbx += (ecx odd ? G : F)(), called through rax. The caller's region follows the call to the target the
// interpreter saw last (F); G, on a page of its own, gets a region of its own, reached through a link. After the call at ecx == 300 the
// loop patches G's `mov eax, 2` to `mov eax, 5`: G's region is stale, and no link may lead into it.
const MAIN = [
  0xb9, 0xb8, 0x0b, 0x00, 0x00, // mov ecx, 3000
  0x31, 0xdb, // xor ebx, ebx
  0xf6, 0xc1, 0x01, // loop: test cl, 1
  0xb8, 0x00, 0x10, 0x01, 0x00, // mov eax, F
  0xba, 0x00, 0x20, 0x01, 0x00, // mov edx, G
  0x0f, 0x45, 0xc2, // cmovnz eax, edx
  0xff, 0xd0, // call rax
  0x01, 0xc3, // add ebx, eax
  0x81, 0xf9, 0x2c, 0x01, 0x00, 0x00, // cmp ecx, 300
  0x75, 0x07, // jne skip
  0xc6, 0x05, 0xd7, 0x1f, 0x00, 0x00, 0x05, // mov byte [G + 1], 5
  0xff, 0xc9, // skip: dec ecx
  0x75, 0xd9, // jnz loop
  0xcc, // int3
];
const FUNCTION_F = [0xb8, 0x01, 0x00, 0x00, 0x00, 0xc3]; // mov eax, 1 ; ret
const FUNCTION_G = [0xb8, 0x02, 0x00, 0x00, 0x00, 0xc3]; // mov eax, 2 ; ret

/** A CPU in `mode` about to run the code at CODE: `code` maps each address to its bytes, in `codeBytes` of RWX pages. */
function boot(mode: JitMode, codeBytes: number, code: [number, number[]][]): { cpu: Cpu; space: AddressSpace; frames: FramePool } {
  const frames = new FramePool(8);
  const space = new AddressSpace(frames);
  space.mapAnonymous(CODE, codeBytes, PERM_RWX);
  for (const [at, bytes] of code) space.write(at, Uint8Array.from(bytes));
  space.mapAnonymous(STACK_TOP - 0x1000, 0x1000, PERM_RW);
  const cpu = new Cpu(frames, 0);
  cpu.jitMode = mode;
  const state = new CpuState();
  state.rip = CODE;
  state.set(RSP, STACK_TOP);
  cpu.load(state, space);
  return { cpu, space, frames };
}

/** Runs the program in `mode` in slices of `budget` instructions: the icount at every stop, and rbx at the end. */
function run(mode: JitMode, budget: number): { stops: number[]; rbx: number } {
  const { cpu } = boot(mode, 0x3000, [[CODE, MAIN], [F, FUNCTION_F], [G, FUNCTION_G]]);
  const stops = runInSlices(cpu, budget);
  assert.equal(cpu.exitVector, VEC_BP);
  return { stops, rbx: cpu.reg64(RBX) };
}

for (const budget of [1 << 30, 777]) {
  test(`a patched callee reached through a link runs its new code and budget stops match the interpreter in every mode (budget ${budget})`, () => {
    const interpreted = run("off", budget);
    assert.equal(interpreted.rbx, 1500 + 2 * 1350 + 5 * 150);
    for (const mode of ["blocks", "regions", "wasm"] as const) assert.deepEqual(run(mode, budget), interpreted, mode);
  });
}

// 3000 times rbx += F() with a direct call (F on the next page, in the caller's region); at the first budget stop
// past 6000 instructions F's page is mapped to a fresh frame holding `mov eax, 7` while the old frame stays alive.
const CALLER = [
  0xb9, 0xb8, 0x0b, 0x00, 0x00, // mov ecx, 3000
  0x31, 0xdb, // xor ebx, ebx
  0xe8, 0xf4, 0x0f, 0x00, 0x00, // loop: call F
  0x01, 0xc3, // add ebx, eax
  0xff, 0xc9, // dec ecx
  0x75, 0xf5, // jnz loop
  0xcc, // int3
];

function runRemapped(mode: JitMode): { stops: number[]; rbx: number } {
  const { cpu, space, frames } = boot(mode, 0x2000, [[CODE, CALLER], [F, FUNCTION_F]]);
  let remapped = false;
  const stops = runInSlices(cpu, 777, () => {
    if (remapped || cpu.icount <= 6000) return;
    remapped = true;
    frames.retain(Math.floor(space.lookup(F / 4096) / 8)); // the old frame outlives the mapping
    space.unmap(F / 4096);
    space.mapAnonymous(F, 0x1000, PERM_RWX);
    space.write(F, Uint8Array.from([0xb8, 0x07, 0x00, 0x00, 0x00, 0xc3]));
  });
  assert.equal(cpu.exitVector, VEC_BP);
  return { stops, rbx: cpu.reg64(RBX) };
}

test("a page of a region mapped to other code is not run from the old frame", () => {
  const interpreted = runRemapped("off");
  assert.ok(interpreted.rbx > 3000 && interpreted.rbx < 7 * 3000);
  for (const mode of ["blocks", "regions", "wasm"] as const) assert.deepEqual(runRemapped(mode), interpreted, mode);
});
