/** lookup, getattr, setattr, readlink, access, statfs. */
import {
  type AttrReply,
  type Entry,
  Errno,
  type RequestContext,
  type Result,
  type SetattrChanges,
  type StatfsReply,
  type Timespec,
} from "../operations.ts";
import type { FsCore } from "./core.ts";
import { findEntry } from "./directory.ts";
import { truncateData } from "./file-data.ts";
import { isErrno, loadParent } from "./guards.ts";
import {
  type Inode,
  isDir,
  isRegular,
  isSymlink,
  S_IFMT,
  S_ISGID,
  S_ISUID,
} from "./inode-codec.ts";
import { attrOf, entryOf, getInode, now, putInode } from "./inode-table.ts";
import { blockSizeBytes, nameLengthBytesMax } from "./limits.ts";
import { AccessMask, isOwnerOrRoot, mayAccess } from "./permissions.ts";

const dot = 0x2e;

export async function lookup(core: FsCore, parent: number, name: Uint8Array, ctx: RequestContext) {
  if (name.length > nameLengthBytesMax) return Errno.ENAMETOOLONG;
  return core.inodeLocks.run([parent], async (): Result<Entry> => {
    const dir = await loadParent(core, parent, ctx, false);
    if (isErrno(dir)) return dir;
    if (name.length === 1 && name[0] === dot) return entryOf(core, dir);
    if (name.length === 2 && name[0] === dot && name[1] === dot) {
      const up = await getInode(core, dir.parent);
      return up === null ? Errno.ENOENT : entryOf(core, up);
    }
    const found = await findEntry(core, parent, name);
    if (found.entry === null) return Errno.ENOENT;
    const child = await getInode(core, found.entry.ino);
    return child === null ? Errno.EIO : entryOf(core, child);
  });
}

export async function getattr(core: FsCore, ino: number): Result<AttrReply> {
  const inode = await getInode(core, ino);
  if (inode === null) return Errno.ENOENT;
  return { attr: attrOf(inode), attrTimeoutMs: core.options.attrTimeoutMs };
}

/** Clear set-id bits as a write or chown by an unprivileged caller must. */
export function killSetId(inode: Inode): void {
  if (isDir(inode)) return;
  const groupExec = (inode.mode & 0o010) !== 0;
  inode.mode &= ~(S_ISUID | (groupExec ? S_ISGID : 0));
}

function changeMode(inode: Inode, mode: number, ctx: RequestContext): number {
  if (!isOwnerOrRoot(inode, ctx)) return Errno.EPERM;
  let bits = mode & 0o7777;
  if (ctx.uid !== 0 && inode.gid !== ctx.gid) bits &= ~S_ISGID;
  inode.mode = (inode.mode & S_IFMT) | bits;
  return 0;
}

function changeOwner(inode: Inode, changes: SetattrChanges, ctx: RequestContext): number {
  const uid = changes.uid ?? inode.uid;
  const gid = changes.gid ?? inode.gid;
  if (ctx.uid !== 0) {
    if (uid !== inode.uid) return Errno.EPERM;
    if (gid !== inode.gid && (inode.uid !== ctx.uid || gid !== ctx.gid)) return Errno.EPERM;
  }
  if (changes.uid !== undefined || changes.gid !== undefined) killSetId(inode);
  inode.uid = uid;
  inode.gid = gid;
  return 0;
}

function changeTimes(core: FsCore, inode: Inode, changes: SetattrChanges, ctx: RequestContext) {
  const explicit = (t: Timespec | "now" | undefined) => t !== undefined && t !== "now";
  if (explicit(changes.atime) || explicit(changes.mtime)) {
    if (!isOwnerOrRoot(inode, ctx)) return Errno.EPERM;
  } else if (!isOwnerOrRoot(inode, ctx) && !mayAccess(inode, ctx, AccessMask.write)) {
    return Errno.EACCES;
  }
  const pick = (t: Timespec | "now" | undefined, old: Timespec) =>
    t === undefined ? old : t === "now" ? now(core) : t;
  inode.atime = pick(changes.atime, inode.atime);
  inode.mtime = pick(changes.mtime, inode.mtime);
  return 0;
}

async function changeSize(
  core: FsCore,
  inode: Inode,
  changes: SetattrChanges,
  ctx: RequestContext,
) {
  if (isDir(inode)) return Errno.EISDIR;
  if (!isRegular(inode)) return Errno.EINVAL;
  if (changes.size === undefined || changes.size < 0) return Errno.EINVAL;
  const handle = changes.fh === undefined ? undefined : core.handles.get(changes.fh);
  if (handle === undefined && !mayAccess(inode, ctx, AccessMask.write)) return Errno.EACCES;
  if (ctx.uid !== 0) killSetId(inode);
  return truncateData(core, inode, changes.size);
}

export function setattr(core: FsCore, ino: number, changes: SetattrChanges, ctx: RequestContext) {
  return core.inodeLocks.run([ino], async (): Result<AttrReply> => {
    const inode = await getInode(core, ino);
    if (inode === null) return Errno.ENOENT;
    const steps: (() => number | Promise<number>)[] = [];
    if (changes.mode !== undefined) steps.push(() => changeMode(inode, changes.mode ?? 0, ctx));
    if (changes.uid !== undefined || changes.gid !== undefined) {
      steps.push(() => changeOwner(inode, changes, ctx));
    }
    if (changes.size !== undefined) steps.push(() => changeSize(core, inode, changes, ctx));
    if (changes.atime !== undefined || changes.mtime !== undefined) {
      steps.push(() => changeTimes(core, inode, changes, ctx));
    }
    for (const step of steps) {
      const errno = await step();
      if (errno !== 0) return errno;
    }
    inode.ctime = changes.ctime ?? now(core);
    putInode(core, inode);
    return { attr: attrOf(inode), attrTimeoutMs: core.options.attrTimeoutMs };
  });
}

export async function readlink(core: FsCore, ino: number): Result<Uint8Array> {
  const inode = await getInode(core, ino);
  if (inode === null) return Errno.ENOENT;
  if (!isSymlink(inode) || inode.target === null) return Errno.EINVAL;
  return inode.target.slice();
}

export async function access(core: FsCore, ino: number, mask: number, ctx: RequestContext) {
  const inode = await getInode(core, ino);
  if (inode === null) return Errno.ENOENT;
  return mask === 0 || mayAccess(inode, ctx, mask & 7) ? 0 : Errno.EACCES;
}

export async function statfs(core: FsCore): Result<StatfsReply> {
  const unit = 4096;
  const blocks = Math.floor(core.options.capacityBytes / unit);
  const used = core.superblock.usedBlocks * (blockSizeBytes / unit);
  const free = Math.max(0, blocks - used);
  const files = core.options.inodesMax;
  return {
    blocks,
    blocksFree: free,
    blocksAvailable: free,
    files,
    filesFree: Math.max(0, files - core.superblock.usedInodes),
    blockSize: unit,
    nameLengthMax: nameLengthBytesMax,
    fragmentSize: unit,
  };
}
