/**
 * Compact in-memory image of every index entry, in log order (slot i = i-th index entry).
 * Parallel typed arrays instead of one object per key: about 46 bytes per entry.
 * In seq mode slot i is also id i; in user mode a key map points at the key's current slot.
 */
const initialCapacity = 1024;

export class SlotTable {
  count = 0;
  dataId = new Uint32Array(initialCapacity);
  dataOffset = new Uint32Array(initialCapacity);
  payloadBytes = new Uint32Array(initialCapacity);
  indexId = new Uint32Array(initialCapacity);
  indexOffset = new Uint32Array(initialCapacity);
  timestampSeconds = new Uint32Array(initialCapacity);
  crc = new Uint32Array(initialCapacity);
  parentId = new Uint32Array(initialCapacity);
  parentOffset = new Uint32Array(initialCapacity);
  /**
   * Seq mode: the id written in the entry's key (differs from the slot for history copies).
   * User mode: the key's offset in the KeyIndex arena (-1 when not kept).
   */
  keyRef = new Float64Array(initialCapacity);
  keyBytes = new Uint8Array(initialCapacity);
  /** Bit 0: deleted flag as on disk. Bit 1: this slot is a key's current version. */
  state = new Uint8Array(initialCapacity);

  private grow(): void {
    const capacity = this.dataId.length * 2;
    const grown = <T extends Uint32Array | Float64Array | Uint8Array>(old: T): T => {
      const next = new (old.constructor as new (n: number) => T)(capacity);
      next.set(old);
      return next;
    };
    this.dataId = grown(this.dataId);
    this.dataOffset = grown(this.dataOffset);
    this.payloadBytes = grown(this.payloadBytes);
    this.indexId = grown(this.indexId);
    this.indexOffset = grown(this.indexOffset);
    this.timestampSeconds = grown(this.timestampSeconds);
    this.crc = grown(this.crc);
    this.parentId = grown(this.parentId);
    this.parentOffset = grown(this.parentOffset);
    this.keyRef = grown(this.keyRef);
    this.keyBytes = grown(this.keyBytes);
    this.state = grown(this.state);
  }

  /** Reserve the next slot and return its number. */
  push(): number {
    if (this.count === this.dataId.length) this.grow();
    const slot = this.count;
    this.count++;
    return slot;
  }

  /** Drop slots from `count` on (start-up recovery only). */
  truncate(count: number): void {
    this.count = count;
  }
}

export const stateDeleted = 1;
export const stateCurrent = 2;
