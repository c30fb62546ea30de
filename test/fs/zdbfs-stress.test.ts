/**
 * Concurrency under pressure: many concurrent writers, readers and namespace operations with
 * tiny caches (eviction on every flush) and a tiny write-back bound; contents must match a
 * model and fsck must be clean afterwards, also after a remount.
 */

import { describe, expect, test } from "bun:test";
import { fsck } from "../../src/fs/zdbfs/fsck.ts";
import { blockSizeBytes } from "../../src/fs/zdbfs/limits.ts";
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

const block = blockSizeBytes;
const mounts = mountTracker();

describe("stress", () => {
  test("concurrent writers, readers and renames with tiny caches stay consistent", async () => {
    const options = {
      writebackBytesMax: 3 * block,
      readCacheBytesMax: 2 * block,
      metaRecordsMax: 20,
      metaEvictAgeMs: 0,
      metaDirtyMax: 30,
    };
    const m = await mount(options);
    mounts.track(m.fs);
    const fs = m.fs;
    const dirs = await Promise.all([0, 1, 2, 3].map((i) => mkdirP(fs, root, `dir${i}`)));
    const model = new Map<string, Uint8Array>();
    const worker = async (w: number) => {
      const dir = dirs[w % dirs.length] as number;
      for (let i = 0; i < 12; i++) {
        const name = `w${w}-f${i}`;
        const size = 1 + ((w * 7919 + i * 104729) % (3 * block));
        const content = new Uint8Array(size).fill((w * 13 + i) & 0xff);
        const created = ok(await fs.create(dir, b(name), 0o644, 2, 0, rootCtx));
        const ino = created.entry.attr.ino;
        for (let at = 0; at < size; at += 50_000) {
          const piece = content.subarray(at, Math.min(size, at + 50_000));
          expect(await fs.write(ino, created.open.fh, at, piece, 0, rootCtx)).toBe(piece.length);
        }
        const back = ok(await fs.read(ino, created.open.fh, 0, size, rootCtx));
        expect(Buffer.from(back).equals(Buffer.from(content))).toBe(true);
        await fs.release(ino, created.open.fh, 0, rootCtx);
        const target = dirs[(w + i) % dirs.length] as number;
        expect(await fs.rename(dir, b(name), target, b(name), 0, rootCtx)).toBe(0);
        model.set(`${target}/${name}`, content);
        if (i % 4 === 3) {
          expect(await fs.unlink(target, b(name), rootCtx)).toBe(0);
          model.delete(`${target}/${name}`);
        }
      }
    };
    await Promise.all(Array.from({ length: 8 }, (_, w) => worker(w)));
    const check = async (f: ZdbFs) => {
      for (const [path, content] of model) {
        const [dir, name] = path.split("/") as [string, string];
        const ino = await lookupIno(f, Number(dir), name);
        expect(ino).toBeGreaterThan(0);
        expect(Buffer.from(await readAll(f, ino)).equals(Buffer.from(content))).toBe(true);
      }
    };
    await check(fs);
    await fs.syncfs();
    const report = await fsck(m.meta, m.data);
    expect(report.problems).toEqual([]);
    await fs.destroy();
    mounts.forget();
    const again = await mount(options, m.meta, m.data);
    mounts.track(again.fs);
    await check(again.fs);
  }, 60_000);

  test("concurrent writers to one file at disjoint offsets, with reads and flushes", async () => {
    const m = await mount({
      writebackBytesMax: 2 * block,
      readCacheBytesMax: block,
      metaEvictAgeMs: 0,
    });
    mounts.track(m.fs);
    const fs = m.fs;
    const created = ok(await fs.create(root, b("shared"), 0o644, 2, 0, rootCtx));
    const ino = created.entry.attr.ino;
    const pieceBytes = 5000;
    const pieces = 200;
    const expected = new Uint8Array(pieceBytes * pieces);
    const writer = async (w: number) => {
      for (let i = w; i < pieces; i += 8) {
        const piece = new Uint8Array(pieceBytes).fill((i % 250) + 1);
        expected.set(piece, i * pieceBytes);
        expect(await fs.write(ino, created.open.fh, i * pieceBytes, piece, 0, rootCtx)).toBe(
          pieceBytes,
        );
        if (i % 16 === 0) await fs.fsync(ino, created.open.fh, false, rootCtx);
        const back = ok(await fs.read(ino, created.open.fh, i * pieceBytes, pieceBytes, rootCtx));
        expect(Buffer.from(back).equals(Buffer.from(piece))).toBe(true);
      }
    };
    await Promise.all(Array.from({ length: 8 }, (_, w) => writer(w)));
    const all = ok(await fs.read(ino, created.open.fh, 0, expected.length, rootCtx));
    expect(Buffer.from(all).equals(Buffer.from(expected))).toBe(true);
    await fs.release(ino, created.open.fh, 0, rootCtx);
    await fs.destroy();
    mounts.forget();
    const again = await mount({}, m.meta, m.data);
    mounts.track(again.fs);
    expect(Buffer.from(await readAll(again.fs, ino)).equals(Buffer.from(expected))).toBe(true);
  }, 60_000);
});
