// The guest's stdout is the lab's stdout: when its reader goes away, the guest's write fails with EPIPE and SIGPIPE
// kills it (141) as on Linux; the closed pipe is recorded input, so the replay fails the same write again.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, test } from "node:test";
import { ROOT } from "../helpers/run.ts";

const BUSYBOX = "/bin/busybox";
const CLI = path.join(ROOT, "bin/hedron-lab.js");
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "hedron-pipe-"));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** Runs `command | head -1` in bash; the first command's exit status and what head printed. */
function intoHead(command: string): { status: number; printed: string; stderr: string } {
  const r = spawnSync("bash", ["-c", `${command} 2>"${tmp}/err" | head -1; echo "status \${PIPESTATUS[0]}"`], { cwd: tmp, encoding: "utf8" });
  const lines = r.stdout.trimEnd().split("\n");
  return { status: Number(lines.at(-1)!.split(" ")[1]), printed: lines.slice(0, -1).join("\n"), stderr: fs.readFileSync(path.join(tmp, "err"), "utf8") };
}

const skip = !fs.existsSync(BUSYBOX) && "needs Debian's busybox-static";

test("a guest writing to a closed stdout pipe is killed by SIGPIPE (141), as natively, without a word on stderr", { skip }, () => {
  const native = intoHead(`${BUSYBOX} yes`);
  const lab = intoHead(`"${process.execPath}" "${CLI}" run ${BUSYBOX} yes`);
  assert.deepEqual(native, { status: 141, printed: "y", stderr: "" });
  assert.deepEqual(lab, native);
});

test("the closed pipe is recorded: the replay fails the same write and verifies; without that input it diverges", { skip }, () => {
  const file = path.join(tmp, "yes.hlrec");
  const recorded = intoHead(`"${process.execPath}" "${CLI}" record -o "${file}" ${BUSYBOX} yes`);
  assert.equal(recorded.status, 141);
  const verify = spawnSync(process.execPath, [CLI, "replay", "--verify", file], { encoding: "utf8", maxBuffer: 64 << 20 });
  assert.equal(verify.status, 0, verify.stderr);
  assert.match(verify.stderr, /verified .* identical/);

  const altered = path.join(tmp, "altered.hlrec");
  fs.copyFileSync(file, altered);
  assert.equal(spawnSync("sqlite3", [altered, "delete from input where kind = 'console-closed'"]).status, 0);
  const refused = spawnSync(process.execPath, [CLI, "replay", "--verify", altered], { encoding: "utf8", maxBuffer: 64 << 20, timeout: 60_000 });
  assert.notEqual(refused.status, 0);
  assert.match(refused.stderr, /altered|diverged/);
});
