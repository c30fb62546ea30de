/** Checks shared by the operations: names, directories, the caller's rights over a parent. */
import { Errno, type Errnum, type RequestContext } from "../operations.ts";
import type { FsCore } from "./core.ts";
import { type Inode, isDir } from "./inode-codec.ts";
import { getInode } from "./inode-table.ts";
import { nameLengthBytesMax } from "./limits.ts";
import { AccessMask, mayAccess } from "./permissions.ts";

const slash = 0x2f;
const dot = 0x2e;

/** 0 when `name` is a valid new entry name, else the errno. */
export function checkName(name: Uint8Array): number {
  if (name.length === 0) return Errno.ENOENT;
  if (name.length > nameLengthBytesMax) return Errno.ENAMETOOLONG;
  if (name.includes(slash) || name.includes(0)) return Errno.EINVAL;
  return 0;
}

export function isDotOrDotDot(name: Uint8Array): boolean {
  return (
    (name.length === 1 && name[0] === dot) ||
    (name.length === 2 && name[0] === dot && name[1] === dot)
  );
}

/** A live directory, or ENOENT / ENOTDIR. */
export async function loadDir(core: FsCore, ino: number): Promise<Inode | Errnum> {
  const dir = await getInode(core, ino);
  if (dir === null || dir.nlink === 0) return Errno.ENOENT;
  if (!isDir(dir)) return Errno.ENOTDIR;
  return dir;
}

/** The parent directory, searchable (X) and, for `write`, writable (W): or the errno. */
export async function loadParent(
  core: FsCore,
  ino: number,
  ctx: RequestContext,
  write: boolean,
): Promise<Inode | Errnum> {
  const dir = await loadDir(core, ino);
  if (typeof dir === "number") return dir;
  const mask = AccessMask.execute | (write ? AccessMask.write : 0);
  if (!mayAccess(dir, ctx, mask)) return Errno.EACCES;
  return dir;
}

export const isErrno = (value: unknown): value is number => typeof value === "number";
