// Assertion for the data module's tests: a call throws a SimdnetError with the given code and message.
import { expect } from 'vitest';
import { SimdnetError, type ErrorCode } from '../../src/errors.js';

/** Runs `fn`, expecting a SimdnetError with `code` whose message matches `message`; returns the error. */
export function expectSimdnetError(fn: () => unknown, code: ErrorCode, message: RegExp | string): SimdnetError {
  let thrown: unknown;
  try {
    fn();
  } catch (e) {
    thrown = e;
  }
  expect(thrown, 'expected a SimdnetError to be thrown').toBeInstanceOf(SimdnetError);
  const err = thrown as SimdnetError;
  expect(err.code, `code of "${err.message}"`).toBe(code);
  if (typeof message === 'string') expect(err.message).toContain(message);
  else expect(err.message).toMatch(message);
  return err;
}
