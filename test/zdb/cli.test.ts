import { afterAll, expect, test } from "bun:test";
import { readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import Redis from "ioredis";
import { removeDir, tempDir, zdbCommand } from "./helpers.ts";

const dir = tempDir("qss-zdb-cli-");
const port = 20_000 + Math.floor(Math.random() * 10_000);
let child: ReturnType<typeof Bun.spawn> | null = null;

afterAll(async () => {
  if (child) {
    child.kill("SIGKILL");
    await child.exited;
  }
  removeDir(dir);
});

async function start(): Promise<{ line: string; proc: ReturnType<typeof Bun.spawn> }> {
  const args = ["--listen", "127.0.0.1", "--port", String(port), "--datasize", "512K"];
  const proc = Bun.spawn(zdbCommand(dir, [...args, "--rotate", "1"]), {
    stdout: "pipe",
    stderr: "inherit",
  });
  child = proc;
  const reader = (proc.stdout as ReadableStream<Uint8Array>).getReader();
  let text = "";
  const deadline = Date.now() + 10_000;
  while (!text.includes("\n") && Date.now() < deadline) {
    const { value, done } = await reader.read();
    if (done) break;
    text += new TextDecoder().decode(value);
  }
  reader.releaseLock();
  return { line: text.split("\n")[0] ?? "", proc };
}

async function stop(proc: ReturnType<typeof Bun.spawn>): Promise<number> {
  proc.kill("SIGTERM");
  const code = await proc.exited;
  child = null;
  return code;
}

test("qss zdb: safe admin default, rotation by size and by time, clean restart", async () => {
  const first = await start();
  expect(first.line).toContain(`listening on tcp://127.0.0.1:${port}`);
  const secretPath = join(dir, "index", "zdb-admin-secret");
  expect(first.line).toContain(`generated admin secret, stored 0600 in ${secretPath}`);
  expect(statSync(secretPath).mode & 0o777).toBe(0o600);
  const secret = /^([0-9a-f]{32})\n$/.exec(readFileSync(secretPath, "utf8"))?.[1];
  expect(secret).toBeDefined();
  expect(first.line).not.toContain(secret as string);
  const redis = new Redis({ port, host: "127.0.0.1", protocol: 2, lazyConnect: true });
  try {
    await redis.connect();
    await expect(redis.call("NSNEW", ["x"])).rejects.toThrow("Permission denied");
    expect(await redis.call("AUTH", [secret as string])).toBe("OK");
    expect(await redis.call("NSNEW", ["x"])).toBe("OK");
    await redis.call("SELECT", ["x"]);
    const value = Buffer.alloc(200_000, 1);
    for (let i = 0; i < 5; i++) await redis.call("SET", [`k${i}`, value]);
    const currentId = async () =>
      Number(/data_current_id: (\d+)/.exec((await redis.call("NSINFO", ["x"])) as string)?.[1]);
    const afterSize = await currentId();
    expect(afterSize).toBeGreaterThanOrEqual(2);
    await redis.call("SET", ["small", "v"]);
    await new Promise((resolve) => setTimeout(resolve, 2200));
    expect(await currentId()).toBeGreaterThan(afterSize);
  } finally {
    redis.disconnect();
  }
  expect(await stop(first.proc)).toBe(0);

  const second = await start();
  expect(second.line).toContain(`admin secret in ${secretPath}`);
  expect(second.line).not.toContain(secret as string);
  const again = new Redis({ port, host: "127.0.0.1", protocol: 2, lazyConnect: true });
  try {
    await again.connect();
    await again.call("SELECT", ["x"]);
    expect((await again.getBuffer("k3"))?.length).toBe(200_000);
    expect(await again.get("small")).toBe("v");
  } finally {
    again.disconnect();
  }
  expect(await stop(second.proc)).toBe(0);
}, 30_000);
