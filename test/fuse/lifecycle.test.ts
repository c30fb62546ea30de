/**
 * Mount lifecycle through `qss mount` in a child process: signals, unmount while busy,
 * stale mounts left by a killed server, refusing a second mount, read-only mounts.
 */
import { afterEach, describe, expect, test } from "bun:test";
import {
  closeSync,
  openSync,
  readFileSync,
  readSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { findMount } from "../../src/fuse/mount-table.ts";
import { cliPath, makeMountDir, type ServerProcess, startServer } from "./server-process.ts";

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()?.();
}, 30_000);

async function started(args?: string[], dirs = makeMountDir()): Promise<ServerProcess> {
  const server = await startServer(args, dirs);
  cleanups.push(server.stop);
  return server;
}

async function exitOf(server: ServerProcess, timeoutMs = 10_000): Promise<number | null> {
  const timer = Bun.sleep(timeoutMs).then(() => null);
  return Promise.race([server.process.exited, timer]);
}

describe("mount lifecycle", () => {
  test("SIGTERM unmounts and exits 0", async () => {
    const server = await started();
    writeFileSync(`${server.mountDir}/f`, "x");
    server.process.kill("SIGTERM");
    expect(await exitOf(server)).toBe(0);
    expect(findMount(server.mountDir)).toBeUndefined();
  }, 20_000);

  test("SIGINT unmounts and exits 0", async () => {
    const server = await started();
    server.process.kill("SIGINT");
    expect(await exitOf(server)).toBe(0);
    expect(findMount(server.mountDir)).toBeUndefined();
  }, 20_000);

  test("qss umount while busy detaches; the server exits when the last file closes", async () => {
    const server = await started();
    writeFileSync(`${server.mountDir}/held`, "held open");
    const fd = openSync(`${server.mountDir}/held`, "r");
    try {
      const result = Bun.spawnSync([process.execPath, cliPath, "umount", server.mountDir]);
      expect(result.exitCode).toBe(0);
      expect(String(result.stdout)).toContain("detached");
      expect(findMount(server.mountDir)).toBeUndefined();
      const buffer = Buffer.alloc(9);
      expect(readSync(fd, buffer, 0, 9, 0)).toBe(9);
      expect(buffer.toString()).toBe("held open");
      expect(server.process.exitCode).toBeNull();
    } finally {
      closeSync(fd);
    }
    expect(await exitOf(server)).toBe(0);
  }, 20_000);

  test("a killed server leaves a stale mount that the next mount clears", async () => {
    const dirs = makeMountDir();
    const first = await started(undefined, dirs);
    first.process.kill("SIGKILL");
    await first.process.exited;
    let code: string | undefined;
    try {
      statSync(dirs.mountDir);
    } catch (error) {
      code = (error as { code?: string }).code;
    }
    expect(code).toBe("ENOTCONN");
    const second = await startServer(undefined, dirs);
    cleanups.push(second.stop);
    writeFileSync(`${dirs.mountDir}/again`, "works");
    expect(statSync(`${dirs.mountDir}/again`).size).toBe(5);
  }, 30_000);

  test("a second mount on a live mount is refused", async () => {
    const server = await started();
    const result = Bun.spawnSync([process.execPath, cliPath, "mount", "--memory", server.mountDir]);
    expect(result.exitCode).not.toBe(0);
    expect(String(result.stderr)).toContain("already mounted");
    writeFileSync(`${server.mountDir}/still`, "served");
  }, 20_000);

  test("--read-only refuses writes with EROFS", async () => {
    const server = await started(["--memory", "--read-only"]);
    let code: string | undefined;
    try {
      writeFileSync(`${server.mountDir}/nope`, "x");
    } catch (error) {
      code = (error as { code?: string }).code;
    }
    expect(code).toBe("EROFS");
  }, 20_000);

  test("--max-read reaches the kernel, and reads still return whole files", async () => {
    const server = await started(["--memory", "--max-read", "16384"]);
    expect(readFileSync("/proc/self/mountinfo", "utf8")).toContain("max_read=16384");
    const data = Buffer.alloc(100_000, 7);
    writeFileSync(`${server.mountDir}/big`, data);
    expect(Buffer.compare(readFileSync(`${server.mountDir}/big`), data)).toBe(0);
  }, 20_000);

  test("mount with a bad option value is a usage error and mounts nothing", () => {
    const { root, mountDir } = makeMountDir();
    try {
      const state = `${root}/state`;
      const result = Bun.spawnSync([
        process.execPath,
        cliPath,
        "mount",
        mountDir,
        "--state",
        state,
        "--size",
        "lots",
      ]);
      expect(result.exitCode).toBe(2);
      expect(result.stderr.toString()).toContain('--size: cannot parse size "lots"');
      expect(findMount(mountDir)).toBeUndefined();
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});

describe("reader workers on cloned device fds (FUSE_DEV_IOC_CLONE)", () => {
  test("serves concurrent requests and unmounts", async () => {
    const server = await started(["--memory", "--read-mode", "workers", "--clone-device"]);
    const { writeFile, readFile } = await import("node:fs/promises");
    const names = Array.from({ length: 64 }, (_, i) => `${server.mountDir}/c${i}`);
    await Promise.all(names.map((name) => writeFile(name, name)));
    const back = await Promise.all(names.map((name) => readFile(name, "utf8")));
    expect(back).toEqual(names);
    server.process.kill("SIGTERM");
    expect(await exitOf(server)).toBe(0);
  }, 20_000);
});
