#!/usr/bin/env node
// The `simdnet` command (package.json "bin"): see src/cli/main.ts, or run `simdnet --help`.
import { main } from '../cli/main.js';

// A reader that stops early (`simdnet predict … | head`) closes the pipe: stop quietly, as other Unix tools do,
// instead of an unhandled EPIPE with a stack trace.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(0);
  throw err;
});

process.exitCode = await main(process.argv.slice(2));
