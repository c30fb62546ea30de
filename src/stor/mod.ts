/**
 * Public entry of the stor core: object encode/decode over stripes, the worker pool, keys and
 * the lower-level codec and checksum. See README.md for the interface and buffer ownership.
 */
export { type Blake2b128, blake2b128, createBlake2b128 } from "./blake2b-128.ts";
export { type CompressionName, compressionNames } from "./compression.ts";
export {
  createStorPool,
  inlineExecutor,
  poolExecutor,
  type StorPool,
  type StripeExecutor,
} from "./executor.ts";
export { HashService, inlineStreamHash, type StreamHash } from "./hash-service.ts";
export { deriveKeyring, type Keyring, objectNameHash, parseMasterSecret } from "./keyring.ts";
export { type ObjectManifest, parseManifest } from "./manifest.ts";
export { openMetadata, sealMetadata } from "./metadata-seal.ts";
export { type DecodeObjectOptions, decodeObject, decodeObjectToBytes } from "./object-decode.ts";
export { type EncodeObjectOptions, encodeObject, type ShardWriter } from "./object-encode.ts";
export { type KeySource, openObjectKeys } from "./object-keys.ts";
export type { WorkerPool } from "./pool.ts";
export {
  formatRecipientPublicKey,
  formatRecipientSecretKey,
  generateRecipientKeyPair,
  parseRecipientPublicKey,
  parseRecipientSecretKey,
  parseRecipientSecretKeyFile,
  type RecipientKeyPair,
  recipientPublicKeyOf,
} from "./recipient-keys.ts";
export { createReedSolomon, type ReedSolomon, type ReedSolomonOptions } from "./reed-solomon.ts";
export { SecretKey } from "./secret.ts";
export { type ByteSource, bytesSource, openFileSource, type ShardSource } from "./sources.ts";
