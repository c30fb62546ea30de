/**
 * File contents over the block cache and the presence bitmaps: write, truncate, punch hole,
 * SEEK_DATA/SEEK_HOLE, and the block preparation reads share (reads: file-read.ts). Callers
 * hold the inode's lock for anything that modifies.
 * Invariant: bytes of a block past the file size are zero (truncate zeroes the tail).
 */
import { Errno } from "../operations.ts";
import {
  bitIsSet,
  bitmapPageOf,
  countAbsent,
  hasBlock,
  loadBitmapPage,
  presentBlocks,
  setBlock,
  setBlocks,
} from "./bitmap.ts";
import type { CachedBlock } from "./block-cache.ts";
import type { FsCore } from "./core.ts";
import type { Inode } from "./inode-codec.ts";
import { now, putInode } from "./inode-table.ts";
import { bitmapKey, blockKey } from "./keys.ts";
import {
  bitmapPageBlocks,
  blockSizeBytes as bs,
  directWriteBytesMin,
  fileSizeBytesMax,
} from "./limits.ts";

const ENXIO = 6;

/** Rounds of loading before a preparation must have settled (each round loads what was evicted). */
const prepareRoundsMax = 64;

function missingBitmapPages(core: FsCore, ino: number, firstBlock: number, lastBlock: number) {
  const missing: number[] = [];
  for (let page = bitmapPageOf(firstBlock); page <= bitmapPageOf(lastBlock); page++) {
    if (core.records.peek(bitmapKey(ino, page)) === undefined) missing.push(page);
  }
  return missing;
}

/**
 * Load the bitmap pages of blocks [firstBlock, lastBlock] and the stored bytes of the `partial`
 * blocks (present, uncached) that a modification will merge into, then run `use` in the same
 * synchronous step as the check that found everything in memory: a flush or a read may evict
 * clean pages and blocks at any await (even between an awaited return and its continuation).
 */
export async function withBlocks<T>(
  core: FsCore,
  inode: Inode,
  range: { firstBlock: number; lastBlock: number; partial: number[] },
  use: (bases: Map<number, Uint8Array>) => T,
): Promise<T> {
  const ino = inode.ino;
  const bases = new Map<number, Uint8Array>();
  for (let round = 0; round < prepareRoundsMax; round++) {
    const pages = missingBitmapPages(core, ino, range.firstBlock, range.lastBlock);
    // A file without blocks has no bitmap pages: nothing to ask the store (which may be down:
    // the first writes of a new file are then kept like any other write-back).
    if (inode.blockCount === 0 && pages.length > 0) {
      for (const page of pages) core.records.knownAbsent(bitmapKey(ino, page));
      continue;
    }
    const needed =
      pages.length > 0
        ? []
        : range.partial.filter(
            (i) =>
              !bases.has(i) &&
              core.blocks.get(ino, i) === undefined &&
              hasBlock(core.records, ino, i),
          );
    if (pages.length === 0 && needed.length === 0) return use(bases);
    for (const page of pages) await loadBitmapPage(core.records, ino, page);
    for (const index of needed) bases.set(index, await fetchBlock(core, ino, index));
  }
  throw new Error(`blocks of inode ${ino} kept being evicted while loading`);
}

/** A block's stored bytes (empty when the store lost it: reads as zeros). */
export async function fetchBlock(core: FsCore, ino: number, index: number): Promise<Uint8Array> {
  return (await core.data.get(blockKey(ino, index))) ?? new Uint8Array(0);
}

/** Make a block dirty (present, in the bitmap, counted) and return it. Synchronous. */
function dirtyBlock(
  core: FsCore,
  inode: Inode,
  index: number,
  base: Uint8Array | null,
  minLength: number,
) {
  return countPresent(core, inode, index, core.blocks.dirty(inode.ino, index, base, minLength));
}

/** A block became dirty: mark it present in the bitmap and counted. Synchronous. */
function countPresent(core: FsCore, inode: Inode, index: number, block: CachedBlock) {
  core.cancelBlockDelete(inode.ino, index);
  if (setBlock(core.records, inode.ino, index, true)) {
    inode.blockCount++;
    core.superblock.usedBlocks++;
    core.markSuperblockDirty();
  }
  return block;
}

/**
 * Returns the bytes written, or -errno. Whole blocks of a large write (a stream) go straight
 * to the store from the caller's buffer: no copy into the cache, no later flush. Blocks a
 * flush is writing, or whose delete a commit is running, take the cached path (either could
 * otherwise land after the direct write and undo it).
 */
