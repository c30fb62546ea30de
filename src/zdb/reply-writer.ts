import { acquireBuffer, releaseBuffer } from "./buffer-pool.ts";

/**
 * RESP reply encoder. Replies are written straight into pooled 64 KiB output chunks (no piece
 * per reply, no merge copy, no fresh memory to fault in); values of `bulkInlineBytesMax` or
 * more are sent as their own pieces, framed in place when they were read with room around
 * them. After the socket has written a batch, its chunks go back to the pool (`release`,
 * `buffer-pool.ts`).
 */

/** Values this big are sent as their own piece instead of being copied into a chunk. */
export const bulkInlineBytesMax = 64 * 1024;
/** Spare bytes a value needs around it to be framed in place (`$8388608\r\n` … `\r\n`). */
export const bulkFrameRoomBytes = 16;
/** A pipelined batch of replies (16 x 4 KiB GETs and more) fits one chunk: one socket write. */
const chunkBytes = 128 * 1024;

/** Views known to own `bulkFrameRoomBytes` spare bytes on each side (see `markFramable`). */
const framable = new WeakSet<Uint8Array>();

/** Declare that `view` was allocated with `bulkFrameRoomBytes` of its own on each side. */
export function markFramable(view: Uint8Array): void {
  framable.add(view);
}

/** Write `<prefix><n>\r\n` at `at`; returns the next position. */
function writeHeader(out: Buffer, at: number, prefix: number, n: number): number {
  out[at++] = prefix;
  if (n < 0) {
    out[at++] = 0x2d;
    n = -n;
  }
  let digits = 1;
  for (let rest = n; rest >= 10; rest = Math.floor(rest / 10)) digits++;
  for (let i = digits - 1; i >= 0; i--) {
    out[at + i] = 0x30 + (n % 10);
    n = Math.floor(n / 10);
  }
  at += digits;
  out[at++] = 0x0d;
  out[at++] = 0x0a;
  return at;
}

/** One batch of output: pieces to write, and the chunks to hand back once written. */
export interface ReplyBatch {
  parts: Uint8Array[];
  chunks: Buffer[];
}

export class ReplyWriter {
  private parts: Uint8Array[] = [];
  private chunks: Buffer[] = [];
  bytes = 0;
  private chunk: Buffer | null = null;
  private used = 0;
  private sealed = 0;
  private undoAt = -1;
  private undoPart: Uint8Array | null = null;

  /** Hand chunks back to the pool (their pieces were written or dropped). */
  static release(chunks: Buffer[]): void {
    for (const chunk of chunks) releaseBuffer(chunk);
  }

  /**
   * The current chunk with at least `needed` free bytes. A full chunk's unsealed bytes move to
   * the next one, so the replies of one batch stay contiguous (one socket write).
   */
  private room(needed: number): Buffer {
    const chunk = this.chunk;
    if (chunk !== null && this.used + needed <= chunk.length) return chunk;
    const carried = chunk === null ? 0 : this.used - this.sealed;
    const fresh = acquireBuffer(Math.max(needed + carried, chunkBytes));
    if (chunk !== null && carried > 0) fresh.set(chunk.subarray(this.sealed, this.used));
    this.chunk = fresh;
    this.chunks.push(fresh);
    this.used = carried;
    this.sealed = 0;
    return fresh;
  }

  /** Move the chunk's written bytes into the piece list. */
  private seal(): void {
    if (this.chunk !== null && this.used > this.sealed) {
      this.parts.push(this.chunk.subarray(this.sealed, this.used));
      this.sealed = this.used;
    }
  }

  private text(prefix: string, text: string): void {
    const chunk = this.room(text.length * 3 + prefix.length + 2);
    const start = this.used;
    let at = start + chunk.write(prefix, start, "latin1");
    at += chunk.write(text, at, "utf8");
    chunk[at++] = 0x0d;
    chunk[at++] = 0x0a;
    this.used = at;
    this.bytes += at - start;
  }

  simple(text: string): void {
    this.text("+", text);
  }

