/**
 * Block-presence bitmaps ("m"+ino+page, meta namespace): bit i of page p says whether block
 * p*32768+i of the file is stored. They make holes free, SEEK_DATA/SEEK_HOLE a scan of bits, and
 * let a file's blocks be deleted without probing every index.
 */
import { assert } from "../../base/assert.ts";
import { bitmapKey } from "./keys.ts";
import { bitmapPageBlocks } from "./limits.ts";
import { Phase, type RecordCache } from "./record-cache.ts";

/**
 * In memory (and on disk, where trailing zero bytes are cut) a page is only as long as its
 * last set bit needs: bytes past its end read as zero. A full page is 4 KiB; a small file's
 * page was 4 KiB of memory for a byte or two of bits (32 MB held for an untar of 7,911 files).
 */
const pageBytes = bitmapPageBlocks / 8;
const smallestPageBytes = 16;
const decode = (bytes: Uint8Array): Uint8Array => bytes.slice(0, pageBytes);

/** `page`, or a longer copy of it, with room for byte `byteIndex`. */
function withRoom(page: Uint8Array | null, byteIndex: number): Uint8Array {
  if (page !== null && byteIndex < page.length) return page;
  let room = smallestPageBytes;
  while (room <= byteIndex) room *= 2;
  const grown = new Uint8Array(Math.min(room, pageBytes));
  if (page !== null) grown.set(page);
  return grown;
}
const encode = (page: Uint8Array): Uint8Array => {
  let end = page.length;
  while (end > 0 && page[end - 1] === 0) end--;
  return page.slice(0, Math.max(end, 1));
};

export function bitmapPageOf(block: number): number {
  return Math.floor(block / bitmapPageBlocks);
}

/** Load the page holding `block` into the cache (so the sync functions below can use it). */
export async function loadBitmapPage(cache: RecordCache, ino: number, page: number) {
  return cache.load(bitmapKey(ino, page), decode);
}

/** Whether `block` is present; the page must have been loaded. */
export function hasBlock(cache: RecordCache, ino: number, block: number): boolean {
  const page = cache.peek<Uint8Array>(bitmapKey(ino, bitmapPageOf(block)));
  assert(page !== undefined, "hasBlock: bitmap page not loaded");
  if (page === null) return false;
  const bit = block % bitmapPageBlocks;
  return ((page[bit >> 3] ?? 0) & (1 << (bit & 7))) !== 0;
}

/** Set or clear the bit of `block` (page loaded); returns whether it changed. */
export function setBlock(cache: RecordCache, ino: number, block: number, present: boolean) {
  const key = bitmapKey(ino, bitmapPageOf(block));
  const cached = cache.peek<Uint8Array>(key);
  assert(cached !== undefined, "setBlock: bitmap page not loaded");
  const bit = block % bitmapPageBlocks;
  const mask = 1 << (bit & 7);
  const was = ((cached?.[bit >> 3] ?? 0) & mask) !== 0;
  if (was === present) return false;
  const page = withRoom(cached, bit >> 3);
  page[bit >> 3] = (page[bit >> 3] ?? 0) ^ mask;
  if (!present && page.every((byte) => byte === 0)) cache.remove(key);
  else cache.put(key, page, encode, Phase.node);
  return true;
}

/** Blocks of [first, last] that are absent (their pages loaded); one page lookup per page. */
export function countAbsent(cache: RecordCache, ino: number, first: number, last: number) {
  let absent = 0;
  for (let page = bitmapPageOf(first); page <= bitmapPageOf(last); page++) {
    const bits = cache.peek<Uint8Array>(bitmapKey(ino, page));
    assert(bits !== undefined, "countAbsent: bitmap page not loaded");
    const from = Math.max(first, page * bitmapPageBlocks);
    const to = Math.min(last, (page + 1) * bitmapPageBlocks - 1);
    for (let block = from; block <= to; block++) if (!bitIsSet(bits, block)) absent++;
  }
  return absent;
}

/**
 * Set the bits of blocks [first, last] (pages loaded) with one record update per page; calls
 * `onSet` for each block whose bit was clear, in ascending order.
 */
export function setBlocks(
  cache: RecordCache,
  ino: number,
  first: number,
  last: number,
  onSet: (block: number) => void,
): void {
  for (let page = bitmapPageOf(first); page <= bitmapPageOf(last); page++) {
    const key = bitmapKey(ino, page);
    const cached = cache.peek<Uint8Array>(key);
    assert(cached !== undefined, "setBlocks: bitmap page not loaded");
    const from = Math.max(first, page * bitmapPageBlocks);
    const to = Math.min(last, (page + 1) * bitmapPageBlocks - 1);
    const bits = withRoom(cached, (to % bitmapPageBlocks) >> 3);
    let changed = false;
    for (let block = from; block <= to; block++) {
      const bit = block % bitmapPageBlocks;
      const mask = 1 << (bit & 7);
      if (((bits[bit >> 3] ?? 0) & mask) !== 0) continue;
      bits[bit >> 3] = (bits[bit >> 3] ?? 0) | mask;
      changed = true;
      onSet(block);
    }
    if (changed) cache.put(key, bits, encode, Phase.node);
  }
}

/** Whether the bit of `block` is set in the page `bits` (null: an absent page, all clear). */
export function bitIsSet(bits: Uint8Array | null, block: number): boolean {
  if (bits === null) return false;
  const bit = block % bitmapPageBlocks;
  return ((bits[bit >> 3] ?? 0) & (1 << (bit & 7))) !== 0;
}

/** Present blocks of page number `page` whose bits are `bits`, ascending. */
export function presentBlocks(bits: Uint8Array | null, page: number): number[] {
  if (bits === null) return [];
  const blocks: number[] = [];
  for (let i = 0; i < bits.length; i++) {
    const byte = bits[i] ?? 0;
    if (byte === 0) continue;
    for (let b = 0; b < 8; b++)
      if (byte & (1 << b)) blocks.push(page * bitmapPageBlocks + i * 8 + b);
  }
  return blocks;
}

export const decodeBitmapPage = decode;
export const encodeBitmapPage = encode;
