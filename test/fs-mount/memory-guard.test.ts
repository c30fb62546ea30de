import { afterEach, expect, test } from "bun:test";
import { type MemoryGuard, startMemoryGuard } from "../../src/platform/memory.ts";

let guard: MemoryGuard | null = null;
afterEach(() => {
  guard?.stop();
  guard = null;
});

test("the memory guard collects while the resident set is above its limit", async () => {
  guard = startMemoryGuard({ softLimitBytes: 1, intervalMs: 10 });
  await Bun.sleep(120);
  expect(guard.collections).toBeGreaterThan(0);
});

test("the memory guard stays idle below its limit", async () => {
  guard = startMemoryGuard({ softLimitBytes: 2 ** 50, intervalMs: 10 });
  await Bun.sleep(60);
  expect(guard.collections).toBe(0);
});
