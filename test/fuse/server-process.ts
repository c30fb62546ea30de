/**
 * Starts `qss mount` in a child process (the filesystem must never be served by the process
 * that uses the mount synchronously) and stops it: qss umount, then a lazy umount2 and a kill
 * if it does not exit in time.
 */

import { chmodSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Subprocess, spawn } from "bun";
import { findMount } from "../../src/fuse/mount-table.ts";
import { sysUmount2, UmountFlags } from "../../src/platform/libc.ts";

export const repoRoot = new URL("../../", import.meta.url).pathname;
export const cliPath = join(repoRoot, "src/cli/main.ts");
const startTimeoutMs = 15_000;
const stopTimeoutMs = 10_000;

export interface ServerProcess {
  root: string;
  mountDir: string;
  process: Subprocess<"ignore", "pipe", "pipe">;
  output: () => string;
  stop(): Promise<void>;
}

export function makeMountDir(): { root: string; mountDir: string } {
  const root = mkdtempSync(join(tmpdir(), "qss-fuse-"));
  chmodSync(root, 0o755);
  const mountDir = join(root, "mnt");
  mkdirSync(mountDir);
  return { root, mountDir };
}

async function waitFor(check: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (check()) return true;
    await Bun.sleep(25);
  }
  return check();
}

export function spawnServer(mountDir: string, extraArgs: string[] = []) {
  return spawn([process.execPath, cliPath, "mount", ...extraArgs, mountDir], {
    // Explicitly the current environment: Bun.spawn may not see later process.env changes.
    env: { ...process.env },
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
  });
}

/** Collects a stream into a string as it arrives. */
function collect(stream: ReadableStream<Uint8Array>, into: { text: string }): void {
  const decoder = new TextDecoder();
  (async () => {
    for await (const chunk of stream) into.text += decoder.decode(chunk);
  })().catch(() => {});
}

export async function startServer(
  extraArgs: string[] = ["--memory", "--allow-other"],
  dirs = makeMountDir(),
): Promise<ServerProcess> {
  const child = spawnServer(dirs.mountDir, extraArgs);
  const out = { text: "" };
  collect(child.stdout, out);
  collect(child.stderr, out);
  const ok = await waitFor(
    () => out.text.includes("mounted at") || child.exitCode !== null || child.signalCode !== null,
    startTimeoutMs,
  );
  if (!ok || child.exitCode !== null) {
    child.kill("SIGKILL");
    await child.exited;
    // The directories are the server's from here on, as `stop` removes them: so on failure too.
    rmSync(dirs.root, { recursive: true, force: true });
    throw new Error(`qss mount did not start: ${out.text}`);
  }
  const stop = async (): Promise<void> => {
    await stopServer(dirs.mountDir, child);
    rmSync(dirs.root, { recursive: true, force: true });
  };
  return { ...dirs, process: child, output: () => out.text, stop };
}

export async function stopServer(mountDir: string, child: Subprocess): Promise<void> {
  if (findMount(mountDir) !== undefined) {
    Bun.spawnSync([process.execPath, cliPath, "umount", mountDir]);
  }
  const timeout = Bun.sleep(stopTimeoutMs).then(() => "timeout" as const);
  if ((await Promise.race([child.exited, timeout])) === "timeout") child.kill("SIGKILL");
  if (findMount(mountDir) !== undefined) sysUmount2(mountDir, UmountFlags.DETACH);
}
