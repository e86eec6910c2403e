// `hedron-lab replay REC --gdb PORT`: serves the recording to gdb on 127.0.0.1:PORT until gdb disconnects.
// Loaded on demand by cli.ts; everything else about `replay` stays in engine/cli/record.ts.

import type { AddressInfo, Server } from "node:net";
import { Recording } from "../record/recording.ts";
import { CliError, usageError } from "../cli/errors.ts";
import { GdbSession, serveGdb } from "./gdb.ts";

export async function replayGdbCommand(args: string[]): Promise<number> {
  const at = args.indexOf("--gdb");
  const port = Number(args[at + 1]);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw usageError(`--gdb takes a TCP port from 0 to 65535, not '${args[at + 1] ?? ""}'`);
  const rest = args.filter((_, i) => i !== at && i !== at + 1);
  if (rest.length !== 1) throw usageError("usage: hedron-lab replay FILE --gdb PORT");
  const rec = Recording.open(rest[0]!);
  try {
    const session = new GdbSession(rec);
    let server: Server | null = null;
    const done = new Promise<void>((resolve, reject) => {
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
    await done;
    return 0;
  } finally {
    rec.close();
  }
}
