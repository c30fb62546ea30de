/**
 * One namespace's append-only store: the current `d<N>`/`i<N>` pair, the in-memory index
 * (SlotTable + user-key map), rotation, history, scan. Synchronous; no sockets, no properties
 * (password, worm, ...) — those live in `namespace.ts`'s callers (`engine-namespace.ts`).
 */
import * as fs from "node:fs";
import { assert } from "../base/assert.ts";
import { crc32c } from "./crc32c.ts";
import { DataTail } from "./data-tail.ts";
import { MissingDataError, replyText, zdbError } from "./errors.ts";
import {
  allocateBuffer,
  ClosedFileCache,
  dataPath,
  fileSize,
  indexPath,
  readAt,
  readInto,
  writeAt,
} from "./files.ts";
import {
  dataEntryHeaderBytes,
  dataHeaderBytes,
  decodeIndexEntry,
  decodeSeqKey,
  encodeDataEntryHeader,
  encodeDataHeader,
  encodeIndexEntry,
  encodeIndexHeader,
  encodeSeqKey,
  flagDeleted,
  type IndexEntry,
  indexEntryFlagsOffset,
  indexEntryHeaderBytes,
  indexHeaderBytes,
  indexModeSeq,
  indexModeUser,
  seqKeyBytes,
} from "./format.ts";
import { KeyIndex } from "./key-index.ts";
import { tailBytesMax, tailEntryBytesMax } from "./limits.ts";
import type { FileRange, NamespaceMode } from "./namespace.ts";
import { PageTrimmer, ReadTrimmer } from "./page-trim.ts";
import { replayIndexFiles } from "./replay.ts";
import { SlotTable, stateCurrent, stateDeleted } from "./slots.ts";
import { decodeScanCursor, encodeScanCursor, fdatasyncAsync, PendingWrites } from "./store-io.ts";

export interface JumpEvent {
  closedIndexPath: string;
  newIndexPath: string;
  closedDataPath: string;
  newDataPath: string;
  dirtyIndexIds: number[];
  /** Settles when the closed pair is durable (rejects when its sync failed). */
  synced: Promise<void>;
}

export interface StoreOptions {
  name: string;
  indexDir: string;
  dataDir: string;
  /** Mode for a fresh namespace; an existing one keeps the mode of its `i0` header. */
  mode: NamespaceMode;
  dataFileBytesMax: number;
  /** Called after a rotation; returns true when the dirty index list may be reset. */
  onJump: (event: JumpEvent) => boolean;
  /** At start-up, try to restore a missing current data file (the missing-data hook). */
  restoreMissing?: (path: string) => void;
  log: (line: string) => void;
}

export interface StoreScanEntry {
  key: Uint8Array;
  sizeBytes: number;
  timestampSeconds: number;
  cursor: Uint8Array;
}

export class Store {
  readonly options: StoreOptions;
  mode: NamespaceMode = "user";
  readonly slots = new SlotTable();
  /** User mode: key -> current slot. */
  readonly keys = new KeyIndex((slot) => this.slots.keyRef[slot] as number);
  /** Seq mode: first id (slot) of each index file. */
  seqFirstIds: number[] = [];
  currentId = 0;
  entries = 0;
  dataSizeBytes = 0;
  indexSizeBytes = 0;
  dataFd = -1;
  indexFd = -1;
  dataEnd = 0;
  indexEnd = 0;
  lastDataOffset = 0;
  lastIndexOffset = 0;
  /** Something was written since the last rotation (for `--rotate`). */
  changed = false;
  /** Set when a write to the files failed; further writes are refused. */
  failure: string | null = null;
  /**
   * The failure was a write of the files (disk full, I/O error), not a sync: what the files
   * hold is what the kernel took, so replaying them gives a sound store again. After a failed
   * sync nothing says the files hold what was written: that store stays failed.
   */
  failedWriting = false;
  /** See EngineNamespace.leaveCachingToOwner. */
  cachingLeftToOwner = false;
  /** Writes since the last fsync. */
  unsyncedWrites = 0;
  readonly dirtyIndexIds = new Set<number>();
  /** Appends not yet handed to the kernel (see `flushPending`). */
  private readonly pendingData = new PendingWrites();
  private readonly pendingIndex = new PendingWrites();
  /** Deleted flags to set in index files after the pending appends (see `retire`). */
  private pendingFlags: { id: number; position: number }[] = [];
  /** The current data file's recent appends, in memory (reads skip the pread). */
  private readonly tail = new DataTail(tailBytesMax, tailEntryBytesMax);
  /** Page cache of the current data file (off unless the owner caches: see page-trim.ts). */
  private readonly trimmer = new PageTrimmer();
  /** Page cache behind sequential reads (off unless the owner caches, like `trimmer`). */
  private readonly readTrimmer = new ReadTrimmer();
  /** Rotated pairs still being synced before their descriptors close. */
  private readonly closing = new Set<Promise<void>>();
  private readonly closedData: ClosedFileCache;
  private readonly closedIndex: ClosedFileCache;

