/**
 * Start `qss mount` (from source, on this Bun) as a child process, wait until the kernel shows
 * the mount, and stop it again. Shared by the filesystem tests and benchmarks, which must never
 * serve a mount from the process that uses it (its own sync calls would deadlock).
 */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { findMount } from "../../src/fuse/mount-table.ts";
import { sysUmount2, UmountFlags } from "../../src/platform/libc.ts";

export const repoRoot = resolve(import.meta.dir, "..", "..");
const mountWaitMs = 30_000;

export interface QssMount {
  mountpoint: string;
  process: ReturnType<typeof Bun.spawn>;
  output(): string;
  /** SIGTERM (clean unmount), then wait; SIGKILL and a lazy unmount if it does not go. */
  stop(): Promise<number>;
  /** SIGKILL without unmounting, as a crash would; the caller clears the dead mount. */
  kill(): Promise<void>;
}

export function isMounted(mountpoint: string): boolean {
  return findMount(resolve(mountpoint)) !== undefined;
}

/** `env`: variables added to this process's environment for the mount (passwords). */
export async function startQssMount(
  mountpoint: string,
  args: string[] = [],
  env: Record<string, string> = {},
): Promise<QssMount> {
  const child = Bun.spawn(
    [process.execPath, `${repoRoot}/src/cli/main.ts`, "mount", mountpoint, ...args],
    {
      stdout: "pipe",
      stderr: "pipe",
      cwd: repoRoot,
      env: { ...process.env, ...env },
    },
  );
  let text = "";
  void collect(child.stdout, (chunk) => {
    text += chunk;
  });
  void collect(child.stderr, (chunk) => {
    text += chunk;
  });
  const deadline = Date.now() + mountWaitMs;
  while (!isMounted(mountpoint)) {
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill("SIGKILL");
      await child.exited;
      throw new Error(`qss mount ${mountpoint} did not come up: ${text}`);
    }
    await Bun.sleep(20);
  }
  return {
    mountpoint,
    process: child,
    output: () => text,
    async stop() {
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 20_000);
      const code = await child.exited;
      clearTimeout(timer);
      if (isMounted(mountpoint)) lazyUnmount(mountpoint);
      return code;
    },
    async kill() {
      child.kill("SIGKILL");
      await child.exited;
    },
  };
}

export function lazyUnmount(mountpoint: string): void {
  sysUmount2(resolve(mountpoint), UmountFlags.DETACH);
}

async function collect(
  stream: ReadableStream<Uint8Array>,
  sink: (chunk: string) => void,
): Promise<void> {
  const decoder = new TextDecoder();
  for await (const chunk of stream) sink(decoder.decode(chunk, { stream: true }));
}

/** Peak resident set (VmHWM) of a live process, in bytes. */
export function peakRssBytes(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const match = /VmHWM:\s+(\d+) kB/.exec(status);
  return match ? Number(match[1]) * 1024 : 0;
}
