/**
 * The namespace half of the memory filesystem: inodes, names, lookups and forgets, node
 * creation, unlink/rmdir, rename (plain, NOREPLACE, EXCHANGE), hard links, symlinks and
 * directory listing. `MemoryFileSystem` adds file data, xattrs and the rest on top.
 */
import type { DirEntry, DirEntryPlus, Entry, RequestContext, Result } from "../operations.ts";
import { Errno, RenameFlags } from "../operations.ts";
import {
  type DirectoryEntry,
  entryOf,
  isDirectory,
  type MemoryInode,
  nameKey,
  newInode,
  now,
  S_IFDIR,
  S_IFLNK,
  S_IFMT,
} from "./inode.ts";

export const nameBytesMax = 255;
export const symlinkTargetBytesMax = 4095;
const rootIno = 1;
const dot = Uint8Array.of(0x2e);
const dotDot = Uint8Array.of(0x2e, 0x2e);

interface DirectoryHandle {
  ino: number;
  snapshot: DirectoryEntry[];
}

function isDotName(name: Uint8Array): boolean {
  return name[0] === 0x2e && (name.length === 1 || (name.length === 2 && name[1] === 0x2e));
}

export class MemoryDirectories {
  readonly inodes = new Map<number, MemoryInode>();
  private nextIno = rootIno + 1;
  private readonly directoryHandles = new Map<number, DirectoryHandle>();
  private nextDirectoryHandle = 1;

  constructor(
    uid: number,
    gid: number,
    readonly timeoutMs: number,
  ) {
    const root = newInode(rootIno, S_IFDIR | 0o755, { uid, gid });
    root.parent = rootIno;
    root.lookups = 1;
    this.inodes.set(rootIno, root);
  }

  protected directory(ino: number): MemoryInode | number {
    const inode = this.inodes.get(ino);
    if (inode === undefined) return Errno.ENOENT;
    return inode.entries === undefined ? Errno.ENOTDIR : inode;
  }

  /** An inode may go once it has no name, no kernel reference and no open handle. */
  protected maybeFree(inode: MemoryInode): void {
    if (inode.nlink === 0 && inode.lookups <= 0 && inode.openCount <= 0) {
      this.inodes.delete(inode.ino);
    }
  }

  async lookup(parent: number, name: Uint8Array): Result<Entry> {
    const dir = this.directory(parent);
    if (typeof dir === "number") return dir;
    if (name.length > nameBytesMax) return Errno.ENAMETOOLONG;
    let ino: number | undefined;
    if (isDotName(name)) ino = name.length === 1 ? dir.ino : dir.parent;
    else ino = dir.entries?.get(nameKey(name))?.ino;
    const inode = ino === undefined ? undefined : this.inodes.get(ino);
    if (inode === undefined) return this.negativeEntry();
    inode.lookups++;
    return entryOf(inode, this.timeoutMs);
  }

  /**
   * "No such name", cacheable by the kernel (ino 0): every change goes through this mount, so
   * the kernel drops the cached absence itself when the name is created.
   */
  private negativeEntry(): Entry {
    const zero = { sec: 0, nsec: 0 };
    const attr = { ino: 0, size: 0, blocks: 0, atime: zero, mtime: zero, ctime: zero };
    return {
      attr: { ...attr, mode: 0, nlink: 0, uid: 0, gid: 0, rdev: 0, blksize: 0 },
      generation: 0,
      entryTimeoutMs: this.timeoutMs,
      attrTimeoutMs: 0,
    };
  }

  forget(ino: number, nlookup: number): void {
    const inode = this.inodes.get(ino);
    if (inode === undefined || ino === rootIno) return;
    inode.lookups -= nlookup;
    this.maybeFree(inode);
  }

