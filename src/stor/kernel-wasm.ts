/**
 * The WebAssembly SIMD GF(2^8) kernel (gf-simd.wat), in two builds of the same source: with
 * relaxed SIMD's `i8x16.relaxed_swizzle` (one x86 pshufb per lookup instead of two instructions;
 * exact here since every index is 0..15) and with the plain `i8x16.swizzle`. The kernel functions take the addresses of
 * their shards, so shards that already live in a module's memory are computed in place:
 * `allocate` gives each buffer its own module instance (its memory sized once, never grown, so
 * views on it stay valid). Shards anywhere else are copied through a scratch instance in chunks
 * sized to stay in cache, so shards of any length work with bounded memory.
 */
import { assert } from "../base/assert.ts";
import { wasmBase64 as plainBase64 } from "./gf-simd.wasm.ts";
import { wasmBase64 as relaxedBase64 } from "./gf-simd-relaxed.wasm.ts";
import { gfNibbleTables } from "./gf256.ts";
import type { GfKernel } from "./kernel.ts";
import { tsKernel } from "./kernel-ts.ts";

/** Bytes of all input chunks together per pass: about an L2 cache. */
const tileInputBytesMax = 256 * 1024;
const tileBytesMin = 4096;
const tileBytesMax = 64 * 1024;
/** The kernel functions compute whole 64-byte steps. */
const stepBytes = 64;
const tablesBytes = 256 * 32;
const coefficientBase = tablesBytes;
const coefficientBytesMax = 256 * 256;
const pointersBase = coefficientBase + coefficientBytesMax;
const pointerBytes = 4;
/** Start of the shards area in every instance: tables, coefficients, input addresses. */
const shardsBase = pointersBase + 256 * pointerBytes;
const pageBytes = 65536;
/** One allocation's bytes: far below the 4 GiB a 32-bit memory can address. */
export const kernelAllocationBytesMax = 1024 * 1024 * 1024;

interface SimdExports {
  memory: WebAssembly.Memory;
  mul_row(coef: number, cols: number, inPtrs: number, out: number, from: number, to: number): void;
  xor_row(cols: number, inPtrs: number, out: number, from: number, to: number): void;
  xor_mul_row(
    coef: number,
    cols: number,
    inPtrs: number,
    outXor: number,
    out: number,
    from: number,
    to: number,
  ): void;
  mul_rows2(
    coef0: number,
    coef1: number,
    cols: number,
    inPtrs: number,
    out0: number,
    out1: number,
    from: number,
    to: number,
  ): void;
}

export type WasmKernelVariant = "relaxed" | "plain";
const variants: Record<WasmKernelVariant, { name: string; base64: string }> = {
  relaxed: { name: "wasm-relaxed-simd", base64: relaxedBase64 },
  plain: { name: "wasm-simd", base64: plainBase64 },
};
const compiled = new Map<WasmKernelVariant, WebAssembly.Module>();

/** Compiling throws on a runtime without the variant's instructions. */
function moduleFor(variant: WasmKernelVariant): WebAssembly.Module {
  let module = compiled.get(variant);
  if (!module) {
    const { base64 } = variants[variant];
    module = new WebAssembly.Module(Uint8Array.from(atob(base64), (c) => c.charCodeAt(0)));
    compiled.set(variant, module);
  }
  return module;
}

/** A module instance whose memory holds the tables, then `shardBytes` of room for shards. */
function instantiate(module: WebAssembly.Module, shardBytes: number): SimdExports {
  const simd = new WebAssembly.Instance(module, {}).exports as unknown as SimdExports;
  const needed = shardsBase + shardBytes;
  const have = simd.memory.buffer.byteLength;
  if (needed > have) simd.memory.grow(Math.ceil((needed - have) / pageBytes));
  new Uint8Array(simd.memory.buffer).set(gfNibbleTables(), 0);
  return simd;
}

function roundUp(value: number, multiple: number): number {
  return Math.ceil(value / multiple) * multiple;
}

/**
 * How output rows are computed: all-ones rows by xor, the others two at a time; an odd one out
 * shares its pass with an all-ones row when there is one (4+2 encode: a single pass).
 */
interface RowPlan {
  xorRows: number[];
  mulRows: number[];
}

function planRows(coefficients: Uint8Array, rows: number, columns: number): RowPlan {
  const plan: RowPlan = { xorRows: [], mulRows: [] };
  for (let row = 0; row < rows; row++) {
    const cells = coefficients.subarray(row * columns, (row + 1) * columns);
    (cells.every((c) => c === 1) ? plan.xorRows : plan.mulRows).push(row);
  }
  return plan;
}

/**
 * Bytes [from, to) of every output row; `outAt(row)` is the row's address. Coefficients and the
 * input addresses are already in the instance's memory.
 */
function runRows(
  simd: SimdExports,
  plan: RowPlan,
  columns: number,
  outAt: (row: number) => number,
  from: number,
  to: number,
): void {
  const coefficientsOf = (row: number) => coefficientBase + row * columns;
  const { xorRows, mulRows } = plan;
  const oddRow = mulRows.length % 2 === 1 ? (mulRows[mulRows.length - 1] as number) : undefined;
  const fusedXorRow = oddRow === undefined ? undefined : xorRows[0];
  for (const row of xorRows) {
    if (row !== fusedXorRow) simd.xor_row(columns, pointersBase, outAt(row), from, to);
  }
  for (let i = 0; i + 1 < mulRows.length; i += 2) {
    const [a, b] = [mulRows[i] as number, mulRows[i + 1] as number];
    const [coefA, coefB] = [coefficientsOf(a), coefficientsOf(b)];
    simd.mul_rows2(coefA, coefB, columns, pointersBase, outAt(a), outAt(b), from, to);
  }
  if (oddRow !== undefined && fusedXorRow !== undefined) {
    const [coef, outXor, out] = [coefficientsOf(oddRow), outAt(fusedXorRow), outAt(oddRow)];
    simd.xor_mul_row(coef, columns, pointersBase, outXor, out, from, to);
  } else if (oddRow !== undefined) {
    simd.mul_row(coefficientsOf(oddRow), columns, pointersBase, outAt(oddRow), from, to);
  }
}

