/**
 * open, create, O_TMPFILE, read (with readahead), write, flush, release, fsync,
 * fallocate, lseek, copy_file_range.
 */
import {
  type CreateReply,
  Errno,
  type OpenReply,
  type ReadSink,
  type RequestContext,
  type Result,
  Whence,
} from "../operations.ts";
import type { FsCore, Handle } from "./core.ts";
import { punchHole, seekData, truncateData, writeData } from "./file-data.ts";
import { readAhead, readData, sentThroughSink } from "./file-read.ts";
import { isErrno, loadParent } from "./guards.ts";
import { isDir, isRegular, S_IFMT, S_IFREG } from "./inode-codec.ts";
import { createInode, entryOf, getInode, putInode, releaseIfUnlinked } from "./inode-table.ts";
import { blockSizeBytes, copyChunkBytesMax, fileSizeBytesMax, readBytesMax } from "./limits.ts";
import { createNode } from "./ops-namespace.ts";
import { killSetId } from "./ops-node.ts";
import { AccessMask, mayAccess } from "./permissions.ts";

export const OpenFlags = {
  accessMode: 3,
  writeOnly: 1,
  readWrite: 2,
  truncate: 0o1000,
  append: 0o2000,
};
const FALLOC_FL_KEEP_SIZE = 1;
const ENODEV = 19;
const FALLOC_FL_PUNCH_HOLE = 2;

const canRead = (flags: number) => (flags & OpenFlags.accessMode) !== OpenFlags.writeOnly;
const canWrite = (flags: number) => (flags & OpenFlags.accessMode) !== 0;

function addHandle(core: FsCore, ino: number, flags: number): number {
  const fh = core.nextFh++;
  core.handles.set(fh, { ino, flags, lastReadEnd: -1 });
  core.openCounts.set(ino, (core.openCounts.get(ino) ?? 0) + 1);
  return fh;
}

function handleFor(core: FsCore, ino: number, fh: number): Handle | null {
  const handle = core.handles.get(fh);
  return handle !== undefined && handle.ino === ino ? handle : null;
}

export async function open(
  core: FsCore,
  ino: number,
  flags: number,
  ctx: RequestContext,
): Result<OpenReply> {
  const inode = await getInode(core, ino);
  if (inode === null) return Errno.ENOENT;
  if (isDir(inode) && canWrite(flags)) return Errno.EISDIR;
  let mask = canRead(flags) ? AccessMask.read : 0;
  if (canWrite(flags) || flags & OpenFlags.truncate) mask |= AccessMask.write;
  if (!mayAccess(inode, ctx, mask)) return Errno.EACCES;
  if (flags & OpenFlags.truncate && isRegular(inode) && canWrite(flags)) {
    const errno = await core.inodeLocks.run([ino], async () => {
      const current = await getInode(core, ino);
      return current === null || current.size === 0 ? 0 : truncateData(core, current, 0);
    });
    if (errno !== 0) return errno;
  }
  return { fh: addHandle(core, ino, flags), keepCache: true };
}

export async function create(
  core: FsCore,
  parent: number,
  name: Uint8Array,
  mode: number,
  flags: number,
  umask: number,
  ctx: RequestContext,
): Result<CreateReply> {
  const spec = { mode: S_IFREG | (mode & 0o7777 & ~umask) };
  const inode = await createNode(core, parent, name, spec, ctx);
  if (isErrno(inode)) return inode;
  return {
    entry: entryOf(core, inode),
    open: { fh: addHandle(core, inode.ino, flags), keepCache: true },
  };
}

/** O_TMPFILE: an open, nameless regular file (an orphan until linked in or released). */
export async function tmpfile(
  core: FsCore,
  parent: number,
  mode: number,
  flags: number,
  umask: number,
  ctx: RequestContext,
): Result<CreateReply> {
  const dir = await loadParent(core, parent, ctx, true);
  if (isErrno(dir)) return dir;
  const inode = createInode(core, {
    mode: S_IFREG | (mode & 0o7777 & ~umask),
    uid: ctx.uid,
    gid: dir.mode & 0o2000 ? dir.gid : ctx.gid,
  });
  inode.nlink = 0;
  putInode(core, inode);
  const fh = addHandle(core, inode.ino, flags);
  core.orphans.add(inode.ino);
  core.markOrphansDirty();
  core.linkable.add(inode.ino);
  return { entry: entryOf(core, inode), open: { fh } };
}

export async function read(
  core: FsCore,
  ino: number,
  fh: number,
  offset: number,
  size: number,
  room?: Uint8Array,
  sink?: ReadSink,
) {
  // No access-mode check: the kernel checks the descriptor, and with its writeback cache it
  // reads pages through write-only handles to fill partial page writes.
  const handle = handleFor(core, ino, fh);
  if (offset < 0 || size < 0 || size > readBytesMax) return Errno.EINVAL;
  const inode = await getInode(core, ino);
  if (inode === null) return Errno.ENOENT;
  if (isDir(inode)) return Errno.EISDIR;
  const data = await readData(core, inode, offset, size, room, sink);
  const sent = data === sentThroughSink;
  if (handle !== null) {
    const end = sent ? Math.min(offset + size, inode.size) : offset + data.length;
    // Spliced replies read the store's files, whose own kernel readahead serves them.
    if (!sent && offset === handle.lastReadEnd && core.options.readaheadBlocks > 0) {
      const next = Math.ceil(end / blockSizeBytes);
      core.readaheadSoon(() => readAhead(core, inode, next, core.options.readaheadBlocks));
    }
    handle.lastReadEnd = end;
  }
  // Already answered: what is returned is not sent.
  return sent ? new Uint8Array(0) : data;
}

