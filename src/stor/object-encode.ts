/**
 * encodeObject: one segment in, `k + m` authenticated shards out, streaming stripe by stripe.
 * Reads the source in order, one stripe ahead; each stripe is hashed (BLAKE2b-128 of the
 * plaintext, on the executor's hash worker when it has one, else on this thread) and then coded
 * on the executor, with a bounded number in flight, so hashing, reading and coding overlap.
 * Each shard's bytes go to `writeShard` in order (header first, then one stored piece per
 * stripe).
 *
 * @example
 * const manifest = await encodeObject(bytesSource(data), { keyring, dataShards: 4, parityShards: 2 },
 *   async (shardIndex, bytes) => { chunks[shardIndex].push(bytes); });
 */
import { randomBytes } from "node:crypto";
import { assert } from "../base/assert.ts";
import { qssError } from "../base/errors.ts";
import type { CompressionName } from "./compression.ts";
import { inlineExecutor, type StripeExecutor } from "./executor.ts";
import { frameBytesDefault, frameBytesMax } from "./frames.ts";
import { wrapDataKeyForRecipient, wrapDataKeyWithKek } from "./key-wrap.ts";
import { type Keyring, newObjectKeys } from "./keyring.ts";
import {
  manifestFormatVersion,
  type ObjectManifest,
  parseManifest,
  stripeFramesMax,
} from "./manifest.ts";
import { recipientId, recipientPublicKeyBytes } from "./recipient-keys.ts";
import { validateShape } from "./reed-solomon.ts";
import type { SecretKey } from "./secret.ts";
import { encodeShardHeader, stripeOffsets } from "./shard-format.ts";
import type { ByteSource } from "./sources.ts";
import { type EncodeStripeResult, type StripeContext, storedPieceParts } from "./stripe-codec.ts";

export const objectIdBytes = 16;
export const stripeFramesDefault = 4;
/** Stripes being encoded at once: bounds memory to about this many stripes times (n / k). */
export const stripesInFlightDefault = 4;
/** Stripes handed to the hash before the oldest of them goes on to be encoded. */
const hashAheadStripes = 2;

export interface EncodeObjectOptions {
  keyring: Keyring;
  /** Hybrid post-quantum recipients (ML-KEM-768 + X25519 public keys) to wrap the data key for. */
  recipients?: Uint8Array[];
  dataShards: number;
  parityShards: number;
  compression?: CompressionName;
  frameBytes?: number;
  stripeFrames?: number;
  executor?: StripeExecutor;
  stripesInFlight?: number;
}

/**
 * Receives each shard's bytes in order, in parts of any size (header, then per stripe the piece
 * and its tag). `bytes` is a view on a buffer that is reused once the returned promise settles:
 * copy it if it is kept longer.
 */
export type ShardWriter = (shardIndex: number, bytes: Uint8Array) => Promise<void>;

