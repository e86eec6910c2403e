// Differential test against the host CPU: instructions generated from the instruction table's rows (register
// forms, random operand sizes, registers, immediates, flags and XMM values) run natively and in the engine.

import { after, test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Cpu, EXIT_EXCEPTION, VEC_BP } from "../../../engine/cpu/cpu.ts";
import { CpuState, GPR_NAMES } from "../../../engine/cpu/state.ts";
import { ROWS, S, U, type Row } from "../../../engine/cpu/table.ts";
import { AddressSpace, PERM_RW, PERM_RWX } from "../../../engine/memory/address-space.ts";
import { FramePool } from "../../../engine/memory/frames.ts";

const HARNESS = String.raw`
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
typedef struct { uint64_t r[16]; uint64_t flags; uint64_t x[32]; } Regs;
Regs g; void *g_code; uint64_t g_saved_rsp;
extern void tramp(void);
__asm__(".globl tramp\ntramp:\n"
  "push %rbx\npush %rbp\npush %r12\npush %r13\npush %r14\npush %r15\n"
  "mov %rsp, g_saved_rsp(%rip)\n"
  "movdqu g+136(%rip),%xmm0\n""movdqu g+152(%rip),%xmm1\n""movdqu g+168(%rip),%xmm2\n""movdqu g+184(%rip),%xmm3\n""movdqu g+200(%rip),%xmm4\n""movdqu g+216(%rip),%xmm5\n""movdqu g+232(%rip),%xmm6\n""movdqu g+248(%rip),%xmm7\n""movdqu g+264(%rip),%xmm8\n""movdqu g+280(%rip),%xmm9\n""movdqu g+296(%rip),%xmm10\n""movdqu g+312(%rip),%xmm11\n""movdqu g+328(%rip),%xmm12\n""movdqu g+344(%rip),%xmm13\n""movdqu g+360(%rip),%xmm14\n""movdqu g+376(%rip),%xmm15\n"
  "mov g+0(%rip),%rax\nmov g+8(%rip),%rcx\nmov g+16(%rip),%rdx\nmov g+24(%rip),%rbx\n"
  "mov g+40(%rip),%rbp\nmov g+48(%rip),%rsi\nmov g+56(%rip),%rdi\nmov g+64(%rip),%r8\nmov g+72(%rip),%r9\n"
  "mov g+80(%rip),%r10\nmov g+88(%rip),%r11\nmov g+96(%rip),%r12\nmov g+104(%rip),%r13\nmov g+112(%rip),%r14\n"
  "mov g+120(%rip),%r15\npushq g+128(%rip)\npopfq\n"
  "call *g_code(%rip)\n"
  "pushfq\npopq g+128(%rip)\n"
  "mov %rax,g+0(%rip)\nmov %rcx,g+8(%rip)\nmov %rdx,g+16(%rip)\nmov %rbx,g+24(%rip)\nmov %rbp,g+40(%rip)\n"
  "mov %rsi,g+48(%rip)\nmov %rdi,g+56(%rip)\nmov %r8,g+64(%rip)\nmov %r9,g+72(%rip)\nmov %r10,g+80(%rip)\n"
  "mov %r11,g+88(%rip)\nmov %r12,g+96(%rip)\nmov %r13,g+104(%rip)\nmov %r14,g+112(%rip)\nmov %r15,g+120(%rip)\n"
  "movdqu %xmm0,g+136(%rip)\n""movdqu %xmm1,g+152(%rip)\n""movdqu %xmm2,g+168(%rip)\n""movdqu %xmm3,g+184(%rip)\n""movdqu %xmm4,g+200(%rip)\n""movdqu %xmm5,g+216(%rip)\n""movdqu %xmm6,g+232(%rip)\n""movdqu %xmm7,g+248(%rip)\n""movdqu %xmm8,g+264(%rip)\n""movdqu %xmm9,g+280(%rip)\n""movdqu %xmm10,g+296(%rip)\n""movdqu %xmm11,g+312(%rip)\n""movdqu %xmm12,g+328(%rip)\n""movdqu %xmm13,g+344(%rip)\n""movdqu %xmm14,g+360(%rip)\n""movdqu %xmm15,g+376(%rip)\n"
  "mov g_saved_rsp(%rip),%rsp\npop %r15\npop %r14\npop %r13\npop %r12\npop %rbp\npop %rbx\nret\n");
int main(void) {
  unsigned char *code = mmap(0, 4096, PROT_READ|PROT_WRITE|PROT_EXEC, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0);
  char hex[128];
  g_code = code;
  while (scanf("%127s", hex) == 1) {
    int n = strlen(hex) / 2;
    for (int k = 0; k < n; k++) sscanf(hex + 2 * k, "%2hhx", &code[k]);
    code[n] = 0xc3;
    for (int k = 0; k < 49; k++) scanf("%lx", (unsigned long *)(k < 16 ? &g.r[k] : k == 16 ? &g.flags : &g.x[k - 17]));
    tramp();
    for (int k = 0; k < 49; k++) printf("%lx%c", (unsigned long)(k < 16 ? g.r[k] : k == 16 ? g.flags : g.x[k - 17]), k == 48 ? '\n' : ' ');
    fflush(stdout);
  }
  return 0;
}
`;

