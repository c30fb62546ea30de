/**
 * A slow request does not hold up others, and FUSE_INTERRUPT reaches the filesystem: a reader
 * killed by a signal while its read is stuck gets its request aborted (EINTR) at once.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readFile, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { makeMountDir, repoRoot, stopServer } from "./server-process.ts";

const slowMs = 1500;
const dirs = makeMountDir();
let server: ReturnType<typeof Bun.spawn> | undefined;
let output = "";

beforeAll(async () => {
  server = Bun.spawn(
    [process.execPath, join(repoRoot, "test/fuse/slow-server.ts"), dirs.mountDir, String(slowMs)],
    { stdout: "pipe", stderr: "inherit" },
  );
  const reader = (server.stdout as ReadableStream<Uint8Array>).getReader();
  const decoder = new TextDecoder();
  (async () => {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      output += decoder.decode(value);
    }
  })();
  const deadline = Date.now() + 15_000;
  while (!output.includes("mounted at") && Date.now() < deadline) await Bun.sleep(25);
  if (!output.includes("mounted at")) throw new Error("slow server did not mount");
  await writeFile(join(dirs.mountDir, "slow"), "slow data");
  await writeFile(join(dirs.mountDir, "fast"), "fast data");
}, 20_000);

afterAll(async () => {
  if (server !== undefined) await stopServer(dirs.mountDir, server);
  const { rmSync } = await import("node:fs");
  rmSync(dirs.root, { recursive: true, force: true });
}, 20_000);

describe("concurrency", () => {
  test("fast requests are served while a slow read is pending", async () => {
    const started = performance.now();
    const slow = readFile(join(dirs.mountDir, "slow"), "utf8");
    await Bun.sleep(100);
    const fastStarted = performance.now();
    for (let i = 0; i < 20; i++) {
      expect(await readFile(join(dirs.mountDir, "fast"), "utf8")).toBe("fast data");
      expect((await stat(join(dirs.mountDir, "fast"))).size).toBe(9);
    }
    expect(performance.now() - fastStarted).toBeLessThan(1500);
    expect(await slow).toBe("slow data");
    expect(performance.now() - started).toBeGreaterThanOrEqual(slowMs - 200);
  }, 20_000);

  test("a signal to the reader interrupts its stuck read", async () => {
    const reader = Bun.spawn(["cat", join(dirs.mountDir, "slow")], { stdout: "pipe" });
    await Bun.sleep(300);
    const signalled = performance.now();
    reader.kill("SIGINT");
    await reader.exited;
    expect(performance.now() - signalled).toBeLessThan(slowMs / 2);
    const deadline = Date.now() + 2000;
    while (!output.includes("interrupted") && Date.now() < deadline) await Bun.sleep(25);
    expect(output).toContain("interrupted");
  }, 20_000);
});
