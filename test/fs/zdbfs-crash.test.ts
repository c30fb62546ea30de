/**
 * Crash consistency: a workload runs with periodic syncs while both namespaces log every write.
 * A crash is any prefix of the metadata log (data complete, or cut at the last sync). For each
 * prefix fsck must find no dangling entry, missing page or corrupt record, the filesystem must
 * mount, and every file fsync'ed before the cut must read back intact.
 */
import { describe, expect, test } from "bun:test";
import { fsck, fsckFatalKinds } from "../../src/fs/zdbfs/fsck.ts";
import type { ZdbFs } from "../../src/fs/zdbfs/zdbfs.ts";
import {
  b,
  lookupIno,
  mkdirP,
  mount,
  mountTracker,
  ok,
  readAll,
  root,
  rootCtx,
} from "./helpers.ts";
import { MemoryNamespace } from "./memory-namespace.ts";

const mounts = mountTracker();

interface SyncPoint {
  metaLength: number;
  dataLength: number;
  files: Map<string, Uint8Array>;
}

const fatal: ReadonlySet<string> = fsckFatalKinds;

async function workload(fs: ZdbFs, meta: MemoryNamespace, data: MemoryNamespace) {
  const points: SyncPoint[] = [];
  const synced = new Map<string, Uint8Array>();
  const dirs = [root];
  for (let round = 0; round < 12; round++) {
    const dir = await mkdirP(fs, dirs[round % dirs.length] as number, `d${round}`);
    dirs.push(dir);
    const ops: Promise<unknown>[] = [];
    for (let i = 0; i < 25; i++) {
      const name = `f${round}-${i}`;
      const content = new Uint8Array(1000 + ((round * 31 + i * 977) % 150_000)).fill(
        (round + i) & 0xff,
      );
      ops.push(
        (async () => {
          const created = ok(await fs.create(dir, b(name), 0o644, 2, 0, rootCtx));
          await fs.write(created.entry.attr.ino, created.open.fh, 0, content, 0, rootCtx);
          await fs.release(created.entry.attr.ino, created.open.fh, 0, rootCtx);
        })(),
      );
    }
    await Promise.all(ops);
    for (let i = 0; i < 25; i += 3) await fs.unlink(dir, b(`f${round}-${i}`), rootCtx);
    for (let i = 1; i < 25; i += 4) {
      await fs.rename(
        dir,
        b(`f${round}-${i}`),
        dirs[0] as number,
        b(`moved-${round}-${i}`),
        0,
        rootCtx,
      );
    }
    if (round > 2)
      await fs
        .rename(dirs[1] as number, b(`d${round - 2}`), dir, b("sub"), 0, rootCtx)
        .catch(() => 0);
    await fs.syncfs();
    const files = new Map(synced);
    const checkName = `f${round}-2`;
    files.set(`${dir}/${checkName}`, await readAll(fs, await lookupIno(fs, dir, checkName)));
    synced.set(`${dir}/${checkName}`, files.get(`${dir}/${checkName}`) as Uint8Array);
    points.push({ metaLength: meta.log.length, dataLength: data.log.length, files });
  }
  return points;
}

describe("crash consistency", () => {
  test("every metadata prefix is consistent and keeps what was synced", async () => {
    const m = await mount({ flushIntervalMs: 60_000, metaDirtyMax: 40 });
    mounts.track(m.fs);
    const points = await workload(m.fs, m.meta, m.data);
    expect(points.length).toBe(12);
    const total = m.meta.log.length;
    expect(total).toBeGreaterThan(500);
    const step = Math.max(1, Math.floor(total / 400));
    let checked = 0;
    for (let cut = 1; cut <= total; cut += step) {
      const meta = MemoryNamespace.replay("meta", m.meta.log, cut);
      const data = MemoryNamespace.replay("data", m.data.log, m.data.log.length);
      const report = await fsck(meta, data);
      const bad = report.problems.filter((p) => fatal.has(p.kind));
      if (report.problems.some((p) => p.detail.includes("no superblock"))) continue;
      expect(bad).toEqual([]);
      checked++;
    }
    expect(checked).toBeGreaterThan(100);
  }, 60_000);

  test("a data namespace cut anywhere (metadata complete) never leaves a dangling entry", async () => {
    const m = await mount({ flushIntervalMs: 60_000 });
    mounts.track(m.fs);
    await workload(m.fs, m.meta, m.data);
    const total = m.data.log.length;
    for (let cut = 0; cut <= total; cut += Math.max(1, Math.floor(total / 40))) {
      const meta = MemoryNamespace.replay("meta", m.meta.log, m.meta.log.length);
      const data = MemoryNamespace.replay("data", m.data.log, cut);
      const report = await fsck(meta, data);
      expect(report.problems.filter((p) => fatal.has(p.kind))).toEqual([]);
    }
  }, 60_000);

  test("after a cut at any sync point, synced files are intact and the fs mounts", async () => {
    const m = await mount({ flushIntervalMs: 60_000 });
    mounts.track(m.fs);
    const points = await workload(m.fs, m.meta, m.data);
    for (const point of points.filter((_, i) => i % 3 === 2)) {
      const extra = Math.floor((m.meta.log.length - point.metaLength) / 2);
      const meta = MemoryNamespace.replay("meta", m.meta.log, point.metaLength + extra);
      const data = MemoryNamespace.replay("data", m.data.log, point.dataLength);
      const again = await mount({ lockStaleMs: -1 }, meta, data);
      mounts.track(again.fs);
      for (const [path, content] of point.files) {
        const [dir, name] = path.split("/") as [string, string];
        const ino = await lookupIno(again.fs, Number(dir), name);
        expect(ino).toBeGreaterThan(0);
        expect(Buffer.from(await readAll(again.fs, ino)).equals(Buffer.from(content))).toBe(true);
      }
      await again.fs.syncfs();
      const report = await fsck(meta, data);
      expect(report.problems.filter((p) => fatal.has(p.kind))).toEqual([]);
    }
  }, 60_000);
});
