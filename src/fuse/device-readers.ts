/**
 * Serves a session from several reader Workers, each blocked in `readSync` on /dev/fuse (or on
 * its own clone of it, FUSE_DEV_IOC_CLONE), each with its own slots in one SharedArrayBuffer.
 * A request stays in its slot (passed as a view: no copy) until its handler settles; then the
 * slot is freed for the next read. Resolves `closed` when the kernel ends the session (ENODEV).
 */
import { requestBufferBytes } from "./abi.ts";
import type { ReaderSetup } from "./device-reader.worker.ts";
import type { FuseSession } from "./session.ts";

/** Must match `slotIndexFactor` in device-reader.worker.ts (kept apart: a worker module). */
const slotIndexFactor = 2 ** 22;

export interface ReaderOptions {
  /** The fd of each reader: the session fd, or clones of it. */
  fds: number[];
  slotsPerReader: number;
  startWorker: (path: string) => Worker;
}

export interface DeviceReaders {
  closed: Promise<{ error?: string }>;
  stop(): void;
}

export function serveWithReaders(session: FuseSession, options: ReaderOptions): DeviceReaders {
  const slotBytes = requestBufferBytes;
  const slotCount = options.fds.length * options.slotsPerReader;
  const buffer = new SharedArrayBuffer(slotCount * slotBytes);
  const states = new SharedArrayBuffer(slotCount * 4);
  const stateWords = new Int32Array(states);
  const views: Uint8Array[] = [];
  const fdOfSlot: number[] = [];
  for (let slot = 0; slot < slotCount; slot++) {
    views.push(new Uint8Array(buffer, slot * slotBytes, slotBytes));
    fdOfSlot.push(options.fds[Math.floor(slot / options.slotsPerReader)] as number);
  }
  const release = (slot: number): void => {
    Atomics.store(stateWords, slot, 0);
    Atomics.notify(stateWords, slot);
  };
  const workers: Worker[] = [];
  let open = options.fds.length;
  let resolveClosed: (value: { error?: string }) => void = () => {};
  const closed = new Promise<{ error?: string }>((resolve) => {
    resolveClosed = resolve;
  });
  const onMessage = (event: MessageEvent<number | { error: string }>): void => {
    const message = event.data;
    if (typeof message !== "number" || message < 0) {
      open--;
      if (typeof message !== "number") resolveClosed({ error: message.error });
      else if (open === 0) resolveClosed({});
      return;
    }
    const slot = Math.floor(message / slotIndexFactor);
    const length = message - slot * slotIndexFactor;
    const view = views[slot] as Uint8Array;
    const pending = session.handle(view.subarray(0, length), fdOfSlot[slot] as number, view);
    if (pending === undefined) release(slot);
    else pending.finally(() => release(slot));
  };
  options.fds.forEach((fd, index) => {
    const worker = options.startWorker("fuse/device-reader.worker.ts");
    worker.onmessage = onMessage;
    const setup: ReaderSetup = {
      fd,
      buffer,
      states,
      slotFirst: index * options.slotsPerReader,
      slotCount: options.slotsPerReader,
      slotBytes,
    };
    worker.postMessage(setup);
    workers.push(worker);
  });
  return {
    closed,
    stop: () => {
      for (const worker of workers) worker.terminate();
    },
  };
}
