import { describe, expect, test } from "bun:test";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { isQssError } from "../../src/base/errors.ts";
import { blake2b128 } from "../../src/stor/blake2b-128.ts";
import { deriveKeyring, parseMasterSecret } from "../../src/stor/keyring.ts";
import { parseManifest } from "../../src/stor/manifest.ts";
import { decodeObject, decodeObjectToBytes } from "../../src/stor/object-decode.ts";
import { encodeObject } from "../../src/stor/object-encode.ts";
import { generateRecipientKeyPair } from "../../src/stor/recipient-keys.ts";
import { pieceBytesFor, pieceTagBytes, shardHeaderBytes } from "../../src/stor/shard-format.ts";
import { bytesSource, openFileSource, type ShardSource } from "../../src/stor/sources.ts";
import {
  bytesShard,
  failingShard,
  flip,
  keyring,
  MemoryShards,
  randomData,
  rejection,
  textBytes,
} from "./helpers.ts";

const frameBytes = 4096;
const stripeFrames = 3;
const stripeBytes = frameBytes * stripeFrames;

async function store(
  data: Uint8Array,
  k: number,
  m: number,
  extra: Partial<Parameters<typeof encodeObject>[1]> = {},
) {
  const shards = new MemoryShards(k + m);
  const manifest = await encodeObject(
    bytesSource(data),
    { keyring, dataShards: k, parityShards: m, frameBytes, stripeFrames, ...extra },
    shards.writer,
  );
  return { manifest, shards };
}

describe("encodeObject / decodeObject round trips", () => {
  const shapes = [
    [1, 0],
    [1, 1],
    [2, 1],
    [4, 2],
    [10, 4],
    [16, 4],
    [3, 5],
  ] as const;
  const sizes = [
    0,
    1,
    frameBytes - 1,
    frameBytes,
    stripeBytes,
    stripeBytes + 1,
    3 * stripeBytes + 777,
  ];
  test.each(shapes.map(([k, m]) => [`${k}+${m}`, k, m] as const))(
    "shape %s, all sizes, text and random",
    async (_name, k, m) => {
      for (const size of sizes) {
        for (const data of [textBytes(size), randomData(size)]) {
          const { manifest, shards } = await store(data, k, m);
          expect(manifest.checksum).toBe(Buffer.from(blake2b128(data)).toString("hex"));
          expect(shards.bytes(0).length).toBe(manifest.shardBytes);
          expect(
            await decodeObjectToBytes(manifest, shards.sources(), { keys: { keyring } }),
          ).toEqual(data);
        }
      }
    },
  );

  test("compressible data is compressed, random data is stored raw", async () => {
    const text = await store(textBytes(stripeBytes * 2), 2, 1);
    const noise = await store(randomData(stripeBytes * 2), 2, 1);
    const total = (list: number[]) => list.reduce((a, b) => a + b, 0);
    expect(total(text.manifest.stripeEncryptedBytes)).toBeLessThan(stripeBytes / 4);
    // raw frames: plaintext plus codec byte, length prefix and tag per frame, nothing more
    expect(total(noise.manifest.stripeEncryptedBytes)).toBe(stripeBytes * 2 + 6 * (1 + 4 + 16));
  });

  test("buffers reused across stripes leave the last data piece zero-padded", async () => {
    // Random stripes fill the reused buffers with ciphertext; the text stripes after them
    // compress to a few bytes, so stale bytes would show in their padding.
    const data = new Uint8Array(6 * stripeBytes);
    data.set(randomData(3 * stripeBytes));
    data.set(textBytes(3 * stripeBytes), 3 * stripeBytes);
    const [k, m] = [4, 2];
    const { manifest, shards } = await store(data, k, m, { stripesInFlight: 1 });
    let at = shardHeaderBytes;
    for (const encryptedBytes of manifest.stripeEncryptedBytes) {
      const pieceBytes = pieceBytesFor(encryptedBytes, k);
      const stripe = Buffer.concat(
        Array.from({ length: k }, (_, i) => shards.bytes(i).subarray(at, at + pieceBytes)),
      );
      expect(stripe.subarray(encryptedBytes).every((byte) => byte === 0)).toBe(true);
      at += pieceBytes + pieceTagBytes;
    }
    expect(manifest.stripeEncryptedBytes.at(-1)).toBeLessThan(stripeBytes / 4);
    expect(await decodeObjectToBytes(manifest, shards.sources(), { keys: { keyring } })).toEqual(
      data,
    );
  });

  test("every compression codec round-trips", async () => {
    for (const compression of ["none", "zstd", "deflate", "brotli"] as const) {
      const data = textBytes(stripeBytes + 5);
      const { manifest, shards } = await store(data, 3, 2, { compression });
      expect(manifest.compression).toBe(compression);
      expect(await decodeObjectToBytes(manifest, shards.sources(), { keys: { keyring } })).toEqual(
        data,
      );
    }
  });
});

