import { expect, test } from "bun:test";
import { spawnSync } from "node:child_process";

const selector = new URL("../../src/stor/kernel-select.ts", import.meta.url).pathname;

function kernelWith(value: string | undefined): { status: number | null; out: string } {
  const script = `const { defaultKernel } = await import(${JSON.stringify(selector)}); try { console.log(defaultKernel().name) } catch (e) { console.log(e.code + ": " + e.message) }`;
  const env = { ...process.env };
  if (value === undefined) delete env.QSS_CODEC;
  else env.QSS_CODEC = value;
  const run = spawnSync(process.execPath, ["-e", script], {
    encoding: "utf8",
    env,
    timeout: 30_000,
  });
  return { status: run.status, out: run.stdout.trim() };
}

test("the kernel is picked at start-up; QSS_CODEC forces or rejects", () => {
  // Bun runs relaxed SIMD, so the relaxed build is picked over the plain one.
  expect(kernelWith(undefined).out).toBe("wasm-relaxed-simd");
  expect(kernelWith("ts").out).toBe("ts");
  expect(kernelWith("wasm").out).toBe("wasm-relaxed-simd");
  expect(kernelWith("avx9").out).toMatch(/^CONFIG_INVALID: Cannot use QSS_CODEC=avx9/);
});
