/**
 * Byte layout of the reference 0-db v2 files (see docs/formats/zdb.md). Packed little-endian.
 * Pure encode/decode helpers: no I/O here.
 */
import { assert } from "../base/assert.ts";

export const dataMagic = "DAT0";
export const dataVersion = 3;
export const dataHeaderBytes = 28;
export const dataEntryHeaderBytes = 18;

export const indexMagic = "IDX0";
export const indexVersion = 4;
export const indexHeaderBytes = 29;
export const indexEntryHeaderBytes = 34;

export const seqKeyBytes = 8;
/** Every seq-mode index entry has the same size, so an id maps to a slot by arithmetic. */
export const seqIndexEntryBytes = indexEntryHeaderBytes + seqKeyBytes;

export const flagDeleted = 1;
export const indexModeUser = 0;
export const indexModeSeq = 1;

/** Offset of the `flags` byte inside an index entry (for in-place delete flags). */
export const indexEntryFlagsOffset = 13;

export interface DataEntryHeader {
  keyBytes: number;
  payloadBytes: number;
  previousOffset: number;
  crc: number;
  flags: number;
  timestampSeconds: number;
}

export interface IndexEntry {
  keyBytes: number;
  dataOffset: number;
  payloadBytes: number;
  previousOffset: number;
  flags: number;
  dataId: number;
  timestampSeconds: number;
  crc: number;
  parentId: number;
  parentOffset: number;
}

function writeMagic(target: Uint8Array, magic: string): void {
  for (let i = 0; i < 4; i++) target[i] = magic.charCodeAt(i);
}

function readMagic(source: Uint8Array): string {
  return String.fromCharCode(
    source[0] as number,
    source[1] as number,
    source[2] as number,
    source[3] as number,
  );
}

/** Data header: magic, version u32, created u64 (0), opened u64 (0), file id u32. */
export function encodeDataHeader(fileId: number): Uint8Array {
  const bytes = new Uint8Array(dataHeaderBytes);
  const view = new DataView(bytes.buffer);
  writeMagic(bytes, dataMagic);
  view.setUint32(4, dataVersion, true);
  view.setUint32(24, fileId, true);
  return bytes;
}

export function decodeDataHeader(bytes: Uint8Array): { fileId: number } | null {
  if (bytes.length < dataHeaderBytes || readMagic(bytes) !== dataMagic) return null;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  if (view.getUint32(4, true) !== dataVersion) return null;
  return { fileId: view.getUint32(24, true) };
}

/** Index header: magic, version u32, created u64 (0), opened u64 (0), file id u32, mode u8. */
export function encodeIndexHeader(fileId: number, mode: number): Uint8Array {
  const bytes = new Uint8Array(indexHeaderBytes);
  const view = new DataView(bytes.buffer);
  writeMagic(bytes, indexMagic);
  view.setUint32(4, indexVersion, true);
  view.setUint32(24, fileId, true);
  bytes[28] = mode;
  return bytes;
}

export function decodeIndexHeader(bytes: Uint8Array): { fileId: number; mode: number } | null {
  if (bytes.length < indexHeaderBytes || readMagic(bytes) !== indexMagic) return null;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  if (view.getUint32(4, true) !== indexVersion) return null;
  return { fileId: view.getUint32(24, true), mode: bytes[28] as number };
}

/** Little-endian u32 store without a DataView (hot path). */
function putU32(target: Uint8Array, at: number, value: number): void {
  target[at] = value & 0xff;
  target[at + 1] = (value >>> 8) & 0xff;
  target[at + 2] = (value >>> 16) & 0xff;
  target[at + 3] = (value >>> 24) & 0xff;
}

export function encodeDataEntryHeader(target: Uint8Array, entry: DataEntryHeader): void {
  assert(target.length >= dataEntryHeaderBytes, "data entry header buffer too small");
  target[0] = entry.keyBytes;
  putU32(target, 1, entry.payloadBytes);
  putU32(target, 5, entry.previousOffset);
  putU32(target, 9, entry.crc);
  target[13] = entry.flags;
  putU32(target, 14, entry.timestampSeconds);
}

export function decodeDataEntryHeader(source: Uint8Array): DataEntryHeader {
  assert(source.length >= dataEntryHeaderBytes, "data entry header truncated");
  const view = new DataView(source.buffer, source.byteOffset, dataEntryHeaderBytes);
  return {
    keyBytes: source[0] as number,
    payloadBytes: view.getUint32(1, true),
    previousOffset: view.getUint32(5, true),
    crc: view.getUint32(9, true),
    flags: source[13] as number,
    timestampSeconds: view.getUint32(14, true),
  };
}

export function encodeIndexEntry(target: Uint8Array, entry: IndexEntry): void {
  assert(target.length >= indexEntryHeaderBytes, "index entry buffer too small");
  target[0] = entry.keyBytes;
  putU32(target, 1, entry.dataOffset);
  putU32(target, 5, entry.payloadBytes);
  putU32(target, 9, entry.previousOffset);
  target[13] = entry.flags;
  putU32(target, 14, entry.dataId);
  putU32(target, 18, entry.timestampSeconds);
  putU32(target, 22, entry.crc);
  putU32(target, 26, entry.parentId);
  putU32(target, 30, entry.parentOffset);
}

export function decodeIndexEntry(source: Uint8Array, at = 0): IndexEntry {
  assert(source.length - at >= indexEntryHeaderBytes, "index entry truncated");
  const view = new DataView(source.buffer, source.byteOffset + at, indexEntryHeaderBytes);
  return {
    keyBytes: source[at] as number,
    dataOffset: view.getUint32(1, true),
    payloadBytes: view.getUint32(5, true),
    previousOffset: view.getUint32(9, true),
    flags: source[at + 13] as number,
    dataId: view.getUint32(14, true),
    timestampSeconds: view.getUint32(18, true),
    crc: view.getUint32(22, true),
    parentId: view.getUint32(26, true),
    parentOffset: view.getUint32(30, true),
  };
}

/** Seq-mode key: the id as 8 bytes little-endian. */
export function encodeSeqKey(id: number): Uint8Array {
  const bytes = new Uint8Array(seqKeyBytes);
  new DataView(bytes.buffer).setBigUint64(0, BigInt(id), true);
  return bytes;
}

/** The id of an 8-byte seq key, or -1 when the key is not a valid id. */
export function decodeSeqKey(key: Uint8Array): number {
  if (key.length !== seqKeyBytes) return -1;
  const view = new DataView(key.buffer, key.byteOffset, seqKeyBytes);
  const id = view.getBigUint64(0, true);
  return id > BigInt(Number.MAX_SAFE_INTEGER) ? -1 : Number(id);
}
