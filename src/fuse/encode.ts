/**
 * Byte-exact encoding of reply structs (fuse.h 7.38 layouts) into a DataView at an offset.
 * Pure functions: they write, and return the number of bytes written.
 */
import type {
  Attr,
  DirEntry,
  DirEntryPlus,
  Entry,
  OpenReply,
  StatfsReply,
} from "../fs/operations.ts";
import { OpenOutFlag, Size } from "./abi.ts";

const twoPow32 = 4294967296;

/** Writes a non-negative integer below 2^53 as u64. */
export function setU64(view: DataView, offset: number, value: number): void {
  view.setUint32(offset, (value % twoPow32) >>> 0, true);
  view.setUint32(offset + 4, Math.floor(value / twoPow32) >>> 0, true);
}

/** Writes a signed integer (seconds may precede 1970) as s64. */
export function setI64(view: DataView, offset: number, value: number): void {
  if (value >= 0) setU64(view, offset, value);
  else view.setBigInt64(offset, BigInt(Math.trunc(value)), true);
}

export function encodeAttr(view: DataView, offset: number, attr: Attr): number {
  setU64(view, offset, attr.ino);
  setU64(view, offset + 8, attr.size);
  setU64(view, offset + 16, attr.blocks);
  setI64(view, offset + 24, attr.atime.sec);
  setI64(view, offset + 32, attr.mtime.sec);
  setI64(view, offset + 40, attr.ctime.sec);
  view.setUint32(offset + 48, attr.atime.nsec, true);
  view.setUint32(offset + 52, attr.mtime.nsec, true);
  view.setUint32(offset + 56, attr.ctime.nsec, true);
  view.setUint32(offset + 60, attr.mode, true);
  view.setUint32(offset + 64, attr.nlink, true);
  view.setUint32(offset + 68, attr.uid, true);
  view.setUint32(offset + 72, attr.gid, true);
  view.setUint32(offset + 76, attr.rdev, true);
  view.setUint32(offset + 80, attr.blksize, true);
  view.setUint32(offset + 84, 0, true);
  return Size.attr;
}

function setTimeout64(view: DataView, secondsOffset: number, nsecOffset: number, ms: number): void {
  const safeMs = Math.max(ms, 0);
  const sec = Math.floor(safeMs / 1000);
  setU64(view, secondsOffset, sec);
  view.setUint32(nsecOffset, Math.round((safeMs - sec * 1000) * 1e6) % 1e9, true);
}

/** fuse_entry_out; an entry with ino 0 is a negative (cacheable ENOENT) entry. */
export function encodeEntryOut(view: DataView, offset: number, entry: Entry): number {
  setU64(view, offset, entry.attr.ino);
  setU64(view, offset + 8, entry.generation);
  setTimeout64(view, offset + 16, offset + 32, entry.entryTimeoutMs);
  setTimeout64(view, offset + 24, offset + 36, entry.attrTimeoutMs);
  encodeAttr(view, offset + 40, entry.attr);
  return Size.entryOut;
}

export function encodeAttrOut(
  view: DataView,
  offset: number,
  attr: Attr,
  attrTimeoutMs: number,
): number {
  setTimeout64(view, offset, offset + 8, attrTimeoutMs);
  view.setUint32(offset + 12, 0, true);
  encodeAttr(view, offset + 16, attr);
  return Size.attrOut;
}

export function openFlagsOf(open: OpenReply): number {
  let flags = 0;
  if (open.directIo) flags |= OpenOutFlag.DIRECT_IO;
  if (open.keepCache) flags |= OpenOutFlag.KEEP_CACHE;
  if (open.nonSeekable) flags |= OpenOutFlag.NONSEEKABLE;
  if (open.cacheDir) flags |= OpenOutFlag.CACHE_DIR;
  return flags;
}

export function encodeOpenOut(view: DataView, offset: number, open: OpenReply): number {
  setU64(view, offset, open.fh);
  view.setUint32(offset + 8, openFlagsOf(open), true);
  view.setUint32(offset + 12, 0, true);
  return Size.openOut;
}

