/**
 * The one error type of qss libraries: a stable string code callers can branch on, and a
 * message that says what failed and why. Made through `qssError()` so codes stay greppable.
 *
 * @example
 * throw qssError("CONFIG_INVALID", "Cannot parse config /etc/qss.toml: line 3: unknown field");
 */
export type QssErrorCode =
  | "CONFIG_INVALID"
  | "USAGE"
  | "IO"
  | "PROTOCOL"
  | "CORRUPT"
  | "AUTH"
  | "UNAVAILABLE"
  | "LIMIT"
  | "NOT_FOUND"
  | "UNSUPPORTED";

export class QssError extends Error {
  override name = "QssError";
  readonly code: QssErrorCode;

  constructor(code: QssErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

export function qssError(code: QssErrorCode, message: string, cause?: unknown): QssError {
  return new QssError(code, message, cause === undefined ? undefined : { cause });
}

export function isQssError(error: unknown, code?: QssErrorCode): error is QssError {
  return error instanceof QssError && (code === undefined || error.code === code);
}
