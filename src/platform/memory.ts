/**
 * A soft cap on the resident memory of a long-running process that churns through large
 * buffers (the filesystem mount): the collector frees dead ArrayBuffers late, so a streaming
 * workload left 400-550 MB resident where 150 MB were live (measured, `qss mount`, 256 MiB
 * written then read). While the resident set is above the threshold, a full collection runs
 * at most every `intervalMs`. When a collection leaves more than the threshold resident (the
 * memory is live), the threshold rises to what is left plus a quarter of the soft limit, so
 * live memory does not make it collect on every tick; it falls back as memory is released.
 * Bun-only (`Bun.gc`); elsewhere a no-op.
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

/** Headroom above live memory before the next collection, as a fraction of the soft limit. */
const headroomFraction = 0.25;

export function startMemoryGuard(options: MemoryGuardOptions): MemoryGuard {
  const bun = (globalThis as { Bun?: BunGc }).Bun;
  let collections = 0;
  const headroomBytes = options.softLimitBytes * headroomFraction;
  let thresholdBytes = options.softLimitBytes;
  const timer = setInterval(() => {
    if (bun === undefined) return;
    const rssBytes = process.memoryUsage.rss();
    if (rssBytes < thresholdBytes) {
      thresholdBytes = Math.max(
        options.softLimitBytes,
        Math.min(thresholdBytes, rssBytes + headroomBytes),
      );
      return;
    }
    bun.gc(true);
    collections++;
    thresholdBytes = Math.max(options.softLimitBytes, process.memoryUsage.rss() + headroomBytes);
  }, options.intervalMs);
  timer.unref?.();
  return {
    get collections() {
      return collections;
    },
    stop: () => clearInterval(timer),
  };
}
