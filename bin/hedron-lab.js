#!/usr/bin/env node
// The `hedron-lab` command: loads the TypeScript CLI through tsx's loader, so no build step is needed.
import { register } from "tsx/esm/api";

register();
const { main } = await import("../engine/cli.ts");
process.exitCode = await main(process.argv.slice(2));
