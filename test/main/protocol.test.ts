// The lab protocol's validation: every request from a renderer is checked field by field before it reaches main.
// These tests pin what a compromised or buggy renderer cannot get through.

import assert from "node:assert/strict";
import { test } from "node:test";
import { dispatch, fromBase64, parseRequest, parseServerMessage, ProtocolError, toBase64, type LabHandler } from "../../main/protocol.ts";

const request = (method: string, params: unknown, id = 1) => ({ type: "request", id, method, params });

test("a well-formed request passes and keeps exactly its declared fields", () => {
  const parsed = parseRequest(request("machine.boot", { guest: "hello", args: ["a"], record: true }));
  assert.deepEqual(parsed, { type: "request", id: 1, method: "machine.boot", params: { guest: "hello", args: ["a"], record: true } });
});

test("unknown methods, including inherited property names, are rejected", () => {
  assert.throws(() => parseRequest(request("machine.format", {})), /unknown method 'machine.format'/);
  assert.throws(() => parseRequest(request("constructor", {})), /unknown method/);
  assert.throws(() => parseRequest(request("__proto__", {})), /unknown method/);
});

test("wrong types, extra fields and out-of-range numbers name the offending field", () => {
  assert.throws(() => parseRequest(request("machine.boot", { guest: 1, args: [], record: true })), /machine.boot.params.guest: expected a string/);
  assert.throws(() => parseRequest(request("machine.boot", { guest: "x", args: [], record: true, shell: "rm" })), /params.shell: no such field/);
  assert.throws(() => parseRequest(request("machine.boot", { guest: "x", args: [], record: true, disk: { path: "/d.img" } })), /params.disk.writable: expected a boolean/);
  assert.throws(() => parseRequest(request("machine.boot", { guest: "x", args: [], record: true, disk: { path: "/d.img", writable: true, size: 1 } })), /params.disk.size: no such field/);
  assert.throws(() => parseRequest(request("machine.step", { instructions: 0 })), /instructions: expected an integer in 1..1000000/);
  assert.throws(() => parseRequest(request("machine.step", { instructions: 1.5 })), ProtocolError);
  assert.throws(() => parseRequest(request("replay.timeline", { recording: "a", axis: "icount", from: NaN, to: 1, buckets: 1 })), /from: expected a finite number/);
  assert.throws(() => parseRequest(request("export.recording", { recording: "a", format: "pdf" })), /format: expected one of chrome-trace, csv/);
});

test("binary fields must be base64 and within their size limit", () => {
  assert.throws(() => parseRequest(request("machine.upload", { name: "x", elf: "not base64!", args: [], record: false })), /elf: expected base64/);
  const ok = parseRequest(request("machine.upload", { name: "x", elf: toBase64(Uint8Array.of(0x7f, 0x45)), args: [], record: false }));
  assert.equal(ok.method, "machine.upload");
});

test("envelopes that are not objects or lack an id are rejected", () => {
  for (const raw of [null, 42, "text", [], { type: "request", method: "lab.hello", params: {} }, { type: "event", id: 1, method: "lab.hello", params: {} }]) {
    assert.throws(() => parseRequest(raw), ProtocolError);
  }
});

test("dispatch turns every failure into an error response with the request's id, never a throw", async () => {
  const handler: LabHandler = {
    handle: async (method) => {
      if (method === "machine.run") throw new Error("no machine is running");
      return null as never;
    },
  };
  assert.deepEqual(await dispatch(handler, request("machine.run", {}, 7)), { type: "response", id: 7, ok: false, error: "no machine is running" });
  assert.deepEqual(await dispatch(handler, request("machine.pause", {}, 8)), { type: "response", id: 8, ok: true, result: null });
  const bad = await dispatch(handler, request("machine.step", { instructions: -1 }, 9));
  assert.equal(bad.id, 9);
  assert.equal(bad.ok, false);
  assert.equal((await dispatch(handler, "garbage")).ok, false);
});

test("server messages are shape-checked before the renderer uses them", () => {
  assert.equal(parseServerMessage({ type: "response", id: 1, ok: true, result: 3 }).type, "response");
  assert.equal(parseServerMessage({ type: "event", event: { kind: "status", status: {} } }).type, "event");
  assert.throws(() => parseServerMessage({ type: "response", id: 1, ok: false }), ProtocolError);
  assert.throws(() => parseServerMessage({ type: "event", event: null }), ProtocolError);
});

test("base64 round-trips arbitrary bytes, including large ones", () => {
  const bytes = new Uint8Array(200_000).map((_, i) => (i * 131) & 0xff);
  assert.deepEqual(fromBase64(toBase64(bytes)), bytes);
  assert.equal(toBase64(bytes), Buffer.from(bytes).toString("base64"));
});
