/**
 * Reach a namespace on a remote 0-db given as a URL (`tcp://host:port`, `unix:///path`), and
 * create it first when it does not exist (which needs admin rights on that server).
 *
 * @example
 * const ns = await openRemoteNamespace("tcp://127.0.0.1:9900", { namespace: "qss-meta" });
 */
import Redis from "ioredis";
import { qssError } from "../base/errors.ts";
import { type ClientOptions, connectNamespace, type ZdbClientNamespace } from "./client.ts";
import { type AuthLog, authenticateAdmin } from "./client-auth.ts";

export interface RemoteEndpoint {
  host?: string;
  port?: number;
  path?: string;
}

/** Parse `tcp://host:port`, `tcp://[v6]:port`, `host:port` or `unix:///path/to/socket`. */
export function parseZdbUrl(url: string): RemoteEndpoint {
  if (url.startsWith("unix://")) {
    const path = url.slice("unix://".length);
    if (!path.startsWith("/"))
      throw qssError(
        "USAGE",
        `Cannot use 0-db address ${url}: a unix socket path must be absolute`,
      );
    return { path };
  }
  const rest = url.startsWith("tcp://") ? url.slice("tcp://".length) : url;
  const match = /^(?:\[([0-9a-fA-F:.]+)\]|([^:/[\]]+)):(\d{1,5})$/.exec(rest);
  const port = Number(match?.[3]);
  if (match === null || !(port >= 1 && port <= 65535)) {
    throw qssError(
      "USAGE",
      `Cannot use 0-db address ${url}: expected tcp://host:port or unix:///path`,
    );
  }
  return { host: match[1] ?? match[2], port };
}

export interface RemoteNamespaceOptions {
  namespace: string;
  password?: string;
  /** Admin password of the server, used only to create a missing namespace. */
  adminPassword?: string;
  /** Create the namespace (mode user, with `password`) when it is missing. */
  create?: boolean;
  /** Where plain-password fallbacks and the NSSET password warning go (never the password). */
  log?: AuthLog;
}

export async function openRemoteNamespace(
  url: string,
  options: RemoteNamespaceOptions,
): Promise<ZdbClientNamespace> {
  const endpoint = parseZdbUrl(url);
  const clientOptions: ClientOptions = { ...endpoint, namespace: options.namespace };
  if (options.password !== undefined) clientOptions.password = options.password;
  if (options.log !== undefined) clientOptions.log = options.log;
  try {
    return await connectNamespace(clientOptions);
  } catch (error) {
    const missing = error instanceof Error && /Namespace not found/i.test(error.message);
    if (!missing || options.create !== true) throw error;
  }
  await createNamespace(endpoint, options);
  return connectNamespace(clientOptions);
}

async function createNamespace(
  endpoint: RemoteEndpoint,
  options: RemoteNamespaceOptions,
): Promise<void> {
  const redis = new Redis({
    ...(endpoint.path
      ? { path: endpoint.path }
      : { host: endpoint.host ?? "127.0.0.1", port: endpoint.port ?? 9900 }),
    protocol: 2,
    lazyConnect: true,
    retryStrategy: () => null,
    maxRetriesPerRequest: 0,
    enableReadyCheck: false,
    disableClientInfo: true,
  });
  redis.on("error", () => {});
  try {
    await redis.connect();
    const log = options.log ?? (() => {});
    if (options.adminPassword !== undefined) {
      await authenticateAdmin(redis, options.adminPassword, log);
    }
    await redis.call("NSNEW", options.namespace);
    if (options.password !== undefined) {
      // The protocol has no challenge form for setting a password: it crosses the network
      // in clear here (once, at creation). Use a unix socket or a trusted network for it.
      log(`setting the password of new namespace ${options.namespace} in clear (NSSET)`);
      // Private: without the password nobody reads it (the reference default is public).
      await redis.call("NSSET", options.namespace, "password", options.password);
      await redis.call("NSSET", options.namespace, "public", "0");
    }
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw qssError(
      "UNAVAILABLE",
      `Cannot create namespace ${options.namespace} on the 0-db server: ${reason}`,
    );
  } finally {
    redis.disconnect();
  }
}
