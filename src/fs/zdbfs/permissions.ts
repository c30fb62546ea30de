/** POSIX permission checks on inodes for the requesting uid/gid (no supplementary groups). */
import type { RequestContext } from "../operations.ts";
import { type Inode, isDir, S_ISVTX } from "./inode-codec.ts";

export const AccessMask = { read: 4, write: 2, execute: 1 } as const;

/** Whether `ctx` may access `inode` for every bit of `mask` (R=4, W=2, X=1). */
export function mayAccess(inode: Inode, ctx: RequestContext, mask: number): boolean {
  if (ctx.uid === 0) {
    return (mask & AccessMask.execute) === 0 || isDir(inode) || (inode.mode & 0o111) !== 0;
  }
  const bits =
    inode.uid === ctx.uid
      ? (inode.mode >> 6) & 7
      : inode.gid === ctx.gid
        ? (inode.mode >> 3) & 7
        : inode.mode & 7;
  return (bits & mask) === mask;
}

export function isOwnerOrRoot(inode: Inode, ctx: RequestContext): boolean {
  return ctx.uid === 0 || ctx.uid === inode.uid;
}

/** In a sticky directory only the owner of the entry or of the directory may remove it. */
export function stickyAllows(dir: Inode, child: Inode, ctx: RequestContext): boolean {
  if ((dir.mode & S_ISVTX) === 0) return true;
  return ctx.uid === 0 || ctx.uid === dir.uid || ctx.uid === child.uid;
}
