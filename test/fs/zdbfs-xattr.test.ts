import { describe, expect, test } from "bun:test";
import { inodeKey, xattrsKey } from "../../src/fs/zdbfs/keys.ts";
import {
  b,
  ctxOf,
  Errno,
  mount,
  mountTracker,
  ok,
  root,
  rootCtx,
  text,
  writeFile,
} from "./helpers.ts";

const mounts = mountTracker();
const XATTR_CREATE = 1;
const XATTR_REPLACE = 2;
const alice = ctxOf(1000, 1000);

describe("xattrs", () => {
  test("set/get/list/remove with CREATE and REPLACE flags; survives remount", async () => {
    const m = await mount();
    mounts.track(m.fs);
    const fs = m.fs;
    const ino = await writeFile(fs, root, "f", "x");
    expect(await fs.getxattr(ino, b("user.a"), rootCtx)).toBe(Errno.ENODATA);
    expect(await fs.setxattr(ino, b("user.a"), b("1"), XATTR_REPLACE, rootCtx)).toBe(Errno.ENODATA);
    expect(await fs.setxattr(ino, b("user.a"), b("1"), XATTR_CREATE, rootCtx)).toBe(0);
    expect(await fs.setxattr(ino, b("user.a"), b("2"), XATTR_CREATE, rootCtx)).toBe(Errno.EEXIST);
    expect(await fs.setxattr(ino, b("user.a"), b("2"), XATTR_REPLACE, rootCtx)).toBe(0);
    expect(await fs.setxattr(ino, b("user.empty"), new Uint8Array(0), 0, rootCtx)).toBe(0);
    expect(await fs.setxattr(ino, b("trusted.t"), b("T"), 0, rootCtx)).toBe(0);
    expect(await fs.setxattr(ino, b("security.s"), b("S"), 0, rootCtx)).toBe(0);
    expect(text(ok(await fs.getxattr(ino, b("user.a"), rootCtx)))).toBe("2");
    expect(ok(await fs.getxattr(ino, b("user.empty"), rootCtx)).length).toBe(0);
    const names = ok(await fs.listxattr(ino, rootCtx))
      .map(text)
      .sort();
    expect(names).toEqual(["security.s", "trusted.t", "user.a", "user.empty"]);
    expect(await fs.removexattr(ino, b("user.a"), rootCtx)).toBe(0);
    expect(await fs.removexattr(ino, b("user.a"), rootCtx)).toBe(Errno.ENODATA);
    await fs.destroy();
    mounts.forget();
    const again = await mount({}, m.meta, m.data);
    mounts.track(again.fs);
    const later = ok(await again.fs.listxattr(ino, rootCtx))
      .map(text)
      .sort();
    expect(later).toEqual(["security.s", "trusted.t", "user.empty"]);
    expect(text(ok(await again.fs.getxattr(ino, b("trusted.t"), rootCtx)))).toBe("T");
  });

  test("limits: ERANGE for bad names, E2BIG past 64 KiB, ENOTSUP for unknown namespaces", async () => {
    const m = await mount();
    mounts.track(m.fs);
    const ino = await writeFile(m.fs, root, "f", "x");
    expect(await m.fs.setxattr(ino, new Uint8Array(0), b("v"), 0, rootCtx)).toBe(Errno.ERANGE);
    expect(await m.fs.setxattr(ino, b(`user.${"n".repeat(251)}`), b("v"), 0, rootCtx)).toBe(
      Errno.ERANGE,
    );
    expect(await m.fs.setxattr(ino, b(`user.${"n".repeat(250)}`), b("v"), 0, rootCtx)).toBe(0);
    expect(await m.fs.setxattr(ino, b("user.big"), new Uint8Array(65537), 0, rootCtx)).toBe(7);
    expect(await m.fs.setxattr(ino, b("user.max"), new Uint8Array(65536), 0, rootCtx)).toBe(0);
    expect(ok(await m.fs.getxattr(ino, b("user.max"), rootCtx)).length).toBe(65536);
    expect(await m.fs.setxattr(ino, b("other.x"), b("v"), 0, rootCtx)).toBe(Errno.ENOTSUP);
    expect(await m.fs.setxattr(ino, b("user."), b("v"), 0, rootCtx)).toBe(Errno.ENOTSUP);
    expect(await m.fs.setxattr(ino, b("system.posix_acl_access"), b("v"), 0, rootCtx)).toBe(
      Errno.ENOTSUP,
    );
    expect(await m.fs.setxattr(ino, b("user.x"), b("v"), 4, rootCtx)).toBe(Errno.EINVAL);
  });

  test("rights: user.* needs write access; trusted.* is root only and hidden from others", async () => {
    const m = await mount();
    mounts.track(m.fs);
    const fs = m.fs;
    const ino = await writeFile(fs, root, "f", "x");
    ok(await fs.setattr(ino, { mode: 0o644 }, rootCtx));
    await fs.setxattr(ino, b("trusted.t"), b("T"), 0, rootCtx);
    await fs.setxattr(ino, b("user.u"), b("U"), 0, rootCtx);
    expect(await fs.setxattr(ino, b("user.u"), b("no"), 0, alice)).toBe(Errno.EACCES);
    expect(await fs.setxattr(ino, b("trusted.x"), b("no"), 0, alice)).toBe(Errno.EPERM);
    expect(text(ok(await fs.getxattr(ino, b("user.u"), alice)))).toBe("U");
    expect(await fs.getxattr(ino, b("trusted.t"), alice)).toBe(Errno.ENODATA);
    expect(ok(await fs.listxattr(ino, alice)).map(text)).toEqual(["user.u"]);
    const link = ok(await fs.symlink(root, b("l"), b("f"), rootCtx)).attr.ino;
    expect(await fs.setxattr(link, b("user.u"), b("v"), 0, rootCtx)).toBe(Errno.EPERM);
  });

  test("deleting a file deletes its xattr record", async () => {
    const m = await mount();
    mounts.track(m.fs);
    const ino = await writeFile(m.fs, root, "f", "x");
    await m.fs.setxattr(ino, b("user.a"), b("1"), 0, rootCtx);
    await m.fs.syncfs();
    expect(await m.meta.exists(xattrsKey(ino))).toBe(true);
    await m.fs.unlink(root, b("f"), rootCtx);
    await m.fs.syncfs();
    expect(await m.meta.exists(xattrsKey(ino))).toBe(false);
    expect(await m.meta.exists(inodeKey(ino))).toBe(false);
  });
});
