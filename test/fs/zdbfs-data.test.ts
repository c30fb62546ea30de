import { describe, expect, test } from "bun:test";
import { Whence } from "../../src/fs/operations.ts";
import { blockSizeBytes } from "../../src/fs/zdbfs/limits.ts";
import type { ZdbFs } from "../../src/fs/zdbfs/zdbfs.ts";
import {
  b,
  Errno,
  lookupIno,
  mount,
  mountTracker,
  ok,
  readAll,
  root,
  rootCtx,
  text,
  writeFile,
} from "./helpers.ts";

const block = blockSizeBytes;
const mounts = mountTracker();
const fresh = (options = {}) => mounts.fresh(options);
function pattern(length: number, seed: number): Uint8Array {
  const out = new Uint8Array(length);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}
async function openRw(fs: ZdbFs, name: string, flags = 2) {
  const created = ok(await fs.create(root, b(name), 0o644, flags, 0, rootCtx));
  return { ino: created.entry.attr.ino, fh: created.open.fh };
}

describe("file data", () => {
  test("unaligned writes across blocks match a reference buffer, before and after remount", async () => {
    const { fs, meta, data } = await fresh({
      writebackBytesMax: 4 * block,
      readCacheBytesMax: 2 * block,
    });
    const { ino, fh } = await openRw(fs, "f");
    const reference = new Uint8Array(5 * block + 777);
    let seed = 7;
    for (let i = 0; i < 60; i++) {
      const offset = (seed * 7919 + i * 104729) % (reference.length - 1);
      const length = Math.min(reference.length - offset, 1 + ((seed * 31) % (block + 5000)));
      const chunk = pattern(length, seed++);
      reference.set(chunk, offset);
      expect(await fs.write(ino, fh, offset, chunk, 0, rootCtx)).toBe(length);
    }
    const tailWrite = pattern(777, 99);
    reference.set(tailWrite, reference.length - 777);
    await fs.write(ino, fh, reference.length - 777, tailWrite, 0, rootCtx);
    const mid = ok(await fs.read(ino, fh, block - 10, block + 20, rootCtx));
    expect(
      Buffer.from(mid).equals(Buffer.from(reference.subarray(block - 10, 2 * block + 10))),
    ).toBe(true);
    await fs.release(ino, fh, 0, rootCtx);
    expect(Buffer.from(await readAll(fs, ino)).equals(Buffer.from(reference))).toBe(true);
    await fs.destroy();
    mounts.forget();
    const again = await mount({}, meta, data);
    mounts.track(again.fs);
    expect(Buffer.from(await readAll(again.fs, ino)).equals(Buffer.from(reference))).toBe(true);
  });

  test("sparse 16 TiB file: holes read as zeros, st_blocks counts only data, EFBIG past the limit", async () => {
    const { fs, data } = await fresh({ capacityBytes: 2 ** 50 });
    const { ino, fh } = await openRw(fs, "sparse");
    const far = 2 ** 44 - 4;
    expect(await fs.write(ino, fh, far, b("tail"), 0, rootCtx)).toBe(4);
    expect(await fs.write(ino, fh, 2 ** 44 - 1, b("xx"), 0, rootCtx)).toBe(-Errno.EFBIG);
    const attr = ok(await fs.getattr(ino, undefined, rootCtx)).attr;
    expect(attr.size).toBe(2 ** 44);
    expect(attr.blocks).toBeLessThanOrEqual(block / 512);
    expect(text(ok(await fs.read(ino, fh, far, 100, rootCtx)))).toBe("tail");
    expect(await fs.read(ino, fh, 0, 2 ** 32, rootCtx)).toBe(Errno.EINVAL);
    const hole = ok(await fs.read(ino, fh, 2 ** 40, 4096, rootCtx));
    expect(hole.length).toBe(4096);
    expect(hole.every((x) => x === 0)).toBe(true);
    expect(await fs.lseek(ino, fh, 0, Whence.DATA, rootCtx)).toBe(Math.floor(far / block) * block);
    expect(await fs.lseek(ino, fh, 0, Whence.HOLE, rootCtx)).toBe(0);
    const started = Date.now();
    expect(await fs.fallocate(ino, fh, 0, 2 ** 43, 3, rootCtx)).toBe(0);
    ok(await fs.setattr(ino, { size: 2 ** 44 - 2 }, rootCtx));
    expect(Date.now() - started).toBeLessThan(20_000);
    expect(text(ok(await fs.read(ino, fh, far, 100, rootCtx)))).toBe("ta");
    await fs.release(ino, fh, 0, rootCtx);
    await fs.syncfs();
    expect((await data.stats()).entries).toBe(1);
    expect(await fs.unlink(root, b("sparse"), rootCtx)).toBe(0);
    await fs.syncfs();
    expect((await data.stats()).entries).toBe(0);
  });

  test("truncate shrinks (zeroing the tail) and extends with zeros", async () => {
    const { fs } = await fresh();
    const content = pattern(3 * block + 100, 3);
    const ino = await writeFile(fs, root, "t", content);
    ok(await fs.setattr(ino, { size: block + 10 }, rootCtx));
    ok(await fs.setattr(ino, { size: 3 * block }, rootCtx));
    const after = await readAll(fs, ino);
    expect(after.length).toBe(3 * block);
    expect(
      Buffer.from(after.subarray(0, block + 10)).equals(
        Buffer.from(content.subarray(0, block + 10)),
      ),
    ).toBe(true);
    expect(after.subarray(block + 10).every((x) => x === 0)).toBe(true);
    expect(ok(await fs.getattr(ino, undefined, rootCtx)).attr.blocks).toBe(2 * (block / 512));
  });

  test("O_TRUNC on open empties the file; O_APPEND handles write at the kernel's offsets", async () => {
    const { fs } = await fresh();
    const ino = await writeFile(fs, root, "a", "0123456789");
    const append = ok(await fs.open(ino, 1 | 0o2000, rootCtx));
    expect(await fs.write(ino, append.fh, 10, b("XY"), 0, rootCtx)).toBe(2);
    expect(await fs.write(ino, append.fh, 0, b("ab"), 0, rootCtx)).toBe(2);
    await fs.release(ino, append.fh, 0, rootCtx);
    expect(text(await readAll(fs, ino))).toBe("ab23456789XY");
    const trunc = ok(await fs.open(ino, 1 | 0o1000, rootCtx));
    await fs.release(ino, trunc.fh, 0, rootCtx);
    expect(ok(await fs.getattr(ino, undefined, rootCtx)).attr.size).toBe(0);
  });

  test("writes need a writable handle; reads through a write-only one work (writeback cache)", async () => {
    const { fs } = await fresh();
    const ino = await writeFile(fs, root, "a", "abc");
    const ro = ok(await fs.open(ino, 0, rootCtx));
    expect(await fs.write(ino, ro.fh, 0, b("x"), 0, rootCtx)).toBe(-Errno.EBADF);
    const wo = ok(await fs.open(ino, 1, rootCtx));
    expect(text(ok(await fs.read(ino, wo.fh, 0, 3, rootCtx)))).toBe("abc");
    expect(await fs.release(ino, 9999, 0, rootCtx)).toBe(Errno.EBADF);
  });

  test("fallocate: mode 0 extends, KEEP_SIZE keeps, PUNCH_HOLE frees blocks, others ENOTSUP", async () => {
    const { fs } = await fresh();
    const content = pattern(4 * block, 5);
    const ino = await writeFile(fs, root, "p", content);
    const h = ok(await fs.open(ino, 2, rootCtx));
    expect(await fs.fallocate(ino, h.fh, 0, 5 * block, 0, rootCtx)).toBe(0);
    expect(ok(await fs.getattr(ino, undefined, rootCtx)).attr.size).toBe(5 * block);
    expect(await fs.fallocate(ino, h.fh, 0, 9 * block, 1, rootCtx)).toBe(0);
    expect(ok(await fs.getattr(ino, undefined, rootCtx)).attr.size).toBe(5 * block);
    expect(await fs.fallocate(ino, h.fh, 100, 2 * block, 3, rootCtx)).toBe(0);
    const got = ok(await fs.read(ino, h.fh, 0, 4 * block, rootCtx));
    {
      const want = content.slice();
      want.fill(0, 100, 100 + 2 * block);
      expect(Buffer.from(got).equals(Buffer.from(want))).toBe(true);
    }
    expect(ok(await fs.getattr(ino, undefined, rootCtx)).attr.blocks).toBe(3 * (block / 512));
    expect(await fs.lseek(ino, h.fh, block, Whence.DATA, rootCtx)).toBe(2 * block);
    expect(await fs.lseek(ino, h.fh, 0, Whence.HOLE, rootCtx)).toBe(block);
    expect(await fs.lseek(ino, h.fh, 4 * block, Whence.DATA, rootCtx)).toBe(-6);
    expect(await fs.lseek(ino, h.fh, 9 * block, Whence.HOLE, rootCtx)).toBe(-6);
    expect(await fs.lseek(ino, h.fh, 3 * block, Whence.HOLE, rootCtx)).toBe(4 * block);
    expect(await fs.fallocate(ino, h.fh, 0, block, 2, rootCtx)).toBe(Errno.ENOTSUP);
    expect(await fs.fallocate(ino, h.fh, 0, block, 0x10, rootCtx)).toBe(Errno.ENOTSUP);
    expect(await fs.fallocate(ino, h.fh, 0, 0, 0, rootCtx)).toBe(Errno.EINVAL);
  });

  test("copy_file_range copies, stops at EOF, refuses overlap in one file", async () => {
    const { fs } = await fresh();
    const content = pattern(2 * block + 5, 9);
    const src = await writeFile(fs, root, "src", content);
    const dst = await openRw(fs, "dst");
    const sh = ok(await fs.open(src, 2, rootCtx));
    expect(await fs.copyFileRange(src, sh.fh, 10, dst.ino, dst.fh, 0, 10 * block, 0, rootCtx)).toBe(
      content.length - 10,
    );
    expect(Buffer.from(await readAll(fs, dst.ino)).equals(Buffer.from(content.subarray(10)))).toBe(
      true,
    );
    expect(await fs.copyFileRange(src, sh.fh, 0, src, sh.fh, 5, 10, 0, rootCtx)).toBe(
      -Errno.EINVAL,
    );
    expect(await fs.copyFileRange(src, sh.fh, 0, dst.ino, dst.fh, 0, 10, 1, rootCtx)).toBe(
      -Errno.EINVAL,
    );
  });

  test("capacity is enforced (ENOSPC) and reported by statfs", async () => {
    const { fs } = await fresh({ capacityBytes: 4 * block });
    const { ino, fh } = await openRw(fs, "big");
    expect(await fs.write(ino, fh, 0, new Uint8Array(4 * block), 0, rootCtx)).toBe(4 * block);
    expect(await fs.write(ino, fh, 4 * block, b("x"), 0, rootCtx)).toBe(-Errno.ENOSPC);
    const st = ok(await fs.statfs(root, rootCtx));
    expect(st.blocks * st.fragmentSize).toBe(4 * block);
    expect(st.blocksFree).toBe(0);
    expect(st.nameLengthMax).toBe(255);
  });

  test("unlink while open keeps data until the last release", async () => {
    const { fs, data } = await fresh();
    const { ino, fh } = await openRw(fs, "victim");
    await fs.write(ino, fh, 0, pattern(block + 3, 1), 0, rootCtx);
    await fs.syncfs();
    expect(await fs.unlink(root, b("victim"), rootCtx)).toBe(0);
    expect(await lookupIno(fs, root, "victim")).toBe(-Errno.ENOENT);
    await fs.syncfs();
    const stillThere = ok(await fs.read(ino, fh, 0, block + 3, rootCtx));
    expect(Buffer.from(stillThere).equals(Buffer.from(pattern(block + 3, 1)))).toBe(true);
    expect(await fs.write(ino, fh, 0, b("more"), 0, rootCtx)).toBe(4);
    expect(ok(await fs.getattr(ino, fh, rootCtx)).attr.nlink).toBe(0);
    await fs.release(ino, fh, 0, rootCtx);
    await fs.syncfs();
    expect(await fs.getattr(ino, undefined, rootCtx)).toBe(Errno.ENOENT);
    expect((await data.stats()).entries).toBe(0);
  });

  test("an unlinked-open file left by a crash is deleted at the next mount", async () => {
    const { fs, meta, data } = await fresh();
    const { ino, fh } = await openRw(fs, "ghost");
    await fs.write(ino, fh, 0, pattern(1000, 2), 0, rootCtx);
    await fs.unlink(root, b("ghost"), rootCtx);
    await fs.syncfs();
    // crash: no release, no destroy; the lock of the dead mount is taken over as stale.
    mounts.forget();
    const again = await mount({ lockStaleMs: -1 }, meta, data);
    mounts.track(again.fs);
    expect(again.fs.orphansCleaned).toBe(1);
    expect(await again.fs.getattr(ino, undefined, rootCtx)).toBe(Errno.ENOENT);
    await again.fs.syncfs();
    expect((await data.stats()).entries).toBe(0);
  });

  test("O_TMPFILE: a nameless file that can be linked in, or vanishes on release", async () => {
    const { fs } = await fresh();
    const tmp = ok(await fs.tmpfile(root, 0o600, 2, 0, rootCtx));
    const ino = tmp.entry.attr.ino;
    expect(tmp.entry.attr.nlink).toBe(0);
    await fs.write(ino, tmp.open.fh, 0, b("staged"), 0, rootCtx);
    ok(await fs.link(ino, root, b("published"), rootCtx));
    await fs.release(ino, tmp.open.fh, 0, rootCtx);
    expect(text(await readAll(fs, await lookupIno(fs, root, "published")))).toBe("staged");
    const gone = ok(await fs.tmpfile(root, 0o600, 2, 0, rootCtx));
    await fs.release(gone.entry.attr.ino, gone.open.fh, 0, rootCtx);
    expect(await fs.getattr(gone.entry.attr.ino, undefined, rootCtx)).toBe(Errno.ENOENT);
    expect(await fs.link(gone.entry.attr.ino, root, b("late"), rootCtx)).toBe(Errno.ENOENT);
  });

  test("sequential reads prefetch the next blocks into the read cache", async () => {
    const { fs, data } = await fresh({ readaheadBlocks: 4 });
    const ino = await writeFile(fs, root, "seq", pattern(8 * block, 4));
    await fs.syncfs();
    const fresh2 = await mount(
      { readaheadBlocks: 4, lockStaleMs: -1 },
      fs.core.meta as never,
      data,
    );
    mounts.track(fresh2.fs);
    const h = ok(await fresh2.fs.open(ino, 0, rootCtx));
    const fetched: number[] = [];
    const getInto = data.getInto.bind(data);
    data.getInto = async (key, target) => {
      fetched.push(new DataView(key.buffer, key.byteOffset).getUint32(9));
      return getInto(key, target);
    };
    await fresh2.fs.read(ino, h.fh, 0, block, rootCtx);
    await fresh2.fs.read(ino, h.fh, block, block, rootCtx);
    await new Promise((r) => setTimeout(r, 20));
    expect(fetched.slice(0, 2)).toEqual([0, 1]);
    expect(fetched).toContain(5);
    fetched.length = 0;
    for (let i = 2; i < 6; i++) {
      const got = ok(await fresh2.fs.read(ino, h.fh, i * block, block, rootCtx));
      expect(
        Buffer.from(got).equals(
          Buffer.from(pattern(8 * block, 4).subarray(i * block, (i + 1) * block)),
        ),
      ).toBe(true);
    }
    expect(fetched.filter((i) => i < 6)).toEqual([]);
  });
});
