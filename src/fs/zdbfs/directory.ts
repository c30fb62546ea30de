/**
 * Directory entries: hash-range pages listed by a per-directory index. Lookup is one index
 * search and one page search; readdir walks pages in hash order, so a cookie (hash and rank
 * among equal hashes) resumes correctly even after pages split or entries come and go.
 * Callers hold the directory's lock; loads happen first, mutations are synchronous.
 */
import { assert } from "../../base/assert.ts";
import type { FsCore } from "./core.ts";
import {
  compareEntries,
  type DirIndex,
  type DirPage,
  type DirRecordEntry,
  decodeDirIndex,
  decodeDirPage,
  emptyDirIndex,
  encodeDirIndex,
  encodeDirPage,
} from "./dir-codec.ts";
import { dirIndexKey, dirPageKey } from "./keys.ts";
import { dirPageEntriesMax, hashCollisionsMax } from "./limits.ts";
import { equalBytes, nameHash } from "./name-hash.ts";
import { Phase, type PhaseValue } from "./record-cache.ts";

/** Cookies 1 and 2 are "." and ".."; entries use 3 + hash * 64 + rank. */
export const firstEntryCookie = 3;

export function cookieOf(hash: number, rank: number): number {
  return firstEntryCookie + hash * hashCollisionsMax + rank;
}

export function splitCookie(cookie: number): { hash: number; rank: number } {
  const value = cookie - firstEntryCookie;
  return { hash: Math.floor(value / hashCollisionsMax), rank: value % hashCollisionsMax };
}

export async function loadDirIndex(core: FsCore, dir: number): Promise<DirIndex> {
  const index = await core.records.load(dirIndexKey(dir), decodeDirIndex);
  return index ?? emptyDirIndex();
}

export async function loadDirPage(core: FsCore, dir: number, id: number): Promise<DirPage> {
  const page = await core.records.load(dirPageKey(dir, id), decodeDirPage);
  return page ?? { entries: [] };
}

/** The slot of the page whose range holds `hash`. */
export function slotOf(index: DirIndex, hash: number): number {
  let low = 0;
  let high = index.lows.length - 1;
  while (low < high) {
    const mid = (low + high + 1) >> 1;
    if ((index.lows[mid] ?? 0) <= hash) low = mid;
    else high = mid - 1;
  }
  return low;
}

/** First position in the page whose entry is not before (hash, name). */
function positionOf(page: DirPage, probe: DirRecordEntry): number {
  let low = 0;
  let high = page.entries.length;
  while (low < high) {
    const mid = (low + high) >> 1;
    if (compareEntries(page.entries[mid] as DirRecordEntry, probe) < 0) low = mid + 1;
    else high = mid;
  }
  return low;
}

export interface DirSlot {
  index: DirIndex;
  slot: number;
  page: DirPage;
  hash: number;
  position: number;
  entry: DirRecordEntry | null;
}

/** Load what is needed to look up, add or remove `name` in `dir`. */
export async function findEntry(core: FsCore, dir: number, name: Uint8Array): Promise<DirSlot> {
  const index = await loadDirIndex(core, dir);
  const hash = nameHash(name);
  const slot = slotOf(index, hash);
  const page = await loadDirPage(core, dir, index.ids[slot] ?? 0);
  const position = positionOf(page, { hash, name, ino: 0, type: 0 });
  const candidate = page.entries[position];
  const entry =
    candidate !== undefined && candidate.hash === hash && equalBytes(candidate.name, name)
      ? candidate
      : null;
  return { index, slot, page, hash, position, entry };
}

function putIndex(core: FsCore, dir: number, index: DirIndex): void {
  core.records.put(dirIndexKey(dir), index, encodeDirIndex, Phase.dirIndex);
}

function putPage(
  core: FsCore,
  dir: number,
  id: number,
  page: DirPage,
  phase: PhaseValue = Phase.dirPage,
): void {
  core.records.put(dirPageKey(dir, id), page, encodeDirPage, phase);
}

/** Rank of the entry at `position` among entries of equal hash. */
function rankAt(page: DirPage, position: number): number {
  const hash = page.entries[position]?.hash;
  let rank = 0;
  while (position - rank - 1 >= 0 && page.entries[position - rank - 1]?.hash === hash) rank++;
  return rank;
}

/** Whether one more name with this hash fits (the cookie rank is bounded). */
export function canInsert(found: DirSlot): boolean {
  const entries = found.page.entries;
  let same = 0;
  for (let i = found.position - 1; i >= 0 && entries[i]?.hash === found.hash; i--) same++;
  for (let i = found.position; i < entries.length && entries[i]?.hash === found.hash; i++) same++;
  return same + 1 < hashCollisionsMax;
}

