/** Extended attributes of in-memory inodes, with the Linux limits and create/replace flags. */
import { Errno } from "../operations.ts";
import { type MemoryInode, nameKey } from "./inode.ts";

const XATTR_CREATE = 1;
const XATTR_REPLACE = 2;
export const xattrNameBytesMax = 255;
export const xattrValueBytesMax = 64 * 1024;
const E2BIG = 7;

export class XattrStore {
  set(inode: MemoryInode, name: Uint8Array, value: Uint8Array, flags: number): number {
    if (name.length > xattrNameBytesMax) return Errno.ERANGE;
    if (value.length > xattrValueBytesMax) return E2BIG;
    const key = nameKey(name);
    const exists = inode.xattrs?.has(key) ?? false;
    if ((flags & XATTR_CREATE) !== 0 && exists) return Errno.EEXIST;
    if ((flags & XATTR_REPLACE) !== 0 && !exists) return Errno.ENODATA;
    inode.xattrs ??= new Map();
    inode.xattrs.set(key, value.slice());
    return 0;
  }

  get(inode: MemoryInode, name: Uint8Array): Uint8Array | number {
    return inode.xattrs?.get(nameKey(name)) ?? Errno.ENODATA;
  }

  list(inode: MemoryInode): Uint8Array[] {
    const names: Uint8Array[] = [];
    for (const key of inode.xattrs?.keys() ?? []) {
      names.push(Uint8Array.from(key, (c) => c.charCodeAt(0)));
    }
    return names;
  }

  remove(inode: MemoryInode, name: Uint8Array): number {
    return inode.xattrs?.delete(nameKey(name)) ? 0 : Errno.ENODATA;
  }
}
