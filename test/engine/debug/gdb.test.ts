// Debian's gdb in batch mode against the lab's GDB stub on a recording of a guest built with symbols:
// break main, continue, stepi, reverse-stepi, reverse-continue, registers, memory and a write watchpoint.

import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { AddressInfo } from "node:net";
import { Recorder } from "../../../engine/record/recorder.ts";
import { Recording } from "../../../engine/record/recording.ts";
import { GdbSession, serveGdb } from "../../../engine/debug/gdb.ts";

const GUEST = fileURLToPath(new URL("../../../engine/guests/debug/gdb-target", import.meta.url));

function gdb(port: number, commands: string[]): Promise<string> {
  const args = ["-batch", "-nx", GUEST, "-ex", "set confirm off", "-ex", `target remote 127.0.0.1:${port}`, ...commands.flatMap((c) => ["-ex", c])];
  return new Promise((resolve, reject) => {
    const child = spawn("gdb", args, { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.stderr.on("data", (d: Buffer) => (out += d.toString()));
    const timer = setTimeout(() => child.kill("SIGKILL"), 50_000);
    child.on("error", reject);
    child.on("exit", () => {
      clearTimeout(timer);
      resolve(out);
    });
  });
}

test("gdb breaks at main, steps, reverse-steps and reverse-continues on a recording, and reads registers and memory", async () => {
  const dir = mkdtempSync(join(tmpdir(), "hedron-gdb-"));
  try {
    const file = join(dir, "gdb-target.hlrec");
    const bytes = new Uint8Array(readFileSync(GUEST));
    new Recorder(file, { modules: [{ name: "gdb-target", bytes, kind: "foreign", argv: ["gdb-target"] }], env: [], cpus: 1, memoryMiB: 64, seed: 1, strict: false, mounts: [], readStdin: () => new Uint8Array(0) }, { engineVersion: "test" }).run();
    const rec = Recording.open(file);
    const server = await serveGdb(new GdbSession(rec), 0);
    const port = (server.address() as AddressInfo).port;
    const out = await gdb(port, [
      "break main", "continue", "printf \"AT-MAIN %lx\\n\", $pc",
      "stepi", "printf \"AFTER-STEPI %lx\\n\", $pc",
      "reverse-stepi", "printf \"AFTER-REVERSE-STEPI %lx\\n\", $pc",
      "break add", "continue", "continue", "printf \"TOTAL-IN-SECOND-ADD %ld\\n\", total",
      "reverse-continue", "printf \"TOTAL-IN-FIRST-ADD %ld\\n\", total",
      "info registers rsp", "p $xmm0", "p $st0",
      "delete", "watch total", "continue", "printf \"WATCH-TOTAL %ld\\n\", total",
    ]);
    server.close();
    rec.close();
    const main = /AT-MAIN ([0-9a-f]+)/.exec(out)?.[1];
    assert.ok(main, out);
    assert.match(out, /Breakpoint 1, (0x[0-9a-f]+ in )?main \(\)/);
    const after = /AFTER-STEPI ([0-9a-f]+)/.exec(out)?.[1];
    assert.notEqual(after, main, out);
    assert.equal(/AFTER-REVERSE-STEPI ([0-9a-f]+)/.exec(out)?.[1], main, out);
    assert.match(out, /TOTAL-IN-SECOND-ADD 1\b/, out);
    assert.match(out, /TOTAL-IN-FIRST-ADD 0\b/, out);
    assert.match(out, /rsp\s+0x[0-9a-f]+/);
    assert.match(out, /v4_float|uint128/);
    assert.match(out, /Old value = 0\s+New value = 1/, out);
    assert.match(out, /WATCH-TOTAL 1\b/, out);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