export async function write(
  core: FsCore,
  ino: number,
  fh: number,
  offset: number,
  data: Uint8Array,
  ctx: RequestContext,
): Promise<number> {
  const handle = handleFor(core, ino, fh);
  if (handle !== null && !canWrite(handle.flags)) return -Errno.EBADF;
  if (offset < 0) return -Errno.EINVAL;
  // Over the write-back bounds, wait for the flush; if it fails the write is refused (EIO)
  // before it is cached, so a store that refuses never makes the cache grow without limit.
  if (core.needsFlush()) {
    try {
      await core.commit();
    } catch {
      return -Errno.EIO;
    }
  }
  const written = await core.inodeLocks.run([ino], async () => {
    const inode = await getInode(core, ino);
    if (inode === null) return -Errno.ENOENT;
    if (!isRegular(inode)) return -Errno.EINVAL;
    // O_APPEND: the kernel computes the offset from its size (this is the only mount); with
    // its writeback cache it writes whole pages at their own offsets through O_APPEND
    // handles, so the offset given is always the one to use.
    if (ctx.uid !== 0 && inode.mode & 0o6000) killSetId(inode);
    return writeData(core, inode, offset, data, ctx.acceptWrite);
  });
  // The write is cached (or stored) either way: a failing flush is met by the next change.
  if (core.needsFlush()) await core.commit().catch(() => {});
  return written;
}

export async function release(core: FsCore, ino: number, fh: number): Result<0> {
  const handle = handleFor(core, ino, fh);
  if (handle === null) return Errno.EBADF;
  core.handles.delete(fh);
  const left = (core.openCounts.get(ino) ?? 1) - 1;
  if (left > 0) {
    core.openCounts.set(ino, left);
    return 0;
  }
  core.openCounts.delete(ino);
  return core.inodeLocks.run([ino], async () => {
    const inode = await getInode(core, ino);
    if (inode === null) return 0;
    core.linkable.delete(ino);
    if (inode.nlink === 0) await releaseIfUnlinked(core, inode);
    else core.flushFileSoon(ino);
    return 0;
  });
}

export async function fsync(core: FsCore): Result<0> {
  await core.syncAll();
  return 0;
}

export function fallocate(
  core: FsCore,
  ino: number,
  fh: number,
  offset: number,
  length: number,
  mode: number,
): Result<0> {
  const handle = handleFor(core, ino, fh);
  if (handle !== null && !canWrite(handle.flags)) return Promise.resolve(Errno.EBADF);
  if (offset < 0 || length <= 0) return Promise.resolve(Errno.EINVAL);
  if (offset + length > fileSizeBytesMax) return Promise.resolve(Errno.EFBIG);
  return core.inodeLocks.run([ino], async (): Result<0> => {
    const inode = await getInode(core, ino);
    if (inode === null) return Errno.ENOENT;
    if (isDir(inode)) return Errno.EISDIR;
    if ((inode.mode & S_IFMT) !== S_IFREG) return ENODEV;
    if (mode === (FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE)) {
      return punchHole(core, inode, offset, length) as Promise<0>;
    }
    if (mode !== 0 && mode !== FALLOC_FL_KEEP_SIZE) return Errno.ENOTSUP;
    if (offset + length > core.options.capacityBytes) return Errno.ENOSPC;
    if (mode === 0 && offset + length > inode.size) {
      inode.size = offset + length;
      inode.ctime = core.options.now();
      putInode(core, inode);
    }
    return 0;
  });
}

/** The offset, or -errno. */
export async function lseek(core: FsCore, ino: number, offset: number, whence: number) {
  if (whence !== Whence.DATA && whence !== Whence.HOLE) return -Errno.EINVAL;
  const inode = await getInode(core, ino);
  if (inode === null) return -Errno.ENOENT;
  return seekData(core, inode, offset, whence === Whence.DATA);
}

export interface CopyRange {
  inIno: number;
  inFh: number;
  inOffset: number;
  outIno: number;
  outFh: number;
  outOffset: number;
  length: number;
  flags: number;
}

/** Bytes copied, or -errno. */
export async function copyFileRange(
  core: FsCore,
  r: CopyRange,
  ctx: RequestContext,
): Promise<number> {
  if (r.flags !== 0 || r.inOffset < 0 || r.outOffset < 0) return -Errno.EINVAL;
  const inHandle = handleFor(core, r.inIno, r.inFh);
  const outHandle = handleFor(core, r.outIno, r.outFh);
  if (inHandle !== null && !canRead(inHandle.flags)) return -Errno.EBADF;
  if (outHandle !== null && !canWrite(outHandle.flags)) return -Errno.EBADF;
  const overlap = r.inOffset < r.outOffset + r.length && r.outOffset < r.inOffset + r.length;
  if (r.inIno === r.outIno && overlap) return -Errno.EINVAL;
  let copied = 0;
  while (copied < r.length) {
    const source = await getInode(core, r.inIno);
    if (source === null) return -Errno.ENOENT;
    if (isDir(source)) return -Errno.EISDIR;
    const chunk = Math.min(copyChunkBytesMax, r.length - copied);
    const data = await readData(core, source, r.inOffset + copied, chunk);
    if (data.length === 0) break;
    const written = await write(core, r.outIno, r.outFh, r.outOffset + copied, data, ctx);
    if (written < 0) return copied > 0 ? copied : written;
    copied += written;
  }
  return copied;
}
