// Runs one static Linux ELF on the whole machine (kernel model, roottask, Linux personality) inside the test
// process, for CPU tests that need to set CPU knobs such as the JIT threshold.

import { Machine } from "../../engine/machine.ts";

export interface MachineRun {
  stdout: string;
  status: number;
  instructions: number;
  /** The machine's stop report (a fault, a strict stop), if any. */
  fault?: string;
}

export function runOnMachine(bytes: Uint8Array, argv: string[], opts: { stdin?: string; jitThreshold?: number; regionThreshold?: number; wasm?: boolean } = {}): MachineRun {
  let input = Buffer.from(opts.stdin ?? "");
  const machine = new Machine({
    modules: [{ name: argv[0], bytes, kind: "foreign", argv }],
    env: ["HEDRON_LAB=1"], cpus: 1, memoryMiB: 256, seed: 1, strict: false, mounts: [],
    readStdin: (max) => {
      const chunk = input.subarray(0, max);
      input = input.subarray(chunk.length);
      return chunk;
    },
  });
  if (opts.jitThreshold !== undefined) for (const cpu of machine.cpus) cpu.jitThreshold = opts.jitThreshold;
  if (opts.regionThreshold !== undefined) for (const cpu of machine.cpus) cpu.regionThreshold = opts.regionThreshold;
  if (opts.wasm !== undefined) for (const cpu of machine.cpus) cpu.wasmRegions = opts.wasm;
  const out: Buffer[] = [];
  machine.onConsole((stream, data) => {
    if (stream === "stdout") out.push(Buffer.from(data));
  });
  while (machine.run(50_000_000) === "budget");
  return {
    stdout: Buffer.concat(out).toString(),
    status: machine.exitStatus,
    instructions: machine.icount,
    fault: machine.stopReason ?? undefined,
  };
}
