/** The sparse chunk store of the memory filesystem against a naive byte-array reference. */
import { describe, expect, test } from "bun:test";
import { chunkBytes, FileData } from "../../src/fs/memory/file-data.ts";

function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state * 1664525 + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

describe("FileData", () => {
  test("random writes, reads and truncates match a flat reference", () => {
    const random = seeded(42);
    const span = 3 * chunkBytes + 777;
    const reference = new Uint8Array(span);
    const data = new FileData();
    let size = 0;
    for (let step = 0; step < 300; step++) {
      const offset = Math.floor(random() * (span - 1));
      const length = Math.min(span - offset, 1 + Math.floor(random() * 200_000));
      if (random() < 0.1) {
        const cut = Math.floor(random() * span);
        data.truncate(cut);
        if (cut < size) reference.fill(0, cut);
        size = cut;
        continue;
      }
      const bytes = new Uint8Array(length).map(() => Math.floor(random() * 256));
      data.write(offset, bytes);
      reference.set(bytes, offset);
      size = Math.max(size, offset + length);
      const readAt = Math.floor(random() * span);
      const readLength = Math.floor(random() * 300_000);
      const got = data.read(readAt, readLength, size);
      const want = reference.subarray(
        readAt,
        Math.min(readAt + readLength, Math.max(size, readAt)),
      );
      expect(Buffer.compare(got, want)).toBe(0);
    }
  });

  test("holes are not allocated, even far beyond 4 GiB", () => {
    const data = new FileData();
    data.write(10 * 2 ** 30, new Uint8Array([1, 2, 3]));
    expect(data.allocatedBytes()).toBeLessThanOrEqual(chunkBytes);
    expect(data.chunks.size).toBe(1);
    const size = 10 * 2 ** 30 + 3;
    expect([...data.read(10 * 2 ** 30 - 2, 5, size)]).toEqual([0, 0, 1, 2, 3]);
    expect(data.nextData(0, size)).toBe(10 * 2 ** 30);
    expect(data.nextHole(0, size)).toBe(0);
    expect(data.nextHole(10 * 2 ** 30, size)).toBe(size);
    expect(data.nextData(size, size)).toBe(-6);
  });

  test("a read inside one chunk is a view (no copy)", () => {
    const data = new FileData();
    data.write(0, new Uint8Array(chunkBytes).fill(5));
    const view = data.read(100, 1000, chunkBytes);
    expect(view.buffer).toBe(data.chunks.get(0)?.buffer as ArrayBuffer);
  });

  test("zeroRange punches whole chunks out and zeros partial ones", () => {
    const data = new FileData();
    data.write(0, new Uint8Array(3 * chunkBytes).fill(9));
    data.zeroRange(100, 2 * chunkBytes + 50);
    expect(data.chunks.has(1)).toBe(false);
    const all = data.read(0, 3 * chunkBytes, 3 * chunkBytes);
    expect(all[99]).toBe(9);
    expect(all[100]).toBe(0);
    expect(all[2 * chunkBytes + 49]).toBe(0);
    expect(all[2 * chunkBytes + 50]).toBe(9);
    expect(data.nextHole(0, 3 * chunkBytes)).toBe(chunkBytes);
    expect(data.nextData(chunkBytes, 3 * chunkBytes)).toBe(2 * chunkBytes);
  });
});
