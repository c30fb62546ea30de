/**
 * A self-test of the whole object pipeline on this machine: random data is checksummed,
 * compressed, encrypted and Reed-Solomon coded by the worker pool, then `parityShards` data
 * shards are thrown away and the object is rebuilt from the rest and compared. It proves the
 * kernels, the crypto and the embedded Workers work here (e.g. on an arm64 node), and measures.
 *
 * @example
 * const result = await runSelftest({ sizeBytes: 64 * 2 ** 20, dataShards: 4, parityShards: 2 });
 */
import { randomBytes } from "node:crypto";
import { qssError } from "../base/errors.ts";
import { createStorPool, poolExecutor } from "./executor.ts";
import { defaultKernel } from "./kernel-select.ts";
import { deriveKeyring, parseMasterSecret } from "./keyring.ts";
import { decodeObjectToBytes } from "./object-decode.ts";
import { encodeObject } from "./object-encode.ts";
import { bytesSource, type ShardSource } from "./sources.ts";

export interface SelftestOptions {
  sizeBytes: number;
  dataShards: number;
  parityShards: number;
  /** Stripe workers (default: one per core). */
  workers?: number;
}

export interface SelftestResult {
  kernel: string;
  sizeBytes: number;
  shards: string;
  lostShards: number[];
  encodeMBps: number;
  decodeMBps: number;
  checksum: string;
}

/** Bounds keep a mistyped size from exhausting memory: everything is held in memory here. */
export const selftestBytesMax = 1024 * 2 ** 20;

export async function runSelftest(options: SelftestOptions): Promise<SelftestResult> {
  const { sizeBytes, dataShards: k, parityShards: m } = options;
  if (!(sizeBytes >= 1 && sizeBytes <= selftestBytesMax)) {
    throw qssError(
      "USAGE",
      `Cannot run the self-test on ${sizeBytes} bytes: expected 1 … ${selftestBytesMax}`,
    );
  }
  const data = new Uint8Array(randomBytes(sizeBytes));
  const keyring = deriveKeyring(parseMasterSecret(randomBytes(32).toString("hex")));
  const shards: Uint8Array[][] = Array.from({ length: k + m }, () => []);
  const pool = createStorPool(options.workers === undefined ? {} : { size: options.workers });
  try {
    const executor = poolExecutor(pool);
    // Warm-up: start the workers and compile their kernels outside the measured time.
    await encodeObject(
      bytesSource(new Uint8Array(1)),
      { keyring, dataShards: k, parityShards: m, executor },
      async () => {},
    );
    const encodeStart = performance.now();
    const manifest = await encodeObject(
      bytesSource(data.slice()),
      { keyring, dataShards: k, parityShards: m, executor },
      async (index, bytes) => {
        shards[index]?.push(bytes.slice());
      },
    );
    const encodeSeconds = (performance.now() - encodeStart) / 1000;
    // The worst case: the first m data shards are gone, so every stripe needs a real decode.
    const lostShards = Array.from({ length: Math.min(m, k) }, (_, index) => index);
    const sources: (ShardSource | null)[] = shards.map((parts, index) =>
      lostShards.includes(index) ? null : memoryShard(Buffer.concat(parts)),
    );
    const decodeStart = performance.now();
    const back = await decodeObjectToBytes(manifest, sources, { keys: { keyring }, executor });
    const decodeSeconds = (performance.now() - decodeStart) / 1000;
    if (!Buffer.from(back).equals(Buffer.from(data))) {
      throw qssError("CORRUPT", "Self-test failed: the rebuilt object differs from the original");
    }
    return {
      kernel: defaultKernel().name,
      sizeBytes,
      shards: `${k}+${m}`,
      lostShards,
      encodeMBps: sizeBytes / 1e6 / encodeSeconds,
      decodeMBps: sizeBytes / 1e6 / decodeSeconds,
      checksum: manifest.checksum,
    };
  } finally {
    pool.close();
  }
}

function memoryShard(bytes: Uint8Array): ShardSource {
  return {
    async read(offset, length) {
      if (offset + length > bytes.length) throw qssError("IO", `shard holds ${bytes.length} bytes`);
      return new Uint8Array(bytes.subarray(offset, offset + length));
    },
  };
}
