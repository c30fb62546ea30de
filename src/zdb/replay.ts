/**
 * Start-up replay: every index file into the SlotTable, then the torn-tail checks of the
 * current pair. A torn last index entry, or a last entry whose data is incomplete or fails its
 * CRC, is cut; a data tail not covered by the index (an unfinished SET) is cut; complete
 * deleted-flagged data entries (DEL) are kept. Nothing before the torn entry is lost.
 */
import * as fs from "node:fs";
import { qssError } from "../base/errors.ts";
import { crc32c } from "./crc32c.ts";
import { dataPath, indexPath, readAt, writeAt } from "./files.ts";
import {
  dataEntryHeaderBytes,
  dataHeaderBytes,
  decodeDataEntryHeader,
  decodeIndexHeader,
  decodeSeqKey,
  encodeDataHeader,
  encodeIndexHeader,
  flagDeleted,
  indexEntryHeaderBytes,
  indexHeaderBytes,
  indexModeSeq,
  seqKeyBytes,
} from "./format.ts";
import { stateCurrent, stateDeleted } from "./slots.ts";
import type { Store } from "./store.ts";

function countIndexFiles(indexDir: string): number {
  let count = 0;
  while (fs.existsSync(indexPath(indexDir, count))) count++;
  return count;
}

/** Index files are read in chunks of this size, so start-up memory stays flat. */
const replayChunkBytes = 4 * 1024 * 1024;

/** Load one index file into the store; returns the byte length of its valid part. */
function loadIndexFile(store: Store, id: number, isLast: boolean): number {
  const path = indexPath(store.options.indexDir, id);
  const fd = fs.openSync(path, "r");
  try {
    const size = fs.fstatSync(fd).size;
    const header = decodeIndexHeader(readAt(fd, indexHeaderBytes, 0));
    if (header === null) {
      if (isLast && id > 0 && size < indexHeaderBytes) return 0;
      throw qssError("CORRUPT", `Cannot load index ${path}: bad header`);
    }
    if (id === 0) store.mode = header.mode === indexModeSeq ? "seq" : "user";
    store.seqFirstIds[id] = store.slots.count;
    let position = indexHeaderBytes;
    while (position < size) {
      const chunk = readAt(fd, Math.min(replayChunkBytes, size - position), position);
      const consumed = loadEntries(store, id, chunk, position);
      if (consumed === 0) break;
      position += consumed;
    }
    if (position !== size && !isLast) {
      store.options.log(`[-] index ${path}: ${size - position} trailing bytes ignored`);
    }
    return position;
  } finally {
    fs.closeSync(fd);
  }
}

/** Parse the complete entries of a chunk read at `base`; returns the bytes consumed. */
function loadEntries(store: Store, id: number, bytes: Uint8Array, base: number): number {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  const s = store.slots;
  const seq = store.mode === "seq";
  let at = 0;
  while (at + indexEntryHeaderBytes <= bytes.length) {
    const keyBytes = bytes[at] as number;
    if (at + indexEntryHeaderBytes + keyBytes > bytes.length) break;
    const slot = s.push();
    s.dataOffset[slot] = view.getUint32(at + 1, true);
    s.payloadBytes[slot] = view.getUint32(at + 5, true);
    const deleted = ((bytes[at + 13] as number) & flagDeleted) !== 0;
    // User mode: the reference derives the data file from the index file on load.
    s.dataId[slot] = seq ? view.getUint32(at + 14, true) : id;
    s.timestampSeconds[slot] = view.getUint32(at + 18, true);
    s.crc[slot] = view.getUint32(at + 22, true);
    s.parentId[slot] = view.getUint32(at + 26, true);
    s.parentOffset[slot] = view.getUint32(at + 30, true);
    s.indexId[slot] = id;
    s.indexOffset[slot] = base + at;
    s.keyBytes[slot] = keyBytes;
    const key = bytes.subarray(at + indexEntryHeaderBytes, at + indexEntryHeaderBytes + keyBytes);
    if (seq) loadSeqKey(store, slot, key, deleted);
    else loadUserKey(store, slot, key, deleted);
    store.lastIndexOffset = base + at;
    at += indexEntryHeaderBytes + keyBytes;
  }
  return at;
}

