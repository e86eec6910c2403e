// The stdin ring between the main thread and the engine worker: a guest's read() blocks in the worker until
// the user types, and stopping the machine releases it with end of file.

import assert from "node:assert/strict";
import { test } from "node:test";
import { Worker } from "node:worker_threads";
import { StdinRing } from "../../main/worker-protocol.ts";

test("bytes written come out in order, across the ring's wrap-around", () => {
  const ring = new StdinRing();
  const chunk = new Uint8Array(40_000).map((_, i) => i & 0xff);
  for (let round = 0; round < 4; round++) {
    assert.equal(ring.write(chunk), chunk.length);
    const out = ring.read(chunk.length);
    assert.deepEqual(out, chunk);
  }
  assert.equal(ring.empty, true);
});

test("a full ring accepts only what fits, and reads return at most what was asked", () => {
  const ring = new StdinRing();
  assert.equal(ring.write(new Uint8Array(StdinRing.CAPACITY + 10)), StdinRing.CAPACITY);
  assert.equal(ring.read(100).length, 100);
  assert.equal(ring.write(new Uint8Array(500)), 100);
});

test("a closed ring reads as end of file", () => {
  const ring = new StdinRing();
  ring.write(Uint8Array.of(1, 2));
  ring.close();
  assert.deepEqual(ring.read(10), Uint8Array.of(1, 2));
  assert.equal(ring.read(10).length, 0);
});

test("a read in another thread blocks until the main thread writes", async () => {
  const ring = new StdinRing();
  const loader = JSON.stringify(import.meta.resolve("tsx/esm/api"));
  const module = JSON.stringify(new URL("../../main/worker-protocol.ts", import.meta.url).href);
  const worker = new Worker(
    `const { parentPort, workerData } = require("node:worker_threads");
     import(${loader}).then((tsx) => { tsx.register(); return import(${module}); }).then(({ StdinRing }) => {
       const ring = new StdinRing(workerData);
       parentPort.postMessage("waiting");
       parentPort.postMessage(Array.from(ring.read(16)));
       parentPort.postMessage(ring.read(16).length);
     });`,
    { eval: true, workerData: ring.buffer },
  );
  const messages: unknown[] = [];
  const next = () => new Promise((done) => worker.once("message", (m) => (messages.push(m), done(m))));
  assert.equal(await next(), "waiting");
  const got = next();
  await new Promise((done) => setTimeout(done, 50));
  assert.equal(messages.length, 1, "the read returned before anything was written");
  ring.write(new TextEncoder().encode("ls\n"));
  assert.deepEqual(await got, [0x6c, 0x73, 0x0a]);
  const eof = next();
  ring.close();
  assert.equal(await eof, 0);
  await worker.terminate();
});