  /** Creates a node named `name` in `parent` (no lookup counted). */
  protected makeNode(
    parent: number,
    name: Uint8Array,
    mode: number,
    ctx: RequestContext,
  ): MemoryInode | number {
    const dir = this.directory(parent);
    if (typeof dir === "number") return dir;
    if (name.length > nameBytesMax) return Errno.ENAMETOOLONG;
    const key = nameKey(name);
    if (isDotName(name) || dir.entries?.has(key)) return Errno.EEXIST;
    const gid = (dir.mode & 0o2000) !== 0 ? dir.gid : ctx.gid;
    const inode = newInode(this.nextIno++, mode, { uid: ctx.uid, gid });
    if ((mode & S_IFMT) === S_IFDIR) {
      inode.parent = dir.ino;
      if ((dir.mode & 0o2000) !== 0) inode.mode |= 0o2000;
      dir.nlink++;
    }
    this.inodes.set(inode.ino, inode);
    dir.entries?.set(key, { ino: inode.ino, name: name.slice() });
    dir.mtime = dir.ctime = now();
    return inode;
  }

  /** A regular file with no name (nlink 0) for O_TMPFILE, owned as if created in `parent`. */
  protected makeUnnamed(parent: number, mode: number, ctx: RequestContext): MemoryInode | number {
    const dir = this.directory(parent);
    if (typeof dir === "number") return dir;
    const gid = (dir.mode & 0o2000) !== 0 ? dir.gid : ctx.gid;
    const inode = newInode(this.nextIno++, mode, { uid: ctx.uid, gid });
    inode.nlink = 0;
    this.inodes.set(inode.ino, inode);
    return inode;
  }

  private counted(made: MemoryInode | number): Entry | number {
    if (typeof made === "number") return made;
    made.lookups++;
    return entryOf(made, this.timeoutMs);
  }

  async mknod(
    parent: number,
    name: Uint8Array,
    mode: number,
    rdev: number,
    umask: number,
    ctx: RequestContext,
  ): Result<Entry> {
    const type = mode & S_IFMT;
    const made = this.makeNode(parent, name, type | (mode & ~umask & 0o7777), ctx);
    if (typeof made !== "number") made.rdev = rdev;
    return this.counted(made);
  }

  async mkdir(
    parent: number,
    name: Uint8Array,
    mode: number,
    umask: number,
    ctx: RequestContext,
  ): Result<Entry> {
    return this.counted(this.makeNode(parent, name, S_IFDIR | (mode & ~umask & 0o7777), ctx));
  }

  async symlink(
    parent: number,
    name: Uint8Array,
    target: Uint8Array,
    ctx: RequestContext,
  ): Result<Entry> {
    if (target.length > symlinkTargetBytesMax) return Errno.ENAMETOOLONG;
    const made = this.makeNode(parent, name, S_IFLNK | 0o777, ctx);
    if (typeof made !== "number") {
      made.target = target.slice();
      made.size = target.length;
    }
    return this.counted(made);
  }

  async readlink(ino: number): Result<Uint8Array> {
    const inode = this.inodes.get(ino);
    if (inode === undefined) return Errno.ENOENT;
    return inode.target ?? Errno.EINVAL;
  }

  /** Drops one name of `inode` (already removed from its directory). */
  private dropName(inode: MemoryInode, time = now()): void {
    if (isDirectory(inode)) inode.nlink = 0;
    else inode.nlink--;
    inode.ctime = time;
    this.maybeFree(inode);
  }

  async unlink(parent: number, name: Uint8Array): Result<0> {
    const dir = this.directory(parent);
    if (typeof dir === "number") return dir;
    const key = nameKey(name);
    const found = dir.entries?.get(key);
    const inode = found === undefined ? undefined : this.inodes.get(found.ino);
    if (inode === undefined) return Errno.ENOENT;
    if (isDirectory(inode)) return Errno.EISDIR;
    dir.entries?.delete(key);
    dir.mtime = dir.ctime = now();
    this.dropName(inode, dir.mtime);
    return 0;
  }

