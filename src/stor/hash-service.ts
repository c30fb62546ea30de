/**
 * BLAKE2b-128 of a plaintext stream, computed on the calling thread (`inlineStreamHash`) or on a
 * dedicated worker (`HashService`, hash.worker.ts) so that hashing, which cannot be split, does
 * not share its thread with reading, scheduling and writing.
 *
 * Buffer ownership: `update(bytes)` may transfer `bytes` to the worker and back; the caller must
 * not touch them until the returned promise gives them back. Worker protocol: requests
 * `{ op, stream, bytes? }`, replies in request order `{ ok, bytes?, digest?, message? }`.
 * A crashed hash worker fails the streams it held (their callers retry the whole object).
 *
 * @example
 * const hash = service.open();
 * const bytes = await hash.update(plaintext); // same bytes, back from the worker
 * const digest = await hash.digest();
 */
import { qssError } from "../base/errors.ts";
import { createBlake2b128 } from "./blake2b-128.ts";

export interface StreamHash {
  /** Adds `bytes` after everything added before; resolves with them once hashed. */
  update(bytes: Uint8Array): Promise<Uint8Array>;
  /** The 16-byte digest; the stream must not be used afterwards. */
  digest(): Promise<Uint8Array>;
  /** Abandons the stream (error paths). */
  drop(): void;
}

export interface HashRequest {
  op: "update" | "digest" | "drop";
  stream: number;
  bytes?: Uint8Array;
}

export interface HashReply {
  ok: boolean;
  bytes?: Uint8Array;
  digest?: Uint8Array;
  message?: string;
}

export function inlineStreamHash(): StreamHash {
  const hash = createBlake2b128();
  return {
    async update(bytes) {
      hash.update(bytes);
      return bytes;
    },
    async digest() {
      return hash.digest();
    },
    drop() {},
  };
}

interface Pending {
  resolve(reply: HashReply): void;
  reject(error: unknown): void;
}

/** One hash worker shared by any number of streams; started on first use. */
export class HashService {
  readonly #start: () => Worker;
  #worker: Worker | null = null;
  /** Replies come back in request order: the oldest pending request gets the next reply. */
  #pending: Pending[] = [];
  #nextStream = 1;
  #closed = false;

  constructor(start: () => Worker) {
    this.#start = start;
  }

  open(): StreamHash {
    const stream = { id: this.#nextStream++, worker: null as Worker | null };
    return {
      update: async (bytes) => {
        const whole = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength;
        const own = whole ? bytes : bytes.slice();
        const request = { op: "update", stream: stream.id, bytes: own } as const;
        const reply = await this.#request(stream, request, [own.buffer]);
        return reply.bytes as Uint8Array;
      },
      digest: async () => {
        const reply = await this.#request(stream, { op: "digest", stream: stream.id }, []);
        return reply.digest as Uint8Array;
      },
      drop: () => {
        if (stream.worker && stream.worker === this.#worker) {
          this.#request(stream, { op: "drop", stream: stream.id }, []).catch(() => {});
        }
      },
    };
  }

  close(): void {
    this.#closed = true;
    this.#fail(qssError("UNAVAILABLE", "The hash worker was closed"));
  }

  /** Sends on the worker that holds the stream's state; a stream never moves to a new worker. */
  #request(
    stream: { worker: Worker | null },
    request: HashRequest,
    transfer: ArrayBufferLike[],
  ): Promise<HashReply> {
    if (this.#closed) {
      return Promise.reject(qssError("UNAVAILABLE", "Cannot hash: the hash worker is closed"));
    }
    const worker = this.#worker ?? this.#startWorker();
    stream.worker ??= worker;
    if (stream.worker !== worker) {
      return Promise.reject(qssError("UNAVAILABLE", "Cannot hash: the hash worker crashed"));
    }
    return new Promise<HashReply>((resolve, reject) => {
      this.#pending.push({ resolve, reject });
      worker.postMessage(request, transfer as ArrayBuffer[]);
    }).then((reply) => {
      if (!reply.ok) throw qssError("IO", `Cannot hash: ${reply.message ?? "worker failed"}`);
      return reply;
    });
  }

  #startWorker(): Worker {
    const worker = this.#start();
    worker.onmessage = (event: MessageEvent<HashReply>) =>
      this.#pending.shift()?.resolve(event.data);
    worker.onerror = (event: ErrorEvent) => {
      event.preventDefault?.();
      this.#crashed(worker, event.message);
    };
    worker.addEventListener("close", () => this.#crashed(worker, "worker exited"));
    this.#worker = worker;
    return worker;
  }

  /** Every stream the worker held is lost: fail their pending requests; restart on next use. */
  #crashed(worker: Worker, reason: string): void {
    if (this.#worker !== worker) return;
    this.#fail(qssError("UNAVAILABLE", `The hash worker crashed: ${reason}`));
  }

  #fail(error: unknown): void {
    this.#worker?.terminate();
    this.#worker = null;
    for (const pending of this.#pending.splice(0)) pending.reject(error);
  }
}
