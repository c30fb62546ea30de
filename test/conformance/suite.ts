/**
 * The POSIX conformance suite every qss filesystem must pass: a table of name → test(dir),
 * where `dir` is a fresh empty directory on the mounted filesystem. Tests use ordinary node:fs
 * calls, shell tools and a few raw syscalls (`syscalls.ts`); the filesystem must be served by
 * another process. Permission tests need a mount with allow_other + default_permissions.
 *
 * Run it against a filesystem with `registerConformanceSuite` (register.ts).
 */
import { expect } from "bun:test";
import { spawnSync } from "node:child_process";
import { closeSync, fstatSync, openSync, readSync, writeSync } from "node:fs";
import * as fs from "node:fs/promises";
import { join } from "node:path";
import * as sys from "./syscalls.ts";

export type ConformanceTest = (dir: string) => Promise<void>;

const GiB = 1024 ** 3;
const nobody = 65534;

async function expectErrno(promise: Promise<unknown>, code: string): Promise<void> {
  let caught: unknown;
  try {
    await promise;
  } catch (error) {
    caught = error;
  }
  expect((caught as { code?: string } | undefined)?.code).toBe(code);
}

function pattern(length: number, seed: number): Uint8Array {
  const bytes = new Uint8Array(length);
  for (let i = 0; i < length; i++) bytes[i] = (i * 31 + seed * 7) & 0xff;
  return bytes;
}

/** Runs a command as `nobody`; returns its exit status and stderr. */
function asNobody(command: string[]): { status: number | null; stderr: string } {
  const r = spawnSync(command[0] as string, command.slice(1), { uid: nobody, gid: nobody });
  return { status: r.status, stderr: String(r.stderr) };
}

