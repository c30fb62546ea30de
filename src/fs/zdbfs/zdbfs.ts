/**
 * The 0-db filesystem: a `FileSystemOperations` over two user-mode namespaces (meta, data).
 * Each operation lives in an `ops-*.ts` family; this class wires them, turns an unexpected
 * failure (a namespace error) into EIO, runs the periodic flush and holds the mount lock.
 *
 * @example
 * const fs = new ZdbFs({ meta, data, capacityBytes: 2 ** 40 });
 * await fs.init();          // throws QssError UNAVAILABLE when mounted elsewhere
 * // … serve it through src/fuse …
 * await fs.destroy();       // flush, sync, release the lock
 */
import type {
  AttrReply,
  CreateReply,
  DirEntry,
  DirEntryPlus,
  Entry,
  FileSystemOperations,
  OpenReply,
  RequestContext,
  Result,
  SetattrChanges,
  StatfsReply,
} from "../operations.ts";
import { Errno } from "../operations.ts";
import { FsCore } from "./core.ts";
import { MountLock } from "./mount-lock.ts";
import { checkModes, openState } from "./mount-state.ts";
import * as Dir from "./ops-dir.ts";
import * as File from "./ops-file.ts";
import * as Names from "./ops-namespace.ts";
import * as Node from "./ops-node.ts";
import { rename } from "./ops-rename.ts";
import * as Xattr from "./ops-xattr.ts";
import { resolveOptions, type ZdbFsOptions } from "./options.ts";
import type { RecoverySummary } from "./recover.ts";

export class ZdbFs implements FileSystemOperations {
  readonly core: FsCore;
  readonly #lock: MountLock;
  #timer: ReturnType<typeof setInterval> | null = null;
  #flushing = false;
  #opened = false;
  /** Errors of background flushes (kept for diagnostics; the next flush retries). */
  lastFlushError: unknown = null;
  orphansCleaned = 0;
  /** The recovery sweep's summary when the previous mount ended uncleanly, else null. */
  recovery: RecoverySummary | null = null;

