/**
 * Systematic Reed-Solomon erasure code over GF(2^8): `dataShards` (k) plain slices of the input,
 * `parityShards` (m) computed ones, k + m <= 256; any k of the n shards rebuild all others.
 * Encoding matrix: identity over a Cauchy matrix (see matrix.ts).
 *
 * Buffer ownership: the caller owns every shard; methods write only into the shards they are
 * asked to fill and keep no reference after returning. All shards of one call have one length.
 * Shards from `allocateShards` are coded in place (no copies through the kernel); a lost one of
 * them is rebuilt into its own slot. Other buffers work too, copied through the kernel.
 *
 * @example
 * const rs = createReedSolomon({ dataShards: 4, parityShards: 2 });
 * const shards = rs.allocateShards(1 << 20); // fill shards[0..3] with data
 * rs.encode(shards);                 // shards[4], shards[5] := parity of shards[0..3]
 * shards[1] = null; rs.reconstruct(shards); // shards[1] rebuilt (into its old slot)
 */
import { assert } from "../base/assert.ts";
import { qssError } from "../base/errors.ts";
import type { GfKernel } from "./kernel.ts";
import { defaultKernel } from "./kernel-select.ts";
import { cauchyParityMatrix, encodingRow, type GfMatrix, invertMatrix } from "./matrix.ts";

export const shardCountMax = 256;
/** Decode matrices cached per erasure pattern. */
const decodeCacheEntriesMax = 64;

export interface ReedSolomonOptions {
  dataShards: number;
  parityShards: number;
  /** Defaults to the kernel picked at start-up (WASM SIMD, or TS with QSS_CODEC=ts). */
  kernel?: GfKernel;
}

export interface ReedSolomon {
  readonly dataShards: number;
  readonly parityShards: number;
  readonly kernel: GfKernel;
  /**
   * k + m zeroed shards of `shardBytes` in one kernel buffer (see GfKernel.allocate), owned by
   * the caller; encode and reconstruct work on them without copies.
   */
  allocateShards(shardBytes: number): Uint8Array[];
  /** Fill shards[k..n) with parity computed from shards[0..k). */
  encode(shards: Uint8Array[]): void;
  /**
   * Rebuild every null shard in place (allocating it) from any k present ones. `dataOnly` skips
   * missing parity. Throws QssError CORRUPT when fewer than k shards are present.
   */
  reconstruct(shards: (Uint8Array | null)[], options?: { dataOnly?: boolean }): void;
  /** True when the parity shards match the data shards. */
  verify(shards: Uint8Array[]): boolean;
}

export function validateShape(dataShards: number, parityShards: number): void {
  const valid =
    Number.isInteger(dataShards) &&
    Number.isInteger(parityShards) &&
    dataShards >= 1 &&
    parityShards >= 0 &&
    dataShards + parityShards <= shardCountMax;
  if (!valid) {
    throw qssError(
      "CONFIG_INVALID",
      `Cannot use ${dataShards} data + ${parityShards} parity shards: need k >= 1, m >= 0, k + m <= ${shardCountMax}`,
    );
  }
}

