// Argument checks shared by the public functions: a wrong type at the API is a SimdnetError naming the argument,
// not a TypeError from deep inside. Unknown option keys are ignored (TypeScript flags them at compile time); an
// option given as null or undefined means its default.
import { check } from './errors.js';
import { Engine } from './runtime/engine.js';

const show = (v: unknown): string => {
  if (v === null || v === undefined || typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v);
  if (Array.isArray(v)) return 'an array';
  return typeof v === 'object' ? (v.constructor?.name ?? 'an object') : typeof v;
};

/** What kind of value an option field takes. */
export type FieldKind = 'number' | 'count' | 'index' | 'string' | 'boolean' | 'function';

/**
 * Checks that `options` is an options object (or undefined) and that each listed field, when given (not
 * null/undefined), is of its kind: 'number' finite, 'count' a positive integer, 'index' a non-negative integer.
 */
export function checkOptions<T>(options: T, where: string, fields: Record<string, FieldKind> = {}): T & object {
  if (options === undefined) return {} as T & object;
  check(
    typeof options === 'object' && options !== null && !Array.isArray(options),
    'DTYPE',
    () => `${where}: options must be an object, got ${show(options)}`,
  );
  const o = options as Record<string, unknown>;
  for (const [name, kind] of Object.entries(fields)) {
    const v = o[name];
    if (v === undefined || v === null) continue;
    checkValue(v, kind, `${where}: option ${name}`);
  }
  return options as T & object;
}

/** Checks one value of a kind (see checkOptions); `what` names it in the message. */
export function checkValue(v: unknown, kind: FieldKind, what: string): void {
  switch (kind) {
    case 'number':
      check(typeof v === 'number', 'DTYPE', () => `${what} must be a number, got ${show(v)}`);
      check(Number.isFinite(v), 'NONFINITE', () => `${what} must be finite, got ${show(v)}`);
      return;
    case 'count':
    case 'index':
      check(typeof v === 'number', 'DTYPE', () => `${what} must be a number, got ${show(v)}`);
      check(
        Number.isInteger(v) && (v as number) >= (kind === 'count' ? 1 : 0),
        'RANGE',
        () => `${what} must be a ${kind === 'count' ? 'positive' : 'non-negative'} integer, got ${show(v)}`,
      );
      return;
    case 'string':
      check(typeof v === 'string', 'DTYPE', () => `${what} must be a string, got ${show(v)}`);
      return;
    case 'boolean':
      check(typeof v === 'boolean', 'DTYPE', () => `${what} must be true or false, got ${show(v)}`);
      return;
    case 'function':
      check(typeof v === 'function', 'DTYPE', () => `${what} must be a function, got ${show(v)}`);
      return;
  }
}

/** Checks a file path argument: a non-empty string. */
export function checkPath(path: unknown, where: string): asserts path is string {
  check(
    typeof path === 'string' && path.length > 0,
    'DTYPE',
    () => `${where}: the path must be a non-empty string, got ${show(path)}`,
  );
}

/** Checks the options of a loader or model constructor that picks an engine: { backend?, engine? }. */
export function checkEngineOptions<T>(options: T, where: string): T & object {
  const o = checkOptions(options, where, { backend: 'string' }) as { engine?: unknown };
  check(
    o.engine === undefined || o.engine === null || o.engine instanceof Engine,
    'DTYPE',
    () => `${where}: option engine must be an Engine (from init() or createEngine()), got ${show(o.engine)}`,
  );
  return o as T & object;
}
