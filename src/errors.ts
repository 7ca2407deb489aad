/** What kind of problem an error reports; stable strings a caller can switch on. */
export type ErrorCode =
  | 'SHAPE' // sizes or dimensions that do not fit
  | 'DTYPE' // wrong element type or container
  | 'NONFINITE' // NaN or ±Inf where numbers must be finite
  | 'RANGE' // a value outside what is allowed (labels, rates, counts)
  | 'EMPTY' // no data where some is needed
  | 'DISPOSED' // a model or engine used after dispose()
  | 'STATE' // a call made in the wrong state (not compiled, not built, busy)
  | 'FORMAT' // a file that is truncated, corrupt or not ours
  | 'MEMORY' // the linear memory could not grow
  | 'UNSUPPORTED' // the runtime lacks something (SIMD) or an option is not implemented
  | 'DIVERGED'; // training produced a non-finite loss

// The codes at run time, so that a code made up by a caller (or a string that is not one) is refused.
const CODES: ReadonlySet<string> = new Set<ErrorCode>([
  'SHAPE',
  'DTYPE',
  'NONFINITE',
  'RANGE',
  'EMPTY',
  'DISPOSED',
  'STATE',
  'FORMAT',
  'MEMORY',
  'UNSUPPORTED',
  'DIVERGED',
]);

/** The one error class simdnet throws for a user-facing problem; `code` says which kind. */
export class SimdnetError extends Error {
  /** The kind of problem (SHAPE, RANGE, FORMAT, …): what a program tests for; the message is for people. */
  readonly code: ErrorCode;
  /** Throws a SimdnetError (RANGE for a code that is not an ErrorCode, DTYPE for a message that is not a string). */
  constructor(code: ErrorCode, message: string) {
    // The nested construction has a valid code and message, so this never recurses further than one level.
    if (!CODES.has(code)) {
      throw new SimdnetError(
        typeof code === 'string' ? 'RANGE' : 'DTYPE',
        `new SimdnetError(): code must be one of ${[...CODES].join(', ')}, got ${typeof code === 'string' ? JSON.stringify(code) : code === null ? 'null' : Array.isArray(code) ? 'an array' : typeof code}`,
      );
    }
    if (typeof message !== 'string') {
      throw new SimdnetError(
        'DTYPE',
        `new SimdnetError(): message must be a string, got ${message === null ? 'null' : Array.isArray(message) ? 'an array' : typeof message}`,
      );
    }
    super(message);
    this.name = 'SimdnetError';
    this.code = code;
  }
}

/** Throws a SimdnetError with `code` unless `ok`. */
export function check(ok: boolean, code: ErrorCode, message: string | (() => string)): asserts ok {
  if (!ok) throw new SimdnetError(code, typeof message === 'string' ? message : message());
}
