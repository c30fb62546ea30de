/**
 * Presence-bitmap pages are only as long as their last set bit needs, in memory and on disk;
 * bits past a page's end read as clear, and growing a page keeps every bit.
 */
import { expect, test } from "bun:test";
import {
  bitIsSet,
  decodeBitmapPage,
  encodeBitmapPage,
  hasBlock,
  loadBitmapPage,
  presentBlocks,
  setBlock,
  setBlocks,
} from "../../src/fs/zdbfs/bitmap.ts";
import { bitmapKey } from "../../src/fs/zdbfs/keys.ts";
import { bitmapPageBlocks } from "../../src/fs/zdbfs/limits.ts";
import { RecordCache } from "../../src/fs/zdbfs/record-cache.ts";
import { MemoryNamespace } from "./memory-namespace.ts";

test("a page grows with its last set bit and keeps every bit; the stored form is trimmed", async () => {
  const meta = new MemoryNamespace("meta");
  const cache = new RecordCache(meta, { recordsMax: 100, evictAgeMs: 0 });
  await loadBitmapPage(cache, 7, 0);
  expect(setBlock(cache, 7, 3, true)).toBe(true);
  const small = cache.peek<Uint8Array>(bitmapKey(7, 0)) as Uint8Array;
  expect(small.length).toBeLessThanOrEqual(16); // a small file: a few bytes, not 4 KiB
  expect(hasBlock(cache, 7, 3)).toBe(true);
  expect(hasBlock(cache, 7, 5000)).toBe(false); // past the page's end: clear
  const set: number[] = [];
  setBlocks(cache, 7, 1000, 1003, (block) => set.push(block));
  expect(set).toEqual([1000, 1001, 1002, 1003]);
  expect(setBlock(cache, 7, bitmapPageBlocks - 1, true)).toBe(true); // the page's last block
  const full = cache.peek<Uint8Array>(bitmapKey(7, 0)) as Uint8Array;
  expect(full.length).toBe(bitmapPageBlocks / 8);
  expect(presentBlocks(full, 0)).toEqual([3, 1000, 1001, 1002, 1003, bitmapPageBlocks - 1]);
  // Clearing a bit past a page's end changes nothing.
  await loadBitmapPage(cache, 8, 0);
  setBlock(cache, 8, 1, true);
  expect(setBlock(cache, 8, 100, false)).toBe(false);
  expect((cache.peek<Uint8Array>(bitmapKey(8, 0)) as Uint8Array).length).toBeLessThanOrEqual(16);
  // Stored trimmed, read back equal.
  const stored = encodeBitmapPage(small.slice());
  expect(stored.length).toBe(1);
  const back = decodeBitmapPage(stored);
  expect(bitIsSet(back, 3)).toBe(true);
  expect(bitIsSet(back, 4)).toBe(false);
  expect(bitIsSet(back, 20_000)).toBe(false);
});