  async rmdir(parent: number, name: Uint8Array): Result<0> {
    const dir = this.directory(parent);
    if (typeof dir === "number") return dir;
    if (isDotName(name)) return name.length === 1 ? Errno.EINVAL : Errno.ENOTEMPTY;
    const key = nameKey(name);
    const found = dir.entries?.get(key);
    const inode = found === undefined ? undefined : this.inodes.get(found.ino);
    if (inode === undefined) return Errno.ENOENT;
    if (!isDirectory(inode)) return Errno.ENOTDIR;
    if ((inode.entries?.size ?? 0) > 0) return Errno.ENOTEMPTY;
    dir.entries?.delete(key);
    dir.nlink--;
    dir.mtime = dir.ctime = now();
    this.dropName(inode, dir.mtime);
    return 0;
  }

  async link(ino: number, newParent: number, newName: Uint8Array): Result<Entry> {
    const inode = this.inodes.get(ino);
    // Linux gives an inode without names a new one only when it came from O_TMPFILE (no O_EXCL).
    if (inode === undefined || (inode.nlink === 0 && inode.linkable !== true)) return Errno.ENOENT;
    if (isDirectory(inode)) return Errno.EPERM;
    const dir = this.directory(newParent);
    if (typeof dir === "number") return dir;
    if (newName.length > nameBytesMax) return Errno.ENAMETOOLONG;
    const key = nameKey(newName);
    if (dir.entries?.has(key)) return Errno.EEXIST;
    dir.entries?.set(key, { ino, name: newName.slice() });
    inode.nlink++;
    inode.linkable = false;
    inode.ctime = dir.mtime = dir.ctime = now();
    inode.lookups++;
    return entryOf(inode, this.timeoutMs);
  }

  /** True when `ino` is `ancestor` or lies below it. */
  private isWithin(ino: number, ancestor: number): boolean {
    for (let at = ino, steps = 0; steps < 1 << 20; steps++) {
      if (at === ancestor) return true;
      const parent = this.inodes.get(at)?.parent;
      if (parent === undefined || parent === at) return false;
      at = parent;
    }
    return false;
  }

  async rename(
    parent: number,
    name: Uint8Array,
    newParent: number,
    newName: Uint8Array,
    flags: number,
  ): Result<0> {
    if ((flags & ~(RenameFlags.NOREPLACE | RenameFlags.EXCHANGE)) !== 0) return Errno.EINVAL;
    if ((flags & RenameFlags.NOREPLACE) !== 0 && (flags & RenameFlags.EXCHANGE) !== 0) {
      return Errno.EINVAL;
    }
    const from = this.directory(parent);
    if (typeof from === "number") return from;
    const to = this.directory(newParent);
    if (typeof to === "number") return to;
    if (newName.length > nameBytesMax) return Errno.ENAMETOOLONG;
    const key = nameKey(name);
    const newKey = nameKey(newName);
    const source = from.entries?.get(key);
    const moved = source === undefined ? undefined : this.inodes.get(source.ino);
    if (moved === undefined) return Errno.ENOENT;
    const existing = to.entries?.get(newKey);
    const replaced = existing === undefined ? undefined : this.inodes.get(existing.ino);
    if (isDirectory(moved) && this.isWithin(to.ino, moved.ino)) return Errno.EINVAL;
    if ((flags & RenameFlags.EXCHANGE) !== 0) {
      if (replaced === undefined) return Errno.ENOENT;
      if (isDirectory(replaced) && this.isWithin(from.ino, replaced.ino)) return Errno.EINVAL;
      return this.exchange(from, key, moved, to, newKey, replaced);
    }
    if (replaced !== undefined) {
      if ((flags & RenameFlags.NOREPLACE) !== 0) return Errno.EEXIST;
      if (replaced.ino === moved.ino) return 0;
      const check = this.replaceable(moved, replaced);
      if (check !== 0) return check;
    }
    from.entries?.delete(key);
    to.entries?.set(newKey, { ino: moved.ino, name: newName.slice() });
    const time = now();
    if (replaced !== undefined) {
      if (isDirectory(replaced)) to.nlink--;
      this.dropName(replaced, time);
    }
    if (isDirectory(moved) && from.ino !== to.ino) {
      from.nlink--;
      to.nlink++;
      moved.parent = to.ino;
    }
    moved.ctime = from.mtime = from.ctime = to.mtime = to.ctime = time;
    return 0;
  }

