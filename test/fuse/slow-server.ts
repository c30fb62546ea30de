/**
 * A test server: the memory filesystem, except that reading a file named "slow" takes
 * `slowMs` unless the kernel interrupts the request (then EINTR at once). Run as its own
 * process: `bun test/fuse/slow-server.ts <mountDir> <slowMs>`; prints "mounted at" when ready
 * and serves until unmounted.
 */
import { MemoryFileSystem } from "../../src/fs/memory/memory-fs.ts";
import type { RequestContext, Result } from "../../src/fs/operations.ts";
import { serveFilesystem } from "../../src/fuse/serve.ts";

const [mountDir, slowMsText] = process.argv.slice(2);
const slowMs = Number(slowMsText ?? "5000");

class SlowReads extends MemoryFileSystem {
  readonly slowInodes = new Set<number>();

  override async lookup(parent: number, name: Uint8Array) {
    const entry = await super.lookup(parent, name);
    if (typeof entry !== "number" && new TextDecoder().decode(name) === "slow") {
      this.slowInodes.add(entry.attr.ino);
    }
    return entry;
  }

  override async create(
    parent: number,
    name: Uint8Array,
    mode: number,
    flags: number,
    umask: number,
    ctx: RequestContext,
  ) {
    const created = await super.create(parent, name, mode, flags, umask, ctx);
    if (typeof created !== "number" && new TextDecoder().decode(name) === "slow") {
      this.slowInodes.add(created.entry.attr.ino);
    }
    return created;
  }

  /** Slow files bypass the kernel's page cache, so every read reaches the filesystem. */
  override async open(ino: number, flags: number) {
    const opened = await super.open(ino, flags);
    if (typeof opened === "number" || !this.slowInodes.has(ino)) return opened;
    return { ...opened, directIo: true, keepCache: false };
  }

  override async read(
    ino: number,
    fh: number,
    offset: number,
    size: number,
    ctx?: RequestContext,
  ): Result<Uint8Array> {
    if (this.slowInodes.has(ino) && ctx !== undefined) {
      const interrupted = await new Promise<boolean>((resolve) => {
        const timer = setTimeout(() => resolve(false), slowMs);
        ctx.signal.addEventListener("abort", () => {
          clearTimeout(timer);
          resolve(true);
        });
      });
      if (interrupted) {
        console.log("interrupted");
        return 4; // EINTR
      }
    }
    return super.read(ino, fh, offset, size);
  }
}

if (mountDir === undefined) throw new Error("usage: slow-server.ts <mountDir> <slowMs>");
const served = await serveFilesystem(new SlowReads(), { mountPoint: mountDir });
process.on("SIGTERM", () => void served.unmount());
console.log(`mounted at ${served.mountPoint}`);
await served.closed;
process.exit(0);
