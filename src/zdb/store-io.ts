/**
 * Small I/O helpers of the store: buffered appends (one writev per run), async fdatasync, and
 * the opaque SCAN cursor encoding.
 */
import * as fs from "node:fs";
import { writeAt } from "./files.ts";

/** Parts of one contiguous append run, written with one writev. */
const pendingPartsMax = 512;
const pendingBytesMax = 4 * 1024 * 1024;

export class PendingWrites {
  private parts: Uint8Array[] = [];
  private bytes = 0;
  private position = 0;

  add(position: number, ...parts: Uint8Array[]): void {
    if (this.parts.length === 0) this.position = position;
    for (const part of parts) {
      this.parts.push(part);
      this.bytes += part.length;
    }
  }

  /** Set the byte at file `position` if it is buffered here; false when it is not. */
  patchByte(position: number, value: number): boolean {
    if (this.parts.length === 0 || position < this.position) return false;
    let at = this.position;
    for (const part of this.parts) {
      if (position < at + part.length) {
        part[position - at] = value;
        return true;
      }
      at += part.length;
    }
    return false;
  }

  /** Drops what is buffered: it will never be written. */
  discard(): void {
    this.parts = [];
    this.bytes = 0;
  }

  get full(): boolean {
    return this.parts.length >= pendingPartsMax || this.bytes >= pendingBytesMax;
  }

  writeTo(fd: number): void {
    if (this.parts.length === 0) return;
    const parts = this.parts;
    this.parts = [];
    this.bytes = 0;
    writeAt(fd, parts, this.position);
  }
}

export function fdatasyncAsync(fd: number): Promise<void> {
  return new Promise((resolve, reject) =>
    fs.fdatasync(fd, (error) => (error ? reject(error) : resolve())),
  );
}

export function encodeScanCursor(slot: number): Uint8Array {
  const bytes = new Uint8Array(8);
  new DataView(bytes.buffer).setBigUint64(0, BigInt(slot), true);
  return bytes;
}

export function decodeScanCursor(cursor: Uint8Array): number {
  if (cursor.length !== 8) return -1;
  const value = new DataView(cursor.buffer, cursor.byteOffset, 8).getBigUint64(0, true);
  return value > BigInt(Number.MAX_SAFE_INTEGER) ? -1 : Number(value);
}
