/**
 * Serves a session from the main thread: reads /dev/fuse without blocking (O_NONBLOCK, read(2)
 * through FFI), dispatches each request at once, and after a request keeps polling the device
 * for `spinMs` before going idle, so a client's next request is picked up without any thread
 * wake-up. Idle, a poller Worker waits in poll(2) and wakes the main thread. Bursts are bounded
 * (`burstRequestsMax`, `burstMs`) so timers and other I/O of the process keep running.
 * Requests stay in their buffer (a view: no copy) until their handler settles.
 */
import { requestBufferBytes } from "./abi.ts";
import type { FuseSession } from "./session.ts";

export interface PollerOptions {
  fd: number;
  /** Requests in flight at most (each holds one request buffer). */
  slotCount: number;
  /** How long to keep polling after the last request before sleeping. */
  spinMs: number;
  burstRequestsMax: number;
  burstMs: number;
  /**
   * While requests keep coming (within `activeMs` of the last one) and none is in flight, the
   * main thread waits in poll(2) itself for up to `blockMs` (one wake-up per request, like a C
   * server), then returns to the event loop; after `activeMs` of silence the poller Worker
   * takes over (no CPU used while idle).
   */
  activeMs: number;
  blockMs: number;
  poll: (fd: number, timeoutMs: number) => number;
  read: (fd: number, buffer: Uint8Array) => number;
  setNonBlocking: (fd: number) => number;
  startWorker: (path: string) => Worker;
}

const EAGAIN = -11;
const settleTurnsMax = 16;
const EINTR = -4;
const ENOENT = -2;
const ENODEV = -19;

export function serveByPolling(
  session: FuseSession,
  options: PollerOptions,
): { closed: Promise<{ error?: string }>; stop(): void } {
  const rc = options.setNonBlocking(options.fd);
  if (rc < 0) throw new Error(`Cannot serve /dev/fuse: O_NONBLOCK failed with errno ${-rc}`);
  const buffers = Array.from(
    { length: options.slotCount },
    () => new Uint8Array(requestBufferBytes),
  );
  const free = buffers.map((_b, i) => i);
  const control = new SharedArrayBuffer(4);
  const controlWord = new Int32Array(control);
  const poller = options.startWorker("platform/fd-poller.worker.ts");
  let draining = false;
  let lastRequest = performance.now();
  let waitingForSlot = false;
  let finished = false;
  let resolveClosed: (value: { error?: string }) => void = () => {};
  const closed = new Promise<{ error?: string }>((resolve) => {
    resolveClosed = resolve;
  });

  const finish = (result: { error?: string }): void => {
    if (finished) return;
    finished = true;
    poller.terminate();
    resolveClosed(result);
  };
  const sleep = (): void => {
    Atomics.store(controlWord, 0, 1);
    Atomics.notify(controlWord, 0);
  };
  const release = (slot: number): void => {
    free.push(slot);
    if (waitingForSlot) {
      waitingForSlot = false;
      void drain();
    }
  };

  async function drain(): Promise<void> {
    if (draining || finished) return;
    draining = true;
    const burstStart = performance.now();
    let handled = 0;
    for (;;) {
      const slot = free.pop();
      if (slot === undefined) {
        waitingForSlot = true;
        break;
      }
      const buffer = buffers[slot] as Uint8Array;
      const length = options.read(options.fd, buffer);
      if (length > 0) {
        const pending = session.handle(buffer.subarray(0, length), options.fd);
        if (pending === undefined) free.push(slot);
        else pending.finally(() => release(slot));
        handled++;
        await null;
        lastRequest = performance.now();
        if (handled >= options.burstRequestsMax || lastRequest - burstStart > options.burstMs) {
          draining = false;
          setImmediate(drain);
          return;
        }
        continue;
      }
      free.push(slot);
      if (length === EAGAIN) {
        const quietMs = performance.now() - lastRequest;
        if (quietMs < options.spinMs) {
          await null;
          continue;
        }
        // Handlers that finish without real I/O settle within a few microtask turns.
        for (let turn = 0; turn < settleTurnsMax && session.inflight.size > 0; turn++) await null;
        if (quietMs < options.activeMs && session.inflight.size === 0) {
          if (options.poll(options.fd, options.blockMs) > 0) continue;
          draining = false;
          setImmediate(drain);
          return;
        }
        sleep();
        break;
      }
      if (length === EINTR || length === ENOENT) continue;
      draining = false;
      finish(length === ENODEV || length === 0 ? {} : { error: `read failed: errno ${-length}` });
      return;
    }
    draining = false;
  }

  poller.onmessage = () => {
    void drain();
  };
  poller.postMessage({ fd: options.fd, control });
  void drain();
  return { closed, stop: () => finish({}) };
}
