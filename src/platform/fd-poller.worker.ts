/**
 * Waits, off the main thread, until an fd is readable, and says so. Control word (Int32 in a
 * SharedArrayBuffer): the main thread stores 1 and notifies when it wants a wake-up; this
 * worker then polls, stores 0 and posts "readable" (or "closed" on POLLERR/POLLHUP/POLLNVAL).
 * Message in: `{ fd, control }`.
 */
import { PollEvents, pollOne } from "./libc.ts";

declare const self: Worker;

const EINTR = -4;

function run(fd: number, control: Int32Array): void {
  for (;;) {
    while (Atomics.load(control, 0) === 0) Atomics.wait(control, 0, 0);
    const revents = pollOne(fd, PollEvents.IN, -1);
    if (revents === EINTR) continue;
    Atomics.store(control, 0, 0);
    const closed =
      revents < 0 || (revents & (PollEvents.ERR | PollEvents.HUP | PollEvents.NVAL)) !== 0;
    self.postMessage(closed ? "closed" : "readable");
    if (closed) return;
  }
}

self.onmessage = (event: MessageEvent<{ fd: number; control: SharedArrayBuffer }>) => {
  run(event.data.fd, new Int32Array(event.data.control));
};
