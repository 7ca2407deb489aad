/**
 * A small, strict argument parser for the `simdnet` command line: long options (`--epochs 5`, `--epochs=5`),
 * boolean switches, a few short aliases, positionals, and `--help`. Every mistake is a {@link UsageError} whose
 * message names the option and what it expected, so the user sees one clear line instead of a stack trace.
 */

/** A mistake in how the command was called (unknown option, missing or malformed value): exit code 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** What kind of value an option takes. */
export type OptionType = 'string' | 'number' | 'int' | 'boolean';

/** One option of a command. */
export interface OptionSpec {
  /** Long name without the dashes, e.g. 'batch-size'. */
  name: string;
  type: OptionType;
  /** One-letter alias without the dash, e.g. 'o'. */
  short?: string;
  /** What to show for the value in the help text (default: the type). */
  value?: string;
  help: string;
  /** Shown in the help text as the default; not applied by the parser (commands apply their own defaults). */
  defaultText?: string;
  /** For numbers: smallest allowed value. */
  min?: number;
  /** For numbers: largest allowed value. */
  max?: number;
  /** For strings: the only accepted values. */
  choices?: readonly string[];
}

/** A command's interface: used both to parse and to print `--help`. */
export interface CommandSpec {
  name: string;
  summary: string;
  /** The usage line after `simdnet <name>`, e.g. '<model> --data <file> [options]'. */
  usage: string;
  /** Names of positional arguments, in order; `?` suffix marks an optional one. */
  positionals: string[];
  options: OptionSpec[];
  /** Extra lines (examples, notes) printed at the end of the help text. */
  notes?: string[];
}

/** Parsed values: options by long name (absent when not given), positionals in order. */
export interface ParsedArgs {
  options: Record<string, string | number | boolean | undefined>;
  positionals: string[];
  help: boolean;
}

/** Levenshtein distance, for "did you mean" hints on misspelt options. */
function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cur = row[j];
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = cur;
    }
  }
  return row[b.length];
}

/** The closest known name within 2 edits, if any. */
export function suggest(name: string, known: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestD = 3;
  for (const k of known) {
    const d = distance(name, k);
    if (d < bestD) {
      bestD = d;
      best = k;
    }
  }
  return best;
}

function convert(spec: OptionSpec, raw: string): string | number {
  const flag = `--${spec.name}`;
  if (spec.type === 'string') {
    if (spec.choices && !spec.choices.includes(raw)) {
      throw new UsageError(`${flag} must be one of ${spec.choices.join(', ')}, got '${raw}'`);
    }
    return raw;
  }
  const v = raw.trim() === '' ? NaN : Number(raw);
  if (!Number.isFinite(v)) throw new UsageError(`${flag} takes a number, got '${raw}'`);
  if (spec.type === 'int' && !Number.isInteger(v)) throw new UsageError(`${flag} takes a whole number, got '${raw}'`);
  if (spec.min !== undefined && v < spec.min) throw new UsageError(`${flag} must be >= ${spec.min}, got ${raw}`);
  if (spec.max !== undefined && v > spec.max) throw new UsageError(`${flag} must be <= ${spec.max}, got ${raw}`);
  return v;
}

/**
 * Parses `argv` (the words after the command name) against `spec`.
 * @throws UsageError for an unknown option, a missing or malformed value, or a wrong number of positionals.
 */
