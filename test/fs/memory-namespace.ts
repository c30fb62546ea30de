/**
 * An in-memory `ZdbNamespace` for tests, following the interface contract: user mode (keys
 * 1..255 bytes chosen by the client) and seq mode (empty key inserts and returns the new 8-byte
 * little-endian id; an unknown id is refused; an update uses up an id, as the engine's history
 * copy does), values <= 8 MiB, nil on byte-identical SET, SCAN in insertion order (of the
 * latest write) in user mode and in id order in seq mode. It can fail on demand to test EIO
 * paths, and records every write so crash tests can replay a prefix. Checked against the
 * engine by memory-namespace-differential.test.ts.
 */
import type {
  NamespaceMode,
  NamespaceStats,
  ScanPage,
  ZdbNamespace,
} from "../../src/zdb/namespace.ts";

const keyBytesMax = 255;
const valueBytesMax = 8 * 1024 * 1024;
const scanPageEntries = 32;

export type WriteLogEntry =
  | { op: "set"; key: Uint8Array; value: Uint8Array }
  | { op: "del"; key: Uint8Array };

const seqIdOf = (key: Uint8Array) =>
  new DataView(key.buffer, key.byteOffset, key.length).getBigUint64(0, true);

const id = (key: Uint8Array) => Buffer.from(key).toString("hex");

export class MemoryNamespace implements ZdbNamespace {
  readonly name: string;
  readonly mode: NamespaceMode;
  /** Keyed by hex; Map keeps insertion order (a rewrite moves the key to the end). */
  readonly #entries = new Map<string, { key: Uint8Array; value: Uint8Array; time: number }>();
  #nextSeq = 0;
  /** Set to make every call reject (simulates a lost backend). */
  failing = false;
  readonly log: WriteLogEntry[] = [];
  syncCount = 0;

  readonly #logging: boolean;

  /** `logging` false: keep no write log (benchmarks with large data). */
  constructor(name: string, mode: NamespaceMode = "user", logging = true) {
    this.name = name;
    this.mode = mode;
    this.#logging = logging;
  }

  #check(): void {
    if (this.failing) throw new Error(`namespace ${this.name} unavailable`);
  }

  async get(key: Uint8Array): Promise<Uint8Array | null> {
    this.#check();
    const entry = this.#entries.get(id(key));
    return entry === undefined ? null : entry.value.slice();
  }

  async getInto(key: Uint8Array, target: Uint8Array): Promise<number | null> {
    this.#check();
    const entry = this.#entries.get(id(key));
    if (entry === undefined) return null;
    if (entry.value.length <= target.length) target.set(entry.value);
    return entry.value.length;
  }

  async set(key: Uint8Array, value: Uint8Array): Promise<Uint8Array | null> {
    this.#check();
    if (value.length > valueBytesMax) throw new Error("Payload too big");
    if (key.length > keyBytesMax) throw new Error("Key too large");
    let finalKey = key;
    if (this.mode === "seq") {
      if (key.length === 0) {
        finalKey = new Uint8Array(8);
        new DataView(finalKey.buffer).setBigUint64(0, BigInt(this.#nextSeq++), true);
      } else if (!this.#entries.has(id(key))) {
        throw new Error("Invalid key, only update authorized");
      }
    } else if (key.length === 0) {
      throw new Error("Invalid key");
    }
    const existing = this.#entries.get(id(finalKey));
    if (existing !== undefined && Buffer.from(existing.value).equals(value)) return null;
    // Seq mode, as the engine (and the reference): an update's history copy takes an id.
    if (this.mode === "seq" && key.length > 0) this.#nextSeq++;
    this.#entries.delete(id(finalKey));
    this.#entries.set(id(finalKey), {
      key: finalKey.slice(),
      value: value.slice(),
      time: Math.floor(Date.now() / 1000),
    });
    if (this.#logging) this.log.push({ op: "set", key: finalKey.slice(), value: value.slice() });
    return finalKey.slice();
  }

  async del(key: Uint8Array): Promise<boolean> {
    this.#check();
    if (this.#logging) this.log.push({ op: "del", key: key.slice() });
    return this.#entries.delete(id(key));
  }

  async exists(key: Uint8Array): Promise<boolean> {
    this.#check();
    return this.#entries.has(id(key));
  }

  async scan(cursor?: Uint8Array): Promise<ScanPage> {
    this.#check();
    const all = [...this.#entries.values()];
    // Seq mode scans in id order, as the engine (its slots are the ids).
    if (this.mode === "seq") all.sort((a, b) => (seqIdOf(a.key) < seqIdOf(b.key) ? -1 : 1));
    let start = 0;
    if (cursor !== undefined) {
      const after = all.findIndex((e) => id(e.key) === id(cursor));
      start = after < 0 ? all.length : after + 1;
    }
    const slice = all.slice(start, start + scanPageEntries);
    const last = slice.at(-1);
    return {
      entries: slice.map((e) => ({
        key: e.key.slice(),
        sizeBytes: e.value.length,
        timestampSeconds: e.time,
      })),
      nextCursor: start + slice.length < all.length && last !== undefined ? last.key.slice() : null,
    };
  }

  async stats(): Promise<NamespaceStats> {
    let dataSizeBytes = 0;
    for (const e of this.#entries.values()) dataSizeBytes += e.value.length;
    return {
      name: this.name,
      mode: this.mode,
      entries: this.#entries.size,
      dataSizeBytes,
      dataLimitBytes: 0,
      indexSizeBytes: 0,
      public: false,
      worm: false,
      passwordProtected: false,
      diskFreeBytes: 0,
    };
  }

  async sync(): Promise<void> {
    this.#check();
    this.syncCount++;
  }

  /** A fresh namespace holding the result of the first `count` logged writes. */
  static replay(name: string, log: WriteLogEntry[], count: number): MemoryNamespace {
    const ns = new MemoryNamespace(name);
    for (const entry of log.slice(0, count)) {
      if (entry.op === "set") void ns.set(entry.key, entry.value);
      else void ns.del(entry.key);
    }
    return ns;
  }
}
