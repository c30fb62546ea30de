/**
 * File plumbing of one namespace: paths of `d<N>`/`i<N>`, positional reads and writes, and a
 * small cache of read-only descriptors for closed data files. Synchronous by design: each call
 * is a single short syscall on the event-loop thread, as the reference does.
 */
import * as fs from "node:fs";
import { join } from "node:path";
import { MissingDataError } from "./errors.ts";
import { closedDataFilesOpenMax } from "./limits.ts";

export function dataPath(dataDir: string, id: number): string {
  return join(dataDir, `d${id}`);
}

export function indexPath(indexDir: string, id: number): string {
  return join(indexDir, `i${id}`);
}

/** Small read buffers are carved from shared slabs (a fresh allocation each costs more). */
const slabBytes = 1024 * 1024;
const slabPieceBytesMax = 64 * 1024;
let slab = Buffer.allocUnsafe(slabBytes);
let slabUsed = 0;

/** An uninitialised buffer of `length` bytes; never reused while referenced. */
export function allocateBuffer(length: number): Buffer {
  if (length > slabPieceBytesMax) return Buffer.allocUnsafe(length);
  if (slabUsed + length > slabBytes) {
    slab = Buffer.allocUnsafe(slabBytes);
    slabUsed = 0;
  }
  const piece = slab.subarray(slabUsed, slabUsed + length);
  // Keep pieces 8-byte aligned.
  slabUsed += (length + 7) & ~7;
  return piece;
}

/** Fill `target` from `position`; returns the bytes read (less at end of file). */
export function readInto(fd: number, target: Uint8Array, position: number): number {
  let done = 0;
  while (done < target.length) {
    const read = fs.readSync(fd, target, done, target.length - done, position + done);
    if (read === 0) break;
    done += read;
  }
  return done;
}

export function readAt(fd: number, length: number, position: number): Uint8Array {
  const buffer = Buffer.allocUnsafe(length);
  let done = 0;
  while (done < length) {
    const read = fs.readSync(fd, buffer, done, length - done, position + done);
    if (read === 0) break;
    done += read;
  }
  return done === length ? buffer : buffer.subarray(0, done);
}

/** Write all parts at `position` (one writev in the common case). */
export function writeAt(fd: number, parts: Uint8Array[], position: number): void {
  const total = parts.reduce((sum, part) => sum + part.length, 0);
  const written = fs.writevSync(fd, parts as NodeJS.ArrayBufferView[], position);
  if (written === total) return;
  // Short write: finish the rest piece by piece.
  let skip = written;
  let offset = position + written;
  for (const part of parts) {
    if (skip >= part.length) {
      skip -= part.length;
      continue;
    }
    let done = skip;
    skip = 0;
    while (done < part.length) {
      const count = fs.writeSync(fd, part, done, part.length - done, offset);
      done += count;
      offset += count;
    }
  }
}

export function fileSize(fd: number): number {
  return fs.fstatSync(fd).size;
}

export function exists(path: string): boolean {
  return fs.existsSync(path);
}

/** Descriptors of closed files (index files: read-write for in-place flags), least recently used closed first. */
export class ClosedFileCache {
  private readonly open = new Map<number, number>();

  constructor(
    private readonly pathOf: (id: number) => string,
    private readonly flags: "r" | "r+" = "r",
  ) {}

  fd(id: number): number {
    const cached = this.open.get(id);
    if (cached !== undefined) {
      this.open.delete(id);
      this.open.set(id, cached);
      return cached;
    }
    let fd: number;
    try {
      fd = fs.openSync(this.pathOf(id), this.flags);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") {
        throw new MissingDataError(this.pathOf(id));
      }
      throw error;
    }
    this.open.set(id, fd);
    if (this.open.size > closedDataFilesOpenMax) {
      const [oldestId, oldestFd] = this.open.entries().next().value as [number, number];
      this.open.delete(oldestId);
      fs.closeSync(oldestFd);
    }
    return fd;
  }

  forget(id: number): void {
    const fd = this.open.get(id);
    if (fd === undefined) return;
    this.open.delete(id);
    fs.closeSync(fd);
  }

  closeAll(): void {
    for (const fd of this.open.values()) fs.closeSync(fd);
    this.open.clear();
  }
}
