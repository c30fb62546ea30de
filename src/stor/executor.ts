/**
 * Where stripe jobs run: inline on the calling thread, or on the worker pool (stor.worker.ts).
 * Jobs are given as builders so a job lost with a crashed worker can be rebuilt and retried.
 * The plaintext checksum runs inline, or on the stor pool's hash worker (hash.worker.ts).
 */
import { startWorker } from "../platform/workers.ts";
import { HashService, inlineStreamHash, type StreamHash } from "./hash-service.ts";
import { createWorkerPool, type WorkerPool, type WorkerPoolOptions } from "./pool.ts";
import {
  type DecodeStripeJob,
  type DecodeStripeResult,
  decodeStripe,
  type EncodeStripeJob,
  type EncodeStripeResult,
  encodeStripe,
} from "./stripe-codec.ts";

export interface StripeExecutor {
  submitEncode(
    build: () => Promise<EncodeStripeJob>,
  ): Promise<{ result: Promise<EncodeStripeResult> }>;
  submitDecode(
    build: () => Promise<DecodeStripeJob>,
  ): Promise<{ result: Promise<DecodeStripeResult> }>;
  /** A BLAKE2b-128 stream for an object's plaintext. */
  openHash(): StreamHash;
}

export const inlineExecutor: StripeExecutor = {
  openHash: inlineStreamHash,
  async submitEncode(build) {
    return { result: build().then(encodeStripe) };
  },
  async submitDecode(build) {
    return { result: build().then(decodeStripe) };
  },
};

function isWholeBuffer(bytes: Uint8Array): boolean {
  return bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength;
}

/** A buffer that can be transferred without taking bytes that belong to someone else. */
function ownBuffer(bytes: Uint8Array): Uint8Array {
  return isWholeBuffer(bytes) ? bytes : bytes.slice();
}

/** A pool from createStorPool also hashes on its hash worker; any other pool hashes inline. */
export function poolExecutor(pool: WorkerPool | StorPool): StripeExecutor {
  const hashes = "hashes" in pool ? pool.hashes : undefined;
  return {
    openHash: () => (hashes ? hashes.open() : inlineStreamHash()),
    submitEncode(build) {
      return pool.submit<EncodeStripeResult>({
        async build() {
          const job = await build();
          const plaintext = ownBuffer(job.plaintext);
          const transfer = [plaintext.buffer as ArrayBuffer];
          const spare = job.spare && isWholeBuffer(job.spare) ? job.spare : undefined;
          if (spare && spare.buffer !== plaintext.buffer)
            transfer.push(spare.buffer as ArrayBuffer);
          return {
            payload: { op: "encodeStripe", job: { ...job, plaintext, spare } },
            transfer,
          };
        },
      });
    },
    submitDecode(build) {
      return pool.submit<DecodeStripeResult>({
        async build() {
          const job = await build();
          const pieces = job.pieces.map((piece) => (piece ? ownBuffer(piece) : null));
          const transfer = pieces.flatMap((piece) => (piece ? [piece.buffer as ArrayBuffer] : []));
          return { payload: { op: "decodeStripe", job: { ...job, pieces } }, transfer };
        },
      });
    },
  };
}

export interface StorPool extends WorkerPool {
  readonly hashes: HashService;
}

/**
 * The stripe pool: `stor/stor.worker.ts` workers, plus one `stor/hash.worker.ts` started on
 * first use; both embedded in the compiled binary. `close()` stops them all.
 */
export function createStorPool(options: Omit<WorkerPoolOptions, "start"> = {}): StorPool {
  const pool = createWorkerPool({ ...options, start: () => startWorker("stor/stor.worker.ts") });
  const hashes = new HashService(() => startWorker("stor/hash.worker.ts"));
  const closeStripeWorkers = pool.close.bind(pool);
  return Object.assign(pool, {
    hashes,
    close() {
      hashes.close();
      closeStripeWorkers();
    },
  });
}
