/**
 * The unprivileged road: `qss mount --memory` run as `nobody` mounts through fusermount3 (the
 * fd comes back over a socketpair with SCM_RIGHTS), serves, and unmounts with `qss umount` or
 * on SIGTERM. Debian keeps /dev/fuse at 0666; this machine has 0600, so the test opens it up
 * for its duration and restores the mode.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { spawnSync } from "node:child_process";
import { chmodSync, chownSync, mkdirSync, mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { findMount } from "../../src/fuse/mount-table.ts";
import { sysUmount2, UmountFlags } from "../../src/platform/libc.ts";
import { cliPath } from "./server-process.ts";

const nobody = 65534;
const asNobody = ["setpriv", `--reuid=${nobody}`, `--regid=${nobody}`, "--clear-groups"];
let deviceMode = 0;
let root = "";

function shellAsNobody(script: string): { status: number | null; stdout: string } {
  const r = spawnSync("sh", ["-c", script], { uid: nobody, gid: nobody });
  return { status: r.status, stdout: String(r.stdout) };
}

async function startAsNobody(mountDir: string) {
  const child = Bun.spawn(
    [...asNobody, "env", `HOME=${root}`, process.execPath, cliPath, "mount", "--memory", mountDir],
    {
      stdout: "pipe",
      stderr: "pipe",
    },
  );
  const deadline = Date.now() + 15_000;
  while (findMount(mountDir) === undefined && Date.now() < deadline && child.exitCode === null) {
    await Bun.sleep(50);
  }
  if (findMount(mountDir) === undefined) {
    child.kill("SIGKILL");
    throw new Error(`mount as nobody failed: ${await new Response(child.stderr).text()}`);
  }
  return child;
}

async function exitCodeWithin(
  child: { exited: Promise<number> },
  ms: number,
): Promise<number | string> {
  return Promise.race([child.exited, Bun.sleep(ms).then(() => "timeout")]);
}

function freshMountDir(name: string): string {
  const dir = join(root, name);
  mkdirSync(dir);
  chownSync(dir, nobody, nobody);
  return dir;
}

beforeAll(() => {
  deviceMode = statSync("/dev/fuse").mode & 0o777;
  chmodSync("/dev/fuse", 0o666);
  root = mkdtempSync(join(tmpdir(), "qss-fusermount-"));
  chmodSync(root, 0o755);
});

afterAll(() => {
  chmodSync("/dev/fuse", deviceMode);
  for (const name of ["a", "b"]) {
    const dir = join(root, name);
    if (findMount(dir) !== undefined) sysUmount2(dir, UmountFlags.DETACH);
  }
  rmSync(root, { recursive: true, force: true });
});

describe("non-root mount through fusermount3", () => {
  test("mount, use and qss umount as nobody", async () => {
    const mountDir = freshMountDir("a");
    const child = await startAsNobody(mountDir);
    try {
      const info = findMount(mountDir);
      expect(info?.fsType).toBe("fuse.qss");
      const used = shellAsNobody(
        `echo hello > ${mountDir}/f && cat ${mountDir}/f && stat -c %u ${mountDir}/f`,
      );
      expect(used.status).toBe(0);
      expect(used.stdout).toBe(`hello\n${nobody}\n`);
      let code: string | undefined;
      try {
        statSync(join(mountDir, "f"));
      } catch (error) {
        code = (error as { code?: string }).code;
      }
      expect(code).toBe("EACCES"); // not even root gets in without allow_other
      const umount = spawnSync(process.execPath, [cliPath, "umount", mountDir], {
        uid: nobody,
        gid: nobody,
        env: { ...process.env, HOME: root },
      });
      expect(umount.status).toBe(0);
      expect(await exitCodeWithin(child, 10_000)).toBe(0);
      expect(findMount(mountDir)).toBeUndefined();
    } finally {
      if (child.exitCode === null) child.kill("SIGKILL");
    }
  }, 30_000);

  test("SIGTERM unmounts a non-root mount through fusermount3", async () => {
    const mountDir = freshMountDir("b");
    const child = await startAsNobody(mountDir);
    try {
      expect(shellAsNobody(`touch ${mountDir}/x`).status).toBe(0);
      child.kill("SIGTERM");
      expect(await exitCodeWithin(child, 10_000)).toBe(0);
      expect(findMount(mountDir)).toBeUndefined();
    } finally {
      if (child.exitCode === null) child.kill("SIGKILL");
    }
  }, 30_000);
});
