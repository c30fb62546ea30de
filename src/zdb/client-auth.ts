/**
 * Password exchange with a remote 0-db, preferring the challenge form so that no password
 * crosses the network: `AUTH SECURE CHALLENGE` → nonce, then
 * `SELECT ns SECURE sha1hex("nonce:password")` or `AUTH SECURE sha1hex("nonce:password")`.
 * The plain form is used only when the server says SECURE is not supported.
 * Errors carry the server's message only, never the command (which holds the secret).
 */
import { createHash } from "node:crypto";
import type Redis from "ioredis";
import { qssError } from "../base/errors.ts";

/** Server answers meaning "no challenge-response here" (reference wording, redis wording). */
const secureUnsupported = /not supported|unknown command|unknown subcommand/i;
/** Longest nonce accepted from a server (the reference sends 16 hex digits). */
const nonceBytesMax = 128;

export type AuthLog = (message: string) => void;

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** A nonce from the server, or null when it does not support the SECURE form. */
async function challenge(redis: Redis): Promise<string | null> {
  let reply: unknown;
  try {
    reply = await redis.call("AUTH", "SECURE", "CHALLENGE");
  } catch (error) {
    const message = messageOf(error);
    if (secureUnsupported.test(message)) return null;
    throw qssError("AUTH", `Cannot start a challenge login: ${message}`);
  }
  if (typeof reply !== "string" || reply.length === 0 || reply.length > nonceBytesMax) {
    throw qssError("PROTOCOL", "Cannot parse AUTH SECURE CHALLENGE reply: not a nonce");
  }
  return reply;
}

export function secureHash(nonce: string, password: string): string {
  return createHash("sha1").update(`${nonce}:${password}`).digest("hex");
}

async function run(redis: Redis, what: string, args: string[]): Promise<void> {
  const [command, ...rest] = args as [string, ...string[]];
  try {
    await redis.call(command, ...rest);
  } catch (error) {
    const message = messageOf(error);
    const code = /namespace not found/i.test(message) ? "NOT_FOUND" : "AUTH";
    throw qssError(code, `Cannot ${what}: ${message}`);
  }
}

/** SELECT a namespace, with its password through the challenge when the server offers it. */
export async function selectNamespace(
  redis: Redis,
  namespace: string,
  password: string | undefined,
  log: AuthLog,
): Promise<void> {
  const what = `select namespace ${namespace}`;
  if (password === undefined || password === "") return run(redis, what, ["SELECT", namespace]);
  const nonce = await challenge(redis);
  if (nonce !== null) {
    return run(redis, what, ["SELECT", namespace, "SECURE", secureHash(nonce, password)]);
  }
  log(`0-db server does not support SELECT SECURE: sending the password of ${namespace} plain`);
  return run(redis, what, ["SELECT", namespace, password]);
}

/** AUTH as admin, through the challenge when the server offers it. */
export async function authenticateAdmin(
  redis: Redis,
  password: string,
  log: AuthLog,
): Promise<void> {
  const nonce = await challenge(redis);
  if (nonce !== null) {
    return run(redis, "authenticate as admin", ["AUTH", "SECURE", secureHash(nonce, password)]);
  }
  log("0-db server does not support AUTH SECURE: sending the admin password plain");
  return run(redis, "authenticate as admin", ["AUTH", password]);
}
