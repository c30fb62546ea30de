/**
 * The 46-bit hash that orders a directory's entries (and so its readdir cookies). Two 32-bit
 * multiply-xorshift lanes over the name bytes; 14 bits of the first and 32 of the second.
 */
export const nameHashBits = 46;

export function nameHash(name: Uint8Array): number {
  let a = 0x9e3779b9 ^ name.length;
  let b = 0x85ebca6b;
  for (let i = 0; i < name.length; i++) {
    const byte = name[i] ?? 0;
    a = Math.imul(a ^ byte, 0x01000193);
    b = Math.imul(b ^ byte, 0x5bd1e995);
    b ^= b >>> 15;
  }
  a ^= a >>> 16;
  a = Math.imul(a, 0x85ebca6b);
  a ^= a >>> 13;
  b ^= b >>> 13;
  b = Math.imul(b, 0xc2b2ae35);
  b ^= b >>> 16;
  return (a & 0x3fff) * 2 ** 32 + (b >>> 0);
}

/** Byte order of names (ties among equal hashes). */
export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const length = Math.min(a.length, b.length);
  for (let i = 0; i < length; i++) {
    const d = (a[i] ?? 0) - (b[i] ?? 0);
    if (d !== 0) return d;
  }
  return a.length - b.length;
}

export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  return compareBytes(a, b) === 0;
}
