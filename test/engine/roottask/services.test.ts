// The native service portals' message layouts (services.ts): allocation, console, log, file system, echo, process self.
// serve() runs against a real UTCB frame, file server and address space, as the roottask calls it (spawn, wait and the
// framebuffer are the roottask's: test/engine/roottask/demos.test.ts runs them through the machine).

import assert from "node:assert/strict";
import { test } from "node:test";
import { UTCB_DATA, Utcb } from "../../../engine/hedron/utcb.ts";
import { AddressSpace } from "../../../engine/memory/address-space.ts";
import { FramePool } from "../../../engine/memory/frames.ts";
import { O_CREAT, O_RDWR } from "../../../engine/roottask/fs/abi.ts";
import { FileServer } from "../../../engine/roottask/fs/file-server.ts";
import { NetStack } from "../../../engine/roottask/net/stack.ts";
import type { Process } from "../../../engine/roottask/process.ts";
import {
  ALLOC_BASE, serve, SERVICE_ALLOC, SERVICE_ECHO, SERVICE_FS, SERVICE_LOG, SERVICE_PROCESS, SERVICE_RAW_ECHO, SERVICE_STDERR, type ServiceHost,
} from "../../../engine/roottask/services.ts";

function setup() {
  const frames = new FramePool(16);
  const utcb = new Utcb(frames, frames.alloc());
  const space = new AddressSpace(frames);
  const fileServer = new FileServer();
  const console: string[] = [];
  fileServer.attach({ nowNs: () => 0, writeConsole: () => true, readStdin: () => new Uint8Array(), random: () => {} });
  fileServer.createProcess(4, "/");
  const proc = { pid: 4, allocNext: ALLOC_BASE } as Process;
  const unused = () => {
    throw new Error("not reached by these requests");
  };
  const host: ServiceHost = {
    fileServer, net: new NetStack(), space: () => space, writeConsole: (s: string, b: Uint8Array) => console.push(`${s}:${new TextDecoder().decode(b)}`) > 0,
    log: (text) => console.push(`log:${text}`), spawn: unused, wait: unused, cpus: () => [1, 2], framebuffer: unused,
  };
  const request = (service: number, words: number[], bytes?: Uint8Array) => {
    words.forEach((w, i) => utcb.setWord(i, w));
    if (bytes) utcb.bytes(UTCB_DATA + 8 * words.length, bytes.length).set(bytes);
    utcb.setItems(words.length + Math.ceil((bytes?.length ?? 0) / 8), 0);
    serve(service, proc, utcb, host);
  };
  return { utcb, space, console, proc, request };
}

test("allocation maps zeroed, aligned memory into the caller and release unmaps it", () => {
  const { utcb, space, request } = setup();
  request(SERVICE_ALLOC, [0, 5000, 0x10000]);
  const addr = utcb.word(0);
  assert.equal(addr % 0x10000, 0);
  assert.ok(addr >= ALLOC_BASE);
  assert.equal(space.read(addr + 4999, 1)[0], 0);
  assert.ok(space.lookup(addr / 4096 + 1) >= 0, "5000 bytes span two pages");
  request(SERVICE_ALLOC, [1, addr, 5000]);
  assert.equal(space.lookup(addr / 4096), -1);
});

test("console services tag each chunk with the PID", () => {
  const { console, request } = setup();
  request(SERVICE_STDERR, [5], new TextEncoder().encode("oops!"));
  assert.deepEqual(console, ["stderr:[STDERR PID=4] oops!\n"]);
});

test("the file system service opens, writes, seeks, reads and closes through the file server", () => {
  const { utcb, request } = setup();
  const path = new TextEncoder().encode("/tmp/f");
  request(SERVICE_FS, [0, O_CREAT | O_RDWR, 0o644, path.length], path);
  const fd = utcb.word(0);
  assert.equal(fd, 3, "FDs start at 3");
  request(SERVICE_FS, [2, fd, 5], new TextEncoder().encode("hello"));
  assert.equal(utcb.word(0), 5);
  request(SERVICE_FS, [3, fd, 1, 0]);
  assert.equal(utcb.word(0), 1);
  request(SERVICE_FS, [1, fd, 100]);
  assert.equal(utcb.word(0), 4);
  assert.equal(new TextDecoder().decode(utcb.bytes(UTCB_DATA + 8, 4)), "ello");
  assert.equal(utcb.untyped, 2);
  request(SERVICE_FS, [4, fd]);
  assert.equal(utcb.word(0), 0);
  request(SERVICE_FS, [4, fd]);
  assert.deepEqual([utcb.u32(UTCB_DATA) | 0, utcb.u32(UTCB_DATA + 4) | 0], [-9, -1], "-EBADF as a 64-bit word");
});

test("echo returns the message unchanged; raw echo returns no words", () => {
  const { utcb, request } = setup();
  request(SERVICE_ECHO, [1, 2, 3]);
  assert.deepEqual([utcb.untyped, utcb.word(0), utcb.word(2)], [3, 1, 3]);
  request(SERVICE_RAW_ECHO, [1, 2, 3]);
  assert.equal(utcb.untyped, 0);
});

test("fstat reports size and mode; an unknown fs op is -EINVAL", () => {
  const { utcb, request } = setup();
  const path = new TextEncoder().encode("/tmp/g");
  request(SERVICE_FS, [0, O_CREAT | O_RDWR, 0o600, path.length], path);
  const fd = utcb.word(0);
  request(SERVICE_FS, [2, fd, 3], new TextEncoder().encode("abc"));
  request(SERVICE_FS, [5, fd]);
  assert.deepEqual([utcb.word(0), utcb.word(1), utcb.word(2) & 0o777, utcb.untyped], [0, 3, 0o600, 5]);
  request(SERVICE_FS, [5, 99]);
  assert.equal(utcb.u32(UTCB_DATA) | 0, -9, "-EBADF");
  request(SERVICE_FS, [77]);
  assert.equal(utcb.u32(UTCB_DATA) | 0, -22, "-EINVAL");
});

test("log goes to the roottask's log with the PID; process self reports pid, CPU and CPU count", () => {
  const { utcb, console, request } = setup();
  request(SERVICE_LOG, [6], new TextEncoder().encode("hello\n"));
  assert.deepEqual(console, ["log:[LOG PID=4] hello"]);
  assert.equal(utcb.untyped, 0);
  request(SERVICE_PROCESS, [2]);
  assert.deepEqual([utcb.word(0), utcb.word(1), utcb.word(2)], [4, 1, 2]);
});
