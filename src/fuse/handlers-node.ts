/**
 * Handlers for requests about names and inodes: lookup, getattr, setattr, readlink, mknod,
 * mkdir, symlink, unlink, rmdir, rename, rename2, link, access, statfs. Each decodes nothing
 * itself (the table did), calls the filesystem and answers exactly once.
 */
import type { SetattrChanges } from "../fs/operations.ts";
import { SetattrValid } from "./abi.ts";
import type { Call } from "./call.ts";
import type * as D from "./decode.ts";
import { modeWithoutPrivileges, setattrKillSuidgid } from "./kill-privileges.ts";

const errno = (value: unknown): value is number => typeof value === "number";

export async function handleLookup(c: Call, a: D.NameArgs): Promise<void> {
  const r = await c.ops.lookup?.(c.nodeId, a.name, c);
  if (r === undefined) return c.error(38);
  return errno(r) ? c.error(r) : c.entry(r);
}

export async function handleGetattr(c: Call, a: D.GetattrArgs): Promise<void> {
  const r = await c.ops.getattr?.(c.nodeId, a.fh, c);
  if (r === undefined) return c.error(38);
  return errno(r) ? c.error(r) : c.attr(r);
}

/** fuse_setattr_in.valid bits → only the changed fields. */
export function setattrChanges(a: D.SetattrArgs): SetattrChanges {
  const v = a.valid;
  const changes: SetattrChanges = {};
  if (v & SetattrValid.MODE) changes.mode = a.mode;
  if (v & SetattrValid.UID) changes.uid = a.uid;
  if (v & SetattrValid.GID) changes.gid = a.gid;
  if (v & SetattrValid.SIZE) changes.size = a.size;
  if (v & SetattrValid.ATIME_NOW) changes.atime = "now";
  else if (v & SetattrValid.ATIME) changes.atime = { sec: a.atimeSec, nsec: a.atimeNsec };
  if (v & SetattrValid.MTIME_NOW) changes.mtime = "now";
  else if (v & SetattrValid.MTIME) changes.mtime = { sec: a.mtimeSec, nsec: a.mtimeNsec };
  if (v & SetattrValid.CTIME) changes.ctime = { sec: a.ctimeSec, nsec: a.ctimeNsec };
  if (v & SetattrValid.FH) changes.fh = a.fh;
  return changes;
}

export async function handleSetattr(c: Call, a: D.SetattrArgs): Promise<void> {
  const changes = setattrChanges(a);
  if ((a.valid & setattrKillSuidgid) !== 0 && changes.mode === undefined) {
    const current = await c.ops.getattr?.(c.nodeId, undefined, c);
    if (current !== undefined && typeof current !== "number") {
      const cleared = modeWithoutPrivileges(current.attr.mode);
      if (cleared !== current.attr.mode) changes.mode = cleared & 0o7777;
    }
  }
  const r = await c.ops.setattr?.(c.nodeId, changes, c);
  if (r === undefined) return c.error(38);
  return errno(r) ? c.error(r) : c.attr(r);
}

export async function handleReadlink(c: Call, _a: D.NoArgs): Promise<void> {
  const r = await c.ops.readlink?.(c.nodeId, c);
  if (r === undefined) return c.error(38);
  return errno(r) ? c.error(r) : c.data(r);
}

export async function handleMknod(c: Call, a: D.MknodArgs): Promise<void> {
  const r = await c.ops.mknod?.(c.nodeId, a.name, a.mode, a.rdev, a.umask, c);
  if (r === undefined) return c.error(38);
  return errno(r) ? c.error(r) : c.entry(r);
}

export async function handleMkdir(c: Call, a: D.MkdirArgs): Promise<void> {
  const r = await c.ops.mkdir?.(c.nodeId, a.name, a.mode, a.umask, c);
  if (r === undefined) return c.error(38);
  return errno(r) ? c.error(r) : c.entry(r);
}

export async function handleSymlink(c: Call, a: D.SymlinkArgs): Promise<void> {
  const r = await c.ops.symlink?.(c.nodeId, a.name, a.target, c);
  if (r === undefined) return c.error(38);
  return errno(r) ? c.error(r) : c.entry(r);
}

export async function handleUnlink(c: Call, a: D.NameArgs): Promise<void> {
  const r = await c.ops.unlink?.(c.nodeId, a.name, c);
  if (r === undefined) return c.error(38);
  return r === 0 ? c.ok() : c.error(r);
}

export async function handleRmdir(c: Call, a: D.NameArgs): Promise<void> {
  const r = await c.ops.rmdir?.(c.nodeId, a.name, c);
  if (r === undefined) return c.error(38);
  return r === 0 ? c.ok() : c.error(r);
}

export async function handleRename(c: Call, a: D.RenameArgs): Promise<void> {
  const r = await c.ops.rename?.(c.nodeId, a.name, a.newDir, a.newName, a.flags, c);
  if (r === undefined) return c.error(38);
  return r === 0 ? c.ok() : c.error(r);
}

export async function handleLink(c: Call, a: D.LinkArgs): Promise<void> {
  const r = await c.ops.link?.(a.oldNodeId, c.nodeId, a.name, c);
  if (r === undefined) return c.error(38);
  return errno(r) ? c.error(r) : c.entry(r);
}

export async function handleAccess(c: Call, a: D.AccessArgs): Promise<void> {
  const r = await c.ops.access?.(c.nodeId, a.mask, c);
  if (r === undefined) return c.error(38);
  return r === 0 ? c.ok() : c.error(r);
}

export async function handleStatfs(c: Call, _a: D.NoArgs): Promise<void> {
  const r = await c.ops.statfs?.(c.nodeId, c);
  if (r === undefined) return c.error(38);
  return errno(r) ? c.error(r) : c.statfs(r);
}

/** syncfs(2): the kernel forwards it only when it was negotiated; make everything durable. */
export async function handleSyncfs(c: Call, _a: D.NoArgs): Promise<void> {
  const r = (await c.ops.syncfs?.(c)) ?? 0;
  return r === 0 ? c.ok() : c.error(r);
}
