/**
 * One stripe through the pipeline, synchronously (run inside a pool worker or inline):
 * encode = frames (compress, seal) -> split over k data pieces -> m parity pieces -> tags;
 * decode = check tags -> rebuild missing data pieces from any k good ones -> open frames.
 * A stripe holds `stripeFrames` frames of plaintext, so stripes map to plaintext ranges and
 * an object is never held whole in memory.
 *
 * Buffer ownership: inputs are consumed (the worker received them by transfer); every returned
 * buffer is freshly allocated, or one the job handed over (`spare`, `plaintext`), and may be
 * transferred back.
 */
import { assert } from "../base/assert.ts";
import { qssError } from "../base/errors.ts";
import type { CompressionName } from "./compression.ts";
import { compressFrame } from "./compression.ts";
import { frameLengthPrefixBytes, openFrame, sealedFrameBytes, sealFrameInto } from "./frames.ts";
import { createReedSolomon, type ReedSolomon } from "./reed-solomon.ts";
import { pieceBytesFor, pieceIsAuthentic, pieceTag, pieceTagBytes } from "./shard-format.ts";

export interface StripeContext {
  objectId: Uint8Array;
  frameKey: Uint8Array;
  macKey: Uint8Array;
  dataShards: number;
  parityShards: number;
  frameBytes: number;
  stripeIndex: number;
  firstFrameIndex: number;
  /** The object's last stripe: its last frame is sealed as final. */
  final: boolean;
}

export interface EncodeStripeJob extends StripeContext {
  compression: CompressionName;
  plaintext: Uint8Array;
  /** An old result buffer to fill again when it is large enough (saves fresh pages). */
  spare?: Uint8Array;
}

/**
 * One buffer for the whole stripe: n pieces of `pieceBytes` back to back (the data pieces are
 * the encrypted frames, zero-padded), then n tags of 16 bytes. Shard i stores piece i then tag i.
 */
export interface EncodeStripeResult {
  buffer: Uint8Array;
  pieceBytes: number;
  encryptedBytes: number;
  /** The job's plaintext, handed back so its buffer can be read into again. */
  plaintext: Uint8Array;
}

/** The two parts shard `shardIndex` stores for this stripe, as views on the result buffer. */
export function storedPieceParts(
  result: EncodeStripeResult,
  shardCount: number,
  shardIndex: number,
): [Uint8Array, Uint8Array] {
  const { buffer, pieceBytes } = result;
  const tagAt = shardCount * pieceBytes + shardIndex * pieceTagBytes;
  return [
    buffer.subarray(shardIndex * pieceBytes, (shardIndex + 1) * pieceBytes),
    buffer.subarray(tagAt, tagAt + pieceTagBytes),
  ];
}

export interface DecodeStripeJob extends StripeContext {
  encryptedBytes: number;
  plainBytes: number;
  /** Stored pieces (piece then tag) by shard index; null = not read or unavailable. */
  pieces: (Uint8Array | null)[];
}

export interface DecodeStripeResult {
  /** Shards whose piece failed its tag check (to exclude from now on). */
  badShards: number[];
  /** The stripe's plaintext, or null when fewer than k pieces verified: read more shards. */
  plaintext: Uint8Array | null;
}

const codecs = new Map<string, ReedSolomon>();
function codecFor(k: number, m: number): ReedSolomon {
  const key = `${k}+${m}`;
  let codec = codecs.get(key);
  if (!codec) {
    codec = createReedSolomon({ dataShards: k, parityShards: m });
    codecs.set(key, codec);
  }
  return codec;
}

export function frameCountFor(plainBytes: number, frameBytes: number): number {
  return Math.max(1, Math.ceil(plainBytes / frameBytes));
}

