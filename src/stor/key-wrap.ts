/**
 * Wrapping of per-object data keys: under the KEK derived from the master secret, and for
 * hybrid post-quantum recipients (ML-KEM-768 + X25519, X-Wing, from @noble/post-quantum).
 *
 * KEK wrap:       0x01 | nonce (12, random) | AES-256-GCM(KEK, data key) (32 + 16 tag)
 * Recipient wrap: 0x02 | X-Wing ciphertext (1120) | AES-256-GCM(HKDF(shared secret), data key)
 *   The recipient wrap key is fresh for every encapsulation, so its nonce is fixed at zero.
 * Both authenticate "qss/v1/wrap" and the object id as AAD, so a wrapped key cannot be moved
 * to another object. With a wrong key, ML-KEM decapsulation yields a different secret; the
 * AES-GCM tag is what rejects it (QssError AUTH).
 */
import { randomBytes } from "node:crypto";
import { ml_kem768_x25519 } from "@noble/post-quantum/hybrid.js";
import { qssError } from "../base/errors.ts";
import { aeadNonceBytes, aeadTagBytes, openAead, sealAead } from "./aead.ts";
import { dataKeyBytes, hkdf, type Keyring } from "./keyring.ts";
import { SecretKey } from "./secret.ts";

const kekWrapVersion = 1;
const recipientWrapVersion = 2;
export const kekWrapBytes = 1 + aeadNonceBytes + dataKeyBytes + aeadTagBytes;
export const kemCipherTextBytes = 1120;
export const recipientWrapBytes = 1 + kemCipherTextBytes + dataKeyBytes + aeadTagBytes;
export const recipientWrapLabel = "qss/v1/pq-wrap";
const wrapAadLabel = new TextEncoder().encode("qss/v1/wrap");
const zeroNonce = new Uint8Array(aeadNonceBytes);

export function wrapDataKeyWithKek(
  keyring: Keyring,
  dataKey: SecretKey,
  objectId: Uint8Array,
): Uint8Array {
  const nonce = randomBytes(aeadNonceBytes);
  const sealed = sealAead(keyring.kek.unsafeBytes(), nonce, dataKey.unsafeBytes(), [
    wrapAadLabel,
    objectId,
  ]);
  const out = new Uint8Array(kekWrapBytes);
  out[0] = kekWrapVersion;
  out.set(nonce, 1);
  out.set(sealed, 1 + aeadNonceBytes);
  return out;
}

export function unwrapDataKeyWithKek(
  keyring: Keyring,
  wrapped: Uint8Array,
  objectId: Uint8Array,
): SecretKey {
  if (wrapped.length !== kekWrapBytes || wrapped[0] !== kekWrapVersion) {
    throw qssError("CORRUPT", "Cannot unwrap the data key: malformed key wrap");
  }
  const nonce = wrapped.subarray(1, 1 + aeadNonceBytes);
  const sealed = wrapped.subarray(1 + aeadNonceBytes);
  const what = "the data key (wrong master key, or the wrapped key was altered)";
  return new SecretKey(
    openAead(keyring.kek.unsafeBytes(), nonce, sealed, [wrapAadLabel, objectId], what),
  );
}

/**
 * Wrap for a hybrid PQ recipient. `encapsulationRandomness` (32 bytes) is for known-answer
 * tests only; production calls leave it out so the KEM draws fresh randomness.
 */
export function wrapDataKeyForRecipient(
  publicKey: Uint8Array,
  dataKey: SecretKey,
  objectId: Uint8Array,
  encapsulationRandomness?: Uint8Array,
): Uint8Array {
  const { cipherText, sharedSecret } = ml_kem768_x25519.encapsulate(
    publicKey,
    encapsulationRandomness,
  );
  const wrapKey = hkdf(new SecretKey(sharedSecret), recipientWrapLabel);
  const sealed = sealAead(wrapKey.unsafeBytes(), zeroNonce, dataKey.unsafeBytes(), [
    wrapAadLabel,
    objectId,
  ]);
  const out = new Uint8Array(recipientWrapBytes);
  out[0] = recipientWrapVersion;
  out.set(cipherText, 1);
  out.set(sealed, 1 + kemCipherTextBytes);
  return out;
}

export function unwrapDataKeyForRecipient(
  secretKey: SecretKey,
  wrapped: Uint8Array,
  objectId: Uint8Array,
): SecretKey {
  if (wrapped.length !== recipientWrapBytes || wrapped[0] !== recipientWrapVersion) {
    throw qssError("CORRUPT", "Cannot unwrap the data key: malformed recipient key wrap");
  }
  const cipherText = wrapped.subarray(1, 1 + kemCipherTextBytes);
  const sharedSecret = ml_kem768_x25519.decapsulate(cipherText, secretKey.unsafeBytes());
  const wrapKey = hkdf(new SecretKey(sharedSecret), recipientWrapLabel);
  const sealed = wrapped.subarray(1 + kemCipherTextBytes);
  const what = "the data key for this recipient (wrong recipient key, or the wrap was altered)";
  return new SecretKey(
    openAead(wrapKey.unsafeBytes(), zeroNonce, sealed, [wrapAadLabel, objectId], what),
  );
}
