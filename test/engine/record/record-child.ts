// Child process of the SIGKILL test: records the CPU-bound guest in small chunks, announcing each chunk on stdout.
// The parent kills it with SIGKILL mid-run; nothing here may tidy up, that is the point.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Recorder } from "../../../engine/record/recorder.ts";
import { GUEST_DIR } from "../../../engine/cli/run.ts";

const out = process.argv[2];
const bytes = readFileSync(join(GUEST_DIR, "bench"));
const recorder = new Recorder(
  out,
  {
    modules: [{ name: "bench", bytes, kind: "foreign", argv: ["bench", "3"] }],
    env: [], cpus: 1, memoryMiB: 64, seed: 1, strict: false, mounts: [], readStdin: () => new Uint8Array(0),
  },
  { chunkInstructions: 1 << 16, snapshotInstructions: 1 << 20, engineVersion: "test", onChunk: (icount) => process.stdout.write(`chunk ${icount}\n`) },
);
recorder.run();
process.stdout.write("finished\n");
