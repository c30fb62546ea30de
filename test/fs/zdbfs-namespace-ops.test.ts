import { describe, expect, test } from "bun:test";
import {
  b,
  ctxOf,
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

describe("mknod, symlink, link", () => {
  test("mknod makes fifos, sockets and (as root) devices; rejects directories", async () => {
    const fs = await fresh();
    const fifo = ok(await fs.mknod(root, b("fifo"), 0o010644, 0, 0o022, rootCtx));
    expect(fifo.attr.mode).toBe(0o010644);
    const sock = ok(await fs.mknod(root, b("sock"), 0o140755, 0, 0o022, rootCtx));
    expect(sock.attr.mode).toBe(0o140755);
    const chr = ok(await fs.mknod(root, b("null"), 0o020666, 0x0103, 0, rootCtx));
    expect(chr.attr.rdev).toBe(0x0103);
    const blk = ok(await fs.mknod(root, b("blk"), 0o060600, 0x0801, 0, rootCtx));
    expect(blk.attr.mode & 0o170000).toBe(0o060000);
    expect(await fs.mknod(root, b("dir"), 0o040755, 0, 0, rootCtx)).toBe(Errno.EINVAL);
    ok(await fs.setattr(root, { mode: 0o777 }, rootCtx));
    expect(await fs.mknod(root, b("dev2"), 0o020666, 1, 0, ctxOf(1000, 1000))).toBe(Errno.EPERM);
    expect(await fs.mknod(root, b("fifo"), 0o010644, 0, 0, rootCtx)).toBe(Errno.EEXIST);
  });

  test("symlink and readlink; readlink of a file is EINVAL", async () => {
    const fs = await fresh();
    const target = b("../some/where/\xff");
    const link = ok(await fs.symlink(root, b("ln"), target, rootCtx));
    expect(link.attr.mode & 0o170000).toBe(0o120000);
    expect(link.attr.size).toBe(target.length);
    expect(ok(await fs.readlink(link.attr.ino, rootCtx))).toEqual(target);
    const file = await writeFile(fs, root, "f", "x");
    expect(await fs.readlink(file, rootCtx)).toBe(Errno.EINVAL);
    expect(await fs.symlink(root, b("long"), new Uint8Array(4096).fill(97), rootCtx)).toBe(
      Errno.ENAMETOOLONG,
    );
  });

  test("hard links share data and count names; directories cannot be linked", async () => {
    const fs = await fresh();
    const dir = await mkdirP(fs, root, "d");
    const ino = await writeFile(fs, root, "a", "shared");
    const linked = ok(await fs.link(ino, dir, b("b"), rootCtx));
    expect(linked.attr.ino).toBe(ino);
    expect(linked.attr.nlink).toBe(2);
    expect(text(await readAll(fs, await lookupIno(fs, dir, "b")))).toBe("shared");
    expect(await fs.link(dir, root, b("d2"), rootCtx)).toBe(Errno.EPERM);
    expect(await fs.link(ino, dir, b("b"), rootCtx)).toBe(Errno.EEXIST);
    expect(await fs.unlink(root, b("a"), rootCtx)).toBe(0);
    expect(ok(await fs.getattr(ino, undefined, rootCtx)).attr.nlink).toBe(1);
    expect(text(await readAll(fs, ino))).toBe("shared");
    expect(await fs.unlink(dir, b("b"), rootCtx)).toBe(0);
    expect(await fs.getattr(ino, undefined, rootCtx)).toBe(Errno.ENOENT);
  });
});

describe("unlink and rmdir", () => {
  test("error codes: ENOENT, EISDIR, ENOTDIR, ENOTEMPTY, EINVAL for '.'", async () => {
    const fs = await fresh();
    const dir = await mkdirP(fs, root, "d");
    await writeFile(fs, dir, "f", "1");
    expect(await fs.unlink(root, b("nope"), rootCtx)).toBe(Errno.ENOENT);
    expect(await fs.unlink(root, b("d"), rootCtx)).toBe(Errno.EISDIR);
    expect(await fs.rmdir(dir, b("f"), rootCtx)).toBe(Errno.ENOTDIR);
    expect(await fs.rmdir(root, b("d"), rootCtx)).toBe(Errno.ENOTEMPTY);
    expect(await fs.rmdir(dir, b("."), rootCtx)).toBe(Errno.EINVAL);
    expect(await fs.unlink(dir, b("f"), rootCtx)).toBe(0);
    expect(await fs.rmdir(root, b("d"), rootCtx)).toBe(0);
    expect(ok(await fs.getattr(root, undefined, rootCtx)).attr.nlink).toBe(2);
    expect(await fs.getattr(dir, undefined, rootCtx)).toBe(Errno.ENOENT);
    expect(await fs.mkdir(dir, b("x"), 0o755, 0, rootCtx)).toBe(Errno.ENOENT);
  });

  test("ENOTEMPTY holds when the only entry lives in the last of many pages", async () => {
    const fs = await fresh();
    const dir = await mkdirP(fs, root, "big");
    for (let i = 0; i < 2000; i++) ok(await fs.mknod(dir, b(`n${i}`), 0o100644, 0, 0, rootCtx));
    const names = await listNames(fs, dir);
    expect(names.length).toBe(2002);
    const last = names.at(-1) as string;
    for (const name of names.slice(2, -1)) expect(await fs.unlink(dir, b(name), rootCtx)).toBe(0);
    expect(await fs.rmdir(root, b("big"), rootCtx)).toBe(Errno.ENOTEMPTY);
    expect(await fs.unlink(dir, b(last), rootCtx)).toBe(0);
    expect(await fs.rmdir(root, b("big"), rootCtx)).toBe(0);
  });

  test("names are bytes: non-UTF-8 names round-trip; '/' and NUL are rejected", async () => {
    const fs = await fresh();
    const name = Uint8Array.of(0xff, 0xfe, 0x41);
    const entry = ok(await fs.mknod(root, name, 0o100644, 0, 0, rootCtx));
    expect(ok(await fs.lookup(root, name, rootCtx)).attr.ino).toBe(entry.attr.ino);
    const listed = ok(await fs.readdir(root, 0, 0, 4096, rootCtx));
    expect(listed.some((e) => Buffer.from(e.name).equals(Buffer.from(name)))).toBe(true);
    expect(await fs.mknod(root, b("a/b"), 0o100644, 0, 0, rootCtx)).toBe(Errno.EINVAL);
    expect(await fs.mkdir(root, b("x".repeat(256)), 0o755, 0, rootCtx)).toBe(Errno.ENAMETOOLONG);
    ok(await fs.mkdir(root, b("x".repeat(255)), 0o755, 0, rootCtx));
  });
});