export async function writeData(
  core: FsCore,
  inode: Inode,
  offset: number,
  data: Uint8Array,
  accept?: (byteCount: number) => void,
): Promise<number> {
  if (data.length === 0) return 0;
  const end = offset + data.length;
  if (end > fileSizeBytesMax) return -Errno.EFBIG;
  const first = Math.floor(offset / bs);
  const last = Math.floor((end - 1) / bs);
  const partial = [...new Set([first, last])].filter((i) => i * bs < offset || (i + 1) * bs > end);
  const range = { firstBlock: first, lastBlock: last, partial };
  const streaming = data.length >= directWriteBytesMin;
  const direct: number[] = [];
  const written = await withBlocks(core, inode, range, (bases) => {
    const fresh = countAbsent(core.records, inode.ino, first, last);
    if ((core.superblock.usedBlocks + fresh) * bs > core.options.capacityBytes)
      return -Errno.ENOSPC;
    for (let index = first; index <= last; index++) {
      const blockStart = index * bs;
      const from = Math.max(offset, blockStart);
      const to = Math.min(end, blockStart + bs);
      const source = data.subarray(from - offset, to - offset);
      if (to - from === bs) {
        if (streaming && canWriteDirect(core, inode.ino, index)) {
          core.blocks.forgetForDirectWrite(inode.ino, index);
          direct.push(index);
        } else core.blocks.dirtyWhole(inode.ino, index, source);
        continue;
      }
      const block = core.blocks.dirty(inode.ino, index, bases.get(index) ?? null, to - blockStart);
      block.data.set(source, from - blockStart);
      block.length = Math.max(block.length, to - blockStart);
    }
    for (let index = first; index <= last; index++) core.cancelBlockDelete(inode.ino, index);
    setBlocks(core.records, inode.ino, first, last, () => {
      inode.blockCount++;
      core.superblock.usedBlocks++;
    });
    if (fresh > 0) core.markSuperblockDirty();
    inode.size = Math.max(inode.size, end);
    inode.mtime = now(core);
    inode.ctime = inode.mtime;
    putInode(core, inode);
    return data.length;
  });
  if (direct.length > 0) {
    await writeDirect(core, inode.ino, direct, offset, data, () => accept?.(written));
  }
  return written;
}

function canWriteDirect(core: FsCore, ino: number, index: number): boolean {
  const id = `${ino}:${index}`;
  return (
    !core.blocks.isFrozen(ino, index) && !core.deletingBlocks.has(id) && !core.writingBlocks.has(id)
  );
}

/**
 * Store whole blocks from `data` (which starts at file `offset`). A block the store refuses is
 * kept dirty in the cache instead, so the write is never lost: its error comes back from the
 * next flush or fsync, as for any write-back. The inode lock is held, so no newer write of
 * these blocks can come in between. With a store that stages (the embedded engine), `accept`
 * is called as soon as every block is staged: later reads find them all, and what the store
 * fails to write from there on is cached the same way (`data` is still ours). Not when a block
 * was refused, nor while the write-back is over its bounds: the writer then waits for the
 * flush that follows, and gets its error (back-pressure, as for any other write).
 */
async function writeDirect(
  core: FsCore,
  ino: number,
  indexes: number[],
  offset: number,
  data: Uint8Array,
  accept: () => void,
): Promise<void> {
  const bytesOf = (index: number) => data.subarray(index * bs - offset, (index + 1) * bs - offset);
  const failed: number[] = [];
  const stored: Promise<unknown>[] = [];
  const stage = core.data.stage?.bind(core.data);
  let refused = false;
  // All at once: the embedded engine writes them with one writev, a remote one gets them pipelined.
  for (const index of indexes) {
    const key = blockKey(ino, index);
    if (stage === undefined) {
      stored.push(core.data.set(key, bytesOf(index)).catch(() => failed.push(index)));
      continue;
    }
    try {
      stored.push(stage(key, bytesOf(index)).catch(() => failed.push(index)));
    } catch {
      core.blocks.dirtyWhole(ino, index, bytesOf(index));
      refused = true;
    }
  }
  if (stage !== undefined && !refused && !core.needsFlush()) accept();
  await Promise.all(stored);
  for (const index of failed) core.blocks.dirtyWhole(ino, index, bytesOf(index));
}