export function parseArgs(spec: CommandSpec, argv: readonly string[]): ParsedArgs {
  const byName = new Map(spec.options.map((o) => [o.name, o]));
  const byShort = new Map(spec.options.filter((o) => o.short).map((o) => [o.short!, o]));
  const out: ParsedArgs = { options: {}, positionals: [], help: false };
  let onlyPositionals = false;
  for (let i = 0; i < argv.length; i++) {
    const word = argv[i];
    if (onlyPositionals || word === '-' || !word.startsWith('-')) {
      out.positionals.push(word);
      continue;
    }
    if (word === '--') {
      onlyPositionals = true;
      continue;
    }
    if (word === '--help' || word === '-h') {
      out.help = true;
      continue;
    }
    let opt: OptionSpec | undefined;
    let inline: string | undefined;
    if (word.startsWith('--')) {
      const eq = word.indexOf('=');
      const name = eq < 0 ? word.slice(2) : word.slice(2, eq);
      if (eq >= 0) inline = word.slice(eq + 1);
      opt = byName.get(name);
      if (!opt) {
        const hint = suggest(name, [...byName.keys()]);
        throw new UsageError(
          `unknown option --${name} for '${spec.name}'${hint ? ` (did you mean --${hint}?)` : ''}; see simdnet ${spec.name} --help`,
        );
      }
    } else {
      opt = byShort.get(word.slice(1, 2));
      if (!opt || word.length > 2) {
        // A negative number where a positional is expected is not an option.
        if (/^-\d/.test(word)) {
          out.positionals.push(word);
          continue;
        }
        throw new UsageError(`unknown option ${word} for '${spec.name}'; see simdnet ${spec.name} --help`);
      }
    }
    if (opt.type === 'boolean') {
      if (inline !== undefined) {
        if (inline !== 'true' && inline !== 'false')
          throw new UsageError(`--${opt.name} is a switch: use --${opt.name} or --${opt.name}=false`);
        out.options[opt.name] = inline === 'true';
      } else {
        out.options[opt.name] = true;
      }
      continue;
    }
    let raw = inline;
    if (raw === undefined) {
      const next = argv[i + 1];
      // A value may start with '-' only if it is a number (e.g. --min -1).
      if (next === undefined || (next.startsWith('-') && !/^-\.?\d/.test(next))) {
        throw new UsageError(`--${opt.name} needs a value (${opt.value ?? opt.type})`);
      }
      raw = next;
      i++;
    }
    if (out.options[opt.name] !== undefined) throw new UsageError(`--${opt.name} is given twice`);
    out.options[opt.name] = convert(opt, raw);
  }
  if (out.help) return out;
  const required = spec.positionals.filter((p) => !p.endsWith('?')).length;
  if (out.positionals.length < required) {
    const missing = spec.positionals[out.positionals.length];
    throw new UsageError(`'${spec.name}' needs ${missing} (usage: simdnet ${spec.name} ${spec.usage})`);
  }
  if (out.positionals.length > spec.positionals.length) {
    const extra = out.positionals[spec.positionals.length];
    throw new UsageError(
      `unexpected argument '${extra}' for '${spec.name}' (usage: simdnet ${spec.name} ${spec.usage})`,
    );
  }
  return out;
}

/** The `--help` text of a command. */
export function helpText(spec: CommandSpec): string {
  const rows = spec.options.map((o) => {
    const value = o.value ?? (o.choices ? o.choices.join('|') : o.type);
    const left = `${o.short ? `-${o.short}, ` : '    '}--${o.name}${o.type === 'boolean' ? '' : ` <${value}>`}`;
    return [left, o.defaultText !== undefined ? `${o.help} [default: ${o.defaultText}]` : o.help];
  });
  rows.push(['-h, --help', 'show this help']);
  const w = Math.max(...rows.map((r) => r[0].length));
  const lines = [
    `usage: simdnet ${spec.name} ${spec.usage}`,
    '',
    spec.summary,
    '',
    'options:',
    ...rows.map(([l, r]) => `  ${l.padEnd(w)}  ${r}`),
  ];
  if (spec.notes?.length) lines.push('', ...spec.notes);
  return `${lines.join('\n')}\n`;
}

/** Typed getters over parsed options (the parser already checked types). */
export function getters(p: ParsedArgs): {
  str(name: string): string | undefined;
  num(name: string): number | undefined;
  flag(name: string): boolean;
} {
  return {
    str: (n) => p.options[n] as string | undefined,
    num: (n) => p.options[n] as number | undefined,
    flag: (n) => p.options[n] === true,
  };
}
