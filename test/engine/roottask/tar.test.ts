// The boot archive format: ustar round trip, long names through the prefix field, and damaged headers.
// The archive must stay readable by ordinary tar, so the system tar checks what writeTar produces.

import assert from "node:assert/strict";
import { test } from "node:test";
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { readTar, TarError, writeTar } from "../../../engine/roottask/tar.ts";

const bytes = (text: string) => new TextEncoder().encode(text);

test("files written are read back with names, modes and contents", () => {
  const entries = [
    { name: "bin/hello", data: bytes("\x7fELF..."), mode: 0o755 },
    { name: "etc/empty", data: new Uint8Array(0), mode: 0o644 },
    { name: "big", data: new Uint8Array(1500).fill(7), mode: 0o600 },
  ];
  assert.deepEqual(readTar(writeTar(entries)), entries);
});

test("names longer than 100 bytes use the ustar prefix", () => {
  const name = "a/".repeat(60) + "file.txt";
  assert.equal(readTar(writeTar([{ name, data: bytes("x"), mode: 0o644 }]))[0].name, name);
});

test("the archive is a real ustar file that the system tar lists", { skip: spawnSync("tar", ["--version"]).status !== 0 }, () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "hedron-tar-"));
  try {
    const file = path.join(dir, "userland.tar");
    fs.writeFileSync(file, writeTar([{ name: "bin/app", data: bytes("hi"), mode: 0o755 }, { name: "etc/apps.json", data: bytes("[]"), mode: 0o644 }]));
    const r = spawnSync("tar", ["-tvf", file], { encoding: "utf8" });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /-rwxr-xr-x .* 2 .*bin\/app/);
    assert.match(r.stdout, /etc\/apps\.json/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test("a damaged header is an error, not a silently shorter archive", () => {
  const tar = writeTar([{ name: "x", data: bytes("y"), mode: 0o644 }]);
  tar[0] = 0x7a;
  assert.throws(() => readTar(tar), TarError);
});
