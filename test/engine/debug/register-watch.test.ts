// "Who last changed this register?": a backward search with a register watch lands right after the instruction that
// last changed it — a user-mode instruction, or the syscall whose result the kernel wrote into RAX.

import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Machine, MachineConfig } from "../../../engine/machine.ts";
import { previousStop, seekExact } from "../../../engine/debug/reverse.ts";
import { peekByte } from "../../../engine/debug/exact.ts";
import { Recorder } from "../../../engine/record/recorder.ts";
import { Recording } from "../../../engine/record/recording.ts";

const HELLO = new Uint8Array(readFileSync(new URL("../../../engine/guests/bin/hello", import.meta.url)));
const RAX = 0;
const RSP = 4;

function config(): MachineConfig {
  return {
    modules: [{ name: "hello", bytes: HELLO, kind: "foreign", argv: ["hello"] }],
    env: [], cpus: 1, memoryMiB: 64, seed: 1, strict: false, mounts: [], readStdin: () => new Uint8Array(0),
  };
}

/** The guest EC, its register `reg` and the two bytes at its RIP, at exactly `icount`. */
function at(rec: Recording, icount: number, reg: number): { ec: number; pd: number; value: number; opcode: string; machine: Machine } {
  const machine = seekExact(rec, icount);
  const ec = [...machine.kernel.ecs.values()].find((e) => !e.host && e.wait !== "dead")!;
  const gpr = ec.state.gpr;
  const opcode = [0, 1].map((i) => peekByte(machine, ec.pd, ec.state.rip + i).toString(16).padStart(2, "0")).join(" ");
  return { ec: ec.id, pd: ec.pd, value: (gpr[2 * reg] >>> 0) + (gpr[2 * reg + 1] >>> 0) * 0x100000000, opcode, machine };
}

test("who last changed RAX and RSP: the stop lands right after the changing instruction, the value unchanged since", () => {
  const dir = mkdtempSync(join(tmpdir(), "hedron-regwatch-"));
  try {
    const file = join(dir, "hello.hlrec");
    new Recorder(file, config(), { engineVersion: "test" }).run();
    const rec = Recording.open(file);
    try {
      const write = rec.eventBatch(rec.chunks()[0].seq);
      let syscallAt = -1;
      for (let i = 0; i < write.length; i++) {
        if (write.kindOf(i) === "foreign_syscall" && /^write/.test(write.name(i))) syscallAt = write.icount[i];
      }
      assert.ok(syscallAt > 0, "hello writes");
      // Just after the write syscall returned, RAX holds its result: the kernel wrote it for the syscall instruction.
      const here = at(rec, syscallAt, RAX);
      const stop = previousStop(rec, here.machine.icount + 1, { addresses: [], events: [], watch: [], registers: [{ ec: here.ec, reg: RAX }] });
      assert.ok(stop, "something changed RAX");
      const writer = at(rec, stop.icount - 1, RAX);
      assert.equal(writer.opcode, "0f 05", "the changing instruction is the syscall");
      assert.equal(at(rec, stop.icount, RAX).value, here.value, "RAX has its value from right after the syscall");
      assert.notEqual(writer.value, here.value);

      // RSP changes in user mode (push, call, sub): the stop is after that instruction, RSP constant since.
      const later = at(rec, syscallAt - 200, RSP);
      const rspStop = previousStop(rec, later.machine.icount + 1, { addresses: [], events: [], watch: [], registers: [{ ec: later.ec, reg: RSP }] });
      assert.ok(rspStop);
      assert.ok(rspStop.icount <= later.machine.icount);
      assert.equal(at(rec, rspStop.icount, RSP).value, later.value);
      assert.notEqual(at(rec, rspStop.icount - 1, RSP).value, later.value);
    } finally {
      rec.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
