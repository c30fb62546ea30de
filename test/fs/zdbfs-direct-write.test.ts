import { expect, test } from "bun:test";
import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import type { RequestContext } from "../../src/fs/operations.ts";
import { blockKey } from "../../src/fs/zdbfs/keys.ts";
import { blockSizeBytes, directWriteBytesMin } from "../../src/fs/zdbfs/limits.ts";
import { b, engineTracker, mount, mountTracker, ok, root, rootCtx } from "./helpers.ts";
import { MemoryNamespace } from "./memory-namespace.ts";

const block = blockSizeBytes;
const mounts = mountTracker();
const engines = engineTracker();

/** Bytes in every file under `path`. */
function bytesUnder(path: string): number {
  let total = 0;
  for (const entry of readdirSync(path, { withFileTypes: true })) {
    const child = join(path, entry.name);
    total += entry.isDirectory() ? bytesUnder(child) : statSync(child).size;
  }
  return total;
}

/** Stages like the embedded engine; `refuse` (or `failing`) throws at once, `failWrite` rejects later. */
class StagingNamespace extends MemoryNamespace {
  refuse = false;
  failWrite = false;
  stage(key: Uint8Array, value: Uint8Array): Promise<void> {
    if (this.refuse) throw new Error("namespace full");
    if (this.failing) throw new Error("namespace unavailable");
    // A write that fails leaves nothing stored, as in the engine.
    return this.failWrite ? Promise.reject(new Error("EIO")) : this.set(key, value).then();
  }
}

/** A context that records when (and with what) the write was accepted. */
function acceptingCtx(onAccept: (count: number) => void = () => {}) {
  const accepted: number[] = [];
  const ctx: RequestContext = {
    ...rootCtx,
    acceptWrite: (count) => {
      accepted.push(count);
      onAccept(count);
    },
  };
  return { ctx, accepted };
}

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

test("over the engine, a stream is accepted once staged: before its file write, readable at once", async () => {
  const { dir, data } = await engines.open("qss-accept-");
  const { fs } = await mount({ flushIntervalMs: 3_600_000 }, undefined, data as never);
  mounts.track(fs);
  const { ino, fh } = await openFile(fs, "early");
  await fs.fsync(ino, fh, false, rootCtx);
  const stream = new Uint8Array(directWriteBytesMin).map((_v, i) => 1 + (i % 253));
  let fileBytesAtAccept = -1;
  let stagedAtAccept = false;
  let readAtAccept: Promise<unknown> = Promise.resolve();
  const { ctx, accepted } = acceptingCtx(() => {
    fileBytesAtAccept = bytesUnder(join(dir, "data"));
    const blocks = Array.from({ length: stream.length / block }, (_v, i) => blockKey(ino, i));
    stagedAtAccept = blocks.every((key) => data.findNow(key) >= 0);
    readAtAccept = fs.read(ino, fh, 0, stream.length, rootCtx);
  });
  const before = bytesUnder(join(dir, "data"));
  expect(await fs.write(ino, fh, 0, stream, 0, ctx)).toBe(stream.length);
  expect(accepted).toEqual([stream.length]);
  expect(fileBytesAtAccept).toBe(before); // accepted before the engine wrote anything
  expect(stagedAtAccept).toBe(true); // ... and after every block was staged
  expect(bytesUnder(join(dir, "data"))).toBeGreaterThan(before + stream.length);
  expect(fs.core.blocks.dirtyBytes).toBe(0);
  const seen = ok((await readAtAccept) as Uint8Array | number);
  expect(Buffer.from(seen).equals(Buffer.from(stream))).toBe(true);
});

test("a small write, or a store that cannot stage, is not accepted early", async () => {
  const { fs } = await mount({ flushIntervalMs: 3_600_000 });
  mounts.track(fs);
  const { ino, fh } = await openFile(fs, "late");
  const { ctx, accepted } = acceptingCtx();
  expect(await fs.write(ino, fh, 0, new Uint8Array(directWriteBytesMin), 0, ctx)).toBe(
    directWriteBytesMin,
  );
  const staging = await mount(
    { flushIntervalMs: 3_600_000 },
    undefined,
    new StagingNamespace("data"),
  );
  mounts.track(staging.fs);
  const small = await openFile(staging.fs, "small");
  const smallWrite = new Uint8Array(directWriteBytesMin - 1);
  expect(await staging.fs.write(small.ino, small.fh, 0, smallWrite, 0, ctx)).toBe(
    smallWrite.length,
  );
  expect(accepted).toEqual([]);
});

