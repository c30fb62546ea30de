/**
 * The one operation Reed-Solomon needs from a kernel: multiply a coefficient matrix by a set of
 * equal-length input shards. Kernels are interchangeable and must produce identical bytes.
 *
 * Buffer ownership: the kernel only reads `inputs` and only writes `outputs` (fully overwritten,
 * bytes 0..byteLength); neither is kept after the call returns.
 */
export interface GfKernel {
  /** "wasm-simd" or "ts", printed by benchmarks. */
  readonly name: string;
  /** outputs[r][i] = sum over j of coefficients[r * inputs.length + j] * inputs[j][i]. */
  multiply(
    coefficients: Uint8Array,
    inputs: Uint8Array[],
    outputs: Uint8Array[],
    byteLength: number,
  ): void;
}
