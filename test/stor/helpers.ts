/** Shared helpers for stor tests: in-memory shard stores and deterministic data. */
import { deriveKeyring, type Keyring, parseMasterSecret } from "../../src/stor/keyring.ts";
import type { ShardSource } from "../../src/stor/sources.ts";

export const masterHex = "7f".repeat(16) + "a5".repeat(16);
export const keyring: Keyring = deriveKeyring(parseMasterSecret(masterHex));

export class MemoryShards {
  readonly chunks: Uint8Array[][];
  constructor(count: number) {
    this.chunks = Array.from({ length: count }, () => []);
  }
  writer = async (shardIndex: number, bytes: Uint8Array): Promise<void> => {
    (this.chunks[shardIndex] as Uint8Array[]).push(bytes.slice());
  };
  bytes(shardIndex: number): Uint8Array {
    return Buffer.concat(this.chunks[shardIndex] as Uint8Array[]);
  }
  sources(): ShardSource[] {
    return this.chunks.map((_, i) => bytesShard(this.bytes(i)));
  }
}

export function bytesShard(bytes: Uint8Array): ShardSource {
  return {
    async read(offset, length) {
      if (offset + length > bytes.length) throw new Error(`shard holds ${bytes.length} bytes`);
      return new Uint8Array(bytes.subarray(offset, offset + length));
    },
  };
}

export function failingShard(): ShardSource {
  return {
    async read() {
      throw new Error("backend unreachable");
    },
  };
}

/** Compressible text-like bytes, deterministic. */
export function textBytes(length: number): Uint8Array {
  const line = new TextEncoder().encode("qss segment line with some repeated words 0123456789\n");
  return Uint8Array.from({ length }, (_, i) => line[i % line.length] as number);
}

export function randomData(length: number): Uint8Array {
  const out = new Uint8Array(length);
  for (let offset = 0; offset < length; offset += 65_536) {
    crypto.getRandomValues(out.subarray(offset, Math.min(length, offset + 65_536)));
  }
  return out;
}

export async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error("expected the promise to reject");
}

/** Flip bits of one byte (tests that corrupt stored bytes). */
export function flip(bytes: Uint8Array, index: number, mask = 1): void {
  bytes[index] = (bytes[index] as number) ^ mask;
}