  constructor(options: StoreOptions) {
    this.options = options;
    this.closedData = new ClosedFileCache((id) => dataPath(options.dataDir, id));
    this.closedIndex = new ClosedFileCache((id) => indexPath(options.indexDir, id), "r+");
  }

  /** Create or replay the namespace files. */
  open(): void {
    fs.mkdirSync(this.options.indexDir, { recursive: true });
    fs.mkdirSync(this.options.dataDir, { recursive: true });
    if (!fs.existsSync(indexPath(this.options.indexDir, 0))) {
      this.mode = this.options.mode;
      this.createFilePair(0);
      this.seqFirstIds = [0];
      return;
    }
    replayIndexFiles(this);
  }

  get modeByte(): number {
    return this.mode === "seq" ? indexModeSeq : indexModeUser;
  }

  createFilePair(id: number): void {
    this.adoptFilePair(id, this.openFilePair(id));
  }

  /**
   * Create pair `id` with its headers. On failure (a full disk) the partial files are removed
   * and nothing else changed: the caller keeps writing to the pair it has.
   */
  private openFilePair(id: number): { indexFd: number; dataFd: number } {
    const paths = [indexPath(this.options.indexDir, id), dataPath(this.options.dataDir, id)];
    const fds: number[] = [];
    try {
      fds.push(fs.openSync(paths[0] as string, "w+", 0o600));
      writeAt(fds[0] as number, [encodeIndexHeader(id, this.modeByte)], 0);
      fds.push(fs.openSync(paths[1] as string, "w+", 0o600));
      writeAt(fds[1] as number, [encodeDataHeader(id)], 0);
      return { indexFd: fds[0] as number, dataFd: fds[1] as number };
    } catch (error) {
      for (const fd of fds) fs.closeSync(fd);
      for (const path of paths.slice(0, fds.length)) fs.rmSync(path, { force: true });
      throw error;
    }
  }

  private adoptFilePair(id: number, pair: { indexFd: number; dataFd: number }): void {
    this.currentId = id;
    this.indexFd = pair.indexFd;
    this.indexEnd = indexHeaderBytes;
    this.indexSizeBytes += indexHeaderBytes;
    this.dataFd = pair.dataFd;
    this.dataEnd = dataHeaderBytes;
    this.tail.reset(this.dataEnd);
    this.trimmer.reset(this.dataEnd);
  }

  /** See EngineNamespace.leaveCachingToOwner. */
  leaveCachingToOwner(): void {
    this.cachingLeftToOwner = true;
    this.tail.disable();
    this.trimmer.enable();
    this.readTrimmer.enable();
  }

  keyBytesOf(slot: number): number {
    return this.slots.keyBytes[slot] as number;
  }

  /** The slot of a live key, or -1. */
  find(key: Uint8Array): number {
    if (this.mode === "seq") {
      const id = decodeSeqKey(key);
      if (id < 0 || id >= this.slots.count) return -1;
      return (this.slots.state[id] as number) & stateCurrent ? id : -1;
    }
    return this.keys.get(key);
  }

