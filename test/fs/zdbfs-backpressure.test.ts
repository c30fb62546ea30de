/**
 * While the store refuses every write, a mount keeps acknowledging changes only up to its
 * dirty bounds, then answers EIO before making a change: nothing is acknowledged without
 * limit that cannot be stored. Once the store is back, every acknowledged change is stored.
 * An inode whose deletion failed half-way is left to the next mount's orphan sweep.
 */
import { expect, test } from "bun:test";
import { Errno } from "../../src/fs/operations.ts";
import { bitmapKey, inodeKey } from "../../src/fs/zdbfs/keys.ts";
import { ZdbFs } from "../../src/fs/zdbfs/zdbfs.ts";
import { b, mount, mountTracker, ok, root, rootCtx } from "./helpers.ts";
import { MemoryNamespace } from "./memory-namespace.ts";

const mounts = mountTracker();

/** Reads keep working; `failWrites` makes every set and del fail (a full or read-only store). */
class WriteFailingNamespace extends MemoryNamespace {
  failWrites = false;
  override async set(key: Uint8Array, value: Uint8Array): Promise<Uint8Array | null> {
    if (this.failWrites) throw new Error("No space left on device");
    return super.set(key, value);
  }
  override async del(key: Uint8Array): Promise<boolean> {
    if (this.failWrites) throw new Error("No space left on device");
    return super.del(key);
  }
}

test("metadata changes are refused with EIO past the dirty bound while the store fails", async () => {
  const meta = new WriteFailingNamespace("meta");
  const data = new WriteFailingNamespace("data");
  const { fs } = await mount({ flushIntervalMs: 3_600_000, metaDirtyMax: 10 }, meta, data);
  mounts.track(fs);
  meta.failWrites = true;
  data.failWrites = true;
  const made: string[] = [];
  let refused = 0;
  for (let i = 0; i < 200; i++) {
    const result = await fs.mkdir(root, b(`d${i}`), 0o755, 0, rootCtx);
    if (result === Errno.EIO) refused++;
    else if (typeof result !== "number") made.push(`d${i}`);
  }
  expect(refused).toBeGreaterThan(150);
  expect(made.length).toBeLessThanOrEqual(10);
  expect(fs.core.records.dirtyCount).toBeLessThan(40);
  meta.failWrites = false;
  data.failWrites = false;
  ok(await fs.mkdir(root, b("after"), 0o755, 0, rootCtx));
  expect(await fs.syncfs()).toBe(0);
  await fs.destroy();
  mounts.forget();
  const again = mounts.track(new ZdbFs({ meta, data, flushIntervalMs: 3_600_000 }));
  await again.init();
  for (const name of [...made, "after"]) ok(await again.lookup(root, b(name), rootCtx));
});

test("writes are refused with EIO past the write-back bound while the store fails", async () => {
  const bound = 256 * 1024;
  const data = new WriteFailingNamespace("data");
  const options = { flushIntervalMs: 3_600_000, writebackBytesMax: bound };
  const { fs } = await mount(options, undefined, data);
  mounts.track(fs);
  const created = ok(await fs.create(root, b("f"), 0o644, 2, 0, rootCtx));
  const { ino } = created.entry.attr;
  const { fh } = created.open;
  expect(await fs.fsync(ino, fh, false, rootCtx)).toBe(0);
  data.failWrites = true;
  const written: number[] = [];
  for (let i = 0; i < 100; i++) {
    const result = await fs.write(
      ino,
      fh,
      i * 32 * 1024,
      new Uint8Array(4096).fill(i + 1),
      0,
      rootCtx,
    );
    if (result > 0) written.push(i);
    else expect(result).toBe(-Errno.EIO);
  }
  expect(written.length).toBeLessThan(20);
  expect(fs.core.blocks.dirtyBytes).toBeLessThanOrEqual(bound + 32 * 1024);
  data.failWrites = false;
  expect(await fs.fsync(ino, fh, false, rootCtx)).toBe(0);
  for (const i of written) {
    const back = ok(await fs.read(ino, fh, i * 32 * 1024, 4096, rootCtx));
    expect(back.every((v) => v === i + 1)).toBe(true);
  }
});

