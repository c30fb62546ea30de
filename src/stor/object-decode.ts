/**
 * decodeObject: the plaintext of an object back from any k good shards, streamed stripe by
 * stripe (optionally only a byte range: random access at stripe granularity). Pieces whose tag
 * fails, and shards whose reads fail, are excluded and other shards read instead. A complete
 * read is checked against the manifest's BLAKE2b-128 checksum.
 *
 * @example
 * for await (const bytes of decodeObject(manifest, shardSources, { keys: { keyring } })) out.push(bytes);
 */
import { qssError } from "../base/errors.ts";
import { createBlake2b128 } from "./blake2b-128.ts";
import { inlineExecutor, type StripeExecutor } from "./executor.ts";
import type { ObjectManifest } from "./manifest.ts";
import { type KeySource, openObjectKeys } from "./object-keys.ts";
import { pieceBytesFor, pieceTagBytes, stripeOffsets } from "./shard-format.ts";
import type { ShardSource } from "./sources.ts";
import type { DecodeStripeJob } from "./stripe-codec.ts";

export const decodeStripesInFlightDefault = 4;

export interface DecodeObjectOptions {
  keys: KeySource;
  executor?: StripeExecutor;
  stripesInFlight?: number;
  /** Only these plaintext bytes; the whole-object checksum is then not checked. */
  range?: { offset: number; length: number };
}

interface ShardState {
  source: ShardSource | null;
  /** Why it is no longer used, once it failed. */
  failure: string | null;
}

