/**
 * Encrypted frames: the object's plaintext is cut into frames of `frameBytes` (1 MiB by
 * default), each compressed on its own and sealed with AES-256-GCM under the object's frame key.
 *
 *   frame on the encrypted stream: u32 big-endian sealed length | sealed
 *   sealed = AES-256-GCM(frame key, nonce, codec id (u8) | payload) | tag (16)
 *   nonce  = object id bytes 0..3 | u64 frame index (big-endian)
 *   AAD    = "qss/v1/frame" | object id (16) | u64 frame index | u8 final
 *
 * The index in nonce and AAD detects reordering; the final flag on the last frame detects
 * truncation at a frame boundary. See docs/formats/object.md.
 */
import { qssError } from "../base/errors.ts";
import { aeadNonceBytes, aeadTagBytes, openAead, sealAeadInto } from "./aead.ts";
import {
  type CompressedFrame,
  type CompressionName,
  compressFrame,
  decompressFrame,
} from "./compression.ts";

export const frameLengthPrefixBytes = 4;
/** Bytes a sealed frame adds to its payload: length prefix, codec id, GCM tag. */
export const frameOverheadBytes = frameLengthPrefixBytes + 1 + aeadTagBytes;
export const frameBytesDefault = 1024 * 1024;
/** Bound on a frame's plaintext: bounds every buffer a hostile length can make us allocate. */
export const frameBytesMax = 16 * 1024 * 1024;
const frameAadLabel = new TextEncoder().encode("qss/v1/frame");

export interface FrameContext {
  objectId: Uint8Array;
  frameKey: Uint8Array;
}

function frameNonce(objectId: Uint8Array, frameIndex: number): Uint8Array {
  const nonce = new Uint8Array(aeadNonceBytes);
  nonce.set(objectId.subarray(0, 4), 0);
  new DataView(nonce.buffer).setBigUint64(4, BigInt(frameIndex));
  return nonce;
}

function frameAad(context: FrameContext, frameIndex: number, final: boolean): Uint8Array[] {
  const fields = new Uint8Array(9);
  new DataView(fields.buffer).setBigUint64(0, BigInt(frameIndex));
  fields[8] = final ? 1 : 0;
  return [frameAadLabel, context.objectId, fields];
}

/** Bytes a compressed frame takes on the encrypted stream: prefix, codec id, payload, tag. */
export function sealedFrameBytes(compressed: CompressedFrame): number {
  return frameLengthPrefixBytes + 1 + compressed.bytes.length + aeadTagBytes;
}

/** Seal an already compressed frame into `out` at `offset` (length prefix included). */
export function sealFrameInto(
  context: FrameContext,
  compressed: CompressedFrame,
  frameIndex: number,
  final: boolean,
  out: Uint8Array,
  offset: number,
): number {
  const nonce = frameNonce(context.objectId, frameIndex);
  const parts = [Uint8Array.of(compressed.codecId), compressed.bytes];
  const aad = frameAad(context, frameIndex, final);
  const sealed = sealAeadInto(
    context.frameKey,
    nonce,
    parts,
    aad,
    out,
    offset + frameLengthPrefixBytes,
  );
  new DataView(out.buffer, out.byteOffset).setUint32(offset, sealed);
  return frameLengthPrefixBytes + sealed;
}

/** Compress and seal one frame; returns the length-prefixed bytes for the encrypted stream. */
export function sealFrame(
  context: FrameContext,
  compression: CompressionName,
  plaintext: Uint8Array,
  frameIndex: number,
  final: boolean,
): Uint8Array {
  const compressed = compressFrame(compression, plaintext);
  const out = new Uint8Array(sealedFrameBytes(compressed));
  sealFrameInto(context, compressed, frameIndex, final, out, 0);
  return out;
}

/** Open a sealed frame (without its length prefix) and decompress it. */
export function openFrame(
  context: FrameContext,
  sealed: Uint8Array,
  frameIndex: number,
  final: boolean,
  plainBytesMax: number,
): Uint8Array {
  const what = `frame ${frameIndex} of object ${Buffer.from(context.objectId).toString("hex")}`;
  const nonce = frameNonce(context.objectId, frameIndex);
  const body = openAead(
    context.frameKey,
    nonce,
    sealed,
    frameAad(context, frameIndex, final),
    what,
  );
  if (body.length < 1) throw qssError("CORRUPT", `Cannot read ${what}: empty body`);
  return decompressFrame(body[0] as number, body.subarray(1), plainBytesMax, what);
}
