/**
 * Open the 0-db filesystem on its storage: the embedded engine in a state directory (the
 * default), or namespaces of a remote 0-db server. The mount lock is taken here, before
 * anything is mounted, so a second mount of the same namespaces fails with a clear error.
 *
 * @example
 * const opened = await openZdbFs({ stateDir: "/var/lib/qss" });
 * // serve opened.fs through src/fuse, then:
 * await opened.close();
 */
import { homedir } from "node:os";
import { join } from "node:path";
import { type Engine, openEngine } from "../../zdb/engine.ts";
import type { EngineNamespace } from "../../zdb/engine-namespace.ts";
import type { ZdbNamespace } from "../../zdb/namespace.ts";
import { openRemoteNamespace } from "../../zdb/remote.ts";
import type { ZdbFsOptions } from "./options.ts";
import { ZdbFs } from "./zdbfs.ts";

export const metaNamespaceDefault = "qss-meta";
export const dataNamespaceDefault = "qss-data";

export interface OpenZdbFsOptions {
  /** Embedded engine: its files live in `<stateDir>/data` and `<stateDir>/index`. */
  stateDir?: string;
  /** Remote 0-db instead (`tcp://host:port` or `unix:///path`). */
  zdbUrl?: string;
  metaNamespace?: string;
  dataNamespace?: string;
  /** Password of both namespaces (remote); set on them when qss creates them. */
  namespacePassword?: string;
  /** Admin password of the remote server, to create missing namespaces. */
  adminPassword?: string;
  /** Filesystem options other than the namespaces. */
  fs?: Omit<ZdbFsOptions, "meta" | "data">;
}

export interface OpenedZdbFs {
  fs: ZdbFs;
  /** Where the data lives, for the start-up line. */
  description: string;
  meta: ZdbNamespace;
  data: ZdbNamespace;
  /** Flush and release the filesystem (unless already destroyed), then close the storage. */
  close(): Promise<void>;
}

/** `/var/lib/qss` for root, `~/.local/share/qss` for everyone else. */
export function defaultStateDir(): string {
  return process.getuid?.() === 0 ? "/var/lib/qss" : join(homedir(), ".local", "share", "qss");
}

interface Storage {
  meta: ZdbNamespace;
  data: ZdbNamespace;
  description: string;
  close(): Promise<void>;
}

export async function openStorage(options: OpenZdbFsOptions): Promise<Storage> {
  const metaName = options.metaNamespace ?? metaNamespaceDefault;
  const dataName = options.dataNamespace ?? dataNamespaceDefault;
  if (options.zdbUrl !== undefined) {
    const url = options.zdbUrl;
    const remote = {
      create: true,
      password: options.namespacePassword,
      adminPassword: options.adminPassword,
    };
    const meta = await openRemoteNamespace(url, { ...remote, namespace: metaName });
    const data = await openRemoteNamespace(url, { ...remote, namespace: dataName }).catch(
      async (error) => {
        await meta.close();
        throw error;
      },
    );
    return {
      meta,
      data,
      description: `0-db ${url}, namespaces ${metaName} and ${dataName}`,
      close: async () => {
        await Promise.all([meta.close(), data.close()]);
      },
    };
  }
  const stateDir = options.stateDir ?? defaultStateDir();
  const engine = await openEngine({
    dataDir: join(stateDir, "data"),
    indexDir: join(stateDir, "index"),
  });
  return {
    meta: namespaceOf(engine, metaName),
    data: dataNamespaceOf(engine, dataName),
    description: `embedded 0-db in ${stateDir}`,
    close: () => engine.close(),
  };
}

function namespaceOf(engine: Engine, name: string): EngineNamespace {
  return engine.namespace(name) ?? engine.create(name);
}

/** File data has the block cache and the kernel's page cache: the engine need not cache it. */
function dataNamespaceOf(engine: Engine, name: string): EngineNamespace {
  const namespace = namespaceOf(engine, name);
  namespace.leaveCachingToOwner();
  return namespace;
}

export async function openZdbFs(options: OpenZdbFsOptions): Promise<OpenedZdbFs> {
  const storage = await openStorage(options);
  const fs = new ZdbFs({ ...options.fs, meta: storage.meta, data: storage.data });
  try {
    await fs.init();
  } catch (error) {
    await storage.close();
    throw error;
  }
  return {
    fs,
    description: storage.description,
    meta: storage.meta,
    data: storage.data,
    close: async () => {
      try {
        await fs.destroy();
      } finally {
        await storage.close();
      }
    },
  };
}
