/**
 * The shared state of one mounted 0-db filesystem: namespaces, caches, locks, open handles,
 * and the commit that writes dirty state in crash-safe order:
 *   1. dirty data blocks (data namespace),
 *   2. metadata by phase: superblock, inodes/bitmaps/xattrs/orphans, directory pages,
 *      directory indexes, then every removal (meta namespace),
 *   3. deletes of dropped blocks (data namespace).
 * A name is thus never stored before its inode, and an inode never removed before its names.
 */
import type { ZdbNamespace } from "../../zdb/namespace.ts";
import { BlockCache, type BlockWrite } from "./block-cache.ts";
import { blockKey, KeyTag, orphansKey, superblockKey, u64At } from "./keys.ts";
import {
  flushConcurrencyMax,
  idleWriteBlocksMax,
  idleWritebackFraction,
  pendingReadaheadsMax,
} from "./limits.ts";
import { KeyedMutex, Mutex } from "./mutex.ts";
import type { ResolvedOptions } from "./options.ts";
import { Phase, RecordCache, type SnapshotWrite } from "./record-cache.ts";
import { encodeOrphans, encodeSuperblock, type Superblock } from "./superblock.ts";

export interface Handle {
  ino: number;
  flags: number;
  /** End of the last read, to detect sequential reads for readahead. */
  lastReadEnd: number;
}

/**
 * Run `task` over `items` with at most `limit` in flight. After a failure no item starts, and
 * the first error is thrown only once every task in flight settled: a caller that releases a
 * lock or forgets what it was writing on failure must not leave writes behind that land later
 * (an older block version over a newer one, a delete after a rewrite).
 */
