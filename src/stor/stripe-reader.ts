/**
 * Reads and decodes one stripe of an object at a time: gathers pieces from k shards (data
 * shards first), runs the decode job, and when pieces fail their tags or reads fail, marks those
 * shards as failed for the rest of the object and reads other shards instead.
 */
import { qssError } from "../base/errors.ts";
import type { StripeExecutor } from "./executor.ts";
import type { ObjectKeys } from "./keyring.ts";
import type { ObjectManifest } from "./manifest.ts";
import { pieceBytesFor, pieceTagBytes, stripeOffsets } from "./shard-format.ts";
import type { ShardSource } from "./sources.ts";
import type { DecodeStripeJob } from "./stripe-codec.ts";

interface ShardState {
  source: ShardSource | null;
  /** Why it is no longer used, once it failed. */
  failure: string | null;
}

export interface StripeReader {
  /** The plaintext of one stripe; QssError CORRUPT when fewer than k shards are good. */
  read(stripeIndex: number): Promise<Uint8Array>;
}

export function createStripeReader(
  manifest: ObjectManifest,
  keys: ObjectKeys,
  sources: (ShardSource | null)[],
  executor: StripeExecutor,
): StripeReader {
  const k = manifest.dataShards;
  const shards: ShardState[] = sources.map((source) => ({
    source,
    failure: source ? null : "not available",
  }));
  const { offsets } = stripeOffsets(manifest.stripeEncryptedBytes, k);
  const stripePlainBytes = manifest.frameBytes * manifest.stripeFrames;
  const objectId = new Uint8Array(Buffer.from(manifest.objectId, "hex"));

  const stripeJob = (stripeIndex: number, pieces: (Uint8Array | null)[]): DecodeStripeJob => ({
    objectId,
    frameKey: keys.frameKey.unsafeBytes(),
    macKey: keys.macKey.unsafeBytes(),
    dataShards: k,
    parityShards: manifest.parityShards,
    frameBytes: manifest.frameBytes,
    stripeIndex,
    firstFrameIndex: stripeIndex * manifest.stripeFrames,
    final: stripeIndex === manifest.stripeEncryptedBytes.length - 1,
    encryptedBytes: manifest.stripeEncryptedBytes[stripeIndex] as number,
    plainBytes: Math.min(stripePlainBytes, manifest.plainBytes - stripeIndex * stripePlainBytes),
    pieces,
  });

  async function readPiece(shardIndex: number, stripeIndex: number, pieces: (Uint8Array | null)[]) {
    const shard = shards[shardIndex] as ShardState;
    const storedBytes =
      pieceBytesFor(manifest.stripeEncryptedBytes[stripeIndex] as number, k) + pieceTagBytes;
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
  }

  /** Read pieces of this stripe until k are in hand, skipping shards that failed. */
  async function gather(stripeIndex: number): Promise<(Uint8Array | null)[]> {
    const pieces: (Uint8Array | null)[] = shards.map(() => null);
    for (;;) {
      const have = pieces.filter((piece) => piece !== null).length;
      const candidates = shards.flatMap((shard, i) =>
        shard.failure === null && pieces[i] === null ? [i] : [],
      );
      if (have >= k || candidates.length === 0) return pieces;
      await Promise.all(
        candidates.slice(0, k - have).map((i) => readPiece(i, stripeIndex, pieces)),
      );
    }
  }

  function notEnoughShards(stripeIndex: number) {
    const failed = shards
      .flatMap((shard, i) => (shard.failure ? [`${i}: ${shard.failure}`] : []))
      .join("; ");
    return qssError(
      "CORRUPT",
      `Cannot decode stripe ${stripeIndex} of object ${manifest.objectId}: fewer than ${k} good shards (${failed})`,
    );
  }

  return {
    async read(stripeIndex) {
      for (;;) {
        let pieces: (Uint8Array | null)[] | null = await gather(stripeIndex);
        if (pieces.filter((piece) => piece !== null).length < k) throw notEnoughShards(stripeIndex);
        // A retry after a worker crash reads again: the first pieces went to the dead worker.
        const build = async () => {
          const job = stripeJob(stripeIndex, pieces ?? (await gather(stripeIndex)));
          pieces = null;
          return job;
        };
        const result = await (await executor.submitDecode(build)).result;
        for (const i of result.badShards)
          (shards[i] as ShardState).failure = "piece failed its tag check";
        if (result.plaintext) return result.plaintext;
      }
    },
  };
}
