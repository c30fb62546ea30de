/** mknod, mkdir, symlink, link, unlink, rmdir, and the node creation shared with create. */
import { type Entry, Errno, type RequestContext, type Result } from "../operations.ts";
import type { FsCore } from "./core.ts";
import { canInsert, findEntry, insertEntry, removeEntry } from "./directory.ts";
import { checkName, isDotOrDotDot, isErrno, loadParent } from "./guards.ts";
import { type Inode, isDir, S_IFDIR, S_IFLNK, S_IFMT, S_ISGID } from "./inode-codec.ts";
import { createInode, entryOf, getInode, now, putInode, releaseIfUnlinked } from "./inode-table.ts";
import { symlinkTargetBytesMax } from "./limits.ts";
import { stickyAllows } from "./permissions.ts";

const S_IFIFO = 0o010000;
const S_IFCHR = 0o020000;
const S_IFBLK = 0o060000;
const S_IFSOCK = 0o140000;
const S_IFREG = 0o100000;
const mknodTypes = new Set([S_IFREG, S_IFIFO, S_IFCHR, S_IFBLK, S_IFSOCK]);

export interface NodeSpec {
  /** Type and permission bits, umask already applied. */
  mode: number;
  rdev?: number;
  target?: Uint8Array;
}

/** Owner, group and mode of a new node in `dir` (setgid directories pass their group on). */
function ownership(dir: Inode, mode: number, ctx: RequestContext) {
  let finalMode = mode;
  let gid = ctx.gid;
  if (dir.mode & S_ISGID) {
    gid = dir.gid;
    if ((mode & S_IFMT) === S_IFDIR) finalMode |= S_ISGID;
  }
  if ((mode & S_IFMT) !== S_IFDIR && finalMode & S_ISGID && ctx.uid !== 0 && gid !== ctx.gid) {
    finalMode &= ~S_ISGID;
  }
  return { uid: ctx.uid, gid, mode: finalMode };
}

/** Create a node named `name` in `parent`; the caller holds no lock. */
export function createNode(
  core: FsCore,
  parent: number,
  name: Uint8Array,
  spec: NodeSpec,
  ctx: RequestContext,
): Promise<Inode | number> {
  const bad = checkName(name);
  if (bad !== 0) return Promise.resolve(bad);
  if (isDotOrDotDot(name)) return Promise.resolve(Errno.EEXIST);
  return core.inodeLocks.run([parent], async () => {
    const dir = await loadParent(core, parent, ctx, true);
    if (isErrno(dir)) return dir;
    const found = await findEntry(core, parent, name);
    if (found.entry !== null) return Errno.EEXIST;
    if (!canInsert(found)) return Errno.ENOSPC;
    const owner = ownership(dir, spec.mode, ctx);
    const inode = createInode(core, {
      ...owner,
      rdev: spec.rdev ?? 0,
      parent: (spec.mode & S_IFMT) === S_IFDIR ? parent : 0,
      target: spec.target ?? null,
    });
    insertEntry(core, parent, found, name, inode.ino, inode.mode >> 12);
    dir.entryCount++;
    if (isDir(inode)) dir.nlink++;
    dir.mtime = inode.ctime;
    dir.ctime = inode.ctime;
    putInode(core, dir);
    return inode;
  });
}

async function entryResult(core: FsCore, made: Promise<Inode | number>): Result<Entry> {
  const inode = await made;
  return isErrno(inode) ? inode : entryOf(core, inode);
}

export function mknod(
  core: FsCore,
  parent: number,
  name: Uint8Array,
  mode: number,
  rdev: number,
  umask: number,
  ctx: RequestContext,
): Result<Entry> {
  if (!mknodTypes.has(mode & S_IFMT)) return Promise.resolve(Errno.EINVAL);
  if (((mode & S_IFMT) === S_IFCHR || (mode & S_IFMT) === S_IFBLK) && ctx.uid !== 0) {
    return Promise.resolve(Errno.EPERM);
  }
  const finalMode = (mode & S_IFMT) | (mode & 0o7777 & ~umask);
  return entryResult(core, createNode(core, parent, name, { mode: finalMode, rdev }, ctx));
}

export function mkdir(
  core: FsCore,
  parent: number,
  name: Uint8Array,
  mode: number,
  umask: number,
  ctx: RequestContext,
): Result<Entry> {
  const finalMode = S_IFDIR | (mode & 0o7777 & ~umask);
  return entryResult(core, createNode(core, parent, name, { mode: finalMode }, ctx));
}

