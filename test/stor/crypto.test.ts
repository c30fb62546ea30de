import { describe, expect, test } from "bun:test";
import { inspect } from "node:util";
import { gcm } from "@noble/ciphers/aes.js";
import { hkdf } from "@noble/hashes/hkdf.js";
import { sha256 } from "@noble/hashes/sha2.js";
import { ml_kem768_x25519 } from "@noble/post-quantum/hybrid.js";
import { isQssError } from "../../src/base/errors.ts";
import { compressFrame, decompressFrame } from "../../src/stor/compression.ts";
import { openFrame, sealFrame } from "../../src/stor/frames.ts";
import {
  unwrapDataKeyForRecipient,
  unwrapDataKeyWithKek,
  wrapDataKeyForRecipient,
  wrapDataKeyWithKek,
} from "../../src/stor/key-wrap.ts";
import {
  deriveKeyring,
  keyLabels,
  objectNameHash,
  parseMasterSecret,
} from "../../src/stor/keyring.ts";
import { openMetadata, sealMetadata } from "../../src/stor/metadata-seal.ts";
import {
  formatRecipientPublicKey,
  formatRecipientSecretKey,
  generateRecipientKeyPair,
  parseRecipientPublicKey,
  parseRecipientSecretKey,
} from "../../src/stor/recipient-keys.ts";
import { SecretKey } from "../../src/stor/secret.ts";
import { decodeShardHeader, encodeShardHeader } from "../../src/stor/shard-format.ts";
import { flip, masterHex, randomData, textBytes } from "./helpers.ts";

const utf8 = (text: string) => new TextEncoder().encode(text);
const salt = utf8("qss key hierarchy v1");
const concat = (...parts: Uint8Array[]) => new Uint8Array(Buffer.concat(parts));
const u64 = (value: number) => {
  const out = new Uint8Array(8);
  new DataView(out.buffer).setBigUint64(0, BigInt(value));
  return out;
};
const objectId = Uint8Array.from({ length: 16 }, (_, i) => 0xa0 + i);
const frameKey = Uint8Array.from({ length: 32 }, (_, i) => i);

function thrown(run: () => unknown): unknown {
  try {
    run();
  } catch (error) {
    return error;
  }
  throw new Error("expected an error");
}

describe("AES-256-GCM frames: known answers and tampering", () => {
  test("a sealed frame equals an independent @noble/ciphers GCM computation", () => {
    const plaintext = utf8("qss frame known-answer vector: 0123456789abcdef");
    for (const [frameIndex, final] of [
      [0, false],
      [7, true],
      [2 ** 40 + 3, false],
    ] as const) {
      const ours = sealFrame({ objectId, frameKey }, "none", plaintext, frameIndex, final);
      const nonce = concat(objectId.subarray(0, 4), u64(frameIndex));
      const aad = concat(
        utf8("qss/v1/frame"),
        objectId,
        u64(frameIndex),
        Uint8Array.of(final ? 1 : 0),
      );
      const sealed = gcm(frameKey, nonce, aad).encrypt(concat(Uint8Array.of(0), plaintext));
      const prefix = new Uint8Array(4);
      new DataView(prefix.buffer).setUint32(0, sealed.length);
      expect(Buffer.from(ours).toString("hex")).toBe(
        Buffer.from(concat(prefix, sealed)).toString("hex"),
      );
    }
  });

  test("tampered, reordered and truncated frames are rejected with AUTH", () => {
    const context = { objectId, frameKey };
    const plaintext = textBytes(5000);
    const sealed = sealFrame(context, "zstd", plaintext, 4, false).subarray(4);
    expect(openFrame(context, sealed, 4, false, 1 << 20)).toEqual(plaintext);
    const tampered = sealed.slice();
    flip(tampered, 10);
    const cases = [
      () => openFrame(context, tampered, 4, false, 1 << 20), // altered byte
      () => openFrame(context, sealed, 5, false, 1 << 20), // moved to another position
      () => openFrame(context, sealed, 4, true, 1 << 20), // presented as the last frame
      () => openFrame({ objectId, frameKey: new Uint8Array(32) }, sealed, 4, false, 1 << 20), // wrong key
      () => openFrame(context, sealed.subarray(0, sealed.length - 1), 4, false, 1 << 20), // cut short
    ];
    for (const run of cases) expect(isQssError(thrown(run), "AUTH")).toBe(true);
  });
});

