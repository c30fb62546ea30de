import { afterEach, expect, test } from "bun:test";
import { isQssError } from "../../src/base/errors.ts";
import { startWorker } from "../../src/platform/workers.ts";
import { blake2b128 } from "../../src/stor/blake2b-128.ts";
import { HashService, inlineStreamHash } from "../../src/stor/hash-service.ts";
import { randomData, rejection } from "./helpers.ts";

const services: HashService[] = [];
afterEach(() => {
  for (const service of services.splice(0)) service.close();
});

function service(start = () => startWorker("stor/hash.worker.ts")): HashService {
  const created = new HashService(start);
  services.push(created);
  return created;
}

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString("hex");

test("interleaved streams on one worker each get their own digest; bytes come back intact", async () => {
  const hashes = service();
  const [a, b] = [randomData(300_001), randomData(70_000)];
  const [streamA, streamB, inline] = [hashes.open(), hashes.open(), inlineStreamHash()];
  const pieces = (data: Uint8Array) => [
    data.slice(0, 1000),
    data.slice(1000, 65_536),
    data.slice(65_536),
  ];
  const [piecesA, piecesB] = [pieces(a), pieces(b)];
  for (let i = 0; i < 3; i++) {
    const sent = piecesA[i] as Uint8Array;
    const copy = sent.slice();
    const [back] = await Promise.all([
      streamA.update(sent),
      streamB.update(piecesB[i] as Uint8Array),
    ]);
    expect(back).toEqual(copy);
    await inline.update(copy);
  }
  expect(hex(await streamA.digest())).toBe(hex(blake2b128(a)));
  expect(hex(await streamB.digest())).toBe(hex(blake2b128(b)));
  expect(hex(await inline.digest())).toBe(hex(blake2b128(a)));
  // a view on part of a buffer is copied, not transferred: the caller's buffer stays usable
  const whole = randomData(1000);
  const stream = hashes.open();
  await stream.update(whole.subarray(10, 500));
  expect(whole.byteLength).toBe(1000);
  expect(hex(await stream.digest())).toBe(hex(blake2b128(whole.subarray(10, 500))));
});

test("a crashed hash worker fails its streams with UNAVAILABLE; new streams use a new worker", async () => {
  const url = new URL("./fixtures/hash-crash.worker.ts", import.meta.url);
  const hashes = service(() => new Worker(url));
  const lost = hashes.open();
  await lost.update(randomData(100));
  expect(isQssError(await rejection(lost.update(new Uint8Array(13))), "UNAVAILABLE")).toBe(true);
  // the stream's state died with the worker: it must not silently restart on a new one
  expect(isQssError(await rejection(lost.update(randomData(5))), "UNAVAILABLE")).toBe(true);
  expect(isQssError(await rejection(lost.digest()), "UNAVAILABLE")).toBe(true);
  const fresh = hashes.open();
  const data = randomData(1234);
  await fresh.update(data.slice());
  expect(hex(await fresh.digest())).toBe(hex(blake2b128(data)));
});

test("a closed service refuses work with UNAVAILABLE", async () => {
  const hashes = service();
  const stream = hashes.open();
  await stream.update(randomData(10));
  hashes.close();
  expect(isQssError(await rejection(stream.digest()), "UNAVAILABLE")).toBe(true);
});
