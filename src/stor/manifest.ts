/**
 * The object manifest: everything needed, besides the shards and a key, to rebuild an object.
 * It holds wrapped data keys only (never the master secret or a plain data key), and is meant
 * to be stored sealed (metadata-seal.ts). `parseManifest` validates untrusted input.
 */
import * as v from "valibot";
import { qssError } from "../base/errors.ts";
import { compressionNames } from "./compression.ts";
import { frameBytesMax, frameOverheadBytes } from "./frames.ts";
import { shardCountMax } from "./reed-solomon.ts";

export const manifestFormatVersion = 1;
/** Frames per stripe: bounds a stripe's memory. */
export const stripeFramesMax = 1024;
const integer = (min: number, max: number) =>
  v.pipe(v.number(), v.integer(), v.minValue(min), v.maxValue(max));
const hex = (chars: number) => v.pipe(v.string(), v.regex(new RegExp(`^[0-9a-f]{${chars}}$`)));
const base64 = v.pipe(v.string(), v.regex(/^[A-Za-z0-9+/]*={0,2}$/));

const manifestSchema = v.strictObject({
  formatVersion: v.literal(manifestFormatVersion),
  objectId: hex(32),
  plainBytes: integer(0, Number.MAX_SAFE_INTEGER),
  /** BLAKE2b-128 of the plaintext, hex: what `b2sum -l 128` prints. */
  checksum: hex(32),
  dataShards: integer(1, shardCountMax),
  parityShards: integer(0, shardCountMax - 1),
  compression: v.picklist(compressionNames),
  frameBytes: integer(1, frameBytesMax),
  stripeFrames: integer(1, stripeFramesMax),
  stripeEncryptedBytes: v.array(integer(1, 0xffff_ffff)),
  shardBytes: integer(0, Number.MAX_SAFE_INTEGER),
  keyWraps: v.strictObject({
    kek: base64,
    recipients: v.array(v.strictObject({ id: hex(16), wrap: base64 })),
  }),
});

export type ObjectManifest = v.InferOutput<typeof manifestSchema>;

export function parseManifest(input: unknown): ObjectManifest {
  const parsed = v.safeParse(manifestSchema, input);
  if (!parsed.success) {
    const issue = parsed.issues[0];
    const where = issue?.path?.map((item) => String(item.key)).join(".") ?? "";
    throw qssError(
      "CORRUPT",
      `Cannot parse object manifest: ${where ? `${where}: ` : ""}${issue?.message ?? "invalid"}`,
    );
  }
  const manifest = parsed.output;
  if (manifest.dataShards + manifest.parityShards > shardCountMax) {
    throw qssError("CORRUPT", "Cannot parse object manifest: more than 256 shards");
  }
  const stripePlainBytes = manifest.frameBytes * manifest.stripeFrames;
  const stripes = Math.max(1, Math.ceil(manifest.plainBytes / stripePlainBytes));
  if (manifest.stripeEncryptedBytes.length !== stripes) {
    throw qssError(
      "CORRUPT",
      `Cannot parse object manifest: ${manifest.stripeEncryptedBytes.length} stripes listed, ${stripes} expected`,
    );
  }
  // A frame never grows by more than its prefix, codec byte and tag (incompressible frames are
  // stored raw), which bounds every buffer a manifest can make the decoder allocate.
  const stripeEncryptedBytesMax =
    manifest.stripeFrames * (manifest.frameBytes + frameOverheadBytes);
  if (manifest.stripeEncryptedBytes.some((bytes) => bytes > stripeEncryptedBytesMax)) {
    throw qssError(
      "CORRUPT",
      `Cannot parse object manifest: a stripe exceeds ${stripeEncryptedBytesMax} encrypted bytes`,
    );
  }
  return manifest;
}
