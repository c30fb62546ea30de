import { describe, expect, test } from "bun:test";
import { formatFsckReport, fsck } from "../../src/fs/zdbfs/fsck.ts";
import { decodeInode, encodeInode } from "../../src/fs/zdbfs/inode-codec.ts";
import { blockKey, inodeKey } from "../../src/fs/zdbfs/keys.ts";
import { blockSizeBytes } from "../../src/fs/zdbfs/limits.ts";
import { b, mkdirP, mount, mountTracker, ok, root, rootCtx, writeFile } from "./helpers.ts";

const mounts = mountTracker();

/** A small synced tree: /d/{a,b}, /big (2 blocks), a symlink, a hard link. */
async function populated() {
  const m = await mount();
  mounts.track(m.fs);
  const d = await mkdirP(m.fs, root, "d");
  const a = await writeFile(m.fs, d, "a", "alpha");
  await writeFile(m.fs, d, "b", "beta");
  const big = await writeFile(m.fs, root, "big", new Uint8Array(200_000).fill(1));
  ok(await m.fs.symlink(root, b("ln"), b("d/a"), rootCtx));
  ok(await m.fs.link(a, root, b("a2"), rootCtx));
  await m.fs.syncfs();
  return { ...m, d, a, big };
}
const kinds = (report: Awaited<ReturnType<typeof fsck>>) =>
  report.problems.map((p) => p.kind).sort();

describe("fsck", () => {
  test("a consistent filesystem is clean, and fsck writes nothing", async () => {
    const { meta, data } = await populated();
    const writes = meta.log.length + data.log.length;
    const report = await fsck(meta, data);
    expect(report.problems).toEqual([]);
    expect(report.clean).toBe(true);
    expect(report.directories).toBe(2);
    expect(report.entries).toBe(6);
    expect(report.blocks).toBe(Math.ceil(200_000 / blockSizeBytes) + 2);
    expect(meta.log.length + data.log.length).toBe(writes);
  });

  test("reports a dangling entry when an inode record is missing", async () => {
    const { meta, data, d } = await populated();
    const victim = (await meta.get(inodeKey(d + 2))) === null ? d + 1 : d + 2;
    await meta.del(inodeKey(victim));
    const report = await fsck(meta, data);
    expect(kinds(report)).toContain("dangling-entry");
    expect(report.clean).toBe(false);
    const text = formatFsckReport(report);
    expect(text).toContain(`dangling-entry: inode ${d}`);
    expect(text.split("\n")[0]).toContain("problem(s)");
  });

  test("reports orphan inodes, orphan blocks and missing blocks", async () => {
    const { meta, data, big, a } = await populated();
    const record = decodeInode(a, (await meta.get(inodeKey(a))) as Uint8Array);
    await meta.set(inodeKey(9000), encodeInode({ ...record, ino: 9000, nlink: 1 }));
    await data.set(blockKey(9001, 0), b("lost"));
    await data.del(blockKey(big, 1));
    const report = await fsck(meta, data);
    expect(kinds(report)).toEqual([
      "block-count",
      "counter",
      "missing-block",
      "orphan-block",
      "orphan-inode",
    ]);
    expect(report.problems.find((p) => p.kind === "orphan-inode")?.ino).toBe(9000);
  });

  test("reports wrong link and entry counts", async () => {
    const { meta, data, d, a } = await populated();
    const dir = decodeInode(d, (await meta.get(inodeKey(d))) as Uint8Array);
    await meta.set(inodeKey(d), encodeInode({ ...dir, entryCount: 5, nlink: 3 }));
    const file = decodeInode(a, (await meta.get(inodeKey(a))) as Uint8Array);
    await meta.set(inodeKey(a), encodeInode({ ...file, nlink: 1 }));
    expect(kinds(await fsck(meta, data))).toEqual(["entry-count", "link-count", "link-count"]);
  });

  test("an unlinked-open file is a pending orphan, which is still clean", async () => {
    const m = await mount();
    mounts.track(m.fs);
    const created = ok(await m.fs.create(root, b("tmp"), 0o644, 2, 0, rootCtx));
    await m.fs.write(created.entry.attr.ino, created.open.fh, 0, b("x"), 0, rootCtx);
    await m.fs.unlink(root, b("tmp"), rootCtx);
    await m.fs.syncfs();
    const report = await fsck(m.meta, m.data);
    expect(kinds(report)).toEqual(["pending-orphan"]);
    expect(report.clean).toBe(true);
  });

  test("an empty namespace is reported as not a filesystem", async () => {
    const { MemoryNamespace } = await import("./memory-namespace.ts");
    const report = await fsck(new MemoryNamespace("m"), new MemoryNamespace("d"));
    expect(report.clean).toBe(false);
    expect(report.problems[0]?.detail).toContain("no superblock");
  });
});
