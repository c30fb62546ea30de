/**
 * Positional byte sources: the segment being encoded, and each shard being decoded. Positional
 * reads let a job be rebuilt after a worker crash and let decoding switch shards mid-object.
 */
import { open } from "node:fs/promises";
import { assert } from "../base/assert.ts";
import { qssError } from "../base/errors.ts";

export interface ByteSource {
  readonly size: number;
  /**
   * Exactly `length` bytes at `offset` (throws otherwise), in a buffer the caller may keep:
   * `into` when given (a buffer of exactly `length` bytes the caller hands over for reuse),
   * else a new one.
   */
  read(offset: number, length: number, into?: Uint8Array): Promise<Uint8Array>;
}

/** A shard as stored on a backend; a failing read marks the shard unavailable. */
export interface ShardSource {
  read(offset: number, length: number): Promise<Uint8Array>;
}

export function bytesSource(bytes: Uint8Array): ByteSource {
  return {
    size: bytes.length,
    async read(offset, length, into) {
      if (offset < 0 || offset + length > bytes.length) {
        throw qssError(
          "IO",
          `Cannot read ${length} bytes at ${offset}: source holds ${bytes.length}`,
        );
      }
      const copy = checkedInto(into, length) ?? new Uint8Array(length); // a copy, even for a Buffer
      copy.set(bytes.subarray(offset, offset + length));
      return copy;
    },
  };
}

export interface FileSource extends ByteSource {
  close(): Promise<void>;
}

export async function openFileSource(path: string): Promise<FileSource> {
  const handle = await open(path, "r");
  const size = (await handle.stat()).size;
  return {
    size,
    async read(offset, length, into) {
      const buffer = checkedInto(into, length) ?? new Uint8Array(length);
      let done = 0;
      while (done < length) {
        const { bytesRead } = await handle.read(buffer, done, length - done, offset + done);
        if (bytesRead === 0)
          throw qssError(
            "IO",
            `Cannot read ${path}: it ended at ${offset + done}, expected ${offset + length}`,
          );
        done += bytesRead;
      }
      return buffer;
    },
    close: () => handle.close(),
  };
}

function checkedInto(into: Uint8Array | undefined, length: number): Uint8Array | undefined {
  assert(into === undefined || into.length === length, "a reused read buffer must fit exactly");
  return into;
}
