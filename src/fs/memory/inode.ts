/**
 * An in-memory inode and the helpers that turn it into wire-independent replies.
 * Directory entries are keyed by the name's bytes read as latin1 (byte-preserving).
 */
import type { Attr, Entry, Timespec } from "../operations.ts";
import { FileData } from "./file-data.ts";

export const S_IFMT = 0o170000;
export const S_IFDIR = 0o040000;
export const S_IFREG = 0o100000;
export const S_IFLNK = 0o120000;

export interface DirectoryEntry {
  ino: number;
  name: Uint8Array;
}

export interface MemoryInode {
  ino: number;
  generation: number;
  mode: number;
  uid: number;
  gid: number;
  nlink: number;
  rdev: number;
  size: number;
  atime: Timespec;
  mtime: Timespec;
  ctime: Timespec;
  /** Kernel references (lookups not yet forgotten). */
  lookups: number;
  /** Open file and directory handles. */
  openCount: number;
  /** An O_TMPFILE inode not opened with O_EXCL: link() may give it its first name. */
  linkable?: boolean;
  data?: FileData;
  entries?: Map<string, DirectoryEntry>;
  parent?: number;
  target?: Uint8Array;
  xattrs?: Map<string, Uint8Array>;
}

export function nameKey(name: Uint8Array): string {
  return String.fromCharCode.apply(null, name as unknown as number[]);
}

export function now(): Timespec {
  const ms = Date.now();
  const sec = Math.floor(ms / 1000);
  return { sec, nsec: (ms - sec * 1000) * 1_000_000 };
}

export function isDirectory(inode: MemoryInode): boolean {
  return (inode.mode & S_IFMT) === S_IFDIR;
}

export function newInode(
  ino: number,
  mode: number,
  owner: { uid: number; gid: number },
): MemoryInode {
  const time = now();
  const inode: MemoryInode = {
    ino,
    generation: 1,
    mode,
    uid: owner.uid,
    gid: owner.gid,
    nlink: 1,
    rdev: 0,
    size: 0,
    atime: time,
    mtime: time,
    ctime: time,
    lookups: 0,
    openCount: 0,
  };
  const type = mode & S_IFMT;
  if (type === S_IFDIR) {
    inode.entries = new Map();
    inode.nlink = 2;
  } else if (type === S_IFREG) inode.data = new FileData();
  return inode;
}

export function attrOf(inode: MemoryInode): Attr {
  const allocated = inode.data?.allocatedBytes() ?? 0;
  return {
    ino: inode.ino,
    size: inode.size,
    blocks: Math.ceil(allocated / 512),
    atime: inode.atime,
    mtime: inode.mtime,
    ctime: inode.ctime,
    mode: inode.mode,
    nlink: inode.nlink,
    uid: inode.uid,
    gid: inode.gid,
    rdev: inode.rdev,
    blksize: 4096,
  };
}

export function entryOf(inode: MemoryInode, timeoutMs: number): Entry {
  return {
    attr: attrOf(inode),
    generation: inode.generation,
    entryTimeoutMs: timeoutMs,
    attrTimeoutMs: timeoutMs,
  };
}
