#!/usr/bin/env node
// The `simdnet` command (package.json "bin"): see src/cli/main.ts, or run `simdnet --help`.
import { main } from '../cli/main.js';

process.exitCode = await main(process.argv.slice(2));
