import { afterEach, expect, test } from "bun:test";
import { chmodSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import Redis from "ioredis";
import { isQssError } from "../../src/base/errors.ts";
import { adminFromArgs, withoutAdminArgument } from "../../src/cli/zdb-admin.ts";
import { adminSecretFileName, resolveAdmin } from "../../src/zdb/daemon.ts";
import { removeDir, tempDir, zdbCommand } from "./helpers.ts";

const dirs: string[] = [];
const children: ReturnType<typeof Bun.spawn>[] = [];
afterEach(async () => {
  for (const child of children.splice(0)) {
    child.kill("SIGKILL");
    await child.exited;
  }
  for (const dir of dirs.splice(0)) removeDir(dir);
});

function freshDir(): string {
  const dir = tempDir("qss-zdb-admin-");
  dirs.push(dir);
  return dir;
}

test("a generated secret is stored 0600 and never appears in the logged origin", () => {
  const dir = freshDir();
  const admin = resolveAdmin(dir, null);
  const path = join(dir, adminSecretFileName);
  expect(statSync(path).mode & 0o777).toBe(0o600);
  expect(readFileSync(path, "utf8").trim()).toBe(admin.password);
  expect(admin.origin).toContain(path);
  expect(admin.origin).not.toContain(admin.password);
  expect(resolveAdmin(dir, null).password).toBe(admin.password);
});

test("a group- or world-readable stored secret is refused", () => {
  const dir = freshDir();
  resolveAdmin(dir, null);
  for (const mode of [0o640, 0o604, 0o660]) {
    chmodSync(join(dir, adminSecretFileName), mode);
    let caught: unknown = null;
    try {
      resolveAdmin(dir, null);
    } catch (error) {
      caught = error;
    }
    expect(isQssError(caught, "CONFIG_INVALID")).toBe(true);
    expect((caught as Error).message).toContain("chmod 600");
  }
});

test("admin password sources: file (checked), env, argv (warned), one at a time", () => {
  const dir = freshDir();
  const file = join(dir, "admin.txt");
  writeFileSync(file, "from-file\n", { mode: 0o600 });
  expect(adminFromArgs(undefined, file, {}).password).toBe("from-file");
  expect(adminFromArgs(undefined, undefined, { QSS_ZDB_ADMIN: "from-env" }).password).toBe(
    "from-env",
  );
  const argv = adminFromArgs("from-argv", undefined, {});
  expect(argv.password).toBe("from-argv");
  expect(argv.warning).toContain("ps");
  expect(argv.origin).not.toContain("from-argv");
  expect(() => adminFromArgs("a", undefined, { QSS_ZDB_ADMIN: "b" })).toThrow("one way only");
  chmodSync(file, 0o644);
  expect(() => adminFromArgs(undefined, file, {})).toThrow("chmod 600");
  expect(withoutAdminArgument(["zdb", "--admin", "s3", "--port", "1"])).toEqual({
    argv: ["zdb", "--port", "1"],
    admin: "s3",
  });
  expect(withoutAdminArgument(["--admin=s4"])).toEqual({ argv: [], admin: "s4" });
});

test("qss zdb --logfile: created 0600, holds no secret; QSS_ZDB_ADMIN works", async () => {
  const dir = freshDir();
  const logPath = join(dir, "zdb.log");
  const args = ["--listen", "127.0.0.1", "--port", "0", "--logfile", logPath];
  const proc = Bun.spawn(zdbCommand(dir, args), {
    stdout: "ignore",
    stderr: "ignore",
    env: { ...process.env, QSS_ZDB_ADMIN: "env-admin-9" },
  });
  children.push(proc);
  for (let i = 0; i < 200; i += 1) {
    try {
      if (readFileSync(logPath, "utf8").includes("listening")) break;
    } catch {
      // not written yet
    }
    await Bun.sleep(50);
  }
  expect(statSync(logPath).mode & 0o777).toBe(0o600);
  const log = readFileSync(logPath, "utf8");
  const port = Number(/listening on tcp:\/\/127\.0\.0\.1:(\d+)/.exec(log)?.[1]);
  expect(port).toBeGreaterThan(0);
  expect(log).toContain("admin password from QSS_ZDB_ADMIN");
  expect(log).not.toContain("env-admin-9");
  const redis = new Redis({ port, host: "127.0.0.1", protocol: 2, lazyConnect: true });
  try {
    await redis.connect();
    expect(await redis.call("AUTH", ["env-admin-9"])).toBe("OK");
  } finally {
    redis.disconnect();
  }
}, 20_000);