  keyOf(slot: number): Uint8Array {
    if (this.mode === "seq") return encodeSeqKey(slot);
    return this.keys.keyAt(this.slots.keyRef[slot] as number);
  }

  dataFdOf(id: number): number {
    return id === this.currentId ? this.dataFd : this.closedData.fd(id);
  }

  indexFdOf(id: number): number {
    return id === this.currentId ? this.indexFd : this.closedIndex.fd(id);
  }

  dataPathOf(id: number): string {
    return dataPath(this.options.dataDir, id);
  }

  /**
   * Payload of a slot (throws MissingDataError when its closed data file is gone). With
   * `room`, the returned view has that many spare bytes before and after it in its buffer
   * (the server frames a RESP bulk around it without copying). Recent entries of the current
   * file come from the in-memory tail unless `fromDisk`.
   */
  readPayload(slot: number, room = 0, fromDisk = false): Uint8Array {
    const length = this.slots.payloadBytes[slot] as number;
    const buffer = allocateBuffer(length + 2 * room);
    const payload = buffer.subarray(room, room + length);
    this.readPayloadInto(slot, payload, fromDisk);
    return payload;
  }

  /** Fill `target` (exactly the payload's length) with a slot's payload. */
  readPayloadInto(slot: number, target: Uint8Array, fromDisk = false): void {
    const s = this.slots;
    const dataId = s.dataId[slot] as number;
    const start = (s.dataOffset[slot] as number) + dataEntryHeaderBytes + this.keyBytesOf(slot);
    assert(target.length === s.payloadBytes[slot], "payload target of the wrong length");
    if (!fromDisk && dataId === this.currentId && this.tail.readInto(target, start)) return;
    this.flushPending();
    const fd = this.dataFdOf(dataId);
    if (readInto(fd, target, start) !== target.length) throw zdbError("IO", replyText.internal);
    this.readTrimmer.read(fd, start, target.length);
  }

  /** Where a slot's payload lies on disk (appends pending for it are written first). */
  payloadRange(slot: number): FileRange {
    const s = this.slots;
    const dataId = s.dataId[slot] as number;
    const offset = (s.dataOffset[slot] as number) + dataEntryHeaderBytes + this.keyBytesOf(slot);
    if (dataId === this.currentId) this.flushPending();
    const range = { fd: this.dataFdOf(dataId), offset, length: s.payloadBytes[slot] as number };
    this.readTrimmer.read(range.fd, range.offset, range.length);
    return range;
  }

  get(key: Uint8Array, room = 0): Uint8Array | null {
    const slot = this.find(key);
    return slot < 0 ? null : this.readPayload(slot, room);
  }

  /** 1 payload CRC ok, 0 corrupted, -1 read error, null when missing. */
  check(key: Uint8Array): number | null {
    const slot = this.find(key);
    if (slot < 0) return null;
    try {
      // From the file itself: CHECK is about what is on disk, not the in-memory tail.
      return crc32c(this.readPayload(slot, 0, true)) === this.slots.crc[slot] ? 1 : 0;
    } catch (error) {
      if (error instanceof MissingDataError) throw error;
      return -1;
    }
  }

  private jumpIfFull(incomingBytes: number): void {
    const needed = this.dataEnd + incomingBytes;
    if (this.dataEnd > dataHeaderBytes && needed > this.options.dataFileBytesMax) this.jump();
  }

  /** Close the current pair and open the next one; runs the jump callback. */
  jump(): void {
    this.flushPending();
    const closedId = this.currentId;
    // The next pair first: if the disk cannot take it, the current pair stays in use (and the
    // next jump tries again), never a store left writing to descriptors being closed.
    const next = this.openFilePair(closedId + 1);
    const synced = this.syncAndCloseInBackground(this.dataFd, this.indexFd);
    this.adoptFilePair(closedId + 1, next);
    this.seqFirstIds.push(this.slots.count);
    this.changed = false;
    const dirty = [...this.dirtyIndexIds].sort((a, b) => a - b);
    const reset = this.options.onJump({
      closedIndexPath: indexPath(this.options.indexDir, closedId),
      newIndexPath: indexPath(this.options.indexDir, this.currentId),
      closedDataPath: dataPath(this.options.dataDir, closedId),
      newDataPath: dataPath(this.options.dataDir, this.currentId),
      dirtyIndexIds: dirty,
      synced,
    });
    if (reset) this.dirtyIndexIds.clear();
  }

