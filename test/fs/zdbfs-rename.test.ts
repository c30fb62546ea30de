import { describe, expect, test } from "bun:test";
import { RenameFlags } from "../../src/fs/operations.ts";
import type { ZdbFs } from "../../src/fs/zdbfs/zdbfs.ts";
import {
  b,
  Errno,
  listNames,
  lookupIno,
  mkdirP,
  mountTracker,
  ok,
  readAll,
  root,
  rootCtx,
  text,
  writeFile,
} from "./helpers.ts";

const mounts = mountTracker();
const fresh = async () => (await mounts.fresh()).fs;
const nlinkOf = async (fs: ZdbFs, ino: number) =>
  ok(await fs.getattr(ino, undefined, rootCtx)).attr.nlink;

describe("rename", () => {
  test("moves a file within and across directories", async () => {
    const fs = await fresh();
    const d = await mkdirP(fs, root, "d");
    const ino = await writeFile(fs, root, "a", "A");
    expect(await fs.rename(root, b("a"), root, b("b"), 0, rootCtx)).toBe(0);
    expect(await lookupIno(fs, root, "a")).toBe(-Errno.ENOENT);
    expect(await fs.rename(root, b("b"), d, b("c"), 0, rootCtx)).toBe(0);
    expect(await lookupIno(fs, d, "c")).toBe(ino);
    expect(await fs.rename(root, b("zz"), d, b("c"), 0, rootCtx)).toBe(Errno.ENOENT);
  });

  test("replaces a file; the replaced inode is deleted", async () => {
    const fs = await fresh();
    const a = await writeFile(fs, root, "a", "A");
    const old = await writeFile(fs, root, "b", "B");
    expect(await fs.rename(root, b("a"), root, b("b"), 0, rootCtx)).toBe(0);
    expect(text(await readAll(fs, await lookupIno(fs, root, "b")))).toBe("A");
    expect(await lookupIno(fs, root, "b")).toBe(a);
    expect(await fs.getattr(old, undefined, rootCtx)).toBe(Errno.ENOENT);
    expect((await listNames(fs, root)).sort()).toEqual([".", "..", "b"]);
  });

  test("NOREPLACE refuses an existing target; EXCHANGE swaps and needs both", async () => {
    const fs = await fresh();
    const d = await mkdirP(fs, root, "d");
    const a = await writeFile(fs, root, "a", "A");
    const sub = await mkdirP(fs, d, "sub");
    expect(await fs.rename(root, b("a"), d, b("sub"), RenameFlags.NOREPLACE, rootCtx)).toBe(
      Errno.EEXIST,
    );
    expect(await fs.rename(root, b("a"), d, b("new"), RenameFlags.EXCHANGE, rootCtx)).toBe(
      Errno.ENOENT,
    );
    expect(await fs.rename(root, b("a"), d, b("x"), 3, rootCtx)).toBe(Errno.EINVAL);
    expect(await fs.rename(root, b("a"), d, b("sub"), RenameFlags.EXCHANGE, rootCtx)).toBe(0);
    expect(await lookupIno(fs, root, "a")).toBe(sub);
    expect(await lookupIno(fs, d, "sub")).toBe(a);
    expect(await nlinkOf(fs, root)).toBe(4);
    expect(await nlinkOf(fs, d)).toBe(2);
    expect(await lookupIno(fs, sub, "..")).toBe(root);
    expect(await fs.rename(root, b("a"), d, b("n2"), RenameFlags.NOREPLACE, rootCtx)).toBe(0);
    expect(await lookupIno(fs, sub, "..")).toBe(d);
  });

  test("directory rules: over empty dir ok, over non-empty ENOTEMPTY, dir/file mismatches", async () => {
    const fs = await fresh();
    const a = await mkdirP(fs, root, "a");
    await mkdirP(fs, root, "empty");
    const full = await mkdirP(fs, root, "full");
    await writeFile(fs, full, "x", "1");
    await writeFile(fs, root, "file", "f");
    expect(await fs.rename(root, b("a"), root, b("full"), 0, rootCtx)).toBe(Errno.ENOTEMPTY);
    expect(await fs.rename(root, b("a"), root, b("file"), 0, rootCtx)).toBe(Errno.ENOTDIR);
    expect(await fs.rename(root, b("file"), root, b("a"), 0, rootCtx)).toBe(Errno.EISDIR);
    expect(await fs.rename(root, b("a"), root, b("empty"), 0, rootCtx)).toBe(0);
    expect(await lookupIno(fs, root, "empty")).toBe(a);
    expect(await nlinkOf(fs, root)).toBe(4);
  });

  test("a directory cannot move into its own subtree (EINVAL)", async () => {
    const fs = await fresh();
    const top = await mkdirP(fs, root, "top");
    const mid = await mkdirP(fs, top, "mid");
    const low = await mkdirP(fs, mid, "low");
    expect(await fs.rename(root, b("top"), low, b("top"), 0, rootCtx)).toBe(Errno.EINVAL);
    expect(await fs.rename(root, b("top"), top, b("self"), 0, rootCtx)).toBe(Errno.EINVAL);
    expect(await fs.rename(top, b("mid"), root, b("mid"), 0, rootCtx)).toBe(0);
    expect(await fs.rename(root, b("top"), low, b("top"), 0, rootCtx)).toBe(0);
    expect(await lookupIno(fs, low, "top")).toBe(top);
    expect(await nlinkOf(fs, low)).toBe(3);
  });

  test("renaming a name onto another name of the same inode does nothing", async () => {
    const fs = await fresh();
    const ino = await writeFile(fs, root, "a", "A");
    ok(await fs.link(ino, root, b("b"), rootCtx));
    expect(await fs.rename(root, b("a"), root, b("b"), 0, rootCtx)).toBe(0);
    expect(await lookupIno(fs, root, "a")).toBe(ino);
    expect(await nlinkOf(fs, ino)).toBe(2);
  });

  test("concurrent renames and creates keep the tree consistent", async () => {
    const fs = await fresh();
    const dirs = await Promise.all(["p", "q", "r"].map((n) => mkdirP(fs, root, n)));
    await Promise.all(
      Array.from({ length: 60 }, (_, i) => writeFile(fs, dirs[i % 3] as number, `f${i}`, `${i}`)),
    );
    const moves = Array.from({ length: 60 }, (_, i) =>
      fs.rename(
        dirs[i % 3] as number,
        b(`f${i}`),
        dirs[(i + 1) % 3] as number,
        b(`g${i}`),
        0,
        rootCtx,
      ),
    );
    expect((await Promise.all(moves)).every((r) => r === 0)).toBe(true);
    let total = 0;
    for (const d of dirs) total += (await listNames(fs, d)).length - 2;
    expect(total).toBe(60);
  });
});
