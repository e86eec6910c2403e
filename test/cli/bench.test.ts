// `hedron-lab bench syscalls` and `bench files` through the real CLI: the side-by-side tables, the JSON the Costs view
// reads from the lab's data folder, and the Linux-vs-native file pair doing identical work.

import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { test } from "node:test";
import { readNativeLinux } from "../../main/costs.ts";
import { canRunNatively, runLab } from "../helpers/run.ts";

test("bench syscalls prints every row beside the thesis figures and saves the JSON the Costs view reads", () => {
  const data = fs.mkdtempSync(path.join(os.tmpdir(), "hedron-bench-data-"));
  try {
    const r = runLab(["bench", "syscalls", "--rounds", "100", "--host-rounds", "2000"], "", { ...process.env, HEDRON_LAB_DATA: data });
    assert.equal(r.status, 0, r.stderr.toString());
    const table = r.stdout.toString();
    assert.match(table, /\| call \| native Linux \| thesis \| lab foreign \| thesis \| lab foreign \+ mediator \| thesis \| lab native \| thesis \|/);
    assert.match(table, /\| set_tid_address \| (\d+|–) \| 159 \| \d+ \| 1628 \| \d+ \| 2470 \| – \| – \|/);
    assert.match(table, /\| fstat \| (\d+|–) \| 377 \| \d+ \| 1796 \| \d+ \| 2595 \| – \| – \|/);
    assert.match(table, /\| open \| (\d+|–) \| 5080 \| \d+ \| 5575 \| \d+ \| 8068 \| – \| – \|/);
    assert.match(table, /\| raw hypercall \(pt_ctrl\) \| – \| – \| – \| – \| – \| – \| \d+ \| 124 \|/);
    assert.match(table, /\| IPC call\+reply, same PD \| – \| – \| – \| – \| – \| – \| \d+ \| 791 \|/);
    assert.match(table, /\| IPC call\+reply, across PDs \| – \| – \| – \| – \| – \| – \| \d+ \| 1190 \|/);
    assert.match(table, /calibration limit ±25 %/);
    assert.match(table, /\| TCP send, 64 B \(loopback\) \| (\d+|–) \| – \| \d+ \| – \| \d+ \| – \| \d+ \| – \|/);
    assert.match(table, /\| TCP recv, 64 B \(loopback\) \| (\d+|–) \| – \| \d+ \| – \| \d+ \| – \| \d+ \| – \|/);
    assert.match(table, /\| file read, 4 KiB \(lab: FAT at \/disk\) \| (\d+|–) \| – \| \d+ \| – \| \d+ \| – \| \d+ \| – \|/);

    const file = path.join(data, "bench-syscalls.json");
    const native = readNativeLinux([file]);
    assert.equal(native.found, true);
    if (canRunNatively) {
      assert.deepEqual(Object.keys(native.values).sort(), ["fstat", "open", "recvfrom", "sendto", "set_tid_address"]);
      for (const v of Object.values(native.values)) assert.ok(v > 0);
    }
  } finally {
    fs.rmSync(data, { recursive: true, force: true });
  }
});

test("bench syscalls --json --no-save prints the rows and writes nothing", () => {
  const data = fs.mkdtempSync(path.join(os.tmpdir(), "hedron-bench-data-"));
  try {
    const r = runLab(["bench", "syscalls", "--rounds", "50", "--host-rounds", "1000", "--json", "--no-save"], "", { ...process.env, HEDRON_LAB_DATA: data });
    assert.equal(r.status, 0, r.stderr.toString());
    const json = JSON.parse(r.stdout.toString()) as { rows: { row: string; syscall: string | null; labForeign: number | null; labNative: number | null; perOperation?: { portalCalls: number }; service?: string }[] };
    assert.deepEqual(json.rows.map((row) => row.syscall), ["set_tid_address", "fstat", "open", null, null, null, null, null, null, null, null, "sendto", "recvfrom", null]);
    assert.ok(json.rows.slice(0, 3).every((row) => row.labForeign! > 0 && row.labNative === null));
    assert.ok(json.rows.slice(3, 6).every((row) => row.labNative! > 0 && row.labForeign === null));
    // fork, execve, futex, pipe round trip, thread create: costed from the portal calls each operation makes.
    assert.deepEqual(json.rows.slice(6, 11).map((row) => row.row), ["fork + exit + wait", "fork + execve + exit + wait", "futex wake (uncontended)", "pipe round trip", "thread create + join"]);
    assert.ok(json.rows.slice(6, 11).every((row) => row.labForeign! > 0 && row.perOperation!.portalCalls >= 1));
    // The services: the same send, recv and FAT read measured through the personality and through the SDK client.
    assert.deepEqual(json.rows.slice(11).map((row) => row.service), ["net", "net", "disk"]);
    assert.ok(json.rows.slice(11).every((row) => row.labForeign! > 0 && row.labNative! > 0));
    assert.deepEqual(fs.readdirSync(data), []);
  } finally {
    fs.rmSync(data, { recursive: true, force: true });
  }
});

test("bench files: the Linux and native variants read back the same data; one forwarded syscall per 4 KiB op vs portal calls", () => {
  const r = runLab(["bench", "files", "--mib", "1", "--json"]);
  assert.equal(r.status, 0, r.stderr.toString());
  const { sides } = JSON.parse(r.stdout.toString()) as { sides: { path: string; blocks: number; checksum: string; portalCalls: number; foreignSyscalls: number; writeCyclesPerOp: number; readCyclesPerOp: number }[] };
  const [linux, native] = sides;
  assert.equal(linux.path, "Linux syscall via personality");
  assert.equal(native.path, "native portal call");
  assert.equal(linux.blocks, 256);
  assert.equal(native.blocks, 256);
  assert.equal(linux.checksum, native.checksum);
  // 256 writes and 256 reads at least, each forwarded through one portal call.
  assert.ok(linux.foreignSyscalls >= 512);
  assert.equal(linux.portalCalls, linux.foreignSyscalls + 1, "one portal call per forwarded syscall, plus STARTUP");
  assert.equal(native.foreignSyscalls, 0);
  // A 4 KiB block needs two file-service messages of ≤ 4000 bytes each way.
  assert.ok(native.portalCalls >= 4 * 256, `${native.portalCalls} portal calls`);
  for (const s of sides) assert.ok(s.writeCyclesPerOp > 0 && s.readCyclesPerOp > 0);

  const table = runLab(["bench", "files", "--mib", "1"]).stdout.toString();
  assert.match(table, /\| path \| vcycles \/ 4 KiB write \| vcycles \/ 4 KiB read \| total vcycles \| guest instructions \| kernel \+ service vcycles \| portal calls \| foreign syscalls \| host ms \|/);
  assert.match(table, /\| Linux syscall via personality( \| \d+){8} \|/);
  assert.match(table, /\| native portal call( \| \d+){6} \| 0 \| \d+ \|/);
});