/** Add an entry at the slot `findEntry` returned (which found no entry). Synchronous. */
export function insertEntry(
  core: FsCore,
  dir: number,
  found: DirSlot,
  name: Uint8Array,
  ino: number,
  type: number,
): void {
  assert(found.entry === null, "insertEntry: name exists");
  const entry: DirRecordEntry = { hash: found.hash, name: name.slice(), ino, type };
  found.page.entries.splice(found.position, 0, entry);
  const id = found.index.ids[found.slot] ?? 0;
  if (found.page.entries.length > dirPageEntriesMax && splitPage(core, dir, found, id)) return;
  putPage(core, dir, id, found.page);
  if (core.records.peek(dirIndexKey(dir)) == null) putIndex(core, dir, found.index);
}

/** Split a full page in two fresh pages (copy on write: the old page is removed last). */
function splitPage(core: FsCore, dir: number, found: DirSlot, oldId: number): boolean {
  const entries = found.page.entries;
  let cut = entries.length >> 1;
  while (cut < entries.length && entries[cut]?.hash === entries[cut - 1]?.hash) cut++;
  if (cut >= entries.length) return false;
  const index = found.index;
  const leftId = index.nextPageId++;
  const rightId = index.nextPageId++;
  putPage(core, dir, leftId, { entries: entries.slice(0, cut) });
  putPage(core, dir, rightId, { entries: entries.slice(cut) });
  index.ids.splice(found.slot, 1, leftId, rightId);
  index.lows.splice(found.slot + 1, 0, (entries[cut] as DirRecordEntry).hash);
  putIndex(core, dir, index);
  core.records.remove(dirPageKey(dir, oldId));
  return true;
}

/** Remove the entry `findEntry` found. Synchronous. */
export function removeEntry(core: FsCore, dir: number, found: DirSlot): void {
  assert(found.entry !== null, "removeEntry: no entry");
  found.page.entries.splice(found.position, 1);
  const id = found.index.ids[found.slot] ?? 0;
  if (found.page.entries.length === 0 && found.slot > 0) {
    found.index.ids.splice(found.slot, 1);
    found.index.lows.splice(found.slot, 1);
    putIndex(core, dir, found.index);
    core.records.remove(dirPageKey(dir, id));
    return;
  }
  // Written after the pages that gained entries (a rename's target): see Phase.
  putPage(core, dir, id, found.page, Phase.dirPageRemoval);
}

/** Replace the inode an existing entry names (rename over, exchange). Synchronous. */
export function retargetEntry(
  core: FsCore,
  dir: number,
  found: DirSlot,
  ino: number,
  type: number,
) {
  assert(found.entry !== null, "retargetEntry: no entry");
  found.entry.ino = ino;
  found.entry.type = type;
  putPage(core, dir, found.index.ids[found.slot] ?? 0, found.page);
}

export interface ListedEntry {
  entry: DirRecordEntry;
  cookie: number;
}

/** Entries after `cookie` (>= 2 means "after . and .."), in hash order, at most `countMax`. */
export async function listEntries(
  core: FsCore,
  dir: number,
  cookie: number,
  countMax: number,
): Promise<ListedEntry[]> {
  const index = await loadDirIndex(core, dir);
  const from = cookie < firstEntryCookie ? { hash: 0, rank: -1 } : splitCookie(cookie);
  const listed: ListedEntry[] = [];
  for (let slot = slotOf(index, from.hash); slot < index.ids.length; slot++) {
    const page = await loadDirPage(core, dir, index.ids[slot] ?? 0);
    for (let position = 0; position < page.entries.length; position++) {
      const entry = page.entries[position] as DirRecordEntry;
      const rank = rankAt(page, position);
      if (entry.hash < from.hash || (entry.hash === from.hash && rank <= from.rank)) continue;
      listed.push({ entry, cookie: cookieOf(entry.hash, rank) });
      if (listed.length >= countMax) return listed;
    }
  }
  return listed;
}

/** `findEntry` from cached records only (after a `findEntry` loaded them); null if evicted. */
export function findCached(core: FsCore, dir: number, name: Uint8Array): DirSlot | null {
  const cachedIndex = core.records.peek<DirIndex>(dirIndexKey(dir));
  if (cachedIndex === undefined) return null;
  const index = cachedIndex ?? emptyDirIndex();
  const hash = nameHash(name);
  const slot = slotOf(index, hash);
  const page = core.records.peek<DirPage>(dirPageKey(dir, index.ids[slot] ?? 0));
  if (page === undefined) return null;
  const loaded = page ?? { entries: [] };
  const position = positionOf(loaded, { hash, name, ino: 0, type: 0 });
  const candidate = loaded.entries[position];
  const entry =
    candidate !== undefined && candidate.hash === hash && equalBytes(candidate.name, name)
      ? candidate
      : null;
  return { index, slot, page: loaded, hash, position, entry };
}