export async function eachLimited<T>(
  items: T[],
  limit: number,
  task: (item: T) => Promise<unknown>,
) {
  let next = 0;
  let failure: { error: unknown } | null = null;
  const worker = async (): Promise<void> => {
    while (failure === null && next < items.length) {
      const item = items[next++] as T;
      try {
        await task(item);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (failure !== null) throw (failure as { error: unknown }).error;
}

export class FsCore {
  readonly meta: ZdbNamespace;
  readonly data: ZdbNamespace;
  readonly options: ResolvedOptions;
  readonly records: RecordCache;
  readonly blocks: BlockCache;
  /** Directory mutations and file content changes, per inode. */
  readonly inodeLocks = new KeyedMutex();
  /** Renames are serialised (like the kernel's per-filesystem rename mutex). */
  readonly renameLock = new Mutex();
  readonly commitLock = new Mutex();
  readonly handles = new Map<number, Handle>();
  readonly openCounts = new Map<number, number>();
  /** Blocks to delete from the data namespace after the next metadata write. */
  readonly blockDeletes = new Map<string, { ino: number; index: number }>();
  /** Blocks a running commit will delete (ids as in blockDeletes): no direct writes to them. */
  deletingBlocks = new Set<string>();
  /**
   * Blocks a running flush copied and is writing (ids as in blockDeletes): no direct writes to
   * them either, even once the cache dropped them (a truncate), or the flush's older copy
   * could land after the direct write.
   */
  readonly writingBlocks = new Set<string>();
  orphans = new Set<number>();
  /** O_TMPFILE inodes: nlink 0 yet allowed to be linked in (I_LINKABLE). */
  readonly linkable = new Set<number>();
  /** Inodes being deleted (their blocks and records), so that a second release skips them. */
  readonly destroying = new Set<number>();
  superblock: Superblock = {
    blockSizeBytes: 0,
    inodeReservedUpTo: 0,
    usedBlocks: 0,
    usedInodes: 0,
    rootIno: 1,
  };
  nextIno = 0;
  nextFh = 1;
  /** Called before a commit writes anything (the mount lock check). */
  beforeWrite: () => Promise<void> = async () => {};

  constructor(options: ResolvedOptions) {
    this.meta = options.meta;
    this.data = options.data;
    this.options = options;
    this.records = new RecordCache(options.meta, {
      recordsMax: options.metaRecordsMax,
      evictAgeMs: options.metaEvictAgeMs,
      isPinned: (key) => this.#isPinned(key),
    });
    this.blocks = new BlockCache(options.readCacheBytesMax);
  }

  /** Inodes that are open or locked keep one in-memory object (never evicted and reloaded). */
  #isPinned(key: Uint8Array): boolean {
    if (key[0] !== KeyTag.inode || key.length !== 9) return false;
    const ino = u64At(key, 1);
    return this.openCounts.has(ino) || this.inodeLocks.isBusy(ino);
  }

  markSuperblockDirty(): void {
    this.records.put(superblockKey(), this.superblock, encodeSuperblock, Phase.superblock);
  }

  markOrphansDirty(): void {
    this.records.put(orphansKey(), this.orphans, encodeOrphans, Phase.node);
  }

  /** A block is needed again: it must not be deleted by a pending delete. */
  cancelBlockDelete(ino: number, index: number): void {
    if (this.blockDeletes.size === 0) return;
    this.blockDeletes.delete(`${ino}:${index}`);
  }

  scheduleBlockDelete(ino: number, index: number): void {
    this.blocks.drop(ino, index);
    this.blockDeletes.set(`${ino}:${index}`, { ino, index });
  }

  /** Write all dirty state in crash-safe order (no sync). */
  commit(): Promise<void> {
    return this.commitLock.run(async () => {
      if (this.blocks.dirtyBytes === 0 && this.records.dirtyCount === 0) {
        if (this.blockDeletes.size === 0) return;
      }
      await this.beforeWrite();
      const blockWrites = this.blocks.snapshotDirty();
      const meta = this.records.snapshot();
      const deletes = [...this.blockDeletes.values()];
      this.deletingBlocks = new Set(this.blockDeletes.keys());
      this.blockDeletes.clear();
      try {
        await this.#writeBlocks(blockWrites);
        for (const phase of meta.phases) await this.#writeRecords(phase);
        await eachLimited(deletes, flushConcurrencyMax, (d) =>
          this.data.del(blockKey(d.ino, d.index)),
        );
      } catch (error) {
        for (const d of deletes) {
          const id = `${d.ino}:${d.index}`;
          if (!this.blocks.get(d.ino, d.index)) this.blockDeletes.set(id, d);
        }
        throw error;
      } finally {
        this.deletingBlocks = new Set();
      }
      this.records.evict();
    });
  }

  readonly #releasedFiles = new Set<number>();
  #releaseFlushScheduled = false;

  /**
   * Write the dirty blocks of released files soon, in one batch, without making release wait
   * (a failure leaves them dirty for the next commit).
   */
  flushFileSoon(ino: number): void {
    this.#releasedFiles.add(ino);
    if (this.#releaseFlushScheduled) return;
    this.#releaseFlushScheduled = true;
    setTimeout(() => {
      this.#releaseFlushScheduled = false;
      const inos = [...this.#releasedFiles];
      this.#releasedFiles.clear();
      void this.commitLock
        .run(() => this.#writeBlocks(inos.flatMap((i) => this.blocks.snapshotDirty(i))))
        .catch(() => {});
    }, 0);
  }

  async #writeBlocks(writes: BlockWrite[]): Promise<void> {
    const ids = writes.map((w) => `${w.block.ino}:${w.block.index}`);
    for (const id of ids) this.writingBlocks.add(id);
    try {
      await eachLimited(writes, flushConcurrencyMax, (w) =>
        this.data.set(blockKey(w.block.ino, w.block.index), w.bytes),
      );
    } finally {
      for (const id of ids) this.writingBlocks.delete(id);
    }
    this.blocks.markWritten(writes);
  }

  async #writeRecords(writes: SnapshotWrite[]): Promise<void> {
    await eachLimited(writes, flushConcurrencyMax, (w) =>
      w.bytes === null ? this.meta.del(w.record.key) : this.meta.set(w.record.key, w.bytes),
    );
    this.records.markWritten(writes);
  }

  readonly #readaheads: (() => Promise<void>)[] = [];
  #readaheadTimerSet = false;

  /**
   * Run `task` (a readahead) when the server is idle, after the reply that asked for it has
   * gone out; a timer runs it anyway if no idle time comes (servers without an idle hook).
   */
  readaheadSoon(task: () => Promise<void>): void {
    this.#readaheads.push(task);
    if (this.#readaheads.length > pendingReadaheadsMax) this.#readaheads.shift();
    if (this.#readaheadTimerSet) return;
    this.#readaheadTimerSet = true;
    setTimeout(() => {
      this.#readaheadTimerSet = false;
      const tasks = this.#readaheads.splice(0);
      for (const pending of tasks) void pending().catch(() => {});
    }, 0);
  }

  /**
   * One short piece of background work while no request waits: a pending readahead, else
   * (dirty data past a quarter of its bound) writing a few whole blocks dirty the longest, so
   * that flushing overlaps with the writer filling its next request instead of stalling it.
   * Resolves true when more work remains. Crash order is unchanged: data blocks may always be
   * written before the metadata that names them.
   */
  async idle(): Promise<boolean> {
    const readahead = this.#readaheads.shift();
    if (readahead !== undefined) {
      await readahead().catch(() => {});
      return true;
    }
    const idleBytes = this.options.writebackBytesMax / idleWritebackFraction;
    if (this.blocks.dirtyBytes < idleBytes || this.commitLock.busy) return false;
    let wrote = 0;
    await this.commitLock
      .run(async () => {
        const writes = this.blocks.snapshotOldestWhole(idleWriteBlocksMax);
        wrote = writes.length;
        await this.#writeBlocks(writes);
      })
      .catch(() => {});
    return wrote > 0;
  }

  /** Commit, then make everything durable. */
  async syncAll(): Promise<void> {
    await this.commit();
    await this.data.sync();
    await this.meta.sync();
  }

  /** Start a flush in the background when dirty state passes its bounds. */
  needsFlush(): boolean {
    return (
      this.blocks.dirtyBytes >= this.options.writebackBytesMax ||
      this.records.dirtyCount >= this.options.metaDirtyMax
    );
  }
}