  private appendData(
    key: Uint8Array,
    value: Uint8Array,
    flags: number,
    ts: number,
    crc: number,
  ): number {
    const header = new Uint8Array(dataEntryHeaderBytes);
    encodeDataEntryHeader(header, {
      keyBytes: key.length,
      payloadBytes: value.length,
      previousOffset: this.lastDataOffset,
      crc,
      flags,
      timestampSeconds: ts,
    });
    const offset = this.dataEnd;
    this.pendingData.add(offset, header, key, value);
    this.tail.appendEntry(offset, header, key, value);
    if (this.pendingData.full) this.flushPending();
    this.dataEnd += dataEntryHeaderBytes + key.length + value.length;
    this.lastDataOffset = offset;
    this.unsyncedWrites++;
    this.changed = true;
    return offset;
  }

  private appendIndex(key: Uint8Array, entry: IndexEntry): number {
    const bytes = new Uint8Array(indexEntryHeaderBytes + key.length);
    encodeIndexEntry(bytes, entry);
    bytes.set(key, indexEntryHeaderBytes);
    const offset = this.indexEnd;
    this.pendingIndex.add(offset, bytes);
    if (this.pendingIndex.full) this.flushPending();
    this.indexEnd += bytes.length;
    this.indexSizeBytes += bytes.length;
    this.lastIndexOffset = offset;
    return offset;
  }

  /** The deleted flag of `slot`'s index entry is set on disk by the next `flushPending`. */
  private flagDeletedLater(slot: number): void {
    const id = this.slots.indexId[slot] as number;
    const position = (this.slots.indexOffset[slot] as number) + indexEntryFlagsOffset;
    // Still buffered: set it in the bytes about to be written.
    if (id === this.currentId && this.pendingIndex.patchByte(position, flagDeleted)) return;
    this.pendingFlags.push({ id, position });
  }

  /** Set or clear the on-disk deleted flag of a slot's index entry, in place. */
  writeDeletedFlag(slot: number, deleted: boolean): void {
    this.flushPending();
    const id = this.slots.indexId[slot] as number;
    const position = (this.slots.indexOffset[slot] as number) + indexEntryFlagsOffset;
    this.writeFlags(id, position, deleted ? flagDeleted : 0);
  }

  /** The flags byte of an index entry, written in place. */
  private writeFlags(id: number, position: number, flags: number): void {
    fs.writeSync(this.indexFdOf(id), new Uint8Array([flags]), 0, 1, position);
    if (id !== this.currentId) this.dirtyIndexIds.add(id);
  }

  private fillSlot(slot: number, entry: IndexEntry, indexId: number, indexOffset: number): void {
    const s = this.slots;
    s.dataId[slot] = entry.dataId;
    s.dataOffset[slot] = entry.dataOffset;
    s.payloadBytes[slot] = entry.payloadBytes;
    s.indexId[slot] = indexId;
    s.indexOffset[slot] = indexOffset;
    s.timestampSeconds[slot] = entry.timestampSeconds;
    s.crc[slot] = entry.crc;
    s.parentId[slot] = entry.parentId;
    s.parentOffset[slot] = entry.parentOffset;
    s.state[slot] = entry.flags & flagDeleted ? stateDeleted : stateCurrent;
    s.keyBytes[slot] = entry.keyBytes;
  }

  private identical(slot: number, value: Uint8Array, crc: number): boolean {
    if (this.slots.crc[slot] !== crc || this.slots.payloadBytes[slot] !== value.length) {
      return false;
    }
    try {
      return Buffer.from(this.readPayload(slot)).equals(value);
    } catch {
      return false;
    }
  }