export async function encodeObject(
  source: ByteSource,
  options: EncodeObjectOptions,
  writeShard: ShardWriter,
): Promise<ObjectManifest> {
  const { dataShards: k, parityShards: m } = options;
  const { frameBytes, stripeFrames } = validateOptions(options);
  const executor = options.executor ?? inlineExecutor;
  const compression = options.compression ?? "zstd";
  const objectId = new Uint8Array(randomBytes(objectIdBytes));
  const keys = newObjectKeys();
  const stripePlainBytes = frameBytes * stripeFrames;
  const stripeCount = Math.max(1, Math.ceil(source.size / stripePlainBytes));
  const context = {
    objectId,
    frameKey: keys.frameKey.unsafeBytes(),
    macKey: keys.macKey.unsafeBytes(),
    dataShards: k,
    parityShards: m,
    frameBytes,
  };

  const header = { dataShards: k, parityShards: m, frameBytes, stripeFrames, objectId };
  for (let shardIndex = 0; shardIndex < k + m; shardIndex++) {
    await writeShard(shardIndex, encodeShardHeader({ ...header, shardIndex }, context.macKey));
  }

  const hash = executor.openHash();
  const stripeEncryptedBytes: number[] = [];
  const inFlight: Promise<EncodeStripeResult>[] = [];
  const stripesInFlight = options.stripesInFlight ?? stripesInFlightDefault;
  // Buffers coming back from finished stripes are read into and encoded into again.
  const sparePlaintexts = new SpareBuffers(stripesInFlight + hashAheadStripes + 2);
  const spareResults = new SpareBuffers(stripesInFlight + 2);
  const drainOldest = async () => {
    const result = await (inFlight.shift() as Promise<EncodeStripeResult>);
    stripeEncryptedBytes.push(result.encryptedBytes);
    for (let shardIndex = 0; shardIndex < k + m; shardIndex++) {
      const [piece, tag] = storedPieceParts(result, k + m, shardIndex);
      await writeShard(shardIndex, piece);
      await writeShard(shardIndex, tag);
    }
    spareResults.give(new Uint8Array(result.buffer.buffer));
    sparePlaintexts.give(result.plaintext);
  };
  // Read one stripe ahead, so reading overlaps hashing.
  const readStripe = (stripeIndex: number) => {
    const offset = stripeIndex * stripePlainBytes;
    const length = Math.min(stripePlainBytes, source.size - offset);
    const bytes = source.read(offset, length, sparePlaintexts.take(length));
    bytes.catch(() => {}); // awaited below; a failure after an earlier error is not unhandled
    return { stripeIndex, offset, length, bytes };
  };
  type Hashing = ReturnType<typeof readStripe>;
  const submitStripe = async ({ stripeIndex, offset, length, bytes }: Hashing) => {
    let firstRead: Uint8Array | null = await bytes;
    const stripe: StripeContext = {
      ...context,
      stripeIndex,
      firstFrameIndex: stripeIndex * stripeFrames,
      final: stripeIndex === stripeCount - 1,
    };
    // A retry after a worker crash reads again: the first buffer went to the crashed worker.
    const build = async () => {
      const plaintext = firstRead ?? (await source.read(offset, length));
      firstRead = null;
      return { ...stripe, compression, plaintext, spare: spareResults.take() };
    };
    const { result } = await executor.submitEncode(build);
    result.catch(() => {}); // observed by drainOldest; avoids an unhandled rejection meanwhile
    inFlight.push(result);
    if (inFlight.length >= stripesInFlight) await drainOldest();
  };

  let checksum: Uint8Array;
  try {
    // Stripes being hashed (in order, possibly on the hash worker) before they are submitted.
    const hashing: Hashing[] = [];
    let next = readStripe(0);
    for (let stripeIndex = 0; stripeIndex < stripeCount; stripeIndex++) {
      const current = next;
      if (stripeIndex + 1 < stripeCount) next = readStripe(stripeIndex + 1);
      const plaintext = await current.bytes;
      assert(plaintext.length === current.length, "source returned a short read");
      const hashed = hash.update(plaintext);
      hashed.catch(() => {}); // awaited by submitStripe
      hashing.push({ ...current, bytes: hashed });
      if (hashing.length >= hashAheadStripes) await submitStripe(hashing.shift() as Hashing);
    }
    while (hashing.length > 0) await submitStripe(hashing.shift() as Hashing);
    while (inFlight.length > 0) await drainOldest();
    checksum = await hash.digest();
  } catch (error) {
    hash.drop();
    throw error;
  }

  return parseManifest({
    formatVersion: manifestFormatVersion,
    objectId: Buffer.from(objectId).toString("hex"),
    plainBytes: source.size,
    checksum: Buffer.from(checksum).toString("hex"),
    dataShards: k,
    parityShards: m,
    compression,
    frameBytes,
    stripeFrames,
    stripeEncryptedBytes,
    shardBytes: stripeOffsets(stripeEncryptedBytes, k).shardBytes,
    keyWraps: wrapKeys(options, keys.dataKey, objectId),
  });
}

/** A few whole buffers kept for reuse (fewer fresh pages to fault in and zero). */
class SpareBuffers {
  readonly #buffers: Uint8Array[] = [];
  constructor(readonly countMax: number) {}

  give(buffer: Uint8Array): void {
    const whole = buffer.byteOffset === 0 && buffer.byteLength === buffer.buffer.byteLength;
    if (whole && buffer.length > 0 && this.#buffers.length < this.countMax) {
      this.#buffers.push(buffer);
    }
  }

  /** A buffer of exactly `length` bytes, or any when `length` is not given. */
  take(length?: number): Uint8Array | undefined {
    const index = this.#buffers.findIndex((b) => length === undefined || b.length === length);
    return index < 0 ? undefined : this.#buffers.splice(index, 1)[0];
  }
}

/** Bad options fail before any work, with CONFIG_INVALID. */
function validateOptions(options: EncodeObjectOptions): {
  frameBytes: number;
  stripeFrames: number;
} {
  validateShape(options.dataShards, options.parityShards);
  const frameBytes = options.frameBytes ?? frameBytesDefault;
  const stripeFrames = options.stripeFrames ?? stripeFramesDefault;
  const sizeOk = (value: number, max: number) =>
    Number.isInteger(value) && value >= 1 && value <= max;
  if (!sizeOk(frameBytes, frameBytesMax) || !sizeOk(stripeFrames, stripeFramesMax)) {
    throw qssError(
      "CONFIG_INVALID",
      `Cannot encode: frameBytes must be 1..${frameBytesMax}, stripeFrames 1..${stripeFramesMax}`,
    );
  }
  for (const publicKey of options.recipients ?? []) {
    if (publicKey.length !== recipientPublicKeyBytes) {
      throw qssError(
        "CONFIG_INVALID",
        `Cannot encode: a recipient public key must be ${recipientPublicKeyBytes} bytes`,
      );
    }
  }
  return { frameBytes, stripeFrames };
}

function wrapKeys(options: EncodeObjectOptions, dataKey: SecretKey, objectId: Uint8Array) {
  const base64 = (bytes: Uint8Array) => Buffer.from(bytes).toString("base64");
  return {
    kek: base64(wrapDataKeyWithKek(options.keyring, dataKey, objectId)),
    recipients: (options.recipients ?? []).map((publicKey) => ({
      id: recipientId(publicKey),
      wrap: base64(wrapDataKeyForRecipient(publicKey, dataKey, objectId)),
    })),
  };
}
