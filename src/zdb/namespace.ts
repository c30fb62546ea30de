/**
 * The one key-value interface of a 0-db namespace. The in-process engine and the RESP client
 * (to a remote 0-db, ours or the reference C server) both implement it, so the filesystem and
 * the offloader run unchanged over either.
 *
 * Keys and values are bytes, never strings. Buffers passed in are not kept after the promise
 * settles (callers may reuse them); buffers returned belong to the caller.
 */

export type NamespaceMode = "user" | "seq";

/** One entry of a SCAN page: key, payload size and last-update time (unix seconds). */
export interface ScanEntry {
  key: Uint8Array;
  sizeBytes: number;
  timestampSeconds: number;
}

export interface ScanPage {
  entries: ScanEntry[];
  /** Opaque cursor to pass to the next `scan`; null when there is no more data. */
  nextCursor: Uint8Array | null;
}

export interface NamespaceStats {
  name: string;
  mode: NamespaceMode;
  entries: number;
  dataSizeBytes: number;
  /** 0 means no limit. */
  dataLimitBytes: number;
  indexSizeBytes: number;
  public: boolean;
  worm: boolean;
  passwordProtected: boolean;
  diskFreeBytes: number;
}

/** `length` bytes of the open file `fd` from `offset`. */
export interface FileRange {
  fd: number;
  offset: number;
  length: number;
}

export interface ZdbNamespace {
  readonly name: string;
  readonly mode: NamespaceMode;

  /** The value, or null when the key is missing or deleted. */
  get(key: Uint8Array): Promise<Uint8Array | null>;
  /**
   * Like `get`, into the caller's `target` (a recycled buffer: no allocation per read).
   * Resolves to the value's length, its bytes copied to `target` only when it fits, or null
   * when the key is missing or deleted.
   */
  getInto(key: Uint8Array, target: Uint8Array): Promise<number | null>;
  /**
   * In-process stores only: where the value lies in a file (for reads that let the kernel
   * move the bytes), or null when the key is missing. The descriptor is valid only until the
   * caller's synchronous step ends. Throws when the value's file is not there.
   */
  locate?(key: Uint8Array): FileRange | null;
  /**
   * Store `value`. In seq mode an empty key inserts and the new 8-byte little-endian id is
   * returned; an existing id updates. Returns the key, or null when the value was byte-identical
   * to the stored one and nothing was appended.
   */
  set(key: Uint8Array, value: Uint8Array): Promise<Uint8Array | null>;
  /**
   * In-process stores only: `set` in two steps. A refusal (full, read-only, too large) throws
   * here; once this returns, every read sees `value`. The promise settles once it is written
   * (rejects if writing it failed); `value` must stay untouched until then.
   */
  stage?(key: Uint8Array, value: Uint8Array): Promise<void>;
  /** False when the key did not exist. */
  del(key: Uint8Array): Promise<boolean>;
  exists(key: Uint8Array): Promise<boolean>;
  /** Keys in insertion order from `cursor` (exclusive), or from the start without one. */
  scan(cursor?: Uint8Array): Promise<ScanPage>;
  stats(): Promise<NamespaceStats>;
  /** Resolves once everything written so far through this namespace is durable on disk. */
  sync(): Promise<void>;
}