describe("lost, corrupt and unreachable shards", () => {
  test("every pattern of up to m missing shards of a 4+2 object decodes", async () => {
    const data = randomData(2 * stripeBytes + 100);
    const { manifest, shards } = await store(data, 4, 2);
    for (let mask = 0; mask < 64; mask++) {
      const lost = [0, 1, 2, 3, 4, 5].filter((i) => mask & (1 << i));
      if (lost.length > 2) continue;
      const sources: (ShardSource | null)[] = shards
        .sources()
        .map((s, i) => (lost.includes(i) ? null : s));
      expect(await decodeObjectToBytes(manifest, sources, { keys: { keyring } })).toEqual(data);
    }
  });

  test("corrupt pieces are detected by their tags and excluded; unreachable shards skipped", async () => {
    const data = textBytes(3 * stripeBytes);
    const { manifest, shards } = await store(data, 4, 3);
    const damaged = [0, 2].map((i) => {
      const bytes = shards.bytes(i);
      flip(bytes, shardHeaderBytes + 5, 0x40); // first stripe's piece
      flip(bytes, bytes.length - 3); // last stripe's tag
      return bytesShard(bytes);
    });
    const sources = shards.sources();
    sources[0] = damaged[0] as ShardSource;
    sources[2] = damaged[1] as ShardSource;
    sources[5] = failingShard();
    expect(await decodeObjectToBytes(manifest, sources, { keys: { keyring } })).toEqual(data);
  });

  test("more than m bad shards gives a clear CORRUPT error naming the failures", async () => {
    const { manifest, shards } = await store(randomData(stripeBytes), 2, 1);
    const sources = shards.sources();
    const swapped = shards.bytes(1);
    flip(swapped, shardHeaderBytes);
    sources[1] = bytesShard(swapped);
    sources[2] = failingShard();
    const error = await rejection(decodeObjectToBytes(manifest, sources, { keys: { keyring } }));
    expect(isQssError(error, "CORRUPT")).toBe(true);
    expect(String((error as Error).message)).toMatch(
      /fewer than 2 good shards.*tag check.*unreachable/,
    );
  });

  test("a shard swapped in from another object fails its tags", async () => {
    const data = randomData(stripeBytes);
    const a = await store(data, 2, 1);
    const b = await store(data, 2, 1);
    const sources = a.shards.sources();
    sources[0] = bytesShard(b.shards.bytes(0));
    sources[1] = bytesShard(b.shards.bytes(1));
    expect(
      isQssError(
        await rejection(decodeObjectToBytes(a.manifest, sources, { keys: { keyring } })),
        "CORRUPT",
      ),
    ).toBe(true);
  });
});

describe("keys and access", () => {
  test("a wrong master key is rejected by the AEAD tag (AUTH), without echoing the key", async () => {
    const { manifest, shards } = await store(textBytes(100), 2, 1);
    const otherHex = "11".repeat(32);
    const other = deriveKeyring(parseMasterSecret(otherHex));
    const error = await rejection(
      decodeObjectToBytes(manifest, shards.sources(), { keys: { keyring: other } }),
    );
    expect(isQssError(error, "AUTH")).toBe(true);
    expect(String((error as Error).message)).not.toContain(otherHex);
    expect(JSON.stringify(manifest)).not.toContain("7f7f7f");
  });

  test("hybrid PQ recipients open the object; a wrong recipient key fails", async () => {
    const alice = generateRecipientKeyPair();
    const bob = generateRecipientKeyPair();
    const data = textBytes(stripeBytes + 3);
    const { manifest, shards } = await store(data, 3, 1, { recipients: [alice.publicKey] });
    expect(manifest.keyWraps.recipients).toHaveLength(1);
    expect(
      await decodeObjectToBytes(manifest, shards.sources(), {
        keys: { recipientSecretKey: alice.secretKey },
      }),
    ).toEqual(data);
    const error = await rejection(
      decodeObjectToBytes(manifest, shards.sources(), {
        keys: { recipientSecretKey: bob.secretKey },
      }),
    );
    expect(isQssError(error, "AUTH")).toBe(true);
  });

  test("range reads return exactly the requested bytes", async () => {
    const data = randomData(4 * stripeBytes + 10);
    const { manifest, shards } = await store(data, 4, 2);
    for (const [offset, length] of [
      [0, 1],
      [stripeBytes - 2, 5],
      [stripeBytes * 2 + 7, stripeBytes * 2 + 3],
      [data.length - 1, 1],
      [5, 0],
    ] as const) {
      const bytes = await decodeObjectToBytes(manifest, shards.sources(), {
        keys: { keyring },
        range: { offset, length },
      });
      expect(bytes).toEqual(data.subarray(offset, offset + length));
    }
    const error = await rejection(
      decodeObjectToBytes(manifest, shards.sources(), {
        keys: { keyring },
        range: { offset: data.length, length: 1 },
      }),
    );
    expect(isQssError(error, "USAGE")).toBe(true);
  });

  test("a tampered manifest (stripe sizes, checksum) is refused", async () => {
    const data = textBytes(2 * stripeBytes);
    const { manifest, shards } = await store(data, 2, 1);
    const sizes = {
      ...manifest,
      stripeEncryptedBytes: manifest.stripeEncryptedBytes.map((n) => n + 1),
    };
    expect(
      isQssError(
        await rejection(decodeObjectToBytes(sizes, shards.sources(), { keys: { keyring } })),
        "CORRUPT",
      ),
    ).toBe(true);
    const sum = { ...manifest, checksum: "0".repeat(32) };
    const consume = async () => {
      for await (const _ of decodeObject(sum, shards.sources(), { keys: { keyring } })) {
        // drain
      }
    };
    expect(isQssError(await rejection(consume()), "CORRUPT")).toBe(true);
    expect(() => parseManifest({ ...manifest, dataShards: 0 })).toThrow(/dataShards/);
    expect(() => parseManifest({ ...manifest, extra: 1 })).toThrow(/Cannot parse object manifest/);
    expect(() => parseManifest("garbage")).toThrow(/Cannot parse object manifest/);
    const huge = { ...manifest, stripeEncryptedBytes: [2 ** 31, 100] };
    expect(() => parseManifest(huge)).toThrow(/exceeds/);
  });
});

