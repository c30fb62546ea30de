/**
 * Runs umount2(2) off the main thread. Unmounting a FUSE filesystem makes the kernel send
 * DESTROY and wait for its reply; if the serving process's main thread were blocked in the
 * syscall, nobody could answer. Message in: `{ target, flags }`; out: the result (0 or -errno).
 */
import { sysUmount2 } from "./libc.ts";

declare const self: Worker;

self.onmessage = (event: MessageEvent<{ target: string; flags: number }>) => {
  self.postMessage(sysUmount2(event.data.target, event.data.flags));
};
