/**
 * Crash recovery (`recover.ts`): orphans injected into a synced filesystem are removed exactly,
 * everything reachable stays, counts are repaired, and the sweep runs at mount only after an
 * unclean end.
 */
import { describe, expect, test } from "bun:test";
import { decodeDirPage, encodeDirPage } from "../../src/fs/zdbfs/dir-codec.ts";
import { fsck } from "../../src/fs/zdbfs/fsck.ts";
import { decodeInode, encodeInode, type Inode } from "../../src/fs/zdbfs/inode-codec.ts";
import {
  bitmapKey,
  blockKey,
  dirIndexKey,
  dirPageKey,
  inodeKey,
  lockKey,
  superblockKey,
  xattrsKey,
} from "../../src/fs/zdbfs/keys.ts";
import { formatRecovery, type RecoverySummary, recover } from "../../src/fs/zdbfs/recover.ts";
import { decodeSuperblock, encodeSuperblock } from "../../src/fs/zdbfs/superblock.ts";
import {
  b,
  mkdirP,
  mount,
  mountTracker,
  ok,
  readAll,
  root,
  rootCtx,
  writeFile,
} from "./helpers.ts";
import { MemoryNamespace } from "./memory-namespace.ts";

const mounts = mountTracker();

const hex = (key: Uint8Array) => Buffer.from(key).toString("hex");

/** Every key of a namespace (hex), by scanning it. */
async function keysOf(ns: MemoryNamespace): Promise<Set<string>> {
  const keys = new Set<string>();
  let cursor: Uint8Array | undefined;
  for (let page = 0; page < 100_000; page++) {
    const result = await ns.scan(cursor);
    for (const entry of result.entries) keys.add(hex(entry.key));
    if (result.nextCursor === null) return keys;
    cursor = result.nextCursor;
  }
  throw new Error("scan did not end");
}

async function inodeOf(meta: MemoryNamespace, ino: number): Promise<Inode> {
  return decodeInode(ino, (await meta.get(inodeKey(ino))) as Uint8Array);
}

/** /d/{a,b}, /big (3 blocks), an xattr, a hard link; synced and cleanly unmounted. */
async function populated() {
  const m = await mount();
  const d = await mkdirP(m.fs, root, "d");
  const a = await writeFile(m.fs, d, "a", "alpha");
  await writeFile(m.fs, d, "b", "beta");
  const bigContent = new Uint8Array(70_000).map((_, i) => i & 0xff);
  const big = await writeFile(m.fs, root, "big", bigContent);
  expect(await m.fs.setxattr(big, b("user.k"), b("v"), 0, rootCtx)).toBe(0);
  ok(await m.fs.link(a, root, b("a2"), rootCtx));
  await m.fs.destroy();
  return { ...m, d, a, big, bigContent };
}

