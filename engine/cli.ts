// `hedron-lab` command dispatcher: one module per command family under engine/cli/.
// Every failure reaches the user as one line on stderr and a non-zero exit code, never a stack trace.

import { CliError, formatError } from "./cli/errors.ts";
import { runCommand } from "./cli/run.ts";

const USAGE = `usage: hedron-lab <command> [options]

commands:
  run [options] ELF [ARGS...]   boot the modelled Hedron and run a static x86-64 Linux ELF
                                as a foreign protection domain (see 'hedron-lab run --help')
  start                         open the lab on the built-in demo
  help                          show this text`;

type Command = (args: string[]) => Promise<number>;

const commands: Record<string, Command> = {
  run: runCommand,
  start: (args) => runCommand(["--serial", ...args, "--demo"]),
};

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === "help" || name === "--help" || name === "-h") {
    (name === undefined ? process.stderr : process.stdout).write(USAGE + "\n");
    return name === undefined ? 2 : 0;
  }
  const command = commands[name];
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
    return error instanceof CliError ? error.exitCode : 70;
  }
}
