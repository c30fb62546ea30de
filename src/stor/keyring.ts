/**
 * The key hierarchy (docs/security.md): the configured master secret (zstor's 64-hex `key`)
 * is only ever used as HKDF-SHA-256 input. Distinct labels derive:
 * - the key-encryption key (KEK) that wraps each object's random data key,
 * - the metadata key that seals object manifests,
 * - the name key that turns object paths into keyed hashes for backend keys.
 * Each object's data key in turn derives its frame-encryption key and its shard-MAC key.
 */
import { createHmac, hkdfSync, randomBytes } from "node:crypto";
import { qssError } from "../base/errors.ts";
import { SecretKey } from "./secret.ts";

export const masterSecretBytes = 32;
export const dataKeyBytes = 32;
const hkdfSalt = new TextEncoder().encode("qss key hierarchy v1");

export const keyLabels = {
  kek: "qss/v1/kek",
  metadata: "qss/v1/metadata",
  objectName: "qss/v1/object-name",
  frame: "qss/v1/frame-encryption",
  shardMac: "qss/v1/shard-mac",
} as const;

export interface Keyring {
  readonly kek: SecretKey;
  readonly metadataKey: SecretKey;
  readonly nameKey: SecretKey;
}

export interface ObjectKeys {
  readonly dataKey: SecretKey;
  readonly frameKey: SecretKey;
  readonly macKey: SecretKey;
}

/** Parse the 64-hex master secret; errors never echo the input. */
export function parseMasterSecret(hex: string): SecretKey {
  const text = hex.trim();
  if (!/^[0-9a-fA-F]{64}$/.test(text)) {
    throw qssError(
      "CONFIG_INVALID",
      "Cannot use the encryption key: expected 64 hex characters (32 bytes)",
    );
  }
  return new SecretKey(Buffer.from(text, "hex"));
}

export function hkdf(secret: SecretKey, label: string, lengthBytes = 32): SecretKey {
  const bytes = hkdfSync("sha256", secret.unsafeBytes(), hkdfSalt, label, lengthBytes);
  return new SecretKey(new Uint8Array(bytes));
}

export function deriveKeyring(master: SecretKey): Keyring {
  if (master.byteLength !== masterSecretBytes) {
    throw qssError(
      "CONFIG_INVALID",
      `Cannot use the encryption key: expected ${masterSecretBytes} bytes`,
    );
  }
  return {
    kek: hkdf(master, keyLabels.kek),
    metadataKey: hkdf(master, keyLabels.metadata),
    nameKey: hkdf(master, keyLabels.objectName),
  };
}

export function objectKeysFrom(dataKey: SecretKey): ObjectKeys {
  return {
    dataKey,
    frameKey: hkdf(dataKey, keyLabels.frame),
    macKey: hkdf(dataKey, keyLabels.shardMac),
  };
}

export function newObjectKeys(): ObjectKeys {
  return objectKeysFrom(new SecretKey(randomBytes(dataKeyBytes)));
}

/** Keyed hash of an object name (HMAC-SHA-256, hex): what backends see instead of the path. */
export function objectNameHash(keyring: Keyring, name: string): string {
  return createHmac("sha256", keyring.nameKey.unsafeBytes()).update(name).digest("hex");
}