describe("recover", () => {
  test("removes exactly the injected orphans and keeps everything reachable", async () => {
    const { meta, data, d, a, big, bigContent } = await populated();
    const metaBefore = await keysOf(meta);
    const dataBefore = await keysOf(data);
    const template = await inodeOf(meta, a);
    // An orphan file with a block, a bitmap and xattrs (written before its name: a crash).
    await meta.set(inodeKey(9000), encodeInode({ ...template, ino: 9000, nlink: 1, flags: 1 }));
    await meta.set(bitmapKey(9000, 0), Uint8Array.of(1));
    await meta.set(xattrsKey(9000), Uint8Array.of(0, 0, 0, 0));
    await data.set(blockKey(9000, 0), b("orphan data"));
    // Blocks of no inode, a block of a live file outside its bitmap, stray records.
    await data.set(blockKey(9001, 0), b("lost"));
    await data.set(blockKey(9001, 7), b("lost too"));
    await data.set(blockKey(big, 40), b("beyond"));
    await meta.set(dirPageKey(d, 77), Uint8Array.of(0, 0, 0, 0));
    await meta.set(dirIndexKey(9002), Uint8Array.of(1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0));
    await meta.set(xattrsKey(9003), Uint8Array.of(0, 0, 0, 0));
    await meta.set(bitmapKey(9004, 0), Uint8Array.of(1));
    const summary = await recover(meta, data);
    expect(summary.orphanBlocks).toBe(3);
    expect(summary.orphanInodes).toBe(1);
    expect(summary.orphanRecords).toBe(4);
    expect(summary.unrepaired).toBe(0);
    expect(await keysOf(meta)).toEqual(metaBefore);
    expect(await keysOf(data)).toEqual(dataBefore);
    expect((await fsck(meta, data)).problems).toEqual([]);
    const second = await recover(meta, data);
    expect([second.orphanBlocks, second.orphanInodes, second.countsFixed]).toEqual([0, 0, 0]);
    const again = await mount({}, meta, data);
    mounts.track(again.fs);
    expect(again.fs.recovery).toBeNull();
    expect(Buffer.from(await readAll(again.fs, big)).equals(Buffer.from(bigContent))).toBe(true);
    expect(Buffer.from(await readAll(again.fs, a)).toString()).toBe("alpha");
  });

  test("repairs link, entry and block counts, a parent, absent blocks and the counters", async () => {
    const { meta, data, d, a, big } = await populated();
    const dir = await inodeOf(meta, d);
    await meta.set(inodeKey(d), encodeInode({ ...dir, entryCount: 9, nlink: 5, parent: 77 }));
    await meta.set(inodeKey(a), encodeInode({ ...(await inodeOf(meta, a)), nlink: 1 }));
    await data.del(blockKey(big, 1));
    const sb = decodeSuperblock((await meta.get(superblockKey())) as Uint8Array);
    await meta.set(superblockKey(), encodeSuperblock({ ...sb, usedBlocks: 1, usedInodes: 99 }));
    const kinds = (await fsck(meta, data)).problems.map((p) => p.kind).sort();
    expect(kinds).toEqual([
      "bad-parent",
      "block-count",
      "counter",
      "entry-count",
      "link-count",
      "link-count",
      "missing-block",
    ]);
    const summary = await recover(meta, data);
    expect(summary.countsFixed).toBe(7);
    expect(summary.orphanBlocks + summary.orphanInodes + summary.orphanRecords).toBe(0);
    expect((await fsck(meta, data)).problems).toEqual([]);
    const fixed = await inodeOf(meta, d);
    expect([fixed.entryCount, fixed.nlink, fixed.parent]).toEqual([2, 2, root]);
    expect((await inodeOf(meta, a)).nlink).toBe(2);
    expect((await inodeOf(meta, big)).blockCount).toBe(2);
    const counters = decodeSuperblock((await meta.get(superblockKey())) as Uint8Array);
    expect([counters.usedInodes, counters.usedBlocks]).toEqual([sb.usedInodes, 2 + 2]);
  });

  test("on a consistent filesystem it writes nothing", async () => {
    const { meta, data } = await populated();
    const writes = meta.log.length + data.log.length;
    const summary = await recover(meta, data);
    expect(formatRecovery(summary, "x")).toMatch(/^x: 0 orphan blocks, 0 orphan inodes removed/);
    expect(meta.log.length + data.log.length).toBe(writes);
  });

  test("deletes unreachable directories, their pages and the files only they name", async () => {
    const { meta, data, d } = await populated();
    // Cut /d out of the root: d, its page and b become unreachable (a keeps its name /a2).
    const page = (await meta.get(dirPageKey(root, 0))) as Uint8Array;
    const entries = decodeDirPage(page).entries.filter((e) => e.ino !== d);
    await meta.set(dirPageKey(root, 0), encodeDirPage({ entries }));
    const rootInode = await inodeOf(meta, root);
    await meta.set(
      inodeKey(root),
      encodeInode({ ...rootInode, entryCount: entries.length, nlink: 2 }),
    );
    const summary = await recover(meta, data);
    expect(summary.orphanInodes).toBe(2); // d and b (a is still named /a2)
    expect(summary.orphanRecords).toBe(2); // d's page and index
    expect(summary.countsFixed).toBe(2); // a's nlink 2 → 1, and the superblock counters
    expect((await fsck(meta, data)).problems).toEqual([]);
    expect(await meta.get(inodeKey(d))).toBeNull();
  });
});