export async function* decodeObject(
  manifest: ObjectManifest,
  sources: (ShardSource | null)[],
  options: DecodeObjectOptions,
): AsyncGenerator<Uint8Array> {
  const { dataShards: k, parityShards: m } = manifest;
  if (sources.length !== k + m)
    throw qssError(
      "USAGE",
      `Cannot decode: ${sources.length} shard sources given, ${k + m} expected`,
    );
  const keys = openObjectKeys(manifest, options.keys);
  const executor = options.executor ?? inlineExecutor;
  const shards: ShardState[] = sources.map((source) => ({
    source,
    failure: source ? null : "not available",
  }));
  const { offsets } = stripeOffsets(manifest.stripeEncryptedBytes, k);
  const stripePlainBytes = manifest.frameBytes * manifest.stripeFrames;
  const stripeCount = manifest.stripeEncryptedBytes.length;
  const objectId = new Uint8Array(Buffer.from(manifest.objectId, "hex"));
  const range = options.range ?? { offset: 0, length: manifest.plainBytes };
  if (range.offset < 0 || range.length < 0 || range.offset + range.length > manifest.plainBytes) {
    throw qssError(
      "USAGE",
      `Cannot read bytes ${range.offset}+${range.length} of a ${manifest.plainBytes}-byte object`,
    );
  }
  const whole = range.offset === 0 && range.length === manifest.plainBytes;
  const firstStripe = Math.min(stripeCount - 1, Math.floor(range.offset / stripePlainBytes));
  const endStripe =
    range.length === 0
      ? firstStripe + (whole ? 1 : 0)
      : Math.ceil((range.offset + range.length) / stripePlainBytes);

  const stripeJob = (stripeIndex: number, pieces: (Uint8Array | null)[]): DecodeStripeJob => ({
    objectId,
    frameKey: keys.frameKey.unsafeBytes(),
    macKey: keys.macKey.unsafeBytes(),
    dataShards: k,
    parityShards: m,
    frameBytes: manifest.frameBytes,
    stripeIndex,
    firstFrameIndex: stripeIndex * manifest.stripeFrames,
    final: stripeIndex === stripeCount - 1,
    encryptedBytes: manifest.stripeEncryptedBytes[stripeIndex] as number,
    plainBytes: Math.min(stripePlainBytes, manifest.plainBytes - stripeIndex * stripePlainBytes),
    pieces,
  });

  /** Read pieces of this stripe until k are in hand, skipping shards that failed. */
  async function gather(stripeIndex: number, pieces: (Uint8Array | null)[]): Promise<void> {
    const storedBytes =
      pieceBytesFor(manifest.stripeEncryptedBytes[stripeIndex] as number, k) + pieceTagBytes;
    for (;;) {
      const have = pieces.filter((piece) => piece !== null).length;
      const candidates = shards.flatMap((shard, i) =>
        shard.failure === null && pieces[i] === null ? [i] : [],
      );
      if (have >= k || candidates.length === 0) return;
      await Promise.all(
        candidates.slice(0, k - have).map(async (shardIndex) => {
          const shard = shards[shardIndex] as ShardState;
          try {
            const stored = await (shard.source as ShardSource).read(
              offsets[stripeIndex] as number,
              storedBytes,
            );
            if (stored.length !== storedBytes)
              throw new Error(`short read (${stored.length} of ${storedBytes} bytes)`);
            pieces[shardIndex] = stored;
          } catch (error) {
            shard.failure = `read failed: ${(error as Error).message}`;
          }
        }),
      );
    }
  }

  async function decodeOne(stripeIndex: number): Promise<Uint8Array> {
    for (;;) {
      const pieces: (Uint8Array | null)[] = shards.map(() => null);
      await gather(stripeIndex, pieces);
      let firstBuild = true;
      const build = async () => {
        if (!firstBuild) {
          pieces.fill(null);
          await gather(stripeIndex, pieces);
        }
        firstBuild = false;
        return stripeJob(stripeIndex, pieces.slice());
      };
      const usable = pieces.filter((piece) => piece !== null).length;
      if (usable < k) throw notEnoughShards(manifest, stripeIndex, shards);
      const result = await (await executor.submitDecode(build)).result;
      for (const shardIndex of result.badShards)
        (shards[shardIndex] as ShardState).failure = "piece failed its tag check";
      if (result.plaintext) return result.plaintext;
    }
  }

  const hash = whole ? createBlake2b128() : null;
  const inFlight: Promise<Uint8Array>[] = [];
  let next = firstStripe;
  const window = options.stripesInFlight ?? decodeStripesInFlightDefault;
  while (next < endStripe || inFlight.length > 0) {
    while (next < endStripe && inFlight.length < window) {
      const pending = decodeOne(next++);
      pending.catch(() => {}); // awaited below in order
      inFlight.push(pending);
    }
    const stripeIndex = next - inFlight.length;
    const plaintext = await (inFlight.shift() as Promise<Uint8Array>);
    hash?.update(plaintext);
    const stripeStart = stripeIndex * stripePlainBytes;
    const from = Math.max(0, range.offset - stripeStart);
    const to = Math.min(plaintext.length, range.offset + range.length - stripeStart);
    if (to > from) yield plaintext.subarray(from, to);
  }
  if (hash) {
    const checksum = Buffer.from(hash.digest()).toString("hex");
    if (checksum !== manifest.checksum) {
      throw qssError(
        "CORRUPT",
        `Object ${manifest.objectId} decoded to checksum ${checksum}, manifest says ${manifest.checksum}`,
      );
    }
  }
}

function notEnoughShards(manifest: ObjectManifest, stripeIndex: number, shards: ShardState[]) {
  const failed = shards
    .flatMap((shard, i) => (shard.failure ? [`${i}: ${shard.failure}`] : []))
    .join("; ");
  return qssError(
    "CORRUPT",
    `Cannot decode stripe ${stripeIndex} of object ${manifest.objectId}: fewer than ${manifest.dataShards} good shards (${failed})`,
  );
}

/** Decode a whole object into one buffer (small objects and tests). */
export async function decodeObjectToBytes(
  manifest: ObjectManifest,
  sources: (ShardSource | null)[],
  options: DecodeObjectOptions,
): Promise<Uint8Array> {
  const out = new Uint8Array(options.range?.length ?? manifest.plainBytes);
  let offset = 0;
  for await (const bytes of decodeObject(manifest, sources, options)) {
    out.set(bytes, offset);
    offset += bytes.length;
  }
  return out;
}
