/**
 * `ZdbNamespace` over RESP to a remote 0-db (ours or the reference C server), with ioredis in
 * RESP2 mode (the reference refuses `HELLO 3`). Keys and values always travel as Buffers.
 *
 * @example
 * const ns = await connectNamespace({ host: "127.0.0.1", port: 9900, namespace: "blocks" });
 * const id = await ns.set(new Uint8Array(0), payload); // seq mode: 8-byte id
 * await ns.close();
 */
import Redis from "ioredis";
import { isQssError, qssError } from "../base/errors.ts";
import { type AuthLog, selectNamespace } from "./client-auth.ts";
import { bytesOrNull, flag, scanReply, statsReply } from "./client-replies.ts";
import { valueBytesMax } from "./limits.ts";
import type { NamespaceMode, NamespaceStats, ScanPage, ZdbNamespace } from "./namespace.ts";

/**
 * Bytes received for one reply before the connection is dropped: the largest legal reply is
 * a value of `valueBytesMax`; the rest is headroom for framing and the chunk that ended the
 * previous reply.
 */
export const replyBytesMax = valueBytesMax + 1024 * 1024;

export interface ClientOptions {
  host?: string;
  port?: number;
  /** Unix socket path instead of host/port. */
  path?: string;
  namespace: string;
  password?: string;
  connectTimeoutMs?: number;
  /** Where a fallback to the plain password form is reported (never with the password). */
  log?: AuthLog;
}

/** Keep only the message: ioredis errors hold the command's arguments (passwords, values). */
function asError(error: unknown): Error {
  if (isQssError(error)) return error;
  const message = error instanceof Error ? error.message : String(error);
  return qssError("UNAVAILABLE", message);
}

/** After a failed reconnect, calls fail at once for this long before the next attempt. */
export const reconnectBackoffMs = 1000;

export class ZdbClientNamespace implements ZdbNamespace {
  readonly name: string;
  mode: NamespaceMode = "user";
  #redis: Redis;
  /** Bytes received since the last reply was delivered. */
  private unrepliedBytes = 0;
  #reconnecting: Promise<void> | null = null;
  /** Closed by its owner: no reconnect after that. */
  #closed = false;
  #lastFailedReconnectMs = Number.NEGATIVE_INFINITY;

  /** `reconnect` opens a new connection with the namespace selected (null: never reconnect). */
  constructor(
    redis: Redis,
    name: string,
    private readonly reconnect: (() => Promise<Redis>) | null = null,
  ) {
    this.#redis = redis;
    this.name = name;
  }

  get redis(): Redis {
    return this.#redis;
  }

  /** Drop the connection when one reply grows past `replyBytesMax` (hostile backend). */
  watchReplySize(): void {
    const redis = this.#redis;
    redis.stream.on("data", (chunk: Buffer) => {
      this.unrepliedBytes += chunk.length;
      if (this.unrepliedBytes > replyBytesMax) {
        redis.disconnect();
      }
    });
  }

  /**
   * A lost connection is opened again, namespace selected, before the next command goes out
   * (never a command into another session's namespace); commands waiting meanwhile go after
   * it in the order they were made. A command that failed with the connection is not resent:
   * its caller gets the error and decides (the filesystem keeps the data dirty and retries).
   */
  async #connected(): Promise<Redis> {
    const status = this.#redis.status;
    if (status !== "end" && status !== "close") return this.#redis;
    if (this.reconnect === null || this.#closed) return this.#redis;
    if (this.#reconnecting === null) {
      if (performance.now() - this.#lastFailedReconnectMs < reconnectBackoffMs) {
        throw qssError("UNAVAILABLE", `Namespace ${this.name}: backend unreachable`);
      }
      const reconnect = this.reconnect;
      this.#reconnecting = reconnect()
        .then((redis) => {
          if (this.#closed) {
            redis.disconnect(); // closed meanwhile: the new connection is nobody's
            throw qssError("UNAVAILABLE", `Namespace ${this.name} is closed`);
          }
          this.#redis = redis;
          this.watchReplySize();
        })
        .catch((error) => {
          this.#lastFailedReconnectMs = performance.now();
          throw asError(error);
        })
        .finally(() => {
          this.#reconnecting = null;
        });
    }
    await this.#reconnecting;
    return this.#redis;
  }

  private async call(command: string, args: (string | Buffer)[]): Promise<unknown> {
    try {
      const redis = await this.#connected();
      return await redis.callBuffer(command, args);
    } catch (error) {
      if (this.unrepliedBytes > replyBytesMax) {
        throw qssError(
          "PROTOCOL",
          `Cannot read ${command} reply from namespace ${this.name}: more than ${replyBytesMax} bytes`,
        );
      }
      throw asError(error);
    } finally {
      this.unrepliedBytes = 0;
    }
  }

