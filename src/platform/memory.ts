/**
 * A soft cap on the resident memory of a long-running process that churns through large
 * buffers (the filesystem mount): the collector frees dead ArrayBuffers late, so a streaming
 * workload left 400-550 MB resident where 150 MB were live (measured, `qss mount`, 256 MiB
 * written then read). While the resident set is above the threshold, a full collection runs
 * at most every `intervalMs`. When a collection leaves more than the threshold resident (the
 * memory is live), the threshold rises to 1.5x what is left, so live memory never makes it
 * collect in a loop; it falls back as memory is released. Bun-only (`Bun.gc`); elsewhere a no-op.
 */

interface BunGc {
  gc(force: boolean): void;
}

export interface MemoryGuardOptions {
  softLimitBytes: number;
  intervalMs: number;
}

export interface MemoryGuard {
  /** Collections run so far. */
  readonly collections: number;
  stop(): void;
}

const liveHeadroom = 1.5;

export function startMemoryGuard(options: MemoryGuardOptions): MemoryGuard {
  const bun = (globalThis as { Bun?: BunGc }).Bun;
  let collections = 0;
  let thresholdBytes = options.softLimitBytes;
  const timer = setInterval(() => {
    if (bun === undefined) return;
    const rssBytes = process.memoryUsage.rss();
    if (rssBytes < thresholdBytes) {
      thresholdBytes = Math.max(
        options.softLimitBytes,
        Math.min(thresholdBytes, rssBytes * liveHeadroom),
      );
      return;
    }
    bun.gc(true);
    collections++;
    thresholdBytes = Math.max(options.softLimitBytes, process.memoryUsage.rss() * liveHeadroom);
  }, options.intervalMs);
  timer.unref?.();
  return {
    get collections() {
      return collections;
    },
    stop: () => clearInterval(timer),
  };
}
