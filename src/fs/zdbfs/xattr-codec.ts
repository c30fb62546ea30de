/**
 * All extended attributes of one inode in one record ("x"+ino): u32 count, then per attribute
 * u8 name length, u32 value length, name, value. Names are kept as latin1 strings (one char
 * per byte) in memory.
 */
import { qssError } from "../../base/errors.ts";

export type Xattrs = Map<string, Uint8Array>;

export const bytesToKey = (name: Uint8Array): string => String.fromCharCode(...name);
export const keyToBytes = (key: string): Uint8Array => Uint8Array.from(key, (c) => c.charCodeAt(0));

export function xattrsBytes(xattrs: Xattrs): number {
  let total = 0;
  for (const [name, value] of xattrs) total += name.length + value.length;
  return total;
}

export function encodeXattrs(xattrs: Xattrs): Uint8Array {
  const buffer = new ArrayBuffer(4 + xattrs.size * 5 + xattrsBytes(xattrs));
  const bytes = new Uint8Array(buffer);
  const view = new DataView(buffer);
  view.setUint32(0, xattrs.size, true);
  let at = 4;
  for (const [name, value] of xattrs) {
    view.setUint8(at, name.length);
    view.setUint32(at + 1, value.length, true);
    bytes.set(keyToBytes(name), at + 5);
    bytes.set(value, at + 5 + name.length);
    at += 5 + name.length + value.length;
  }
  return bytes;
}

export function decodeXattrs(bytes: Uint8Array): Xattrs {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const xattrs: Xattrs = new Map();
  const count = bytes.length >= 4 ? view.getUint32(0, true) : 0;
  let at = 4;
  for (let i = 0; i < count; i++) {
    if (at + 5 > bytes.length) throw qssError("CORRUPT", "Cannot decode xattrs: truncated");
    const nameLength = view.getUint8(at);
    const valueLength = view.getUint32(at + 1, true);
    const end = at + 5 + nameLength + valueLength;
    if (end > bytes.length) throw qssError("CORRUPT", "Cannot decode xattrs: truncated");
    const name = bytes.subarray(at + 5, at + 5 + nameLength);
    xattrs.set(bytesToKey(name), bytes.slice(at + 5 + nameLength, end));
    at = end;
  }
  return xattrs;
}
