/**
 * CRC32C (Castagnoli, reflected polynomial 0x82F63B78) as the reference 0-db computes it:
 * initial value 0 and no final inversion. Where the CPU has a CRC32C instruction (x86-64
 * SSE4.2, `src/platform/crc32c-native.ts`), inputs from `nativeBytesMin` go through it (~2.5x
 * the wasm kernel); else large inputs go through a WebAssembly slicing-by-16 kernel
 * (crc32c.wat, ~2-3x the JS speed even with the copy into its memory); small ones, and
 * runtimes without either, use slicing-by-8 in JS.
 *
 * @example
 * crc32c(new TextEncoder().encode("v")); // 0x5739b3e5
 */
import { loadNativeCrc32c } from "../platform/crc32c-native.ts";
import { wasmBase64 } from "./crc32c.wasm.ts";

const polynomialReflected = 0x82f63b78;
const tableCount = 16;
/** Below this, the copy into wasm memory and the call cost more than they save. */
const wasmBytesMin = 512;
/** Below this, the JS loop beats the native call's fixed cost. */
const nativeBytesMin = 128;
/** Bytes copied into wasm memory per kernel call (stays in L2 alongside the tables). */
const wasmChunkBytes = 64 * 1024;
/** Where the kernel's input starts in its memory (the tables take the first 16 KiB). */
const wasmInputOffset = 65536;

function buildTables(): Uint32Array[] {
  const tables: Uint32Array[] = [];
  const first = new Uint32Array(256);
  for (let i = 0; i < 256; i++) {
    let crc = i;
    for (let bit = 0; bit < 8; bit++) crc = crc & 1 ? (crc >>> 1) ^ polynomialReflected : crc >>> 1;
    first[i] = crc >>> 0;
  }
  tables.push(first);
  for (let t = 1; t < tableCount; t++) {
    const previous = tables[t - 1] as Uint32Array;
    const next = new Uint32Array(256);
    for (let i = 0; i < 256; i++) {
      const value = previous[i] as number;
      next[i] = ((value >>> 8) ^ (first[value & 0xff] as number)) >>> 0;
    }
    tables.push(next);
  }
  return tables;
}

const tables = buildTables();
const [t0, t1, t2, t3, t4, t5, t6, t7] = tables as [
  Uint32Array,
  Uint32Array,
  Uint32Array,
  Uint32Array,
  Uint32Array,
  Uint32Array,
  Uint32Array,
  Uint32Array,
];

interface Kernel {
  run: (crc: number, offset: number, length: number) => number;
  input: Uint8Array;
}

function loadKernel(): Kernel | null {
  if (typeof WebAssembly === "undefined") return null;
  try {
    const bytes = Uint8Array.from(atob(wasmBase64), (c) => c.charCodeAt(0));
    const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes), {});
    const memory = instance.exports.memory as WebAssembly.Memory;
    const needed = wasmInputOffset + wasmChunkBytes;
    if (memory.buffer.byteLength < needed) {
      memory.grow(Math.ceil((needed - memory.buffer.byteLength) / 65536));
    }
    const words = new Uint32Array(memory.buffer, 0, tableCount * 256);
    for (const [k, table] of tables.entries()) words.set(table, k * 256);
    return {
      run: instance.exports.crc32c as Kernel["run"],
      input: new Uint8Array(memory.buffer, wasmInputOffset, wasmChunkBytes),
    };
  } catch {
    return null;
  }
}

const kernel = loadKernel();

/** The CPU instruction, kept only if it agrees with the JS code on a check input. */
function loadNative(): ReturnType<typeof loadNativeCrc32c> {
  const native = loadNativeCrc32c();
  if (native === null) return null;
  // Long enough for the three-stream loop (3 × 4 KiB) and the single-stream tail.
  const probe = new Uint8Array(2 * 12_288 + 1027);
  for (let i = 0; i < probe.length; i++) probe[i] = (i * 131 + 7) & 0xff;
  return native(0xdeadbeef, probe) === crc32cJs(probe, 0xdeadbeef) &&
    native(0, probe) === crc32cJs(probe, 0)
    ? native
    : null;
}

const native = loadNative();

/** Which implementation large inputs use (for tests and the benchmark notes). */
export const crc32cKernel: "native" | "wasm" | "js" = native ? "native" : kernel ? "wasm" : "js";

/** The wasm path (exported for tests comparing implementations); JS where wasm is missing. */
export function crc32cWasm(bytes: Uint8Array, seed = 0): number {
  if (kernel === null) return crc32cJs(bytes, seed);
  let crc = seed | 0;
  for (let at = 0; at < bytes.length; at += wasmChunkBytes) {
    const piece = bytes.subarray(at, Math.min(at + wasmChunkBytes, bytes.length));
    kernel.input.set(piece);
    crc = kernel.run(crc, wasmInputOffset, piece.length);
  }
  return crc >>> 0;
}

/** CRC32C of `bytes`, continuing from `seed` (0 for a fresh checksum). */
export function crc32c(bytes: Uint8Array, seed = 0): number {
  if (native !== null && bytes.length >= nativeBytesMin) return native(seed, bytes);
  if (kernel === null || bytes.length < wasmBytesMin) return crc32cJs(bytes, seed);
  return crc32cWasm(bytes, seed);
}

/** The JS slicing-by-8 path (exported for tests comparing both). */
export function crc32cJs(bytes: Uint8Array, seed = 0): number {
  let crc = seed >>> 0;
  let i = 0;
  const length = bytes.length;
  const end8 = length - (length % 8);
  // One concrete type for the JIT (Buffers and Uint8Arrays both arrive here).
  const b = new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length);
  while (i < end8) {
    const lo =
      (crc ^
        ((b[i] as number) |
          ((b[i + 1] as number) << 8) |
          ((b[i + 2] as number) << 16) |
          ((b[i + 3] as number) << 24))) >>>
      0;
    crc =
      (t7[lo & 0xff] as number) ^
      (t6[(lo >>> 8) & 0xff] as number) ^
      (t5[(lo >>> 16) & 0xff] as number) ^
      (t4[lo >>> 24] as number) ^
      (t3[b[i + 4] as number] as number) ^
      (t2[b[i + 5] as number] as number) ^
      (t1[b[i + 6] as number] as number) ^
      (t0[b[i + 7] as number] as number);
    i += 8;
  }
  while (i < length) {
    crc = (t0[(crc ^ (b[i] as number)) & 0xff] as number) ^ (crc >>> 8);
    i++;
  }
  return crc >>> 0;
}