function loadSeqKey(store: Store, slot: number, key: Uint8Array, deleted: boolean): void {
  const s = store.slots;
  const id = key.length === seqKeyBytes ? decodeSeqKey(key) : -1;
  s.keyRef[slot] = id;
  const current = !deleted && id === slot;
  s.state[slot] = deleted ? stateDeleted : current ? stateCurrent : 0;
  if (current) {
    store.entries++;
    store.dataSizeBytes += s.payloadBytes[slot] as number;
  }
}

function loadUserKey(store: Store, slot: number, key: Uint8Array, deleted: boolean): void {
  const s = store.slots;
  const previous = store.keys.get(key);
  if (previous >= 0) {
    s.state[previous] = (s.state[previous] as number) & ~stateCurrent;
    store.entries--;
    store.dataSizeBytes -= s.payloadBytes[previous] as number;
  }
  if (deleted) {
    s.state[slot] = stateDeleted;
    s.keyRef[slot] = previous >= 0 ? (s.keyRef[previous] as number) : -1;
    if (previous >= 0) store.keys.delete(key);
    return;
  }
  s.keyRef[slot] = previous >= 0 ? (s.keyRef[previous] as number) : store.keys.storeKey(key);
  s.state[slot] = stateCurrent;
  store.keys.set(key, slot);
  store.entries++;
  store.dataSizeBytes += s.payloadBytes[slot] as number;
}

export function replayIndexFiles(store: Store): void {
  const indexDir = store.options.indexDir;
  const count = countIndexFiles(indexDir);
  let validBytes = 0;
  for (let id = 0; id < count; id++) {
    validBytes = loadIndexFile(store, id, id === count - 1);
    store.indexSizeBytes += validBytes;
  }
  const currentId = count - 1;
  store.currentId = currentId;
  store.indexFd = fs.openSync(indexPath(indexDir, currentId), "r+");
  if (validBytes < indexHeaderBytes) {
    writeAt(store.indexFd, [encodeIndexHeader(currentId, store.modeByte)], 0);
    validBytes = indexHeaderBytes;
    store.indexSizeBytes += validBytes;
  }
  fs.ftruncateSync(store.indexFd, validBytes);
  store.indexEnd = validBytes;
  openCurrentData(store, validBytes > indexHeaderBytes);
  cutTornTail(store);
}

/**
 * Open the current data file. If it is missing while the current index has entries in it, it
 * is restored through `restoreMissing` (the missing-data hook) or the namespace is refused:
 * recreating it empty would make the torn-tail cut drop every entry of the file (the
 * reference's known trap). Missing with no entries (a crash inside a rotation): recreated.
 */
function openCurrentData(store: Store, indexHasEntries: boolean): void {
  const path = dataPath(store.options.dataDir, store.currentId);
  if (!fs.existsSync(path) && indexHasEntries) {
    store.options.restoreMissing?.(path);
    if (!fs.existsSync(path)) {
      throw qssError(
        "CORRUPT",
        `Cannot open namespace ${store.options.name}: its current data file ${path} is missing and was not restored (index kept as it is)`,
      );
    }
  }
  if (!fs.existsSync(path)) {
    store.options.log(`[-] ${path}: current data file missing, recreated empty (no entry in it)`);
    store.dataFd = fs.openSync(path, "w+", 0o600);
    writeAt(store.dataFd, [encodeDataHeader(store.currentId)], 0);
  } else {
    store.dataFd = fs.openSync(path, "r+");
  }
  const size = fs.fstatSync(store.dataFd).size;
  if (size < dataHeaderBytes) {
    writeAt(store.dataFd, [encodeDataHeader(store.currentId)], 0);
    fs.ftruncateSync(store.dataFd, dataHeaderBytes);
  }
  store.dataEnd = Math.max(size, dataHeaderBytes);
}

/** End offset of a slot's data entry when it lives in the current data file, else -1. */
function dataEndOf(store: Store, slot: number): number {
  const s = store.slots;
  if (s.dataId[slot] !== store.currentId) return -1;
  return (
    (s.dataOffset[slot] as number) +
    dataEntryHeaderBytes +
    store.keyBytesOf(slot) +
    (s.payloadBytes[slot] as number)
  );
}

