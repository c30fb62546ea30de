import { afterAll, beforeAll, expect, test } from "bun:test";
import { copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import Redis from "ioredis";
import { type RunningDaemon, startDaemon } from "../../src/zdb/daemon.ts";
import { fixtureDir, removeDir, seqKey, tempDir } from "./helpers.ts";

let dir: string;
let daemon: RunningDaemon | null = null;
let logPath: string;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Non-blocking hooks (jump-data runs once the closed files are synced) land when they land:
 *  wait for them instead of guessing a delay, so a loaded machine keeps the trace's order. */
async function waitForHookLines(prefix: string, count: number): Promise<void> {
  const deadline = Date.now() + 10_000;
  const lines = () =>
    readFileSync(logPath, "utf8")
      .split("\n")
      .filter((line) => line.startsWith(prefix)).length;
  while (lines() < count && Date.now() < deadline) await sleep(20);
}

beforeAll(() => {
  dir = tempDir("qss-zdb-hooks-");
  logPath = join(dir, "hook.log");
  mkdirSync(join(dir, "backup"));
  const script = join(dir, "hook.sh");
  // Logs argv like the reference trace; restores missing data files from backup/ after 1 s.
  writeFileSync(
    script,
    `#!/bin/sh
echo "$@" >> "${logPath}"
if [ "$1" = "missing-data" ]; then
  sleep 1
  cp "${dir}/backup/$(basename "$3")" "$3"
fi
exit 0
`,
    { mode: 0o755 },
  );
});

afterAll(async () => {
  await daemon?.stop();
  removeDir(dir);
});

test("rotation and hook calls match the reference trace; missing-data blocks only its request", async () => {
  daemon = await startDaemon({
    dataDir: join(dir, "hdata"),
    indexDir: join(dir, "hindex"),
    listen: "127.0.0.1",
    port: 0,
    dualnet: false,
    mode: "mixed",
    rotateSeconds: 0,
    hook: join(dir, "hook.sh"),
    adminPassword: "pw",
    protect: false,
    maxSizeBytes: 0,
    sync: false,
    syncTimeSeconds: 0,
    log: () => undefined,
  });
  const client = new Redis({
    port: daemon.port,
    host: "127.0.0.1",
    protocol: 2,
    lazyConnect: true,
  });
  const other = new Redis({ port: daemon.port, host: "127.0.0.1", protocol: 2, lazyConnect: true });
  try {
    await client.connect();
    await other.connect();
    await client.call("AUTH", ["pw"]);
    await client.call("NSNEW", ["n1"]);
    await client.call("NSSET", ["n1", "mode", "seq"]);
    await client.call("SELECT", ["n1"]);
    await other.call("SELECT", ["n1"]);
    await client.callBuffer("SET", ["", "first"]);
    await client.call("NSJUMP", []);
    await waitForHookLines("jump-data", 1);
    await sleep(50);
    await client.callBuffer("SET", ["", "second"]);
    await client.call("NSJUMP", []);
    await waitForHookLines("jump-data", 2);
    await sleep(50);
    const d0 = join(dir, "hdata", "n1", "d0");
    copyFileSync(d0, join(dir, "backup", "d0"));
    rmSync(d0);
    const started = Date.now();
    const slow = client.getBuffer(Buffer.from(seqKey(0)));
    // Another client, another file: answered while the hook still runs.
    const fast = await other.getBuffer(Buffer.from(seqKey(1)));
    const fastMs = Date.now() - started;
    expect(fast?.toString()).toBe("second");
    expect(fastMs).toBeLessThan(800);
    expect((await slow)?.toString()).toBe("first");
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
  } finally {
    client.disconnect();
    other.disconnect();
  }
  await daemon.stop();
  daemon = null;
  const ours = readFileSync(logPath, "utf8")
    .replaceAll(dir, "/tmp/x")
    .replace(/tcp:\/\/127\.0\.0\.1:\d+/g, "tcp://127.0.0.1:9912")
    .trimEnd()
    .split("\n");
  const reference = readFileSync(join(fixtureDir, "hook-trace.txt"), "utf8").trimEnd().split("\n");
  // namespace-closing runs are not blocking (as in the reference): their order is a race.
  const closing = (lines: string[]) => lines.filter((line) => line.startsWith("namespace-closing"));
  const ordered = (lines: string[]) =>
    lines.filter((line) => !line.startsWith("namespace-closing"));
  expect(ordered(ours)).toEqual(ordered(reference));
  expect(closing(ours).sort()).toEqual(closing(reference).sort());
  expect(ours.length).toBe(reference.length);
}, 20_000);
