/**
 * The one operation Reed-Solomon needs from a kernel: multiply a coefficient matrix by a set of
 * equal-length input shards. Kernels are interchangeable and must produce identical bytes.
 *
 * Buffer ownership: the kernel only reads `inputs` and only writes `outputs` (bytes
 * 0..byteLength, fully overwritten; outputs must not overlap inputs); neither is kept after the
 * call returns. Buffers from `allocate` belong to the caller; the kernel computes on them where
 * they are (the WASM kernel: no copy in or out of its memory) when every input and output of a
 * call lies in one such buffer. Other buffers work too, through a copy.
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
  /**
   * A zeroed buffer of `bytes` the kernel works on in place. Its views stay valid for its
   * whole life (the WASM kernel gives it its own memory, which never grows).
   */
  allocate(bytes: number): Uint8Array;
}