export function encodeStripe(job: EncodeStripeJob): EncodeStripeResult {
  const { plaintext, frameBytes, dataShards: k, parityShards: m } = job;
  const n = k + m;
  const frameCount = frameCountFor(plaintext.length, frameBytes);
  const compressed = Array.from({ length: frameCount }, (_, i) =>
    compressFrame(
      job.compression,
      plaintext.subarray(i * frameBytes, Math.min(plaintext.length, (i + 1) * frameBytes)),
    ),
  );
  const encryptedBytes = compressed.reduce((sum, frame) => sum + sealedFrameBytes(frame), 0);
  const pieceBytes = pieceBytesFor(encryptedBytes, k);
  const bufferBytes = n * (pieceBytes + pieceTagBytes);
  const { spare } = job;
  const buffer =
    spare && spare.length >= bufferBytes
      ? spare.subarray(0, bufferBytes)
      : new Uint8Array(bufferBytes);
  // The last data piece is zero-padded; a reused buffer holds old bytes there.
  buffer.fill(0, encryptedBytes, k * pieceBytes);
  let offset = 0;
  for (const [i, frame] of compressed.entries()) {
    const final = job.final && i === frameCount - 1;
    offset += sealFrameInto(job, frame, job.firstFrameIndex + i, final, buffer, offset);
  }
  assert(offset === encryptedBytes, "sealed frames fill exactly the encrypted bytes");
  const pieces = Array.from({ length: n }, (_, i) =>
    buffer.subarray(i * pieceBytes, (i + 1) * pieceBytes),
  );
  codecFor(k, m).encode(pieces);
  for (const [shardIndex, piece] of pieces.entries()) {
    const fields = { shardIndex, stripeIndex: job.stripeIndex, encryptedBytes, final: job.final };
    buffer.set(pieceTag(job, fields, piece), n * pieceBytes + shardIndex * pieceTagBytes);
  }
  return { buffer, pieceBytes, encryptedBytes, plaintext };
}

export function decodeStripe(job: DecodeStripeJob): DecodeStripeResult {
  const { dataShards: k, parityShards: m, encryptedBytes } = job;
  assert(job.pieces.length === k + m, "one entry per shard");
  const pieceBytes = pieceBytesFor(encryptedBytes, k);
  const badShards: number[] = [];
  const verified = job.pieces.map((stored, shardIndex) => {
    if (stored === null) return null;
    const fields = { shardIndex, stripeIndex: job.stripeIndex, encryptedBytes, final: job.final };
    if (stored.length === pieceBytes + pieceTagBytes && pieceIsAuthentic(job, fields, stored)) {
      return stored.subarray(0, pieceBytes);
    }
    badShards.push(shardIndex);
    return null;
  });
  if (verified.filter((piece) => piece !== null).length < k) return { badShards, plaintext: null };
  codecFor(k, m).reconstruct(verified, { dataOnly: true });
  const encrypted = new Uint8Array(k * pieceBytes);
  for (let i = 0; i < k; i++) encrypted.set(verified[i] as Uint8Array, i * pieceBytes);
  return { badShards, plaintext: openFrames(job, encrypted.subarray(0, encryptedBytes)) };
}

function openFrames(job: DecodeStripeJob, encrypted: Uint8Array): Uint8Array {
  const what = `stripe ${job.stripeIndex} of object ${Buffer.from(job.objectId).toString("hex")}`;
  const frameCount = frameCountFor(job.plainBytes, job.frameBytes);
  const plaintext = new Uint8Array(job.plainBytes);
  const view = new DataView(encrypted.buffer, encrypted.byteOffset, encrypted.length);
  let offset = 0;
  for (let i = 0; i < frameCount; i++) {
    if (offset + frameLengthPrefixBytes > encrypted.length)
      throw qssError("CORRUPT", `Cannot read ${what}: frames end early`);
    const sealedBytes = view.getUint32(offset);
    offset += frameLengthPrefixBytes;
    if (offset + sealedBytes > encrypted.length)
      throw qssError("CORRUPT", `Cannot read ${what}: frame ${i} overruns`);
    const expectedBytes = Math.min(job.frameBytes, job.plainBytes - i * job.frameBytes);
    const final = job.final && i === frameCount - 1;
    const frame = openFrame(
      job,
      encrypted.subarray(offset, offset + sealedBytes),
      job.firstFrameIndex + i,
      final,
      job.frameBytes,
    );
    if (frame.length !== expectedBytes) {
      throw qssError(
        "CORRUPT",
        `Cannot read ${what}: frame ${i} holds ${frame.length} bytes, expected ${expectedBytes}`,
      );
    }
    plaintext.set(frame, i * job.frameBytes);
    offset += sealedBytes;
  }
  if (offset !== encrypted.length)
    throw qssError("CORRUPT", `Cannot read ${what}: trailing bytes after the last frame`);
  return plaintext;
}
