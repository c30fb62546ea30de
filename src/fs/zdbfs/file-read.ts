/**
 * Reading file contents: through the read cache (blocks fetched into recycled buffers), into a
 * lent reply room, or straight into the server's read sink as ranges of the store's files;
 * and readahead. Shares block preparation (`withBlocks`) with file-data.ts.
 */
import type { FileRange } from "../../zdb/namespace.ts";
import type { ReadSink } from "../operations.ts";
import { hasBlock } from "./bitmap.ts";
import type { CachedBlock } from "./block-cache.ts";
import type { FsCore } from "./core.ts";
import { fetchBlock, withBlocks } from "./file-data.ts";
import type { Inode } from "./inode-codec.ts";
import { blockKey } from "./keys.ts";
import { blockSizeBytes as bs } from "./limits.ts";

/**
 * Fetch a block into the read cache (see BlockCache.insertClean for when it is not kept) and
 * hand it to `use` in the same synchronous step: once evicted its buffer is recycled, so it
 * must not be read after any await.
 */
async function fetchIntoCache(
  core: FsCore,
  ino: number,
  index: number,
  use: (block: CachedBlock) => void = () => {},
): Promise<void> {
  const ticket = core.blocks.beginFetch();
  // Into a recycled buffer: fresh memory costs a page fault per 4 KiB (see block-cache.ts).
  const buffer = core.blocks.takeBuffer();
  let length: number | null;
  try {
    length = await core.data.getInto(blockKey(ino, index), buffer);
    if (length !== null && length > buffer.length) {
      // Not a block this filesystem wrote (damaged store): its first block's worth counts.
      const bytes = (await fetchBlock(core, ino, index)).subarray(0, buffer.length);
      buffer.set(bytes);
      length = bytes.length;
    }
  } catch (error) {
    core.blocks.endFetch();
    throw error;
  }
  use(core.blocks.insertFetched(ino, index, buffer, length ?? 0, ticket));
}

/** readData's answer when the reply went out through the caller's read sink. */
export const sentThroughSink = Symbol("sent through the read sink");

/**
 * The file's bytes at [offset, offset + size), cut at its end. With `room` (memory lent by the
 * caller, large enough), they are placed there and a view of it is returned: no allocation.
 * With `sink` and a store that can locate values in its files, the reply is sent through the
 * sink instead (file ranges spliced, not copied) and `sentThroughSink` is returned.
 */
export function readData(
  core: FsCore,
  inode: Inode,
  offset: number,
  size: number,
  room?: Uint8Array,
): Promise<Uint8Array>;
export function readData(
  core: FsCore,
  inode: Inode,
  offset: number,
  size: number,
  room: Uint8Array | undefined,
  sink: ReadSink | undefined,
): Promise<Uint8Array | typeof sentThroughSink>;
export async function readData(
  core: FsCore,
  inode: Inode,
  offset: number,
  size: number,
  room?: Uint8Array,
  sink?: ReadSink,
): Promise<Uint8Array | typeof sentThroughSink> {
  const end = Math.min(offset + size, inode.size);
  if (offset >= end) return new Uint8Array(0);
  // A lent room holds old bytes: every byte of it is written below (holes and short blocks
  // with zeros); fresh memory is zero already.
  const lent = room !== undefined && room.length >= end - offset;
  const out = lent ? room.subarray(0, end - offset) : new Uint8Array(end - offset);
  const first = Math.floor(offset / bs);
  const last = Math.floor((end - 1) / bs);
  // Copies in the synchronous step that found the block: cached buffers are recycled once
  // evicted, so no view of them may wait across an await.
  const copy = (index: number, block: CachedBlock | null): void => {
    const blockStart = index * bs;
    const from = Math.max(offset, blockStart) - blockStart;
    const stop = Math.min(end, blockStart + bs) - blockStart;
    const to = Math.min(stop, block?.length ?? 0);
    if (block !== null && to > from) {
      out.set(block.data.subarray(from, to), blockStart + from - offset);
    }
    if (lent && stop > Math.max(from, to)) {
      out.fill(0, blockStart + Math.max(from, to) - offset, blockStart + stop - offset);
    }
  };
  const range = { firstBlock: first, lastBlock: last, partial: [] };
  const locate = core.data.locate?.bind(core.data);
  const missing = await withBlocks(core, inode, range, () => {
    if (sink !== undefined && locate !== undefined) {
      if (sendThroughSink(core, inode.ino, offset, end, sink, locate)) return null;
    }
    const absent: number[] = [];
    for (let index = first; index <= last; index++) {
      const cached = core.blocks.get(inode.ino, index);
      if (cached !== undefined) copy(index, cached);
      else if (hasBlock(core.records, inode.ino, index)) absent.push(index);
      else copy(index, null);
    }
    return absent;
  });
  if (missing === null) return sentThroughSink;
  await Promise.all(
    missing.map((index) => fetchIntoCache(core, inode.ino, index, (block) => copy(index, block))),
  );
  return out;
}

const zeroBlock = new Uint8Array(bs);

/**
 * [offset, end) of a file into `sink`, in this synchronous step: cached blocks as bytes,
 * stored ones as ranges of the store's files (located one by one, right before use: a
 * located descriptor is valid only until the step ends), holes and short blocks as zeros.
 * False (nothing sent) when the sink or the store cannot do it.
 */
function sendThroughSink(
  core: FsCore,
  ino: number,
  offset: number,
  end: number,
  sink: ReadSink,
  locate: (key: Uint8Array) => FileRange | null,
): boolean {
  if (!sink.begin(end - offset)) return false;
  try {
    for (let index = Math.floor(offset / bs); index * bs < end; index++) {
      const blockStart = index * bs;
      const from = Math.max(offset, blockStart) - blockStart;
      const stop = Math.min(end, blockStart + bs) - blockStart;
      let sent = from;
      const cached = core.blocks.get(ino, index);
      if (cached !== undefined) {
        const to = Math.min(stop, cached.length);
        if (to > from && !sink.bytes(cached.data.subarray(from, to))) return false;
        sent = Math.max(from, to);
      } else if (hasBlock(core.records, ino, index)) {
        const stored = locate(blockKey(ino, index));
        const to = Math.min(stop, stored?.length ?? 0);
        if (stored !== null && to > from) {
          if (!sink.file(stored.fd, stored.offset + from, to - from)) return false;
          sent = to;
        }
      }
      if (stop > sent && !sink.bytes(zeroBlock.subarray(0, stop - sent))) return false;
    }
  } catch {
    // A store file missing (evicted): the usual path restores it.
    sink.abort();
    return false;
  }
  return sink.end();
}

/** Fetch up to `count` present, uncached blocks after `fromBlock` into the read cache. */
export async function readAhead(core: FsCore, inode: Inode, fromBlock: number, count: number) {
  const last = Math.min(fromBlock + count, Math.ceil(inode.size / bs)) - 1;
  if (last < fromBlock) return;
  const range = { firstBlock: fromBlock, lastBlock: last, partial: [] };
  const tasks = await withBlocks(core, inode, range, () => {
    const started: Promise<unknown>[] = [];
    for (let index = fromBlock; index <= last; index++) {
      const cached = core.blocks.get(inode.ino, index) !== undefined;
      if (!cached && hasBlock(core.records, inode.ino, index)) {
        started.push(fetchIntoCache(core, inode.ino, index));
      }
    }
    return started;
  });
  await Promise.all(tasks);
}
