/**
 * The in-process 0-db engine: namespaces (with persisted descriptors), hooks, rotation timer,
 * periodic sync, directory lock. No sockets here.
 *
 * @example
 * const engine = await openEngine({ dataDir: "/var/qss/data", indexDir: "/var/qss/index" });
 * const ns = engine.namespace("default");
 * await ns?.set(new TextEncoder().encode("k"), new TextEncoder().encode("v"));
 * await engine.close();
 */
import * as fs from "node:fs";
import { join, resolve } from "node:path";
import { isQssError, qssError } from "../base/errors.ts";
import type { NamespaceDescriptor } from "./descriptor.ts";
import { readDescriptorFile, writeDescriptorFile } from "./descriptor-file.ts";
import { EngineNamespace } from "./engine-namespace.ts";
import { type HookListener, Hooks } from "./hooks.ts";
import { dataFileBytesDefault, hookRunMsMaxDefault, namespaceNameBytesMax } from "./limits.ts";
import type { NamespaceMode } from "./namespace.ts";
import { parseUnsigned } from "./parse.ts";
import { type JumpEvent, Store } from "./store.ts";

export const defaultNamespaceName = "default";
const descriptorFileName = "zdb-namespace";
const lockFileName = ".zdb.lock";
/** At close, non-blocking hooks (namespace-closing, ...) get this long to finish. */
const hookSettleMs = 5000;
/** Index directories locked by engines of this process (the pid check cannot tell them apart). */
const lockedInProcess = new Set<string>();

export interface EngineOptions {
  dataDir: string;
  indexDir: string;
  /** Fixed mode for every namespace, or "mixed" (default): each namespace has its own. */
  mode?: NamespaceMode | "mixed";
  /** Rotate when the next write would pass this size (reference `--datasize`). */
  dataFileBytesMax?: number;
  /** Hook executable (reference `--hook`). */
  hook?: string | null;
  /** Second argument of every hook call (the reference uses its listen address). */
  instanceId?: string;
  /** Every write durable before it is acknowledged (group commit). */
  sync?: boolean;
  /** Fsync dirty namespaces at least every so many seconds (0: never by timer). */
  syncTimeSeconds?: number;
  /** Rotate namespaces that changed every so many seconds (0: never by timer). */
  rotateSeconds?: number;
  /** Size limit given to new namespaces (reference `--maxsize`), 0 = none. */
  maxSizeBytes?: number;
  /** Longest a hook run may take before it is killed and counted as failed. */
  hookRunMsMax?: number;
  log?: (line: string) => void;
}

export function validNamespaceName(name: string): boolean {
  const bytes = new TextEncoder().encode(name).length;
  return (
    bytes > 0 &&
    bytes <= namespaceNameBytesMax &&
    name !== "." &&
    name !== ".." &&
    !name.includes("/") &&
    !name.includes("\0")
  );
}

export class Engine {
  readonly options: Required<Omit<EngineOptions, "hook">> & { hook: string | null };
  readonly hooks: Hooks;
  private readonly namespaces = new Map<string, EngineNamespace>();
  private readonly timers: ReturnType<typeof setInterval>[] = [];
  private lockFd = -1;
  private closedAlready = false;

  constructor(options: EngineOptions) {
    this.options = {
      mode: "mixed",
      dataFileBytesMax: dataFileBytesDefault,
      hook: null,
      instanceId: "qss",
      sync: false,
      syncTimeSeconds: 0,
      rotateSeconds: 0,
      maxSizeBytes: 0,
      hookRunMsMax: hookRunMsMaxDefault,
      log: () => undefined,
      ...options,
    };
    this.hooks = new Hooks(this.options.hook, this.options.instanceId, this.options.hookRunMsMax);
  }

  /** Called once by `openEngine`. */
  start(): void {
    fs.mkdirSync(this.options.indexDir, { recursive: true });
    fs.mkdirSync(this.options.dataDir, { recursive: true });
    this.takeLock();
    try {
      this.loadAll();
    } catch (error) {
      for (const ns of this.namespaces.values()) ns.store.close();
      this.namespaces.clear();
      this.releaseLock();
      throw error;
    }
    this.startTimers();
  }

  private loadAll(): void {
    const ok = this.hooks.runBlocking("namespaces-init", [
      this.options.indexDir,
      this.options.dataDir,
    ]);
    if (!ok) this.options.log("[-] hook namespaces-init failed, loading what is on disk");
    for (const entry of fs.readdirSync(this.options.indexDir, { withFileTypes: true })) {
      if (!entry.isDirectory()) continue;
      const dir = join(this.options.indexDir, entry.name);
      if (fs.existsSync(join(dir, descriptorFileName)) || fs.existsSync(join(dir, "i0"))) {
        try {
          this.load(entry.name);
        } catch (error) {
          // A damaged namespace is not served; the others are.
          if (!isQssError(error, "CORRUPT") || entry.name === defaultNamespaceName) throw error;
          this.options.log(`[-] namespace ${entry.name} not opened: ${error.message}`);
        }
      }
    }
    if (!this.namespaces.has(defaultNamespaceName)) this.create(defaultNamespaceName, true);
  }

