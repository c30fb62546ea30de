/**
 * Recovery after any crash point: a workload (creates, writes, unlinks, renames of files and
 * directories, truncates, unlinked-open files) logs every write; each prefix of the metadata log
 * (with the data log complete, or cut) is a crash. After `recover`, fsck must find nothing at
 * all, every file synced before the cut reads back intact, and recovery interrupted at any of
 * its own writes is finished by the next run.
 */
import { describe, expect, test } from "bun:test";
import { fsck } from "../../src/fs/zdbfs/fsck.ts";
import { inodeKey } from "../../src/fs/zdbfs/keys.ts";
import { recover } from "../../src/fs/zdbfs/recover.ts";
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
  /** "dir/name" → content, for every file synced so far and not changed since. */
  files: Map<string, Uint8Array>;
}

async function createFile(fs: ZdbFs, dir: number, name: string, content: Uint8Array) {
  const created = ok(await fs.create(dir, b(name), 0o644, 2, 0, rootCtx));
  await fs.write(created.entry.attr.ino, created.open.fh, 0, content, 0, rootCtx);
  return created;
}

async function round(fs: ZdbFs, dirs: number[], r: number): Promise<void> {
  const dir = await mkdirP(fs, dirs[r % dirs.length] as number, `d${r}`);
  dirs.push(dir);
  for (let i = 0; i < 12; i++) {
    const size = 500 + ((r * 31 + i * 977) % 120_000);
    const created = await createFile(fs, dir, `f${i}`, new Uint8Array(size).fill(r + i));
    await fs.release(created.entry.attr.ino, created.open.fh, 0, rootCtx);
  }
  for (let i = 0; i < 12; i += 4) await fs.unlink(dir, b(`f${i}`), rootCtx);
  for (let i = 1; i < 12; i += 5) {
    await fs.rename(dir, b(`f${i}`), root, b(`moved-${r}-${i}`), 0, rootCtx);
  }
  const shrink = await lookupIno(fs, dir, "f2");
  ok(await fs.setattr(shrink, { size: 40_000 }, rootCtx));
  if (r > 1) await fs.rename(dirs[1] as number, b(`d${r - 1}`), dir, b("sub"), 0, rootCtx);
  const open = await createFile(fs, dir, "open-unlinked", new Uint8Array(70_000).fill(7));
  await fs.unlink(dir, b("open-unlinked"), rootCtx);
  if (r % 2 === 0) await fs.release(open.entry.attr.ino, open.open.fh, 0, rootCtx);
}

async function workload(m: { fs: ZdbFs; meta: MemoryNamespace; data: MemoryNamespace }) {
  const points: SyncPoint[] = [];
  const synced = new Map<string, Uint8Array>();
  const dirs = [root];
  for (let r = 0; r < 8; r++) {
    await round(m.fs, dirs, r);
    const dir = dirs.at(-1) as number;
    await m.fs.syncfs();
    synced.set(`${dir}/f3`, await readAll(m.fs, await lookupIno(m.fs, dir, "f3")));
    points.push({
      metaLength: m.meta.log.length,
      dataLength: m.data.log.length,
      files: new Map(synced),
    });
  }
  return points;
}

/** Recover a crash image and check that nothing is left and synced files are intact. */
async function recoverAndCheck(meta: MemoryNamespace, data: MemoryNamespace, point?: SyncPoint) {
  const summary = await recover(meta, data);
  const report = await fsck(meta, data);
  expect(report.problems).toEqual([]);
  if (point === undefined) return summary;
  const again = await mount({ lockStaleMs: -1 }, meta, data);
  mounts.track(again.fs);
  for (const [path, content] of point.files) {
    const [dir, name] = path.split("/") as [string, string];
    const ino = await lookupIno(again.fs, Number(dir), name);
    expect(ino).toBeGreaterThan(0);
    expect(Buffer.from(await readAll(again.fs, ino)).equals(Buffer.from(content))).toBe(true);
  }
  return summary;
}

describe("recovery after a crash anywhere", () => {
  test("every metadata prefix recovers to a filesystem fsck finds clean", async () => {
    const m = await mount({ flushIntervalMs: 60_000, metaDirtyMax: 40 });
    mounts.track(m.fs);
    const points = await workload(m);
    const total = m.meta.log.length;
    const step = Math.max(1, Math.floor(total / 250));
    let checked = 0;
    const repaired = { orphans: 0, counts: 0 };
    for (let cut = 1; cut <= total; cut += step) {
      const meta = MemoryNamespace.replay("meta", m.meta.log, cut);
      const data = MemoryNamespace.replay("data", m.data.log, m.data.log.length);
      // A cut inside the format (superblock or root not yet written) is not a filesystem yet.
      if ((await meta.get(inodeKey(root))) === null) continue;
      const point = points.filter((p) => p.metaLength <= cut).at(-1);
      const summary = await recoverAndCheck(meta, data, checked % 10 === 0 ? point : undefined);
      repaired.orphans += summary.orphanInodes + summary.orphanRecords + summary.orphanBlocks;
      repaired.counts += summary.countsFixed;
      checked++;
    }
    expect(checked).toBeGreaterThan(100);
    // The cuts did leave work to do (the check above is not vacuous).
    expect(repaired.orphans).toBeGreaterThan(checked);
    expect(repaired.counts).toBeGreaterThan(0);
    console.log(`${checked} cuts: ${repaired.orphans} orphans, ${repaired.counts} counts repaired`);
  }, 90_000);

  test("a data log cut at a sync point plus later metadata recovers clean", async () => {
    const m = await mount({ flushIntervalMs: 60_000 });
    mounts.track(m.fs);
    const points = await workload(m);
    for (const point of points) {
      for (const extra of [0, 0.3, 0.7]) {
        const more = Math.floor((m.meta.log.length - point.metaLength) * extra);
        const meta = MemoryNamespace.replay("meta", m.meta.log, point.metaLength + more);
        const data = MemoryNamespace.replay("data", m.data.log, point.dataLength);
        await recoverAndCheck(meta, data, point);
      }
    }
  }, 60_000);

  test("a recovery cut at any of its own writes is finished by the next one", async () => {
    const m = await mount({ flushIntervalMs: 60_000, metaDirtyMax: 40 });
    mounts.track(m.fs);
    await workload(m);
    const cut = Math.floor(m.meta.log.length * 0.55);
    const meta = MemoryNamespace.replay("meta", m.meta.log, cut);
    const data = MemoryNamespace.replay("data", m.data.log, m.data.log.length);
    const metaStart = meta.log.length;
    const dataStart = data.log.length;
    const summary = await recover(meta, data);
    expect(summary.orphanBlocks + summary.orphanInodes + summary.orphanRecords).toBeGreaterThan(0);
    const metaWrites = meta.log.length - metaStart;
    expect(metaWrites).toBeGreaterThan(0);
    for (let done = 0; done < metaWrites; done += Math.max(1, Math.floor(metaWrites / 20))) {
      const partialMeta = MemoryNamespace.replay("meta", meta.log, metaStart + done);
      const partialData = MemoryNamespace.replay("data", data.log, data.log.length);
      await recoverAndCheck(partialMeta, partialData);
    }
    expect(dataStart).toBeGreaterThan(0);
  }, 60_000);
});
