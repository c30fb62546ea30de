/**
 * Shape checks for replies from a remote 0-db: a backend is not trusted, so every reply is
 * checked at the client boundary and a wrong one becomes a QssError PROTOCOL, never data.
 */
import { qssError } from "../base/errors.ts";
import type { NamespaceMode, NamespaceStats, ScanEntry } from "./namespace.ts";

/** SCAN entries accepted in one page (qss sends 128, the reference fewer). */
export const scanPageEntriesMax = 4096;
/** NSINFO text accepted (the reference's is well under 1 KiB). */
export const infoReplyBytesMax = 64 * 1024;

function badReply(command: string, namespace: string, why: string): Error {
  return qssError("PROTOCOL", `Cannot parse ${command} reply from namespace ${namespace}: ${why}`);
}

function describe(reply: unknown): string {
  if (reply === null) return "nil";
  if (Buffer.isBuffer(reply)) return `a ${reply.length}-byte string`;
  if (Array.isArray(reply)) return `an array of ${reply.length}`;
  return `a ${typeof reply}`;
}

/** GET and SET: a bulk string or nil. */
export function bytesOrNull(command: string, namespace: string, reply: unknown): Buffer | null {
  if (reply === null || Buffer.isBuffer(reply)) return reply;
  throw badReply(command, namespace, `expected a string or nil, got ${describe(reply)}`);
}

/** EXISTS: the integer 0 or 1. */
export function flag(command: string, namespace: string, reply: unknown): boolean {
  if (reply === 0 || reply === 1) return reply === 1;
  throw badReply(command, namespace, `expected 0 or 1, got ${describe(reply)}`);
}

function count(reply: unknown): number | null {
  return typeof reply === "number" && Number.isSafeInteger(reply) && reply >= 0 ? reply : null;
}

/** SCAN: [cursor, [[key, size, timestamp], ...]]. */
export function scanReply(
  namespace: string,
  reply: unknown,
): { next: Buffer; entries: ScanEntry[] } {
  if (!Array.isArray(reply) || reply.length !== 2) {
    throw badReply("SCAN", namespace, `expected [cursor, entries], got ${describe(reply)}`);
  }
  const [next, items] = reply as [unknown, unknown];
  if (!Buffer.isBuffer(next)) throw badReply("SCAN", namespace, "the cursor is not a string");
  if (!Array.isArray(items) || items.length > scanPageEntriesMax) {
    throw badReply("SCAN", namespace, `expected an entry list, got ${describe(items)}`);
  }
  const entries = items.map((item: unknown, index) => {
    if (!Array.isArray(item) || item.length !== 3 || !Buffer.isBuffer(item[0])) {
      throw badReply("SCAN", namespace, `entry ${index} is not [key, size, timestamp]`);
    }
    const sizeBytes = count(item[1]);
    const timestampSeconds = count(item[2]);
    if (sizeBytes === null || timestampSeconds === null) {
      throw badReply("SCAN", namespace, `entry ${index} has a bad size or timestamp`);
    }
    return { key: item[0] as Uint8Array, sizeBytes, timestampSeconds };
  });
  return { next, entries };
}

const modes: Record<string, NamespaceMode> = { userkey: "user", sequential: "seq" };
const numericFields = {
  entries: "entries",
  dataSizeBytes: "data_size_bytes",
  dataLimitBytes: "data_limits_bytes",
  indexSizeBytes: "index_size_bytes",
  diskFreeBytes: "data_disk_freespace_bytes",
} as const;

/** NSINFO: `field: value` lines; numbers must be plain non-negative integers. */
export function statsReply(namespace: string, reply: unknown): NamespaceStats {
  if (!Buffer.isBuffer(reply) || reply.length > infoReplyBytesMax) {
    throw badReply("NSINFO", namespace, `expected an info text, got ${describe(reply)}`);
  }
  const info = new Map<string, string>();
  for (const line of reply.toString("utf8").split("\n")) {
    const colon = line.indexOf(":");
    if (colon > 0) info.set(line.slice(0, colon).trim(), line.slice(colon + 1).trim());
  }
  const mode = modes[info.get("mode") ?? ""];
  if (mode === undefined) throw badReply("NSINFO", namespace, "unknown or missing mode");
  const numbers = {} as Record<keyof typeof numericFields, number>;
  for (const [name, field] of Object.entries(numericFields)) {
    const text = info.get(field) ?? "0";
    const value = /^\d{1,16}$/.test(text) ? Number(text) : Number.NaN;
    if (!Number.isSafeInteger(value)) {
      throw badReply("NSINFO", namespace, `field ${field} is not a non-negative integer`);
    }
    numbers[name as keyof typeof numericFields] = value;
  }
  return {
    name: namespace,
    mode,
    ...numbers,
    public: info.get("public") === "yes",
    worm: info.get("worm") === "yes",
    passwordProtected: info.get("password") === "yes",
  };
}
