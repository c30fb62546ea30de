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

function tagOnly(tag: number): Uint8Array {
  return Uint8Array.of(tag);
}

/** Big-endian u64 into `key` at `offset`, without a DataView (no ArrayBuffer materialised). */
function putU64(key: Uint8Array, offset: number, value: number): void {
  const high = Math.floor(value / twoPow32);
  const low = value >>> 0;
  key[offset] = high >>> 24;
  key[offset + 1] = (high >>> 16) & 0xff;
  key[offset + 2] = (high >>> 8) & 0xff;
  key[offset + 3] = high & 0xff;
  key[offset + 4] = low >>> 24;
  key[offset + 5] = (low >>> 16) & 0xff;
  key[offset + 6] = (low >>> 8) & 0xff;
  key[offset + 7] = low & 0xff;
}

function tagIno(tag: number, ino: number): Uint8Array {
  const key = new Uint8Array(9);
  key[0] = tag;
  putU64(key, 1, ino);
  return key;
}

function tagInoIndex(tag: number, ino: number, index: number): Uint8Array {
  const key = new Uint8Array(13);
  key[0] = tag;
  putU64(key, 1, ino);
  key[9] = index >>> 24;
  key[10] = (index >>> 16) & 0xff;
  key[11] = (index >>> 8) & 0xff;
  key[12] = index & 0xff;
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

/** Big-endian u64 of `key` at `offset` (no DataView). */
export function u64At(key: Uint8Array, offset: number): number {
  let high = 0;
  let low = 0;
  for (let i = 0; i < 4; i++) {
    high = high * 256 + (key[offset + i] ?? 0);
    low = low * 256 + (key[offset + 4 + i] ?? 0);
  }
  return high * twoPow32 + low;
}

/** Parse a key with an inode number (and optional u32 index), or null when it is not one. */
export function parseKey(key: Uint8Array): { tag: number; ino: number; index: number } | null {
  if (key.length !== 9 && key.length !== 13) return null;
  const index =
    key.length === 13
      ? (key[9] ?? 0) * 2 ** 24 + ((key[10] ?? 0) << 16) + ((key[11] ?? 0) << 8) + (key[12] ?? 0)
      : -1;
  return { tag: key[0] ?? 0, ino: u64At(key, 1), index };
}
