/**
 * File data blocks in memory: dirty blocks waiting for the next flush (bounded by the caller,
 * which flushes when `dirtyBytes` passes its limit) and clean blocks kept as a read cache
 * (least recently used evicted past `cleanBytesMax`).
 *
 * Whole-block buffers the cache allocated itself are recycled: a block evicted or dropped
 * (and not being written by a flush) gives its buffer to a bounded spare list that new dirty
 * blocks take from. Fresh memory costs a page fault per 4 KiB on first touch and becomes
 * garbage the collector frees late (measured: copying 1 MiB writes into fresh 32 KiB buffers
 * ran at ~1.4 GB/s, into recycled ones at ~3 GB/s, with a lower peak RSS). Hence views of
 * `data` never outlive the synchronous step that took them (readers copy at once).
 */
import { assert } from "../../base/assert.ts";
import { blockSizeBytes, spareBlockBytesMax } from "./limits.ts";

export interface CachedBlock {
  ino: number;
  index: number;
  /** Content; bytes past `length` are zero. Dirty blocks always have blockSizeBytes of room. */
  data: Uint8Array;
  length: number;
  version: number;
  writtenVersion: number;
  /** `data` is being written by a flush: copy it before modifying (copy on write). */
  frozen: boolean;
  /** `data` is a whole-block buffer of the cache's own (recyclable once unused). */
  owned: boolean;
  /** The last change replaced the whole block (streaming writes; see snapshotOldestWhole). */
  replaced: boolean;
}

export interface BlockWrite {
  block: CachedBlock;
  version: number;
  bytes: Uint8Array;
}

const isDirty = (block: CachedBlock): boolean => block.version !== block.writtenVersion;
const smallestRoomBytes = 4096;

/** Buffer size for `length` bytes: a power of two from 4 KiB up to the block size. */
function roomFor(length: number): number {
  let room = smallestRoomBytes;
  while (room < length && room < blockSizeBytes) room *= 2;
  return room;
}

const spareCountMax = Math.floor(spareBlockBytesMax / blockSizeBytes);

export class BlockCache {
  readonly #blocks = new Map<string, CachedBlock>();
  readonly #spare: Uint8Array[] = [];
  readonly #dirtyByIno = new Map<number, Set<CachedBlock>>();
  readonly #cleanBytesMax: number;
  /**
   * Blocks written straight to the store (not through the cache) while fetches were running,
   * with the fetch count at that moment: a fetch that started before such a write must not
   * cache what it read (stale). Cleared whenever no fetch runs.
   */
  readonly #writtenDuringFetch = new Map<string, number>();
  #fetchesStarted = 0;
  #fetchesRunning = 0;
  #dirtyCount = 0;
  #cleanBytes = 0;

  constructor(cleanBytesMax: number) {
    this.#cleanBytesMax = cleanBytesMax;
  }

  get dirtyBytes(): number {
    return this.#dirtyCount * blockSizeBytes;
  }

  get cleanBytes(): number {
    return this.#cleanBytes;
  }

  get(ino: number, index: number): CachedBlock | undefined {
    const id = `${ino}:${index}`;
    const block = this.#blocks.get(id);
    if (block !== undefined && !isDirty(block)) {
      this.#blocks.delete(id);
      this.#blocks.set(id, block);
    }
    return block;
  }

  /** A fetch from the store begins; pass the ticket to `insertClean` (or `endFetch`). */
  beginFetch(): number {
    this.#fetchesRunning++;
    return ++this.#fetchesStarted;
  }

