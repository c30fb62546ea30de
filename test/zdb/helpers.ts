import { afterEach } from "bun:test";
import { chmodSync, cpSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type DaemonOptions, type RunningDaemon, startDaemon } from "../../src/zdb/daemon.ts";
import { type Engine, openEngine } from "../../src/zdb/engine.ts";

/** Files of the reference server (copied from shared/fixtures, so a clone anywhere has them). */
export const fixtureDir = new URL("./fixtures/0-db-2.0.7/", import.meta.url).pathname;

export function tempDir(prefix = "qss-zdb-"): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** A writable copy of the reference fixture (data/ and index/). */
export function fixtureCopy(): string {
  const dir = tempDir("qss-zdb-fixture-");
  try {
    cpSync(join(fixtureDir, "data"), join(dir, "data"), { recursive: true });
    cpSync(join(fixtureDir, "index"), join(dir, "index"), { recursive: true });
  } catch (error) {
    removeDir(dir); // a failed copy leaves nothing behind
    throw error;
  }
  chmodSync(dir, 0o700);
  for (const sub of ["data", "index"]) {
    Bun.spawnSync(["chmod", "-R", "u+w", join(dir, sub)]);
  }
  return dir;
}

/** The command line of `qss zdb` (from source) on `dir`'s data/ and index/, plus `args`. */
export function zdbCommand(dir: string, args: string[]): string[] {
  const main = new URL("../../src/cli/main.ts", import.meta.url).pathname;
  const paths = ["--data", join(dir, "data"), "--index", join(dir, "index")];
  return [process.execPath, main, "zdb", ...paths, ...args];
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

export interface PreparedEngine {
  dir: string;
  options: { dataDir: string; indexDir: string };
}

/**
 * Engine directories filled by `populate` and closed again, removed after each test of the
 * calling file: the starting point of tests that damage files and reopen.
 */
export function engineDirs(prefix: string) {
  const dirs: string[] = [];
  afterEach(() => {
    for (const dir of dirs.splice(0)) removeDir(dir);
  });
  return async (populate: (engine: Engine) => Promise<void>): Promise<PreparedEngine> => {
    const dir = tempDir(prefix);
    dirs.push(dir);
    const options = { dataDir: join(dir, "data"), indexDir: join(dir, "index") };
    const engine = await openEngine(options);
    try {
      await populate(engine);
    } finally {
      await engine.close();
    }
    return { dir, options };
  };
}

export async function startTestServer(
  dir: string,
  extra: Partial<DaemonOptions> = {},
): Promise<RunningDaemon> {
  return startDaemon({
    dataDir: join(dir, "data"),
    indexDir: join(dir, "index"),
    listen: "127.0.0.1",
    port: 0,
    dualnet: false,
    mode: "mixed",
    rotateSeconds: 0,
    hook: null,
    adminPassword: "admin-test",
    protect: false,
    maxSizeBytes: 0,
    sync: false,
    syncTimeSeconds: 0,
    log: () => undefined,
    ...extra,
  });
}

export const utf8 = (text: string) => new TextEncoder().encode(text);
export const str = (bytes: Uint8Array | null) =>
  bytes === null ? null : new TextDecoder().decode(bytes);
export const seqKey = (id: number) => {
  const key = new Uint8Array(8);
  new DataView(key.buffer).setBigUint64(0, BigInt(id), true);
  return key;
};
