import { expect, test } from "bun:test";
import { runQss } from "../helpers/run.ts";

test("qss selftest rebuilds an object without m data shards and reports the kernel", () => {
  const result = runQss(["selftest", "--size", "3M", "--shards", "5+3", "--json"]);
  expect(result.stderr).toBe("");
  expect(result.exitCode).toBe(0);
  const report = JSON.parse(result.stdout);
  expect(report.sizeBytes).toBe(3 * 2 ** 20);
  expect(report.shards).toBe("5+3");
  expect(report.lostShards).toEqual([0, 1, 2]);
  expect(report.checksum).toMatch(/^[0-9a-f]{32}$/);
  expect(report.kernel).toMatch(/^wasm-/);
  expect(report.encodeMBps).toBeGreaterThan(0);
});

test("QSS_CODEC=ts runs the self-test on the TypeScript kernel", () => {
  const result = runQss(["selftest", "--size", "1M", "--json"], { env: { QSS_CODEC: "ts" } });
  expect(result.exitCode).toBe(0);
  expect(JSON.parse(result.stdout).kernel).toBe("ts");
});

test("qss selftest refuses bad shapes and sizes with a usage error", () => {
  const shape = runQss(["selftest", "--shards", "4-2"]);
  expect(shape.exitCode).toBe(2);
  expect(shape.stderr).toContain("expected data+parity like 4+2");
  const size = runQss(["selftest", "--size", "5G"]);
  expect(size.exitCode).toBe(2);
  expect(size.stderr).toContain("Cannot run the self-test");
});
