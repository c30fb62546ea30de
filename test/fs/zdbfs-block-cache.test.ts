import { describe, expect, test } from "bun:test";
import { BlockCache } from "../../src/fs/zdbfs/block-cache.ts";
import { blockSizeBytes } from "../../src/fs/zdbfs/limits.ts";

const whole = (fill: number) => new Uint8Array(blockSizeBytes).fill(fill);

describe("block cache buffer recycling", () => {
  test("a recycled buffer given to a partial block is zero past its bytes", () => {
    const cache = new BlockCache(blockSizeBytes);
    const first = cache.dirtyWhole(1, 0, whole(0xaa));
    const writes = cache.snapshotDirty();
    cache.markWritten(writes);
    // A second clean block pushes the first out of the one-block read cache.
    cache.insertClean(1, 1, new Uint8Array(blockSizeBytes), cache.beginFetch());
    expect(cache.get(1, 0)).toBeUndefined();
    // Over half a block: the buffer has a whole block of room, so it comes from the spares.
    const base = new Uint8Array(20_000).fill(7);
    const partial = cache.dirty(2, 0, base, 20_000);
    expect(partial.data).toBe(first.data); // the evicted buffer came back
    expect(partial.data.subarray(0, 20_000).every((v) => v === 7)).toBe(true);
    expect(partial.data.subarray(20_000).every((v) => v === 0)).toBe(true);
  });

  test("a buffer being written by a flush is never reused or overwritten", () => {
    const cache = new BlockCache(0);
    const block = cache.dirtyWhole(1, 0, whole(1));
    const writes = cache.snapshotDirty();
    const inFlight = writes[0]?.bytes as Uint8Array;
    cache.dirtyWhole(1, 0, whole(2)); // rewritten while the flush is in flight
    expect(block.data).not.toBe(inFlight);
    expect(inFlight.every((v) => v === 1)).toBe(true);
    cache.drop(1, 0);
    const other = cache.dirtyWhole(3, 0, whole(3));
    expect(other.data).not.toBe(inFlight);
    expect(inFlight.every((v) => v === 1)).toBe(true);
  });

  test("whole-block writes copy the caller's bytes (the request buffer is reused)", () => {
    const cache = new BlockCache(blockSizeBytes);
    const source = whole(5);
    const block = cache.dirtyWhole(1, 0, source);
    source.fill(9);
    expect(block.data.every((v) => v === 5)).toBe(true);
    cache.dirtyWhole(1, 0, source); // unfrozen own buffer: overwritten in place
    expect(block.data.every((v) => v === 9)).toBe(true);
  });
});

describe("block cache and direct writes", () => {
  test("a fetch that raced a direct write of its block does not cache the older bytes", () => {
    const cache = new BlockCache(4 * blockSizeBytes);
    const ticket = cache.beginFetch();
    cache.forgetForDirectWrite(1, 0); // the store now holds newer bytes than the fetch read
    const block = cache.insertClean(1, 0, whole(1), ticket);
    expect(block.data[0]).toBe(1); // the racing reader still gets what it read
    expect(cache.get(1, 0)).toBeUndefined();
    // A fetch begun after the write caches normally.
    cache.insertClean(1, 0, whole(2), cache.beginFetch());
    expect(cache.get(1, 0)?.data[0]).toBe(2);
  });

  test("a direct write of another block leaves a running fetch cacheable", () => {
    const cache = new BlockCache(4 * blockSizeBytes);
    const ticket = cache.beginFetch();
    cache.forgetForDirectWrite(1, 7);
    cache.insertClean(1, 0, whole(3), ticket);
    expect(cache.get(1, 0)?.data[0]).toBe(3);
  });

  test("a direct write drops the cached copy, dirty or clean", () => {
    const cache = new BlockCache(4 * blockSizeBytes);
    cache.dirtyWhole(1, 0, whole(4));
    cache.forgetForDirectWrite(1, 0);
    expect(cache.get(1, 0)).toBeUndefined();
    expect(cache.dirtyBytes).toBe(0);
    expect(cache.snapshotDirty()).toHaveLength(0);
  });

  test("a block being flushed reports frozen until written", () => {
    const cache = new BlockCache(4 * blockSizeBytes);
    cache.dirtyWhole(1, 0, whole(5));
    expect(cache.isFrozen(1, 0)).toBe(false);
    const writes = cache.snapshotDirty();
    expect(cache.isFrozen(1, 0)).toBe(true);
    cache.markWritten(writes);
    expect(cache.isFrozen(1, 0)).toBe(false);
  });
});

test("a block fetched into a recycled buffer keeps its stored length and zeros past it", () => {
  const cache = new BlockCache(4 * blockSizeBytes);
  const buffer = cache.takeBuffer();
  buffer.fill(0xee); // a recycled buffer holds old bytes
  buffer.fill(1, 0, 100);
  const block = cache.insertFetched(1, 0, buffer, 100, cache.beginFetch());
  expect(block.length).toBe(100);
  expect(block.owned).toBe(true);
  expect(block.data.subarray(100).every((v) => v === 0)).toBe(true);
  // Modified later, only its bytes (not the whole buffer) are written back.
  const dirty = cache.dirty(1, 0, null, 101);
  dirty.data[100] = 2;
  dirty.length = 101;
  expect(cache.snapshotDirty()[0]?.bytes.length).toBe(101);
});
