// Instructions user code may not execute (port I/O, cli/sti, hlt) and instructions longer than 15 bytes raise #GP,
// which Linux delivers as SIGSEGV: a musl guest runs each natively and in the lab, in every JIT mode.

import { after, test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runOnMachine } from "../../helpers/machine-run.ts";

const SOURCE = String.raw`
#define _GNU_SOURCE
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <ucontext.h>

static sigjmp_buf jump;
static volatile int seen, trapno;
static void on_fault(int sig, siginfo_t *si, void *ctx) {
  seen = sig;
  trapno = (int)((ucontext_t *)ctx)->uc_mcontext.gregs[REG_TRAPNO];
  siglongjmp(jump, 1);
}
struct seq { const char *name; int n; unsigned char bytes[20]; };
static const struct seq SEQS[] = {
  { "cli", 1, { 0xfa } }, { "sti", 1, { 0xfb } }, { "hlt", 1, { 0xf4 } },
  { "in al, 0x60", 2, { 0xe4, 0x60 } }, { "in eax, dx", 1, { 0xed } }, { "out dx, al", 1, { 0xee } },
  { "out 0x80, al", 2, { 0xe6, 0x80 } }, { "insb", 1, { 0x6c } }, { "outsd", 1, { 0x6f } },
  { "16-byte nop", 16, { 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x90 } },
  { "16-byte add", 16, { 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x81, 0xc0, 0x01, 0x00, 0xc3 } },
  { "15-byte nop", 15, { 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x90 } },
  { "ud2", 2, { 0x0f, 0x0b } },
};
int main(void) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = on_fault;
  sa.sa_flags = SA_SIGINFO;
  sigaction(SIGSEGV, &sa, 0);
  sigaction(SIGILL, &sa, 0);
  unsigned char *code = mmap(0, 4096, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  for (unsigned k = 0; k < sizeof SEQS / sizeof SEQS[0]; k++) {
    memcpy(code, SEQS[k].bytes, SEQS[k].n);
    code[SEQS[k].n] = 0xc3;
    seen = 0;
    trapno = -1;
    if (sigsetjmp(jump, 1) == 0) ((void (*)(void))code)();
    printf("%s: %s trapno %d\n", SEQS[k].name, seen ? strsignal(seen) : "no signal", seen ? trapno : -1);
  }
  return 0;
}
`;

function build(): string | null {
  const dir = mkdtempSync(join(tmpdir(), "hedron-cpu-priv-"));
  after(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, "p.c"), SOURCE);
  const out = join(dir, "p");
  const r = spawnSync("musl-gcc", ["-static", "-O1", "-o", out, join(dir, "p.c")]);
  return r.status === 0 ? out : null;
}

const binary = process.platform === "linux" && process.arch === "x64" ? build() : null;

test("cli, sti, hlt, in, out, ins, outs and instructions over 15 bytes give SIGSEGV (#GP) as on Linux, in every JIT mode", { skip: !binary && "needs musl-gcc on an x86-64 Linux host" }, () => {
  const host = spawnSync(binary!, []).stdout.toString();
  assert.match(host, /cli: Segmentation fault trapno 13/);
  assert.match(host, /16-byte nop: Segmentation fault trapno 13/);
  const modes = [["interpreted", Infinity, Infinity, false], ["blocks", 0, Infinity, false], ["regions", 0, 1, false], ["wasm", 0, 1, true]] as const;
  for (const [mode, jitThreshold, regionThreshold, wasm] of modes) {
    const r = runOnMachine(readFileSync(binary!), ["p"], { jitThreshold, regionThreshold, wasm });
    assert.equal(r.fault, undefined, mode);
    assert.equal(r.stdout, host, mode);
  }
});