function lastSlotIsSound(store: Store, slot: number, dataSize: number): boolean {
  const end = dataEndOf(store, slot);
  if (end < 0) return true;
  if (end > dataSize) return false;
  const s = store.slots;
  if ((s.state[slot] as number) & stateDeleted) return true;
  const start = (s.dataOffset[slot] as number) + dataEntryHeaderBytes + store.keyBytesOf(slot);
  return crc32c(readAt(store.dataFd, s.payloadBytes[slot] as number, start)) === s.crc[slot];
}

function cutTornTail(store: Store): void {
  const s = store.slots;
  const firstSlotOfFile = store.seqFirstIds[store.currentId] ?? s.count;
  while (s.count > firstSlotOfFile && !lastSlotIsSound(store, s.count - 1, store.dataEnd)) {
    dropLastSlot(store);
  }
  // Any slot may point into the current data file (seq updates rewrite old slots in place).
  let dataEnd = dataHeaderBytes;
  store.lastDataOffset = 0;
  for (let slot = 0; slot < s.count; slot++) {
    const end = dataEndOf(store, slot);
    if (end > dataEnd) {
      dataEnd = end;
      store.lastDataOffset = s.dataOffset[slot] as number;
    }
  }
  walkDataTail(store, dataEnd);
}

/** Keep complete DEL entries after the last indexed one; cut anything else. */
function walkDataTail(store: Store, from: number): void {
  let at = from;
  while (at + dataEntryHeaderBytes <= store.dataEnd) {
    const header = decodeDataEntryHeader(readAt(store.dataFd, dataEntryHeaderBytes, at));
    const end = at + dataEntryHeaderBytes + header.keyBytes + header.payloadBytes;
    const isDelete = (header.flags & flagDeleted) !== 0 && header.payloadBytes === 0;
    if (!isDelete || end > store.dataEnd) break;
    store.lastDataOffset = at;
    at = end;
  }
  if (at !== store.dataEnd) {
    store.options.log(`[-] data d${store.currentId}: torn tail of ${store.dataEnd - at} bytes cut`);
    fs.ftruncateSync(store.dataFd, at);
    store.dataEnd = at;
  }
}

function dropLastSlot(store: Store): void {
  const s = store.slots;
  const slot = s.count - 1;
  const offset = s.indexOffset[slot] as number;
  store.options.log(`[-] index i${store.currentId}: torn entry at ${offset} cut`);
  const wasCurrent = ((s.state[slot] as number) & stateCurrent) !== 0;
  if (wasCurrent) {
    store.entries--;
    store.dataSizeBytes -= s.payloadBytes[slot] as number;
  }
  if (store.mode === "user" && wasCurrent) {
    const keyRef = s.keyRef[slot] as number;
    const key = store.keys.keyAt(keyRef);
    store.keys.delete(key);
    restoreParent(store, slot, key, keyRef);
  }
  fs.ftruncateSync(store.indexFd, offset);
  store.indexSizeBytes -= store.indexEnd - offset;
  store.indexEnd = offset;
  s.truncate(slot);
  store.lastIndexOffset = slot > 0 ? (s.indexOffset[slot - 1] as number) : 0;
}

/** The cut entry replaced an older version: that version is current again. */
function restoreParent(store: Store, slot: number, key: Uint8Array, keyRef: number): void {
  const s = store.slots;
  const parentId = s.parentId[slot] as number;
  const parentOffset = s.parentOffset[slot] as number;
  if (parentOffset === 0) return;
  for (let candidate = slot - 1; candidate >= 0; candidate--) {
    if (s.indexId[candidate] !== parentId || s.indexOffset[candidate] !== parentOffset) continue;
    if (s.keyBytes[candidate] !== key.length) return;
    store.writeDeletedFlag(candidate, false);
    s.state[candidate] = stateCurrent;
    s.keyRef[candidate] = keyRef;
    store.keys.set(key, candidate);
    store.entries++;
    store.dataSizeBytes += s.payloadBytes[candidate] as number;
    return;
  }
}
