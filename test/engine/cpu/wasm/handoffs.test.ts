// What a WebAssembly region hands to the interpreter mid-block must come out as in the interpreter: a TLB miss (a
// load or a read-modify-write across a page end misses every time) leaves the region and the interpreter runs the
// rest of the block; a page fault there stops at the faulting instruction with the exact count; inc/dec at a block's
// head keep CF from whatever flags came before (a cmp, another dec).

import { test } from "node:test";
import assert from "node:assert/strict";
import { Cpu, type JitMode } from "../../../../engine/cpu/cpu.ts";
import { CpuState } from "../../../../engine/cpu/state.ts";
import { AddressSpace, PERM_RW, PERM_RWX } from "../../../../engine/memory/address-space.ts";
import { FramePool } from "../../../../engine/memory/frames.ts";
import { runInSlices } from "./slices.ts";

const CODE = 0x10000, DATA = 0x20000, DATA_END = 0x28000;

// 3000 times, until [r8] runs off the data at DATA_END (iteration 2001): loads at and across the end of DATA's
// first page, flags carried from the cmp through dec and inc (blocks of their own) into adc, stores at and across it.
const PROGRAM = [
  0xb9, 0xb8, 0x0b, 0x00, 0x00, // mov ecx, 3000
  0xbf, 0xfc, 0x0f, 0x02, 0x00, // mov edi, DATA + 0xffc
  0x41, 0xb8, 0x80, 0x41, 0x02, 0x00, // mov r8d, DATA_END - 8 * 2000
  0x31, 0xdb, // xor ebx, ebx
  0x31, 0xf6, // xor esi, esi
  0x8b, 0x07, // loop: mov eax, [rdi]        (the page's last 4 bytes)
  0x48, 0x8b, 0x17, // mov rdx, [rdi]        (across the page end)
  0x48, 0x01, 0xd3, // add rbx, rdx
  0x01, 0xc3, // add ebx, eax
  0x49, 0x03, 0x18, // add rbx, [r8]
  0x49, 0x83, 0xc0, 0x08, // add r8, 8
  0x81, 0xf9, 0xdc, 0x05, 0x00, 0x00, // cmp ecx, 1500
  0xeb, 0x00, // jmp next
  0xff, 0xce, // next: dec esi
  0xeb, 0x00, // jmp next2
  0xff, 0xc6, // next2: inc esi
  0x83, 0xd3, 0x00, // adc ebx, 0              (CF of the cmp)
  0x89, 0x5f, 0xf8, // mov [rdi - 8], ebx
  0x83, 0x47, 0x02, 0x01, // add dword [rdi + 2], 1   (across the page end)
  0xff, 0xc9, // dec ecx
  0x75, 0xd3, // jnz loop
  0xcc, // int3
];

interface Outcome { stops: number[]; vector: number; rip: number; gpr: number[]; rflags: number; data: number[] }

function run(mode: JitMode, budget: number): Outcome {
  const frames = new FramePool(8);
  const space = new AddressSpace(frames);
  space.mapAnonymous(CODE, 0x1000, PERM_RWX);
  space.write(CODE, Uint8Array.from(PROGRAM));
  // The first data page's frame after the others', so that reading on past its end in the frame is wrong.
  space.mapAnonymous(DATA + 0x1000, DATA_END - DATA - 0x1000, PERM_RW);
  space.write(DATA + 0x1000, Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8]));
  space.mapAnonymous(DATA, 0x1000, PERM_RW);
  space.write(DATA + 0xff8, Uint8Array.from([9, 10, 11, 12, 13, 14, 15, 16]));
  const cpu = new Cpu(frames, 0);
  cpu.jitMode = mode;
  const state = new CpuState();
  state.rip = CODE;
  cpu.load(state, space);
  const stops = runInSlices(cpu, budget);
  cpu.save(state);
  return {
    stops, vector: cpu.exitVector, rip: state.rip, gpr: [...state.gpr], rflags: state.rflags,
    data: [...space.read(DATA + 0xff0, 0x20)],
  };
}

for (const budget of [1 << 30, 777]) {
  test(`TLB misses, a page fault and carried flags in a region end as in the interpreter (budget ${budget})`, () => {
    const interpreted = run("off", budget);
    assert.equal(interpreted.rip, CODE + 30); // the add from [r8] at DATA_END
    for (const mode of ["blocks", "wasm"] as const) assert.deepEqual(run(mode, budget), interpreted, mode);
  });
}