  /**
   * Store a value. Returns the key (seq: the 8-byte id) or null when byte-identical.
   * Property checks (worm, maxsize, lock) are the caller's.
   */
  set(key: Uint8Array, value: Uint8Array, timestampSeconds: number): Uint8Array | null {
    this.checkWritable();
    if (this.mode === "seq") return this.setSeq(key, value, timestampSeconds);
    if (key.length === 0) throw zdbError("USAGE", replyText.keyNeeded);
    const existing = this.find(key);
    const crc = crc32c(value);
    if (existing >= 0 && this.identical(existing, value, crc)) return null;
    this.jumpIfFull(value.length);
    const dataOffset = this.appendData(key, value, 0, timestampSeconds, crc);
    const entry: IndexEntry = {
      keyBytes: key.length,
      dataOffset,
      payloadBytes: value.length,
      previousOffset: this.lastIndexOffset,
      flags: 0,
      dataId: this.currentId,
      timestampSeconds,
      crc,
      parentId: existing >= 0 ? (this.slots.indexId[existing] as number) : 0,
      parentOffset: existing >= 0 ? (this.slots.indexOffset[existing] as number) : 0,
    };
    const indexOffset = this.appendIndex(key, entry);
    if (existing >= 0) this.retire(existing);
    const slot = this.slots.push();
    this.fillSlot(slot, entry, this.currentId, indexOffset);
    this.slots.keyRef[slot] =
      existing >= 0 ? (this.slots.keyRef[existing] as number) : this.keys.storeKey(key);
    this.keys.set(key, slot);
    this.entries++;
    this.dataSizeBytes += value.length;
    return key;
  }

  /**
   * A key's current version is replaced or deleted: flag it in memory now and on disk with
   * the next flush, after the appends that replace it (the order a single write had). An
   * overwrite thus no longer forces a flush of its own: rewriting a file's blocks kept one
   * writev per batch instead of two syscalls per block (2.5x the CPU measured before).
   */
  private retire(slot: number): void {
    this.flagDeletedLater(slot);
    this.slots.state[slot] = stateDeleted;
    this.entries--;
    this.dataSizeBytes -= this.slots.payloadBytes[slot] as number;
  }

  private setSeq(key: Uint8Array, value: Uint8Array, ts: number): Uint8Array | null {
    const crc = crc32c(value);
    if (key.length === 0) return this.insertSeq(value, crc, ts);
    const id = this.find(key);
    if (id < 0) throw zdbError("NOT_FOUND", replyText.onlyUpdate);
    if (this.identical(id, value, crc)) return null;
    this.jumpIfFull(value.length);
    const idKey = encodeSeqKey(id);
    const dataOffset = this.appendData(idKey, value, 0, ts, crc);
    const s = this.slots;
    // History copy of the old version, appended (it takes a slot of its own, flagged deleted).
    const old: IndexEntry = this.slotEntry(id);
    const copy: IndexEntry = { ...old, flags: flagDeleted, previousOffset: this.lastIndexOffset };
    const copyOffset = this.appendIndex(idKey, copy);
    const copySlot = s.push();
    this.fillSlot(copySlot, copy, this.currentId, copyOffset);
    s.keyRef[copySlot] = id;
    // The id's fixed slot is rewritten in place to point at the new version.
    const updated: IndexEntry = {
      ...old,
      dataOffset,
      payloadBytes: value.length,
      flags: 0,
      dataId: this.currentId,
      timestampSeconds: ts,
      crc,
      parentId: this.currentId,
      parentOffset: copyOffset,
    };
    this.rewriteSlot(id, idKey, updated);
    this.dataSizeBytes += value.length - old.payloadBytes;
    return idKey;
  }

  private insertSeq(value: Uint8Array, crc: number, ts: number): Uint8Array {
    this.jumpIfFull(value.length);
    const id = this.slots.count;
    const idKey = encodeSeqKey(id);
    const dataOffset = this.appendData(idKey, value, 0, ts, crc);
    const entry: IndexEntry = {
      keyBytes: seqKeyBytes,
      dataOffset,
      payloadBytes: value.length,
      previousOffset: this.lastIndexOffset,
      flags: 0,
      dataId: this.currentId,
      timestampSeconds: ts,
      crc,
      parentId: 0,
      parentOffset: 0,
    };
    const indexOffset = this.appendIndex(idKey, entry);
    const slot = this.slots.push();
    assert(slot === id, "seq slot must equal the id");
    this.fillSlot(slot, entry, this.currentId, indexOffset);
    this.slots.keyRef[slot] = id;
    this.entries++;
    this.dataSizeBytes += value.length;
    return idKey;
  }

