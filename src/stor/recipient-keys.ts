/**
 * Hybrid post-quantum recipient key pairs (ML-KEM-768 + X25519, X-Wing) and their text form:
 *   public:  "qsspq1pub:<base64url of the 1216-byte public key>"
 *   secret:  "qsspq1sec:<base64url of the 32-byte seed>"
 * A recipient id is the first 8 bytes of SHA-256(public key), hex: stored beside each wrap.
 *
 * @example
 * const pair = generateRecipientKeyPair();
 * formatRecipientPublicKey(pair.publicKey); // "qsspq1pub:…"
 */
import { createHash } from "node:crypto";
import { ml_kem768_x25519 } from "@noble/post-quantum/hybrid.js";
import { qssError } from "../base/errors.ts";
import { SecretKey } from "./secret.ts";

const publicPrefix = "qsspq1pub:";
const secretPrefix = "qsspq1sec:";
export const recipientPublicKeyBytes = 1216;
export const recipientSecretKeyBytes = 32;

export interface RecipientKeyPair {
  publicKey: Uint8Array;
  secretKey: SecretKey;
}

export function generateRecipientKeyPair(seed?: Uint8Array): RecipientKeyPair {
  const { publicKey, secretKey } = ml_kem768_x25519.keygen(seed);
  return { publicKey, secretKey: new SecretKey(secretKey) };
}

export function recipientId(publicKey: Uint8Array): string {
  return createHash("sha256").update(publicKey).digest("hex").slice(0, 16);
}

export function formatRecipientPublicKey(publicKey: Uint8Array): string {
  return publicPrefix + Buffer.from(publicKey).toString("base64url");
}

export function formatRecipientSecretKey(secretKey: SecretKey): string {
  return secretPrefix + Buffer.from(secretKey.unsafeBytes()).toString("base64url");
}

export function parseRecipientPublicKey(text: string): Uint8Array {
  const bytes = decodeKeyText(
    text.trim(),
    publicPrefix,
    recipientPublicKeyBytes,
    "recipient public key",
  );
  return bytes;
}

export function parseRecipientSecretKey(text: string): SecretKey {
  return new SecretKey(
    decodeKeyText(text.trim(), secretPrefix, recipientSecretKeyBytes, "recipient secret key"),
  );
}

function decodeKeyText(
  text: string,
  prefix: string,
  lengthBytes: number,
  what: string,
): Uint8Array {
  const body = text.startsWith(prefix) ? text.slice(prefix.length) : "";
  const bytes = /^[A-Za-z0-9_-]+$/.test(body)
    ? new Uint8Array(Buffer.from(body, "base64url"))
    : new Uint8Array(0);
  if (bytes.length !== lengthBytes) {
    throw qssError(
      "CONFIG_INVALID",
      `Cannot parse the ${what}: expected "${prefix}" and ${lengthBytes} bytes of base64url`,
    );
  }
  return bytes;
}

/** The key line of a secret key file written by `qss keygen` ("#" lines are comments). */
export function parseRecipientSecretKeyFile(text: string): SecretKey {
  const lines = text.split("\n").map((line) => line.trim());
  const keyLines = lines.filter((line) => line !== "" && !line.startsWith("#"));
  if (keyLines.length !== 1) {
    throw qssError(
      "CONFIG_INVALID",
      "Cannot parse the recipient secret key file: expected exactly one key line",
    );
  }
  return parseRecipientSecretKey(keyLines[0] as string);
}

/** The public key that belongs to a secret key (the secret key is the keygen seed). */
export function recipientPublicKeyOf(secretKey: SecretKey): Uint8Array {
  return generateRecipientKeyPair(secretKey.unsafeBytes()).publicKey;
}

/** Text of a secret key file: comments with the public key, then the key line. */
export function formatRecipientKeyFile(pair: RecipientKeyPair, created: Date): string {
  return [
    "# qss hybrid post-quantum recipient key (ML-KEM-768 + X25519, X-Wing)",
    `# created: ${created.toISOString()}`,
    `# public key: ${formatRecipientPublicKey(pair.publicKey)}`,
    formatRecipientSecretKey(pair.secretKey),
    "",
  ].join("\n");
}
