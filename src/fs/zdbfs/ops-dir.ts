/** opendir, readdir, readdirplus, releasedir, fsyncdir. Cookies: 1 ".", 2 "..", then by hash. */
import {
  type DirEntry,
  type DirEntryPlus,
  Errno,
  type OpenReply,
  type RequestContext,
  type Result,
} from "../operations.ts";
import type { FsCore } from "./core.ts";
import { listEntries } from "./directory.ts";
import { isErrno, loadDir } from "./guards.ts";
import type { Inode } from "./inode-codec.ts";
import { entryOf, getInode } from "./inode-table.ts";
import { AccessMask, mayAccess } from "./permissions.ts";

const direntHeaderBytes = 24;
/** Entries listed per readdir call at most, whatever buffer size is asked. */
const readdirEntriesMax = 65536;
const entryOutBytes = 128;
const align8 = (n: number) => (n + 7) & ~7;
const dotName = Uint8Array.of(0x2e);
const dotDotName = Uint8Array.of(0x2e, 0x2e);

export async function opendir(core: FsCore, ino: number, ctx: RequestContext): Result<OpenReply> {
  const dir = await loadDir(core, ino);
  if (isErrno(dir)) return dir;
  if (!mayAccess(dir, ctx, AccessMask.read)) return Errno.EACCES;
  return { fh: 0 };
}

interface Listed {
  ino: number;
  name: Uint8Array;
  type: number;
  offset: number;
}

/** Entries after `offset` whose encoded size (plus `extraBytes` each) fits `size`. */
async function listFitting(
  core: FsCore,
  dir: Inode,
  offset: number,
  size: number,
  extraBytes: number,
) {
  const listed: Listed[] = [];
  let used = 0;
  const fits = (name: Uint8Array) => {
    const bytes = align8(direntHeaderBytes + extraBytes + name.length);
    if (used + bytes > size) return false;
    used += bytes;
    return true;
  };
  const dirType = dir.mode >> 12;
  if (offset < 1) {
    if (!fits(dotName)) return listed;
    listed.push({ ino: dir.ino, name: dotName, type: dirType, offset: 1 });
  }
  if (offset < 2) {
    if (!fits(dotDotName)) return listed;
    listed.push({ ino: dir.parent, name: dotDotName, type: dirType, offset: 2 });
  }
  const fitting = Math.ceil(size / align8(direntHeaderBytes + extraBytes + 1));
  const countMax = Math.max(1, Math.min(fitting, readdirEntriesMax));
  for (const { entry, cookie } of await listEntries(core, dir.ino, Math.max(offset, 2), countMax)) {
    if (!fits(entry.name)) break;
    listed.push({ ino: entry.ino, name: entry.name, type: entry.type, offset: cookie });
  }
  return listed;
}

export function readdir(core: FsCore, ino: number, offset: number, size: number) {
  return core.inodeLocks.run([ino], async (): Result<DirEntry[]> => {
    const dir = await loadDir(core, ino);
    if (isErrno(dir)) return dir;
    const listed = await listFitting(core, dir, offset, size, 0);
    return listed.map((e) => ({
      ino: e.ino,
      name: e.name.slice(),
      type: e.type << 12,
      offset: e.offset,
    }));
  });
}

export function readdirplus(core: FsCore, ino: number, offset: number, size: number) {
  return core.inodeLocks.run([ino], async (): Result<DirEntryPlus[]> => {
    const dir = await loadDir(core, ino);
    if (isErrno(dir)) return dir;
    const listed = await listFitting(core, dir, offset, size, entryOutBytes);
    const inodes = await Promise.all(listed.map((e) => getInode(core, e.ino)));
    const out: DirEntryPlus[] = [];
    for (const [i, e] of listed.entries()) {
      const inode = inodes[i];
      if (inode === null || inode === undefined) continue;
      out.push({
        ino: e.ino,
        name: e.name.slice(),
        type: e.type << 12,
        offset: e.offset,
        entry: entryOf(core, inode),
      });
    }
    return out;
  });
}