describe("key hierarchy and wrapping", () => {
  test("KEK = HKDF-SHA-256(master, label); the KEK wrap opens with independent GCM", () => {
    const keyring = deriveKeyring(parseMasterSecret(masterHex));
    const kek = hkdf(sha256, Buffer.from(masterHex, "hex"), salt, utf8(keyLabels.kek), 32);
    expect(keyring.kek.unsafeBytes()).toEqual(kek);
    const labels = Object.values(keyLabels);
    expect(new Set(labels).size).toBe(labels.length);
    const dataKey = new SecretKey(randomData(32));
    const wrapped = wrapDataKeyWithKek(keyring, dataKey, objectId);
    const opened = gcm(kek, wrapped.subarray(1, 13), concat(utf8("qss/v1/wrap"), objectId)).decrypt(
      wrapped.subarray(13),
    );
    expect(Array.from(opened)).toEqual(Array.from(dataKey.unsafeBytes()));
    expect(unwrapDataKeyWithKek(keyring, wrapped, objectId).unsafeBytes()).toEqual(
      dataKey.unsafeBytes(),
    );
    const otherObject = objectId.map((b) => b ^ 1);
    expect(
      isQssError(
        thrown(() => unwrapDataKeyWithKek(keyring, wrapped, otherObject)),
        "AUTH",
      ),
    ).toBe(true);
    const wrongKeyring = deriveKeyring(parseMasterSecret("00".repeat(32)));
    expect(
      isQssError(
        thrown(() => unwrapDataKeyWithKek(wrongKeyring, wrapped, objectId)),
        "AUTH",
      ),
    ).toBe(true);
  });

  test("ML-KEM-768+X25519 wrap: known answer against an independent computation", () => {
    const pair = generateRecipientKeyPair(Uint8Array.from({ length: 32 }, (_, i) => 200 - i));
    const randomness = Uint8Array.from({ length: 64 }, (_, i) => (i * 7 + 3) & 255);
    const dataKey = new SecretKey(Uint8Array.from({ length: 32 }, (_, i) => 255 - i));
    const ours = wrapDataKeyForRecipient(pair.publicKey, dataKey, objectId, randomness);
    const { cipherText, sharedSecret } = ml_kem768_x25519.encapsulate(pair.publicKey, randomness);
    const wrapKey = hkdf(sha256, sharedSecret, salt, utf8("qss/v1/pq-wrap"), 32);
    const sealed = gcm(wrapKey, new Uint8Array(12), concat(utf8("qss/v1/wrap"), objectId)).encrypt(
      dataKey.unsafeBytes(),
    );
    expect(Buffer.from(ours).toString("hex")).toBe(
      Buffer.from(concat(Uint8Array.of(2), cipherText, sealed)).toString("hex"),
    );
    expect(unwrapDataKeyForRecipient(pair.secretKey, ours, objectId).unsafeBytes()).toEqual(
      dataKey.unsafeBytes(),
    );
  });

  test("ML-KEM wrong recipient key decapsulates to garbage and the AEAD tag rejects it", () => {
    const alice = generateRecipientKeyPair();
    const eve = generateRecipientKeyPair();
    const dataKey = new SecretKey(randomData(32));
    const wrapped = wrapDataKeyForRecipient(alice.publicKey, dataKey, objectId);
    expect(
      isQssError(
        thrown(() => unwrapDataKeyForRecipient(eve.secretKey, wrapped, objectId)),
        "AUTH",
      ),
    ).toBe(true);
    const tampered = wrapped.slice();
    flip(tampered, 500);
    expect(
      isQssError(
        thrown(() => unwrapDataKeyForRecipient(alice.secretKey, tampered, objectId)),
        "AUTH",
      ),
    ).toBe(true);
    expect(
      isQssError(
        thrown(() => unwrapDataKeyForRecipient(alice.secretKey, wrapped.subarray(1), objectId)),
        "CORRUPT",
      ),
    ).toBe(true);
  });

  test("recipient keys round-trip through their text form; bad text is a clear error", () => {
    const pair = generateRecipientKeyPair();
    expect(parseRecipientPublicKey(formatRecipientPublicKey(pair.publicKey))).toEqual(
      pair.publicKey,
    );
    const secretText = formatRecipientSecretKey(pair.secretKey);
    expect(parseRecipientSecretKey(`${secretText}\n`).unsafeBytes()).toEqual(
      pair.secretKey.unsafeBytes(),
    );
    expect(() => parseRecipientPublicKey(secretText)).toThrow(
      /Cannot parse the recipient public key/,
    );
    expect(() => parseRecipientSecretKey("qsspq1sec:!!")).toThrow(
      /Cannot parse the recipient secret key/,
    );
  });

  test("secrets never print: String, JSON, inspect, and parse errors hide the bytes", () => {
    const secret = parseMasterSecret(masterHex);
    for (const shown of [
      String(secret),
      JSON.stringify({ secret }),
      inspect(secret),
      Bun.inspect(secret),
    ]) {
      expect(shown).not.toContain("7f7f");
      expect(shown).toContain("[secret]");
    }
    const error = thrown(() => parseMasterSecret(`${masterHex}zz`));
    expect(String((error as Error).message)).not.toContain("7f7f");
    expect(isQssError(error, "CONFIG_INVALID")).toBe(true);
  });

  test("object names become keyed hashes that depend on the master secret", () => {
    const a = deriveKeyring(parseMasterSecret(masterHex));
    const b = deriveKeyring(parseMasterSecret("01".repeat(32)));
    expect(objectNameHash(a, "/data/seg-1")).toMatch(/^[0-9a-f]{64}$/);
    expect(objectNameHash(a, "/data/seg-1")).not.toBe(objectNameHash(b, "/data/seg-1"));
    expect(objectNameHash(a, "/data/seg-1")).not.toBe(objectNameHash(a, "/data/seg-2"));
  });
});

