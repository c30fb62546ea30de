/**
 * User-mode key lookup without one JS object per key: key bytes live in one growable arena
 * (length-prefixed), and an open-addressing hash table (Int32Array, linear probing) maps a key
 * to its current slot. About 25 bytes per key beside the SlotTable, versus ~100 for a Map of
 * strings.
 */
const tableSizeInitial = 1 << 12;
const arenaBytesInitial = 1 << 16;
/** Grow the table when live + tombstones pass this share of its size. */
const loadFactorMax = 0.6;
const empty = 0;
const tombstone = -1;

export class KeyIndex {
  /** Length-prefixed key bytes. */
  private arena = new Uint8Array(arenaBytesInitial);
  private arenaUsed = 0;
  /** slot + 1, 0 empty, -1 tombstone. */
  private table = new Int32Array(tableSizeInitial);
  private used = 0;
  size = 0;

  constructor(
    /** Arena offset of a slot's key (kept by the caller, in the SlotTable). */
    private readonly keyOffsetOf: (slot: number) => number,
  ) {}

  /** Copy a key into the arena; returns its offset. */
  storeKey(key: Uint8Array): number {
    const needed = this.arenaUsed + 1 + key.length;
    if (needed > this.arena.length) {
      let capacity = this.arena.length * 2;
      while (capacity < needed) capacity *= 2;
      const grown = new Uint8Array(capacity);
      grown.set(this.arena.subarray(0, this.arenaUsed));
      this.arena = grown;
    }
    const offset = this.arenaUsed;
    this.arena[offset] = key.length;
    this.arena.set(key, offset + 1);
    this.arenaUsed = needed;
    return offset;
  }

  keyAt(offset: number): Uint8Array {
    const length = this.arena[offset] as number;
    return this.arena.slice(offset + 1, offset + 1 + length);
  }

  keyLengthAt(offset: number): number {
    return this.arena[offset] as number;
  }

  private hash(bytes: Uint8Array, start: number, length: number): number {
    let h = 0x811c9dc5;
    for (let i = start; i < start + length; i++) {
      h ^= bytes[i] as number;
      h = Math.imul(h, 0x01000193);
    }
    return h >>> 0;
  }

  private equalsAt(offset: number, key: Uint8Array): boolean {
    const arena = this.arena;
    if (arena[offset] !== key.length) return false;
    for (let i = 0; i < key.length; i++) if (arena[offset + 1 + i] !== key[i]) return false;
    return true;
  }

  /** Table position holding `key`, or -(insert position) - 1 when absent. */
  private probe(key: Uint8Array): number {
    const mask = this.table.length - 1;
    let position = this.hash(key, 0, key.length) & mask;
    let firstFree = -1;
    for (;;) {
      const value = this.table[position] as number;
      if (value === empty) return -((firstFree >= 0 ? firstFree : position) + 1);
      if (value === tombstone) {
        if (firstFree < 0) firstFree = position;
      } else if (this.equalsAt(this.keyOffsetOf(value - 1), key)) {
        return position;
      }
      position = (position + 1) & mask;
    }
  }

  /** Current slot of a key, or -1. */
  get(key: Uint8Array): number {
    const position = this.probe(key);
    return position >= 0 ? (this.table[position] as number) - 1 : -1;
  }

  /** Point `key` at `slot` (insert or replace). The slot's key must already be in the arena. */
  set(key: Uint8Array, slot: number): void {
    const position = this.probe(key);
    if (position >= 0) {
      this.table[position] = slot + 1;
      return;
    }
    const insertAt = -position - 1;
    if (this.table[insertAt] === empty) this.used++;
    this.table[insertAt] = slot + 1;
    this.size++;
    if (this.used > this.table.length * loadFactorMax) this.rehash();
  }

  delete(key: Uint8Array): boolean {
    const position = this.probe(key);
    if (position < 0) return false;
    this.table[position] = tombstone;
    this.size--;
    return true;
  }

  private rehash(): void {
    const old = this.table;
    let capacity = old.length;
    while (this.size * 2 > capacity * loadFactorMax) capacity *= 2;
    this.table = new Int32Array(capacity);
    this.used = 0;
    const mask = capacity - 1;
    for (let i = 0; i < old.length; i++) {
      const value = old[i] as number;
      if (value <= 0) continue;
      const offset = this.keyOffsetOf(value - 1);
      let position = this.hash(this.arena, offset + 1, this.arena[offset] as number) & mask;
      while (this.table[position] !== empty) position = (position + 1) & mask;
      this.table[position] = value;
      this.used++;
    }
  }
}
