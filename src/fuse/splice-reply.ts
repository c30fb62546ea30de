/**
 * READ replies assembled in a pipe and spliced into /dev/fuse: file ranges go from the page
 * cache into the pipe by reference (splice), then the kernel copies them once into the
 * reader's pages. The copy path reads them into user memory first (pread) and copies them
 * again on the reply's write, so a spliced reply saves one copy of every byte read.
 *
 * One pipe per reply writer. A reply is built and sent in one synchronous run, so replies
 * never interleave in it; after any failure the pipe is replaced (it may hold a partial
 * reply) and the caller answers the usual way.
 */
import { closeSync, readFileSync } from "node:fs";
import type { ReadSink } from "../fs/operations.ts";
import { SpliceFlags, setPipeCapacity, sysPipe, sysSplice, sysWrite } from "../platform/libc.ts";
import { Size } from "./abi.ts";
import { encodeOutHeader } from "./encode.ts";

/**
 * Pipe capacity asked for: a 1 MiB read (max_read) of unaligned ranges needs > 256 pages.
 * Without CAP_SYS_RESOURCE the kernel grants at most /proc/sys/fs/pipe-max-size (1 MiB by
 * default), which is then taken.
 */
const pipeBytesWanted = 4 * 1024 * 1024;

function pipeMaxBytes(): number {
  try {
    return Number(readFileSync("/proc/sys/fs/pipe-max-size", "utf8").trim()) || 0;
  } catch {
    return 0;
  }
}

export class SplicePipe {
  private readEnd = -1;
  private writeEnd = -1;
  /**
   * Bytes the pipe can take. Replies of more than half go the copy way: a pipe holds
   * capacity/4096 buffers, and a 32 KiB value at an unaligned file offset takes 9 of them.
   */
  private capacity = 0;
  /** Replies sent through the pipe, and failures (each fell back to the copy path). */
  sent = 0;
  failed = 0;
  private disabled = false;

  /** The pipe, created on first use; false when pipes cannot be used here. */
  private ready(): boolean {
    if (this.disabled) return false;
    if (this.readEnd >= 0) return true;
    const fds = sysPipe();
    if (typeof fds === "number") {
      this.disabled = true;
      return false;
    }
    [this.readEnd, this.writeEnd] = fds;
    let granted = setPipeCapacity(this.writeEnd, pipeBytesWanted);
    if (granted < 0) granted = setPipeCapacity(this.writeEnd, pipeMaxBytes());
    this.capacity = granted > 0 ? granted : 64 * 1024;
    return true;
  }

  /**
   * After a failure: a fresh pipe next time (this one may hold part of a reply). Only the
   * pipe's own failures count towards giving up (no splice support here), not replies the
   * filesystem abandoned.
   */
  private reset(pipeFailed: boolean): void {
    if (pipeFailed) this.failed++;
    this.closePipe();
    if (this.failed > 16 && this.failed > this.sent) this.disabled = true;
  }

  close(): void {
    this.closePipe();
    this.disabled = true;
  }

  private closePipe(): void {
    if (this.readEnd >= 0) closeSync(this.readEnd);
    if (this.writeEnd >= 0) closeSync(this.writeEnd);
    this.readEnd = -1;
    this.writeEnd = -1;
  }

  /** A sink for the reply to request `unique` on `deviceFd`; `onSent` marks it answered. */
  sink(deviceFd: number, unique: number, onSent: () => void): ReadSink {
    let remaining = -1;
    let total = 0;
    let broken = false;
    const fail = (pipeFailed = true): false => {
      if (!broken) this.reset(pipeFailed);
      broken = true;
      return false;
    };
    const put = (bytes: Uint8Array): boolean => {
      for (let done = 0; done < bytes.length; ) {
        const n = sysWrite(this.writeEnd, bytes.subarray(done));
        if (n <= 0) return false;
        done += n;
      }
      return true;
    };
    return {
      begin: (byteCount) => {
        if (broken || remaining >= 0 || !this.ready()) return false;
        if (byteCount > this.capacity / 2) return false;
        const header = new Uint8Array(Size.outHeader);
        total = Size.outHeader + byteCount;
        encodeOutHeader(new DataView(header.buffer), 0, total, 0, unique);
        remaining = byteCount;
        return put(header) || fail();
      },
      bytes: (bytes) => {
        if (broken || bytes.length > remaining) return fail();
        remaining -= bytes.length;
        return put(bytes) || fail();
      },
      file: (fd, offset, length) => {
        if (broken || length > remaining) return fail();
        for (let done = 0; done < length; ) {
          const n = sysSplice(
            fd,
            offset + done,
            this.writeEnd,
            length - done,
            SpliceFlags.NONBLOCK,
          );
          if (n <= 0) return fail();
          done += n;
        }
        remaining -= length;
        return true;
      },
      abort: () => {
        if (remaining >= 0) fail(false);
      },
      end: () => {
        if (broken || remaining !== 0) return fail();
        // The whole message in one splice: the device takes a reply only whole.
        const n = sysSplice(this.readEnd, null, deviceFd, total, 0);
        if (n !== total) return fail();
        this.sent++;
        onSent();
        return true;
      },
    };
  }
}