export function symlink(
  core: FsCore,
  parent: number,
  name: Uint8Array,
  target: Uint8Array,
  ctx: RequestContext,
): Result<Entry> {
  if (target.length === 0) return Promise.resolve(Errno.ENOENT);
  if (target.length > symlinkTargetBytesMax) return Promise.resolve(Errno.ENAMETOOLONG);
  const spec = { mode: S_IFLNK | 0o777, target: target.slice() };
  return entryResult(core, createNode(core, parent, name, spec, ctx));
}

export function link(
  core: FsCore,
  ino: number,
  newParent: number,
  newName: Uint8Array,
  ctx: RequestContext,
): Result<Entry> {
  const bad = checkName(newName);
  if (bad !== 0) return Promise.resolve(bad);
  if (isDotOrDotDot(newName)) return Promise.resolve(Errno.EEXIST);
  const locked = (body: () => Result<Entry>) =>
    core.inodeLocks.run([newParent], () =>
      ino === newParent ? body() : core.inodeLocks.run([ino], body),
    );
  return locked(async (): Result<Entry> => {
    const dir = await loadParent(core, newParent, ctx, true);
    if (isErrno(dir)) return dir;
    const found = await findEntry(core, newParent, newName);
    const inode = await getInode(core, ino);
    if (inode === null || (inode.nlink === 0 && !core.linkable.has(ino))) return Errno.ENOENT;
    if (isDir(inode)) return Errno.EPERM;
    if (inode.nlink >= 0xffffffff) return Errno.EMLINK;
    if (found.entry !== null) return Errno.EEXIST;
    if (!canInsert(found)) return Errno.ENOSPC;
    insertEntry(core, newParent, found, newName, ino, inode.mode >> 12);
    inode.nlink++;
    if (core.linkable.delete(ino) && core.orphans.delete(ino)) core.markOrphansDirty();
    inode.ctime = now(core);
    dir.entryCount++;
    dir.mtime = inode.ctime;
    dir.ctime = inode.ctime;
    putInode(core, inode);
    putInode(core, dir);
    return entryOf(core, inode);
  });
}

/** Remove the name; `wantDir` selects rmdir (EISDIR/ENOTDIR/ENOTEMPTY rules). */
function removeName(
  core: FsCore,
  parent: number,
  name: Uint8Array,
  wantDir: boolean,
  ctx: RequestContext,
): Result<0> {
  if (isDotOrDotDot(name)) return Promise.resolve(wantDir ? Errno.EINVAL : Errno.EISDIR);
  const bad = checkName(name);
  if (bad !== 0) return Promise.resolve(bad);
  return removeNameLocked(core, parent, name, wantDir, ctx).then(async (removed) => {
    if (isErrno(removed)) return removed;
    if (removed.nlink === 0) {
      await core.inodeLocks.run([removed.ino], () => releaseIfUnlinked(core, removed));
    }
    return 0;
  });
}

/** The checks and the removal, under the directory's and the child's locks. */
function removeNameLocked(
  core: FsCore,
  parent: number,
  name: Uint8Array,
  wantDir: boolean,
  ctx: RequestContext,
): Promise<Inode | number> {
  return core.inodeLocks.run([parent], async () => {
    const dir = await loadParent(core, parent, ctx, true);
    if (isErrno(dir)) return dir;
    const found = await findEntry(core, parent, name);
    if (found.entry === null) return Errno.ENOENT;
    const childIno = found.entry.ino;
    return core.inodeLocks.run([childIno], async () => {
      const child = await getInode(core, childIno);
      if (child === null) return Errno.EIO;
      if (wantDir && !isDir(child)) return Errno.ENOTDIR;
      if (!wantDir && isDir(child)) return Errno.EISDIR;
      if (wantDir && child.entryCount > 0) return Errno.ENOTEMPTY;
      if (!stickyAllows(dir, child, ctx)) return Errno.EPERM;
      removeEntry(core, parent, found);
      const time = now(core);
      dir.entryCount--;
      if (wantDir) {
        dir.nlink--;
        child.nlink = 0;
      } else {
        child.nlink--;
      }
      child.ctime = time;
      dir.mtime = time;
      dir.ctime = time;
      putInode(core, dir);
      putInode(core, child);
      return child;
    });
  });
}

export const unlink = (core: FsCore, parent: number, name: Uint8Array, ctx: RequestContext) =>
  removeName(core, parent, name, false, ctx);

export const rmdir = (core: FsCore, parent: number, name: Uint8Array, ctx: RequestContext) =>
  removeName(core, parent, name, true, ctx);