/** `failGets` names keys whose reads fail (one record unreadable). */
class ReadFailingNamespace extends MemoryNamespace {
  failGets: (key: Uint8Array) => boolean = () => false;
  override async get(key: Uint8Array): Promise<Uint8Array | null> {
    if (this.failGets(key)) throw new Error("Input/output error");
    return super.get(key);
  }
}

/**
 * A mount with file "f" (stored blocks) whose bitmap page is no longer cached (clean records
 * are evicted at once) and from now on cannot be read: an unlink must read it, and fails.
 */
async function fileWithUnreadableBitmap() {
  const meta = new ReadFailingNamespace("meta");
  const data = new MemoryNamespace("data");
  const options = { flushIntervalMs: 3_600_000, metaRecordsMax: 0, metaEvictAgeMs: 0 };
  const { fs } = await mount(options, meta, data);
  mounts.track(fs);
  const created = ok(await fs.create(root, b("f"), 0o644, 2, 0, rootCtx));
  const { ino } = created.entry.attr;
  await fs.write(ino, created.open.fh, 0, new Uint8Array(100_000).fill(5), 0, rootCtx);
  await fs.release(ino, created.open.fh, 0, rootCtx);
  expect(await fs.syncfs()).toBe(0);
  await Bun.sleep(5);
  fs.core.records.evict();
  expect(fs.core.records.peek(bitmapKey(ino, 0))).toBeUndefined();
  expect((await data.scan()).entries.length).toBeGreaterThan(0);
  const bitmap = Buffer.from(bitmapKey(ino, 0));
  meta.failGets = (key) => Buffer.from(key).equals(bitmap);
  return { fs, meta, data, ino };
}

test("an unlinked inode whose blocks cannot be listed is swept by the next mount", async () => {
  const { fs, meta, data, ino } = await fileWithUnreadableBitmap();
  expect(await fs.unlink(root, b("f"), rootCtx)).toBe(Errno.EIO);
  expect(fs.core.orphans.has(ino)).toBe(true);
  meta.failGets = () => false;
  expect(await fs.syncfs()).toBe(0);
  await fs.destroy();
  mounts.forget();
  const again = mounts.track(new ZdbFs({ meta, data, flushIntervalMs: 3_600_000 }));
  await again.init();
  expect(await meta.get(inodeKey(ino))).toBeNull();
  expect((await data.scan()).entries.length).toBe(0);
  expect(await again.lookup(root, b("f"), rootCtx)).toBe(Errno.ENOENT);
});

test("the first writes of a new file need nothing from the store (it may be down)", async () => {
  const meta = new ReadFailingNamespace("meta");
  const data = new WriteFailingNamespace("data");
  const { fs } = await mount({ flushIntervalMs: 3_600_000 }, meta, data);
  mounts.track(fs);
  const created = ok(await fs.create(root, b("new"), 0o644, 2, 0, rootCtx));
  const { ino } = created.entry.attr;
  const { fh } = created.open;
  meta.failGets = () => true;
  data.failWrites = true;
  const bytes = new Uint8Array(100_000).map((_v, i) => i % 253);
  expect(await fs.write(ino, fh, 0, bytes, 0, rootCtx)).toBe(bytes.length);
  expect(await fs.fsync(ino, fh, false, rootCtx)).toBe(Errno.EIO);
  meta.failGets = () => false;
  data.failWrites = false;
  expect(await fs.fsync(ino, fh, false, rootCtx)).toBe(0);
  const back = ok(await fs.read(ino, fh, 0, bytes.length, rootCtx));
  expect(Buffer.from(back).equals(Buffer.from(bytes))).toBe(true);
});

test("an orphan that cannot be deleted stays listed and never stops a mount", async () => {
  // Its bitmap stays unreadable (a damaged record): every delete attempt fails.
  const { fs, meta, data, ino } = await fileWithUnreadableBitmap();
  expect(await fs.unlink(root, b("f"), rootCtx)).toBe(Errno.EIO);
  expect(await fs.syncfs()).toBe(0);
  await fs.destroy();
  mounts.forget();
  for (let round = 0; round < 2; round++) {
    const again = new ZdbFs({ meta, data, flushIntervalMs: 3_600_000 });
    await again.init(); // the sweep fails on this orphan, the mount goes on
    expect(again.core.orphans.has(ino)).toBe(true);
    ok(await again.mkdir(root, b(`d${round}`), 0o755, 0, rootCtx));
    await again.destroy();
  }
});
