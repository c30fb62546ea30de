/**
 * umount2(2) from a Worker, for a process that serves the filesystem it unmounts (see
 * `umount.worker.ts`). Resolves to 0 or -errno.
 *
 * @example
 * const rc = await umountInWorker("/mnt/qss", UmountFlags.DETACH);
 */
import { startWorker } from "./workers.ts";

export function umountInWorker(target: string, flags: number): Promise<number> {
  const worker = startWorker("platform/umount.worker.ts");
  return new Promise((resolve) => {
    worker.onmessage = (event: MessageEvent<number>) => {
      worker.terminate();
      resolve(event.data);
    };
    worker.onerror = () => {
      worker.terminate();
      resolve(-5);
    };
    worker.postMessage({ target, flags });
  });
}
