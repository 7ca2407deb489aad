// Assertions shared by the tests: a call throws (or an async call rejects with) a SimdnetError with the given code
// and message.
import { expect } from 'vitest';
import { SimdnetError, type ErrorCode } from '../../src/errors.js';

function check(thrown: unknown, code: ErrorCode, message: RegExp | string): SimdnetError {
  expect(thrown, 'expected a SimdnetError to be thrown').toBeInstanceOf(SimdnetError);
  const err = thrown as SimdnetError;
  expect(err.code, `code of "${err.message}"`).toBe(code);
  if (typeof message === 'string') expect(err.message).toContain(message);
  else expect(err.message).toMatch(message);
  return err;
}

/** Runs `fn`, expecting a SimdnetError with `code` whose message matches `message`; returns the error. */
export function expectSimdnetError(fn: () => unknown, code: ErrorCode, message: RegExp | string): SimdnetError {
  let thrown: unknown;
  try {
    fn();
  } catch (e) {
    thrown = e;
  }
  return check(thrown, code, message);
}

/** The same for a call that may be async: awaits it, expecting it to throw or reject. */
export async function expectSimdnetErrorAsync(
  fn: () => unknown,
  code: ErrorCode,
  message: RegExp | string,
): Promise<SimdnetError> {
  let thrown: unknown;
  try {
    await fn();
  } catch (e) {
    thrown = e;
  }
  return check(thrown, code, message);
}
