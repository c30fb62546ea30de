/**
 * The bytes of one in-memory file: a sparse map of chunks (`chunkBytes` each at most). Holes are
 * never allocated, so a file with data at 10 GiB costs one chunk. A chunk starts small and
 * doubles up to `chunkBytes` as writes reach further, so small files stay small. A read within
 * one chunk returns a view of it (no copy).
 */
export const chunkBytes = 1024 * 1024;
const chunkBytesInitial = 4096;

const ENXIO = 6;

export class FileData {
  readonly chunks = new Map<number, Uint8Array>();
  private allocated = 0;

  /** Bytes allocated (for st_blocks). */
  allocatedBytes(): number {
    return this.allocated;
  }

  private chunkFor(index: number, endInChunk: number): Uint8Array {
    const chunk = this.chunks.get(index);
    if (chunk !== undefined && chunk.length >= endInChunk) return chunk;
    let length = Math.max(chunkBytesInitial, chunk === undefined ? 0 : chunk.length * 2);
    while (length < endInChunk) length *= 2;
    const grown = new Uint8Array(Math.min(length, chunkBytes));
    if (chunk !== undefined) grown.set(chunk);
    this.allocated += grown.length - (chunk?.length ?? 0);
    this.chunks.set(index, grown);
    return grown;
  }

  write(offset: number, data: Uint8Array): void {
    let done = 0;
    while (done < data.length) {
      const at = offset + done;
      const index = Math.floor(at / chunkBytes);
      const inChunk = at - index * chunkBytes;
      const length = Math.min(data.length - done, chunkBytes - inChunk);
      const chunk = this.chunkFor(index, inChunk + length);
      chunk.set(data.subarray(done, done + length), inChunk);
      done += length;
    }
  }

  /** Bytes [offset, min(offset+length, fileSize)); holes read as zeros. */
  read(offset: number, length: number, fileSize: number): Uint8Array {
    const end = Math.min(offset + length, fileSize);
    if (end <= offset) return new Uint8Array(0);
    const index = Math.floor(offset / chunkBytes);
    const inChunk = offset - index * chunkBytes;
    const chunk = this.chunks.get(index);
    if (chunk !== undefined && end <= index * chunkBytes + chunk.length) {
      return chunk.subarray(inChunk, inChunk + (end - offset));
    }
    const out = new Uint8Array(end - offset);
    let at = offset;
    while (at < end) {
      const i = Math.floor(at / chunkBytes);
      const start = at - i * chunkBytes;
      const stop = Math.min(end - i * chunkBytes, chunkBytes);
      const piece = this.chunks.get(i);
      if (piece !== undefined && start < piece.length) {
        out.set(piece.subarray(start, Math.min(stop, piece.length)), at - offset);
      }
      at = i * chunkBytes + stop;
    }
    return out;
  }

  /** Zeros [offset, end), dropping chunks that fall entirely inside. */
  zeroRange(offset: number, end: number): void {
    for (const [index, chunk] of this.chunks) {
      const chunkStart = index * chunkBytes;
      const from = Math.max(offset, chunkStart) - chunkStart;
      const to = Math.min(end, chunkStart + chunk.length) - chunkStart;
      if (to <= from) continue;
      if (from === 0 && to >= chunk.length) {
        this.chunks.delete(index);
        this.allocated -= chunk.length;
      } else chunk.fill(0, from, to);
    }
  }

  /** Cuts the data to `size` bytes (growing leaves a hole). */
  truncate(size: number): void {
    this.zeroRange(size, Number.MAX_SAFE_INTEGER);
  }

  /** SEEK_DATA: the first data byte at or after `offset`, or -ENXIO. */
  nextData(offset: number, fileSize: number): number {
    if (offset >= fileSize) return -ENXIO;
    let best = Number.POSITIVE_INFINITY;
    for (const [index, chunk] of this.chunks) {
      const start = index * chunkBytes;
      const end = start + chunk.length;
      if (end <= offset) continue;
      best = Math.min(best, Math.max(start, offset));
    }
    return best < fileSize ? best : -ENXIO;
  }

  /** SEEK_HOLE: the first hole byte at or after `offset` (end of file counts), or -ENXIO. */
  nextHole(offset: number, fileSize: number): number {
    if (offset >= fileSize) return -ENXIO;
    let at = offset;
    while (at < fileSize) {
      const index = Math.floor(at / chunkBytes);
      const chunk = this.chunks.get(index);
      const dataEnd = index * chunkBytes + (chunk?.length ?? 0);
      if (chunk === undefined || at >= dataEnd) return at;
      at = dataEnd;
      if (chunk.length < chunkBytes) return Math.min(at, fileSize);
    }
    return fileSize;
  }
}