function buildHarness(): string | null {
  const dir = mkdtempSync(join(tmpdir(), "hedron-cpu-diff-"));
  after(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, "h.c"), HARNESS);
  const r = spawnSync("gcc", ["-O1", "-o", join(dir, "h"), join(dir, "h.c")]);
  return r.status === 0 ? join(dir, "h") : null;
}

/** Deterministic PRNG so a failure reproduces. */
let seed = 0x1234567;
function rnd(n: number): number {
  seed ^= seed << 13; seed ^= seed >>> 17; seed ^= seed << 5;
  return (seed >>> 0) % n;
}
function rnd64(): bigint {
  const pick = rnd(8);
  const specials = [0n, 1n, 0xffffffffffffffffn, 0x8000000000000000n, 0x7fffffffffffffffn, 0x80000000n, 0xffffffffn];
  if (pick < 2) return specials[rnd(specials.length)];
  return (BigInt(rnd(0x10000)) << 48n) | (BigInt(rnd(0x10000)) << 32n) | (BigInt(rnd(0x10000)) << 16n) | BigInt(rnd(0x10000));
}

const TESTED = new Set<number>([
  U.MOV_EG, U.MOV_GE, U.MOV_EI, U.ALU_EG, U.ALU_GE, U.ALU_EI, U.TEST_EG, U.TEST_EI, U.XCHG, U.LEA, U.MOVZX, U.MOVSX,
  U.INC, U.DEC, U.NEG, U.NOT, U.SHIFT_EI, U.SHIFT_ECL, U.SHLD, U.SHRD, U.MUL1, U.IMUL1, U.IMUL_GE, U.IMUL_GEI,
  U.CVT_A, U.CVT_D, U.CMOV, U.SETCC, U.CMPXCHG, U.XADD, U.BSF, U.BSR, U.TZCNT, U.LZCNT, U.POPCNT, U.BT_EG,
  U.BT_EI, U.BSWAP, U.FLAGOP, U.DIV, U.IDIV,
]);

interface Case {
  hex: string;
  regs: bigint[];
  flags: number;
  /** Flags whose value is architecturally undefined for this instance. */
  undef: number;
  row: Row;
  /** Registers whose value is undefined for this instance. */
  undefRegs: number[];
  /** xmm0..15 as 32 qwords (low, high per register). */
  xmm: bigint[];
}

const CF = 1, PF = 4, AF = 16, ZF = 64, SF = 128, OF = 2048;