export function createReedSolomon(options: ReedSolomonOptions): ReedSolomon {
  const { dataShards: k, parityShards: m } = options;
  validateShape(k, m);
  const kernel = options.kernel ?? defaultKernel();
  const parity = cauchyParityMatrix(k, m);
  const decodeCache = new Map<string, GfMatrix>();
  /** Slots of the shard sets made by allocateShards, by their buffer. */
  const slotsByBuffer = new WeakMap<ArrayBufferLike, Uint8Array[]>();

  /**
   * Where a rebuilt shard goes: its own slot when the shards were allocated here and no present
   * shard overlaps that slot; else a new buffer.
   */
  function outputFor(shards: (Uint8Array | null)[], shardIndex: number, length: number) {
    const present = shards.filter((shard) => shard !== null);
    const slot = slotsByBuffer.get((present[0] as Uint8Array).buffer)?.[shardIndex];
    const free =
      slot !== undefined &&
      slot.length === length &&
      present.every((shard) => !overlaps(shard, slot));
    return free ? slot : new Uint8Array(length);
  }

  function shardLength(shards: (Uint8Array | null)[]): number {
    assert(shards.length === k + m, `expected ${k + m} shards, got ${shards.length}`);
    const present = shards.find((shard) => shard !== null);
    if (!present) throw qssError("CORRUPT", "Cannot reconstruct: no shard is present");
    const length = present.length;
    for (const shard of shards) {
      assert(shard === null || shard.length === length, "shards must all have the same length");
    }
    return length;
  }

  function decodeMatrix(used: number[]): GfMatrix {
    const key = used.join(",");
    const cached = decodeCache.get(key);
    if (cached) return cached;
    const cells = new Uint8Array(k * k);
    for (const [row, shardIndex] of used.entries())
      cells.set(encodingRow(parity, shardIndex), row * k);
    const inverse = invertMatrix({ rows: k, columns: k, cells });
    if (decodeCache.size >= decodeCacheEntriesMax) decodeCache.clear();
    decodeCache.set(key, inverse);
    return inverse;
  }

  const firstParityIsXor = m > 0 && parity.cells.subarray(0, k).every((cell) => cell === 1);

  /** shards[targets[r]] := row r of `rows` times `inputs`, each into its own slot if it has one. */
  function fill(
    shards: (Uint8Array | null)[],
    targets: number[],
    rows: Uint8Array,
    inputs: Uint8Array[],
    length: number,
  ): void {
    const outputs = targets.map((shardIndex) => outputFor(shards, shardIndex, length));
    kernel.multiply(rows, inputs, outputs, length);
    targets.forEach((shardIndex, row) => {
      shards[shardIndex] = outputs[row] as Uint8Array;
    });
  }

  const codec: ReedSolomon = {
    dataShards: k,
    parityShards: m,
    kernel,
    allocateShards(shardBytes) {
      assert(Number.isInteger(shardBytes) && shardBytes >= 0, "shard size must be a byte count");
      const buffer = kernel.allocate((k + m) * shardBytes);
      const slots = Array.from({ length: k + m }, (_, i) =>
        buffer.subarray(i * shardBytes, (i + 1) * shardBytes),
      );
      slotsByBuffer.set(buffer.buffer, slots);
      return slots.slice();
    },
    encode(shards) {
      const length = shardLength(shards);
      kernel.multiply(parity.cells, shards.slice(0, k), shards.slice(k), length);
    },
    reconstruct(shards, reconstructOptions) {
      const length = shardLength(shards);
      const present = shards.flatMap((shard, index) => (shard ? [index] : []));
      if (present.length < k) {
        throw qssError(
          "CORRUPT",
          `Cannot reconstruct: ${present.length} of ${k} needed shards are usable`,
        );
      }
      const missingData = present.length === k + m ? [] : rangeMissing(shards, 0, k);
      // With the all-ones parity shard present, the last lost data shard is a plain xor of it
      // and the other data shards (a row of ones): cheaper than a row of the decode matrix.
      const xorLast = firstParityIsXor && shards[k] !== null && missingData.length > 0;
      const viaMatrix = xorLast ? missingData.slice(0, -1) : missingData;
      if (viaMatrix.length > 0) {
        const used = present.slice(0, k);
        const inverse = decodeMatrix(used);
        const rows = new Uint8Array(viaMatrix.length * k);
        for (const [row, shardIndex] of viaMatrix.entries()) {
          rows.set(inverse.cells.subarray(shardIndex * k, shardIndex * k + k), row * k);
        }
        const inputs = used.map((index) => shards[index] as Uint8Array);
        fill(shards, viaMatrix, rows, inputs, length);
      }
      if (xorLast) {
        const last = missingData[missingData.length - 1] as number;
        const others = shards.slice(0, k).filter((_, index) => index !== last) as Uint8Array[];
        fill(
          shards,
          [last],
          new Uint8Array(k).fill(1),
          [shards[k] as Uint8Array, ...others],
          length,
        );
      }
      if (reconstructOptions?.dataOnly) return;
      const missingParity = rangeMissing(shards, k, k + m);
      if (missingParity.length === 0) return;
      const rows = new Uint8Array(missingParity.length * k);
      missingParity.forEach((shardIndex, row) => {
        rows.set(encodingRow(parity, shardIndex), row * k);
      });
      fill(shards, missingParity, rows, shards.slice(0, k) as Uint8Array[], length);
    },
    verify(shards) {
      const length = shardLength(shards);
      const computed = Array.from({ length: m }, () => new Uint8Array(length));
      kernel.multiply(parity.cells, shards.slice(0, k), computed, length);
      return computed.every((row, r) => equalBytes(row, shards[k + r] as Uint8Array));
    },
  };
  return codec;
}

function rangeMissing(shards: (Uint8Array | null)[], from: number, to: number): number[] {
  const missing: number[] = [];
  for (let index = from; index < to; index++) if (shards[index] === null) missing.push(index);
  return missing;
}

function overlaps(a: Uint8Array, b: Uint8Array): boolean {
  if (a.buffer !== b.buffer) return false;
  return a.byteOffset < b.byteOffset + b.length && b.byteOffset < a.byteOffset + a.length;
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
