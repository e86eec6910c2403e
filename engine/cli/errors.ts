// The CLI's error vocabulary: an error carries the exit code the shell sees and one line of text.
// Engine invariants that break still surface as one line (with the error's own message), never a trace.

import { ElfError } from "../elf/elf.ts";
import { MachineConfigError } from "../machine.ts";

/** Exit codes: 2 usage, 126 cannot execute (bad ELF), 127 file not found (as a shell reports them). */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
  }
}

export function usageError(message: string): CliError {
  return new CliError(message, 2);
}

/** The exit status for an error that reached the CLI: its own, 126 for a bad ELF, 2 for an unrunnable configuration, else 70. */
export function exitCodeOf(error: unknown): number {
  if (error instanceof CliError) return error.exitCode;
  if (error instanceof ElfError) return 126;
  if (error instanceof MachineConfigError) return 2;
  return 70;
}

export function formatError(error: unknown): string {
  if (error instanceof CliError || error instanceof ElfError || error instanceof MachineConfigError) return error.message;
  if (error instanceof Error) {
    // Not an expected failure: say where, in one line, so the report is still useful.
    const where = error.stack?.split("\n")[1]?.trim() ?? "";
    return `internal error: ${error.message}${where ? ` (${where})` : ""}`;
  }
  return `internal error: ${String(error)}`;
}
