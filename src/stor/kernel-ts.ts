/**
 * Portable GF(2^8) matrix kernel in plain TypeScript: one 256-byte table row per coefficient.
 * Slower than the SIMD kernel, byte-for-byte identical; `QSS_CODEC=ts` forces it.
 */
import { assert } from "../base/assert.ts";
import { gfMulTable } from "./gf256.ts";
import type { GfKernel } from "./kernel.ts";

export const tsKernel: GfKernel = {
  name: "ts",
  allocate: (bytes) => new Uint8Array(bytes),
  multiply(coefficients, inputs, outputs, byteLength) {
    const columns = inputs.length;
    assert(coefficients.length === columns * outputs.length, "coefficient matrix shape");
    for (let row = 0; row < outputs.length; row++) {
      const output = outputs[row] as Uint8Array;
      assert(output.length >= byteLength, "output shard too short");
      output.fill(0, 0, byteLength);
      for (let column = 0; column < columns; column++) {
        const input = inputs[column] as Uint8Array;
        assert(input.length >= byteLength, "input shard too short");
        multiplyAdd(coefficients[row * columns + column] as number, input, output, byteLength);
      }
    }
  },
};

function multiplyAdd(coefficient: number, input: Uint8Array, output: Uint8Array, length: number) {
  if (coefficient === 0) return;
  if (coefficient === 1) {
    for (let i = 0; i < length; i++) output[i] = (output[i] as number) ^ (input[i] as number);
    return;
  }
  const table = gfMulTable.subarray(coefficient * 256, coefficient * 256 + 256);
  for (let i = 0; i < length; i++) {
    output[i] = (output[i] as number) ^ (table[input[i] as number] as number);
  }
}