  error(text: string): void {
    this.text("-", text.replace(/[\r\n]/g, " "));
  }

  private header(prefix: number, n: number): void {
    const chunk = this.room(24);
    const at = writeHeader(chunk, this.used, prefix, n);
    this.bytes += at - this.used;
    this.used = at;
  }

  integer(value: number): void {
    if (!Number.isSafeInteger(value)) {
      this.text(":", String(value));
      return;
    }
    this.header(0x3a, value);
  }

  nil(): void {
    this.header(0x24, -1);
  }

  arrayHeader(count: number): void {
    this.header(0x2a, count);
  }

  /**
   * Reserve a framed bulk of `length` in the output and return the view to fill (in a chunk,
   * or for `bulkInlineBytesMax` and more in a pooled buffer of its own); `unreserve()` takes it
   * back if filling fails (before anything else is written).
   */
  bulkReserve(length: number): Uint8Array {
    this.undoPart = null;
    if (length >= bulkInlineBytesMax) {
      const own = acquireBuffer(length + bulkFrameRoomBytes);
      const at = writeHeader(own, 0, 0x24, length);
      own[at + length] = 0x0d;
      own[at + length + 1] = 0x0a;
      const framed = own.subarray(0, at + length + 2);
      this.seal();
      this.parts.push(framed);
      this.chunks.push(own);
      this.bytes += framed.length;
      this.undoPart = framed;
      return own.subarray(at, at + length);
    }
    const chunk = this.room(length + bulkFrameRoomBytes);
    const start = this.used;
    const at = writeHeader(chunk, start, 0x24, length);
    chunk[at + length] = 0x0d;
    chunk[at + length + 1] = 0x0a;
    this.used = at + length + 2;
    this.bytes += this.used - start;
    this.undoAt = start;
    return chunk.subarray(at, at + length);
  }

  unreserve(): void {
    if (this.undoPart !== null) {
      this.parts.pop();
      releaseBuffer(this.chunks.pop() as Buffer);
      this.bytes -= this.undoPart.length;
      this.undoPart = null;
      return;
    }
    if (this.undoAt < 0) return;
    this.bytes -= this.used - this.undoAt;
    this.used = this.undoAt;
    this.undoAt = -1;
  }

  bulk(value: Uint8Array | string | null): void {
    if (value === null) {
      this.nil();
      return;
    }
    const bytes = typeof value === "string" ? Buffer.from(value) : value;
    if (bytes.length < bulkInlineBytesMax) {
      this.bulkReserve(bytes.length).set(bytes);
      this.undoAt = -1;
      return;
    }
    const before = bytes.byteOffset;
    const after = bytes.buffer.byteLength - before - bytes.length;
    if (framable.has(bytes) && before >= bulkFrameRoomBytes && after >= 2) {
      // Framed in place: the value was read with spare room around it (no copy).
      const header = `$${bytes.length}\r\n`;
      const framed = Buffer.from(
        bytes.buffer,
        before - header.length,
        header.length + bytes.length + 2,
      );
      framed.write(header, 0, "latin1");
      framed[framed.length - 2] = 0x0d;
      framed[framed.length - 1] = 0x0a;
      this.seal();
      this.parts.push(framed);
      this.bytes += framed.length;
      return;
    }
    this.header(0x24, bytes.length);
    this.seal();
    this.parts.push(bytes);
    this.bytes += bytes.length + 2;
    const chunk = this.room(2);
    chunk[this.used++] = 0x0d;
    chunk[this.used++] = 0x0a;
  }

  /** Everything written so far; the writer starts over with fresh chunks. */
  take(): ReplyBatch {
    this.seal();
    const batch = { parts: this.parts, chunks: this.chunks };
    this.parts = [];
    this.chunks = [];
    this.chunk = null;
    this.used = 0;
    this.sealed = 0;
    this.bytes = 0;
    this.undoAt = -1;
    this.undoPart = null;
    return batch;
  }

  /** Drop everything not yet taken. */
  discard(): void {
    ReplyWriter.release(this.take().chunks);
  }
}
