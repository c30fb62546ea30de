import { describe, expect, test } from "bun:test";
import { b, ctxOf, Errno, mkdirP, mountTracker, ok, root, rootCtx, writeFile } from "./helpers.ts";

const mounts = mountTracker();
const fresh = async () => (await mounts.fresh()).fs;
const alice = ctxOf(1000, 1000);
const bob = ctxOf(1001, 1001);

describe("permissions", () => {
  test("new nodes belong to the caller; a non-writable parent is EACCES", async () => {
    const fs = await fresh();
    ok(await fs.setattr(root, { mode: 0o755 }, rootCtx));
    expect(await fs.mkdir(root, b("x"), 0o755, 0, alice)).toBe(Errno.EACCES);
    ok(await fs.setattr(root, { mode: 0o777 }, rootCtx));
    const made = ok(await fs.mkdir(root, b("x"), 0o777, 0o022, alice));
    expect(made.attr.uid).toBe(1000);
    expect(made.attr.gid).toBe(1000);
    expect(made.attr.mode & 0o7777).toBe(0o755);
  });

  test("open checks read/write bits; root bypasses; access() agrees", async () => {
    const fs = await fresh();
    ok(await fs.setattr(root, { mode: 0o777 }, rootCtx));
    const ino = await writeFile(fs, root, "secret", "x", alice);
    ok(await fs.setattr(ino, { mode: 0o600 }, alice));
    expect(await fs.open(ino, 0, bob)).toBe(Errno.EACCES);
    expect(await fs.open(ino, 1, bob)).toBe(Errno.EACCES);
    ok(await fs.open(ino, 2, alice));
    ok(await fs.open(ino, 2, rootCtx));
    expect(await fs.access(ino, 4, bob)).toBe(Errno.EACCES);
    expect(await fs.access(ino, 6, alice)).toBe(0);
    expect(await fs.access(ino, 1, rootCtx)).toBe(Errno.EACCES);
    expect(await fs.access(ino, 0, bob)).toBe(0);
  });

  test("a directory without search permission hides its entries", async () => {
    const fs = await fresh();
    ok(await fs.setattr(root, { mode: 0o777 }, rootCtx));
    const dir = await mkdirP(fs, root, "private", alice);
    await writeFile(fs, dir, "f", "x", alice);
    ok(await fs.setattr(dir, { mode: 0o700 }, alice));
    expect(await fs.lookup(dir, b("f"), bob)).toBe(Errno.EACCES);
    expect(await fs.opendir(dir, 0, bob)).toBe(Errno.EACCES);
    ok(await fs.lookup(dir, b("f"), alice));
  });

  test("chmod only by owner or root; chmod by non-member drops setgid", async () => {
    const fs = await fresh();
    ok(await fs.setattr(root, { mode: 0o777 }, rootCtx));
    const ino = await writeFile(fs, root, "f", "x", alice);
    expect(await fs.setattr(ino, { mode: 0o777 }, bob)).toBe(Errno.EPERM);
    ok(await fs.setattr(ino, { gid: 50 }, rootCtx));
    const attr = ok(await fs.setattr(ino, { mode: 0o2755 }, alice)).attr;
    expect(attr.mode & 0o7777).toBe(0o755);
    const byRoot = ok(await fs.setattr(ino, { mode: 0o2755 }, rootCtx)).attr;
    expect(byRoot.mode & 0o7777).toBe(0o2755);
  });

  test("chown: only root gives files away; owner may change group to its own; set-id cleared", async () => {
    const fs = await fresh();
    ok(await fs.setattr(root, { mode: 0o777 }, rootCtx));
    const ino = await writeFile(fs, root, "f", "x", alice);
    expect(await fs.setattr(ino, { uid: 1001 }, alice)).toBe(Errno.EPERM);
    expect(await fs.setattr(ino, { gid: 1001 }, alice)).toBe(Errno.EPERM);
    expect(await fs.setattr(ino, { gid: 7 }, bob)).toBe(Errno.EPERM);
    ok(await fs.setattr(ino, { mode: 0o6755 }, rootCtx));
    const changed = ok(await fs.setattr(ino, { uid: 2 ** 40, gid: 2 ** 33 }, rootCtx)).attr;
    expect(changed.uid).toBe(2 ** 40);
    expect(changed.gid).toBe(2 ** 33);
    expect(changed.mode & 0o6000).toBe(0);
  });

  test("utimens: explicit times need ownership, 'now' needs write access", async () => {
    const fs = await fresh();
    ok(await fs.setattr(root, { mode: 0o777 }, rootCtx));
    const ino = await writeFile(fs, root, "f", "x", alice);
    ok(await fs.setattr(ino, { mode: 0o666 }, alice));
    const when = { sec: -5, nsec: 123456789 };
    expect(await fs.setattr(ino, { mtime: when }, bob)).toBe(Errno.EPERM);
    ok(await fs.setattr(ino, { mtime: "now", atime: "now" }, bob));
    const set = ok(
      await fs.setattr(ino, { mtime: when, atime: { sec: 2 ** 40, nsec: 1 } }, alice),
    ).attr;
    expect(set.mtime).toEqual(when);
    expect(set.atime).toEqual({ sec: 2 ** 40, nsec: 1 });
    ok(await fs.setattr(ino, { mode: 0o644 }, alice));
    expect(await fs.setattr(ino, { mtime: "now" }, bob)).toBe(Errno.EACCES);
  });

  test("truncate without a handle needs write permission", async () => {
    const fs = await fresh();
    ok(await fs.setattr(root, { mode: 0o777 }, rootCtx));
    const ino = await writeFile(fs, root, "f", "hello", alice);
    expect(await fs.setattr(ino, { size: 0 }, bob)).toBe(Errno.EACCES);
    expect(ok(await fs.setattr(ino, { size: 2 }, alice)).attr.size).toBe(2);
    const dir = await mkdirP(fs, root, "d");
    expect(await fs.setattr(dir, { size: 0 }, rootCtx)).toBe(Errno.EISDIR);
  });

  test("sticky directory: only owners of entry or directory may remove", async () => {
    const fs = await fresh();
    const tmp = ok(await fs.mkdir(root, b("tmp"), 0o1777, 0, rootCtx)).attr.ino;
    await writeFile(fs, tmp, "alice-file", "x", alice);
    expect(await fs.unlink(tmp, b("alice-file"), bob)).toBe(Errno.EPERM);
    expect(await fs.rename(tmp, b("alice-file"), tmp, b("stolen"), 0, bob)).toBe(Errno.EPERM);
    expect(await fs.unlink(tmp, b("alice-file"), alice)).toBe(0);
  });

  test("setgid directory passes its group and the setgid bit on", async () => {
    const fs = await fresh();
    ok(await fs.setattr(root, { mode: 0o777 }, rootCtx));
    const shared = ok(await fs.mkdir(root, b("shared"), 0o2777, 0, rootCtx)).attr.ino;
    ok(await fs.setattr(shared, { gid: 500, mode: 0o2777 }, rootCtx));
    const sub = ok(await fs.mkdir(shared, b("sub"), 0o755, 0, alice)).attr;
    expect(sub.gid).toBe(500);
    expect(sub.mode & 0o2000).toBe(0o2000);
    const file = ok(await fs.create(shared, b("f"), 0o2755, 2, 0, alice)).entry.attr;
    expect(file.gid).toBe(500);
    expect(file.mode & 0o2000).toBe(0);
  });

  test("an unprivileged write clears setuid", async () => {
    const fs = await fresh();
    ok(await fs.setattr(root, { mode: 0o777 }, rootCtx));
    const ino = await writeFile(fs, root, "tool", "x", alice);
    ok(await fs.setattr(ino, { mode: 0o4777 }, alice));
    const handle = ok(await fs.open(ino, 1, bob));
    expect(await fs.write(ino, handle.fh, 0, b("y"), 0, bob)).toBe(1);
    expect(ok(await fs.getattr(ino, undefined, rootCtx)).attr.mode & 0o4000).toBe(0);
  });
});