  /** The on-disk image of a slot, rebuilt from memory. */
  slotEntry(slot: number): IndexEntry {
    const s = this.slots;
    return {
      keyBytes: this.keyBytesOf(slot),
      dataOffset: s.dataOffset[slot] as number,
      payloadBytes: s.payloadBytes[slot] as number,
      previousOffset: 0,
      flags: (s.state[slot] as number) & stateDeleted ? flagDeleted : 0,
      dataId: s.dataId[slot] as number,
      timestampSeconds: s.timestampSeconds[slot] as number,
      crc: s.crc[slot] as number,
      parentId: s.parentId[slot] as number,
      parentOffset: s.parentOffset[slot] as number,
    };
  }

  private rewriteSlot(slot: number, key: Uint8Array, entry: IndexEntry): void {
    this.flushPending();
    const indexId = this.slots.indexId[slot] as number;
    const indexOffset = this.slots.indexOffset[slot] as number;
    // Keep the on-disk `previous` link of the slot untouched.
    const previous = readAt(this.indexFdOf(indexId), indexEntryHeaderBytes, indexOffset);
    entry.previousOffset = decodeIndexEntry(previous).previousOffset;
    const bytes = new Uint8Array(indexEntryHeaderBytes + key.length);
    encodeIndexEntry(bytes, entry);
    bytes.set(key, indexEntryHeaderBytes);
    writeAt(this.indexFdOf(indexId), [bytes], indexOffset);
    if (indexId !== this.currentId) this.dirtyIndexIds.add(indexId);
    this.fillSlot(slot, entry, indexId, indexOffset);
  }

  /** Delete a live key: a deleted-flagged data entry is appended, the index flagged in place. */
  del(key: Uint8Array, timestampSeconds: number): boolean {
    this.checkWritable();
    const slot = this.find(key);
    if (slot < 0) return false;
    const storedKey = this.mode === "seq" ? encodeSeqKey(slot) : key;
    this.appendData(storedKey, new Uint8Array(0), flagDeleted, timestampSeconds, 0);
    this.retire(slot);
    if (this.mode === "user") this.keys.delete(key);
    return true;
  }

  /** Up to `count` live entries after (or, reversed, before) the cursor slot. */
  scan(cursor: Uint8Array | null, count: number, reverse: boolean): StoreScanEntry[] {
    let slot = reverse ? this.slots.count : -1;
    if (cursor !== null) {
      const decoded = decodeScanCursor(cursor);
      if (decoded < 0 || decoded >= this.slots.count) {
        throw zdbError("USAGE", "Invalid cursor");
      }
      slot = decoded;
    }
    const found: StoreScanEntry[] = [];
    const step = reverse ? -1 : 1;
    for (slot += step; slot >= 0 && slot < this.slots.count; slot += step) {
      if (!((this.slots.state[slot] as number) & stateCurrent)) continue;
      found.push({
        key: this.keyOf(slot),
        sizeBytes: this.slots.payloadBytes[slot] as number,
        timestampSeconds: this.slots.timestampSeconds[slot] as number,
        cursor: encodeScanCursor(slot),
      });
      if (found.length >= count) break;
    }
    return found;
  }

  /**
   * Hand buffered appends to the kernel: data first, then index (so an index entry never
   * reaches the file before its data). Every reply of a write happens after this.
   */
  flushPending(): void {
    try {
      this.pendingData.writeTo(this.dataFd);
      this.trimmer.appended(this.dataFd, this.dataEnd);
      this.pendingIndex.writeTo(this.indexFd);
      if (this.pendingFlags.length > 0) this.writePendingFlags();
    } catch (error) {
      // Memory now runs ahead of the files: refuse writes until a restart replays them. Index
      // entries still buffered may name data that was not written: they never reach the file.
      if (this.failure === null) {
        this.failure = String(error);
        this.failedWriting = true;
      }
      this.pendingIndex.discard();
      this.pendingFlags = [];
      this.tail.reset(this.dataEnd);
      throw error;
    }
  }

