/**
 * The `simdnet` command line: dispatches to a command, prints `--help`, and turns every user mistake into one
 * line on stderr and a non-zero exit code (2: how the command was called; 1: bad data, model file or values).
 * Every failure line starts `simdnet: error: `, so a script or a reader finds it the same way whatever failed.
 */
import { SimdnetError } from '../errors.js';
import { UsageError, helpText, parseArgs, suggest } from './args.js';
import { benchCommand } from './commands/bench.js';
import { distillCommand, pruneCommand, quantizeCommand } from './commands/compress.js';
import { evaluateCommand } from './commands/evaluate.js';
import { infoCommand } from './commands/info.js';
import { exportCommand, importCommand } from './commands/interop.js';
import { predictCommand } from './commands/predict.js';
import { trainCommand } from './commands/train.js';
import type { CliIo, Command } from './common.js';

/** Exit codes. */
export const EXIT = { ok: 0, error: 1, usage: 2, interrupted: 130 } as const;

const commands: Command[] = [
  trainCommand,
  evaluateCommand,
  predictCommand,
  quantizeCommand,
  pruneCommand,
  distillCommand,
  importCommand,
  exportCommand,
  infoCommand,
  benchCommand,
];

function topHelp(): string {
  const w = Math.max(...commands.map((c) => c.spec.name.length));
  return [
    'usage: simdnet <command> [options]',
    '',
    'Train and run neural networks on WebAssembly SIMD.',
    '',
    'commands:',
    ...commands.map((c) => `  ${c.spec.name.padEnd(w)}  ${c.spec.summary}`),
    '',
    'Run `simdnet <command> --help` for its options.',
    '',
  ].join('\n');
}

/** Standard streams as a CliIo. */
export function processIo(): CliIo {
  return {
    out: (s) => void process.stdout.write(s),
    err: (s) => void process.stderr.write(s),
    isTTY: Boolean(process.stdout.isTTY),
  };
}

/** Runs the CLI on `argv` (the words after `simdnet`); resolves to the exit code. Never throws. */
export async function main(argv: readonly string[], io: CliIo = processIo()): Promise<number> {
  const [name, ...rest] = argv;
  try {
    if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
      const sub = name === 'help' ? commands.find((c) => c.spec.name === rest[0]) : undefined;
      io.out(sub ? helpText(sub.spec) : topHelp());
      return name === undefined ? EXIT.usage : EXIT.ok;
    }
    if (name === '--version' || name === '-v') {
      io.out(`simdnet ${await version()}\n`);
      return EXIT.ok;
    }
    const cmd = commands.find((c) => c.spec.name === name);
    if (!cmd) {
      const hint = suggest(
        name,
        commands.map((c) => c.spec.name),
      );
      throw new UsageError(
        `unknown command '${name}'${hint ? ` (did you mean '${hint}'?)` : ''}; commands: ${commands.map((c) => c.spec.name).join(', ')}`,
      );
    }
    const args = parseArgs(cmd.spec, rest);
    if (args.help) {
      io.out(helpText(cmd.spec));
      return EXIT.ok;
    }
    return await cmd.run(args, io);
  } catch (err) {
    if (err instanceof UsageError) {
      io.err(`simdnet: error: ${err.message}\n`);
      return EXIT.usage;
    }
    if (err instanceof SimdnetError) {
      io.err(`simdnet: error: ${err.message}\n`);
      return EXIT.error;
    }
    // Not a user mistake: still one line, with the stack only on request.
    const e = err as Error;
    io.err(
      `simdnet: error: ${e?.message ?? String(err)} (an internal error${process.env.SIMDNET_DEBUG ? `)\n${e?.stack ?? ''}` : '; set SIMDNET_DEBUG=1 for details)'}\n`,
    );
    return EXIT.error;
  }
}

async function version(): Promise<string> {
  try {
    const { readFile } = await import('node:fs/promises');
    const pkg = JSON.parse(await readFile(new URL('../../package.json', import.meta.url), 'utf8')) as {
      version?: string;
    };
    return pkg.version ?? 'unknown';
  } catch {
    return 'unknown';
  }
}