function generate(row: Row): Case | null {
  const bytes: number[] = [];
  const forms = row.form.split(",");
  const isV = forms.some((f) => f.endsWith("v") || f.endsWith("y"));
  const size = isV ? [2, 4, 8][rnd(3)] : 4;
  if (size === 2) bytes.push(0x66);
  if (!row.pfxAny && row.pfx !== 0) bytes.push(row.pfx);
  const memForm = row.ex === U.LEA;
  const mod = memForm ? rnd(3) : 3;
  const reg = row.reg >= 0 ? row.reg : rnd(16);
  let rm = rnd(16);
  let rexB = rm >> 3;
  const rexR = reg >> 3;
  const zForm = forms.some((f) => f.startsWith("Z"));
  if (zForm) rexB = rnd(2);
  let useRex = rexR || rexB || size === 8 || rnd(2) === 1;
  const hasByteReg = forms.some((f) => f.endsWith("b") && (f[0] === "E" || f[0] === "G" || f[0] === "Z"));
  if (hasByteReg && rnd(2) === 0 && !rexR && !rexB && size !== 8) useRex = false;
  // Registers the instruction names (reject rsp: the harness keeps its own stack).
  const named: number[] = [];
  if (zForm) named.push((row.op & 7) | (rexB << 3));
  if (row.ex === U.MOVSX && row.ext === 4 || forms.some((f) => f[0] === "G")) named.push(reg);
  let sib = -1;
  if (memForm) {
    rm = 4; // SIB
    const base = rnd(16), index = rnd(16);
    if ((index & 7) === 4 && !(index >> 3)) return null;
    sib = (rnd(4) << 6) | ((index & 7) << 3) | (base & 7);
    rexB = base >> 3;
    if ((base & 7) === 5 && mod === 0) return null;
    named.push(base, index);
  } else if (!zForm && forms.some((f) => f[0] === "E")) named.push(rm);
  const byteOps = forms.filter((f) => f.endsWith("b") && f[0] !== "I").length === forms.filter((f) => f[0] !== "I").length;
  for (const r of named) {
    if (r === 4 && (useRex || !byteOps)) return null;
  }
  if (useRex) bytes.push(0x40 | (size === 8 ? 8 : 0) | (rexR << 2) | (((memForm ? (sib >> 3) & 0 : 0)) << 1) | rexB);
  if (row.map === 1) bytes.push(0x0f);
  bytes.push(row.op);
  const needsModrm = forms.some((f) => "EGM".includes(f[0])) || row.reg >= 0;
  if (needsModrm) {
    bytes.push((mod << 6) | ((reg & 7) << 3) | (rm & 7));
    if (sib >= 0) bytes.push(sib);
    if (mod === 1) bytes.push(rnd(256));
    if (mod === 2) for (let k = 0; k < 4; k++) bytes.push(rnd(256));
  }
  let imm = 0;
  for (const f of forms) {
    if (f === "Ib" || f === "Iu") { imm = rnd(256); bytes.push(f === "Iu" && rnd(2) ? rnd(70) : imm); imm = bytes[bytes.length - 1]; }
    else if (f === "Iz" || f === "Iv") {
      const n = size === 2 ? 2 : f === "Iv" && size === 8 ? 8 : 4;
      for (let k = 0; k < n; k++) bytes.push(rnd(256));
    }
  }
  const regs = Array.from({ length: 16 }, () => rnd64());
  regs[4] = 0n;
  let flags = (rnd(2) ? CF : 0) | (rnd(2) ? PF : 0) | (rnd(2) ? AF : 0) | (rnd(2) ? ZF : 0) | (rnd(2) ? SF : 0) | (rnd(2) ? OF : 0);
  flags |= 2;
  let undef = 0;
  const undefRegs: number[] = [];
  const bits = size * 8;
  const isByte = forms[0].endsWith("b");
  const opBits = isByte ? 8 : bits;
  const count = forms.includes("1") ? 1 : row.ex === U.SHIFT_ECL || (row.ex === U.SHLD || row.ex === U.SHRD) && row.ext === 1 ? Number(regs[1] & 0xffn) : imm;
  const masked = count & (opBits === 64 ? 63 : 31);
  switch (row.ex) {
    case U.ALU_EG: case U.ALU_GE: case U.ALU_EI:
      if ([1, 4, 6].includes(row.ext)) undef = AF;
      break;
    case U.TEST_EG: case U.TEST_EI: undef = AF; break;
    case U.SHIFT_EI: case U.SHIFT_ECL:
      if (masked === 0) break;
      if (row.ext >= 4) undef = AF | (masked > 1 ? OF : 0);
      else undef = masked > 1 ? OF : 0;
      if (row.ext >= 4 && masked >= opBits) undef |= CF;
      break;
    case U.SHLD: case U.SHRD:
      if (masked === 0) break;
      undef = AF | (masked > 1 ? OF : 0);
      if (masked > opBits) return null;
      break;
    case U.MUL1: case U.IMUL1: case U.IMUL_GE: case U.IMUL_GEI: undef = SF | ZF | AF | PF; break;
    case U.BSF: case U.BSR: undef = CF | OF | SF | AF | PF; break;
    case U.TZCNT: case U.LZCNT: undef = OF | SF | AF | PF; break;
    case U.BT_EG: case U.BT_EI: undef = OF | SF | AF | PF; break;
    case U.DIV: case U.IDIV: {
      undef = CF | OF | SF | ZF | AF | PF;
      // Keep the quotient in range so the host does not trap.
      const high = isByte && !useRex && rm >= 4 && rm < 8; // AH, CH, DH, BH
      const src = high ? rm - 4 : rm;
      if (src === 0 || src === 2) return null;
      const div = isByte ? (regs[src] >> (high ? 8n : 0n)) & 0xffn : regs[src] & ((1n << BigInt(bits)) - 1n);
      if (div === 0n) return null;
      if (isByte) regs[0] &= 0xffn;
      else {
        regs[2] = 0n;
        regs[0] &= (1n << BigInt(bits - 1)) - 1n;
      }
      if (row.ex === U.IDIV) {
        const sdiv = isByte ? BigInt.asIntN(8, div) : BigInt.asIntN(bits, div);
        const n = isByte ? BigInt.asIntN(16, regs[0] & 0xffffn) : regs[0];
        const q = n / sdiv;
        const lim = 1n << BigInt((isByte ? 8 : bits) - 1);
        if (q >= lim || q < -lim) return null;
      } else if (isByte && (regs[0] & 0xffffn) / div > 255n) return null;
      break;
    }
  }
  if (row.ex === U.FLAGOP && (row.ext === 3 || row.ext === 4)) return null; // cld/std: DF is not compared
  if (row.ex === U.BSWAP && size === 2) return null; // undefined for 16-bit operands
  const hex = bytes.map((b) => b.toString(16).padStart(2, "0")).join("");
  return { hex, regs, flags, undef, row, undefRegs, xmm: Array.from({ length: 32 }, rnd64) };
}

