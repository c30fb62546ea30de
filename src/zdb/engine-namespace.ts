/**
 * A namespace of the in-process engine: the store plus its properties (password, public,
 * maxsize, worm, lock, freeze), durability (group commit) and missing-data retries.
 * Implements `ZdbNamespace`; the `*Now` methods are the synchronous fast path the server uses.
 */
import { statfsSync } from "node:fs";
import type { NamespaceDescriptor } from "./descriptor.ts";
import { MissingDataError, replyText, zdbError } from "./errors.ts";
import { type HistoryVersion, history } from "./history.ts";
import type { Hooks } from "./hooks.ts";
import { keyBytesMax, valueBytesMax } from "./limits.ts";
import type { FileRange, NamespaceStats, ScanPage, ZdbNamespace } from "./namespace.ts";
import type { Store } from "./store.ts";

const scanPageEntriesMax = 64;

export interface NamespaceProperties extends NamespaceDescriptor {
  locked: boolean;
  frozen: boolean;
}

/** A failed store is replayed from its files at most this often (each replay reads them all). */
export const replayIntervalMs = 2000;

export class EngineNamespace implements ZdbNamespace {
  store: Store;
  readonly properties: NamespaceProperties;
  private readonly hooks: Hooks;
  private readonly syncEveryWrite: boolean;
  private syncInFlight: Promise<void> | null = null;
  private syncQueued: Promise<void> | null = null;
  private flushQueued: Promise<void> | null = null;
  private readonly restoring = new Map<string, Promise<boolean>>();
  /** Set by the engine when the namespace is deleted or flushed away. */
  closed = false;
  /** Set by the engine: replays the namespace's files into a fresh store (see recover). */
  replayFiles: (() => Promise<void>) | null = null;
  private lastReplayMs = Number.NEGATIVE_INFINITY;
  private replaying: Promise<void> | null = null;

  constructor(store: Store, properties: NamespaceProperties, hooks: Hooks, sync: boolean) {
    this.store = store;
    this.properties = properties;
    this.hooks = hooks;
    this.syncEveryWrite = sync;
  }

  get name(): string {
    return this.properties.name;
  }

  get mode() {
    return this.store.mode;
  }

  private checkReadable(): void {
    if (this.properties.frozen) throw zdbError("UNAVAILABLE", replyText.frozen);
  }

  private checkWritable(): void {
    this.checkReadable();
    if (this.properties.locked) throw zdbError("UNAVAILABLE", replyText.locked);
  }

  private checkKey(key: Uint8Array): void {
    if (key.length > keyBytesMax) throw zdbError("LIMIT", replyText.keyTooLarge);
  }

  /** The slot of a live key, or -1 (server fast path: `store.readPayloadInto` reads it). */
  findNow(key: Uint8Array): number {
    this.checkReadable();
    this.checkKey(key);
    return this.store.find(key);
  }

  /** `room`: spare bytes around the returned view (see `Store.readPayload`). */
  getNow(key: Uint8Array, room = 0): Uint8Array | null {
    this.checkReadable();
    this.checkKey(key);
    return this.store.get(key, room);
  }

  /**
   * `deferred`: leave a new entry buffered until `store.flushPending()` (the server flushes
   * once per event-loop turn, before any reply); `value` must then stay untouched until that.
   */
  setNow(
    key: Uint8Array,
    value: Uint8Array,
    timestampSeconds?: number,
    deferred = false,
  ): Uint8Array | null {
    this.checkKey(key);
    if (value.length > valueBytesMax) throw zdbError("LIMIT", "Payload too big");
    this.checkWritable();
    const existing = key.length > 0 ? this.store.find(key) : -1;
    const floating = existing >= 0 ? (this.store.slots.payloadBytes[existing] as number) : 0;
    const limit = this.properties.maxSizeBytes;
    if (limit > 0 && this.store.dataSizeBytes + value.length > limit + floating) {
      throw zdbError("LIMIT", replyText.noSpace);
    }
    if (this.properties.worm && existing >= 0) throw zdbError("UNAVAILABLE", replyText.worm);
    const ts = timestampSeconds ?? Math.floor(Date.now() / 1000);
    const result = this.store.set(key, value, ts >>> 0);
    if (!deferred) this.store.flushPending();
    return result;
  }

