/**
 * POSIX permission checks on inodes for the requesting uid/gid.
 *
 * FUSE passes only the caller's fsuid/fsgid, not its supplementary groups, while the kernel
 * (default_permissions, in_group_p) honours them. So that zdbfs does not deny what the kernel
 * allowed, the supplementary groups are read from /proc/<pid>/status ("Groups:") — only when
 * they can change the answer (group and other bits differ for the mask), only if the process
 * there still has the request's fsuid/fsgid, and through a small cache bounded in size and age.
 */
import * as fs from "node:fs";
import type { RequestContext } from "../operations.ts";
import { type Inode, isDir, S_ISVTX } from "./inode-codec.ts";

export const AccessMask = { read: 4, write: 2, execute: 1 } as const;

/** Callers whose groups are remembered, and for how long (groups can change: setgroups). */
export const groupsCacheEntriesMax = 256;
export const groupsCacheAgeMsMax = 1000;
/** /proc/<pid>/status is a few KiB; anything past this is not read. */
const procStatusBytesMax = 16 * 1024;
/** NGROUPS_MAX on Linux. */
const supplementaryGroupsMax = 65_536;

interface CachedGroups {
  uid: number;
  gid: number;
  groups: ReadonlySet<number>;
  readMs: number;
}

const groupsCache = new Map<number, CachedGroups>();
const noGroups: ReadonlySet<number> = new Set();

/** The fourth (filesystem) id of a `Uid:`/`Gid:` line, or null. */
function fsIdOf(line: string | undefined): number | null {
  const id = Number(line?.trim().split(/\s+/)[3]);
  return Number.isSafeInteger(id) ? id : null;
}

function readGroups(pid: number, uid: number, gid: number): ReadonlySet<number> {
  let text: string;
  try {
    const fd = fs.openSync(`/proc/${pid}/status`, "r");
    try {
      const buffer = Buffer.alloc(procStatusBytesMax);
      const read = fs.readSync(fd, buffer, 0, buffer.length, 0);
      text = buffer.subarray(0, read).toString("latin1");
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    return noGroups;
  }
  const fields = new Map<string, string>();
  for (const line of text.split("\n")) {
    const colon = line.indexOf(":");
    if (colon > 0) fields.set(line.slice(0, colon), line.slice(colon + 1));
  }
  // The pid may be gone and reused, or have changed credentials: then trust nothing.
  if (fsIdOf(fields.get("Uid")) !== uid || fsIdOf(fields.get("Gid")) !== gid) return noGroups;
  const groups = new Set<number>();
  for (const word of (fields.get("Groups") ?? "").trim().split(/\s+/)) {
    if (groups.size >= supplementaryGroupsMax) break;
    const group = Number(word);
    if (word !== "" && Number.isSafeInteger(group)) groups.add(group);
  }
  return groups;
}

/** The caller's supplementary groups (empty when they cannot be known). */
export function supplementaryGroups(ctx: RequestContext): ReadonlySet<number> {
  if (!(ctx.pid > 0)) return noGroups;
  const nowMs = Date.now();
  const cached = groupsCache.get(ctx.pid);
  if (
    cached !== undefined &&
    cached.uid === ctx.uid &&
    cached.gid === ctx.gid &&
    nowMs - cached.readMs <= groupsCacheAgeMsMax
  ) {
    return cached.groups;
  }
  const groups = readGroups(ctx.pid, ctx.uid, ctx.gid);
  groupsCache.delete(ctx.pid);
  groupsCache.set(ctx.pid, { uid: ctx.uid, gid: ctx.gid, groups, readMs: nowMs });
  if (groupsCache.size > groupsCacheEntriesMax) {
    const oldest = groupsCache.keys().next().value;
    if (oldest !== undefined) groupsCache.delete(oldest);
  }
  return groups;
}

/** Whether `ctx` may access `inode` for every bit of `mask` (R=4, W=2, X=1). */
export function mayAccess(inode: Inode, ctx: RequestContext, mask: number): boolean {
  if (ctx.uid === 0) {
    return (mask & AccessMask.execute) === 0 || isDir(inode) || (inode.mode & 0o111) !== 0;
  }
  const grants = (bits: number) => (bits & mask) === mask;
  if (inode.uid === ctx.uid) return grants((inode.mode >> 6) & 7);
  const byGroup = grants((inode.mode >> 3) & 7);
  if (inode.gid === ctx.gid) return byGroup;
  const byOther = grants(inode.mode & 7);
  // Membership matters only when group and other bits disagree.
  if (byGroup === byOther) return byOther;
  return supplementaryGroups(ctx).has(inode.gid) ? byGroup : byOther;
}

export function isOwnerOrRoot(inode: Inode, ctx: RequestContext): boolean {
  return ctx.uid === 0 || ctx.uid === inode.uid;
}

/** In a sticky directory only the owner of the entry or of the directory may remove it. */
export function stickyAllows(dir: Inode, child: Inode, ctx: RequestContext): boolean {
  if ((dir.mode & S_ISVTX) === 0) return true;
  return ctx.uid === 0 || ctx.uid === dir.uid || ctx.uid === child.uid;
}