/** A float64 or float32 bit pattern from values that exercise signs, zeros, infinities, NaN and rounding. */
function niceFloat(double: boolean): bigint {
  const specials = [0, -0, 1, -1, 0.5, 2.5, -2.5, 1e-3, 3e38, -1e300, Infinity, -Infinity, NaN, 2 ** 31, -(2 ** 63), 1.5e-310];
  const v = rnd(3) === 0 ? specials[rnd(specials.length)] : (rnd(2000000) - 1000000) / (1 + rnd(1000));
  const b = new DataView(new ArrayBuffer(8));
  if (double) b.setFloat64(0, v, true);
  else {
    b.setFloat32(0, v, true);
    b.setFloat32(4, (rnd(20000) - 10000) / 7, true);
  }
  return b.getBigUint64(0, true);
}

/** Sub-ops whose XMM inputs are float32 or float64 lanes (others get random bits). */
const F32_OPS = new Set<number>([S.UCOMISS, S.CVTSS2SD, S.CVTTSS2SI, S.CVTSS2SI, S.CVTPS2PD, S.CVTTPS2DQ, S.CVTPS2DQ]);
const F64_OPS = new Set<number>([S.UCOMISD, S.CVTSD2SS, S.CVTTSD2SI, S.CVTSD2SI, S.CVTPD2PS, S.CVTTPD2DQ, S.CVTPD2DQ]);

