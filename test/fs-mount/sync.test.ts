/**
 * `qss sync <mount>`: what syncfs would do. With a flush interval far away, files written
 * without fsync are durable after `qss sync` and survive kill -9 of qss.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  isMounted,
  lazyUnmount,
  type QssMount,
  startQssMount,
} from "../../scripts/lib/qss-process.ts";
import { runQss } from "../helpers/run.ts";

let work = "";
let mountpoint = "";
let mount: QssMount | undefined;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "qss-sync-"));
  mountpoint = join(work, "mnt");
  await mkdir(mountpoint);
  await mkdir(join(work, "state"));
});

afterAll(async () => {
  await mount?.stop();
  if (isMounted(mountpoint)) lazyUnmount(mountpoint);
  await rm(work, { recursive: true, force: true });
});

test("files written without fsync survive kill -9 once qss sync returned", async () => {
  const args = ["--state", join(work, "state"), "--flush-interval", "3600"];
  mount = await startQssMount(mountpoint, args);
  const names = Array.from({ length: 20 }, (_, index) => `file-${index}`);
  for (const name of names)
    await writeFile(join(mountpoint, name), `contents of ${name}\n`.repeat(1000));
  const synced = runQss(["sync", mountpoint]);
  expect(synced.stderr).toBe("");
  expect(synced.exitCode).toBe(0);
  await mount.kill();
  lazyUnmount(mountpoint);
  mount = await startQssMount(mountpoint, args);
  for (const name of names) {
    expect(await readFile(join(mountpoint, name), "utf8")).toBe(
      `contents of ${name}\n`.repeat(1000),
    );
  }
}, 60_000);

test("qss sync of a path that does not exist fails clearly", () => {
  const result = runQss(["sync", join(work, "no-such-path")]);
  expect(result.exitCode).toBe(1);
  expect(result.stderr).toContain("qss sync: cannot sync");
});
