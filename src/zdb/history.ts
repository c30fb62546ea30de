/**
 * HISTORY: the chain of a key's versions through the parent pointers of index entries.
 * A cursor is the 8-byte (index file id u32, index offset u32) of a version, as the reference.
 */

import { replyText, zdbError } from "./errors.ts";
import { readAt } from "./files.ts";
import {
  dataEntryHeaderBytes,
  decodeIndexEntry,
  type IndexEntry,
  indexEntryHeaderBytes,
  indexHeaderBytes,
} from "./format.ts";
import type { Store } from "./store.ts";

const historyCursorBytes = 8;

export interface HistoryVersion {
  /** Cursor of the previous version, null at the end of the chain. */
  previous: Uint8Array | null;
  timestampSeconds: number;
  payload: Uint8Array;
}

/** Read an index entry and its key from disk (history chain). */
export function readIndexItem(
  store: Store,
  fileId: number,
  offset: number,
): { entry: IndexEntry; key: Uint8Array } | null {
  store.flushPending();
  if (offset < indexHeaderBytes) return null;
  let fd: number;
  try {
    fd = store.indexFdOf(fileId);
  } catch {
    return null;
  }
  const head = readAt(fd, indexEntryHeaderBytes + 255, offset);
  if (head.length < indexEntryHeaderBytes) return null;
  const entry = decodeIndexEntry(head);
  if (head.length < indexEntryHeaderBytes + entry.keyBytes) return null;
  const key = head.slice(indexEntryHeaderBytes, indexEntryHeaderBytes + entry.keyBytes);
  return { entry, key };
}

function readVersion(store: Store, entry: IndexEntry, keyBytes: number): Uint8Array {
  store.flushPending();
  const fd = store.dataFdOf(entry.dataId);
  const start = entry.dataOffset + dataEntryHeaderBytes + keyBytes;
  const payload = readAt(fd, entry.payloadBytes, start);
  if (payload.length !== entry.payloadBytes) throw zdbError("IO", replyText.internal);
  return payload;
}

/** HISTORY: without cursor the current version, else the version at the cursor. */
export function history(store: Store, key: Uint8Array, cursor: Uint8Array | null): HistoryVersion {
  if (cursor === null) {
    const slot = store.find(key);
    if (slot < 0) throw zdbError("NOT_FOUND", replyText.keyNotFound);
    const entry = store.slotEntry(slot);
    return versionOf(store, entry, key.length);
  }
  if (cursor.length !== historyCursorBytes) {
    throw zdbError("USAGE", replyText.invalidArguments);
  }
  const view = new DataView(cursor.buffer, cursor.byteOffset, historyCursorBytes);
  const fileId = view.getUint32(0, true);
  const offset = view.getUint32(4, true);
  if (fileId === 0 && offset === 0) throw zdbError("NOT_FOUND", replyText.noMoreHistory);
  const item = readIndexItem(store, fileId, offset);
  if (item === null) throw zdbError("USAGE", replyText.invalidIndexQuery);
  if (!Buffer.from(item.key).equals(key)) {
    throw zdbError("USAGE", replyText.invalidHistoryKey);
  }
  return versionOf(store, item.entry, key.length);
}

function versionOf(store: Store, entry: IndexEntry, keyBytes: number): HistoryVersion {
  let previous: Uint8Array | null = null;
  if (entry.parentId !== 0 || entry.parentOffset !== 0) {
    previous = new Uint8Array(historyCursorBytes);
    const view = new DataView(previous.buffer);
    view.setUint32(0, entry.parentId, true);
    view.setUint32(4, entry.parentOffset, true);
  }
  return {
    previous,
    timestampSeconds: entry.timestampSeconds,
    payload: readVersion(store, entry, keyBytes),
  };
}
