/**
 * Per-frame compression: a table of codecs from node:zlib, chosen by benchmark (zstd level 1 is
 * the default: see docs/performance.md), with incompressible data detected and stored raw.
 * The codec id travels inside the encrypted frame, so it is authenticated.
 */
import {
  brotliCompressSync,
  brotliDecompressSync,
  constants,
  deflateRawSync,
  inflateRawSync,
  zstdCompressSync,
  zstdDecompressSync,
} from "node:zlib";
import { qssError } from "../base/errors.ts";

export type CompressionName = "none" | "zstd" | "deflate" | "brotli";

interface FrameCodec {
  readonly id: number;
  compress(data: Uint8Array): Uint8Array;
  decompress(data: Uint8Array, outputBytesMax: number): Uint8Array;
}

/** Ids are stored in frames: never renumber. */
const codecs: Record<CompressionName, FrameCodec> = {
  none: { id: 0, compress: (d) => d, decompress: (d) => d },
  zstd: {
    id: 1,
    compress: (d) => zstdCompressSync(d, { params: { [constants.ZSTD_c_compressionLevel]: 1 } }),
    decompress: (d, max) => zstdDecompressSync(d, { maxOutputLength: max }),
  },
  deflate: {
    id: 2,
    compress: (d) => deflateRawSync(d, { level: 1 }),
    decompress: (d, max) => inflateRawSync(d, { maxOutputLength: max }),
  },
  brotli: {
    id: 3,
    compress: (d) => brotliCompressSync(d, { params: { [constants.BROTLI_PARAM_QUALITY]: 1 } }),
    decompress: (d, max) => brotliDecompressSync(d, { maxOutputLength: max }),
  },
};

export const compressionNames = Object.keys(codecs) as CompressionName[];
const codecsById = new Map(Object.values(codecs).map((codec) => [codec.id, codec]));

/** A sample this large is compressed first; if it does not shrink, the frame is stored raw. */
const sampleBytes = 64 * 1024;
/** Compressed output must be below this fraction of the input to be worth keeping. */
const worthwhileRatioMax = 0.95;

export interface CompressedFrame {
  codecId: number;
  bytes: Uint8Array;
}

export function isCompressionName(name: string): name is CompressionName {
  return Object.hasOwn(codecs, name);
}

export function compressFrame(name: CompressionName, frame: Uint8Array): CompressedFrame {
  const codec = codecs[name];
  if (codec.id === 0 || frame.length === 0) return { codecId: 0, bytes: frame };
  if (frame.length > 2 * sampleBytes) {
    const sample = frame.subarray(0, sampleBytes);
    if (codec.compress(sample).length > sample.length * worthwhileRatioMax)
      return { codecId: 0, bytes: frame };
  }
  const compressed = codec.compress(frame);
  if (compressed.length > frame.length * worthwhileRatioMax) return { codecId: 0, bytes: frame };
  return { codecId: codec.id, bytes: compressed };
}

export function decompressFrame(
  codecId: number,
  bytes: Uint8Array,
  outputBytesMax: number,
  what: string,
): Uint8Array {
  const codec = codecsById.get(codecId);
  if (!codec) throw qssError("CORRUPT", `Cannot decompress ${what}: unknown codec id ${codecId}`);
  let output: Uint8Array;
  try {
    output = codec.decompress(bytes, outputBytesMax);
  } catch (error) {
    throw qssError("CORRUPT", `Cannot decompress ${what}: ${(error as Error).message}`, error);
  }
  if (output.length > outputBytesMax) {
    throw qssError("CORRUPT", `Cannot decompress ${what}: more than ${outputBytesMax} bytes`);
  }
  return output;
}
