/**
 * File data blocks in memory: dirty blocks waiting for the next flush (bounded by the caller,
 * which flushes when `dirtyBytes` passes its limit) and clean blocks kept as a read cache
 * (least recently used evicted past `cleanBytesMax`).
 */
import { assert } from "../../base/assert.ts";
import { blockSizeBytes } from "./limits.ts";

export interface CachedBlock {
  ino: number;
  index: number;
  /** Content; bytes past `length` are zero. Dirty blocks always have blockSizeBytes of room. */
  data: Uint8Array;
  length: number;
  version: number;
  writtenVersion: number;
}

export interface BlockWrite {
  block: CachedBlock;
  version: number;
  bytes: Uint8Array;
}

const isDirty = (block: CachedBlock): boolean => block.version !== block.writtenVersion;

export class BlockCache {
  readonly #blocks = new Map<string, CachedBlock>();
  readonly #cleanBytesMax: number;
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

  /** Insert a block read from the store, unless one is cached already (which wins). */
  insertClean(ino: number, index: number, data: Uint8Array): CachedBlock {
    const existing = this.#blocks.get(`${ino}:${index}`);
    if (existing !== undefined) return existing;
    const block = { ino, index, data, length: data.length, version: 0, writtenVersion: 0 };
    this.#blocks.set(`${ino}:${index}`, block);
    this.#cleanBytes += data.length;
    this.#evictClean();
    return block;
  }

  /** The block ready to be modified: full-size buffer, counted dirty. */
  dirty(ino: number, index: number, base: Uint8Array | null): CachedBlock {
    let block = this.#blocks.get(`${ino}:${index}`);
    if (block === undefined) {
      block = { ino, index, data: new Uint8Array(0), length: 0, version: 0, writtenVersion: 0 };
      this.#blocks.set(`${ino}:${index}`, block);
      block.data = new Uint8Array(blockSizeBytes);
      if (base !== null) {
        block.data.set(base.subarray(0, blockSizeBytes));
        block.length = Math.min(base.length, blockSizeBytes);
      }
    } else if (block.data.length < blockSizeBytes) {
      if (!isDirty(block)) this.#cleanBytes -= block.data.length;
      const full = new Uint8Array(blockSizeBytes);
      full.set(block.data);
      block.data = full;
    } else if (!isDirty(block)) {
      this.#cleanBytes -= block.data.length;
    }
    if (!isDirty(block)) this.#dirtyCount++;
    block.version++;
    return block;
  }

  /** Forget a block (hole punched, file truncated or deleted). */
  drop(ino: number, index: number): void {
    const id = `${ino}:${index}`;
    const block = this.#blocks.get(id);
    if (block === undefined) return;
    if (isDirty(block)) this.#dirtyCount--;
    else this.#cleanBytes -= block.data.length;
    this.#blocks.delete(id);
  }

  /** Cached blocks of `ino` (for truncate and delete). */
  blocksOf(ino: number): CachedBlock[] {
    return [...this.#blocks.values()].filter((b) => b.ino === ino);
  }

  /** Copies of the dirty blocks (of one inode, or all), to be written by the caller. */
  snapshotDirty(ino?: number): BlockWrite[] {
    const writes: BlockWrite[] = [];
    for (const block of this.#blocks.values()) {
      if (!isDirty(block) || (ino !== undefined && block.ino !== ino)) continue;
      writes.push({ block, version: block.version, bytes: block.data.slice(0, block.length) });
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
      this.#dirtyCount--;
      block.data = write.bytes;
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
    }
  }
}
