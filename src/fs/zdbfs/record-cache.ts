/**
 * Write-back cache of the metadata records (inodes, directory pages, bitmaps, xattrs, …).
 * Mutations change cached objects and mark them dirty; `snapshot()` encodes every dirty record
 * at one instant (a consistent cut, since operations mutate synchronously after their loads)
 * and groups the writes by phase so the commit can order them for crash consistency.
 */
import type { ZdbNamespace } from "../../zdb/namespace.ts";
import { keyString } from "./keys.ts";

/**
 * Write order within one commit (lower first); removals always go last. Pages that lost an
 * entry go after pages that gained one, so a rename caught between them keeps both names
 * (a link count one too high, repaired at the next mount), never neither.
 */
export const Phase = {
  superblock: 0,
  node: 1,
  dirPage: 2,
  dirPageRemoval: 3,
  dirIndex: 4,
  remove: 5,
} as const;
export type PhaseValue = (typeof Phase)[keyof typeof Phase];
export const phaseCount = 6;
const reorderIntervalMs = 1000;

interface CachedRecord {
  key: Uint8Array;
  /** null: absent (never stored, or removed). */
  value: unknown;
  encode: ((value: never) => Uint8Array) | null;
  phase: PhaseValue;
  /** Bumped on each mutation; 0 written = clean when equal. */
  version: number;
  writtenVersion: number;
  lastUseMs: number;
}

export interface SnapshotWrite {
  record: CachedRecord;
  version: number;
  /** null: delete the key. */
  bytes: Uint8Array | null;
}

export interface RecordSnapshot {
  phases: SnapshotWrite[][];
}

export interface RecordCacheOptions {
  /** Clean records kept beyond this count are evicted (least recently used first). */
  recordsMax: number;
  /** Records used more recently than this are never evicted (operations hold them). */
  evictAgeMs: number;
  /** Records never evicted while this says so (inodes that are open or locked). */
  isPinned?: (key: Uint8Array) => boolean;
}

export class RecordCache {
  readonly #ns: ZdbNamespace;
  readonly #options: RecordCacheOptions;
  readonly #records = new Map<string, CachedRecord>();
  readonly #loading = new Map<string, Promise<unknown>>();
  /** Records with unwritten changes (what a snapshot visits). */
  readonly #dirty = new Set<CachedRecord>();

  constructor(ns: ZdbNamespace, options: RecordCacheOptions) {
    this.#ns = ns;
    this.#options = options;
  }

  get dirtyCount(): number {
    return this.#dirty.size;
  }

  get size(): number {
    return this.#records.size;
  }

  /** The cached value (null = known absent), or undefined when not cached. */
  peek<T>(key: Uint8Array): T | null | undefined {
    const id = keyString(key);
    const record = this.#records.get(id);
    if (record === undefined) return undefined;
    this.#touch(id, record);
    return record.value as T | null;
  }

  async load<T>(key: Uint8Array, decode: (bytes: Uint8Array) => T): Promise<T | null> {
    const id = keyString(key);
    const cached = this.#records.get(id);
    if (cached !== undefined) {
      this.#touch(id, cached);
      return cached.value as T | null;
    }
    const pending = this.#loading.get(id);
    if (pending !== undefined) return (await pending) as T | null;
    const promise = this.#fetch(id, key, decode);
    this.#loading.set(id, promise);
    try {
      return await promise;
    } finally {
      this.#loading.delete(id);
    }
  }

  async #fetch<T>(id: string, key: Uint8Array, decode: (b: Uint8Array) => T): Promise<T | null> {
    const bytes = await this.#ns.get(key);
    const raced = this.#records.get(id);
    if (raced !== undefined) return raced.value as T | null;
    const value = bytes === null ? null : decode(bytes);
    this.#records.set(id, {
      key: key.slice(),
      value,
      encode: null,
      phase: Phase.node,
      version: 0,
      writtenVersion: 0,
      lastUseMs: Date.now(),
    });
    return value;
  }

  /**
   * Note a use; at most once a second, move the record to the young end of the map (the map
   * order is a coarse LRU order; moving on every use costs more than it saves).
   */
  #touch(id: string, record: CachedRecord): void {
    const nowMs = Date.now();
    if (nowMs - record.lastUseMs > reorderIntervalMs) {
      this.#records.delete(id);
      this.#records.set(id, record);
    }
    record.lastUseMs = nowMs;
  }

  /**
   * The caller knows `key` is not in the store (nothing to load): cached as absent, clean, so
   * a change made without the store's help (it may be down) starts from the right state.
   */
  knownAbsent(key: Uint8Array): void {
    const id = keyString(key);
    if (this.#records.has(id)) return;
    this.#records.set(id, {
      key: key.slice(),
      value: null,
      encode: null,
      phase: Phase.node,
      version: 0,
      writtenVersion: 0,
      lastUseMs: Date.now(),
    });
  }

  /** Store `value` under `key` (written at the next commit, in `phase`). */
  put<T>(key: Uint8Array, value: T, encode: (value: T) => Uint8Array, phase: PhaseValue): void {
    this.#mutate(key, value, encode as (value: never) => Uint8Array, phase);
  }

  /** Delete `key` at the next commit (after every other write of that commit). */
  remove(key: Uint8Array): void {
    this.#mutate(key, null, null, Phase.remove);
  }

  #mutate(key: Uint8Array, value: unknown, encode: CachedRecord["encode"], phase: PhaseValue) {
    const id = keyString(key);
    let record = this.#records.get(id);
    if (record === undefined) {
      record = {
        key: key.slice(),
        value,
        encode,
        phase,
        version: 0,
        writtenVersion: 0,
        lastUseMs: 0,
      };
      this.#records.set(id, record);
    }
    const dirty = record.version !== record.writtenVersion;
    this.#dirty.add(record);
    record.value = value;
    record.encode = encode;
    // A page that lost an entry stays late until written, even if it gains one afterwards.
    const keepLate = dirty && record.phase === Phase.dirPageRemoval && phase === Phase.dirPage;
    record.phase = keepLate ? record.phase : phase;
    record.version++;
    this.#touch(id, record);
  }

  /** Encode every dirty record now; the writes are done by the caller in phase order. */
  snapshot(): RecordSnapshot {
    const phases: SnapshotWrite[][] = Array.from({ length: phaseCount }, () => []);
    for (const record of this.#dirty) {
      if (record.version === record.writtenVersion) continue;
      const bytes =
        record.value === null || record.encode === null
          ? null
          : record.encode(record.value as never);
      phases[bytes === null ? Phase.remove : record.phase]?.push({
        record,
        version: record.version,
        bytes,
      });
    }
    return { phases };
  }

  /** After the writes of `writes` succeeded: those not mutated since are clean. */
  markWritten(writes: SnapshotWrite[]): void {
    for (const write of writes) {
      const record = write.record;
      if (record.writtenVersion === record.version) continue;
      if (write.version === record.version) this.#dirty.delete(record);
      record.writtenVersion = Math.max(record.writtenVersion, write.version);
    }
  }

  /** Drop clean, not recently used records beyond the bound, oldest first. */
  evict(): void {
    let excess = this.#records.size - this.#options.recordsMax;
    if (excess <= 0) return;
    const youngestMs = Date.now() - this.#options.evictAgeMs;
    for (const [id, record] of this.#records) {
      if (excess <= 0) break;
      if (record.lastUseMs >= youngestMs || record.version !== record.writtenVersion) continue;
      if (this.#options.isPinned?.(record.key)) continue;
      this.#records.delete(id);
      excess--;
    }
  }
}