  async get(key: Uint8Array): Promise<Uint8Array | null> {
    return bytesOrNull("GET", this.name, await this.call("GET", [Buffer.from(key)]));
  }

  async getInto(key: Uint8Array, target: Uint8Array): Promise<number | null> {
    const value = await this.get(key);
    if (value === null) return null;
    if (value.length <= target.length) target.set(value);
    return value.length;
  }

  async set(key: Uint8Array, value: Uint8Array): Promise<Uint8Array | null> {
    const reply = await this.call("SET", [Buffer.from(key), Buffer.from(value)]);
    return bytesOrNull("SET", this.name, reply);
  }

  async del(key: Uint8Array): Promise<boolean> {
    try {
      await this.call("DEL", [Buffer.from(key)]);
      return true;
    } catch (error) {
      if (error instanceof Error && error.message.includes("Key not found")) return false;
      throw error;
    }
  }

  async exists(key: Uint8Array): Promise<boolean> {
    return flag("EXISTS", this.name, await this.call("EXISTS", [Buffer.from(key)]));
  }

  async scan(cursor?: Uint8Array): Promise<ScanPage> {
    let reply: unknown;
    try {
      reply = await this.call("SCAN", cursor ? [Buffer.from(cursor)] : []);
    } catch (error) {
      if (error instanceof Error && error.message.includes("No more data")) {
        return { entries: [], nextCursor: null };
      }
      throw error;
    }
    const { next, entries } = scanReply(this.name, reply);
    return { entries, nextCursor: next };
  }

  async stats(): Promise<NamespaceStats> {
    const stats = statsReply(this.name, await this.call("NSINFO", [this.name]));
    this.mode = stats.mode;
    return stats;
  }

  /** A remote server decides its own durability (`--sync`); a PING orders us after our writes. */
  async sync(): Promise<void> {
    await this.call("PING", []);
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#redis.disconnect();
  }
}

/** A connection with the namespace selected (with its password). */
async function openSelected(options: ClientOptions): Promise<Redis> {
  const timeoutMs = options.connectTimeoutMs ?? 5000;
  const redis = new Redis({
    ...(options.path ? { path: options.path } : { host: options.host ?? "127.0.0.1" }),
    port: options.port ?? 9900,
    protocol: 2,
    lazyConnect: true,
    connectTimeout: timeoutMs,
    // ioredis's own reconnect would send commands before our SELECT (into namespace
    // "default"): ZdbClientNamespace reconnects itself, selecting first.
    retryStrategy: () => null,
    maxRetriesPerRequest: 0,
    enableReadyCheck: false,
    enableOfflineQueue: false,
    // No CLIENT SETINFO at connect: 0-db has no CLIENT command (two round trips for errors).
    disableClientInfo: true,
  });
  // Errors reach the callers through their commands; without a listener ioredis would also
  // print every failed (re)connect.
  redis.on("error", () => {});
  // A server that accepts but never answers must not hold every later call: bounded.
  let timer: ReturnType<typeof setTimeout> | undefined;
  const silent = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => {
      reject(qssError("UNAVAILABLE", `No answer from the 0-db server in ${timeoutMs} ms`));
    }, timeoutMs);
  });
  try {
    await Promise.race([handshake(redis, options), silent]);
    return redis;
  } catch (error) {
    redis.disconnect();
    throw asError(error);
  } finally {
    clearTimeout(timer);
  }
}

/** Connect, then AUTH/SELECT; the namespace's own reply guard starts after it. */
async function handshake(redis: Redis, options: ClientOptions): Promise<void> {
  await redis.connect();
  let received = 0;
  const guard = (chunk: Buffer) => {
    received += chunk.length;
    if (received > replyBytesMax) redis.disconnect();
  };
  redis.stream.on("data", guard);
  await selectNamespace(redis, options.namespace, options.password, options.log ?? (() => {}));
  redis.stream.off("data", guard);
}

/** Connect, SELECT the namespace (with its password) and learn its mode. */
export async function connectNamespace(options: ClientOptions): Promise<ZdbClientNamespace> {
  const redis = await openSelected(options);
  const ns = new ZdbClientNamespace(redis, options.namespace, () => openSelected(options));
  try {
    ns.watchReplySize();
    await ns.stats();
    return ns;
  } catch (error) {
    redis.disconnect();
    throw asError(error);
  }
}
