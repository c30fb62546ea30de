/**
 * The walk behind `fsck`: from the root, over the key sets `fsck-scan.ts` built, counting
 * names, resolving directories named twice and checking directory counts. The comparisons of
 * what was reached with what is stored are in `fsck-checks.ts`. Only `get` is called.
 */
import type { ZdbNamespace } from "../../zdb/namespace.ts";
import {
  type DirIndex,
  type DirRecordEntry,
  decodeDirIndex,
  decodeDirPage,
  emptyDirIndex,
} from "./dir-codec.ts";
import { addTo, type BlockSets, type KeySets } from "./fsck-scan.ts";
import type { FsckFix, FsckProblem, FsckProblemKind, FsckSink } from "./fsck-types.ts";
import { fsckProblemsMax } from "./fsck-types.ts";
import { decodeInode, type Inode, isDir } from "./inode-codec.ts";
import { dirIndexKey, dirPageKey, inodeKey } from "./keys.ts";

const decoder = new TextDecoder();

/** Where a directory is named: page `page` of directory `dir`, under `name`. */
interface DirRef {
  dir: number;
  page: number;
  name: Uint8Array;
}

export class Checker {
  /** The first `fsckProblemsMax` problems (every one also goes to the sink). */
  readonly problems: FsckProblem[] = [];
  readonly inodes = new Map<number, Inode>();
  /** Names reaching each inode from the root. */
  readonly names = new Map<number, number>();
  readonly pagesSeen = new Map<number, Set<number>>();
  /** Names of each directory reached (more than one after a rename caught midway). */
  readonly dirNames = new Map<number, DirRef[]>();
  /** Entries and subdirectories found in each directory reached, checked after the walk. */
  readonly dirCounts = new Map<number, { count: number; subdirs: number }>();
  /** Inodes whose repair deletes them (unreachable): their records and blocks go with them. */
  readonly doomed = new Set<number>();
  /** Block bits set in all bitmaps (statfs counts these), and those of kept inodes that exist. */
  readonly usage = { blocksMarked: 0, blocksKept: 0 };
  problemCount = 0;
  /** A problem other than a pending orphan was found. */
  unclean = false;
  entries = 0;
  directories = 0;

  constructor(
    readonly meta: ZdbNamespace,
    readonly data: ZdbNamespace,
    readonly keys: KeySets,
    readonly blocks: BlockSets,
    readonly sink: FsckSink = () => {},
  ) {}

  report(kind: FsckProblemKind, ino: number, detail: string, fix?: FsckFix): void {
    const problem: FsckProblem =
      fix === undefined ? { kind, ino, detail } : { kind, ino, detail, fix };
    this.problemCount++;
    if (kind !== "pending-orphan") this.unclean = true;
    if (this.problems.length < fsckProblemsMax) this.problems.push(problem);
    this.sink(problem);
  }

  /** Whether `ino` has no inode record at all (not merely an undecodable one). */
  absent(ino: number): boolean {
    return !this.keys.inodes.has(ino);
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

  /** Read one directory's pages (counts are checked after the walk); returns its subdirs. */
  async directory(dir: Inode): Promise<number[]> {
    this.directories++;
    const index = await this.index(dir.ino);
    const subdirs: number[] = [];
    let count = 0;
    for (const id of index.ids) {
      addTo(this.pagesSeen, dir.ino, id);
      const entries = await this.#page(dir.ino, id, index.ids.length);
      for (const entry of entries) {
        count++;
        this.entries++;
        const child = await this.inode(entry.ino);
        if (child === null) {
          const name = decoder.decode(entry.name);
          this.report("dangling-entry", dir.ino, `"${name}" names missing inode ${entry.ino}`);
          continue;
        }
        this.names.set(entry.ino, (this.names.get(entry.ino) ?? 0) + 1);
        if (!isDir(child)) continue;
        subdirs.push(child.ino);
        const ref = { dir: dir.ino, page: id, name: entry.name };
        const refs = this.dirNames.get(child.ino);
        if (refs === undefined) this.dirNames.set(child.ino, [ref]);
        else refs.push(ref);
      }
    }
    this.dirCounts.set(dir.ino, { count, subdirs: subdirs.length });
    return subdirs;
  }

  async #page(dir: number, id: number, pageCount: number): Promise<DirRecordEntry[]> {
    const bytes = await this.meta.get(dirPageKey(dir, id));
    if (bytes === null) {
      if (pageCount > 1 || this.keys.dirIndexes.has(dir)) {
        this.report("missing-page", dir, `page ${id} listed in the index is missing`);
      }
      return [];
    }
    try {
      return decodeDirPage(bytes).entries;
    } catch (error) {
      this.report("corrupt-record", dir, `page ${id}: ${(error as Error).message}`);
      return [];
    }
  }

  /**
   * A directory named twice (a rename caught after its target page, before its source page)
   * keeps the name in the directory its inode says is its parent (the inode is written first);
   * the other name is removed. Then parents are checked.
   */
  #resolveDirectoryNames(): void {
    for (const [ino, refs] of this.dirNames) {
      const child = this.inodes.get(ino) as Inode;
      const keep = refs.find((ref) => ref.dir === child.parent) ?? (refs[0] as DirRef);
      for (const ref of refs) {
        if (ref === keep) continue;
        this.names.set(ino, (this.names.get(ino) ?? 1) - 1);
        const counts = this.dirCounts.get(ref.dir);
        if (counts !== undefined) {
          counts.count--;
          counts.subdirs--;
        }
        const fix: FsckFix = {
          op: "remove-entry",
          dir: ref.dir,
          page: ref.page,
          ino,
          name: ref.name,
        };
        const name = decoder.decode(ref.name);
        this.report("link-count", ino, `directory also named "${name}" in ${ref.dir}`, fix);
      }
      if (child.parent !== keep.dir) {
        const fix: FsckFix = { op: "set-inode", ino, field: "parent", value: keep.dir };
        const name = decoder.decode(keep.name);
        this.report(
          "bad-parent",
          ino,
          `"${name}" has parent ${child.parent}, not ${keep.dir}`,
          fix,
        );
      }
    }
  }

  #checkCounts(dir: Inode, count: number, subdirCount: number): void {
    if (count !== dir.entryCount) {
      const fix: FsckFix = { op: "set-inode", ino: dir.ino, field: "entryCount", value: count };
      this.report("entry-count", dir.ino, `${count} entries, inode says ${dir.entryCount}`, fix);
    }
    const nlink = 2 + subdirCount;
    if (dir.nlink !== nlink) {
      const fix: FsckFix = { op: "set-inode", ino: dir.ino, field: "nlink", value: nlink };
      this.report("link-count", dir.ino, `nlink ${dir.nlink}, expected ${nlink}`, fix);
    }
  }

  /** Breadth-first from the root (the queue is consumed from a moving head, not shifted). */
  async walk(rootIno: number): Promise<void> {
    const root = await this.inode(rootIno);
    if (root === null) {
      this.report("dangling-entry", rootIno, "the root inode is missing");
      return;
    }
    this.names.set(rootIno, 1);
    const queue = [rootIno];
    const visited = new Set<number>();
    for (let head = 0; head < queue.length; head++) {
      const ino = queue[head] as number;
      if (visited.has(ino)) continue; // named twice: resolved below
      visited.add(ino);
      const dir = await this.inode(ino);
      if (dir === null) continue;
      for (const sub of await this.directory(dir)) queue.push(sub);
    }
    this.#resolveDirectoryNames();
    for (const [ino, counts] of this.dirCounts) {
      this.#checkCounts(this.inodes.get(ino) as Inode, counts.count, counts.subdirs);
    }
  }
}
