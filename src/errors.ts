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

/** The one error class simdnet throws for a user-facing problem; `code` says which kind. */
export class SimdnetError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string) {
    super(message);
    this.name = 'SimdnetError';
    this.code = code;
  }
}

/** Throws a SimdnetError with `code` unless `ok`. */
export function check(ok: boolean, code: ErrorCode, message: string | (() => string)): asserts ok {
  if (!ok) throw new SimdnetError(code, typeof message === 'string' ? message : message());
}
