/**
 * Reusable big buffers (64 KiB .. 16 MiB, power-of-two classes) for the server's hot paths:
 * reply chunks, big values read for GET, big values received for SET. Fresh large buffers
 * cost page faults on every use (~10 µs per 128 KiB); a pooled one is already mapped. A buffer
 * is released only when nothing can still read it (after the socket wrote it, after the
 * store wrote it); one never released is simply garbage-collected.
 */
const classBytesMin = 64 * 1024;
const classBytesMax = 16 * 1024 * 1024;
/** Idle bytes kept across all classes. */
const idleBytesMax = 32 * 1024 * 1024;

const owned = new WeakSet<ArrayBuffer>();
const idle = new Set<ArrayBuffer>();
const free = new Map<number, ArrayBuffer[]>();
let idleBytes = 0;

function classOf(length: number): number {
  let size = classBytesMin;
  while (size < length) size *= 2;
  return size;
}

/** A Buffer of exactly `length` bytes (contents undefined), pooled when 64 KiB..16 MiB. */
export function acquireBuffer(length: number): Buffer {
  if (length > classBytesMax) return Buffer.allocUnsafe(length);
  const size = classOf(length);
  const list = free.get(size);
  let memory = list?.pop();
  if (memory === undefined) {
    memory = new ArrayBuffer(size);
    owned.add(memory);
  } else {
    idle.delete(memory);
    idleBytes -= size;
  }
  return Buffer.from(memory, 0, length);
}

/** Give a buffer from `acquireBuffer` back; anything else (or a second release) is ignored. */
export function releaseBuffer(view: Uint8Array): void {
  const memory = view.buffer as ArrayBuffer;
  if (!owned.has(memory) || idle.has(memory)) return;
  if (idleBytes + memory.byteLength > idleBytesMax) return;
  idle.add(memory);
  idleBytes += memory.byteLength;
  let list = free.get(memory.byteLength);
  if (list === undefined) {
    list = [];
    free.set(memory.byteLength, list);
  }
  list.push(memory);
}
