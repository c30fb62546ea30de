/**
 * Writes a flush has in flight against what happens meanwhile: a failed flush settles every
 * write it started before it reports, and a direct write never races a flush's older copy of
 * the same block (with a store that answers late, as a remote 0-db does).
 */
import { expect, test } from "bun:test";
import { eachLimited } from "../../src/fs/zdbfs/core.ts";
import { blockKey } from "../../src/fs/zdbfs/keys.ts";
import { blockSizeBytes, directWriteBytesMin } from "../../src/fs/zdbfs/limits.ts";
import { b, mount, mountTracker, ok, root, rootCtx } from "./helpers.ts";
import { MemoryNamespace } from "./memory-namespace.ts";

const block = blockSizeBytes;
const mounts = mountTracker();

/** Applies each write when called and answers `delayMs` later, like a remote store. */
class LateNamespace extends MemoryNamespace {
  delayMs = 0;
  override async set(key: Uint8Array, value: Uint8Array): Promise<Uint8Array | null> {
    const stored = super.set(key, value);
    await Bun.sleep(this.delayMs);
    return stored;
  }
}

test("a failing task stops new ones, and the error comes once the others settled", async () => {
  let inFlight = 0;
  let started = 0;
  const settledBeforeError: number[] = [];
  const items = Array.from({ length: 40 }, (_v, i) => i);
  const run = eachLimited(items, 8, async (i) => {
    started++;
    inFlight++;
    try {
      await Bun.sleep(i === 3 ? 1 : 10);
      if (i === 3) throw new Error("refused");
    } finally {
      inFlight--;
    }
  });
  await run.catch((error) => settledBeforeError.push(inFlight, String(error).length));
  expect(settledBeforeError[0]).toBe(0); // nothing still running when the error came
  expect(started).toBeLessThan(40); // no new task after the failure
  expect(settledBeforeError.length).toBe(2);
});

test("truncate during a flush, then a large write: the flush's older copy never wins", async () => {
  const data = new LateNamespace("data");
  const { fs } = await mount({ flushIntervalMs: 3_600_000 }, undefined, data);
  mounts.track(fs);
  const created = ok(await fs.create(root, b("f"), 0o644, 2, 0, rootCtx));
  const { ino } = created.entry.attr;
  const { fh } = created.open;
  const blocks = 40;
  for (let i = 0; i < blocks; i++) {
    expect(await fs.write(ino, fh, i * block, new Uint8Array(block).fill(1), 0, rootCtx)).toBe(
      block,
    );
  }
  data.delayMs = 5;
  const flushing = fs.core.commit(); // writes the 40 cached blocks, a few at a time
  for (let turn = 0; turn < 1000 && fs.core.writingBlocks.size === 0; turn++) await null;
  expect(fs.core.writingBlocks.size).toBe(blocks);
  ok(await fs.setattr(ino, { size: 0 }, rootCtx));
  const stream = new Uint8Array(blocks * block).fill(2);
  expect(stream.length).toBeGreaterThan(directWriteBytesMin);
  expect(await fs.write(ino, fh, 0, stream, 0, rootCtx)).toBe(stream.length);
  await flushing;
  expect(await fs.fsync(ino, fh, false, rootCtx)).toBe(0);
  data.delayMs = 0;
  const back = ok(await fs.read(ino, fh, 0, stream.length, rootCtx));
  const stale = Array.from({ length: blocks }, (_v, i) => back[i * block]).filter((v) => v !== 2);
  expect(stale).toEqual([]);
  // And in the store itself, not only in a cache.
  for (let i = 0; i < blocks; i++) expect((await data.get(blockKey(ino, i)))?.[0]).toBe(2);
});
