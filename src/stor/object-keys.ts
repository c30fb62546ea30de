/**
 * Opening an object's data key from its manifest: with the keyring (KEK wrap), or with a hybrid
 * post-quantum recipient's secret key (the matching recipient wrap).
 */
import { qssError } from "../base/errors.ts";
import { unwrapDataKeyForRecipient, unwrapDataKeyWithKek } from "./key-wrap.ts";
import type { Keyring, ObjectKeys } from "./keyring.ts";
import { objectKeysFrom } from "./keyring.ts";
import type { ObjectManifest } from "./manifest.ts";
import { recipientId, recipientPublicKeyOf } from "./recipient-keys.ts";
import type { SecretKey } from "./secret.ts";

export type KeySource = { keyring: Keyring } | { recipientSecretKey: SecretKey };

export function openObjectKeys(manifest: ObjectManifest, source: KeySource): ObjectKeys {
  const objectId = Buffer.from(manifest.objectId, "hex");
  if ("keyring" in source) {
    return objectKeysFrom(
      unwrapDataKeyWithKek(source.keyring, Buffer.from(manifest.keyWraps.kek, "base64"), objectId),
    );
  }
  const id = recipientId(recipientPublicKeyOf(source.recipientSecretKey));
  const entry = manifest.keyWraps.recipients.find((recipient) => recipient.id === id);
  if (!entry)
    throw qssError(
      "AUTH",
      `Cannot open object ${manifest.objectId}: no key wrap for recipient ${id}`,
    );
  return objectKeysFrom(
    unwrapDataKeyForRecipient(
      source.recipientSecretKey,
      Buffer.from(entry.wrap, "base64"),
      objectId,
    ),
  );
}
