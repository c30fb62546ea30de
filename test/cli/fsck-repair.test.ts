/**
 * `qss fsck --repair` on an embedded-engine state directory: it removes what a crash leaked,
 * keeps the files, then reports the filesystem consistent; it refuses while a live mount holds
 * the mount lock.
 */
import { afterAll, beforeAll, beforeEach, expect, test } from "bun:test";
import { mkdtemp, rm } from "node:fs/promises";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { blockKey, inodeKey, lockKey } from "../../src/fs/zdbfs/keys.ts";
import { openStorage } from "../../src/fs/zdbfs/open.ts";
import { ZdbFs } from "../../src/fs/zdbfs/zdbfs.ts";
import { runQss } from "../helpers/run.ts";

let work = "";
let stateDir = "";
const ctx = { uid: 0, gid: 0, pid: 1, signal: new AbortController().signal };
const content = new TextEncoder().encode("kept across the repair");

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "qss-fsck-repair-"));
});
beforeEach(async () => {
  stateDir = await mkdtemp(join(work, "state-"));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

/** A filesystem with one file, cleanly unmounted, then a leaked block and inode injected. */
async function prepare(): Promise<number> {
  const storage = await openStorage({ stateDir });
  try {
    const fs = new ZdbFs({ meta: storage.meta, data: storage.data });
    await fs.init();
    const created = await fs.create(1, new TextEncoder().encode("file"), 0o644, 2, 0, ctx);
    if (typeof created === "number") throw new Error(`create: ${created}`);
    const ino = created.entry.attr.ino;
    await fs.write(ino, created.open.fh, 0, content, 0, ctx);
    await fs.release(ino, created.open.fh, 0, ctx);
    await fs.destroy();
    await storage.data.set(blockKey(ino + 500, 0), new TextEncoder().encode("leaked"));
    const inode = (await storage.meta.get(inodeKey(ino))) as Uint8Array;
    await storage.meta.set(inodeKey(ino + 501), inode);
    return ino;
  } finally {
    await storage.close();
  }
}

test("fsck --repair removes leaked blocks and inodes, keeps files, then is consistent", async () => {
  const ino = await prepare();
  const before = runQss(["fsck", "--state", stateDir]);
  expect(before.exitCode).toBe(1);
  expect(before.stdout).toContain(`orphan-block inode ${ino + 500}`);
  expect(before.stdout).toContain(`orphan-inode inode ${ino + 501}`);
  const json = runQss(["fsck", "--json", "--state", stateDir]);
  const report = JSON.parse(json.stdout.split("\n")[0] ?? "") as {
    problems: { kind: string; fix?: { op: string; meta?: string[]; data?: string[] } }[];
  };
  const leaked = report.problems.find((p) => p.kind === "orphan-block");
  expect(leaked?.fix).toEqual({
    op: "delete",
    meta: [],
    data: [`62${(ino + 500).toString(16).padStart(16, "0")}00000000`],
  });
  const repaired = runQss(["fsck", "--repair", "--state", stateDir]);
  expect(repaired.stdout).toMatch(/repaired: 1 orphan blocks, 1 orphan inodes removed/);
  expect(repaired.stdout).toContain("consistent");
  expect(repaired.exitCode).toBe(0);
  const storage = await openStorage({ stateDir });
  try {
    expect(await storage.data.get(blockKey(ino, 0))).toEqual(content);
    expect(await storage.meta.get(inodeKey(ino + 501))).toBeNull();
    expect(await storage.meta.get(lockKey())).toBeNull();
  } finally {
    await storage.close();
  }
}, 60_000);

test("fsck --repair refuses while a live mount holds the lock, and changes nothing", async () => {
  const ino = await prepare();
  const storage = await openStorage({ stateDir });
  const lock = { owner: "live", host: hostname(), pid: process.pid, heartbeatMs: Date.now() };
  await storage.meta.set(lockKey(), new TextEncoder().encode(JSON.stringify(lock)));
  await storage.close();
  const refused = runQss(["fsck", "--repair", "--state", stateDir]);
  expect(refused.exitCode).toBe(1);
  expect(refused.stderr).toContain("already mounted");
  const check = runQss(["fsck", "--state", stateDir]);
  expect(check.stdout).toContain(`orphan-block inode ${ino + 500}`);
}, 60_000);
