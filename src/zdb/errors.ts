/**
 * Errors the engine raises with the reference server's exact reply text as message, so the
 * RESP server answers `-<message>` and in-process callers branch on `code`.
 */
import { type QssError, type QssErrorCode, qssError } from "../base/errors.ts";

export const replyText = {
  keyTooLarge: "Key too large",
  keyNeeded: "Invalid argument, key needed",
  keyNotFound: "Key not found",
  onlyUpdate: "Invalid key, only update authorized",
  readOnly: "Namespace is in read-only mode",
  worm: "Namespace is protected by worm mode",
  wormDelete: "Cannot delete a key when namespace is in worm mode",
  noSpace: "No space left on this namespace",
  locked: "Namespace is temporarily locked (read-only)",
  frozen: "Namespace is temporarily frozen (read-write disabled)",
  noMoreData: "No more data",
  noMoreHistory: "No more history",
  invalidArguments: "Invalid arguments",
  invalidIndexQuery: "Invalid arguments (index query)",
  invalidHistoryKey: "Invalid arguments (invalid key)",
  internal: "Internal Error",
  cannotWriteData: "Cannot write data right now",
} as const;

export function zdbError(code: QssErrorCode, text: string, cause?: unknown): QssError {
  return qssError(code, text, cause);
}

/** A closed data file is needed but absent; the caller may run missing-data and retry once. */
export class MissingDataError extends Error {
  override name = "MissingDataError";
  readonly path: string;
  constructor(path: string) {
    super(`Data file ${path} is missing`);
    this.path = path;
  }
}
