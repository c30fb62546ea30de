/**
 * The superblock ("S", meta namespace): format magic and version, block size, the inode number
 * reservation high-water mark, and usage counters for statfs. 48 bytes, little-endian.
 */
import { qssError } from "../../base/errors.ts";

export const superblockMagic = "QSSFS\0\0\x01";
export const superblockBytes = 48;

export interface Superblock {
  blockSizeBytes: number;
  /** Inode numbers below this may have been handed out; allocation continues from here. */
  inodeReservedUpTo: number;
  usedBlocks: number;
  usedInodes: number;
  /** The root directory inode. */
  rootIno: number;
}

const twoPow32 = 2 ** 32;
const setU64 = (view: DataView, at: number, value: number) => {
  view.setUint32(at, value >>> 0, true);
  view.setUint32(at + 4, Math.floor(value / twoPow32), true);
};
const getU64 = (view: DataView, at: number) =>
  view.getUint32(at + 4, true) * twoPow32 + view.getUint32(at, true);

export function encodeSuperblock(sb: Superblock): Uint8Array {
  const buffer = new ArrayBuffer(superblockBytes);
  const bytes = new Uint8Array(buffer);
  const view = new DataView(buffer);
  for (let i = 0; i < 8; i++) bytes[i] = superblockMagic.charCodeAt(i);
  view.setUint32(8, sb.blockSizeBytes, true);
  setU64(view, 16, sb.inodeReservedUpTo);
  setU64(view, 24, sb.usedBlocks);
  setU64(view, 32, sb.usedInodes);
  setU64(view, 40, sb.rootIno);
  return bytes;
}

export function decodeSuperblock(bytes: Uint8Array): Superblock {
  const magic = String.fromCharCode(...bytes.subarray(0, 8));
  if (bytes.length !== superblockBytes || magic !== superblockMagic) {
    throw qssError("CORRUPT", "Cannot open filesystem: the superblock has a bad magic or length");
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return {
    blockSizeBytes: view.getUint32(8, true),
    inodeReservedUpTo: getU64(view, 16),
    usedBlocks: getU64(view, 24),
    usedInodes: getU64(view, 32),
    rootIno: getU64(view, 40),
  };
}

/** The orphan list ("O"): inodes unlinked while open, deleted at last close or next mount. */
export function encodeOrphans(orphans: Set<number>): Uint8Array {
  const buffer = new ArrayBuffer(orphans.size * 8);
  const bytes = new Uint8Array(buffer);
  const view = new DataView(buffer);
  let at = 0;
  for (const ino of orphans) {
    setU64(view, at, ino);
    at += 8;
  }
  return bytes;
}

export function decodeOrphans(bytes: Uint8Array): Set<number> {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const orphans = new Set<number>();
  for (let at = 0; at + 8 <= bytes.length; at += 8) orphans.add(getU64(view, at));
  return orphans;
}
