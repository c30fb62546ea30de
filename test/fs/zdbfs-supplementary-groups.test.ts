import { afterEach, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import type { RequestContext } from "../../src/fs/operations.ts";
import type { ZdbFs } from "../../src/fs/zdbfs/zdbfs.ts";
import { b, Errno, mkdirP, mount, ok, root, rootCtx } from "./helpers.ts";

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

/** A process running as uid/gid 1000 with the given supplementary groups; its context. */
async function caller(groups: number[], uid = 1000): Promise<RequestContext> {
  const child = Bun.spawn(
    ["setpriv", `--reuid=${uid}`, `--regid=${uid}`, `--groups=${groups.join(",")}`, "sleep", "30"],
    { stdout: "ignore", stderr: "ignore" },
  );
  cleanups.push(async () => {
    child.kill("SIGKILL");
    await child.exited;
  });
  // Wait for setpriv to have switched credentials and exec'd sleep.
  for (let i = 0; i < 200; i += 1) {
    const status = readFileSync(`/proc/${child.pid}/status`, "utf8");
    if (/^Name:\s+sleep$/m.test(status)) break;
    await Bun.sleep(10);
  }
  return { uid, gid: uid, pid: child.pid, signal: new AbortController().signal };
}

async function fresh(): Promise<ZdbFs> {
  const { fs } = await mount();
  cleanups.push(async () => {
    await fs.destroy().catch(() => undefined);
  });
  return fs;
}

test("a supplementary group grants what the kernel grants (g+w directory)", async () => {
  const fs = await fresh();
  const dir = await mkdirP(fs, root, "shared");
  ok(await fs.setattr(dir, { gid: 2000, mode: 0o40775 }, rootCtx));
  const member = await caller([2000]);
  const outsider = await caller([3000]);
  expect(typeof (await fs.create(dir, b("mine"), 0o644, 2, 0, member))).toBe("object");
  expect(await fs.create(dir, b("theirs"), 0o644, 2, 0, outsider)).toBe(Errno.EACCES);
  // A context whose pid runs as someone else: its groups are not trusted.
  const impostor = { ...member, uid: 1001, gid: 1001 };
  expect(await fs.create(dir, b("fake"), 0o644, 2, 0, impostor)).toBe(Errno.EACCES);
});

test("group bits apply to members even when other bits are wider (POSIX)", async () => {
  const fs = await fresh();
  const dir = await mkdirP(fs, root, "odd");
  ok(await fs.setattr(dir, { gid: 2000, mode: 0o40707 }, rootCtx));
  const member = await caller([2000]);
  const outsider = await caller([3000]);
  expect(await fs.create(dir, b("a"), 0o644, 2, 0, member)).toBe(Errno.EACCES);
  expect(typeof (await fs.create(dir, b("b"), 0o644, 2, 0, outsider))).toBe("object");
});
