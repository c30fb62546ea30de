/**
 * Page-cache hints (sync_file_range to start writeback, posix_fadvise DONTNEED to drop clean
 * pages) for large ranges, run by a Worker: dropping 32 MiB of pages costs the kernel ~4 ms of
 * CPU, which on the event-loop thread was ~10 % of a sequential write's time.
 *
 * The descriptor must stay open until the hint ran; if it was closed and its number reused
 * meanwhile, the hint reaches another file, which is harmless (writeback starts early, clean
 * pages are dropped): these calls never change file contents.
 */
import { startWorker } from "./workers.ts";

export interface PageCacheJob {
  fd: number;
  writebackFrom: number;
  writebackLength: number;
  dropFrom: number;
  dropLength: number;
}

let worker: Worker | null = null;

export function hintPageCache(job: PageCacheJob): void {
  if (worker === null) {
    worker = startWorker("platform/page-cache.worker.ts");
    // Never keeps the process alive (Bun's Worker has unref, the DOM type does not say so).
    (worker as Worker & { unref(): void }).unref();
  }
  worker.postMessage(job);
}