test("blocks the store refuses to stage are cached, and that write is not answered early", async () => {
  const data = new StagingNamespace("data");
  const { fs } = await mount({ flushIntervalMs: 3_600_000 }, undefined, data);
  mounts.track(fs);
  const { ino, fh } = await openFile(fs, "refused");
  const stream = new Uint8Array(directWriteBytesMin).fill(9);
  const { ctx, accepted } = acceptingCtx();
  data.refuse = true;
  expect(await fs.write(ino, fh, 0, stream, 0, ctx)).toBe(stream.length);
  stream.fill(0); // the request buffer is reused once the write settled
  expect(accepted).toEqual([]);
  expect(fs.core.blocks.dirtyBytes).toBe(directWriteBytesMin);
  expect(ok(await fs.read(ino, fh, 0, block, rootCtx)).every((v) => v === 9)).toBe(true);
  data.refuse = false;
  expect(await fs.fsync(ino, fh, false, rootCtx)).toBe(0);
  expect((await data.get(blockKey(ino, 1)))?.every((v) => v === 9)).toBe(true);
});

test("a staged block whose write fails afterwards stays dirty in the cache until stored", async () => {
  const data = new StagingNamespace("data");
  const { fs } = await mount({ flushIntervalMs: 3_600_000 }, undefined, data);
  mounts.track(fs);
  const { ino, fh } = await openFile(fs, "failed");
  const stream = new Uint8Array(directWriteBytesMin).fill(6);
  const { ctx, accepted } = acceptingCtx();
  data.failWrite = true;
  expect(await fs.write(ino, fh, 0, stream, 0, ctx)).toBe(stream.length);
  stream.fill(0);
  expect(accepted).toEqual([directWriteBytesMin]);
  expect(fs.core.blocks.dirtyBytes).toBe(directWriteBytesMin);
  data.failWrite = false;
  expect(await fs.fsync(ino, fh, false, rootCtx)).toBe(0);
  expect(fs.core.blocks.dirtyBytes).toBe(0);
  expect((await data.get(blockKey(ino, 2)))?.every((v) => v === 6)).toBe(true);
});

test("a staged block whose engine write fails is kept in the cache and stored by the next fsync", async () => {
  const { data } = await engines.open("qss-accept-fail-");
  data.leaveCachingToOwner();
  const { fs } = await mount({ flushIntervalMs: 3_600_000 }, undefined, data as never);
  mounts.track(fs);
  const { ino, fh } = await openFile(fs, "lost");
  await fs.fsync(ino, fh, false, rootCtx);
  const stream = new Uint8Array(directWriteBytesMin).fill(8);
  const dataFd = data.store.dataFd;
  const { ctx, accepted } = acceptingCtx(() => {
    // In the window between the answer and the engine's flush, another request's flush fails.
    data.store.dataFd = 1_000_000;
    expect(() => data.getNow(blockKey(ino, 0))).toThrow();
    data.store.dataFd = dataFd;
  });
  expect(await fs.write(ino, fh, 0, stream, 0, ctx)).toBe(stream.length);
  stream.fill(0);
  expect(accepted).toEqual([directWriteBytesMin]);
  expect(fs.core.blocks.dirtyBytes).toBe(directWriteBytesMin);
  expect(ok(await fs.read(ino, fh, 0, block, rootCtx)).every((v) => v === 8)).toBe(true);
  // The engine replays its files and the cached blocks are written again: stored, not lost.
  expect(await fs.fsync(ino, fh, false, rootCtx)).toBe(0);
  expect(fs.core.blocks.dirtyBytes).toBe(0);
  for (let i = 0; i < stream.length / block; i++) {
    expect((await data.get(blockKey(ino, i)))?.every((v) => v === 8)).toBe(true);
  }
});

test("a store that refuses gets no early answer: the writer meets the write-back bound's error", async () => {
  const data = new StagingNamespace("data");
  const options = { flushIntervalMs: 3_600_000, writebackBytesMax: 2 * directWriteBytesMin };
  const { fs } = await mount(options, undefined, data);
  mounts.track(fs);
  const { ino, fh } = await openFile(fs, "full");
  const { ctx, accepted } = acceptingCtx();
  data.failing = true;
  const results: number[] = [];
  for (let i = 0; i < 4; i++) {
    const chunk = new Uint8Array(directWriteBytesMin).fill(i + 1);
    results.push(await fs.write(ino, fh, i * chunk.length, chunk, 0, ctx));
  }
  expect(accepted).toEqual([]);
  expect(results.some((r) => r < 0)).toBe(true); // EIO once the write-back is over its bound
  data.failing = false;
  expect(await fs.fsync(ino, fh, false, rootCtx)).toBe(0);
  const back = ok(await fs.read(ino, fh, 0, directWriteBytesMin, rootCtx));
  expect(back.every((v) => v === 1)).toBe(true);
});
