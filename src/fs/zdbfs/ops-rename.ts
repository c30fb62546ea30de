/**
 * rename, with RENAME_NOREPLACE and RENAME_EXCHANGE. Renames are serialised by one lock (as in
 * the kernel), then the parents are locked ancestor first; every check and load comes before a
 * single synchronous mutation, so a commit never sees half a rename.
 */
import { Errno, RenameFlags, type RequestContext, type Result } from "../operations.ts";
import type { FsCore } from "./core.ts";
import { findCached, findEntry, insertEntry, removeEntry, retargetEntry } from "./directory.ts";
import { checkName, isDotOrDotDot, isErrno, loadParent } from "./guards.ts";
import { type Inode, isDir } from "./inode-codec.ts";
import { getInode, now, putInode, releaseIfUnlinked } from "./inode-table.ts";
import { AccessMask, mayAccess, stickyAllows } from "./permissions.ts";

const depthMax = 4096;

/** Whether `ino` is `ancestor` or lies below it. */
async function isWithin(core: FsCore, ino: number, ancestor: number): Promise<boolean> {
  let current = ino;
  for (let depth = 0; depth < depthMax; depth++) {
    if (current === ancestor) return true;
    if (current === core.superblock.rootIno) return false;
    const inode = await getInode(core, current);
    if (inode === null) return false;
    current = inode.parent;
  }
  return false;
}

async function lockOrder(core: FsCore, a: number, b: number): Promise<number[]> {
  if (a === b) return [a];
  if (await isWithin(core, b, a)) return [a, b];
  if (await isWithin(core, a, b)) return [b, a];
  return a < b ? [a, b] : [b, a];
}

interface RenameArgs {
  parent: number;
  name: Uint8Array;
  newParent: number;
  newName: Uint8Array;
  flags: number;
  ctx: RequestContext;
}

export function rename(core: FsCore, args: RenameArgs): Result<0> {
  const { flags } = args;
  const known = RenameFlags.NOREPLACE | RenameFlags.EXCHANGE;
  if ((flags & ~known) !== 0) return Promise.resolve(Errno.EINVAL);
  if (flags & RenameFlags.NOREPLACE && flags & RenameFlags.EXCHANGE) {
    return Promise.resolve(Errno.EINVAL);
  }
  for (const name of [args.name, args.newName]) {
    const bad = checkName(name);
    if (bad !== 0) return Promise.resolve(bad);
    if (isDotOrDotDot(name)) return Promise.resolve(Errno.EBUSY);
  }
  return core.renameLock.run(async () => {
    const order = await lockOrder(core, args.parent, args.newParent);
    return core.inodeLocks.run(order, () => renameLocked(core, args));
  });
}

async function renameLocked(core: FsCore, args: RenameArgs): Result<0> {
  const { ctx } = args;
  const srcDir = await loadParent(core, args.parent, ctx, true);
  if (isErrno(srcDir)) return srcDir;
  const dstDir = await loadParent(core, args.newParent, ctx, true);
  if (isErrno(dstDir)) return dstDir;
  const srcFound = await findEntry(core, args.parent, args.name);
  if (srcFound.entry === null) return Errno.ENOENT;
  const dstFound = await findEntry(core, args.newParent, args.newName);
  const src = await getInode(core, srcFound.entry.ino);
  const dst = dstFound.entry === null ? null : await getInode(core, dstFound.entry.ino);
  if (src === null || (dstFound.entry !== null && dst === null)) return Errno.EIO;
  const held = new Set([args.parent, args.newParent]);
  const children = dst === null ? [src.ino] : [src.ino, dst.ino].sort((a, b) => a - b);
  const locks = children.filter((ino) => !held.has(ino));
  return core.inodeLocks.run(locks, async () => {
    const errno = await checkRename(core, args, { srcDir, dstDir, src, dst });
    if (errno !== null) return errno;
    await withEntries(core, args, () => {
      if (args.flags & RenameFlags.EXCHANGE && dst !== null) {
        exchange(core, args, srcDir, dstDir, src, dst);
      } else {
        move(core, args, srcDir, dstDir, src, dst);
      }
    });
    if (dst !== null && !(args.flags & RenameFlags.EXCHANGE)) await releaseIfUnlinked(core, dst);
    return 0;
  });
}

const reloadRoundsMax = 64;

/**
 * Run `mutate` in the same synchronous step as the check that both entries' pages are cached
 * (a flush may evict clean pages at any await).
 */