  private releaseLock(): void {
    if (this.lockFd < 0) return;
    fs.closeSync(this.lockFd);
    fs.rmSync(join(this.options.indexDir, lockFileName), { force: true });
    lockedInProcess.delete(resolve(this.options.indexDir));
    this.lockFd = -1;
  }

  private takeLock(): void {
    const path = join(this.options.indexDir, lockFileName);
    const key = resolve(this.options.indexDir);
    if (lockedInProcess.has(key)) {
      throw qssError(
        "UNAVAILABLE",
        `Cannot open ${this.options.indexDir}: used by pid ${process.pid}`,
      );
    }
    try {
      this.lockFd = fs.openSync(path, "wx", 0o600);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      const pid = Number(fs.readFileSync(path, "utf8").trim());
      if (pid > 0 && pid !== process.pid && processAlive(pid)) {
        throw qssError("UNAVAILABLE", `Cannot open ${this.options.indexDir}: used by pid ${pid}`);
      }
      this.lockFd = fs.openSync(path, "w", 0o600);
    }
    fs.writeSync(this.lockFd, `${process.pid}\n`);
    lockedInProcess.add(key);
  }

  private startTimers(): void {
    const { rotateSeconds, syncTimeSeconds } = this.options;
    if (rotateSeconds > 0) {
      const timer = setInterval(() => this.rotateChanged(), rotateSeconds * 1000);
      timer.unref?.();
      this.timers.push(timer);
    }
    if (syncTimeSeconds > 0) {
      const timer = setInterval(() => this.syncAll(), syncTimeSeconds * 1000);
      timer.unref?.();
      this.timers.push(timer);
    }
  }

  /** Rotate every namespace written since its last rotation (`--rotate`). */
  rotateChanged(): void {
    for (const ns of this.namespaces.values()) {
      if (!ns.store.changed) continue;
      try {
        ns.store.jump();
      } catch (error) {
        this.options.log(`[-] rotation of ${ns.name} failed: ${String(error)}`);
      }
    }
  }

  syncAll(): void {
    for (const ns of this.namespaces.values()) {
      if (ns.store.unsyncedWrites > 0) void ns.durable().catch(() => undefined);
    }
  }

  private nsIndexDir(name: string): string {
    return join(this.options.indexDir, name);
  }

  private nsDataDir(name: string): string {
    return join(this.options.dataDir, name);
  }

  private makeStore(name: string, mode: NamespaceMode): Store {
    return new Store({
      name,
      indexDir: this.nsIndexDir(name),
      dataDir: this.nsDataDir(name),
      mode,
      dataFileBytesMax: this.options.dataFileBytesMax,
      onJump: (event) => this.onJump(event),
      restoreMissing: (path) => {
        this.hooks.runBlocking("missing-data", [path]);
      },
      log: this.options.log,
    });
  }

  private onJump(event: JumpEvent): boolean {
    const reset = this.hooks.runBlocking("jump-index", [
      event.closedIndexPath,
      event.newIndexPath,
      event.dirtyIndexIds.join(" "),
    ]);
    // The closed data file is announced for upload only once it is durable here.
    event.synced.then(
      () => this.hooks.fire("jump-data", [event.closedDataPath, event.newDataPath]),
      () => this.options.log(`[-] ${event.closedDataPath} not announced: its sync failed`),
    );
    return reset;
  }

  /**
   * Fail closed: a namespace whose descriptor is missing or damaged (its password and public
   * flag are unknown) is served frozen and private, never public, until an admin sets its
   * properties again (NSSET rewrites the descriptor). The other namespaces are not affected.
   */
  private load(name: string): EngineNamespace {
    const descriptorPath = join(this.nsIndexDir(name), descriptorFileName);
    const read = readDescriptorFile(descriptorPath);
    let descriptor: NamespaceDescriptor;
    if (read.descriptor !== null) {
      descriptor = read.descriptor;
    } else {
      this.options.log(
        `[-] namespace ${name}: ${read.problem}; serving it frozen and private until an admin sets its properties (NSSET)`,
      );
      descriptor = { name, password: null, maxSizeBytes: 0, public: false, worm: false };
    }
    const fallbackMode = this.options.mode === "seq" ? "seq" : "user";
    const store = this.makeStore(name, fallbackMode);
    try {
      store.open();
    } catch (error) {
      store.close();
      throw error;
    }
    if (this.options.mode !== "mixed" && store.mode !== this.options.mode) {
      store.close();
      throw qssError(
        "CONFIG_INVALID",
        `Namespace ${name} is in ${store.mode} mode, not ${this.options.mode}`,
      );
    }
    const ns = new EngineNamespace(
      store,
      { ...descriptor, name, locked: false, frozen: read.descriptor === null },
      this.hooks,
      this.options.sync,
    );
    ns.replayFiles = () => this.recoverFromFailedWrite(ns);
    this.namespaces.set(name, ns);
    return ns;
  }

