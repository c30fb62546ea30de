/** Applies a setattr change set to an in-memory inode (checks done by the caller). */
import type { SetattrChanges } from "../operations.ts";
import { type MemoryInode, now } from "./inode.ts";

export function applySetattr(inode: MemoryInode, changes: SetattrChanges): void {
  const time = now();
  if (changes.mode !== undefined) inode.mode = (inode.mode & 0o170000) | (changes.mode & 0o7777);
  if (changes.uid !== undefined) inode.uid = changes.uid;
  if (changes.gid !== undefined) inode.gid = changes.gid;
  if (changes.size !== undefined && inode.data !== undefined) {
    if (changes.size < inode.size) inode.data.truncate(changes.size);
    inode.size = changes.size;
    inode.mtime = time;
  }
  if (changes.atime !== undefined) inode.atime = changes.atime === "now" ? time : changes.atime;
  if (changes.mtime !== undefined) inode.mtime = changes.mtime === "now" ? time : changes.mtime;
  inode.ctime = changes.ctime ?? time;
}
