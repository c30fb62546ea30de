/**
 * HISTORY: the chain of a key's versions through the parent pointers of index entries.
 * A cursor is the 8-byte (index file id u32, index offset u32) of a version, as the reference.
 *
 * A cursor comes from the client, so it is never trusted: it is accepted only if it is a
 * location this process handed out for that store (bounded memory of issued cursors) or one
 * reached by walking the key's parent chain from its current version (bounded walk). Any
 * other value is refused before a byte of any file is read at it.
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
/** Cursors remembered per store so that walking a long chain stays O(1) per step. */
export const historyIssuedCursorsMax = 4096;
/** Versions walked from the current one to recognise a cursor not remembered. */
export const historyWalkStepsMax = 65_536;

const issuedCursors = new WeakMap<Store, Set<string>>();

function locationKey(fileId: number, offset: number): string {
  return `${fileId}:${offset}`;
}

function rememberCursor(store: Store, fileId: number, offset: number): void {
  let issued = issuedCursors.get(store);
  if (issued === undefined) {
    issued = new Set();
    issuedCursors.set(store, issued);
  }
  const entry = locationKey(fileId, offset);
  issued.delete(entry);
  issued.add(entry);
  if (issued.size > historyIssuedCursorsMax) {
    const oldest = issued.values().next().value;
    if (oldest !== undefined) issued.delete(oldest);
  }
}

/** Whether (fileId, offset) is a real version of `key`: issued before, or on its chain. */
function isKnownVersion(store: Store, key: Uint8Array, fileId: number, offset: number): boolean {
  if (issuedCursors.get(store)?.has(locationKey(fileId, offset))) return true;
  const slot = store.find(key);
  if (slot < 0) return false;
  let id = store.slots.indexId[slot] as number;
  let at = store.slots.indexOffset[slot] as number;
  let parentId = store.slots.parentId[slot] as number;
  let parentOffset = store.slots.parentOffset[slot] as number;
  for (let step = 0; step < historyWalkStepsMax; step += 1) {
    if (id === fileId && at === offset) return true;
    if (parentId === 0 && parentOffset === 0) return false;
    id = parentId;
    at = parentOffset;
    // Parent pointers were written by the engine: reading at them is safe.
    const item = readIndexItem(store, id, at);
    if (item === null) return false;
    parentId = item.entry.parentId;
    parentOffset = item.entry.parentOffset;
  }
  return false;
}

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
  // Only the key bytes at the cursor are compared (the reference's errors); nothing read
  // there is used before the location is known to be a real version of this key.
  const item = readIndexItem(store, fileId, offset);
  if (item === null) throw zdbError("USAGE", replyText.invalidIndexQuery);
  if (!Buffer.from(item.key).equals(key)) {
    throw zdbError("USAGE", replyText.invalidHistoryKey);
  }
  if (!isKnownVersion(store, key, fileId, offset)) {
    throw zdbError("USAGE", replyText.invalidIndexQuery);
  }
  return versionOf(store, item.entry, key.length);
}

function versionOf(store: Store, entry: IndexEntry, keyBytes: number): HistoryVersion {
  let previous: Uint8Array | null = null;
  if (entry.parentId !== 0 || entry.parentOffset !== 0) {
    rememberCursor(store, entry.parentId, entry.parentOffset);
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