  constructor(options: ZdbFsOptions) {
    const resolved = resolveOptions(options);
    this.core = new FsCore(resolved);
    this.#lock = new MountLock(resolved.meta, {
      staleMs: resolved.lockStaleMs,
      owner: resolved.lockOwner,
      host: resolved.lockHost,
      pid: resolved.lockPid,
    });
  }

  /** Idempotent: `qss mount` opens the filesystem before mounting, the FUSE INIT asks again. */
  async init(): Promise<void> {
    if (this.#opened) return;
    checkModes(this.core);
    const previous = await this.#lock.acquire();
    this.core.beforeWrite = () => this.#lock.verify();
    try {
      const opened = await openState(this.core, previous !== null);
      this.orphansCleaned = opened.orphansCleaned;
      this.recovery = opened.recovery;
      this.#opened = true;
    } catch (error) {
      // After an unclean end, put the dead mount's record back: the next mount sweeps again.
      await this.#lock.release(previous ?? undefined).catch(() => {});
      throw error;
    }
    this.#timer = setInterval(
      () => void this.#backgroundFlush(),
      this.core.options.flushIntervalMs,
    );
    (this.#timer as { unref?: () => void }).unref?.();
  }

  async #backgroundFlush(): Promise<void> {
    if (this.#flushing) return;
    this.#flushing = true;
    try {
      await this.core.syncAll();
      this.lastFlushError = null;
    } catch (error) {
      this.lastFlushError = error;
    } finally {
      this.#flushing = false;
    }
  }

  /** Idempotent: the FUSE DESTROY and the closing of the mount may both call it. */
  async destroy(): Promise<void> {
    if (!this.#opened) return;
    this.#opened = false;
    if (this.#timer !== null) clearInterval(this.#timer);
    this.#timer = null;
    try {
      await this.core.syncAll();
    } catch (error) {
      // Not a clean end: keep the lock record so that the next mount runs the recovery sweep.
      this.#lock.abandon();
      throw error;
    }
    await this.#lock.release();
  }

  /**
   * Mutating operations wait for a flush when dirty state passes its bounds. If that flush
   * fails (the store refuses or is gone), the change is refused with EIO before it is made:
   * what cannot be stored is never acknowledged without limit.
   */
  async #mutating<T>(operation: () => Promise<T | number>): Promise<T | number> {
    if (this.core.needsFlush()) {
      try {
        await this.core.commit();
      } catch {
        return Errno.EIO;
      }
    }
    const result = await guard(operation);
    if (this.core.needsFlush()) await this.core.commit().catch(() => {});
    return result;
  }

  /** Background work while the server is idle (write-back, readahead); see FsCore.idle. */
  idle(): Promise<boolean> {
    return this.#opened ? this.core.idle() : Promise.resolve(false);
  }

  /** syncfs: everything written so far becomes durable. */
  syncfs(): Promise<number> {
    return guard(() => this.core.syncAll().then(() => 0));
  }

  lookup(parent: number, name: Uint8Array, ctx: RequestContext): Result<Entry> {
    return guard(() => Node.lookup(this.core, parent, name, ctx));
  }
  forget(_ino: number, _nlookup: number): void {}
  getattr(ino: number, _fh: number | undefined, _ctx: RequestContext): Result<AttrReply> {
    return guard(() => Node.getattr(this.core, ino));
  }
  setattr(ino: number, changes: SetattrChanges, ctx: RequestContext): Result<AttrReply> {
    return this.#mutating(() => Node.setattr(this.core, ino, changes, ctx));
  }
  readlink(ino: number, _ctx: RequestContext): Result<Uint8Array> {
    return guard(() => Node.readlink(this.core, ino));
  }
  mknod(
    parent: number,
    name: Uint8Array,
    mode: number,
    rdev: number,
    umask: number,
    ctx: RequestContext,
  ): Result<Entry> {
    return this.#mutating(() => Names.mknod(this.core, parent, name, mode, rdev, umask, ctx));
  }
  mkdir(parent: number, name: Uint8Array, mode: number, umask: number, ctx: RequestContext) {
    return this.#mutating(() => Names.mkdir(this.core, parent, name, mode, umask, ctx));
  }
  unlink(parent: number, name: Uint8Array, ctx: RequestContext): Result<0> {
    return this.#mutating(() => Names.unlink(this.core, parent, name, ctx));
  }
  rmdir(parent: number, name: Uint8Array, ctx: RequestContext): Result<0> {
    return this.#mutating(() => Names.rmdir(this.core, parent, name, ctx));
  }
  symlink(parent: number, name: Uint8Array, target: Uint8Array, ctx: RequestContext) {
    return this.#mutating(() => Names.symlink(this.core, parent, name, target, ctx));
  }
  rename(
    parent: number,
    name: Uint8Array,
    newParent: number,
    newName: Uint8Array,
    flags: number,
    ctx: RequestContext,
  ): Result<0> {
    return this.#mutating(() =>
      rename(this.core, { parent, name, newParent, newName, flags, ctx }),
    );
  }
  link(ino: number, newParent: number, newName: Uint8Array, ctx: RequestContext): Result<Entry> {
    return this.#mutating(() => Names.link(this.core, ino, newParent, newName, ctx));
  }
  open(ino: number, flags: number, ctx: RequestContext): Result<OpenReply> {
    return guard(() => File.open(this.core, ino, flags, ctx));
  }
  create(
    parent: number,
    name: Uint8Array,
    mode: number,
    flags: number,
    umask: number,
    ctx: RequestContext,
  ): Result<CreateReply> {
    return this.#mutating(() => File.create(this.core, parent, name, mode, flags, umask, ctx));
  }
  /** O_TMPFILE (FUSE_TMPFILE, opcode 51): an unnamed file that linkat can name later. */
  tmpfile(
    parent: number,
    mode: number,
    flags: number,
    umask: number,
    ctx: RequestContext,
  ): Result<CreateReply> {
    return this.#mutating(() => File.tmpfile(this.core, parent, mode, flags, umask, ctx));
  }
  read(ino: number, fh: number, offset: number, size: number, ctx: RequestContext) {
    return guard(() => File.read(this.core, ino, fh, offset, size, ctx.readRoom, ctx.readSink));
  }
  write(
    ino: number,
    fh: number,
    offset: number,
    data: Uint8Array,
    _flags: number,
    ctx: RequestContext,
  ): Promise<number> {
    return guardNegative(() => File.write(this.core, ino, fh, offset, data, ctx));
  }
  // No flush(): there is nothing to do at close (no POSIX locks, data is flushed by the
  // write-back rules), and without it the FUSE server answers ENOSYS once, after which the
  // kernel never sends FLUSH again: one round trip less per close (16,051 in the untar bench).
  release(ino: number, fh: number, _flags: number, _ctx: RequestContext): Result<0> {
    return guard(() => File.release(this.core, ino, fh));
  }
  fsync(_ino: number, _fh: number, _dataOnly: boolean, _ctx: RequestContext): Result<0> {
    return guard(() => File.fsync(this.core));
  }
  fallocate(
    ino: number,
    fh: number,
    offset: number,
    length: number,
    mode: number,
    _ctx: RequestContext,
  ): Result<0> {
    return guard(() => File.fallocate(this.core, ino, fh, offset, length, mode));
  }
  lseek(ino: number, _fh: number, offset: number, whence: number, _ctx: RequestContext) {
    return guardNegative(() => File.lseek(this.core, ino, offset, whence));
  }
  copyFileRange(
    inIno: number,
    inFh: number,
    inOffset: number,
    outIno: number,
    outFh: number,
    outOffset: number,
    length: number,
    flags: number,
    ctx: RequestContext,
  ): Promise<number> {
    const range = { inIno, inFh, inOffset, outIno, outFh, outOffset, length, flags };
    return guardNegative(() => File.copyFileRange(this.core, range, ctx));
  }
  opendir(ino: number, _flags: number, ctx: RequestContext): Result<OpenReply> {
    return guard(() => Dir.opendir(this.core, ino, ctx));
  }
  readdir(
    ino: number,
    _fh: number,
    offset: number,
    size: number,
    _ctx: RequestContext,
  ): Result<DirEntry[]> {
    return guard(() => Dir.readdir(this.core, ino, offset, size));
  }
  readdirplus(
    ino: number,
    _fh: number,
    offset: number,
    size: number,
    _ctx: RequestContext,
  ): Result<DirEntryPlus[]> {
    return guard(() => Dir.readdirplus(this.core, ino, offset, size));
  }
  releasedir(_ino: number, _fh: number, _ctx: RequestContext): Result<0> {
    return Promise.resolve(0);
  }
  fsyncdir(_ino: number, _fh: number, _dataOnly: boolean, _ctx: RequestContext): Result<0> {
    return guard(() => File.fsync(this.core));
  }
  statfs(_ino: number, _ctx: RequestContext): Result<StatfsReply> {
    return guard(() => Node.statfs(this.core));
  }
  access(ino: number, mask: number, ctx: RequestContext): Result<0> {
    return guard(() => Node.access(this.core, ino, mask, ctx) as Result<0>);
  }
  setxattr(ino: number, name: Uint8Array, value: Uint8Array, flags: number, ctx: RequestContext) {
    return this.#mutating(() => Xattr.setxattr(this.core, ino, name, value, flags, ctx));
  }
  getxattr(ino: number, name: Uint8Array, ctx: RequestContext): Result<Uint8Array> {
    return guard(() => Xattr.getxattr(this.core, ino, name, ctx));
  }
  listxattr(ino: number, ctx: RequestContext): Result<Uint8Array[]> {
    return guard(() => Xattr.listxattr(this.core, ino, ctx));
  }
  removexattr(ino: number, name: Uint8Array, ctx: RequestContext): Result<0> {
    return this.#mutating(() => Xattr.removexattr(this.core, ino, name, ctx));
  }
}

/** A failing namespace (I/O, corrupt record) answers EIO instead of throwing through FUSE. */
async function guard<T>(operation: () => Promise<T | number>): Promise<T | number> {
  try {
    return await operation();
  } catch {
    return Errno.EIO;
  }
}

async function guardNegative(operation: () => Promise<number>): Promise<number> {
  try {
    return await operation();
  } catch {
    return -Errno.EIO;
  }
}
