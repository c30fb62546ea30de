/**
 * The WebAssembly SIMD GF(2^8) kernel (gf-simd.wat). Shards are copied through the module's
 * memory in chunks sized to stay in cache, so shards of any length work with bounded memory.
 */
import { assert } from "../base/assert.ts";
import { wasmBase64 } from "./gf-simd.wasm.ts";
import { gfNibbleTables } from "./gf256.ts";
import type { GfKernel } from "./kernel.ts";

/** Bytes of all input chunks together per call: about an L2 cache. */
const chunkInputBytesMax = 256 * 1024;
const chunkBytesMin = 4096;
const chunkBytesMax = 64 * 1024;
const tablesBytes = 256 * 32;
const coefficientBytesMax = 256 * 256;
const pageBytes = 65536;

interface SimdExports {
  memory: WebAssembly.Memory;
  mul_matrix(
    coef: number,
    rows: number,
    cols: number,
    inBase: number,
    outBase: number,
    stride: number,
    length: number,
  ): void;
  xor_row(cols: number, inBase: number, out: number, stride: number, length: number): void;
  mul_rows2(
    coef0: number,
    coef1: number,
    cols: number,
    inBase: number,
    out0: number,
    out1: number,
    stride: number,
    length: number,
  ): void;
}

/** How each chunk's output rows are computed: all-ones rows by xor, others two at a time. */
function planRows(
  coefficients: Uint8Array,
  rows: number,
  columns: number,
): { xorRows: number[]; mulRows: number[] } {
  const xorRows: number[] = [];
  const mulRows: number[] = [];
  for (let row = 0; row < rows; row++) {
    const cells = coefficients.subarray(row * columns, (row + 1) * columns);
    (cells.every((c) => c === 1) ? xorRows : mulRows).push(row);
  }
  return { xorRows, mulRows };
}

function roundUp(value: number, multiple: number): number {
  return Math.ceil(value / multiple) * multiple;
}

export function createWasmKernel(): GfKernel {
  const bytes = Uint8Array.from(atob(wasmBase64), (c) => c.charCodeAt(0));
  const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes), {});
  const simd = instance.exports as unknown as SimdExports;
  new Uint8Array(simd.memory.buffer).set(gfNibbleTables(), 0);
  const coefficientBase = tablesBytes;
  const dataBase = tablesBytes + coefficientBytesMax;

  function ensureMemory(bytesNeeded: number): Uint8Array {
    const have = simd.memory.buffer.byteLength;
    if (bytesNeeded > have) simd.memory.grow(Math.ceil((bytesNeeded - have) / pageBytes));
    return new Uint8Array(simd.memory.buffer);
  }

  return {
    name: "wasm-simd",
    multiply(coefficients, inputs, outputs, byteLength) {
      const columns = inputs.length;
      const rows = outputs.length;
      assert(coefficients.length === columns * rows, "coefficient matrix shape");
      assert(coefficients.length <= coefficientBytesMax, "coefficient matrix too large");
      if (rows === 0 || byteLength === 0) return;
      const chunk = Math.min(
        chunkBytesMax,
        Math.max(chunkBytesMin, roundUp(Math.floor(chunkInputBytesMax / columns), 64)),
      );
      const stride = roundUp(Math.min(chunk, byteLength), 64);
      const outBase = dataBase + columns * stride;
      const memory = ensureMemory(outBase + rows * stride);
      memory.set(coefficients, coefficientBase);
      const plan = planRows(coefficients, rows, columns);
      for (let offset = 0; offset < byteLength; offset += chunk) {
        const length = Math.min(chunk, byteLength - offset);
        for (let column = 0; column < columns; column++) {
          const input = inputs[column] as Uint8Array;
          assert(input.length >= byteLength, "input shard too short");
          memory.set(input.subarray(offset, offset + length), dataBase + column * stride);
        }
        const computed = roundUp(length, 64);
        for (const row of plan.xorRows) {
          simd.xor_row(columns, dataBase, outBase + row * stride, stride, computed);
        }
        for (let i = 0; i + 1 < plan.mulRows.length; i += 2) {
          const a = plan.mulRows[i] as number;
          const b = plan.mulRows[i + 1] as number;
          const [coefA, coefB] = [coefficientBase + a * columns, coefficientBase + b * columns];
          const [outA, outB] = [outBase + a * stride, outBase + b * stride];
          simd.mul_rows2(coefA, coefB, columns, dataBase, outA, outB, stride, computed);
        }
        if (plan.mulRows.length % 2 === 1) {
          const row = plan.mulRows[plan.mulRows.length - 1] as number;
          const coef = coefficientBase + row * columns;
          simd.mul_matrix(coef, 1, columns, dataBase, outBase + row * stride, stride, computed);
        }
        for (let row = 0; row < rows; row++) {
          const output = outputs[row] as Uint8Array;
          assert(output.length >= byteLength, "output shard too short");
          const from = outBase + row * stride;
          output.set(memory.subarray(from, from + length), offset);
        }
      }
    },
  };
}
