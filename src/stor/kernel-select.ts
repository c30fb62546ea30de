/**
 * Picks the GF(2^8) kernel once per thread: WebAssembly relaxed SIMD, else plain SIMD, when the
 * runtime runs it correctly, else the TypeScript fallback. `QSS_CODEC=ts` forces the fallback,
 * `QSS_CODEC=wasm` requires a WASM kernel.
 */
import { qssError } from "../base/errors.ts";
import type { GfKernel } from "./kernel.ts";
import { tsKernel } from "./kernel-ts.ts";
import { createWasmKernel, type WasmKernelVariant } from "./kernel-wasm.ts";

let selected: GfKernel | undefined;

/** The first WASM build that compiles and passes the self-test (relaxed first by default). */
export function tryWasmKernel(
  order: WasmKernelVariant[] = ["relaxed", "plain"],
): GfKernel | undefined {
  for (const variant of order) {
    try {
      const kernel = createWasmKernel(variant);
      if (selfTest(kernel)) return kernel;
    } catch {
      // this runtime cannot compile the variant: try the next
    }
  }
  return undefined;
}

/** A small product checked against the fallback, so a miscompiling runtime is never used. */
function selfTest(kernel: GfKernel): boolean {
  const inputs = [0, 1, 2].map((seed) =>
    Uint8Array.from({ length: 200 }, (_, i) => (i * 37 + seed * 101) & 255),
  );
  const coefficients = Uint8Array.from([1, 2, 3, 142, 0, 255]);
  const fast = [new Uint8Array(200), new Uint8Array(200)];
  const slow = [new Uint8Array(200), new Uint8Array(200)];
  kernel.multiply(coefficients, inputs, fast, 200);
  tsKernel.multiply(coefficients, inputs, slow, 200);
  return fast.every((row, r) => row.every((byte, i) => byte === slow[r]?.[i]));
}

export function defaultKernel(): GfKernel {
  if (selected) return selected;
  const wanted = process.env.QSS_CODEC ?? "auto";
  if (wanted === "ts") selected = tsKernel;
  else if (wanted === "wasm" || wanted === "auto") {
    const wasm = tryWasmKernel();
    if (!wasm && wanted === "wasm") {
      throw qssError(
        "UNSUPPORTED",
        "Cannot use QSS_CODEC=wasm: this runtime lacks WebAssembly SIMD",
      );
    }
    selected = wasm ?? tsKernel;
  } else {
    throw qssError("CONFIG_INVALID", `Cannot use QSS_CODEC=${wanted}: expected ts, wasm or auto`);
  }
  return selected;
}
