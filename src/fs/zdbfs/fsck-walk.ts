/**
 * The checks behind `fsck`: scan the namespaces' keys, walk the tree from the root, then
 * compare what was reached with what is stored. Only `get` and `scan` are called.
 */
import type { ZdbNamespace } from "../../zdb/namespace.ts";
import { decodeBitmapPage } from "./bitmap.ts";
import { type DirIndex, decodeDirIndex, decodeDirPage, emptyDirIndex } from "./dir-codec.ts";
import type { FsckProblem, FsckProblemKind } from "./fsck-types.ts";
import { fsckProblemsMax } from "./fsck-types.ts";
import { decodeInode, type Inode, isDir, isRegular } from "./inode-codec.ts";
import {
  bitmapKey,
  blockKey,
  dirIndexKey,
  dirPageKey,
  inodeKey,
  KeyTag,
  parseKey,
  xattrsKey,
} from "./keys.ts";
import { bitmapPageBlocks } from "./limits.ts";

const scanPagesMax = 100_000_000;

export interface KeySets {
  inodes: Set<number>;
  dirIndexes: Set<number>;
  dirPages: Map<number, Set<number>>;
  bitmaps: Map<number, Set<number>>;
  xattrs: Set<number>;
}

async function scanAll(ns: ZdbNamespace, visit: (key: Uint8Array) => void): Promise<void> {
  let cursor: Uint8Array | undefined;
  for (let page = 0; page < scanPagesMax; page++) {
    const result = await ns.scan(cursor);
    for (const entry of result.entries) visit(entry.key);
    if (result.nextCursor === null) return;
    cursor = result.nextCursor;
  }
}

function addTo(map: Map<number, Set<number>>, ino: number, index: number): void {
  const set = map.get(ino) ?? new Set<number>();
  set.add(index);
  map.set(ino, set);
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

export class Checker {
  readonly problems: FsckProblem[] = [];
  readonly inodes = new Map<number, Inode>();
  readonly names = new Map<number, number>();
  readonly pagesSeen = new Map<number, Set<number>>();
  entries = 0;
  directories = 0;

  constructor(
    readonly meta: ZdbNamespace,
    readonly data: ZdbNamespace,
    readonly keys: KeySets,
  ) {}

  report(kind: FsckProblemKind, ino: number, detail: string, leak?: FsckProblem["leak"]): void {
    if (this.problems.length >= fsckProblemsMax) return;
    this.problems.push(leak === undefined ? { kind, ino, detail } : { kind, ino, detail, leak });
  }

  async inode(ino: number): Promise<Inode | null> {
    const cached = this.inodes.get(ino);
    if (cached !== undefined) return cached;
    const bytes = await this.meta.get(inodeKey(ino));
    if (bytes === null) return null;
    try {
      const inode = decodeInode(ino, bytes);
      this.inodes.set(ino, inode);
      return inode;
    } catch (error) {
      this.report("corrupt-record", ino, `inode: ${(error as Error).message}`);
      return null;
    }
  }

  async index(dir: number): Promise<DirIndex> {
    const bytes = await this.meta.get(dirIndexKey(dir));
    if (bytes === null) return emptyDirIndex();
    try {
      return decodeDirIndex(bytes);
    } catch (error) {
      this.report("corrupt-record", dir, `directory index: ${(error as Error).message}`);
      return emptyDirIndex();
    }
  }

  /** Check one directory's pages; returns its subdirectories. */
  async directory(dir: Inode): Promise<number[]> {
    this.directories++;
    const index = await this.index(dir.ino);
    const subdirs: number[] = [];
    let count = 0;
    for (const id of index.ids) {
      addTo(this.pagesSeen, dir.ino, id);
      const bytes = await this.meta.get(dirPageKey(dir.ino, id));
      if (bytes === null) {
        if (index.ids.length > 1 || this.keys.dirIndexes.has(dir.ino)) {
          this.report("missing-page", dir.ino, `page ${id} listed in the index is missing`);
        }
        continue;
      }
      let entries: ReturnType<typeof decodeDirPage>["entries"];
      try {
        entries = decodeDirPage(bytes).entries;
      } catch (error) {
        this.report("corrupt-record", dir.ino, `page ${id}: ${(error as Error).message}`);
        continue;
      }
      for (const entry of entries) {
        count++;
        this.entries++;
        const name = new TextDecoder().decode(entry.name);
        const child = await this.inode(entry.ino);
        if (child === null) {
          this.report("dangling-entry", dir.ino, `"${name}" names missing inode ${entry.ino}`);
          continue;
        }
        this.names.set(entry.ino, (this.names.get(entry.ino) ?? 0) + 1);
        if (isDir(child)) {
          subdirs.push(child.ino);
          if (child.parent !== dir.ino) {
            this.report(
              "bad-parent",
              child.ino,
              `"${name}" has parent ${child.parent}, not ${dir.ino}`,
            );
          }
        }
      }
    }
    if (count !== dir.entryCount) {
      this.report("entry-count", dir.ino, `${count} entries, inode says ${dir.entryCount}`);
    }
    if (dir.nlink !== 2 + subdirs.length) {
      this.report("link-count", dir.ino, `nlink ${dir.nlink}, expected ${2 + subdirs.length}`);
    }
    return subdirs;
  }

  async walk(rootIno: number): Promise<void> {
    const root = await this.inode(rootIno);
    if (root === null) {
      this.report("dangling-entry", rootIno, "the root inode is missing");
      return;
    }
    this.names.set(rootIno, 1);
    const queue = [rootIno];
    const visited = new Set<number>();
    while (queue.length > 0) {
      const ino = queue.shift() as number;
      if (visited.has(ino)) {
        this.report("link-count", ino, "directory reached by more than one name");
        continue;
      }
      visited.add(ino);
      const dir = await this.inode(ino);
      if (dir !== null) queue.push(...(await this.directory(dir)));
    }
  }
}

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
      if (orphans.has(ino) && inode.nlink === 0)
        c.report("pending-orphan", ino, "unlinked while open");
      else c.report("orphan-inode", ino, `no name reaches it (nlink ${inode.nlink})`);
    } else if (!isDir(inode) && ino !== rootIno && inode.nlink !== names) {
      c.report("link-count", ino, `nlink ${inode.nlink}, ${names} names`);
    }
  }
  for (const [ino, pages] of c.keys.dirPages) {
    for (const page of pages) {
      if (!c.pagesSeen.get(ino)?.has(page))
        c.report("orphan-record", ino, `directory page ${page}`, {
          namespace: "meta",
          key: dirPageKey(ino, page),
        });
    }
  }
  for (const ino of c.keys.dirIndexes) {
    if (!c.pagesSeen.has(ino)) {
      c.report("orphan-record", ino, "directory index", {
        namespace: "meta",
        key: dirIndexKey(ino),
      });
    }
  }
  for (const ino of c.keys.xattrs) {
    if (!c.inodes.has(ino)) {
      c.report("orphan-record", ino, "xattrs", { namespace: "meta", key: xattrsKey(ino) });
    }
  }
}

