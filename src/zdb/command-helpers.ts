/**
 * Shared pieces of the RESP command handlers: the call shape, argument checks, error replies.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import { isQssError } from "../base/errors.ts";
import type { ReplyWriter } from "./reply-writer.ts";
import type { ServerContext, Session } from "./server-session.ts";

export interface CommandCall {
  context: ServerContext;
  session: Session;
  args: Uint8Array[];
  out: ReplyWriter;
}

/** A handler writes its reply; a returned promise delays the next request of that client. */
export type CommandHandler = (call: CommandCall) => void | Promise<void>;

export function text(bytes: Uint8Array | undefined): string {
  return bytes === undefined ? "" : Buffer.from(bytes).toString("utf8");
}

const strictUtf8 = new TextDecoder("utf-8", { fatal: true });

/**
 * A namespace name as text, or null when its bytes are not valid UTF-8 (a lossy decode
 * would make distinct byte names collide on U+FFFD and NSLIST return other bytes).
 */
export function nameText(bytes: Uint8Array | undefined): string | null {
  if (bytes === undefined) return null;
  try {
    return strictUtf8.decode(bytes);
  } catch {
    return null;
  }
}

/** Compare secrets in time independent of where they differ (hash first: equal lengths). */
export function equalSecret(given: string, expected: string): boolean {
  const a = createHash("sha256").update(given).digest();
  const b = createHash("sha256").update(expected).digest();
  return timingSafeEqual(a, b);
}

/** Write an engine error as the reference reply, or rethrow a bug. */
export function replyError(out: ReplyWriter, error: unknown): void {
  if (isQssError(error)) {
    out.error(error.message);
    return;
  }
  out.error("Internal Error");
}

/** Reference `command_args_validate`: exact count, and no empty argument unless allowed. */
export function argsValid(call: CommandCall, expected: number, emptyAllowed = false): boolean {
  if (call.args.length !== expected) {
    call.out.error("Unexpected arguments");
    return false;
  }
  if (!emptyAllowed && call.args.some((arg) => arg.length === 0)) {
    call.out.error("Invalid argument");
    return false;
  }
  return true;
}

export function adminOnly(call: CommandCall): boolean {
  if (call.session.admin) return true;
  call.context.stats.commandsUnauthorized++;
  call.out.error("Permission denied");
  return false;
}
