/**
 * A complete POSIX filesystem in memory: the reference behaviour for every qss filesystem,
 * and what tests and benchmarks mount to measure the FUSE layer alone. Files are sparse
 * chunk maps (`file-data.ts`); an inode lives while it has a name, a kernel lookup or an open
 * handle (an O_TMPFILE inode starts with only the handle, until link() names it). Permission
 * checks are left to the kernel (mount with default_permissions); `access` answers from the
 * mode bits for mounts without it.
 *
 * @example
 * const fs = new MemoryFileSystem({ uid: 0, gid: 0 });
 * await serveFilesystem(fs, { mountPoint: "/mnt/m" });
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
import { Errno, Whence } from "../operations.ts";
import { MemoryDirectories } from "./directories.ts";
import { attrOf, entryOf, type MemoryInode, now, S_IFREG } from "./inode.ts";
import { applySetattr } from "./setattr.ts";
import { XattrStore } from "./xattrs.ts";

export interface MemoryFileSystemOptions {
  /** Owner of the root directory. */
  uid?: number;
  gid?: number;
  /** How long the kernel may cache names and attributes. */
  cacheTimeoutMs?: number;
  /** Total size reported by statfs. */
  capacityBytes?: number;
}

const O_ACCMODE = 3;
const O_EXCL = 0o200;
const O_TRUNC = 0o1000;
const fileSizeBytesMax = 2 ** 52;
const FALLOC_KEEP_SIZE = 1;
const FALLOC_PUNCH_HOLE = 2;
const FALLOC_ZERO_RANGE = 0x10;

interface Handle {
  ino: number;
  flags: number;
}

export class MemoryFileSystem extends MemoryDirectories implements FileSystemOperations {
  private readonly handles = new Map<number, Handle>();
  private nextHandle = 1;
  private readonly xattrStore = new XattrStore();
  private readonly capacityBytes: number;

  constructor(options: MemoryFileSystemOptions = {}) {
    super(options.uid ?? 0, options.gid ?? 0, options.cacheTimeoutMs ?? 1000);
    this.capacityBytes = options.capacityBytes ?? 2 ** 42;
  }

  async getattr(ino: number): Result<AttrReply> {
    const inode = this.inodes.get(ino);
    if (inode === undefined) return Errno.ENOENT;
    return { attr: attrOf(inode), attrTimeoutMs: this.timeoutMs };
  }

  async setattr(ino: number, changes: SetattrChanges): Result<AttrReply> {
    const inode = this.inodes.get(ino);
    if (inode === undefined) return Errno.ENOENT;
    if (changes.size !== undefined) {
      if (inode.data === undefined) return inode.entries ? Errno.EISDIR : Errno.EINVAL;
      if (changes.size > fileSizeBytesMax) return Errno.EFBIG;
    }
    applySetattr(inode, changes);
    return { attr: attrOf(inode), attrTimeoutMs: this.timeoutMs };
  }

  private openHandle(inode: MemoryInode, flags: number): number {
    const fh = this.nextHandle++;
    this.handles.set(fh, { ino: inode.ino, flags });
    inode.openCount++;
    return fh;
  }

  private closeHandle(fh: number): void {
    const handle = this.handles.get(fh);
    if (handle === undefined) return;
    this.handles.delete(fh);
    const inode = this.inodes.get(handle.ino);
    if (inode === undefined) return;
    inode.openCount--;
    if (inode.nlink === 0 && inode.openCount <= 0 && inode.data !== undefined) {
      // Nameless and closed: nothing can reach the data any more (the record waits for FORGET).
      inode.data.truncate(0);
      inode.size = 0;
    }
    this.maybeFree(inode);
  }

  async open(ino: number, flags: number): Result<OpenReply> {
    const inode = this.inodes.get(ino);
    if (inode === undefined) return Errno.ENOENT;
    if (inode.data === undefined) return Errno.EISDIR;
    if ((flags & O_TRUNC) !== 0 && (flags & O_ACCMODE) !== 0 && inode.size !== 0) {
      inode.data.truncate(0);
      inode.size = 0;
      inode.mtime = inode.ctime = now();
    }
    return { fh: this.openHandle(inode, flags), keepCache: true };
  }

  async create(
    parent: number,
    name: Uint8Array,
    mode: number,
    flags: number,
    umask: number,
    ctx: RequestContext,
  ): Result<CreateReply> {
    const made = this.makeNode(parent, name, S_IFREG | (mode & ~umask & 0o7777), ctx);
    if (typeof made === "number") return made;
    made.lookups++;
    const entry: Entry = entryOf(made, this.timeoutMs);
    return { entry, open: { fh: this.openHandle(made, flags), keepCache: true } };
  }

  async tmpfile(
    parent: number,
    mode: number,
    flags: number,
    umask: number,
    ctx: RequestContext,
  ): Result<CreateReply> {
    const made = this.makeUnnamed(parent, S_IFREG | (mode & ~umask & 0o7777), ctx);
    if (typeof made === "number") return made;
    made.linkable = (flags & O_EXCL) === 0;
    made.lookups++;
    const entry: Entry = entryOf(made, this.timeoutMs);
    return { entry, open: { fh: this.openHandle(made, flags), keepCache: true } };
  }

  async read(ino: number, _fh: number, offset: number, size: number): Result<Uint8Array> {
    const inode = this.inodes.get(ino);
    if (inode?.data === undefined) return Errno.EBADF;
    return inode.data.read(offset, size, inode.size);
  }

