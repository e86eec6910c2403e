// `hedron-lab` command dispatcher: one module per command family under engine/cli/.
// Every failure reaches the user as one line on stderr and a non-zero exit code, never a stack trace. Commands load
// lazily, so `run` never pays for SQLite, WebSocket or Vite start-up it does not use.

import { CliError, exitCodeOf, formatError } from "./cli/errors.ts";

const USAGE = `usage: hedron-lab <command> [options]

commands:
  run [options] ELF [ARGS...]        boot the modelled Hedron and run a static x86-64 Linux ELF
                                     as a foreign protection domain ('hedron-lab run --help')
  record -o FILE [options] ELF ...   run and record the whole session into one SQLite file
  replay FILE [--verify] [--to N]    re-execute a recording, checking every chunk hash
  replay FILE --gdb PORT             debug a recording from gdb (target remote :PORT; reverse-stepi works)
  run --gdb PORT [options] ELF ...   debug a fresh run from gdb (no reverse execution)
  info FILE                          summarise a recording without executing anything
  export FILE --format csv|chrome-trace   export a recording's events
  query FILE 'SQL'                   read-only SQL over a recording's views ('hedron-lab query --help')
  bench cpu|record                   measure the lab against native and qemu-x86_64 / recording overhead
  bench syscalls|files               syscall costs beside HEDRON.md §9 / Linux vs native file throughput
  bench net|disk                     TCP over the lab loopback / FAT disk throughput, beside native and qemu
  bench startup                      start-up of \`run\` beside node -e 0, native and qemu-x86_64
  serve [--port N] [--no-open]       serve the lab in a browser on 127.0.0.1
  start                              open the lab (Electron when installed, else the browser host)
  help                               show this text`;

type Command = (args: string[]) => Promise<number>;

const commands: Record<string, Command> = {
  run: async (args) => (await import("./cli/run.ts")).runCommand(args),
  record: async (args) => (await import("./cli/record.ts")).recordCommand(args),
  replay: async (args) => (await import("./cli/record.ts")).replayCommand(args),
  info: async (args) => (await import("./cli/record.ts")).infoCommand(args),
  export: async (args) => (await import("./cli/record.ts")).exportCommand(args),
  bench: async (args) => (await import("./cli/bench.ts")).benchCommand(args),
  serve: async (args) => (await import("./cli/serve.ts")).serve(args),
  start: async (args) => (await import("./cli/serve.ts")).start(args),
  query: async (args) => (await import("./cli/query.ts")).queryCommand(args),
};

/** `replay FILE --gdb PORT` and `run --gdb PORT ELF …`, loaded only when asked for. */
const gdbCommand = (name: "replay" | "run"): Command => async (args) => {
  const gdb = await import("./debug/gdb-cli.ts");
  return name === "replay" ? gdb.replayGdbCommand(args) : gdb.runGdbCommand(args);
};

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === "help" || name === "--help" || name === "-h") {
    (name === undefined ? process.stderr : process.stdout).write(USAGE + "\n");
    return name === undefined ? 2 : 0;
  }
  // `run` takes --gdb only first (later arguments may be the guest's own).
  const gdb = (name === "replay" && rest.includes("--gdb")) || (name === "run" && rest[0] === "--gdb");
  const command = gdb ? gdbCommand(name as "replay" | "run") : commands[name];
  if (!command) {
    process.stderr.write(`hedron-lab: unknown command '${name}'\n${USAGE}\n`);
    return 2;
  }
  try {
    return await command(rest);
  } catch (error) {
    if (error instanceof CliError && error.exitCode === 0) {
      process.stdout.write(error.message + "\n");
      return 0;
    }
    process.stderr.write(`hedron-lab: ${formatError(error)}\n`);
    return exitCodeOf(error);
  }
}
