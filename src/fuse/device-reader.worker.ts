/**
 * A reader of /dev/fuse: blocks in `readSync` (never on the main thread, whose async file pool
 * a blocked read would starve) into request slots of a SharedArrayBuffer, and posts
 * `slot * slotIndexFactor + length` to the session. The session frees a slot by storing 0 in
 * its state word and notifying; this worker waits on a slot still in use.
 * Messages out: a number ≥ 0 (a request), `-1` (ENODEV: unmounted), or `{ error }`.
 */
import { readSync } from "node:fs";

export interface ReaderSetup {
  fd: number;
  buffer: SharedArrayBuffer;
  states: SharedArrayBuffer;
  slotFirst: number;
  slotCount: number;
  slotBytes: number;
}

export const slotIndexFactor = 2 ** 22;
const retryCodes = new Set(["EINTR", "EAGAIN", "ENOENT"]);

declare const self: Worker;

function serve(setup: ReaderSetup): void {
  const states = new Int32Array(setup.states);
  const views: Uint8Array[] = [];
  for (let i = 0; i < setup.slotCount; i++) {
    const slot = setup.slotFirst + i;
    views.push(new Uint8Array(setup.buffer, slot * setup.slotBytes, setup.slotBytes));
  }
  let next = 0;
  for (;;) {
    const slot = setup.slotFirst + next;
    while (Atomics.load(states, slot) !== 0) Atomics.wait(states, slot, 1);
    let length: number;
    try {
      length = readSync(setup.fd, views[next] as Uint8Array, 0, setup.slotBytes, null);
    } catch (error) {
      const code = (error as { code?: string }).code ?? "";
      if (retryCodes.has(code)) continue;
      self.postMessage(code === "ENODEV" ? -1 : { error: String(error) });
      return;
    }
    Atomics.store(states, slot, 1);
    self.postMessage(slot * slotIndexFactor + length);
    next = (next + 1) % setup.slotCount;
  }
}

self.onmessage = (event: MessageEvent<ReaderSetup>) => serve(event.data);