  private replaceable(moved: MemoryInode, replaced: MemoryInode): number {
    if (isDirectory(moved) && !isDirectory(replaced)) return Errno.ENOTDIR;
    if (!isDirectory(moved) && isDirectory(replaced)) return Errno.EISDIR;
    if (isDirectory(replaced) && (replaced.entries?.size ?? 0) > 0) return Errno.ENOTEMPTY;
    return 0;
  }

  private exchange(
    from: MemoryInode,
    key: string,
    a: MemoryInode,
    to: MemoryInode,
    newKey: string,
    b: MemoryInode,
  ): 0 {
    const aEntry = from.entries?.get(key) as DirectoryEntry;
    const bEntry = to.entries?.get(newKey) as DirectoryEntry;
    from.entries?.set(key, { ino: b.ino, name: aEntry.name });
    to.entries?.set(newKey, { ino: a.ino, name: bEntry.name });
    if (from.ino !== to.ino) {
      if (isDirectory(a)) {
        a.parent = to.ino;
        from.nlink--;
        to.nlink++;
      }
      if (isDirectory(b)) {
        b.parent = from.ino;
        to.nlink--;
        from.nlink++;
      }
    }
    a.ctime = b.ctime = from.mtime = to.mtime = now();
    return 0;
  }

  protected openDirectory(inode: MemoryInode): number {
    const fh = this.nextDirectoryHandle++;
    this.directoryHandles.set(fh, { ino: inode.ino, snapshot: this.snapshot(inode) });
    inode.openCount++;
    return fh;
  }

  protected closeDirectory(fh: number): void {
    const handle = this.directoryHandles.get(fh);
    if (handle === undefined) return;
    this.directoryHandles.delete(fh);
    const inode = this.inodes.get(handle.ino);
    if (inode === undefined) return;
    inode.openCount--;
    this.maybeFree(inode);
  }

  private snapshot(dir: MemoryInode): DirectoryEntry[] {
    const list: DirectoryEntry[] = [
      { ino: dir.ino, name: dot },
      { ino: dir.parent ?? dir.ino, name: dotDot },
    ];
    for (const entry of dir.entries?.values() ?? []) list.push(entry);
    return list;
  }

  /**
   * Entries after cookie `offset` (the index of the next entry) up to about `size` bytes.
   * Offset 0 (a new listing or rewinddir) takes a fresh snapshot.
   */
  protected listDirectory(
    ino: number,
    fh: number,
    offset: number,
    size: number,
    plus: boolean,
  ): DirEntry[] | DirEntryPlus[] | number {
    const dir = this.directory(ino);
    if (typeof dir === "number") return dir;
    let handle = this.directoryHandles.get(fh);
    if (handle === undefined || handle.ino !== ino) {
      handle = { ino, snapshot: this.snapshot(dir) };
    } else if (offset === 0) handle.snapshot = this.snapshot(dir);
    const out: DirEntryPlus[] = [];
    let used = 0;
    for (let i = offset; i < handle.snapshot.length; i++) {
      const item = handle.snapshot[i] as DirectoryEntry;
      const inode = this.inodes.get(item.ino);
      if (inode === undefined) continue;
      used += ((plus ? 152 : 24) + item.name.length + 7) & ~7;
      if (used > size) break;
      if (plus && !isDotName(item.name)) inode.lookups++;
      out.push({
        ino: item.ino,
        name: item.name,
        type: inode.mode & S_IFMT,
        offset: i + 1,
        entry: entryOf(inode, this.timeoutMs),
      });
    }
    return out;
  }
}