  delNow(key: Uint8Array): boolean {
    this.checkKey(key);
    this.checkWritable();
    if (this.store.find(key) < 0) return false;
    if (this.properties.worm) throw zdbError("UNAVAILABLE", replyText.wormDelete);
    const deleted = this.store.del(key, Math.floor(Date.now() / 1000));
    this.store.flushPending();
    return deleted;
  }

  existsNow(key: Uint8Array): boolean {
    this.checkReadable();
    this.checkKey(key);
    return this.store.find(key) >= 0;
  }

  historyNow(key: Uint8Array, cursor: Uint8Array | null): HistoryVersion {
    this.checkReadable();
    return history(this.store, key, cursor);
  }

  /** Run a read, and on a missing closed data file run missing-data once and retry. */
  async withRestore<T>(read: () => T): Promise<T> {
    try {
      return read();
    } catch (error) {
      if (!(error instanceof MissingDataError)) throw error;
      const restored = await this.restore(error.path);
      if (!restored) throw zdbError("IO", replyText.internal, error);
      try {
        return read();
      } catch (again) {
        if (again instanceof MissingDataError) throw zdbError("IO", replyText.internal, again);
        throw again;
      }
    }
  }

  private restore(path: string): Promise<boolean> {
    const pending = this.restoring.get(path);
    if (pending) return pending;
    const started = this.hooks.missingData(path).finally(() => this.restoring.delete(path));
    this.restoring.set(path, started);
    return started;
  }

  async get(key: Uint8Array): Promise<Uint8Array | null> {
    return this.withRestore(() => this.getNow(key));
  }

  /**
   * For an in-process owner with caches of its own (the filesystem's data namespace): keep no
   * copy of recent values for reads (that copy cost ~10 % of a sequential write's CPU and
   * served no read) and keep the current data file's written pages out of the page cache
   * (page-trim.ts).
   */
  leaveCachingToOwner(): void {
    this.store.leaveCachingToOwner();
  }

  /** Serve `store` from now on (replayed or rebuilt files), with this namespace's settings. */
  replaceStore(store: Store): void {
    if (this.store.cachingLeftToOwner) store.leaveCachingToOwner();
    this.store = store;
  }

  /**
   * A store whose file write failed (disk full, I/O error) refuses everything; an in-process
   * owner (the filesystem) would then have to restart qss to write again. Instead, the next
   * set or sync replays the files into a fresh store, at most every `replayIntervalMs`: what
   * the files hold was all the kernel took, the rest was never acknowledged as written, and
   * the owner writes it again. A failed sync is not recovered this way (see Store.failedWriting).
   */
  private async recover(): Promise<void> {
    const store = this.store;
    if (store.failure === null || !store.failedWriting || this.replayFiles === null) return;
    if (this.replaying === null) {
      if (performance.now() - this.lastReplayMs < replayIntervalMs) return;
      this.lastReplayMs = performance.now();
      this.replaying = this.replayFiles().finally(() => {
        this.replaying = null;
      });
    }
    await this.replaying.catch(() => {});
  }

  locate(key: Uint8Array): FileRange | null {
    const slot = this.findNow(key);
    return slot < 0 ? null : this.store.payloadRange(slot);
  }

  async getInto(key: Uint8Array, target: Uint8Array): Promise<number | null> {
    return this.withRestore(() => {
      const slot = this.findNow(key);
      if (slot < 0) return null;
      const length = this.store.slots.payloadBytes[slot] as number;
      if (length <= target.length) this.store.readPayloadInto(slot, target.subarray(0, length));
      return length;
    });
  }

