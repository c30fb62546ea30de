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
import { inlineExecutor, type StripeExecutor } from "./executor.ts";
import type { ObjectManifest } from "./manifest.ts";
import { type KeySource, openObjectKeys } from "./object-keys.ts";
import type { ShardSource } from "./sources.ts";
import { createStripeReader } from "./stripe-reader.ts";

export const decodeStripesInFlightDefault = 4;

export interface DecodeObjectOptions {
  keys: KeySource;
  executor?: StripeExecutor;
  stripesInFlight?: number;
  /** Only these plaintext bytes; the whole-object checksum is then not checked. */
  range?: { offset: number; length: number };
}

/** Stripes covering a plaintext byte range (an empty object still has its one stripe). */
function stripesFor(manifest: ObjectManifest, range: { offset: number; length: number }) {
  if (range.offset < 0 || range.length < 0 || range.offset + range.length > manifest.plainBytes) {
    throw qssError(
      "USAGE",
      `Cannot read bytes ${range.offset}+${range.length} of a ${manifest.plainBytes}-byte object`,
    );
  }
  const stripePlainBytes = manifest.frameBytes * manifest.stripeFrames;
  const whole = range.offset === 0 && range.length === manifest.plainBytes;
  const first = Math.min(
    manifest.stripeEncryptedBytes.length - 1,
    Math.floor(range.offset / stripePlainBytes),
  );
  const end =
    range.length === 0
      ? first + (whole ? 1 : 0)
      : Math.ceil((range.offset + range.length) / stripePlainBytes);
  return { first, end, whole, stripePlainBytes };
}

export async function* decodeObject(
  manifest: ObjectManifest,
  sources: (ShardSource | null)[],
  options: DecodeObjectOptions,
): AsyncGenerator<Uint8Array> {
  const shardCount = manifest.dataShards + manifest.parityShards;
  if (sources.length !== shardCount) {
    throw qssError(
      "USAGE",
      `Cannot decode: ${sources.length} shard sources given, ${shardCount} expected`,
    );
  }
  const range = options.range ?? { offset: 0, length: manifest.plainBytes };
  const { first, end, whole, stripePlainBytes } = stripesFor(manifest, range);
  const keys = openObjectKeys(manifest, options.keys);
  const executor = options.executor ?? inlineExecutor;
  const reader = createStripeReader(manifest, keys, sources, executor);
  // On the executor's hash worker when it has one: this thread stays free for reads.
  const hash = whole ? executor.openHash() : null;
  let digested = false;
  try {
    const window = options.stripesInFlight ?? decodeStripesInFlightDefault;
    const inFlight: Promise<Uint8Array>[] = [];
    let next = first;
    while (next < end || inFlight.length > 0) {
      while (next < end && inFlight.length < window) {
        const pending = reader.read(next++);
        pending.catch(() => {}); // awaited below, in order
        inFlight.push(pending);
      }
      const stripeStart = (next - inFlight.length) * stripePlainBytes;
      let plaintext = await (inFlight.shift() as Promise<Uint8Array>);
      if (hash) plaintext = await hash.update(plaintext);
      const from = Math.max(0, range.offset - stripeStart);
      const to = Math.min(plaintext.length, range.offset + range.length - stripeStart);
      if (to > from) yield plaintext.subarray(from, to);
    }
    digested = true;
    const checksum = hash ? Buffer.from(await hash.digest()).toString("hex") : manifest.checksum;
    if (checksum !== manifest.checksum) {
      throw qssError(
        "CORRUPT",
        `Object ${manifest.objectId} decoded to checksum ${checksum}, manifest says ${manifest.checksum}`,
      );
    }
  } finally {
    if (!digested) hash?.drop(); // stopped early (error, or the consumer left the loop)
  }
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
