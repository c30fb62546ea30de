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
  /**
   * How long to keep polling after the last request before sleeping. Waking a sleeping
   * thread costs tens of microseconds on a VM (an IPI and a VM exit each way), so a client
   * issuing request after request (tar, a shell loop) is served far faster by a short spin.
   * Spinning stops paying when requests come further apart: see `spinMissesMax`.
   */
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
/**
 * After this many requests in a row that came later than `spinMs` after the previous one, the
 * poller stops spinning (a spin would only burn CPU) until a request comes within `spinMs`
 * again: a `rm` per file from a shell loop (a fork and exec between requests) measured 5.2 s
 * of CPU with a blind 0.2 ms spin, 3.1 s without.
 */
const spinMissesMax = 4;
const settleTurnsMax = 16;
const EINTR = -4;
const ENOENT = -2;
const ENODEV = -19;

type Closed = { error?: string };

/** What to do after a read that found nothing. */
type Idle = "retry" | "yield" | "sleep";

class DevicePoller {
  private readonly buffers: Uint8Array[];
  private readonly free: number[];
  private readonly control = new SharedArrayBuffer(4);
  private readonly controlWord = new Int32Array(this.control);
  private readonly poller: Worker;
  private draining = false;
  private waitingForSlot = false;
  private finished = false;
  private lastRequestMs = performance.now();
  private spinMisses = 0;
  private resolveClosed: (value: Closed) => void = () => {};
  readonly closed = new Promise<Closed>((resolve) => {
    this.resolveClosed = resolve;
  });

  constructor(
    private readonly session: FuseSession,
    private readonly options: PollerOptions,
  ) {
    const rc = options.setNonBlocking(options.fd);
    if (rc < 0) throw new Error(`Cannot serve /dev/fuse: O_NONBLOCK failed with errno ${-rc}`);
    this.buffers = Array.from(
      { length: options.slotCount },
      () => new Uint8Array(requestBufferBytes),
    );
    this.free = this.buffers.map((_b, i) => i);
    this.poller = options.startWorker("platform/fd-poller.worker.ts");
    this.poller.onmessage = () => void this.drain();
    this.poller.postMessage({ fd: options.fd, control: this.control });
  }

  finish(result: Closed): void {
    if (this.finished) return;
    this.finished = true;
    this.poller.terminate();
    this.resolveClosed(result);
  }

  /** Hands waiting to the poller Worker: it wakes us when the device is readable. */
  private sleep(): void {
    Atomics.store(this.controlWord, 0, 1);
    Atomics.notify(this.controlWord, 0);
  }

  private release(slot: number): void {
    this.free.push(slot);
    if (this.waitingForSlot) {
      this.waitingForSlot = false;
      void this.drain();
    }
  }

  /** Reads and dispatches requests until the device is quiet, a burst ends, or it closes. */
  async drain(): Promise<void> {
    if (this.draining || this.finished) return;
    this.draining = true;
    const burstStartMs = performance.now();
    let handled = 0;
    for (;;) {
      const slot = this.free.pop();
      if (slot === undefined) {
        this.waitingForSlot = true;
        break;
      }
      const buffer = this.buffers[slot] as Uint8Array;
      const length = this.options.read(this.options.fd, buffer);
      if (length > 0) {
        const gapMs = performance.now() - this.lastRequestMs;
        this.spinMisses = gapMs <= this.options.spinMs ? 0 : this.spinMisses + 1;
        const pending = this.session.handle(buffer.subarray(0, length), this.options.fd, buffer);
        if (pending === undefined) this.free.push(slot);
        else pending.finally(() => this.release(slot));
        handled++;
        await null;
        this.lastRequestMs = performance.now();
        const burstMs = this.lastRequestMs - burstStartMs;
        if (handled >= this.options.burstRequestsMax || burstMs > this.options.burstMs) {
          return this.yieldToEventLoop();
        }
        continue;
      }
      this.free.push(slot);
      if (length === EINTR || length === ENOENT) continue;
      if (length !== EAGAIN) {
        this.draining = false;
        this.finish(length === ENODEV || length === 0 ? {} : { error: `read: errno ${-length}` });
        return;
      }
      const idle = await this.whenEmpty();
      if (idle === "retry") continue;
      if (idle === "yield") return this.yieldToEventLoop();
      this.sleep();
      break;
    }
    this.draining = false;
  }

  private yieldToEventLoop(): void {
    this.draining = false;
    setImmediate(() => void this.drain());
  }

  /**
   * The device is empty: spin a little (`spinMs`), or while requests keep coming wait in
   * poll(2) right here (one wake-up per request), or let the poller Worker wait.
   */
  private async whenEmpty(): Promise<Idle> {
    const quietMs = performance.now() - this.lastRequestMs;
    if (quietMs < this.options.spinMs && this.spinMisses < spinMissesMax) {
      await null;
      return "retry";
    }
    // Handlers that finish without real I/O settle within a few microtask turns.
    const inflight = this.session.inflight;
    for (let turn = 0; turn < settleTurnsMax && inflight.size > 0; turn++) await null;
    // Background work of the filesystem fills the gap until the next request.
    if (this.session.ops.idle !== undefined && (await this.session.ops.idle())) return "retry";
    if (quietMs >= this.options.activeMs || inflight.size > 0) return "sleep";
    return this.options.poll(this.options.fd, this.options.blockMs) > 0 ? "retry" : "yield";
  }
}

export function serveByPolling(
  session: FuseSession,
  options: PollerOptions,
): { closed: Promise<Closed>; stop(): void } {
  const poller = new DevicePoller(session, options);
  void poller.drain();
  return { closed: poller.closed, stop: () => poller.finish({}) };
}
