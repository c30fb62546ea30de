import { describe, expect, test } from "bun:test";
import { cookieOf, splitCookie } from "../../src/fs/zdbfs/directory.ts";
import { b, listNames, mount, mountTracker, ok, root, rootCtx, text } from "./helpers.ts";

const mounts = mountTracker();

describe("large directories", () => {
  test("20,000 entries: lookups, readdir with small buffers, remount", async () => {
    const m = await mount({ metaDirtyMax: 5000 });
    mounts.track(m.fs);
    const fs = m.fs;
    const dir = ok(await fs.mkdir(root, b("big"), 0o755, 0, rootCtx)).attr.ino;
    const count = 20_000;
    for (let i = 0; i < count; i++)
      ok(await fs.mknod(dir, b(`entry-${i}`), 0o100644, 0, 0, rootCtx));
    for (let i = 0; i < count; i += 997) ok(await fs.lookup(dir, b(`entry-${i}`), rootCtx));
    const names = await listNames(fs, dir);
    expect(names.length).toBe(count + 2);
    expect(new Set(names).size).toBe(count + 2);
    expect(ok(await fs.getattr(dir, undefined, rootCtx)).attr.nlink).toBe(2);
    await fs.destroy();
    mounts.forget();
    const again = await mount({}, m.meta, m.data);
    mounts.track(again.fs);
    expect((await listNames(again.fs, dir)).sort()).toEqual(names.sort());
  }, 60_000);

  test("a cookie stays valid while entries are added and removed during the listing", async () => {
    const m = await mount();
    mounts.track(m.fs);
    const fs = m.fs;
    const dir = ok(await fs.mkdir(root, b("d"), 0o755, 0, rootCtx)).attr.ino;
    for (let i = 0; i < 3000; i++) ok(await fs.mknod(dir, b(`keep-${i}`), 0o100644, 0, 0, rootCtx));
    for (let i = 0; i < 1000; i++) ok(await fs.mknod(dir, b(`gone-${i}`), 0o100644, 0, 0, rootCtx));
    const seen: string[] = [];
    let offset = 0;
    let added = 0;
    let removed = 0;
    for (let round = 0; round < 10_000; round++) {
      const entries = ok(await fs.readdir(dir, 0, offset, 600, rootCtx));
      if (entries.length === 0) break;
      for (const e of entries) seen.push(text(e.name));
      offset = entries.at(-1)?.offset ?? offset;
      for (let k = 0; k < 40 && added < 3000; k++) {
        ok(await fs.mknod(dir, b(`new-${added++}`), 0o100644, 0, 0, rootCtx));
      }
      for (let k = 0; k < 15 && removed < 1000; k++) {
        expect(await fs.unlink(dir, b(`gone-${removed++}`), rootCtx)).toBe(0);
      }
    }
    const keeps = seen.filter((n) => n.startsWith("keep-"));
    expect(keeps.length).toBe(3000);
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen.slice(0, 2)).toEqual([".", ".."]);
  }, 60_000);

  test("readdirplus returns entries with attributes, fitting the buffer", async () => {
    const m = await mount();
    mounts.track(m.fs);
    const dir = ok(await m.fs.mkdir(root, b("d"), 0o755, 0, rootCtx)).attr.ino;
    for (let i = 0; i < 50; i++) ok(await m.fs.mknod(dir, b(`n${i}`), 0o100600, 0, 0, rootCtx));
    const first = ok(await m.fs.readdirplus(dir, 0, 0, 1024, rootCtx));
    expect(first.length).toBe(6);
    expect(first[0]?.entry.attr.ino).toBe(dir);
    const file = first.find((e) => text(e.name).startsWith("n"));
    expect(file?.entry.attr.mode).toBe(0o100600);
    const tiny = ok(await m.fs.readdir(dir, 0, 0, 32, rootCtx));
    expect(tiny.map((e) => text(e.name))).toEqual(["."]);
  });

  test("cookies encode hash and rank, above the two dot entries", () => {
    const hash = 2 ** 46 - 1;
    const cookie = cookieOf(hash, 63);
    expect(Number.isSafeInteger(cookie)).toBe(true);
    expect(splitCookie(cookie)).toEqual({ hash, rank: 63 });
    expect(cookieOf(0, 0)).toBe(3);
  });
});