describe("a rename caught between its page writes", () => {
  const cases = ["file", "directory", "file, then a create in the source directory"] as const;
  for (const kind of cases) {
    test(`keeps a renamed ${kind} at every cut, and recovers clean`, async () => {
      const m = await mount();
      const from = await mkdirP(m.fs, root, "from");
      const to = await mkdirP(m.fs, root, "to");
      const moved = kind === "directory" ? await mkdirP(m.fs, from, "x") : from;
      const file = await writeFile(m.fs, moved, kind === "directory" ? "inner" : "x", "precious");
      await m.fs.syncfs();
      const start = m.meta.log.length;
      expect(await m.fs.rename(from, b("x"), to, b("y"), 0, rootCtx)).toBe(0);
      if (kind !== "file" && kind !== "directory") await writeFile(m.fs, from, "z", "new");
      await m.fs.destroy();
      let bothNames = 0;
      for (let cut = start; cut <= m.meta.log.length; cut++) {
        const meta = MemoryNamespace.replay("meta", m.meta.log, cut);
        const data = MemoryNamespace.replay("data", m.data.log, m.data.log.length);
        const summary = await recover(meta, data);
        if (summary.countsFixed > 0) bothNames++;
        expect(await meta.get(inodeKey(file))).not.toBeNull();
        expect((await fsck(meta, data)).problems).toEqual([]);
        const again = await mount({ lockStaleMs: -1 }, meta, data);
        mounts.track(again.fs);
        expect(Buffer.from(await readAll(again.fs, file)).toString()).toBe("precious");
      }
      expect(bothNames).toBeGreaterThan(0);
    });
  }
});

describe("recovery at mount", () => {
  test("a clean unmount does not run the sweep; a crash does, once", async () => {
    const { meta, data, a } = await populated();
    const summaries: RecoverySummary[] = [];
    const onRecovery = (s: RecoverySummary) => summaries.push(s);
    let scans = 0;
    const scan = meta.scan.bind(meta);
    meta.scan = (cursor) => {
      scans++;
      return scan(cursor);
    };
    const clean = await mount({ onRecovery }, meta, data);
    expect(clean.fs.recovery).toBeNull();
    expect(scans).toBe(0);
    // A crash: no destroy, and a block written before its inode record.
    const created = ok(await clean.fs.create(root, b("new"), 0o644, 2, 0, rootCtx));
    await clean.fs.write(created.entry.attr.ino, created.open.fh, 0, b("x"), 0, rootCtx);
    await clean.fs.syncfs();
    await data.set(blockKey(8000, 3), b("written by a flush, inode never"));
    const crashed = await mount({ onRecovery, lockStaleMs: -1 }, meta, data);
    mounts.track(crashed.fs);
    expect(scans).toBeGreaterThan(0);
    expect(summaries.length).toBe(1);
    expect(crashed.fs.recovery?.orphanBlocks).toBe(1);
    expect(Buffer.from(await readAll(crashed.fs, a)).toString()).toBe("alpha");
    await crashed.fs.destroy();
    mounts.forget();
    const after = await mount({ onRecovery }, meta, data);
    mounts.track(after.fs);
    expect(after.fs.recovery).toBeNull();
    expect(summaries.length).toBe(1);
    expect((await fsck(meta, data)).problems).toEqual([]);
  });

  test("an unmount whose last flush fails leaves the lock, so the next mount sweeps", async () => {
    const { meta, data } = await populated();
    const first = await mount({}, meta, data);
    const created = ok(await first.fs.create(root, b("late"), 0o644, 2, 0, rootCtx));
    await first.fs.write(created.entry.attr.ino, created.open.fh, 0, b("lost"), 0, rootCtx);
    data.failing = true;
    await expect(first.fs.destroy()).rejects.toThrow("unavailable");
    data.failing = false;
    expect(await meta.get(lockKey())).not.toBeNull();
    const next = await mount({ lockStaleMs: -1 }, meta, data);
    mounts.track(next.fs);
    expect(next.fs.recovery).not.toBeNull();
    expect((await fsck(meta, data)).problems).toEqual([]);
  });

  test("a sweep that fails puts the dead mount's lock back, so the next mount sweeps", async () => {
    const { meta, data } = await populated();
    const dead = JSON.stringify({ owner: "dead", host: "elsewhere", pid: 1, heartbeatMs: 0 });
    await meta.set(lockKey(), b(dead));
    await data.set(blockKey(8000, 0), b("leaked"));
    data.failing = true;
    await expect(mount({}, meta, data)).rejects.toThrow("unavailable");
    data.failing = false;
    expect(Buffer.from((await meta.get(lockKey())) as Uint8Array).toString()).toBe(dead);
    const next = await mount({}, meta, data);
    mounts.track(next.fs);
    expect(next.fs.recovery?.orphanBlocks).toBe(1);
  });
});
