/**
 * kill -9 of qss in the middle of a write storm: after a remount on the same state, every file
 * whose fsync returned is intact, and `qss fsck` finds the filesystem consistent.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { createHash } from "node:crypto";
import { mkdir, mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  isMounted,
  lazyUnmount,
  type QssMount,
  repoRoot,
  startQssMount,
} from "../../scripts/lib/qss-process.ts";
import { runQss } from "../helpers/run.ts";

let work = "";
let mountpoint = "";
let stateDir = "";
let mount: QssMount | undefined;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "qss-crash-"));
  mountpoint = join(work, "mnt");
  stateDir = join(work, "state");
  await mkdir(mountpoint);
  await mkdir(stateDir);
});

afterAll(async () => {
  await mount?.stop();
  if (isMounted(mountpoint)) lazyUnmount(mountpoint);
  await rm(work, { recursive: true, force: true });
});

/** The mount logs its recovery sweep (before mounting; stderr is read asynchronously). */
async function waitForOutput(started: QssMount, text: string): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!started.output().includes(text) && Date.now() < deadline) await Bun.sleep(20);
}

async function expectRecovered(started: QssMount): Promise<void> {
  await waitForOutput(started, "recovered after unclean shutdown");
  expect(started.output()).toMatch(/recovered after unclean shutdown: \d+ orphan blocks/);
  if (process.env.QSS_TEST_VERBOSE === "1") console.log(started.output());
}

async function verifyLog(logPath: string): Promise<number> {
  const lines = (await readFile(logPath, "utf8")).split("\n").filter((line) => line !== "");
  for (const line of lines) {
    const [name, sha] = line.split(" ");
    const data = await readFile(name ?? "");
    expect(`${name} ${createHash("sha256").update(data).digest("hex")}`).toBe(`${name} ${sha}`);
  }
  return lines.length;
}

test("every fsync'ed file survives kill -9 during a write storm", async () => {
  const logPath = join(work, "durable.log");
  let durableFiles = 0;
  for (let round = 1; round <= 3; round++) {
    mount = await startQssMount(mountpoint, ["--state", stateDir]);
    if (round > 1) {
      await expectRecovered(mount);
      durableFiles = await verifyLog(logPath);
    }
    const writer = Bun.spawn(
      [
        process.execPath,
        `${import.meta.dir}/storm-writer.ts`,
        join(mountpoint, `r${round}`),
        logPath,
        String(round),
      ],
      {
        stdout: "ignore",
        stderr: "ignore",
      },
    );
    await Bun.sleep(1500 + round * 500);
    await mount.kill();
    mount = undefined;
    writer.kill("SIGKILL");
    await writer.exited;
    lazyUnmount(mountpoint);
  }
  mount = await startQssMount(mountpoint, ["--state", stateDir]);
  await expectRecovered(mount);
  const finalCount = await verifyLog(logPath);
  expect(finalCount).toBeGreaterThan(durableFiles);
  expect(finalCount).toBeGreaterThan(10);
  await mount.stop();
  mount = undefined;
  const fsck = runQss(["fsck", "--state", stateDir], { cwd: repoRoot });
  expect(fsck.stdout + fsck.stderr).toContain("consistent");
  expect(fsck.exitCode).toBe(0);
  // A clean unmount: the next mount does not sweep.
  mount = await startQssMount(mountpoint, ["--state", stateDir]);
  await waitForOutput(mount, "qss: mounted at");
  expect(mount.output()).toContain("qss: mounted at");
  expect(mount.output()).not.toContain("recovered after unclean shutdown");
  expect(await mount.stop()).toBe(0);
  mount = undefined;
}, 180_000);
