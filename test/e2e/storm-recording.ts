// Builds fixtures/syscall-storm.c with musl-gcc and records one run of it: ~10^6 events for the timeline bench.
// Run as a script (node --import tsx test/e2e/storm-recording.ts OUT CALLS), so the engine loads exactly as in the lab.

import { execFileSync } from "node:child_process";
import { readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Recorder } from "../../engine/record/recorder.ts";

const [out, calls = "250000"] = process.argv.slice(2);
if (!out) throw new Error("usage: storm-recording.ts OUT [CALLS]");
const elf = join(tmpdir(), `syscall-storm-${process.pid}`);
execFileSync("musl-gcc", ["-static", "-O2", "-o", elf, new URL("fixtures/syscall-storm.c", import.meta.url).pathname]);
try {
  rmSync(out, { force: true });
  const recorder = new Recorder(
    out,
    {
      modules: [{ name: "syscall-storm", bytes: readFileSync(elf), kind: "foreign", argv: ["syscall-storm", calls] }],
      env: [], cpus: 1, memoryMiB: 64, seed: 1, strict: false, mounts: [], readStdin: () => new Uint8Array(0),
    },
    { engineVersion: "bench", instructionStream: false },
  );
  const result = recorder.run();
  process.stdout.write(JSON.stringify({ events: result.events, icount: result.icount, exitStatus: result.exitStatus }) + "\n");
} finally {
  rmSync(elf, { force: true });
}
