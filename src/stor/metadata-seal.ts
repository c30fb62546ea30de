/**
 * Sealing metadata (object manifests) under the keyring's metadata key, bound to the object's
 * keyed name so a sealed record cannot be replayed under another name:
 *   0x01 | nonce (12, random) | AES-256-GCM(metadata key, bytes, AAD = "qss/v1/metadata" | name hash)
 *
 * @example
 * const sealed = sealMetadata(keyring, "/seg/0001", bytes);
 * openMetadata(keyring, "/seg/0001", sealed); // bytes, or QssError AUTH
 */
import { randomBytes } from "node:crypto";
import { qssError } from "../base/errors.ts";
import { aeadNonceBytes, openAead, sealAead } from "./aead.ts";
import { type Keyring, objectNameHash } from "./keyring.ts";

const metadataSealVersion = 1;
const metadataAadLabel = new TextEncoder().encode("qss/v1/metadata");

export function sealMetadata(keyring: Keyring, name: string, bytes: Uint8Array): Uint8Array {
  const nonce = randomBytes(aeadNonceBytes);
  const aad = [metadataAadLabel, new TextEncoder().encode(objectNameHash(keyring, name))];
  const sealed = sealAead(keyring.metadataKey.unsafeBytes(), nonce, bytes, aad);
  const out = new Uint8Array(1 + aeadNonceBytes + sealed.length);
  out[0] = metadataSealVersion;
  out.set(nonce, 1);
  out.set(sealed, 1 + aeadNonceBytes);
  return out;
}

export function openMetadata(keyring: Keyring, name: string, sealed: Uint8Array): Uint8Array {
  if (sealed.length < 1 + aeadNonceBytes || sealed[0] !== metadataSealVersion) {
    throw qssError("CORRUPT", "Cannot open metadata: not a sealed qss metadata record");
  }
  const aad = [metadataAadLabel, new TextEncoder().encode(objectNameHash(keyring, name))];
  const what = "metadata (wrong master key, another object's record, or tampered)";
  return openAead(
    keyring.metadataKey.unsafeBytes(),
    sealed.subarray(1, 1 + aeadNonceBytes),
    sealed.subarray(1 + aeadNonceBytes),
    aad,
    what,
  );
}
