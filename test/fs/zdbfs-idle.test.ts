import { expect, test } from "bun:test";
import { blockKey } from "../../src/fs/zdbfs/keys.ts";
import { blockSizeBytes } from "../../src/fs/zdbfs/limits.ts";
import { b, mount, mountTracker, ok, root, rootCtx } from "./helpers.ts";

const block = blockSizeBytes;
const mounts = mountTracker();

test("idle time writes streamed blocks back, not blocks under small writes", async () => {
  const { fs, data } = await mount({ writebackBytesMax: 64 * block, flushIntervalMs: 3_600_000 });
  mounts.track(fs);
  const created = ok(await fs.create(root, b("f"), 0o644, 2, 0, rootCtx));
  const { ino } = created.entry.attr;
  const fh = created.open.fh;
  // 32 whole blocks, one write each (cached: below the direct-write size), half the bound and
  // past the idle threshold, and one small write.
  const stream = new Uint8Array(block).fill(0x5a);
  for (let index = 0; index < 32; index++) {
    expect(await fs.write(ino, fh, index * block, stream, 0, rootCtx)).toBe(block);
  }
  expect(await fs.write(ino, fh, 40 * block + 10, b("small"), 0, rootCtx)).toBe(5);
  expect(await data.get(blockKey(ino, 0))).toBeNull();
  let steps = 0;
  while ((await fs.idle()) && steps < 100) steps++;
  expect(steps).toBeGreaterThan(0);
  // Written down to the threshold (a quarter of the bound = 16 blocks), oldest first.
  expect((await data.get(blockKey(ino, 0)))?.every((v) => v === 0x5a)).toBe(true);
  expect(fs.core.blocks.dirtyBytes).toBeLessThan(16 * block + block);
  expect(await data.get(blockKey(ino, 40))).toBeNull();
  // Reads still see everything.
  const back = ok(await fs.read(ino, fh, 0, 32 * block, rootCtx));
  expect(back.every((v) => v === 0x5a)).toBe(true);
});

test("a readahead queued by a sequential read runs in idle time", async () => {
  const { fs } = await mount({ readaheadBlocks: 4 });
  mounts.track(fs);
  const created = ok(await fs.create(root, b("g"), 0o644, 2, 0, rootCtx));
  const { ino } = created.entry.attr;
  const fh = created.open.fh;
  expect(await fs.write(ino, fh, 0, new Uint8Array(16 * block).fill(1), 0, rootCtx)).toBe(
    16 * block,
  );
  await fs.syncfs();
  for (let i = 0; i < 16; i++) fs.core.blocks.drop(ino, i); // cold cache, blocks stay stored
  ok(await fs.read(ino, fh, 0, block, rootCtx));
  ok(await fs.read(ino, fh, block, block, rootCtx)); // sequential: queues blocks 2..5
  expect(fs.core.blocks.get(ino, 3)).toBeUndefined();
  expect(await fs.idle()).toBe(true);
  expect(fs.core.blocks.get(ino, 3)).toBeDefined();
});