export const conformanceSuite: Record<string, ConformanceTest> = {
  "create, write, read back": async (dir) => {
    const file = join(dir, "a.txt");
    await fs.writeFile(file, "hello world");
    expect(await fs.readFile(file, "utf8")).toBe("hello world");
    const stat = await fs.stat(file);
    expect(stat.size).toBe(11);
    expect(stat.isFile()).toBe(true);
  },

  "overwrite in place, truncate, append": async (dir) => {
    const file = join(dir, "b.bin");
    await fs.writeFile(file, pattern(100_000, 1));
    const handle = await fs.open(file, "r+");
    await handle.write(Buffer.from("XYZ"), 0, 3, 50_000);
    await handle.close();
    const read = await fs.readFile(file);
    const expected = pattern(100_000, 1);
    expected.set([0x58, 0x59, 0x5a], 50_000);
    expect(Buffer.compare(read, expected)).toBe(0);
    await fs.truncate(file, 10);
    expect((await fs.readFile(file)).length).toBe(10);
    await fs.truncate(file, 5000);
    const grown = await fs.readFile(file);
    expect(grown.length).toBe(5000);
    expect(grown.subarray(10).every((b) => b === 0)).toBe(true);
    await fs.appendFile(file, "tail");
    const appended = await fs.readFile(file);
    expect(appended.length).toBe(5004);
    expect(appended.subarray(5000).toString()).toBe("tail");
    await fs.writeFile(file, "short");
    expect(await fs.readFile(file, "utf8")).toBe("short");
  },

  "multi-megabyte file round trip": async (dir) => {
    const file = join(dir, "big.bin");
    const data = pattern(5 * 1024 * 1024 + 123, 9);
    await fs.writeFile(file, data);
    const back = await fs.readFile(file);
    expect(back.length).toBe(data.length);
    expect(Buffer.compare(back, data)).toBe(0);
  },

  "sparse file with SEEK_DATA and SEEK_HOLE": async (dir) => {
    const file = join(dir, "sparse");
    const writer = openSync(file, "w");
    writeSync(writer, Buffer.from("head"), 0, 4, 0);
    writeSync(writer, Buffer.from("tail"), 0, 4, 64 * 1024 * 1024);
    // Closing flushes a writeback cache: the filesystem then knows where the data is.
    closeSync(writer);
    const fd = openSync(file, "r");
    try {
      expect(sys.lseek(fd, 0, sys.SEEK_DATA)).toBe(0);
      const hole = sys.lseek(fd, 0, sys.SEEK_HOLE);
      expect(hole).toBeGreaterThan(0);
      expect(hole).toBeLessThan(64 * 1024 * 1024);
      const data = sys.lseek(fd, hole, sys.SEEK_DATA);
      expect(data).toBeGreaterThan(hole);
      expect(data).toBeLessThanOrEqual(64 * 1024 * 1024);
      expect(sys.lseek(fd, 64 * 1024 * 1024 + 4, sys.SEEK_DATA)).toBe(-6); // ENXIO
      const middle = Buffer.alloc(8);
      readSync(fd, middle, 0, 8, 32 * 1024 * 1024);
      expect(middle.every((b) => b === 0)).toBe(true);
    } finally {
      closeSync(fd);
    }
    const stat = await fs.stat(file);
    expect(stat.size).toBe(64 * 1024 * 1024 + 4);
    expect(stat.blocks * 512).toBeLessThan(16 * 1024 * 1024);
  },

  "offsets beyond 4 GiB": async (dir) => {
    const file = join(dir, "huge");
    const offset = 5 * GiB + 12345;
    const handle = await fs.open(file, "w+");
    await handle.write(Buffer.from("far away"), 0, 8, offset);
    await handle.write(Buffer.from("near"), 0, 4, 4 * GiB - 2);
    const back = Buffer.alloc(8);
    await handle.read(back, 0, 8, offset);
    expect(back.toString()).toBe("far away");
    const straddle = Buffer.alloc(4);
    await handle.read(straddle, 0, 4, 4 * GiB - 2);
    expect(straddle.toString()).toBe("near");
    await handle.close();
    expect((await fs.stat(file)).size).toBe(offset + 8);
    await fs.truncate(file, 4 * GiB + 1);
    expect((await fs.stat(file)).size).toBe(4 * GiB + 1);
  },

  "directory with 10,000 entries": async (dir) => {
    const count = 10_000;
    const names = Array.from({ length: count }, (_, i) => `entry-${i}`);
    const batch = 100;
    for (let i = 0; i < count; i += batch) {
      await Promise.all(names.slice(i, i + batch).map((n) => fs.writeFile(join(dir, n), n)));
    }
    const listed = await fs.readdir(dir);
    expect(listed.length).toBe(count);
    expect(new Set(listed)).toEqual(new Set(names));
    expect(await fs.readFile(join(dir, "entry-9999"), "utf8")).toBe("entry-9999");
    for (let i = 0; i < count; i += batch) {
      await Promise.all(names.slice(i, i + batch).map((n) => fs.unlink(join(dir, n))));
    }
    expect((await fs.readdir(dir)).length).toBe(0);
  },

  "mkdir, rmdir, nested directories, ENOTEMPTY": async (dir) => {
    await fs.mkdir(join(dir, "x/y/z"), { recursive: true });
    expect((await fs.stat(join(dir, "x/y"))).isDirectory()).toBe(true);
    expect((await fs.stat(join(dir, "x"))).nlink).toBe(3);
    await expectErrno(fs.rmdir(join(dir, "x")), "ENOTEMPTY");
    await expectErrno(fs.mkdir(join(dir, "x")), "EEXIST");
    await fs.rmdir(join(dir, "x/y/z"));
    await fs.rmdir(join(dir, "x/y"));
    await fs.rmdir(join(dir, "x"));
    await expectErrno(fs.stat(join(dir, "x")), "ENOENT");
    await fs.writeFile(join(dir, "f"), "");
    await expectErrno(fs.rmdir(join(dir, "f")), "ENOTDIR");
    await expectErrno(fs.unlink(join(dir, "nothing")), "ENOENT");
  },

  "rename: plain, overwrite, across directories, directory": async (dir) => {
    await fs.writeFile(join(dir, "a"), "A");
    await fs.writeFile(join(dir, "b"), "B");
    await fs.rename(join(dir, "a"), join(dir, "c"));
    await expectErrno(fs.stat(join(dir, "a")), "ENOENT");
    expect(await fs.readFile(join(dir, "c"), "utf8")).toBe("A");
    await fs.rename(join(dir, "c"), join(dir, "b"));
    expect(await fs.readFile(join(dir, "b"), "utf8")).toBe("A");
    expect((await fs.readdir(dir)).sort()).toEqual(["b"]);
    await fs.mkdir(join(dir, "d1"));
    await fs.mkdir(join(dir, "d2"));
    await fs.rename(join(dir, "b"), join(dir, "d1/b"));
    await fs.rename(join(dir, "d1"), join(dir, "d2/d1"));
    expect(await fs.readFile(join(dir, "d2/d1/b"), "utf8")).toBe("A");
    expect((await fs.stat(join(dir, "d2"))).nlink).toBe(3);
    await fs.mkdir(join(dir, "full"));
    await fs.writeFile(join(dir, "full/x"), "");
    await expectErrno(fs.rename(join(dir, "d2"), join(dir, "full")), "ENOTEMPTY");
    await expectErrno(fs.rename(join(dir, "d2"), join(dir, "d2/d1/inside")), "EINVAL");
  },

  "renameat2 NOREPLACE and EXCHANGE": async (dir) => {
    await fs.writeFile(join(dir, "one"), "1");
    await fs.writeFile(join(dir, "two"), "2");
    expect(sys.renameat2(join(dir, "one"), join(dir, "two"), sys.RENAME_NOREPLACE)).toBe(-17);
    expect(sys.renameat2(join(dir, "one"), join(dir, "three"), sys.RENAME_NOREPLACE)).toBe(0);
    expect(sys.renameat2(join(dir, "three"), join(dir, "two"), sys.RENAME_EXCHANGE)).toBe(0);
    expect(await fs.readFile(join(dir, "three"), "utf8")).toBe("2");
    expect(await fs.readFile(join(dir, "two"), "utf8")).toBe("1");
    expect(sys.renameat2(join(dir, "two"), join(dir, "none"), sys.RENAME_EXCHANGE)).toBe(-2);
    await fs.mkdir(join(dir, "dir"));
    expect(sys.renameat2(join(dir, "dir"), join(dir, "two"), sys.RENAME_EXCHANGE)).toBe(0);
    expect((await fs.stat(join(dir, "dir"))).isFile()).toBe(true);
    expect((await fs.stat(join(dir, "two"))).isDirectory()).toBe(true);
  },

  "hard links": async (dir) => {
    await fs.writeFile(join(dir, "orig"), "shared");
    await fs.link(join(dir, "orig"), join(dir, "alias"));
    const a = await fs.stat(join(dir, "orig"));
    const b = await fs.stat(join(dir, "alias"));
    expect(a.ino).toBe(b.ino);
    expect(a.nlink).toBe(2);
    await fs.appendFile(join(dir, "alias"), "!");
    expect(await fs.readFile(join(dir, "orig"), "utf8")).toBe("shared!");
    await fs.unlink(join(dir, "orig"));
    expect((await fs.stat(join(dir, "alias"))).nlink).toBe(1);
    expect(await fs.readFile(join(dir, "alias"), "utf8")).toBe("shared!");
    await fs.mkdir(join(dir, "d"));
    await expectErrno(fs.link(join(dir, "d"), join(dir, "d2")), "EPERM");
  },

  symlinks: async (dir) => {
    await fs.writeFile(join(dir, "target"), "pointed");
    await fs.symlink("target", join(dir, "link"));
    expect(await fs.readlink(join(dir, "link"))).toBe("target");
    expect((await fs.lstat(join(dir, "link"))).isSymbolicLink()).toBe(true);
    expect(await fs.readFile(join(dir, "link"), "utf8")).toBe("pointed");
    await fs.symlink("nowhere", join(dir, "dangling"));
    await expectErrno(fs.readFile(join(dir, "dangling")), "ENOENT");
    const long = "x/".repeat(1000);
    await fs.symlink(long, join(dir, "long"));
    expect(await fs.readlink(join(dir, "long"))).toBe(long);
  },

  "unlink while open keeps the data": async (dir) => {
    const file = join(dir, "ghost");
    await fs.writeFile(file, "still here");
    const handle = await fs.open(file, "r");
    await fs.unlink(file);
    await expectErrno(fs.stat(file), "ENOENT");
    const back = Buffer.alloc(10);
    await handle.read(back, 0, 10, 0);
    expect(back.toString()).toBe("still here");
    await handle.close();
  },

  "O_TMPFILE: unnamed until linkat, gone if never linked": async (dir) => {
    const data = new TextEncoder().encode("written before it had a name");
    const fd = sys.open(dir, sys.O_TMPFILE | sys.O_RDWR, 0o640);
    expect(fd).toBeGreaterThanOrEqual(0);
    try {
      expect(sys.write(fd, data)).toBe(data.length);
      const unnamed = fstatSync(fd);
      expect(unnamed.isFile()).toBe(true);
      expect(unnamed.nlink).toBe(0);
      expect(unnamed.mode & 0o777).toBe(0o640);
      expect(await fs.readdir(dir)).toEqual([]);
      const named = join(dir, "named");
      expect(sys.linkat(`/proc/self/fd/${fd}`, named, sys.AT_SYMLINK_FOLLOW)).toBe(0);
      const stat = await fs.stat(named);
      expect(stat.nlink).toBe(1);
      expect(stat.ino).toBe(unnamed.ino);
      expect(stat.size).toBe(data.length);
      expect(Buffer.compare(await fs.readFile(named), data)).toBe(0);
      expect(fstatSync(fd).nlink).toBe(1);
    } finally {
      expect(sys.close(fd)).toBe(0);
    }
    expect(await fs.readdir(dir)).toEqual(["named"]);
    expect(await fs.readFile(join(dir, "named"), "utf8")).toBe("written before it had a name");

    const second = sys.open(dir, sys.O_TMPFILE | sys.O_RDWR, 0o600);
    expect(second).toBeGreaterThanOrEqual(0);
    try {
      expect(sys.write(second, data)).toBe(data.length);
      expect(sys.linkatEmptyPath(second, join(dir, "second"))).toBe(0);
    } finally {
      expect(sys.close(second)).toBe(0);
    }
    expect(Buffer.compare(await fs.readFile(join(dir, "second")), data)).toBe(0);
    await fs.unlink(join(dir, "second"));

    await fs.mkdir(join(dir, "scratch"));
    const scratch = join(dir, "scratch");
    const lost = sys.open(scratch, sys.O_TMPFILE | sys.O_RDWR, 0o600);
    expect(lost).toBeGreaterThanOrEqual(0);
    expect(sys.write(lost, pattern(200_000, 5))).toBe(200_000);
    expect(sys.close(lost)).toBe(0);
    expect(await fs.readdir(scratch)).toEqual([]);
    await fs.rmdir(scratch);

    const exclusive = sys.open(dir, sys.O_TMPFILE | sys.O_RDWR | sys.O_EXCL, 0o600);
    expect(exclusive).toBeGreaterThanOrEqual(0);
    try {
      const to = join(dir, "never");
      expect(sys.linkat(`/proc/self/fd/${exclusive}`, to, sys.AT_SYMLINK_FOLLOW)).toBe(-2);
    } finally {
      expect(sys.close(exclusive)).toBe(0);
    }
    expect(await fs.readdir(dir)).toEqual(["named"]);
  },

  "chmod, chown, utimes": async (dir) => {
    const file = join(dir, "m");
    await fs.writeFile(file, "");
    await fs.chmod(file, 0o640);
    expect((await fs.stat(file)).mode & 0o7777).toBe(0o640);
    await fs.chown(file, 1234, 5678);
    const owned = await fs.stat(file);
    expect([owned.uid, owned.gid]).toEqual([1234, 5678]);
    await fs.utimes(file, 1_000_000, 2_000_000);
    const timed = await fs.stat(file);
    expect(Math.round(timed.atimeMs / 1000)).toBe(1_000_000);
    expect(Math.round(timed.mtimeMs / 1000)).toBe(2_000_000);
  },

  "extended attributes": async (dir) => {
    const file = join(dir, "x");
    await fs.writeFile(file, "");
    const value = new TextEncoder().encode("value-1");
    expect(sys.setxattr(file, "user.one", value)).toBe(0);
    expect(sys.setxattr(file, "user.two", new Uint8Array(0))).toBe(0);
    expect(new TextDecoder().decode(sys.getxattr(file, "user.one") as Uint8Array)).toBe("value-1");
    expect(sys.getxattrSized(file, "user.one", 3)).toBe(-34); // ERANGE
    expect((sys.listxattr(file) as string[]).sort()).toEqual(["user.one", "user.two"]);
    expect(sys.setxattr(file, "user.one", value, sys.XATTR_CREATE)).toBe(-17);
    expect(sys.setxattr(file, "user.new", value, sys.XATTR_REPLACE)).toBe(-61);
    expect(sys.removexattr(file, "user.one")).toBe(0);
    expect(sys.getxattr(file, "user.one")).toBe(-61); // ENODATA
    expect(sys.listxattr(file)).toEqual(["user.two"]);
  },

  "statfs and shell tools": async (dir) => {
    await fs.writeFile(join(dir, "f"), "abc\n");
    const stat = await fs.statfs(dir);
    expect(stat.blocks).toBeGreaterThan(0);
    expect(stat.bsize).toBeGreaterThan(0);
    const cp = spawnSync("cp", [join(dir, "f"), join(dir, "g")]);
    expect(cp.status).toBe(0);
    const ls = spawnSync("ls", ["-la", dir]);
    expect(String(ls.stdout)).toContain(" g\n");
    const sh = spawnSync("sh", ["-c", `cat ${dir}/f ${dir}/g | wc -l`]);
    expect(String(sh.stdout).trim()).toBe("2");
    expect(spawnSync("df", [dir]).status).toBe(0);
  },

  "concurrent readers and writers": async (dir) => {
    const writers = 8;
    const size = 512 * 1024;
    await Promise.all(
      Array.from({ length: writers }, (_, w) => fs.writeFile(join(dir, `w${w}`), pattern(size, w))),
    );
    const shared = join(dir, "shared");
    await fs.writeFile(shared, new Uint8Array(writers * 65536));
    const handle = await fs.open(shared, "r+");
    await Promise.all(
      Array.from({ length: writers }, (_, w) =>
        handle.write(pattern(65536, 100 + w), 0, 65536, w * 65536),
      ),
    );
    await handle.close();
    const reads = await Promise.all(
      Array.from({ length: writers * 2 }, (_, r) => fs.readFile(join(dir, `w${r % writers}`))),
    );
    reads.forEach((bytes, r) => {
      expect(Buffer.compare(bytes, pattern(size, r % writers))).toBe(0);
    });
    const whole = await fs.readFile(shared);
    for (let w = 0; w < writers; w++) {
      const part = whole.subarray(w * 65536, (w + 1) * 65536);
      expect(Buffer.compare(part, pattern(65536, 100 + w))).toBe(0);
    }
  },

  "copy_file_range and fallocate": async (dir) => {
    const data = pattern(300_000, 3);
    await fs.writeFile(join(dir, "src"), data);
    await fs.copyFile(join(dir, "src"), join(dir, "dst"));
    expect(Buffer.compare(await fs.readFile(join(dir, "dst")), data)).toBe(0);
    const r = spawnSync("fallocate", ["-l", "1048576", join(dir, "alloc")]);
    expect(r.status).toBe(0);
    expect((await fs.stat(join(dir, "alloc"))).size).toBe(1048576);
    const punch = spawnSync("fallocate", ["-p", "-o", "0", "-l", "4096", join(dir, "dst")]);
    expect(punch.status).toBe(0);
    const punched = await fs.readFile(join(dir, "dst"));
    expect(punched.length).toBe(300_000);
    expect(punched.subarray(0, 4096).every((b) => b === 0)).toBe(true);
    expect(punched[4096]).toBe(data[4096]);
  },

  "permissions as a non-root user (default_permissions)": async (dir) => {
    await fs.chmod(dir, 0o755);
    await fs.writeFile(join(dir, "secret"), "root only", { mode: 0o600 });
    await fs.chmod(join(dir, "secret"), 0o600);
    await fs.writeFile(join(dir, "public"), "everyone");
    await fs.chmod(join(dir, "public"), 0o644);
    await fs.mkdir(join(dir, "open"));
    await fs.chmod(join(dir, "open"), 0o777);
    const denied = asNobody(["cat", join(dir, "secret")]);
    expect(denied.status).not.toBe(0);
    expect(denied.stderr).toContain("Permission denied");
    expect(asNobody(["cat", join(dir, "public")]).status).toBe(0);
    const write = asNobody(["sh", "-c", `echo x >> ${join(dir, "public")}`]);
    expect(write.status).not.toBe(0);
    expect(asNobody(["touch", join(dir, "not-mine")]).status).not.toBe(0);
    expect(asNobody(["touch", join(dir, "open/mine")]).status).toBe(0);
    const mine = await fs.stat(join(dir, "open/mine"));
    expect(mine.uid).toBe(nobody);
    expect(asNobody(["rm", join(dir, "secret")]).status).not.toBe(0);
    await fs.writeFile(join(dir, "open/setuid"), "#!/bin/sh\n");
    await fs.chmod(join(dir, "open/setuid"), 0o6777);
    const append = asNobody(["sh", "-c", `echo x >> ${join(dir, "open/setuid")}`]);
    expect(append.status).toBe(0);
    expect((await fs.stat(join(dir, "open/setuid"))).mode & 0o7777).toBe(0o777);
    expect(await fs.readFile(join(dir, "secret"), "utf8")).toBe("root only");
  },
};
