import { afterEach, describe, expect, test } from "bun:test";
import { spawnSync } from "node:child_process";
import { hostname } from "node:os";
import { isQssError } from "../../src/base/errors.ts";
import { lockKey, superblockKey } from "../../src/fs/zdbfs/keys.ts";
import { blockSizeBytes } from "../../src/fs/zdbfs/limits.ts";
import { ZdbFs } from "../../src/fs/zdbfs/zdbfs.ts";
import { b, Errno, lookupIno, mount, ok, readAll, root, rootCtx, text } from "./helpers.ts";
import { MemoryNamespace } from "./memory-namespace.ts";

const block = blockSizeBytes;
let mounted: ZdbFs[] = [];
afterEach(async () => {
  for (const fs of mounted) await fs.destroy().catch(() => {});
  mounted = [];
});
async function track(p: Promise<{ fs: ZdbFs; meta: MemoryNamespace; data: MemoryNamespace }>) {
  const m = await p;
  mounted.push(m.fs);
  return m;
}
/** The namespaces as a crash right now would leave them (every write so far, nothing after). */
function crashImage(meta: MemoryNamespace, data: MemoryNamespace) {
  return {
    meta: MemoryNamespace.replay("meta", meta.log, meta.log.length),
    data: MemoryNamespace.replay("data", data.log, data.log.length),
  };
}

describe("durability", () => {
  test("after fsync the file and its name survive a crash; before it they are cached", async () => {
    const { fs, meta, data } = await track(mount());
    const created = ok(await fs.create(root, b("f"), 0o644, 2, 0, rootCtx));
    const ino = created.entry.attr.ino;
    await fs.write(ino, created.open.fh, 0, b("durable"), 0, rootCtx);
    const before = crashImage(meta, data);
    const lost = await track(mount({ lockStaleMs: -1 }, before.meta, before.data));
    expect(await lookupIno(lost.fs, root, "f")).toBe(-Errno.ENOENT);
    const syncsBefore = meta.syncCount + data.syncCount;
    expect(await fs.fsync(ino, created.open.fh, false, rootCtx)).toBe(0);
    expect(meta.syncCount + data.syncCount).toBe(syncsBefore + 2);
    const after = crashImage(meta, data);
    const kept = await track(mount({ lockStaleMs: -1 }, after.meta, after.data));
    expect(text(await readAll(kept.fs, await lookupIno(kept.fs, root, "f")))).toBe("durable");
  });

  test("the flush timer writes and syncs without fsync", async () => {
    const { fs, meta, data } = await track(mount({ flushIntervalMs: 30 }));
    const created = ok(await fs.create(root, b("t"), 0o644, 2, 0, rootCtx));
    await fs.write(created.entry.attr.ino, created.open.fh, 0, b("timer"), 0, rootCtx);
    const syncs = meta.syncCount;
    for (let i = 0; i < 50 && meta.syncCount === syncs; i++)
      await new Promise((r) => setTimeout(r, 20));
    expect(meta.syncCount).toBeGreaterThan(syncs);
    const image = crashImage(meta, data);
    const kept = await track(mount({ lockStaleMs: -1 }, image.meta, image.data));
    expect(text(await readAll(kept.fs, await lookupIno(kept.fs, root, "t")))).toBe("timer");
  });

  test("dirty data stays within the write-back bound", async () => {
    const { fs, data } = await track(mount({ writebackBytesMax: 4 * block }));
    const created = ok(await fs.create(root, b("big"), 0o644, 2, 0, rootCtx));
    for (let i = 0; i < 20; i++) {
      await fs.write(
        created.entry.attr.ino,
        created.open.fh,
        i * block,
        new Uint8Array(block).fill(i),
        0,
        rootCtx,
      );
      expect(fs.core.blocks.dirtyBytes).toBeLessThanOrEqual(4 * block);
    }
    expect(data.log.filter((e) => e.op === "set").length).toBeGreaterThanOrEqual(16);
  });

  test("a failing namespace turns into EIO, and the data is written once it is back", async () => {
    const { fs, meta, data } = await track(mount());
    const created = ok(await fs.create(root, b("f"), 0o644, 2, 0, rootCtx));
    await fs.write(created.entry.attr.ino, created.open.fh, 0, b("retry me"), 0, rootCtx);
    data.failing = true;
    expect(await fs.fsync(created.entry.attr.ino, created.open.fh, false, rootCtx)).toBe(Errno.EIO);
    data.failing = false;
    expect(await fs.fsync(created.entry.attr.ino, created.open.fh, false, rootCtx)).toBe(0);
    const image = crashImage(meta, data);
    const kept = await track(mount({ lockStaleMs: -1 }, image.meta, image.data));
    expect(text(await readAll(kept.fs, await lookupIno(kept.fs, root, "f")))).toBe("retry me");
    meta.failing = true;
    expect(await fs.getattr(424242, undefined, rootCtx)).toBe(Errno.EIO);
    expect(await fs.lookup(root, b("nothing-cached"), rootCtx)).toBe(Errno.ENOENT);
    meta.failing = false;
  });
});