async function withEntries(core: FsCore, args: RenameArgs, mutate: () => void): Promise<void> {
  for (let round = 0; round < reloadRoundsMax; round++) {
    const src = findCached(core, args.parent, args.name);
    const dst = findCached(core, args.newParent, args.newName);
    if (src !== null && dst !== null) return mutate();
    await findEntry(core, args.parent, args.name);
    await findEntry(core, args.newParent, args.newName);
  }
  throw new Error("rename: directory pages kept being evicted");
}

interface Parties {
  srcDir: Inode;
  dstDir: Inode;
  src: Inode;
  dst: Inode | null;
}

async function checkRename(core: FsCore, args: RenameArgs, p: Parties): Promise<number | null> {
  const exchange = (args.flags & RenameFlags.EXCHANGE) !== 0;
  if (exchange && p.dst === null) return Errno.ENOENT;
  if (args.flags & RenameFlags.NOREPLACE && p.dst !== null) return Errno.EEXIST;
  if (p.dst !== null && p.dst.ino === p.src.ino) return 0;
  if (!stickyAllows(p.srcDir, p.src, args.ctx)) return Errno.EPERM;
  if (p.dst !== null && !stickyAllows(p.dstDir, p.dst, args.ctx)) return Errno.EPERM;
  const crossing = args.parent !== args.newParent;
  for (const [node, into] of [
    [p.src, args.newParent],
    [exchange ? p.dst : null, args.parent],
  ] as const) {
    if (node === null || !isDir(node)) continue;
    if (await isWithin(core, into, node.ino)) return Errno.EINVAL;
    if (crossing && !mayAccess(node, args.ctx, AccessMask.write)) return Errno.EACCES;
  }
  if (exchange || p.dst === null) return null;
  if (isDir(p.src) && !isDir(p.dst)) return Errno.ENOTDIR;
  if (!isDir(p.src) && isDir(p.dst)) return Errno.EISDIR;
  if (isDir(p.dst) && p.dst.entryCount > 0) return Errno.ENOTEMPTY;
  return null;
}

function touch(core: FsCore, ...inodes: Inode[]): void {
  const time = now(core);
  for (const inode of inodes) {
    inode.ctime = time;
    putInode(core, inode);
  }
  for (const dir of inodes.slice(0, 2)) dir.mtime = time;
}

/** Plain rename (maybe over an existing entry). Synchronous. */
function move(
  core: FsCore,
  args: RenameArgs,
  srcDir: Inode,
  dstDir: Inode,
  src: Inode,
  dst: Inode | null,
) {
  const srcSlot = findCached(core, args.parent, args.name);
  if (srcSlot === null || srcSlot.entry === null) throw new Error("rename: source entry evicted");
  removeEntry(core, args.parent, srcSlot);
  srcDir.entryCount--;
  const dstSlot = findCached(core, args.newParent, args.newName);
  if (dstSlot === null) throw new Error("rename: target page evicted");
  if (dstSlot.entry !== null && dst !== null) {
    retargetEntry(core, args.newParent, dstSlot, src.ino, src.mode >> 12);
    if (isDir(dst)) {
      dst.nlink = 0;
      dstDir.nlink--;
    } else {
      dst.nlink--;
    }
  } else {
    insertEntry(core, args.newParent, dstSlot, args.newName, src.ino, src.mode >> 12);
    dstDir.entryCount++;
  }
  if (isDir(src) && args.parent !== args.newParent) {
    src.parent = args.newParent;
    srcDir.nlink--;
    dstDir.nlink++;
  }
  touch(core, srcDir, dstDir, src, ...(dst === null ? [] : [dst]));
}

/** RENAME_EXCHANGE: swap what the two names point at. Synchronous. */
function exchange(
  core: FsCore,
  args: RenameArgs,
  srcDir: Inode,
  dstDir: Inode,
  src: Inode,
  dst: Inode,
) {
  const srcSlot = findCached(core, args.parent, args.name);
  if (srcSlot === null || srcSlot.entry === null) throw new Error("rename: source entry evicted");
  retargetEntry(core, args.parent, srcSlot, dst.ino, dst.mode >> 12);
  const dstSlot = findCached(core, args.newParent, args.newName);
  if (dstSlot === null || dstSlot.entry === null) throw new Error("rename: target entry evicted");
  retargetEntry(core, args.newParent, dstSlot, src.ino, src.mode >> 12);
  if (args.parent !== args.newParent) {
    if (isDir(src)) {
      src.parent = args.newParent;
      srcDir.nlink--;
      dstDir.nlink++;
    }
    if (isDir(dst)) {
      dst.parent = args.parent;
      dstDir.nlink--;
      srcDir.nlink++;
    }
  }
  touch(core, srcDir, dstDir, src, dst);
}
