/**
 * A pool of Workers (default: one per core) fed through a bounded queue. `submit` resolves once
 * the job is accepted (that wait is the backpressure), giving the promise of its result.
 * Buffers listed by a task are transferred, not copied. A worker that crashes (uncaught error,
 * exit) is replaced and its job rebuilt with `task.build()` and retried, up to `attemptsMax`.
 * A job that fails with an error (thrown inside the worker) is not retried: it is rejected with
 * a QssError carrying the worker's code and message.
 *
 * Worker protocol: the pool posts `{ id, payload }`; the worker answers `{ id, ok: true, result }`
 * or `{ id, ok: false, code, message }`, transferring result buffers.
 *
 * @example
 * const pool = createWorkerPool({ start: () => startWorker("stor/stor.worker.ts") });
 * const pending = await pool.submit({ build: () => ({ payload, transfer: [payload.bytes.buffer] }) });
 * const result = await pending.result;
 */
import { availableParallelism } from "node:os";
import { assert } from "../base/assert.ts";
import { isQssError, type QssErrorCode, qssError } from "../base/errors.ts";

export const poolQueueJobsDefault = 4;
export const poolAttemptsDefault = 3;
export const poolWorkersMax = 256;

export interface PoolMessage {
  payload: unknown;
  transfer: Transferable[];
}

export interface PoolTask {
  /** Called for each attempt: buffers transferred to a crashed worker are gone, so rebuild. */
  build(): PoolMessage | Promise<PoolMessage>;
}

export interface WorkerPoolOptions {
  start: () => Worker;
  /** Workers; default one per core. */
  size?: number;
  /** Jobs waiting beyond those running. */
  queueJobsMax?: number;
  attemptsMax?: number;
}

export interface WorkerPool {
  readonly size: number;
  /** Resolves when the job is accepted; `result` settles when it is done. */
  submit<R>(task: PoolTask): Promise<{ result: Promise<R> }>;
  run<R>(task: PoolTask): Promise<R>;
  /** Workers replaced after a crash since the pool started. */
  readonly restarts: number;
  close(): void;
}

interface Job {
  id: number;
  task: PoolTask;
  attempts: number;
  resolve(value: unknown): void;
  reject(error: unknown): void;
}

interface Slot {
  worker: Worker;
  job: Job | null;
}

type WorkerReply = {
  id: number;
  ok: boolean;
  result?: unknown;
  code?: QssErrorCode;
  message?: string;
};

export function createWorkerPool(options: WorkerPoolOptions): WorkerPool {
  return new Pool(options);
}

class Pool implements WorkerPool {
  readonly size: number;
  #restarts = 0;
  readonly #start: () => Worker;
  readonly #queueJobsMax: number;
  readonly #attemptsMax: number;
  readonly #queue: Job[] = [];
  readonly #waitingForSpace: (() => void)[] = [];
  readonly #slots: Slot[] = [];
  #nextId = 1;
  #closed = false;

  constructor(options: WorkerPoolOptions) {
    this.size = options.size ?? Math.max(1, availableParallelism());
    assert(
      Number.isInteger(this.size) && this.size >= 1 && this.size <= poolWorkersMax,
      "pool size out of range",
    );
    this.#start = options.start;
    this.#queueJobsMax = options.queueJobsMax ?? poolQueueJobsDefault;
    this.#attemptsMax = options.attemptsMax ?? poolAttemptsDefault;
    for (let i = 0; i < this.size; i++) {
      const slot = { job: null } as unknown as Slot;
      this.#slots.push(slot);
      this.#startSlot(slot);
    }
  }

  get restarts(): number {
    return this.#restarts;
  }

  async submit<R>(task: PoolTask): Promise<{ result: Promise<R> }> {
    while (!this.#closed && this.#queue.length >= this.#queueJobsMax) {
      await new Promise<void>((resolve) => this.#waitingForSpace.push(resolve));
    }
    if (this.#closed)
      throw qssError("UNAVAILABLE", "Cannot submit a job: the worker pool is closed");
    const result = new Promise<R>((resolve, reject) => {
      const id = this.#nextId++;
      this.#queue.push({
        id,
        task,
        attempts: 0,
        resolve: resolve as (value: unknown) => void,
        reject,
      });
    });
    this.#pump();
    return { result };
  }

  async run<R>(task: PoolTask): Promise<R> {
    const { result } = await this.submit<R>(task);
    return result;
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    const closedError = () => qssError("UNAVAILABLE", "The worker pool was closed");
    for (const slot of this.#slots) {
      slot.worker.terminate();
      slot.job?.reject(closedError());
      slot.job = null;
    }
    for (const job of this.#queue.splice(0)) job.reject(closedError());
    for (const wake of this.#waitingForSpace.splice(0)) wake();
  }

  #startSlot(slot: Slot): void {
    const worker = this.#start();
    slot.worker = worker;
    worker.onmessage = (event: MessageEvent<WorkerReply>) => this.#finish(slot, worker, event.data);
    worker.onerror = (event: ErrorEvent) => {
      event.preventDefault?.();
      this.#crashed(slot, worker, event.message);
    };
    worker.addEventListener("close", () => this.#crashed(slot, worker, "worker exited"));
  }

  /** Replace the worker; retry its job unless it has used up its attempts. */
  #crashed(slot: Slot, worker: Worker, reason: string): void {
    if (this.#closed || slot.worker !== worker) return;
    worker.terminate();
    const job = slot.job;
    slot.job = null;
    this.#restarts++;
    this.#startSlot(slot);
    if (job && job.attempts >= this.#attemptsMax) {
      job.reject(
        qssError("UNAVAILABLE", `Worker crashed ${job.attempts} times on one job: ${reason}`),
      );
    } else if (job) {
      this.#queue.unshift(job);
    }
    this.#pump();
  }

  #finish(slot: Slot, worker: Worker, reply: WorkerReply): void {
    if (slot.worker !== worker || !slot.job || slot.job.id !== reply.id) return;
    const job = slot.job;
    slot.job = null;
    if (reply.ok) job.resolve(reply.result);
    else job.reject(qssError(reply.code ?? "IO", reply.message ?? "worker job failed"));
    this.#pump();
  }

  /** Give queued jobs to idle workers, then let waiting submitters in. */
  #pump(): void {
    for (const slot of this.#slots) {
      if (this.#closed || slot.job || this.#queue.length === 0) continue;
      const job = this.#queue.shift() as Job;
      slot.job = job;
      job.attempts++;
      void this.#dispatch(slot, job);
    }
    while (this.#waitingForSpace.length > 0 && this.#queue.length < this.#queueJobsMax) {
      this.#waitingForSpace.shift()?.();
    }
  }

  async #dispatch(slot: Slot, job: Job): Promise<void> {
    const worker = slot.worker;
    try {
      const message = await job.task.build();
      if (slot.worker !== worker || slot.job !== job) return; // crashed meanwhile: requeued
      worker.postMessage({ id: job.id, payload: message.payload }, message.transfer);
    } catch (error) {
      if (slot.job === job) slot.job = null;
      const reason = `Cannot prepare a worker job: ${(error as Error).message}`;
      job.reject(isQssError(error) ? error : qssError("IO", reason, error));
      this.#pump();
    }
  }
}