/** Zero [from, to) of block `index` (within one block), if present. */
async function zeroInBlock(core: FsCore, inode: Inode, index: number, from: number, to: number) {
  const range = { firstBlock: index, lastBlock: index, partial: [index] };
  await withBlocks(core, inode, range, (bases) => {
    if (!hasBlock(core.records, inode.ino, index)) return;
    const block = dirtyBlock(core, inode, index, bases.get(index) ?? null, 0);
    block.data.fill(0, from, Math.min(to, block.data.length));
    if (block.length <= to) block.length = Math.min(block.length, from);
  });
}

/** Delete whole blocks [firstBlock, lastBlock] that are present. */
async function dropBlocks(core: FsCore, inode: Inode, firstBlock: number, lastBlock: number) {
  if (lastBlock < firstBlock) return;
  for (let page = bitmapPageOf(firstBlock); page <= bitmapPageOf(lastBlock); page++) {
    const start = Math.max(firstBlock, page * bitmapPageBlocks);
    const stop = Math.min(lastBlock, (page + 1) * bitmapPageBlocks - 1);
    await withBlocks(core, inode, { firstBlock: start, lastBlock: stop, partial: [] }, () => {
      const bits = core.records.peek<Uint8Array>(bitmapKey(inode.ino, page)) ?? null;
      for (const index of presentBlocks(bits, page)) {
        if (index < start || index > stop) continue;
        if (!setBlock(core.records, inode.ino, index, false)) continue;
        core.scheduleBlockDelete(inode.ino, index);
        inode.blockCount--;
        core.superblock.usedBlocks--;
      }
    });
  }
  core.markSuperblockDirty();
}

export async function truncateData(core: FsCore, inode: Inode, size: number) {
  if (size > fileSizeBytesMax) return Errno.EFBIG;
  if (size < inode.size) {
    const keep = Math.ceil(size / bs);
    await dropBlocks(core, inode, keep, Math.ceil(inode.size / bs) - 1);
    if (size % bs !== 0) await zeroInBlock(core, inode, keep - 1, size % bs, bs);
  }
  inode.size = size;
  inode.mtime = now(core);
  inode.ctime = inode.mtime;
  putInode(core, inode);
  return 0;
}

/** Deallocate [offset, offset+length) keeping the size (FALLOC_FL_PUNCH_HOLE). */
export async function punchHole(core: FsCore, inode: Inode, offset: number, length: number) {
  const end = Math.min(offset + length, inode.size);
  if (offset >= end) return 0;
  const firstFull = Math.ceil(offset / bs);
  const lastFull = Math.floor(end / bs) - 1;
  if (firstFull > lastFull) {
    const index = Math.floor(offset / bs);
    const stop = Math.min(end, (index + 1) * bs);
    await zeroInBlock(core, inode, index, offset - index * bs, stop - index * bs);
    if (stop < end) await zeroInBlock(core, inode, index + 1, 0, end - (index + 1) * bs);
  } else {
    if (offset % bs !== 0) await zeroInBlock(core, inode, firstFull - 1, offset % bs, bs);
    await dropBlocks(core, inode, firstFull, lastFull);
    if (end % bs !== 0) await zeroInBlock(core, inode, lastFull + 1, 0, end % bs);
  }
  inode.ctime = now(core);
  inode.mtime = inode.ctime;
  putInode(core, inode);
  return 0;
}

/** SEEK_DATA (`wantData`) or SEEK_HOLE from `offset`; -ENXIO past the end or with no data. */
export async function seekData(core: FsCore, inode: Inode, offset: number, wantData: boolean) {
  if (offset < 0) return -Errno.EINVAL;
  if (offset >= inode.size) return -ENXIO;
  const lastBlock = Math.ceil(inode.size / bs) - 1;
  let bits: Uint8Array | null = null;
  for (let index = Math.floor(offset / bs); index <= lastBlock; index++) {
    if (index % bitmapPageBlocks === 0 || index === Math.floor(offset / bs)) {
      const page = bitmapPageOf(index);
      bits = await loadBitmapPage(core.records, inode.ino, page);
      if (bits === null && !wantData) return Math.max(offset, index * bs);
      if (bits === null) {
        index = (page + 1) * bitmapPageBlocks - 1;
        continue;
      }
    }
    if (bitIsSet(bits, index) === wantData) {
      return Math.min(Math.max(offset, index * bs), inode.size);
    }
  }
  return wantData ? -ENXIO : inode.size;
}