describe("shard headers and compression", () => {
  test("shard headers round-trip and reject tampering or a foreign MAC key", () => {
    const macKey = randomData(32);
    const header = {
      shardIndex: 7,
      dataShards: 10,
      parityShards: 4,
      frameBytes: 1 << 20,
      stripeFrames: 4,
      objectId,
    };
    const bytes = encodeShardHeader(header, macKey);
    expect(decodeShardHeader(bytes, macKey)).toEqual(header);
    const tampered = bytes.slice();
    flip(tampered, 12);
    expect(
      isQssError(
        thrown(() => decodeShardHeader(tampered, macKey)),
        "AUTH",
      ),
    ).toBe(true);
    expect(
      isQssError(
        thrown(() => decodeShardHeader(bytes, randomData(32))),
        "AUTH",
      ),
    ).toBe(true);
    expect(
      isQssError(
        thrown(() => decodeShardHeader(new Uint8Array(64), macKey)),
        "CORRUPT",
      ),
    ).toBe(true);
  });

  test("incompressible frames are stored raw; decompression is bounded", () => {
    expect(compressFrame("zstd", randomData(1 << 20)).codecId).toBe(0);
    expect(compressFrame("zstd", textBytes(1 << 20)).codecId).toBe(1);
    const bomb = compressFrame("zstd", new Uint8Array(4 << 20));
    expect(bomb.codecId).toBe(1);
    expect(
      isQssError(
        thrown(() => decompressFrame(1, bomb.bytes, 1 << 20, "frame")),
        "CORRUPT",
      ),
    ).toBe(true);
    expect(
      isQssError(
        thrown(() => decompressFrame(1, Uint8Array.of(1, 2, 3), 100, "frame")),
        "CORRUPT",
      ),
    ).toBe(true);
    expect(
      isQssError(
        thrown(() => decompressFrame(9, Uint8Array.of(1), 100, "frame")),
        "CORRUPT",
      ),
    ).toBe(true);
  });
});

describe("metadata sealing", () => {
  test("sealed metadata opens only with the same keyring and object name", () => {
    const keyring = deriveKeyring(parseMasterSecret(masterHex));
    const bytes = utf8('{"objectId":"…"}');
    const sealed = sealMetadata(keyring, "/seg/1", bytes);
    expect(Buffer.from(sealed).includes(Buffer.from("objectId"))).toBe(false);
    expect(openMetadata(keyring, "/seg/1", sealed)).toEqual(bytes);
    expect(
      isQssError(
        thrown(() => openMetadata(keyring, "/seg/2", sealed)),
        "AUTH",
      ),
    ).toBe(true);
    const other = deriveKeyring(parseMasterSecret("02".repeat(32)));
    expect(
      isQssError(
        thrown(() => openMetadata(other, "/seg/1", sealed)),
        "AUTH",
      ),
    ).toBe(true);
    const tampered = sealed.slice();
    flip(tampered, sealed.length - 20);
    expect(
      isQssError(
        thrown(() => openMetadata(keyring, "/seg/1", tampered)),
        "AUTH",
      ),
    ).toBe(true);
    expect(
      isQssError(
        thrown(() => openMetadata(keyring, "/seg/1", Uint8Array.of(9))),
        "CORRUPT",
      ),
    ).toBe(true);
  });
});