function generateSse(row: Row): Case | null {
  const forms = row.form.split(",");
  const bytes: number[] = [];
  if (row.pfx !== 0) bytes.push(row.pfx);
  const reg = row.reg >= 0 ? row.reg : rnd(16);
  const rm = rnd(16);
  const gprReg = forms[0][0] === "G", gprRm = forms.some((f) => f[0] === "E");
  if ((gprReg && reg === 4) || (gprRm && rm === 4)) return null;
  const w = forms.some((f) => f.endsWith("y")) && rnd(2) === 1;
  const rex = (w ? 8 : 0) | ((reg >> 3) << 2) | (rm >> 3);
  if (rex || rnd(4) === 0) bytes.push(0x40 | rex);
  bytes.push(0x0f, row.op, 0xc0 | ((reg & 7) << 3) | (rm & 7));
  if (forms.some((f) => f === "Iu")) bytes.push(row.ext === S.CMPF ? rnd(8) : rnd(3) === 0 ? rnd(256) : rnd(20));
  let kind = "bits";
  if (row.ext === S.FARITH || row.ext === S.CMPF) {
    const t = row.ext === S.FARITH ? row.ext2 & 3 : row.ext2;
    kind = t === 1 || t === 3 ? "f64" : "f32";
  } else if (F32_OPS.has(row.ext)) kind = "f32";
  else if (F64_OPS.has(row.ext)) kind = "f64";
  const xmm = Array.from({ length: 32 }, () => (kind === "bits" ? rnd64() : niceFloat(kind === "f64")));
  const regs = Array.from({ length: 16 }, () => rnd64());
  regs[4] = 0n;
  const flags = 2 | (rnd(2) ? 1 : 0) | (rnd(2) ? 0x40 : 0) | (rnd(2) ? 0x80 : 0);
  const hex = bytes.map((b) => b.toString(16).padStart(2, "0")).join("");
  return { hex, regs, flags, undef: 0, row, undefRegs: [], xmm };
}

function runEngine(c: Case, jitThreshold: number): { regs: bigint[]; flags: number; xmm: bigint[] } {
  const frames = new FramePool(4);
  const space = new AddressSpace(frames);
  space.mapAnonymous(0x10000, 4096, PERM_RWX);
  space.mapAnonymous(0x20000, 4096, PERM_RW);
  const code = Uint8Array.from(c.hex.match(/../g)!.map((h) => parseInt(h, 16)));
  space.write(0x10000, Uint8Array.from([...code, 0xcc]));
  const state = new CpuState();
  c.regs.forEach((v, k) => {
    state.gpr[2 * k] = Number(v & 0xffffffffn) | 0;
    state.gpr[2 * k + 1] = Number(v >> 32n) | 0;
  });
  c.xmm.forEach((v, k) => {
    state.xmm[2 * k] = Number(v & 0xffffffffn) | 0;
    state.xmm[2 * k + 1] = Number(v >> 32n) | 0;
  });
  state.set(4, 0x21000);
  state.rip = 0x10000;
  state.rflags = c.flags;
  const cpu = new Cpu(frames, 0);
  cpu.jitThreshold = jitThreshold;
  cpu.load(state, space);
  const why = cpu.run(100);
  assert.equal(why, EXIT_EXCEPTION, `${c.row.mn} ${c.hex}: did not reach int3`);
  assert.equal(cpu.exitVector, VEC_BP, `${c.row.mn} ${c.hex}: exception ${cpu.exitVector}`);
  cpu.save(state);
  const lane = (k: number): bigint => BigInt(state.xmm[k] >>> 0);
  return {
    regs: Array.from({ length: 16 }, (_, k) => state.getBig(k)),
    flags: state.rflags,
    xmm: Array.from({ length: 32 }, (_, k) => lane(2 * k) | (lane(2 * k + 1) << 32n)),
  };
}