  /**
   * Sets made in one synchronous run (a caller storing many blocks at once) reach the file in
   * one writev: each is appended deferred, and one microtask later a single flush writes them
   * all (measured: 1 MiB per writev moves 32 KiB values ~2x faster than one writev each). The
   * promise settles after that flush, so `value` is not touched after it, as the interface says.
   */
  async set(key: Uint8Array, value: Uint8Array): Promise<Uint8Array | null> {
    if (this.store.failure !== null) await this.recover();
    const store = this.store;
    const result = this.setNow(key, value, undefined, true);
    await this.written(store);
    return result;
  }

  stage(key: Uint8Array, value: Uint8Array): Promise<void> {
    const store = this.store;
    this.setNow(key, value, undefined, true);
    return this.written(store);
  }

  /**
   * Settles once what was appended to `store` is written. Rejects when it failed meanwhile:
   * any caller's flush may be the one that hit the error, and the values it held (staged ones
   * included, whose writers were already answered) may not be in the file.
   */
  private async written(store: Store): Promise<void> {
    await this.flushSoon();
    // The store the value went to (a replay may have replaced it since).
    if (store.failure !== null) throw zdbError("IO", replyText.cannotWriteData);
    if (this.syncEveryWrite) await this.durable();
  }

  private flushSoon(): Promise<void> {
    if (this.flushQueued === null) {
      this.flushQueued = Promise.resolve().then(() => {
        this.flushQueued = null;
        this.store.flushPending();
      });
    }
    return this.flushQueued;
  }

  async del(key: Uint8Array): Promise<boolean> {
    const result = this.delNow(key);
    if (this.syncEveryWrite) await this.durable();
    return result;
  }

  async exists(key: Uint8Array): Promise<boolean> {
    return this.existsNow(key);
  }

  async scan(cursor?: Uint8Array): Promise<ScanPage> {
    this.checkReadable();
    const found = this.store.scan(cursor ?? null, scanPageEntriesMax + 1, false);
    const page = found.slice(0, scanPageEntriesMax);
    const last = page[page.length - 1];
    return {
      entries: page.map(({ key, sizeBytes, timestampSeconds }) => ({
        key,
        sizeBytes,
        timestampSeconds,
      })),
      nextCursor: found.length > scanPageEntriesMax && last ? last.cursor : null,
    };
  }

  async stats(): Promise<NamespaceStats> {
    return this.statsNow();
  }

  statsNow(): NamespaceStats {
    let diskFreeBytes = 0;
    try {
      const info = statfsSync(this.store.options.dataDir);
      diskFreeBytes = info.bavail * info.bsize;
    } catch {
      diskFreeBytes = 0;
    }
    return {
      name: this.name,
      mode: this.mode,
      entries: this.store.entries,
      dataSizeBytes: this.store.dataSizeBytes,
      dataLimitBytes: this.properties.maxSizeBytes,
      indexSizeBytes: this.store.indexSizeBytes,
      public: this.properties.public,
      worm: this.properties.worm,
      passwordProtected: this.properties.password !== null,
      diskFreeBytes,
    };
  }

  async sync(): Promise<void> {
    if (this.store.failure !== null) await this.recover();
    await this.durable();
  }

  /**
   * Group commit: resolves once every write made before the call is on disk. Writes arriving
   * while an fsync runs share the next one.
   */
  durable(): Promise<void> {
    if (this.closed) return Promise.resolve();
    if (this.store.failure !== null) {
      return Promise.reject(zdbError("IO", replyText.cannotWriteData));
    }
    if (this.syncInFlight === null) {
      if (this.store.unsyncedWrites === 0) return Promise.resolve();
      this.syncInFlight = this.store.fsyncAsync().finally(() => {
        this.syncInFlight = null;
      });
      return this.syncInFlight;
    }
    if (this.store.unsyncedWrites === 0) return this.syncInFlight;
    if (this.syncQueued === null) {
      const queued = this.syncInFlight
        .finally(() => {
          this.syncQueued = null;
        })
        .then(() => this.durable());
      this.syncQueued = queued;
    }
    return this.syncQueued;
  }
}
