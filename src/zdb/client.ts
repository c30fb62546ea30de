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
import type { NamespaceMode, NamespaceStats, ScanPage, ZdbNamespace } from "./namespace.ts";

export interface ClientOptions {
  host?: string;
  port?: number;
  /** Unix socket path instead of host/port. */
  path?: string;
  namespace: string;
  password?: string;
  connectTimeoutMs?: number;
}

function parseInfo(text: string): Map<string, string> {
  const fields = new Map<string, string>();
  for (const line of text.split("\n")) {
    const colon = line.indexOf(":");
    if (colon > 0) fields.set(line.slice(0, colon).trim(), line.slice(colon + 1).trim());
  }
  return fields;
}

function asError(error: unknown): Error {
  if (isQssError(error)) return error;
  const message = error instanceof Error ? error.message : String(error);
  return qssError("UNAVAILABLE", message, error);
}

export class ZdbClientNamespace implements ZdbNamespace {
  readonly name: string;
  mode: NamespaceMode = "user";
  readonly redis: Redis;

  constructor(redis: Redis, name: string) {
    this.redis = redis;
    this.name = name;
  }

  private async call(command: string, args: (string | Buffer)[]): Promise<unknown> {
    try {
      return await this.redis.callBuffer(command, args);
    } catch (error) {
      throw asError(error);
    }
  }

  async get(key: Uint8Array): Promise<Uint8Array | null> {
    return (await this.call("GET", [Buffer.from(key)])) as Buffer | null;
  }

  async set(key: Uint8Array, value: Uint8Array): Promise<Uint8Array | null> {
    return (await this.call("SET", [Buffer.from(key), Buffer.from(value)])) as Buffer | null;
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
    return (await this.call("EXISTS", [Buffer.from(key)])) === 1;
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
    const [next, items] = reply as [Buffer, [Buffer, number, number][]];
    return {
      entries: items.map(([key, size, ts]) => ({
        key,
        sizeBytes: Number(size),
        timestampSeconds: Number(ts),
      })),
      nextCursor: next,
    };
  }

  async stats(): Promise<NamespaceStats> {
    const text = ((await this.call("NSINFO", [this.name])) as Buffer).toString("utf8");
    const info = parseInfo(text);
    const number = (key: string) => Number(info.get(key) ?? 0);
    this.mode = info.get("mode") === "sequential" ? "seq" : "user";
    return {
      name: this.name,
      mode: this.mode,
      entries: number("entries"),
      dataSizeBytes: number("data_size_bytes"),
      dataLimitBytes: number("data_limits_bytes"),
      indexSizeBytes: number("index_size_bytes"),
      public: info.get("public") === "yes",
      worm: info.get("worm") === "yes",
      passwordProtected: info.get("password") === "yes",
      diskFreeBytes: number("data_disk_freespace_bytes"),
    };
  }

  /** A remote server decides its own durability (`--sync`); a PING orders us after our writes. */
  async sync(): Promise<void> {
    await this.call("PING", []);
  }

  async close(): Promise<void> {
    this.redis.disconnect();
  }
}

/** Connect, SELECT the namespace (with its password) and learn its mode. */
export async function connectNamespace(options: ClientOptions): Promise<ZdbClientNamespace> {
  const redis = new Redis({
    ...(options.path ? { path: options.path } : { host: options.host ?? "127.0.0.1" }),
    port: options.port ?? 9900,
    protocol: 2,
    lazyConnect: true,
    connectTimeout: options.connectTimeoutMs ?? 5000,
    // A reconnect would land in namespace "default" without its SELECT: fail loudly instead,
    // the caller reconnects (connectNamespace again).
    retryStrategy: () => null,
    maxRetriesPerRequest: 0,
    enableReadyCheck: false,
    enableOfflineQueue: false,
  });
  try {
    await redis.connect();
    const ns = new ZdbClientNamespace(redis, options.namespace);
    const select = options.password ? [options.namespace, options.password] : [options.namespace];
    await redis.call("SELECT", select);
    await ns.stats();
    return ns;
  } catch (error) {
    redis.disconnect();
    throw asError(error);
  }
}