  async write(ino: number, _fh: number, offset: number, data: Uint8Array): Promise<number> {
    const inode = this.inodes.get(ino);
    if (inode?.data === undefined) return -Errno.EBADF;
    const end = offset + data.length;
    if (end > fileSizeBytesMax) return -Errno.EFBIG;
    inode.data.write(offset, data);
    if (end > inode.size) inode.size = end;
    inode.mtime = inode.ctime = now();
    return data.length;
  }

  async flush(): Result<0> {
    return 0;
  }

  async release(_ino: number, fh: number): Result<0> {
    this.closeHandle(fh);
    return 0;
  }

  async fsync(): Result<0> {
    return 0;
  }

  async fallocate(
    ino: number,
    _fh: number,
    offset: number,
    length: number,
    mode: number,
  ): Result<0> {
    const inode = this.inodes.get(ino);
    if (inode?.data === undefined) return Errno.EBADF;
    const end = offset + length;
    if (end > fileSizeBytesMax) return Errno.EFBIG;
    if ((mode & ~(FALLOC_KEEP_SIZE | FALLOC_PUNCH_HOLE | FALLOC_ZERO_RANGE)) !== 0) {
      return Errno.ENOTSUP;
    }
    if ((mode & (FALLOC_PUNCH_HOLE | FALLOC_ZERO_RANGE)) !== 0) {
      inode.data.zeroRange(offset, end);
    }
    if ((mode & FALLOC_KEEP_SIZE) === 0 && end > inode.size) inode.size = end;
    inode.mtime = inode.ctime = now();
    return 0;
  }

  async lseek(ino: number, _fh: number, offset: number, whence: number): Promise<number> {
    const inode = this.inodes.get(ino);
    if (inode?.data === undefined) return -Errno.EBADF;
    if (whence === Whence.DATA) return inode.data.nextData(offset, inode.size);
    if (whence === Whence.HOLE) return inode.data.nextHole(offset, inode.size);
    return -Errno.EINVAL;
  }

  async copyFileRange(
    inIno: number,
    _inFh: number,
    inOffset: number,
    outIno: number,
    outFh: number,
    outOffset: number,
    length: number,
  ): Promise<number> {
    const source = this.inodes.get(inIno);
    if (source?.data === undefined) return -Errno.EBADF;
    const bytes = source.data.read(inOffset, length, source.size).slice();
    if (bytes.length === 0) return 0;
    return this.write(outIno, outFh, outOffset, bytes);
  }

  async statfs(): Result<StatfsReply> {
    const blockSize = 4096;
    let used = 0;
    for (const inode of this.inodes.values()) used += inode.data?.allocatedBytes() ?? 0;
    const blocks = Math.floor(this.capacityBytes / blockSize);
    const free = Math.max(0, blocks - Math.ceil(used / blockSize));
    return {
      blocks,
      blocksFree: free,
      blocksAvailable: free,
      files: 1 << 30,
      filesFree: (1 << 30) - this.inodes.size,
      blockSize,
      nameLengthMax: 255,
      fragmentSize: blockSize,
    };
  }

  async access(ino: number, mask: number, ctx: RequestContext): Result<0> {
    const inode = this.inodes.get(ino);
    if (inode === undefined) return Errno.ENOENT;
    if (ctx.uid === 0 || mask === 0) return 0;
    const shift = ctx.uid === inode.uid ? 6 : ctx.gid === inode.gid ? 3 : 0;
    const granted = (inode.mode >> shift) & 7;
    return (granted & mask) === mask ? 0 : Errno.EACCES;
  }

  async opendir(ino: number): Result<OpenReply> {
    const inode = this.inodes.get(ino);
    if (inode === undefined) return Errno.ENOENT;
    if (inode.entries === undefined) return Errno.ENOTDIR;
    return { fh: this.openDirectory(inode) };
  }

  async readdir(ino: number, fh: number, offset: number, size: number): Result<DirEntry[]> {
    return this.listDirectory(ino, fh, offset, size, false);
  }

  async readdirplus(ino: number, fh: number, offset: number, size: number): Result<DirEntryPlus[]> {
    return this.listDirectory(ino, fh, offset, size, true) as DirEntryPlus[] | number;
  }

  async releasedir(_ino: number, fh: number): Result<0> {
    this.closeDirectory(fh);
    return 0;
  }

  async fsyncdir(): Result<0> {
    return 0;
  }

  async setxattr(ino: number, name: Uint8Array, value: Uint8Array, flags: number): Result<0> {
    const inode = this.inodes.get(ino);
    if (inode === undefined) return Errno.ENOENT;
    const r = this.xattrStore.set(inode, name, value, flags);
    if (r === 0) inode.ctime = now();
    return r;
  }

  async getxattr(ino: number, name: Uint8Array): Result<Uint8Array> {
    const inode = this.inodes.get(ino);
    if (inode === undefined) return Errno.ENOENT;
    return this.xattrStore.get(inode, name);
  }

  async listxattr(ino: number): Result<Uint8Array[]> {
    const inode = this.inodes.get(ino);
    if (inode === undefined) return Errno.ENOENT;
    return this.xattrStore.list(inode);
  }

  async removexattr(ino: number, name: Uint8Array): Result<0> {
    const inode = this.inodes.get(ino);
    if (inode === undefined) return Errno.ENOENT;
    const r = this.xattrStore.remove(inode, name);
    if (r === 0) inode.ctime = now();
    return r;
  }
}
