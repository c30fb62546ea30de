import { expect, test } from "bun:test";
import { acquireBuffer, releaseBuffer } from "../../src/zdb/buffer-pool.ts";

test("released buffers are reused by size class, once, and foreign ones are ignored", () => {
  const first = acquireBuffer(100_000);
  expect(first.length).toBe(100_000);
  releaseBuffer(first);
  releaseBuffer(first); // a second release must not hand the memory out twice
  const again = acquireBuffer(120_000);
  expect(again.buffer).toBe(first.buffer);
  const other = acquireBuffer(120_000);
  expect(other.buffer).not.toBe(first.buffer);
  releaseBuffer(Buffer.allocUnsafe(131072));
  const fresh = acquireBuffer(70_000);
  expect(fresh.buffer).not.toBe(first.buffer);
  expect(fresh.buffer).not.toBe(other.buffer);
  expect(acquireBuffer(20 * 1024 * 1024).length).toBe(20 * 1024 * 1024);
});
