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

export function createWorkerPool(options: WorkerPoolOptions): WorkerPool {
  const size = options.size ?? Math.max(1, availableParallelism());
  assert(Number.isInteger(size) && size >= 1 && size <= poolWorkersMax, "pool size out of range");
  const queueJobsMax = options.queueJobsMax ?? poolQueueJobsDefault;
  const attemptsMax = options.attemptsMax ?? poolAttemptsDefault;
  const queue: Job[] = [];
  const waitingForSpace: (() => void)[] = [];
  let nextId = 1;
  let restarts = 0;
  let closed = false;
  const slots: Slot[] = [];

  function startSlot(slot: Slot): void {
    const worker = options.start();
    slot.worker = worker;
    worker.onmessage = (event: MessageEvent) => finish(slot, worker, event.data);
    worker.onerror = (event: ErrorEvent) => {
      event.preventDefault?.();
      crashed(slot, worker, event.message);
    };
    worker.addEventListener("close", () => crashed(slot, worker, "worker exited"));
  }

  function crashed(slot: Slot, worker: Worker, reason: string): void {
    if (closed || slot.worker !== worker) return;
    worker.terminate();
    const job = slot.job;
    slot.job = null;
    restarts++;
    startSlot(slot);
    if (job) {
      if (job.attempts >= attemptsMax) {
        job.reject(
          qssError("UNAVAILABLE", `Worker crashed ${job.attempts} times on one job: ${reason}`),
        );
      } else {
        queue.unshift(job);
      }
    }
    pump();
  }

  function finish(
    slot: Slot,
    worker: Worker,
    reply: { id: number; ok: boolean; result?: unknown; code?: QssErrorCode; message?: string },
  ) {
    if (slot.worker !== worker || !slot.job || slot.job.id !== reply.id) return;
    const job = slot.job;
    slot.job = null;
    if (reply.ok) job.resolve(reply.result);
    else job.reject(qssError(reply.code ?? "IO", reply.message ?? "worker job failed"));
    pump();
  }

  function pump(): void {
    for (const slot of slots) {
      if (closed || slot.job || queue.length === 0) continue;
      const job = queue.shift() as Job;
      slot.job = job;
      job.attempts++;
      void dispatch(slot, job);
    }
    while (waitingForSpace.length > 0 && queue.length < queueJobsMax) waitingForSpace.shift()?.();
  }

  async function dispatch(slot: Slot, job: Job): Promise<void> {
    const worker = slot.worker;
    try {
      const message = await job.task.build();
      if (slot.worker !== worker || slot.job !== job) return;
      worker.postMessage({ id: job.id, payload: message.payload }, message.transfer);
    } catch (error) {
      if (slot.job === job) slot.job = null;
      job.reject(
        isQssError(error)
          ? error
          : qssError("IO", `Cannot prepare a worker job: ${(error as Error).message}`, error),
      );
      pump();
    }
  }

  for (let i = 0; i < size; i++) {
    const slot = { job: null } as unknown as Slot;
    slots.push(slot);
    startSlot(slot);
  }

  const pool: WorkerPool = {
    size,
    get restarts() {
      return restarts;
    },
    async submit<R>(task: PoolTask) {
      while (!closed && queue.length >= queueJobsMax) {
        await new Promise<void>((resolve) => waitingForSpace.push(resolve));
      }
      if (closed) throw qssError("UNAVAILABLE", "Cannot submit a job: the worker pool is closed");
      const result = new Promise<R>((resolve, reject) => {
        queue.push({
          id: nextId++,
          task,
          attempts: 0,
          resolve: resolve as (value: unknown) => void,
          reject,
        });
      });
      pump();
      return { result };
    },
    async run<R>(task: PoolTask) {
      const { result } = await pool.submit<R>(task);
      return result;
    },
    close() {
      if (closed) return;
      closed = true;
      for (const slot of slots) {
        slot.worker.terminate();
        slot.job?.reject(qssError("UNAVAILABLE", "The worker pool was closed"));
        slot.job = null;
      }
      for (const job of queue.splice(0))
        job.reject(qssError("UNAVAILABLE", "The worker pool was closed"));
      for (const wake of waitingForSpace.splice(0)) wake();
    },
  };
  return pool;
}
