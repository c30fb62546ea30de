/** setxattr, getxattr, listxattr, removexattr over the per-inode xattr record. */
import { Errno, type RequestContext, type Result } from "../operations.ts";
import type { FsCore } from "./core.ts";
import { type Inode, InodeFlags, isDir, isRegular } from "./inode-codec.ts";
import { getInode, now, putInode } from "./inode-table.ts";
import { xattrsKey } from "./keys.ts";
import { xattrNameBytesMax, xattrTotalBytesMax, xattrValueBytesMax } from "./limits.ts";
import { AccessMask, isOwnerOrRoot, mayAccess } from "./permissions.ts";
import { Phase } from "./record-cache.ts";
import {
  bytesToKey,
  decodeXattrs,
  encodeXattrs,
  keyToBytes,
  type Xattrs,
  xattrsBytes,
} from "./xattr-codec.ts";

const E2BIG = 7;
const XATTR_CREATE = 1;
const XATTR_REPLACE = 2;

type Family = "user" | "trusted" | "security" | "system";

function familyOf(name: string): Family | null {
  for (const family of ["user", "trusted", "security", "system"] as const) {
    if (name.startsWith(`${family}.`) && name.length > family.length + 1) return family;
  }
  return null;
}

/** 0 when `ctx` may read (`write` false) or change the attribute `name` of `inode`. */
function checkAccess(inode: Inode, family: Family, ctx: RequestContext, write: boolean): number {
  if (family === "system") return Errno.ENOTSUP;
  if (family === "trusted") return ctx.uid === 0 ? 0 : write ? Errno.EPERM : Errno.ENODATA;
  if (family === "security") return !write || isOwnerOrRoot(inode, ctx) ? 0 : Errno.EPERM;
  if (!isRegular(inode) && !isDir(inode)) return write ? Errno.EPERM : Errno.ENODATA;
  const mask = write ? AccessMask.write : AccessMask.read;
  return mayAccess(inode, ctx, mask) ? 0 : Errno.EACCES;
}

async function loadXattrs(core: FsCore, inode: Inode): Promise<Xattrs> {
  if ((inode.flags & InodeFlags.hasXattrs) === 0) return new Map();
  return (await core.records.load(xattrsKey(inode.ino), decodeXattrs)) ?? new Map();
}

function store(core: FsCore, inode: Inode, xattrs: Xattrs): void {
  if (xattrs.size === 0) {
    core.records.remove(xattrsKey(inode.ino));
    inode.flags &= ~InodeFlags.hasXattrs;
  } else {
    core.records.put(xattrsKey(inode.ino), xattrs, encodeXattrs, Phase.node);
    inode.flags |= InodeFlags.hasXattrs;
  }
  inode.ctime = now(core);
  putInode(core, inode);
}

function parseName(name: Uint8Array): { key: string; family: Family } | number {
  if (name.length === 0 || name.length > xattrNameBytesMax) return Errno.ERANGE;
  const key = bytesToKey(name);
  const family = familyOf(key);
  return family === null ? Errno.ENOTSUP : { key, family };
}

export function setxattr(
  core: FsCore,
  ino: number,
  name: Uint8Array,
  value: Uint8Array,
  flags: number,
  ctx: RequestContext,
): Result<0> {
  const parsed = parseName(name);
  if (typeof parsed === "number") return Promise.resolve(parsed);
  if (value.length > xattrValueBytesMax) return Promise.resolve(E2BIG);
  if ((flags & ~(XATTR_CREATE | XATTR_REPLACE)) !== 0) return Promise.resolve(Errno.EINVAL);
  return core.inodeLocks.run([ino], async (): Result<0> => {
    const inode = await getInode(core, ino);
    if (inode === null) return Errno.ENOENT;
    const denied = checkAccess(inode, parsed.family, ctx, true);
    if (denied !== 0) return denied;
    const xattrs = await loadXattrs(core, inode);
    const exists = xattrs.has(parsed.key);
    if (flags & XATTR_CREATE && exists) return Errno.EEXIST;
    if (flags & XATTR_REPLACE && !exists) return Errno.ENODATA;
    const next = new Map(xattrs);
    next.set(parsed.key, value.slice());
    if (xattrsBytes(next) > xattrTotalBytesMax) return Errno.ENOSPC;
    store(core, inode, next);
    return 0;
  });
}

export async function getxattr(core: FsCore, ino: number, name: Uint8Array, ctx: RequestContext) {
  const parsed = parseName(name);
  if (typeof parsed === "number") return parsed === Errno.ENOTSUP ? Errno.ENODATA : parsed;
  const inode = await getInode(core, ino);
  if (inode === null) return Errno.ENOENT;
  if ((inode.flags & InodeFlags.hasXattrs) === 0) return Errno.ENODATA;
  const denied = checkAccess(inode, parsed.family, ctx, false);
  if (denied !== 0) return denied === Errno.ENOTSUP ? Errno.ENODATA : denied;
  const value = (await loadXattrs(core, inode)).get(parsed.key);
  return value === undefined ? Errno.ENODATA : value.slice();
}

export async function listxattr(
  core: FsCore,
  ino: number,
  ctx: RequestContext,
): Result<Uint8Array[]> {
  const inode = await getInode(core, ino);
  if (inode === null) return Errno.ENOENT;
  const names: Uint8Array[] = [];
  for (const key of (await loadXattrs(core, inode)).keys()) {
    if (familyOf(key) === "trusted" && ctx.uid !== 0) continue;
    names.push(keyToBytes(key));
  }
  return names;
}

export function removexattr(
  core: FsCore,
  ino: number,
  name: Uint8Array,
  ctx: RequestContext,
): Result<0> {
  const parsed = parseName(name);
  if (typeof parsed === "number") return Promise.resolve(parsed);
  return core.inodeLocks.run([ino], async (): Result<0> => {
    const inode = await getInode(core, ino);
    if (inode === null) return Errno.ENOENT;
    const denied = checkAccess(inode, parsed.family, ctx, true);
    if (denied !== 0) return denied;
    const xattrs = await loadXattrs(core, inode);
    if (!xattrs.has(parsed.key)) return Errno.ENODATA;
    const next = new Map(xattrs);
    next.delete(parsed.key);
    store(core, inode, next);
    return 0;
  });
}
