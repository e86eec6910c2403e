// `hedron-lab replay REC --gdb PORT` and `run --gdb PORT ELF …`: serve a recording (with reverse execution) or a
// fresh run to gdb on 127.0.0.1:PORT until gdb disconnects. Loaded on demand by cli.ts.

import type { AddressInfo, Server } from "node:net";
import { openForCli } from "../cli/recording-errors.ts";
import { CliError, usageError } from "../cli/errors.ts";
import { GdbSession, serveGdb } from "./gdb.ts";
import { Machine } from "../machine.ts";
import { hostConsole, machineConfig, parseRunOptions } from "../cli/run.ts";

/** Takes `--gdb PORT` out of the arguments. */
function gdbPort(args: string[]): { port: number; rest: string[] } {
  const at = args.indexOf("--gdb");
  const port = Number(args[at + 1]);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw usageError(`--gdb takes a TCP port from 0 to 65535, not '${args[at + 1] ?? ""}'`);
  return { port, rest: args.filter((_, i) => i !== at && i !== at + 1) };
}

/** Serves one session until gdb disconnects. */
function serveUntilDetached(session: GdbSession, port: number): Promise<void> {
  let server: Server | null = null;
  return new Promise<void>((resolve, reject) => {
    serveGdb(session, port, () => {
      server?.close();
      resolve();
    }).then(
      (s) => {
        server = s;
        const bound = (s.address() as AddressInfo).port;
        process.stderr.write(`hedron-lab: gdb stub on 127.0.0.1:${bound}: in gdb, target remote 127.0.0.1:${bound}\n`);
      },
      (error: Error) => reject(new CliError(`cannot listen on 127.0.0.1:${port}: ${error.message}`, 1)),
    );
  });
}

export async function runGdbCommand(args: string[]): Promise<number> {
  const { port, rest } = gdbPort(args);
  const machine = new Machine({ ...machineConfig(parseRunOptions(rest)), consoleSink: hostConsole });
  await serveUntilDetached(new GdbSession(null, machine), port);
  return machine.exitStatus;
}

export async function replayGdbCommand(args: string[]): Promise<number> {
  const { port, rest } = gdbPort(args);
  if (rest.length !== 1) throw usageError("usage: hedron-lab replay FILE --gdb PORT");
  const rec = openForCli(rest[0]!);
  try {
    await serveUntilDetached(new GdbSession(rec), port);
    return 0;
  } finally {
    rec.close();
  }
}