describe("segment files", () => {
  test("a file source encodes; the manifest checksum is what `b2sum -l 128` prints", async () => {
    const dir = mkdtempSync(join(tmpdir(), "qss-object-"));
    try {
      const path = join(dir, "segment");
      const data = textBytes(5 * stripeBytes + 123);
      writeFileSync(path, data);
      const source = await openFileSource(path);
      const shards = new MemoryShards(6);
      const options = { keyring, dataShards: 4, parityShards: 2, frameBytes, stripeFrames };
      const manifest = await encodeObject(source, options, shards.writer);
      await source.close();
      const b2sum = spawnSync("b2sum", ["-l", "128", path], { encoding: "utf8" });
      expect(manifest.checksum).toBe(b2sum.stdout.split(" ")[0] as string);
      const sources: (ShardSource | null)[] = shards.sources();
      sources[4] = null;
      sources[0] = null;
      expect(await decodeObjectToBytes(manifest, sources, { keys: { keyring } })).toEqual(data);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("truncation", () => {
  test("truncated shards and a manifest cut at a stripe boundary are rejected, not crashed on", async () => {
    const data = randomData(3 * stripeBytes);
    const { manifest, shards } = await store(data, 2, 1);
    const cut = shards
      .sources()
      .map((_, i) => bytesShard(shards.bytes(i).subarray(0, manifest.shardBytes - 1)));
    const shortShards = await rejection(decodeObjectToBytes(manifest, cut, { keys: { keyring } }));
    expect(isQssError(shortShards, "CORRUPT")).toBe(true);
    expect(String((shortShards as Error).message)).toMatch(/stripe 2 .*read failed/);
    // Drop the last stripe: the new last stripe was not sealed as final, so its tags fail.
    const shorter = {
      ...manifest,
      plainBytes: 2 * stripeBytes,
      stripeEncryptedBytes: manifest.stripeEncryptedBytes.slice(0, 2),
    };
    const dropped = await rejection(
      decodeObjectToBytes(shorter, shards.sources(), { keys: { keyring } }),
    );
    expect(isQssError(dropped, "CORRUPT")).toBe(true);
    // Reading only the first stripe of that manifest still works (its stripe is unaffected).
    const head = await decodeObjectToBytes(shorter, shards.sources(), {
      keys: { keyring },
      range: { offset: 0, length: 10 },
    });
    expect(head).toEqual(data.subarray(0, 10));
  });
});

test("bad encode options fail up front with CONFIG_INVALID", async () => {
  const cases = [
    { dataShards: 0, parityShards: 1 },
    { dataShards: 2, parityShards: 1, frameBytes: 0 },
    { dataShards: 2, parityShards: 1, stripeFrames: 5000 },
    { dataShards: 2, parityShards: 1, recipients: [new Uint8Array(10)] },
  ];
  for (const extra of cases) {
    let writes = 0;
    const error = await rejection(
      encodeObject(bytesSource(textBytes(10)), { keyring, ...extra }, async () => {
        writes++;
      }),
    );
    expect(isQssError(error, "CONFIG_INVALID")).toBe(true);
    expect(writes).toBe(0);
  }
});
