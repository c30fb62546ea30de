/** Inodes through the record cache: load, store, allocate, reply shapes, and final deletion. */
import type { Attr, Entry, Timespec } from "../operations.ts";
import { loadBitmapPage, presentBlocks } from "./bitmap.ts";
import type { FsCore } from "./core.ts";
import { loadDirIndex } from "./directory.ts";
import {
  decodeInode,
  encodeInode,
  type Inode,
  InodeFlags,
  isDir,
  isRegular,
  S_IFMT,
} from "./inode-codec.ts";
import { bitmapKey, dirIndexKey, dirPageKey, inodeKey, xattrsKey } from "./keys.ts";
import { bitmapPageBlocks, blockSizeBytes, inodeReserveCount } from "./limits.ts";
import { Phase } from "./record-cache.ts";

export function getInode(core: FsCore, ino: number): Promise<Inode | null> {
  if (!Number.isSafeInteger(ino) || ino < 1) return Promise.resolve(null);
  return core.records.load(inodeKey(ino), (bytes) => decodeInode(ino, bytes));
}

export function putInode(core: FsCore, inode: Inode): void {
  core.records.put(inodeKey(inode.ino), inode, encodeInode, Phase.node);
}

export function now(core: FsCore): Timespec {
  return core.options.now();
}

/** A new inode number; the reservation in the superblock is raised first when needed. */
export function allocateIno(core: FsCore): number {
  if (core.nextIno >= core.superblock.inodeReservedUpTo) {
    core.superblock.inodeReservedUpTo = core.nextIno + inodeReserveCount;
    core.markSuperblockDirty();
  }
  return core.nextIno++;
}

export interface NewInode {
  mode: number;
  uid: number;
  gid: number;
  rdev?: number;
  parent?: number;
  target?: Uint8Array | null;
}

export function createInode(core: FsCore, spec: NewInode): Inode {
  const time = now(core);
  const inode: Inode = {
    ino: allocateIno(core),
    mode: spec.mode,
    nlink: (spec.mode & S_IFMT) === 0o040000 ? 2 : 1,
    flags: 0,
    uid: spec.uid,
    gid: spec.gid,
    size: spec.target?.length ?? 0,
    rdev: spec.rdev ?? 0,
    parent: spec.parent ?? 0,
    entryCount: 0,
    blockCount: 0,
    atime: time,
    mtime: time,
    ctime: time,
    target: spec.target ?? null,
  };
  putInode(core, inode);
  core.superblock.usedInodes++;
  core.markSuperblockDirty();
  return inode;
}

export function attrOf(inode: Inode): Attr {
  const sectors = Math.ceil(inode.size / 512);
  return {
    ino: inode.ino,
    size: isDir(inode) ? 4096 : inode.size,
    blocks: isDir(inode) ? 8 : Math.min(sectors, inode.blockCount * (blockSizeBytes / 512)),
    atime: inode.atime,
    mtime: inode.mtime,
    ctime: inode.ctime,
    mode: inode.mode,
    nlink: inode.nlink,
    uid: inode.uid,
    gid: inode.gid,
    rdev: inode.rdev,
    blksize: blockSizeBytes,
  };
}

export function entryOf(core: FsCore, inode: Inode): Entry {
  return {
    attr: attrOf(inode),
    generation: 0,
    entryTimeoutMs: core.options.entryTimeoutMs,
    attrTimeoutMs: core.options.attrTimeoutMs,
  };
}

/** Load every bitmap page of a file (up to its size) and return its present blocks. */
export async function loadPresentBlocks(core: FsCore, inode: Inode): Promise<number[]> {
  if (!isRegular(inode) || inode.blockCount === 0) return [];
  const pages = Math.ceil(Math.ceil(inode.size / blockSizeBytes) / bitmapPageBlocks);
  const blocks: number[] = [];
  for (let page = 0; page < pages && blocks.length < inode.blockCount; page++) {
    const bits = await loadBitmapPage(core.records, inode.ino, page);
    blocks.push(...presentBlocks(bits, page));
  }
  return blocks;
}

/**
 * An inode lost its last name: delete it now, or, while it is open, list it as an orphan
 * (deleted at last close, or at the next mount after a crash).
 */
export async function releaseIfUnlinked(core: FsCore, inode: Inode): Promise<void> {
  if (inode.nlink > 0 || core.destroying.has(inode.ino)) return;
  if (core.records.peek(inodeKey(inode.ino)) === null) return;
  if ((core.openCounts.get(inode.ino) ?? 0) > 0) {
    if (!core.orphans.has(inode.ino)) {
      core.orphans.add(inode.ino);
      core.markOrphansDirty();
    }
    return;
  }
  await destroyInode(core, inode);
}

/** Remove an inode and everything it owns (its names are already gone). */
export async function destroyInode(core: FsCore, inode: Inode): Promise<void> {
  if (core.destroying.has(inode.ino)) return;
  core.destroying.add(inode.ino);
  try {
    await destroyLoaded(core, inode);
  } catch (error) {
    // What it owns could not be loaded (a failing store): listed as an orphan, the inode is
    // deleted by the next mount's sweep instead of being left behind with no name.
    if (!core.orphans.has(inode.ino)) {
      core.orphans.add(inode.ino);
      core.markOrphansDirty();
    }
    throw error;
  } finally {
    core.destroying.delete(inode.ino);
  }
}

async function destroyLoaded(core: FsCore, inode: Inode): Promise<void> {
  const blocks = await loadPresentBlocks(core, inode);
  const index = isDir(inode) ? await loadDirIndex(core, inode.ino) : null;
  for (const block of blocks) core.scheduleBlockDelete(inode.ino, block);
  const pages = new Set(blocks.map((b) => Math.floor(b / bitmapPageBlocks)));
  for (const page of pages) core.records.remove(bitmapKey(inode.ino, page));
  if (index !== null) {
    for (const id of index.ids) core.records.remove(dirPageKey(inode.ino, id));
    core.records.remove(dirIndexKey(inode.ino));
  }
  if (inode.flags & InodeFlags.hasXattrs) core.records.remove(xattrsKey(inode.ino));
  core.records.remove(inodeKey(inode.ino));
  core.superblock.usedBlocks = Math.max(0, core.superblock.usedBlocks - blocks.length);
  core.superblock.usedInodes = Math.max(0, core.superblock.usedInodes - 1);
  core.markSuperblockDirty();
  if (core.orphans.delete(inode.ino)) core.markOrphansDirty();
}
