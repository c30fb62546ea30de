import { describe, expect, test } from "bun:test";
import {
  b,
  Errno,
  listNames,
  lookupIno,
  mkdirP,
  mount,
  mountTracker,
  ok,
  readAll,
  root,
  rootCtx,
  text,
  writeFile,
} from "./helpers.ts";

const mounts = mountTracker();
const fresh = () => mounts.fresh();

describe("zdbfs basics", () => {
  test("root is a directory owned by the configured owner", async () => {
    const { fs } = await fresh();
    const attr = ok(await fs.getattr(root, undefined, rootCtx)).attr;
    expect(attr.mode & 0o170000).toBe(0o040000);
    expect(attr.nlink).toBe(2);
    expect(attr.ino).toBe(1);
  });

  test("create, write, read back, and survive remount", async () => {
    const { fs, meta, data } = await fresh();
    const ino = await writeFile(fs, root, "hello.txt", "hello world");
    expect(text(await readAll(fs, ino))).toBe("hello world");
    await fs.destroy();
    mounts.forget();
    const again = await mount({}, meta, data);
    mounts.track(again.fs);
    const found = await lookupIno(again.fs, root, "hello.txt");
    expect(found).toBe(ino);
    expect(text(await readAll(again.fs, found))).toBe("hello world");
  });

  test("mkdir, lookup errors, readdir lists . .. and entries", async () => {
    const { fs } = await fresh();
    const dir = await mkdirP(fs, root, "d");
    await writeFile(fs, dir, "a", "1");
    await writeFile(fs, dir, "b", "2");
    expect(await lookupIno(fs, root, "missing")).toBe(-Errno.ENOENT);
    expect(await fs.mkdir(root, b("d"), 0o755, 0, rootCtx)).toBe(Errno.EEXIST);
    expect((await listNames(fs, dir)).sort()).toEqual([".", "..", "a", "b"]);
    expect(ok(await fs.getattr(root, undefined, rootCtx)).attr.nlink).toBe(3);
    expect(await fs.lookup(root, b("x".repeat(256)), rootCtx)).toBe(Errno.ENAMETOOLONG);
    const fileIno = await lookupIno(fs, dir, "a");
    expect(await fs.lookup(fileIno, b("x"), rootCtx)).toBe(Errno.ENOTDIR);
  });
});
