/**
 * Writes replies to the device: one `writeSync` per reply (header and body in one buffer), or
 * one `writevSync` for data replies (header + the filesystem's buffer, no copy). Encoding and
 * writing happen synchronously on one shared scratch buffer, so replies never interleave.
 * A write that fails because the kernel no longer waits for the request (ENOENT: interrupted
 * and aborted) or the connection is gone (ENODEV) is dropped: there is nobody to tell. Any
 * other failure is logged and counted, never thrown: a bad reply must not stop the server.
 */
import { writeSync, writevSync } from "node:fs";
import { requestBufferBytes, Size } from "./abi.ts";
import { encodeOutHeader } from "./encode.ts";

/** Replies up to this size are copied into the scratch buffer and sent with one write. */
const copyBytesMax = 64 * 1024;

export class ReplyWriter {
  /** Scratch for header + body; bodies (readdir, xattrs) stay below a request buffer. */
  readonly bytes = new Uint8Array(requestBufferBytes);
  readonly view = new DataView(this.bytes.buffer);
  /** Replies that the kernel refused (for a request it had given up on). */
  droppedCount = 0;
  /** Replies that failed otherwise (a bug: the kernel found the reply malformed). */
  failedCount = 0;

  constructor(private readonly log: (message: string) => void = () => {}) {}

  /** Writes header + `bodyBytes` already encoded at `bytes[Size.outHeader…]`. */
  send(fd: number, unique: number, bodyBytes: number): void {
    const len = Size.outHeader + bodyBytes;
    encodeOutHeader(this.view, 0, len, 0, unique);
    this.write(() => writeSync(fd, this.bytes, 0, len));
  }

  sendError(fd: number, unique: number, errno: number): void {
    encodeOutHeader(this.view, 0, Size.outHeader, -errno, unique);
    this.write(() => writeSync(fd, this.bytes, 0, Size.outHeader));
  }

  /**
   * Header and `data` in one write: small data is copied behind the header (cheaper than
   * building a writev), large data goes out with writev, not copied.
   */
  sendData(fd: number, unique: number, data: Uint8Array): void {
    if (data.length <= copyBytesMax) {
      this.bytes.set(data, Size.outHeader);
      this.send(fd, unique, data.length);
      return;
    }
    const header = new Uint8Array(Size.outHeader);
    encodeOutHeader(new DataView(header.buffer), 0, Size.outHeader + data.length, 0, unique);
    if (data.length === 0) this.write(() => writeSync(fd, header));
    else this.write(() => writevSync(fd, [header, data]));
  }

  private write(action: () => void): void {
    try {
      action();
    } catch (error) {
      const code = (error as { code?: string }).code;
      if (code === "ENOENT" || code === "ENODEV" || code === "EBADF") {
        this.droppedCount++;
        return;
      }
      this.failedCount++;
      this.log(`bug: the kernel refused a reply: ${String(error)}`);
    }
  }
}
