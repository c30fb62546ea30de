/**
 * Directory records: the index ("D"+ino) lists the pages, each covering a range of name
 * hashes; a page ("P"+ino+page) holds the entries of its range sorted by (hash, name).
 * Layouts in docs/formats/fs.md.
 */
import { qssError } from "../../base/errors.ts";
import { nameLengthBytesMax } from "./limits.ts";
import { compareBytes, nameHash } from "./name-hash.ts";

export interface DirIndex {
  /** Page ids are never reused; the next one to hand out. */
  nextPageId: number;
  /** Lowest hash of each page's range, ascending; lows[0] is 0. */
  lows: number[];
  /** Page id for each range. */
  ids: number[];
}

export interface DirRecordEntry {
  hash: number;
  name: Uint8Array;
  ino: number;
  /** File type: mode >> 12 (4 bits). */
  type: number;
}

export interface DirPage {
  entries: DirRecordEntry[];
}

const twoPow32 = 2 ** 32;

export function emptyDirIndex(): DirIndex {
  return { nextPageId: 1, lows: [0], ids: [0] };
}

export function encodeDirIndex(index: DirIndex): Uint8Array {
  const buffer = new ArrayBuffer(8 + index.ids.length * 12);
  const bytes = new Uint8Array(buffer);
  const view = new DataView(buffer);
  view.setUint32(0, index.nextPageId, true);
  view.setUint32(4, index.ids.length, true);
  for (let i = 0; i < index.ids.length; i++) {
    const low = index.lows[i] ?? 0;
    view.setUint32(8 + i * 12, Math.floor(low / twoPow32), true);
    view.setUint32(12 + i * 12, low >>> 0, true);
    view.setUint32(16 + i * 12, index.ids[i] ?? 0, true);
  }
  return bytes;
}

export function decodeDirIndex(bytes: Uint8Array): DirIndex {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const count = bytes.length >= 8 ? view.getUint32(4, true) : -1;
  if (count < 1 || bytes.length !== 8 + count * 12) {
    throw qssError("CORRUPT", "Cannot decode directory index: bad length");
  }
  const index: DirIndex = { nextPageId: view.getUint32(0, true), lows: [], ids: [] };
  for (let i = 0; i < count; i++) {
    index.lows.push(
      view.getUint32(8 + i * 12, true) * twoPow32 + view.getUint32(12 + i * 12, true),
    );
    index.ids.push(view.getUint32(16 + i * 12, true));
  }
  return index;
}

/** Entry layout: u32 ino low, u32 ino high, u8 type, u8 name length, name. */
export function encodeDirPage(page: DirPage): Uint8Array {
  let length = 4;
  for (const entry of page.entries) length += 10 + entry.name.length;
  const buffer = new ArrayBuffer(length);
  const bytes = new Uint8Array(buffer);
  const view = new DataView(buffer);
  view.setUint32(0, page.entries.length, true);
  let at = 4;
  for (const entry of page.entries) {
    view.setUint32(at, entry.ino >>> 0, true);
    view.setUint32(at + 4, Math.floor(entry.ino / twoPow32), true);
    view.setUint8(at + 8, entry.type);
    view.setUint8(at + 9, entry.name.length);
    bytes.set(entry.name, at + 10);
    at += 10 + entry.name.length;
  }
  return bytes;
}

export function decodeDirPage(bytes: Uint8Array): DirPage {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const fail = (): never => {
    throw qssError("CORRUPT", "Cannot decode directory page: truncated entry");
  };
  if (bytes.length < 4) fail();
  const count = view.getUint32(0, true);
  const entries: DirRecordEntry[] = [];
  let at = 4;
  for (let i = 0; i < count; i++) {
    if (at + 10 > bytes.length) fail();
    const nameLength = view.getUint8(at + 9);
    if (
      nameLength === 0 ||
      nameLength > nameLengthBytesMax ||
      at + 10 + nameLength > bytes.length
    ) {
      fail();
    }
    const name = bytes.slice(at + 10, at + 10 + nameLength);
    entries.push({
      ino: view.getUint32(at + 4, true) * twoPow32 + view.getUint32(at, true),
      type: view.getUint8(at + 8),
      name,
      hash: nameHash(name),
    });
    at += 10 + nameLength;
  }
  return { entries };
}

export function compareEntries(a: DirRecordEntry, b: DirRecordEntry): number {
  return a.hash !== b.hash ? a.hash - b.hash : compareBytes(a.name, b.name);
}
