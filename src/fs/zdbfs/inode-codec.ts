/**
 * The inode record (meta namespace, key "i"+ino): a fixed 108-byte little-endian header, then
 * the symlink target for symlinks. Layout in docs/formats/fs.md.
 */
import { assert } from "../../base/assert.ts";
import { qssError } from "../../base/errors.ts";
import type { Timespec } from "../operations.ts";
import { symlinkTargetBytesMax } from "./limits.ts";

export const inodeVersion = 1;
export const inodeHeaderBytes = 108;
export const InodeFlags = { hasXattrs: 1 } as const;

export const S_IFMT = 0o170000;
export const S_IFDIR = 0o040000;
export const S_IFREG = 0o100000;
export const S_IFLNK = 0o120000;
export const S_ISUID = 0o4000;
export const S_ISGID = 0o2000;
export const S_ISVTX = 0o1000;

export interface Inode {
  ino: number;
  mode: number;
  nlink: number;
  flags: number;
  uid: number;
  gid: number;
  size: number;
  rdev: number;
  /** Directories: the parent directory (the root is its own parent). */
  parent: number;
  /** Directories: how many entries (all pages together). */
  entryCount: number;
  /** Regular files: how many data blocks are present. */
  blockCount: number;
  atime: Timespec;
  mtime: Timespec;
  ctime: Timespec;
  /** Symlinks: the target. */
  target: Uint8Array | null;
}

export const isDir = (inode: Inode): boolean => (inode.mode & S_IFMT) === S_IFDIR;
export const isRegular = (inode: Inode): boolean => (inode.mode & S_IFMT) === S_IFREG;
export const isSymlink = (inode: Inode): boolean => (inode.mode & S_IFMT) === S_IFLNK;

const twoPow32 = 2 ** 32;

function setU64(view: DataView, offset: number, value: number): void {
  assert(Number.isSafeInteger(value) && value >= 0, "u64 field out of range");
  view.setUint32(offset, value >>> 0, true);
  view.setUint32(offset + 4, Math.floor(value / twoPow32), true);
}

function getU64(view: DataView, offset: number): number {
  return view.getUint32(offset + 4, true) * twoPow32 + view.getUint32(offset, true);
}

function setTime(view: DataView, offset: number, time: Timespec): void {
  view.setBigInt64(offset, BigInt(time.sec), true);
  view.setUint32(offset + 8, time.nsec, true);
}

function getTime(view: DataView, offset: number): Timespec {
  return { sec: Number(view.getBigInt64(offset, true)), nsec: view.getUint32(offset + 8, true) };
}

export function encodeInode(inode: Inode): Uint8Array {
  const target = inode.target ?? new Uint8Array(0);
  assert(target.length <= symlinkTargetBytesMax, "symlink target too long");
  const buffer = new ArrayBuffer(inodeHeaderBytes + target.length);
  const bytes = new Uint8Array(buffer);
  const view = new DataView(buffer);
  view.setUint8(0, inodeVersion);
  view.setUint8(1, inode.flags);
  view.setUint16(2, target.length, true);
  view.setUint32(4, inode.mode, true);
  view.setUint32(8, inode.nlink, true);
  setU64(view, 16, inode.uid);
  setU64(view, 24, inode.gid);
  setU64(view, 32, inode.size);
  setU64(view, 40, inode.rdev);
  setU64(view, 48, inode.parent);
  setU64(view, 56, inode.entryCount);
  setU64(view, 64, inode.blockCount);
  setTime(view, 72, inode.atime);
  setTime(view, 84, inode.mtime);
  setTime(view, 96, inode.ctime);
  bytes.set(target, inodeHeaderBytes);
  return bytes;
}

export function decodeInode(ino: number, bytes: Uint8Array): Inode {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.length < inodeHeaderBytes || view.getUint8(0) !== inodeVersion) {
    throw qssError("CORRUPT", `Cannot decode inode ${ino}: bad length or version`);
  }
  const targetLength = view.getUint16(2, true);
  if (bytes.length !== inodeHeaderBytes + targetLength) {
    throw qssError("CORRUPT", `Cannot decode inode ${ino}: length does not match its target`);
  }
  const mode = view.getUint32(4, true);
  return {
    ino,
    flags: view.getUint8(1),
    mode,
    nlink: view.getUint32(8, true),
    uid: getU64(view, 16),
    gid: getU64(view, 24),
    size: getU64(view, 32),
    rdev: getU64(view, 40),
    parent: getU64(view, 48),
    entryCount: getU64(view, 56),
    blockCount: getU64(view, 64),
    atime: getTime(view, 72),
    mtime: getTime(view, 84),
    ctime: getTime(view, 96),
    target: (mode & S_IFMT) === S_IFLNK ? bytes.slice(inodeHeaderBytes) : null,
  };
}
