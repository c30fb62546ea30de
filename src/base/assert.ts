/**
 * Production assertions: they stay on, and a failure means a bug in qss, never bad input.
 * Bad input is answered with a `QssError` (or an errno in the filesystem path) instead.
 *
 * @example
 * assert(offset >= 0, "offset must not be negative");
 */
export class AssertionError extends Error {
  override name = "AssertionError";
}

export function assert(condition: unknown, message = "assertion failed"): asserts condition {
  if (!condition) throw new AssertionError(message);
}