const harness = process.platform === "linux" && process.arch === "x64" ? buildHarness() : null;

/** Runs the cases natively and in the engine (odd cases interpreted, even ones compiled); returns the differences. */
function compare(cases: Case[]): string[] {
  const hex = (v: bigint): string => v.toString(16);
  const input = cases.map((c) => `${c.hex} ${c.regs.map(hex).join(" ")} ${c.flags.toString(16)} ${c.xmm.map(hex).join(" ")}`).join("\n");
  const out = spawnSync(harness!, { input, maxBuffer: 1 << 27 });
  assert.equal(out.status, 0, `native harness failed: ${out.stderr}`);
  const lines = out.stdout.toString().trim().split("\n");
  assert.equal(lines.length, cases.length);
  const failures: string[] = [];
  cases.forEach((c, k) => {
    const host = lines[k].split(" ").map((h) => BigInt("0x" + h));
    const mine = runEngine(c, k % 2 ? Infinity : 0);
    const mask = 0x8d5 & ~c.undef;
    const diffs: string[] = [];
    for (let r = 0; r < 16; r++) {
      if (r === 4 || c.undefRegs.includes(r)) continue;
      if (host[r] !== mine.regs[r]) diffs.push(`${GPR_NAMES[r]} host ${hex(host[r])} engine ${hex(mine.regs[r])}`);
    }
    const hf = Number(host[16]) & mask, ef = mine.flags & mask;
    if (hf !== ef) diffs.push(`flags host ${hf.toString(16)} engine ${ef.toString(16)} (mask ${mask.toString(16)})`);
    for (let q = 0; q < 32; q++) {
      if (host[17 + q] !== mine.xmm[q]) diffs.push(`xmm${q >> 1}.${q & 1 ? "hi" : "lo"} host ${hex(host[17 + q])} engine ${hex(mine.xmm[q])}`);
    }
    if (diffs.length) {
      const xin = c.xmm.slice(0, 0).length ? "" : ` xmm-in: ${c.xmm.map(hex).join(",")}`;
      failures.push(`${c.row.mn} ${c.row.form} [${c.hex}] in: ${c.regs.map(hex).join(",")} fl=${c.flags.toString(16)}${xin}: ${diffs.join("; ")}`);
    }
  });
  return failures;
}

function summary(failures: string[], total: number): string {
  const byMnemonic = new Map<string, number>();
  for (const f of failures) byMnemonic.set(f.split(" [")[0], (byMnemonic.get(f.split(" [")[0]) ?? 0) + 1);
  return `${failures.length} of ${total} cases differ: ${[...byMnemonic].join(" ")}`;
}

test("integer instructions agree with the host CPU (registers and defined flags)", { skip: !harness && "needs gcc on an x86-64 Linux host" }, () => {
  const rows = ROWS.filter((r) => TESTED.has(r.ex) && r.map <= 1 && !r.form.includes("O") && r.mod !== "mem");
  const cases: Case[] = [];
  for (const row of rows) {
    for (let k = 0; k < 24; k++) {
      const c = generate(row);
      if (c) cases.push(c);
    }
  }
  assert.ok(cases.length > 2000, `only ${cases.length} cases generated`);
  const failures = compare(cases);
  assert.deepEqual(failures.slice(0, 8), [], summary(failures, cases.length));
});

test("SSE/SSE2 register forms agree with the host CPU (XMM, GPR and flags)", { skip: !harness && "needs gcc on an x86-64 Linux host" }, () => {
  const rows = ROWS.filter((r) => r.ex === U.SSE && r.mod !== "mem" && !r.form.includes("M"));
  const cases: Case[] = [];
  for (const row of rows) {
    for (let k = 0; k < 24; k++) {
      const c = generateSse(row);
      if (c) cases.push(c);
    }
  }
  assert.ok(cases.length > 2000, `only ${cases.length} cases generated`);
  const failures = compare(cases);
  assert.deepEqual(failures.slice(0, 8), [], summary(failures, cases.length));
});