describe("one mount per namespace set", () => {
  test("a second mount is refused with a clear error until the first unmounts", async () => {
    const { fs, meta, data } = await track(mount());
    const second = new ZdbFs({ meta, data });
    let error: unknown;
    await second.init().catch((e) => {
      error = e;
    });
    expect(isQssError(error, "UNAVAILABLE")).toBe(true);
    expect(String((error as Error).message)).toContain("already mounted");
    await fs.destroy();
    mounted = [];
    expect(await meta.exists(lockKey())).toBe(false);
    await second.init();
    mounted.push(second);
  });

  test("a stale lock (old heartbeat, other host) is taken over", async () => {
    const meta = new MemoryNamespace("meta");
    const stale = { owner: "x", host: "elsewhere", pid: 1, heartbeatMs: Date.now() - 120_000 };
    await meta.set(lockKey(), b(JSON.stringify(stale)));
    await track(mount({ lockStaleMs: 30_000 }, meta));
    const fresh = { ...stale, heartbeatMs: Date.now() };
    const meta2 = new MemoryNamespace("meta2");
    await meta2.set(lockKey(), b(JSON.stringify(fresh)));
    const refused = new ZdbFs({ meta: meta2, data: new MemoryNamespace("d2") });
    await expect(refused.init()).rejects.toThrow("already mounted");
  });

  test("a lock of a dead process on this host is taken over at once", async () => {
    const child = spawnSync("true");
    const deadPid = child.pid as number;
    const meta = new MemoryNamespace("meta");
    const lock = { owner: "dead", host: hostname(), pid: deadPid, heartbeatMs: Date.now() };
    await meta.set(lockKey(), b(JSON.stringify(lock)));
    const { fs } = await track(mount({}, meta));
    expect(ok(await fs.getattr(root, undefined, rootCtx)).attr.ino).toBe(1);
  });
});

describe("lock takeover", () => {
  test("a mount whose lock was taken over refuses to write (EIO), never interleaving", async () => {
    const { fs, meta } = await track(mount());
    const created = ok(await fs.create(root, b("f"), 0o644, 2, 0, rootCtx));
    const other = { owner: "other", host: "elsewhere", pid: 42, heartbeatMs: Date.now() };
    await meta.set(lockKey(), b(JSON.stringify(other)));
    const before = meta.log.length;
    await fs.write(created.entry.attr.ino, created.open.fh, 0, b("late"), 0, rootCtx);
    expect(await fs.fsync(created.entry.attr.ino, created.open.fh, false, rootCtx)).toBe(Errno.EIO);
    expect(meta.log.length).toBe(before);
    expect(await meta.get(lockKey())).toEqual(b(JSON.stringify(other)));
  });
});

describe("opening namespaces", () => {
  test("seq-mode namespaces and foreign superblocks are refused with clear errors", async () => {
    const seq = new ZdbFs({
      meta: new MemoryNamespace("m", "seq"),
      data: new MemoryNamespace("d"),
    });
    let error: unknown;
    await seq.init().catch((e) => {
      error = e;
    });
    expect(isQssError(error, "UNSUPPORTED")).toBe(true);
    expect(String(error)).toContain("user mode");
    const meta = new MemoryNamespace("m");
    await meta.set(superblockKey(), b("not a superblock"));
    const foreign = new ZdbFs({ meta, data: new MemoryNamespace("d") });
    error = undefined;
    await foreign.init().catch((e) => {
      error = e;
    });
    expect(isQssError(error, "CORRUPT")).toBe(true);
    expect(await meta.exists(lockKey())).toBe(false);
  });
});