  endFetch(): void {
    this.#fetchesRunning--;
    if (this.#fetchesRunning === 0) this.#writtenDuringFetch.clear();
  }

  /**
   * A block is being written to the store directly: its cached copy goes, and fetches already
   * running will not cache the older bytes they may read. Only when it is not being flushed
   * (`isFrozen`), else the flush could land after the direct write.
   */
  forgetForDirectWrite(ino: number, index: number): void {
    this.drop(ino, index);
    if (this.#fetchesRunning > 0)
      this.#writtenDuringFetch.set(`${ino}:${index}`, this.#fetchesStarted);
  }

  /** The block is cached and a flush is writing its buffer now. */
  isFrozen(ino: number, index: number): boolean {
    return this.#blocks.get(`${ino}:${index}`)?.frozen === true;
  }

  /** A whole-block buffer to fetch into (a spare when there is one; contents undefined). */
  takeBuffer(): Uint8Array {
    return this.#allocate(blockSizeBytes, blockSizeBytes);
  }

  /**
   * Like `insertClean`, for `length` bytes fetched into `buffer` from `takeBuffer()` (the
   * cache owns it from now on and recycles it once evicted).
   */
  insertFetched(
    ino: number,
    index: number,
    buffer: Uint8Array,
    length: number,
    ticket: number,
  ): CachedBlock {
    if (length < buffer.length) buffer.fill(0, length);
    const block = this.insertClean(ino, index, buffer, ticket, length);
    if (block.data !== buffer) {
      // An existing block won: the fresh bytes are not needed.
      if (this.#spare.length < spareCountMax) this.#spare.push(buffer);
    } else if (this.#blocks.get(`${ino}:${index}`) === block) block.owned = true;
    return block;
  }

  /**
   * Insert a block read from the store by the fetch holding `ticket`, unless one is cached
   * already (which wins) or the block was written directly since that fetch began (then the
   * bytes are returned uncached: right for the reader that raced the write, stale afterwards).
   */
  insertClean(
    ino: number,
    index: number,
    data: Uint8Array,
    ticket: number,
    length = data.length,
  ): CachedBlock {
    const written = this.#writtenDuringFetch.get(`${ino}:${index}`);
    const stale = written !== undefined && written >= ticket;
    this.endFetch();
    const existing = this.#blocks.get(`${ino}:${index}`);
    if (existing !== undefined) return existing;
    const block = {
      ino,
      index,
      data,
      length,
      version: 0,
      writtenVersion: 0,
      frozen: false,
      owned: false,
      replaced: false,
    };
    // Stale: the caller copies from it now; the buffer is left to the collector.
    if (stale) return block;
    this.#blocks.set(`${ino}:${index}`, block);
    this.#cleanBytes += data.length;
    this.#evictClean();
    return block;
  }

  /**
   * The block ready to be modified, with room for at least `minLength` bytes (buffers grow by
   * doubling up to blockSizeBytes, so small files stay small), counted dirty.
   */
  dirty(ino: number, index: number, base: Uint8Array | null, minLength: number): CachedBlock {
    const id = `${ino}:${index}`;
    let block = this.#blocks.get(id);
    if (block === undefined) {
      const length = Math.min(base?.length ?? 0, blockSizeBytes);
      const data = this.#allocate(roomFor(Math.max(minLength, length)), length);
      if (base !== null) data.set(base.subarray(0, length));
      const owned = data.length === blockSizeBytes;
      block = {
        ino,
        index,
        data,
        length,
        version: 0,
        writtenVersion: 0,
        frozen: false,
        owned,
        replaced: false,
      };
      this.#blocks.set(id, block);
    } else {
      if (!isDirty(block)) this.#cleanBytes -= block.data.length;
      if (block.data.length < minLength || block.frozen) {
        const copy = this.#allocate(roomFor(Math.max(minLength, block.length)), block.length);
        copy.set(block.data.subarray(0, block.length));
        this.#replaceData(block, copy);
      }
      block.replaced = false;
    }
    this.#markDirty(block);
    return block;
  }

  /**
   * Replace a whole block by a copy of `source` (a view the caller may reuse afterwards),
   * counted dirty. An unfrozen buffer of the cache's own is overwritten in place.
   */
  dirtyWhole(ino: number, index: number, source: Uint8Array): CachedBlock {
    assert(source.length === blockSizeBytes, "dirtyWhole: not a whole block");
    const id = `${ino}:${index}`;
    let block = this.#blocks.get(id);
    if (block === undefined) {
      const data = this.#allocate(blockSizeBytes, blockSizeBytes);
      data.set(source);
      block = {
        ino,
        index,
        data,
        length: blockSizeBytes,
        version: 0,
        writtenVersion: 0,
        frozen: false,
        owned: true,
        replaced: true,
      };
      this.#blocks.set(id, block);
    } else {
      if (!isDirty(block)) this.#cleanBytes -= block.data.length;
      if (block.owned && !block.frozen) block.data.set(source);
      else {
        const data = this.#allocate(blockSizeBytes, blockSizeBytes);
        data.set(source);
        this.#replaceData(block, data);
      }
      block.length = blockSizeBytes;
      block.replaced = true;
    }
    this.#markDirty(block);
    return block;
  }

  /**
   * A buffer of `room` bytes whose bytes from `keep` on are zero: a spare whole-block buffer
   * when `room` is a whole block and one is left, else fresh memory.
   */
  #allocate(room: number, keep: number): Uint8Array {
    if (room !== blockSizeBytes) return new Uint8Array(room);
    const spare = this.#spare.pop();
    if (spare === undefined) return new Uint8Array(room);
    if (keep < room) spare.fill(0, keep);
    return spare;
  }

  /** Give `block` new bytes; the old buffer is recycled unless a flush is writing it. */
  #replaceData(block: CachedBlock, data: Uint8Array): void {
    this.#recycle(block);
    block.data = data;
    block.owned = data.length === blockSizeBytes;
    block.frozen = false;
  }

  /** `block` lets go of its buffer: keep it as a spare if it is ours and unused. */
  #recycle(block: CachedBlock): void {
    if (!block.owned || block.frozen || this.#spare.length >= spareCountMax) return;
    this.#spare.push(block.data);
  }

  #markDirty(block: CachedBlock): void {
    if (!isDirty(block)) {
      this.#dirtyCount++;
      let set = this.#dirtyByIno.get(block.ino);
      if (set === undefined) {
        set = new Set();
        this.#dirtyByIno.set(block.ino, set);
      }
      set.add(block);
    }
    block.version++;
  }

  /** Forget a block (hole punched, file truncated or deleted). */
  drop(ino: number, index: number): void {
    const id = `${ino}:${index}`;
    const block = this.#blocks.get(id);
    if (block === undefined) return;
    if (isDirty(block)) this.#forgetDirty(block);
    else this.#cleanBytes -= block.data.length;
    this.#blocks.delete(id);
    this.#recycle(block);
    block.owned = false;
  }

  #forgetDirty(block: CachedBlock): void {
    this.#dirtyCount--;
    const set = this.#dirtyByIno.get(block.ino);
    set?.delete(block);
    if (set?.size === 0) this.#dirtyByIno.delete(block.ino);
  }