  private writePendingFlags(): void {
    const flags = this.pendingFlags;
    this.pendingFlags = [];
    for (const { id, position } of flags) this.writeFlags(id, position, flagDeleted);
  }

  private checkWritable(): void {
    if (this.failure !== null) throw zdbError("IO", replyText.cannotWriteData);
  }

  /** Make everything written so far durable. */
  fsyncNow(): void {
    this.flushPending();
    fs.fdatasyncSync(this.dataFd);
    fs.fdatasyncSync(this.indexFd);
    this.unsyncedWrites = 0;
    this.trimmer.synced(this.dataFd, this.dataEnd);
  }

  /**
   * A closed pair is made durable off the event loop, then its descriptors are closed;
   * `fsyncAsync` and `settle` wait for it, so nothing written before a rotation is skipped.
   */
  private syncAndCloseInBackground(dataFd: number, indexFd: number): Promise<void> {
    const pending = Promise.all([fdatasyncAsync(dataFd), fdatasyncAsync(indexFd)])
      .then(
        () => this.trimmer.dropAll(dataFd),
        (error) => {
          // Not durable: refuse further writes, say so; fsyncAsync waiters still see it fail.
          this.failure ??= `sync of a rotated file failed: ${String(error)}`;
          this.failedWriting = false; // a failed sync: never replayed (see failedWriting)
          this.options.log(`[-] namespace ${this.options.name}: ${this.failure}`);
          throw error;
        },
      )
      .finally(() => {
        for (const fd of [dataFd, indexFd]) fs.close(fd, () => undefined);
        this.closing.delete(pending);
      });
    pending.catch(() => undefined);
    this.closing.add(pending);
    return pending;
  }

  /** Wait until every rotated pair is synced and closed. */
  async settle(): Promise<void> {
    await Promise.allSettled([...this.closing]);
  }

  /** Rejects once a write failed: what was acknowledged since may not be on disk. */
  fsyncAsync(): Promise<void> {
    try {
      this.flushPending();
    } catch (error) {
      return Promise.reject(error); // callers (timers too) get a rejection, never a throw
    }
    if (this.failure !== null) return Promise.reject(zdbError("IO", replyText.cannotWriteData));
    this.unsyncedWrites = 0;
    const dataFd = this.dataFd;
    return Promise.all([
      ...this.closing,
      fdatasyncAsync(dataFd),
      fdatasyncAsync(this.indexFd),
    ]).then(
      () => {
        // Still the current file (no rotation meanwhile): what was written is clean now.
        if (dataFd === this.dataFd) this.trimmer.synced(dataFd, this.dataEnd);
      },
      (error) => {
        // What was written may not be on disk, and nothing is left unsynced to retry: fail the
        // store, so no later sync reports success.
        this.failure ??= `sync failed: ${String(error)}`;
        this.failedWriting = false; // a failed sync: never replayed (see failedWriting)
        throw error;
      },
    );
  }

  currentDataOffset(): number {
    return this.dataEnd;
  }

  close(): void {
    // A failed store has nothing buffered it could still write: its descriptors just close.
    if (this.dataFd >= 0 && this.failure === null) this.flushPending();
    this.closedData.closeAll();
    this.closedIndex.closeAll();
    if (this.dataFd >= 0) fs.closeSync(this.dataFd);
    if (this.indexFd >= 0) fs.closeSync(this.indexFd);
    this.dataFd = -1;
    this.indexFd = -1;
    this.tail.release();
  }

  /** Forget a cached descriptor (a missing-data hook may have replaced the file). */
  forgetDataFile(id: number): void {
    this.closedData.forget(id);
  }

  currentFileSize(): number {
    return fileSize(this.dataFd);
  }
}