  private writeDescriptor(ns: EngineNamespace): void {
    writeDescriptorFile(join(this.nsIndexDir(ns.name), descriptorFileName), ns.properties);
  }

  /** The namespace handle, or null. */
  namespace(name: string): EngineNamespace | null {
    return this.namespaces.get(name) ?? null;
  }

  names(): string[] {
    return [...this.namespaces.keys()];
  }

  /** NSNEW. Throws when the name is invalid or taken. */
  create(name: string, isDefault = false): EngineNamespace {
    if (!validNamespaceName(name) || (name === defaultNamespaceName && !isDefault)) {
      throw qssError("USAGE", "This name is not allowed");
    }
    if (this.namespaces.has(name)) throw qssError("USAGE", "This namespace is not available");
    // Files of a namespace that could not be opened are never overwritten by a new one.
    const dir = this.nsIndexDir(name);
    if (fs.existsSync(join(dir, "i0")) || fs.existsSync(join(dir, descriptorFileName))) {
      throw qssError("USAGE", "This namespace is not available");
    }
    const mode = this.options.mode === "seq" ? "seq" : "user";
    const properties = {
      name,
      password: null,
      maxSizeBytes: this.options.maxSizeBytes,
      public: true,
      worm: false,
      locked: false,
      frozen: false,
    };
    // Descriptor first: a crash before the index exists leaves nothing to serve frozen.
    fs.mkdirSync(this.nsIndexDir(name), { recursive: true, mode: 0o700 });
    writeDescriptorFile(join(this.nsIndexDir(name), descriptorFileName), properties);
    const store = this.makeStore(name, mode);
    store.open();
    const ns = new EngineNamespace(store, properties, this.hooks, this.options.sync);
    ns.replayFiles = () => this.recoverFromFailedWrite(ns);
    this.namespaces.set(name, ns);
    if (!isDefault) this.hooks.fire("namespace-created", [name]);
    return ns;
  }

  /** NSSET: apply one property; throws with the reference reply text on bad input. */
  setProperty(name: string, property: string, value: string): void {
    const ns = this.namespaces.get(name);
    if (!ns) throw qssError("NOT_FOUND", "Namespace not found");
    const props = ns.properties;
    const flag = value.startsWith("1");
    const setters: Record<string, () => void> = {
      maxsize: () => {
        const bytes = parseUnsigned(value, Number.MAX_SAFE_INTEGER);
        if (bytes === null) throw qssError("USAGE", "Invalid value");
        props.maxSizeBytes = bytes;
      },
      password: () => {
        props.password = value === "*" ? null : value;
      },
      public: () => {
        props.public = flag;
      },
      worm: () => {
        props.worm = flag;
      },
      lock: () => {
        props.locked = flag;
      },
      freeze: () => {
        props.frozen = flag;
      },
      mode: () => this.setMode(ns, value),
    };
    const setter = setters[property];
    if (!setter) throw qssError("USAGE", "Invalid property");
    setter();
    this.writeDescriptor(ns);
    this.hooks.fire("namespace-updated", [name]);
  }

  private setMode(ns: EngineNamespace, value: string): void {
    const wanted: NamespaceMode | null = value === "seq" ? "seq" : value === "user" ? "user" : null;
    if (wanted === null) throw qssError("USAGE", "Invalid mode");
    if (wanted === ns.mode) return;
    if (this.options.mode !== "mixed") {
      throw qssError("UNSUPPORTED", "Cannot change mode, server runs in a fixed mode");
    }
    const store = ns.store;
    if (store.slots.count !== 0 || store.currentId !== 0 || store.dataEnd !== 28) {
      throw qssError("UNSUPPORTED", "Cannot change mode, namespace is not empty");
    }
    this.rebuild(ns, wanted);
  }

  /** Replace a namespace's files by a fresh empty pair in `mode` (mode change, FLUSH). */
  private rebuild(ns: EngineNamespace, mode: NamespaceMode): EngineNamespace {
    ns.store.close();
    ns.closed = true;
    fs.rmSync(this.nsDataDir(ns.name), { recursive: true, force: true });
    for (const file of fs.readdirSync(this.nsIndexDir(ns.name))) {
      if (/^i\d+$/.test(file)) fs.rmSync(join(this.nsIndexDir(ns.name), file));
    }
    const store = this.makeStore(ns.name, mode);
    store.open();
    ns.replaceStore(store);
    ns.closed = false;
    return ns;
  }