  /** Copies of the dirty blocks (of one inode, or all), to be written by the caller. */
  snapshotDirty(ino?: number): BlockWrite[] {
    const writes: BlockWrite[] = [];
    const sets = ino === undefined ? [...this.#dirtyByIno.values()] : [this.#dirtyByIno.get(ino)];
    for (const set of sets) {
      for (const block of set ?? []) {
        block.frozen = true;
        writes.push({ block, version: block.version, bytes: block.data.subarray(0, block.length) });
      }
    }
    return writes;
  }

  /**
   * Like `snapshotDirty()`, for at most `countMax` blocks dirty the longest whose last change
   * replaced them whole (streaming writes: unlikely to change again soon, unlike blocks under
   * small random writes, which would be written more than once).
   */
  snapshotOldestWhole(countMax: number): BlockWrite[] {
    const writes: BlockWrite[] = [];
    for (const set of this.#dirtyByIno.values()) {
      for (const block of set) {
        if (writes.length >= countMax) return writes;
        if (block.frozen || !block.replaced) continue;
        block.frozen = true;
        writes.push({ block, version: block.version, bytes: block.data.subarray(0, block.length) });
      }
    }
    return writes;
  }

  /** After `writes` succeeded: blocks not modified since become clean cache. */
  markWritten(writes: BlockWrite[]): void {
    for (const write of writes) {
      const block = write.block;
      if (!isDirty(block) || write.version !== block.version) continue;
      if (this.#blocks.get(`${block.ino}:${block.index}`) !== block) continue;
      block.writtenVersion = block.version;
      block.frozen = false;
      this.#forgetDirty(block);
      this.#cleanBytes += block.data.length;
      assert(this.#dirtyCount >= 0, "dirty block count went negative");
    }
    this.#evictClean();
  }

  #evictClean(): void {
    if (this.#cleanBytes <= this.#cleanBytesMax) return;
    for (const [id, block] of this.#blocks) {
      if (this.#cleanBytes <= this.#cleanBytesMax) break;
      if (isDirty(block)) continue;
      this.#blocks.delete(id);
      this.#cleanBytes -= block.data.length;
      this.#recycle(block);
      block.owned = false;
    }
  }
}
