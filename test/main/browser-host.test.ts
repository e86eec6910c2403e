// The browser host's boundary: loopback only, static files confined to the renderer folder, and a WebSocket that
// needs this start's token, our own Origin and Host. Behind it the real LabApi answers.

import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { request as httpRequest } from "node:http";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { after, before, test } from "node:test";
import { WebSocket } from "ws";
import { startBrowserHost, type BrowserHost } from "../../main/browser-host.ts";
import { LabApi } from "../../main/lab-api.ts";

const ROOT = resolve(import.meta.dirname, "../..");
let dir: string;
let api: LabApi;
let host: BrowserHost;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), "hedron-host-test-"));
  mkdirSync(join(dir, "renderer"));
  writeFileSync(join(dir, "renderer", "index.html"), "<!doctype html><title>lab</title>");
  writeFileSync(join(dir, "secret.txt"), "outside the renderer folder");
  api = new LabApi({
    host: "browser",
    guestsDir: join(ROOT, "engine", "guests", "bin"),
    bundledRecordings: join(ROOT, "recordings"),
    userRecordings: join(dir, "recordings"),
    worker: { url: new URL("../../main/engine-worker.ts", import.meta.url), typescript: true },
    version: "test",
  });
  host = await startBrowserHost(api, join(dir, "renderer"));
});

after(async () => {
  await host.close();
  await api.close();
  rmSync(dir, { recursive: true, force: true });
});

function get(path: string, headers: Record<string, string> = {}, method = "GET"): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  return new Promise((done, fail) => {
    const req = httpRequest({ host: "127.0.0.1", port: host.port, path, method, headers }, (res) => {
      let body = "";
      res.on("data", (c: Buffer) => (body += c.toString()));
      res.on("end", () => done({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on("error", fail);
    req.end();
  });
}

function connect(token: string, origin: string): Promise<WebSocket> {
  return new Promise((done, fail) => {
    const ws = new WebSocket(`ws://127.0.0.1:${host.port}/lab?token=${encodeURIComponent(token)}`, { origin });
    ws.once("open", () => done(ws));
    ws.once("unexpected-response", (_req, res) => fail(new Error(`HTTP ${res.statusCode}`)));
    ws.once("error", fail);
  });
}

function call(ws: WebSocket, message: unknown): Promise<Record<string, unknown>> {
  return new Promise((done) => {
    ws.once("message", (data) => done(JSON.parse(data.toString()) as Record<string, unknown>));
    ws.send(typeof message === "string" ? message : JSON.stringify(message));
  });
}

test("the host listens on loopback and prints a URL carrying a random token", () => {
  assert.match(host.url, /^http:\/\/127\.0\.0\.1:\d+\/\?token=[\w-]{32}$/);
});

test("static files come with a strict Content-Security-Policy", async () => {
  const res = await get("/");
  assert.equal(res.status, 200);
  assert.match(String(res.headers["content-security-policy"]), /script-src 'self'(;|$)/);
  assert.match(String(res.headers["content-security-policy"]), new RegExp(`connect-src 'self' ws://127.0.0.1:${host.port}`));
  assert.equal(res.headers["x-content-type-options"], "nosniff");
});

test("paths cannot leave the renderer folder, other hosts and methods are refused", async () => {
  assert.equal((await get("/../secret.txt")).status, 404);
  assert.equal((await get("/%2e%2e/secret.txt")).status, 404);
  assert.equal((await get("/", { host: `evil.example:${host.port}` })).status, 403);
  assert.equal((await get("/", {}, "POST")).status, 405);
});

test("the WebSocket refuses a missing or wrong token and a foreign Origin", async () => {
  const origin = `http://127.0.0.1:${host.port}`;
  await assert.rejects(connect("", origin), /HTTP 403/);
  await assert.rejects(connect("x".repeat(host.token.length), origin), /HTTP 403/);
  await assert.rejects(connect(host.token, "http://evil.example"), /HTTP 403/);
});

test("with the token the renderer reaches the real lab API; bad messages get error responses", async () => {
  const ws = await connect(host.token, `http://127.0.0.1:${host.port}`);
  try {
    const hello = await call(ws, { type: "request", id: 1, method: "lab.hello", params: {} });
    assert.equal(hello.ok, true);
    assert.equal((hello.result as { host: string }).host, "browser");
    const guests = await call(ws, { type: "request", id: 2, method: "guests.list", params: {} });
    assert.ok((guests.result as { id: string }[]).some((g) => g.id === "hello"));
    const bad = await call(ws, { type: "request", id: 3, method: "recordings.delete", params: { recording: "user:../../etc/passwd" } });
    assert.deepEqual([bad.id, bad.ok], [3, false]);
    assert.match(String(bad.error), /no recording/);
    const garbage = await call(ws, "{not json");
    assert.equal(garbage.ok, false);
  } finally {
    ws.close();
  }
});

test("a malformed %-escape in the address is a 400, not an internal error", async () => {
  const res = await get("/%E0%A4%A");
  assert.equal(res.status, 400);
  assert.match(res.body, /malformed %-escape/);
});

test("a failed import names the user's file and never the lab's data folder", async () => {
  const data = Buffer.from("SQLite format 3\0" + "x".repeat(200)).toString("base64");
  await assert.rejects(api.handle("recordings.import", { name: "my-run.hlrec", data }), (error: Error) => {
    assert.match(error.message, /^my-run\.hlrec: /);
    assert.ok(!error.message.includes(dir), error.message);
    assert.ok(!error.message.includes(".import"), error.message);
    return true;
  });
});
