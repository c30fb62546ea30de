/**
 * A write-through copy of the last bytes appended to the current data file, as a ring indexed
 * by file offset. Reads of recently written entries (the hot part of a cache) are served from
 * memory instead of a `pread`, including appends not yet handed to the kernel. Only the
 * current, append-only file is held; nothing in it is ever rewritten in place.
 */
import { assert } from "../base/assert.ts";
import { tailsMax } from "./limits.ts";

/** Rings allocated across all namespaces of the process (bounded by `tailsMax`). */
let ringsAllocated = 0;

export class DataTail {
  private ring: Uint8Array | null = null;
  /** File offsets [start, end) are held in the ring. */
  private start = 0;
  private end = 0;
  private disabled = false;

  constructor(
    private readonly bytesMax: number,
    private readonly entryBytesMax: number,
  ) {
    assert(entryBytesMax <= bytesMax, "a tail entry must fit the tail");
  }

  /** Forget everything; the next append at `offset` starts a fresh run. */
  reset(offset: number): void {
    this.start = offset;
    this.end = offset;
  }

  /** For good: the owner caches what it reads itself, so copying appends here is waste. */
  disable(): void {
    this.release();
    this.disabled = true;
  }

  /** Drop the memory (the namespace is closed). */
  release(): void {
    if (this.ring !== null) ringsAllocated--;
    this.ring = null;
    this.reset(0);
  }

  /** Record an entry appended at `offset` (its parts are contiguous in the file). */
  appendEntry(offset: number, header: Uint8Array, key: Uint8Array, value: Uint8Array): void {
    if (this.disabled) return;
    const total = header.length + key.length + value.length;
    const end = offset + total;
    if (offset !== this.end || total > this.entryBytesMax) {
      // Not contiguous with what is held, or too big to be worth a copy: restart after it.
      this.reset(end);
      if (total > this.entryBytesMax) return;
      this.start = offset;
    }
    if (this.ring === null) {
      // Past the process-wide budget this namespace simply reads from its file.
      if (ringsAllocated >= tailsMax) {
        this.reset(end);
        return;
      }
      this.ring = new Uint8Array(this.bytesMax);
      ringsAllocated++;
    }
    this.copyIn(offset, header);
    this.copyIn(offset + header.length, key);
    this.copyIn(offset + header.length + key.length, value);
    this.end = end;
    if (end - this.start > this.bytesMax) this.start = end - this.bytesMax;
  }

  private copyIn(offset: number, bytes: Uint8Array): void {
    const ring = this.ring as Uint8Array;
    const at = offset % this.bytesMax;
    const first = Math.min(bytes.length, this.bytesMax - at);
    ring.set(first === bytes.length ? bytes : bytes.subarray(0, first), at);
    if (first < bytes.length) ring.set(bytes.subarray(first), 0);
  }

  /** Fill `target` with the file bytes at `offset`; false when they are not all held. */
  readInto(target: Uint8Array, offset: number): boolean {
    const ring = this.ring;
    if (ring === null || offset < this.start || offset + target.length > this.end) return false;
    const at = offset % this.bytesMax;
    const first = Math.min(target.length, this.bytesMax - at);
    target.set(ring.subarray(at, at + first));
    if (first < target.length) target.set(ring.subarray(0, target.length - first), first);
    return true;
  }
}
