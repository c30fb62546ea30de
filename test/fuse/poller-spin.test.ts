/**
 * The poller's spin after a request: kept while requests come close together (a wake-up costs
 * more than the spin on a VM), dropped once they come further apart than the spin (it would
 * only burn CPU). Driven by a fake device whose requests arrive at set times.
 */
import { expect, test } from "bun:test";
import { serveByPolling } from "../../src/fuse/device-poller.ts";

const EAGAIN = -11;
const ENODEV = -19;
const sleeper = new Int32Array(new SharedArrayBuffer(4));
/** Requests before the counts start (the poller learns the gaps from the first ones). */
const warmUpRequests = 5;

function sleepUntil(whenMs: number): void {
  const waitMs = whenMs - performance.now();
  if (waitMs > 0) Atomics.wait(sleeper, 0, 0, waitMs);
}

/**
 * Serve `count` requests arriving `gapMs` apart; count empty reads and poll(2) calls (after
 * the warm-up requests).
 */
async function serveArrivals(count: number, gapMs: number) {
  let served = 0;
  let nextDueMs = performance.now() + gapMs;
  let emptyReads = 0;
  let polls = 0;
  const session = { inflight: new Map(), ops: {}, handle: () => undefined };
  const fakeWorker = { postMessage() {}, terminate() {}, onmessage: null };
  const { closed } = serveByPolling(session as never, {
    fd: 99,
    slotCount: 2,
    spinMs: 0.2,
    burstRequestsMax: 1_000_000,
    burstMs: 60_000,
    activeMs: 60_000, // always wait in poll(2) here, never hand over to the Worker
    blockMs: 50,
    poll: (_fd, timeoutMs) => {
      if (served > warmUpRequests) polls++;
      sleepUntil(Math.min(nextDueMs, performance.now() + timeoutMs));
      return performance.now() >= nextDueMs ? 1 : 0;
    },
    read: () => {
      if (served === count) return ENODEV;
      if (performance.now() < nextDueMs) {
        if (served > warmUpRequests) emptyReads++;
        return EAGAIN;
      }
      served++;
      nextDueMs = performance.now() + gapMs;
      return 40;
    },
    setNonBlocking: () => 0,
    startWorker: () => fakeWorker as never,
  });
  await closed;
  return { served, emptyReads, polls };
}

test("requests far apart: the spin stops after a few misses", async () => {
  const far = await serveArrivals(30, 3);
  expect(far.served).toBe(30);
  // A spin of 0.2 ms is dozens of empty reads; without it, about one per request.
  expect(far.emptyReads).toBeLessThan(25 * 3);
  expect(far.polls).toBeGreaterThanOrEqual(20);
});

test("requests close together: the poller spins instead of sleeping in poll(2)", async () => {
  const near = await serveArrivals(300, 0.05);
  expect(near.served).toBe(300);
  // Loose bounds: a loaded machine may stretch a few gaps past the spin.
  expect(near.emptyReads).toBeGreaterThan(150);
  expect(near.polls).toBeLessThan(100);
});
