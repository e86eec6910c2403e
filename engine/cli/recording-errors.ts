// Recordings opened by CLI commands (info, replay, export, query, replay --gdb): a RecordingError becomes the
// command's one-line error with a sysexits status instead of an internal error.

import { Recording } from "../record/recording.ts";
import { RecordingError } from "../record/schema.ts";
import { CliError } from "./errors.ts";

/** A damaged or foreign recording is a data error (exit 65, EX_DATAERR), a missing one is 66 (EX_NOINPUT). */
export function asCliError(err: unknown): unknown {
  if (err instanceof RecordingError) return new CliError(err.message, err.kind === "missing" ? 66 : 65);
  return err;
}

export function openForCli(path: string, check = false): Recording {
  try {
    return Recording.open(path, { check });
  } catch (err) {
    throw asCliError(err);
  }
}