  /** RELOAD: close a namespace's files and replay them from disk (after an external restore). */
  async reload(name: string): Promise<EngineNamespace> {
    const ns = this.namespaces.get(name);
    if (!ns) throw qssError("NOT_FOUND", "Namespace not found");
    // Read the descriptor first: a damaged one refuses the reload before anything changes.
    const read = readDescriptorFile(join(this.nsIndexDir(name), descriptorFileName));
    if (read.descriptor === null)
      throw qssError("CORRUPT", `Cannot reload ${name}: ${read.problem}`);
    const { locked, frozen } = ns.properties;
    Object.assign(ns.properties, read.descriptor, { name, locked, frozen });
    await ns.store.settle();
    this.replay(ns);
    this.hooks.fire("namespace-reloaded", [name]);
    return ns;
  }

  /**
   * Serve a namespace's files through a fresh store (replayed), in one synchronous step (call
   * it once the old store settled). The new store is opened before the old one closes: if the
   * files cannot be replayed, nothing changes.
   */
  private replay(ns: EngineNamespace): void {
    // Buffered appends reach the files first, or the replay would miss them.
    if (ns.store.failure === null) ns.store.flushPending();
    const store = this.makeStore(ns.name, ns.mode);
    try {
      store.open();
    } catch (error) {
      store.close();
      throw error;
    }
    ns.store.close();
    ns.replaceStore(store);
  }

  /** Replays of failed stores in progress (`close` waits for them). */
  private readonly recovering = new Set<Promise<void>>();

  /** The namespace's store failed writing its files: replay them (see EngineNamespace). */
  private recoverFromFailedWrite(ns: EngineNamespace): Promise<void> {
    const running = (async () => {
      const failed = ns.store;
      await failed.settle();
      // Closed or removed meanwhile, or a sync failed while waiting: not replayed.
      if (this.closedAlready || ns.closed || ns.store !== failed || !failed.failedWriting) return;
      try {
        this.replay(ns);
      } catch (error) {
        this.options.log(`[-] namespace ${ns.name}: replay after a failed write: ${String(error)}`);
        throw error;
      }
      this.options.log(
        `[+] namespace ${ns.name}: files replayed after a failed write (${failed.failure})`,
      );
    })();
    this.recovering.add(running);
    return running.finally(() => this.recovering.delete(running));
  }

  /** FLUSH: erase every entry, keep the properties. */
  flush(name: string): EngineNamespace {
    const ns = this.namespaces.get(name);
    if (!ns) throw qssError("NOT_FOUND", "Namespace not found");
    return this.rebuild(ns, ns.mode);
  }

  /** NSDEL. */
  remove(name: string): void {
    if (name === defaultNamespaceName) throw qssError("USAGE", "Cannot remove default namespace");
    const ns = this.namespaces.get(name);
    if (!ns) throw qssError("NOT_FOUND", "This namespace doesn't exists");
    ns.store.close();
    ns.closed = true;
    this.namespaces.delete(name);
    fs.rmSync(this.nsDataDir(name), { recursive: true, force: true });
    fs.rmSync(this.nsIndexDir(name), { recursive: true, force: true });
    this.hooks.fire("namespace-deleted", [name]);
  }

  /** In-process hook listener (every event of the contract). */
  on(listener: HookListener): () => void {
    this.hooks.listeners.add(listener);
    return () => this.hooks.listeners.delete(listener);
  }

  /** Fsync everything, run namespace-closing hooks, release files and the lock. */
  async close(): Promise<void> {
    if (this.closedAlready) return;
    this.closedAlready = true;
    await Promise.allSettled([...this.recovering]);
    for (const timer of this.timers) clearInterval(timer);
    for (const ns of this.namespaces.values()) {
      const store = ns.store;
      await store.settle();
      store.fsyncNow();
      this.hooks.fire("namespace-closing", [
        ns.name,
        join(store.options.indexDir, `i${store.currentId}`),
        store.dataPathOf(store.currentId),
        [...store.dirtyIndexIds].sort((a, b) => a - b).join(" "),
      ]);
      store.close();
      ns.closed = true;
    }
    this.namespaces.clear();
    await this.hooks.settle(hookSettleMs);
    this.releaseLock();
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Open (or create) an engine over two directories; see `EngineOptions`. */
export async function openEngine(options: EngineOptions): Promise<Engine> {
  const engine = new Engine(options);
  engine.start();
  return engine;
}
