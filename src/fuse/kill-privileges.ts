/**
 * FUSE_HANDLE_KILLPRIV_V2: the kernel no longer asks for `security.capability` before every
 * write (one request saved per write); instead it flags the writes, truncates and opens after
 * which the server must drop set-user-ID, set-group-ID (when group-executable) and file
 * capabilities, as the VFS would. Done here, once for every filesystem, with getattr/setattr.
 */
import type { FileSystemOperations, RequestContext } from "../fs/operations.ts";

export const writeKillSuidgid = 1 << 2; // FUSE_WRITE_KILL_SUIDGID in fuse_write_in.write_flags
export const openKillSuidgid = 1 << 0; // FUSE_OPEN_KILL_SUIDGID in fuse_open_in.open_flags
export const setattrKillSuidgid = 1 << 11; // FATTR_KILL_SUIDGID in fuse_setattr_in.valid

const S_ISUID = 0o4000;
const S_ISGID = 0o2000;
const S_IXGRP = 0o0010;
const capabilityName = new TextEncoder().encode("security.capability");

/** The mode with the bits a write by an unprivileged caller drops. */
export function modeWithoutPrivileges(mode: number): number {
  let cleared = mode & ~S_ISUID;
  if ((mode & (S_ISGID | S_IXGRP)) === (S_ISGID | S_IXGRP)) cleared &= ~S_ISGID;
  return cleared;
}

export async function killPrivileges(
  ops: FileSystemOperations,
  ino: number,
  ctx: RequestContext,
): Promise<void> {
  const current = await ops.getattr?.(ino, undefined, ctx);
  if (current === undefined || typeof current === "number") return;
  const mode = current.attr.mode;
  const cleared = modeWithoutPrivileges(mode);
  if (cleared !== mode) await ops.setattr?.(ino, { mode: cleared & 0o7777 }, ctx);
  await ops.removexattr?.(ino, capabilityName, ctx);
}
