/**
 * The comparisons behind `fsck`, after the walk (`fsck-walk.ts`): stored inodes, records and
 * blocks against what the tree reaches, block counts against the bitmaps, and the superblock's
 * usage counters. Each problem carries the fix `recover.ts` applies (exact keys, never anything
 * reachable from the root). Only `get` is called.
 */
import { bitIsSet, decodeBitmapPage } from "./bitmap.ts";
import type { FsckFix } from "./fsck-types.ts";
import type { Checker } from "./fsck-walk.ts";
import { isDir, isRegular } from "./inode-codec.ts";
import { bitmapKey, blockKey, dirIndexKey, dirPageKey, inodeKey, xattrsKey } from "./keys.ts";
import { bitmapPageBlocks } from "./limits.ts";
import type { Superblock } from "./superblock.ts";

const noBlocks: ReadonlySet<number> = new Set();

/** Every key an unreachable inode owns: blocks, bitmaps, xattrs, then the inode record. */
function deleteInodeFix(c: Checker, ino: number): FsckFix {
  const meta: Uint8Array[] = [];
  for (const page of c.keys.bitmaps.get(ino) ?? []) meta.push(bitmapKey(ino, page));
  if (c.keys.xattrs.has(ino)) meta.push(xattrsKey(ino));
  meta.push(inodeKey(ino));
  const data: Uint8Array[] = [];
  for (const index of c.blocks.get(ino) ?? []) data.push(blockKey(ino, index));
  return { op: "delete", meta, data };
}

const deleteMeta = (key: Uint8Array): FsckFix => ({ op: "delete", meta: [key], data: [] });

export async function checkInodes(
  c: Checker,
  orphans: Set<number>,
  rootIno: number,
): Promise<void> {
  for (const ino of c.keys.inodes) {
    const inode = await c.inode(ino);
    if (inode === null) continue;
    const names = c.names.get(ino) ?? 0;
    if (names === 0) {
      c.doomed.add(ino);
      const fix = deleteInodeFix(c, ino);
      if (orphans.has(ino) && inode.nlink === 0)
        c.report("pending-orphan", ino, "unlinked while open", fix);
      else c.report("orphan-inode", ino, `no name reaches it (nlink ${inode.nlink})`, fix);
    } else if (!isDir(inode) && ino !== rootIno && inode.nlink !== names) {
      const fix: FsckFix = { op: "set-inode", ino, field: "nlink", value: names };
      c.report("link-count", ino, `nlink ${inode.nlink}, ${names} names`, fix);
    }
  }
  checkDirectoryRecords(c);
  for (const ino of c.keys.xattrs) {
    if (!c.inodes.has(ino)) {
      const fix = c.absent(ino) ? deleteMeta(xattrsKey(ino)) : undefined;
      c.report("orphan-record", ino, "xattrs", fix);
    }
  }
}

/** Pages no index lists and indexes of directories the walk did not reach. */
function checkDirectoryRecords(c: Checker): void {
  for (const [ino, pages] of c.keys.dirPages) {
    for (const page of pages) {
      if (!c.pagesSeen.get(ino)?.has(page)) {
        c.report("orphan-record", ino, `directory page ${page}`, deleteMeta(dirPageKey(ino, page)));
      }
    }
  }
  for (const ino of c.keys.dirIndexes) {
    if (!c.pagesSeen.has(ino)) {
      c.report("orphan-record", ino, "directory index", deleteMeta(dirIndexKey(ino)));
    }
  }
}

/** Compare stored blocks with the bitmaps, inode by inode; returns the blocks stored. */
export async function checkBlocks(c: Checker): Promise<number> {
  for (const ino of c.keys.inodes) await checkFile(c, ino);
  for (const ino of c.blocks.keys()) if (c.absent(ino)) await checkFile(c, ino);
  for (const ino of c.keys.bitmaps.keys()) {
    if (c.absent(ino) && !c.blocks.has(ino)) await checkFile(c, ino);
  }
  let stored = 0;
  for (const set of c.blocks.values()) stored += set.size;
  return stored;
}

/** One inode's blocks and bitmap pages (its pages are read once, and dropped afterwards). */
async function checkFile(c: Checker, ino: number): Promise<void> {
  const inode = await c.inode(ino);
  const regular = inode !== null && isRegular(inode);
  const doomed = c.doomed.has(ino);
  const stored = c.blocks.get(ino) ?? noBlocks;
  const pageIds = c.keys.bitmaps.get(ino) ?? noBlocks;
  // A block or record of an undecodable inode is left alone: it may still be named.
  const removable = inode !== null || c.absent(ino);
  const pages = new Map<number, Uint8Array | null>();
  const page = async (id: number): Promise<Uint8Array | null> => {
    if (!regular || !pageIds.has(id)) return null;
    if (!pages.has(id)) {
      const bytes = await c.meta.get(bitmapKey(ino, id));
      pages.set(id, bytes === null ? null : decodeBitmapPage(bytes));
    }
    return pages.get(id) ?? null;
  };
  for (const index of stored) {
    if (doomed || bitIsSet(await page(Math.floor(index / bitmapPageBlocks)), index)) continue;
    const fix: FsckFix | undefined = removable
      ? { op: "delete", meta: [], data: [blockKey(ino, index)] }
      : undefined;
    const why = inode === null ? " of a missing inode" : " not in the bitmap";
    c.report("orphan-block", ino, `block ${index}${why}`, fix);
  }
  if (!regular) {
    for (const id of pageIds) {
      const fix = removable ? deleteMeta(bitmapKey(ino, id)) : undefined;
      c.report("orphan-record", ino, `bitmap page ${id}`, fix);
    }
    return;
  }
  let present = 0;
  for (const id of pageIds) {
    const bits = await page(id);
    for (let i = 0; bits !== null && i < bits.length * 8; i++) {
      if (((bits[i >> 3] ?? 0) & (1 << (i & 7))) === 0) continue;
      c.usage.blocksMarked++;
      const index = id * bitmapPageBlocks + i;
      if (stored.has(index)) present++;
      else if (!doomed) {
        const fix: FsckFix = { op: "clear-block", ino, block: index };
        c.report("missing-block", ino, `block ${index} is marked present but absent`, fix);
      }
    }
  }
  if (doomed) return;
  c.usage.blocksKept += present;
  if (inode.blockCount !== present) {
    const fix: FsckFix = { op: "set-inode", ino, field: "blockCount", value: present };
    c.report("block-count", ino, `block count ${inode.blockCount}, ${present} present`, fix);
  }
}

/** The superblock's statfs counters against the inode records and bitmap bits. */
export function checkCounters(c: Checker, superblock: Superblock): void {
  const inodes = c.inodes.size;
  const blocks = c.usage.blocksMarked;
  if (superblock.usedInodes === inodes && superblock.usedBlocks === blocks) return;
  c.report(
    "counter",
    0,
    `superblock counts ${superblock.usedInodes} inodes and ${superblock.usedBlocks} blocks; ` +
      `stored: ${inodes} inodes, ${blocks} blocks marked present`,
    { op: "set-counters" },
  );
}