/** Compare data blocks with the bitmaps; returns the number of blocks stored. */
export async function checkBlocks(c: Checker): Promise<number> {
  const bitmaps = new Map<string, Uint8Array | null>();
  const bitmap = async (ino: number, page: number) => {
    const id = `${ino}:${page}`;
    if (!bitmaps.has(id)) {
      const bytes = await c.meta.get(bitmapKey(ino, page));
      bitmaps.set(id, bytes === null ? null : decodeBitmapPage(bytes));
    }
    return bitmaps.get(id) ?? null;
  };
  const stored = new Set<string>();
  const blockKeys: { ino: number; index: number }[] = [];
  await scanAll(c.data, (key) => {
    const parsed = parseKey(key);
    if (parsed !== null && parsed.tag === KeyTag.block && parsed.index >= 0) {
      blockKeys.push({ ino: parsed.ino, index: parsed.index });
    }
  });
  for (const { ino, index } of blockKeys) {
    stored.add(`${ino}:${index}`);
    const inode = await c.inode(ino);
    const bits = inode === null ? null : await bitmap(ino, Math.floor(index / bitmapPageBlocks));
    const bit = index % bitmapPageBlocks;
    if (inode === null || bits === null || ((bits[bit >> 3] ?? 0) & (1 << (bit & 7))) === 0) {
      c.report(
        "orphan-block",
        ino,
        `block ${index}${inode === null ? " of a missing inode" : " not in the bitmap"}`,
        { namespace: "data", key: blockKey(ino, index) },
      );
    }
  }
  for (const [ino, pages] of c.keys.bitmaps) {
    const inode = c.inodes.get(ino) ?? (await c.inode(ino));
    for (const page of pages) {
      if (inode === null || !isRegular(inode)) {
        c.report("orphan-record", ino, `bitmap page ${page}`, {
          namespace: "meta",
          key: bitmapKey(ino, page),
        });
        continue;
      }
      const bits = await bitmap(ino, page);
      for (let i = 0; bits !== null && i < bits.length * 8; i++) {
        const index = page * bitmapPageBlocks + i;
        if ((bits[i >> 3] ?? 0) & (1 << (i & 7)) && !stored.has(`${ino}:${index}`)) {
          c.report("missing-block", ino, `block ${index} is marked present but absent`);
        }
      }
    }
  }
  return blockKeys.length;
}