/** Bytes per shard per pass so that all inputs of a pass stay in cache. */
function tileBytesFor(columns: number): number {
  const tile = roundUp(Math.floor(tileInputBytesMax / columns), stepBytes);
  return Math.min(tileBytesMax, Math.max(tileBytesMin, tile));
}

function writeCoefficients(memory: Uint8Array, coefficients: Uint8Array): void {
  assert(coefficients.length <= coefficientBytesMax, "coefficient matrix too large");
  memory.set(coefficients, coefficientBase);
}

export function createWasmKernel(variant: WasmKernelVariant = "relaxed"): GfKernel {
  const module = moduleFor(variant);
  /** Instances made by `allocate`, by their memory's buffer. */
  const owners = new WeakMap<ArrayBufferLike, SimdExports>();
  let scratch: SimdExports | undefined;

  /** Every shard in one allocated buffer: multiply where they are, in 64-byte steps. */
  function multiplyInPlace(
    simd: SimdExports,
    coefficients: Uint8Array,
    inputs: Uint8Array[],
    outputs: Uint8Array[],
    byteLength: number,
  ): void {
    const memory = new Uint8Array(simd.memory.buffer);
    writeCoefficients(memory, coefficients);
    const pointers = new Uint32Array(simd.memory.buffer, pointersBase, inputs.length);
    inputs.forEach((input, column) => {
      pointers[column] = input.byteOffset;
    });
    const plan = planRows(coefficients, outputs.length, inputs.length);
    const outAt = (row: number) => (outputs[row] as Uint8Array).byteOffset;
    const bulk = byteLength - (byteLength % stepBytes);
    const tile = tileBytesFor(inputs.length);
    for (let from = 0; from < bulk; from += tile) {
      runRows(simd, plan, inputs.length, outAt, from, Math.min(bulk, from + tile));
    }
    if (bulk === byteLength) return;
    const tail = (shard: Uint8Array) => shard.subarray(bulk, byteLength);
    tsKernel.multiply(coefficients, inputs.map(tail), outputs.map(tail), byteLength - bulk);
  }

  /** Shards elsewhere: copy chunks of the inputs in, compute, copy the outputs out. */
  function multiplyCopying(
    coefficients: Uint8Array,
    inputs: Uint8Array[],
    outputs: Uint8Array[],
    byteLength: number,
  ): void {
    const [columns, rows] = [inputs.length, outputs.length];
    const chunk = tileBytesFor(columns);
    const stride = roundUp(Math.min(chunk, byteLength), stepBytes);
    const outBase = shardsBase + columns * stride;
    const needed = columns * stride + rows * stride;
    if (!scratch || scratch.memory.buffer.byteLength < shardsBase + needed) {
      scratch = instantiate(module, needed);
    }
    const simd = scratch;
    const memory = new Uint8Array(simd.memory.buffer);
    writeCoefficients(memory, coefficients);
    const pointers = new Uint32Array(simd.memory.buffer, pointersBase, columns);
    for (let column = 0; column < columns; column++) {
      pointers[column] = shardsBase + column * stride;
    }
    const plan = planRows(coefficients, rows, columns);
    const outAt = (row: number) => outBase + row * stride;
    for (let offset = 0; offset < byteLength; offset += chunk) {
      const length = Math.min(chunk, byteLength - offset);
      inputs.forEach((input, column) => {
        memory.set(input.subarray(offset, offset + length), shardsBase + column * stride);
      });
      runRows(simd, plan, columns, outAt, 0, roundUp(length, stepBytes));
      outputs.forEach((output, row) => {
        output.set(memory.subarray(outAt(row), outAt(row) + length), offset);
      });
    }
  }

  return {
    name: variants[variant].name,
    multiply(coefficients, inputs, outputs, byteLength) {
      const [columns, rows] = [inputs.length, outputs.length];
      assert(coefficients.length === columns * rows, "coefficient matrix shape");
      for (const shard of [...inputs, ...outputs]) {
        assert(shard.length >= byteLength, "shard shorter than the byte length");
      }
      if (rows === 0 || byteLength === 0) return;
      const buffer = outputs[0]?.buffer as ArrayBufferLike;
      const owner = owners.get(buffer);
      const inPlace =
        owner !== undefined &&
        inputs.every((shard) => shard.buffer === buffer) &&
        outputs.every((shard) => shard.buffer === buffer);
      if (inPlace) multiplyInPlace(owner, coefficients, inputs, outputs, byteLength);
      else multiplyCopying(coefficients, inputs, outputs, byteLength);
    },
    allocate(bytes) {
      assert(
        Number.isInteger(bytes) && bytes >= 0 && bytes <= kernelAllocationBytesMax,
        "kernel allocation size out of range",
      );
      const simd = instantiate(module, bytes);
      owners.set(simd.memory.buffer, simd);
      return new Uint8Array(simd.memory.buffer, shardsBase, bytes);
    },
  };
}