export function encodeStatfsOut(view: DataView, offset: number, s: StatfsReply): number {
  setU64(view, offset, s.blocks);
  setU64(view, offset + 8, s.blocksFree);
  setU64(view, offset + 16, s.blocksAvailable);
  setU64(view, offset + 24, s.files);
  setU64(view, offset + 32, s.filesFree);
  view.setUint32(offset + 40, s.blockSize, true);
  view.setUint32(offset + 44, s.nameLengthMax, true);
  view.setUint32(offset + 48, s.fragmentSize, true);
  for (let at = offset + 52; at < offset + Size.statfsOut; at += 4) view.setUint32(at, 0, true);
  return Size.statfsOut;
}

/** Size of one fuse_dirent record with its name, padded to 8 bytes. */
export function direntBytes(nameLength: number): number {
  return (Size.dirent + nameLength + 7) & ~7;
}

export function direntplusBytes(nameLength: number): number {
  return (Size.direntplus + nameLength + 7) & ~7;
}

function encodeDirentAt(
  bytes: Uint8Array,
  view: DataView,
  offset: number,
  entry: DirEntry,
): number {
  const recordBytes = direntBytes(entry.name.length);
  setU64(view, offset, entry.ino);
  setU64(view, offset + 8, entry.offset);
  view.setUint32(offset + 16, entry.name.length, true);
  view.setUint32(offset + 20, (entry.type >>> 12) & 0xf, true);
  bytes.set(entry.name, offset + Size.dirent);
  bytes.fill(0, offset + Size.dirent + entry.name.length, offset + recordBytes);
  return recordBytes;
}

/**
 * Encodes as many entries as fit in `sizeMax` bytes; returns bytes used and entries written.
 */
export function encodeDirents(
  bytes: Uint8Array,
  view: DataView,
  offset: number,
  entries: DirEntry[],
  sizeMax: number,
): { bytesUsed: number; count: number } {
  let used = 0;
  let count = 0;
  for (const entry of entries) {
    if (used + direntBytes(entry.name.length) > sizeMax) break;
    used += encodeDirentAt(bytes, view, offset + used, entry);
    count++;
  }
  return { bytesUsed: used, count };
}

export function encodeDirentplus(
  bytes: Uint8Array,
  view: DataView,
  offset: number,
  entries: DirEntryPlus[],
  sizeMax: number,
): { bytesUsed: number; count: number } {
  let used = 0;
  let count = 0;
  for (const entry of entries) {
    const recordBytes = direntplusBytes(entry.name.length);
    if (used + recordBytes > sizeMax) break;
    encodeEntryOut(view, offset + used, entry.entry);
    encodeDirentAt(bytes, view, offset + used + Size.entryOut, entry);
    used += recordBytes;
    count++;
  }
  return { bytesUsed: used, count };
}

export interface InitReply {
  minor: number;
  maxReadahead: number;
  flags: number;
  maxBackground: number;
  congestionThreshold: number;
  maxWriteBytes: number;
  timeGranularityNs: number;
  maxPages: number;
  flags2: number;
}

export function encodeInitOut(view: DataView, offset: number, r: InitReply): number {
  view.setUint32(offset, 7, true);
  view.setUint32(offset + 4, r.minor, true);
  view.setUint32(offset + 8, r.maxReadahead, true);
  view.setUint32(offset + 12, r.flags >>> 0, true);
  view.setUint16(offset + 16, r.maxBackground, true);
  view.setUint16(offset + 18, r.congestionThreshold, true);
  view.setUint32(offset + 20, r.maxWriteBytes, true);
  view.setUint32(offset + 24, r.timeGranularityNs, true);
  view.setUint16(offset + 28, r.maxPages, true);
  view.setUint16(offset + 30, 0, true);
  view.setUint32(offset + 32, r.flags2 >>> 0, true);
  for (let at = offset + 36; at < offset + Size.initOut; at += 4) view.setUint32(at, 0, true);
  return Size.initOut;
}

export function encodeOutHeader(
  view: DataView,
  offset: number,
  len: number,
  error: number,
  unique: number,
): void {
  view.setUint32(offset, len, true);
  view.setInt32(offset + 4, error, true);
  setU64(view, offset + 8, unique);
}
