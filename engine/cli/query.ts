// `hedron-lab query REC 'SQL'`: read-only SQL over a recording's documented views, printed as CSV or JSON.
// Loaded on demand by cli.ts, so other commands do not pay for the query module.

import { RecordingQuery, VIEWS } from "../debug/query.ts";
import { csvField } from "../record/export.ts";
import { CliError, usageError } from "./errors.ts";
import { asCliError, openForCli } from "./recording-errors.ts";

export const QUERY_USAGE = `usage: hedron-lab query [--json] FILE 'SQL'

Runs one read-only SQL statement over these views of the recording and prints the rows as CSV (--json: JSON):
${Object.entries(VIEWS).map(([name, text]) => `  ${name.padEnd(13)} ${text}`).join("\n")}

example: hedron-lab query run.hlrec 'SELECT name, count(*) FROM syscalls GROUP BY name ORDER BY 2 DESC'`;

export async function queryCommand(args: string[]): Promise<number> {
  if (args.includes("--help") || args.includes("-h")) throw new CliError(QUERY_USAGE, 0);
  const json = args.includes("--json");
  const rest = args.filter((a) => a !== "--json");
  if (rest.length !== 2) throw usageError(`query takes a recording and one SQL statement\n${QUERY_USAGE}`);
  const [file, sql] = rest as [string, string];
  const rec = openForCli(file);
  try {
    const query = new RecordingQuery(rec);
    const result = query.run(sql, Number.MAX_SAFE_INTEGER);
    query.close();
    if (json) process.stdout.write(JSON.stringify({ columns: result.columns, rows: result.rows }) + "\n");
    else {
      const line = (row: unknown[]) => row.map((v) => csvField(v === null ? "" : (v as string | number))).join(",");
      process.stdout.write([line(result.columns), ...result.rows.map(line)].join("\n") + "\n");
    }
    return 0;
  } catch (error) {
    if (error instanceof Error && /^the query|^only read-only/.test(error.message)) throw new CliError(error.message, 2);
    throw asCliError(error);
  } finally {
    rec.close();
  }
}
