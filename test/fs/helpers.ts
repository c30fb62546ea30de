/** Shared helpers for the 0-db filesystem tests: a mounted fs over memory namespaces. */
import { afterEach } from "bun:test";
import { join } from "node:path";
import { Errno, type RequestContext } from "../../src/fs/operations.ts";
import type { ZdbFsOptions } from "../../src/fs/zdbfs/options.ts";
import { ZdbFs } from "../../src/fs/zdbfs/zdbfs.ts";
import { type Engine, openEngine } from "../../src/zdb/engine.ts";
import { removeDir, tempDir } from "../zdb/helpers.ts";
import { MemoryNamespace } from "./memory-namespace.ts";

export const root = 1;
const encoder = new TextEncoder();
export const b = (text: string): Uint8Array => encoder.encode(text);
export const text = (bytes: Uint8Array): string => new TextDecoder().decode(bytes);

export function ctxOf(uid = 0, gid = 0): RequestContext {
  return { uid, gid, pid: 1, signal: new AbortController().signal };
}
export const rootCtx = ctxOf();

export interface Mounted {
  fs: ZdbFs;
  meta: MemoryNamespace;
  data: MemoryNamespace;
}

export async function mount(
  options: Partial<ZdbFsOptions> = {},
  meta = new MemoryNamespace("meta"),
  data = new MemoryNamespace("data"),
): Promise<Mounted> {
  const fs = new ZdbFs({ meta, data, flushIntervalMs: 60_000, ...options });
  await fs.init();
  return { fs, meta, data };
}

/**
 * Tracks the filesystems a test file mounts and destroys them after each test. `forget()` drops
 * them without destroying (a test simulating a crash leaves its mount behind on purpose).
 */
export function mountTracker() {
  const mounted: ZdbFs[] = [];
  afterEach(async () => {
    for (const fs of mounted.splice(0)) await fs.destroy().catch(() => {});
  });
  return {
    track<T extends ZdbFs>(fs: T): T {
      mounted.push(fs);
      return fs;
    },
    forget(): void {
      mounted.length = 0;
    },
    /** A new filesystem over fresh memory namespaces, destroyed after the test. */
    async fresh(options: Partial<ZdbFsOptions> = {}): Promise<Mounted> {
      const m = await mount(options);
      mounted.push(m.fs);
      return m;
    },
  };
}

/** Unwrap a result that must not be an errno. */
export function ok<T>(value: T | number): T {
  if (typeof value === "number") throw new Error(`unexpected errno ${value}`);
  return value;
}

export async function mkdirP(fs: ZdbFs, parent: number, name: string, ctx = rootCtx) {
  return ok(await fs.mkdir(parent, b(name), 0o755, 0, ctx)).attr.ino;
}

/** Create, write `content`, release; returns the inode. */
export async function writeFile(
  fs: ZdbFs,
  parent: number,
  name: string,
  content: Uint8Array | string,
  ctx = rootCtx,
): Promise<number> {
  const created = ok(await fs.create(parent, b(name), 0o644, 2, 0, ctx));
  const data = typeof content === "string" ? b(content) : content;
  if (data.length > 0) {
    const written = await fs.write(created.entry.attr.ino, created.open.fh, 0, data, 0, ctx);
    if (written !== data.length) throw new Error(`short write ${written}`);
  }
  const released = await fs.release(created.entry.attr.ino, created.open.fh, 0, ctx);
  if (released !== 0) throw new Error(`release failed: ${released}`);
  return created.entry.attr.ino;
}

export async function readAll(fs: ZdbFs, ino: number, ctx = rootCtx): Promise<Uint8Array> {
  const handle = ok(await fs.open(ino, 0, ctx));
  const size = ok(await fs.getattr(ino, undefined, ctx)).attr.size;
  const data = ok(await fs.read(ino, handle.fh, 0, size + 1, ctx));
  await fs.release(ino, handle.fh, 0, ctx);
  return data;
}

export async function lookupIno(fs: ZdbFs, parent: number, name: string, ctx = rootCtx) {
  const entry = await fs.lookup(parent, b(name), ctx);
  return typeof entry === "number" ? -entry : entry.attr.ino;
}

export async function listNames(fs: ZdbFs, dir: number): Promise<string[]> {
  const names: string[] = [];
  let offset = 0;
  for (let round = 0; round < 100_000; round++) {
    const entries = ok(await fs.readdir(dir, 0, offset, 4096, rootCtx));
    if (entries.length === 0) return names;
    for (const e of entries) names.push(text(e.name));
    offset = entries.at(-1)?.offset ?? offset;
  }
  throw new Error("readdir did not end");
}

export { Errno };

/**
 * Embedded engines in temp directories, for tests that need the real engine under the
 * filesystem; closed and removed after each test. Call after `mountTracker()` (the mounts on
 * them go first).
 */
export function engineTracker() {
  const opened: { engine: Engine; dir: string }[] = [];
  afterEach(async () => {
    for (const { engine, dir } of opened.splice(0)) {
      await engine.close();
      removeDir(dir);
    }
  });
  return {
    /** A new engine and its namespace "data". */
    async open(prefix: string) {
      const dir = tempDir(prefix);
      const engine = await openEngine({ dataDir: join(dir, "data"), indexDir: join(dir, "index") });
      opened.push({ engine, dir });
      return { dir, engine, data: engine.create("data") };
    },
  };
}
