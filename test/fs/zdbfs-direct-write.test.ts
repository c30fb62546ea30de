import { expect, test } from "bun:test";
import { blockKey } from "../../src/fs/zdbfs/keys.ts";
import { blockSizeBytes, directWriteBytesMin } from "../../src/fs/zdbfs/limits.ts";
import { b, mount, mountTracker, ok, root, rootCtx } from "./helpers.ts";

const block = blockSizeBytes;
const mounts = mountTracker();

async function openFile(fs: Awaited<ReturnType<typeof mount>>["fs"], name: string) {
  const created = ok(await fs.create(root, b(name), 0o644, 2, 0, rootCtx));
  return { ino: created.entry.attr.ino, fh: created.open.fh };
}

test("a large write stores its whole blocks at once, the partial ends stay cached", async () => {
  const { fs, data } = await mount({ flushIntervalMs: 3_600_000 });
  mounts.track(fs);
  const { ino, fh } = await openFile(fs, "f");
  const length = directWriteBytesMin + 2 * block; // starts and ends mid-block
  const bytes = new Uint8Array(length).map((_v, i) => i % 251);
  expect(await fs.write(ino, fh, 100, bytes, 0, rootCtx)).toBe(length);
  bytes.fill(0); // the caller reuses its buffer: what was stored must not change
  const whole = Math.floor((100 + length) / block) - 1; // blocks 1..whole are whole
  for (let index = 1; index <= whole; index++) {
    const stored = await data.get(blockKey(ino, index));
    expect(stored?.[0]).toBe((index * block - 100) % 251);
  }
  expect(await data.get(blockKey(ino, 0))).toBeNull(); // partial: in the write-back cache
  expect(fs.core.blocks.dirtyBytes).toBe(2 * block);
  const back = ok(await fs.read(ino, fh, 0, 100 + length, rootCtx));
  for (let i = 0; i < length; i++) {
    if (back[100 + i] !== i % 251) throw new Error(`byte ${i} differs after the write`);
  }
});

test("a direct write replaces a dirty cached block, and a later read sees the new bytes", async () => {
  const { fs } = await mount({ flushIntervalMs: 3_600_000 });
  mounts.track(fs);
  const { ino, fh } = await openFile(fs, "g");
  expect(await fs.write(ino, fh, 0, new Uint8Array(block).fill(1), 0, rootCtx)).toBe(block);
  const stream = new Uint8Array(directWriteBytesMin).fill(2);
  expect(await fs.write(ino, fh, 0, stream, 0, rootCtx)).toBe(stream.length);
  expect(fs.core.blocks.dirtyBytes).toBe(0);
  await fs.core.commit(); // an older dirty copy, had it survived, would be written now
  const back = ok(await fs.read(ino, fh, 0, block, rootCtx));
  expect(back.every((v) => v === 2)).toBe(true);
});

test("blocks the store refuses stay dirty in the cache and reach it once it is back", async () => {
  const { fs, data } = await mount({ flushIntervalMs: 3_600_000 });
  mounts.track(fs);
  const { ino, fh } = await openFile(fs, "h");
  const stream = new Uint8Array(directWriteBytesMin).fill(7);
  data.failing = true;
  expect(await fs.write(ino, fh, 0, stream, 0, rootCtx)).toBe(stream.length);
  stream.fill(0);
  expect(fs.core.blocks.dirtyBytes).toBe(directWriteBytesMin);
  expect(await fs.fsync(ino, fh, false, rootCtx)).toBe(5); // EIO while the store is down
  data.failing = false;
  expect(await fs.fsync(ino, fh, false, rootCtx)).toBe(0);
  expect((await data.get(blockKey(ino, 0)))?.every((v) => v === 7)).toBe(true);
});

test("a block whose delete a commit is running is written through the cache", async () => {
  const { fs, data } = await mount({ flushIntervalMs: 3_600_000 });
  mounts.track(fs);
  const { ino, fh } = await openFile(fs, "k");
  const stream = new Uint8Array(directWriteBytesMin).fill(3);
  expect(await fs.write(ino, fh, 0, stream, 0, rootCtx)).toBe(stream.length);
  await fs.core.commit();
  // Truncate schedules deletes; start the commit that runs them and write meanwhile.
  ok(await fs.setattr(ino, { size: 0 }, rootCtx));
  const committing = fs.core.commit();
  for (let turn = 0; turn < 1000 && fs.core.deletingBlocks.size === 0; turn++) await null;
  expect(fs.core.deletingBlocks.size).toBeGreaterThan(0);
  const again = new Uint8Array(directWriteBytesMin).fill(4);
  expect(await fs.write(ino, fh, 0, again, 0, rootCtx)).toBe(again.length);
  await committing;
  await fs.core.commit();
  for (let index = 0; index < directWriteBytesMin / block; index++) {
    expect((await data.get(blockKey(ino, index)))?.every((v) => v === 4)).toBe(true);
  }
});
