/**
 * Run a complete `qss zdb` server: engine + RESP server + hooks (ready/close) + admin secret.
 * Safe by default: without an admin password a secret is generated once (stored 0600 under the
 * index directory, printed once) so nobody is admin by accident.
 */
import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import { join } from "node:path";
import { qssError } from "../base/errors.ts";
import { type Engine, openEngine } from "./engine.ts";
import { dataFileBytesDefault, dataFileBytesMax, dataFileBytesMin } from "./limits.ts";
import type { NamespaceMode } from "./namespace.ts";
import { readSecretFile } from "./secret-file.ts";
import { ZdbServer } from "./server.ts";

export interface DaemonOptions {
  dataDir: string;
  indexDir: string;
  listen: string;
  port: number;
  socketPath?: string;
  dualnet: boolean;
  mode: NamespaceMode | "mixed";
  dataFileBytesMax?: number;
  rotateSeconds: number;
  hook: string | null;
  adminPassword: string | null;
  /** Where `adminPassword` came from, for the start-up line (never the password). */
  adminOrigin?: string;
  protect: boolean;
  maxSizeBytes: number;
  sync: boolean;
  syncTimeSeconds: number;
  /** Longest a hook run may take (default `hookRunMsMaxDefault`). */
  hookRunMsMax?: number;
  log: (line: string) => void;
}

export interface RunningDaemon {
  engine: Engine;
  server: ZdbServer;
  port: number;
  /** Runs the close hook, closes clients and the engine (namespace-closing hooks). */
  stop: () => Promise<void>;
}

export const adminSecretFileName = "zdb-admin-secret";

/**
 * The configured admin password, or the stored/generated one; says which in `origin`, which
 * is logged and so never holds the secret itself (only where it is kept). A stored secret
 * readable by other users is refused.
 */
export function resolveAdmin(
  indexDir: string,
  given: string | null,
  givenOrigin = "admin password given by the caller",
): { password: string; origin: string } {
  if (given !== null) return { password: given, origin: givenOrigin };
  const path = join(indexDir, adminSecretFileName);
  fs.mkdirSync(indexDir, { recursive: true });
  if (fs.existsSync(path)) {
    return { password: readSecretFile(path, "admin secret"), origin: `admin secret in ${path}` };
  }
  const secret = randomBytes(16).toString("hex");
  fs.writeFileSync(path, `${secret}\n`, { mode: 0o600, flag: "wx" });
  return { password: secret, origin: `generated admin secret, stored 0600 in ${path}` };
}

function instanceIdOf(options: DaemonOptions, port: number): string {
  if (options.socketPath !== undefined && !options.dualnet) return `unix://${options.socketPath}`;
  return `tcp://${options.listen}:${port}`;
}

export async function startDaemon(options: DaemonOptions): Promise<RunningDaemon> {
  const datasize = options.dataFileBytesMax ?? dataFileBytesDefault;
  if (datasize < dataFileBytesMin || datasize > dataFileBytesMax) {
    throw qssError(
      "CONFIG_INVALID",
      `--datasize must be within ${dataFileBytesMin}..${dataFileBytesMax}`,
    );
  }
  const admin = resolveAdmin(options.indexDir, options.adminPassword, options.adminOrigin);
  const engine = await openEngine({
    dataDir: options.dataDir,
    indexDir: options.indexDir,
    mode: options.mode,
    dataFileBytesMax: datasize,
    hook: options.hook,
    instanceId: instanceIdOf(options, options.port),
    sync: options.sync,
    syncTimeSeconds: options.syncTimeSeconds,
    rotateSeconds: options.rotateSeconds,
    maxSizeBytes: options.maxSizeBytes,
    ...(options.hookRunMsMax !== undefined ? { hookRunMsMax: options.hookRunMsMax } : {}),
    log: options.log,
  });
  if (options.protect) {
    const ns = engine.namespace("default");
    if (ns) ns.properties.password = admin.password;
  }
  const useTcp = options.socketPath === undefined || options.dualnet;
  const server = new ZdbServer({
    engine,
    adminPassword: admin.password,
    host: options.listen,
    ...(useTcp ? { port: options.port } : {}),
    ...(options.socketPath !== undefined ? { socketPath: options.socketPath } : {}),
    log: options.log,
  });
  let port: number;
  try {
    port = await server.listen();
  } catch (error) {
    await engine.close();
    throw qssError("UNAVAILABLE", `Cannot listen: ${String(error)}`, error);
  }
  engine.hooks.instanceId = instanceIdOf(options, port);
  if (!engine.hooks.runBlocking("ready", [])) {
    await server.close();
    await engine.close();
    throw qssError("UNAVAILABLE", "hook ready failed, not starting");
  }
  const where = useTcp ? `tcp://${options.listen}:${port}` : "";
  const unix = options.socketPath !== undefined ? ` unix://${options.socketPath}` : "";
  options.log(`[+] qss zdb listening on ${where}${unix}; ${admin.origin}`);
  let stopping: Promise<void> | null = null;
  const stop = () => {
    stopping ??= (async () => {
      engine.hooks.runBlocking("close", []);
      await server.close();
      await engine.close();
    })();
    return stopping;
  };
  return { engine, server, port, stop };
}
