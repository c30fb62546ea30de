/**
 * The key scans behind `fsck`: every key of both namespaces, one scan page at a time, into
 * compact sets (inode numbers, page ids and block ids per inode). Only `scan` is called.
 */
import type { ZdbNamespace } from "../../zdb/namespace.ts";
import { KeyTag, parseKey } from "./keys.ts";

const scanPagesMax = 100_000_000;

export interface KeySets {
  inodes: Set<number>;
  dirIndexes: Set<number>;
  dirPages: Map<number, Set<number>>;
  bitmaps: Map<number, Set<number>>;
  xattrs: Set<number>;
}

/** Stored data blocks: inode → block indexes. */
export type BlockSets = Map<number, Set<number>>;

/** Visit every key of `ns`, one scan page at a time (nothing of a page is kept). */
async function scanAll(ns: ZdbNamespace, visit: (key: Uint8Array) => void): Promise<void> {
  let cursor: Uint8Array | undefined;
  for (let page = 0; page < scanPagesMax; page++) {
    const result = await ns.scan(cursor);
    for (const entry of result.entries) visit(entry.key);
    if (result.nextCursor === null) return;
    cursor = result.nextCursor;
  }
}

export function addTo(map: Map<number, Set<number>>, ino: number, index: number): void {
  const set = map.get(ino);
  if (set === undefined) map.set(ino, new Set([index]));
  else set.add(index);
}

export async function scanMeta(meta: ZdbNamespace): Promise<KeySets> {
  const sets: KeySets = {
    inodes: new Set(),
    dirIndexes: new Set(),
    dirPages: new Map(),
    bitmaps: new Map(),
    xattrs: new Set(),
  };
  await scanAll(meta, (key) => {
    const parsed = parseKey(key);
    if (parsed === null) return;
    if (parsed.tag === KeyTag.inode && parsed.index < 0) sets.inodes.add(parsed.ino);
    else if (parsed.tag === KeyTag.dirIndex && parsed.index < 0) sets.dirIndexes.add(parsed.ino);
    else if (parsed.tag === KeyTag.xattrs && parsed.index < 0) sets.xattrs.add(parsed.ino);
    else if (parsed.tag === KeyTag.dirPage) addTo(sets.dirPages, parsed.ino, parsed.index);
    else if (parsed.tag === KeyTag.bitmap) addTo(sets.bitmaps, parsed.ino, parsed.index);
  });
  return sets;
}

export async function scanData(data: ZdbNamespace): Promise<BlockSets> {
  const blocks: BlockSets = new Map();
  await scanAll(data, (key) => {
    const parsed = parseKey(key);
    if (parsed !== null && parsed.tag === KeyTag.block && parsed.index >= 0) {
      addTo(blocks, parsed.ino, parsed.index);
    }
  });
  return blocks;
}
