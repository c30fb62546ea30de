/**
 * Runs page-cache hints off the event-loop thread (see src/platform/page-cache.ts). Message in:
 * a PageCacheJob. Nothing goes back: a hint that fails only changes how much memory the cache
 * uses, never what is stored.
 */
import { dropCachedPages, startWriteback } from "./libc.ts";
import type { PageCacheJob } from "./page-cache.ts";

declare const self: Worker;

self.onmessage = (event: MessageEvent<PageCacheJob>) => {
  const job = event.data;
  if (job.writebackLength > 0) startWriteback(job.fd, job.writebackFrom, job.writebackLength);
  if (job.dropLength > 0) dropCachedPages(job.fd, job.dropFrom, job.dropLength);
};
