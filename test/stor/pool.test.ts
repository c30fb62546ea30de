import { afterEach, expect, test } from "bun:test";
import { isQssError } from "../../src/base/errors.ts";
import { createStorPool, poolExecutor } from "../../src/stor/executor.ts";
import { decodeObjectToBytes } from "../../src/stor/object-decode.ts";
import { encodeObject } from "../../src/stor/object-encode.ts";
import { createWorkerPool, type WorkerPool } from "../../src/stor/pool.ts";
import { bytesSource, type ShardSource } from "../../src/stor/sources.ts";
import { keyring, MemoryShards, randomData, rejection, textBytes } from "./helpers.ts";

const echoUrl = new URL("./fixtures/echo.worker.ts", import.meta.url);
const pools: WorkerPool[] = [];
afterEach(() => {
  for (const pool of pools.splice(0)) pool.close();
});

function echoPool(options: { size?: number; queueJobsMax?: number } = {}): WorkerPool {
  const pool = createWorkerPool({ start: () => new Worker(echoUrl), ...options });
  pools.push(pool);
  return pool;
}

test("jobs run and input buffers are transferred, not copied", async () => {
  const pool = echoPool({ size: 2 });
  const bytes = Uint8Array.from([1, 2, 3, 200]);
  const result = await pool.run<{ bytes: Uint8Array }>({
    build: () => ({ payload: { bytes }, transfer: [bytes.buffer] }),
  });
  expect(Array.from(result.bytes)).toEqual([2, 4, 6, 144]);
  expect(bytes.byteLength).toBe(0); // detached: it moved to the worker
});

test("a worker that exits or throws is replaced and its job retried", async () => {
  const pool = echoPool({ size: 1 });
  for (const crash of ["exit", "throw"] as const) {
    let attempt = 0;
    const result = await pool.run<{ bytes: Uint8Array }>({
      build: () => {
        attempt++;
        const bytes = Uint8Array.from([attempt]);
        return {
          payload: { bytes, crash: attempt === 1 ? crash : undefined },
          transfer: [bytes.buffer],
        };
      },
    });
    expect(attempt).toBe(2);
    expect(Array.from(result.bytes)).toEqual([4]);
  }
  expect(pool.restarts).toBe(2);
  // the replacement keeps serving
  const after = await pool.run<{ bytes: Uint8Array }>({
    build: () => ({ payload: { bytes: Uint8Array.from([5]) }, transfer: [] }),
  });
  expect(Array.from(after.bytes)).toEqual([10]);
});

test("a job that always crashes fails with UNAVAILABLE after bounded attempts", async () => {
  const pool = echoPool({ size: 1 });
  const error = await rejection(
    pool.run({
      build: () => ({ payload: { bytes: new Uint8Array(1), crash: "exit" }, transfer: [] }),
    }),
  );
  expect(isQssError(error, "UNAVAILABLE")).toBe(true);
});

test("a job error is reported with its code and not retried", async () => {
  const pool = echoPool({ size: 1 });
  let builds = 0;
  const error = await rejection(
    pool.run({
      build: () => {
        builds++;
        return { payload: { bytes: new Uint8Array(1), fail: true }, transfer: [] };
      },
    }),
  );
  expect(isQssError(error, "CORRUPT")).toBe(true);
  expect(builds).toBe(1);
});

test("submit applies backpressure once the bounded queue is full", async () => {
  const pool = echoPool({ size: 1, queueJobsMax: 2 });
  const slow = {
    build: () => ({ payload: { bytes: new Uint8Array(1), delayMs: 150 }, transfer: [] }),
  };
  const accepted: number[] = [];
  const results: Promise<unknown>[] = [];
  const submits = [0, 1, 2, 3, 4].map(async (i) => {
    const { result } = await pool.submit(slow);
    accepted.push(i);
    results.push(result);
  });
  await new Promise((resolve) => setTimeout(resolve, 50));
  // one running, two queued: the last two submits are still waiting for space
  expect(accepted.length).toBe(3);
  await Promise.all(submits);
  await Promise.all(results);
  expect(accepted.length).toBe(5);
});

test("the stor pool encodes and decodes objects identically to the inline path", async () => {
  const pool = createStorPool({ size: 2 });
  pools.push(pool);
  const executor = poolExecutor(pool);
  for (const data of [textBytes(300_000), randomData(300_001), new Uint8Array(0)]) {
    const shards = new MemoryShards(6);
    const manifest = await encodeObject(
      bytesSource(data),
      { keyring, dataShards: 4, parityShards: 2, frameBytes: 16_384, stripeFrames: 2, executor },
      shards.writer,
    );
    const sources: (ShardSource | null)[] = shards.sources();
    sources[1] = null;
    expect(await decodeObjectToBytes(manifest, sources, { keys: { keyring }, executor })).toEqual(
      data,
    );
  }
});

test("closing the pool rejects pending work instead of hanging", async () => {
  const pool = echoPool({ size: 1 });
  const pending = pool.run({
    build: () => ({ payload: { bytes: new Uint8Array(1), delayMs: 500 }, transfer: [] }),
  });
  await new Promise((resolve) => setTimeout(resolve, 20));
  pool.close();
  expect(isQssError(await rejection(pending), "UNAVAILABLE")).toBe(true);
});
