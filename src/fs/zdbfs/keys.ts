/**
 * Keys of the 0-db filesystem records (user-mode namespaces). Inode numbers are big-endian
 * u64 so that related keys share a prefix; see docs/formats/fs.md for the table.
 */

export const KeyTag = {
  superblock: 0x53, // "S"
  lock: 0x4c, // "L"
  orphans: 0x4f, // "O"
  inode: 0x69, // "i"
  dirIndex: 0x44, // "D"
  dirPage: 0x50, // "P"
  xattrs: 0x78, // "x"
  bitmap: 0x6d, // "m"
  block: 0x62, // "b" (data namespace)
} as const;

const twoPow32 = 2 ** 32;

export function writeU64BE(view: DataView, offset: number, value: number): void {
  view.setUint32(offset, Math.floor(value / twoPow32));
  view.setUint32(offset + 4, value >>> 0);
}

export function readU64BE(view: DataView, offset: number): number {
  return view.getUint32(offset) * twoPow32 + view.getUint32(offset + 4);
}

function tagOnly(tag: number): Uint8Array {
  return Uint8Array.of(tag);
}

function tagIno(tag: number, ino: number): Uint8Array {
  const key = new Uint8Array(9);
  key[0] = tag;
  writeU64BE(new DataView(key.buffer), 1, ino);
  return key;
}

function tagInoIndex(tag: number, ino: number, index: number): Uint8Array {
  const key = new Uint8Array(13);
  key[0] = tag;
  const view = new DataView(key.buffer);
  writeU64BE(view, 1, ino);
  view.setUint32(9, index);
  return key;
}

export const superblockKey = (): Uint8Array => tagOnly(KeyTag.superblock);
export const lockKey = (): Uint8Array => tagOnly(KeyTag.lock);
export const orphansKey = (): Uint8Array => tagOnly(KeyTag.orphans);
export const inodeKey = (ino: number): Uint8Array => tagIno(KeyTag.inode, ino);
export const dirIndexKey = (ino: number): Uint8Array => tagIno(KeyTag.dirIndex, ino);
export const dirPageKey = (ino: number, page: number): Uint8Array =>
  tagInoIndex(KeyTag.dirPage, ino, page);
export const xattrsKey = (ino: number): Uint8Array => tagIno(KeyTag.xattrs, ino);
export const bitmapKey = (ino: number, page: number): Uint8Array =>
  tagInoIndex(KeyTag.bitmap, ino, page);
export const blockKey = (ino: number, block: number): Uint8Array =>
  tagInoIndex(KeyTag.block, ino, block);

/** A key as a Map key (one char per byte). */
export function keyString(key: Uint8Array): string {
  let id = "";
  for (let i = 0; i < key.length; i++) id += String.fromCharCode(key[i] ?? 0);
  return id;
}

/** Parse a key with an inode number (and optional u32 index), or null when it is not one. */
export function parseKey(key: Uint8Array): { tag: number; ino: number; index: number } | null {
  if (key.length !== 9 && key.length !== 13) return null;
  const view = new DataView(key.buffer, key.byteOffset, key.byteLength);
  const index = key.length === 13 ? view.getUint32(9) : -1;
  return { tag: key[0] ?? 0, ino: readU64BE(view, 1), index };
}
