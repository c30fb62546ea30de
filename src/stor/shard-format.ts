/**
 * Shard layout (docs/formats/object.md). A shard is a 64-byte header, then for each stripe of
 * the object its piece (ceil(encrypted stripe bytes / k) bytes) followed by a 16-byte tag:
 *
 *   header: "QSSSHARD" | u8 version=1 | u8 0 | u16 shard index | u16 k | u16 m
 *           | u32 frame bytes | u16 frames per stripe | u16 0 | object id (16) | 8 zero bytes
 *           | tag (16) = GMAC(mac key, nonce(shard, 2^64-1), first 48 header bytes)
 *   piece tag = GMAC(mac key, nonce = u32 shard index | u64 stripe index,
 *               AAD = "qss/v1/piece" | object id | u32 piece bytes | u32 encrypted bytes
 *                     | u8 final stripe | piece)
 *
 * The MAC key is derived from the object's data key and each (shard, stripe) pair has one
 * deterministic content, so GMAC nonces never repeat with different messages (a rebuilt shard
 * reproduces the same bytes and tag). Tags are checked before a piece is used for decoding.
 */
import { qssError } from "../base/errors.ts";
import { aeadNonceBytes, aeadTagBytes, equalTags, gmac } from "./aead.ts";

export const shardHeaderBytes = 64;
export const pieceTagBytes = aeadTagBytes;
const shardMagic = new TextEncoder().encode("QSSSHARD");
const shardFormatVersion = 1;
const headerTaggedBytes = 48;
const headerStripeIndex = 0xffff_ffff_ffff_ffffn;
const pieceAadLabel = new TextEncoder().encode("qss/v1/piece");

export interface ShardHeader {
  shardIndex: number;
  dataShards: number;
  parityShards: number;
  frameBytes: number;
  stripeFrames: number;
  objectId: Uint8Array;
}

export interface PieceContext {
  objectId: Uint8Array;
  macKey: Uint8Array;
}

function tagNonce(shardIndex: number, stripeIndex: bigint): Uint8Array {
  const nonce = new Uint8Array(aeadNonceBytes);
  const view = new DataView(nonce.buffer);
  view.setUint32(0, shardIndex);
  view.setBigUint64(4, stripeIndex);
  return nonce;
}

export function encodeShardHeader(header: ShardHeader, macKey: Uint8Array): Uint8Array {
  const out = new Uint8Array(shardHeaderBytes);
  const view = new DataView(out.buffer);
  out.set(shardMagic, 0);
  out[8] = shardFormatVersion;
  view.setUint16(10, header.shardIndex);
  view.setUint16(12, header.dataShards);
  view.setUint16(14, header.parityShards);
  view.setUint32(16, header.frameBytes);
  view.setUint16(20, header.stripeFrames);
  out.set(header.objectId, 24);
  const tag = gmac(macKey, tagNonce(header.shardIndex, headerStripeIndex), [
    out.subarray(0, headerTaggedBytes),
  ]);
  out.set(tag, headerTaggedBytes);
  return out;
}

/** Parse and authenticate a shard header; QssError CORRUPT when it is not a valid one. */
export function decodeShardHeader(bytes: Uint8Array, macKey: Uint8Array): ShardHeader {
  const magicOk = bytes.length >= shardHeaderBytes && shardMagic.every((b, i) => bytes[i] === b);
  if (!magicOk || bytes[8] !== shardFormatVersion) {
    throw qssError("CORRUPT", "Cannot read shard header: not a qss shard (bad magic or version)");
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, shardHeaderBytes);
  const shardIndex = view.getUint16(10);
  const expected = gmac(macKey, tagNonce(shardIndex, headerStripeIndex), [
    bytes.subarray(0, headerTaggedBytes),
  ]);
  if (!equalTags(expected, bytes.subarray(headerTaggedBytes, shardHeaderBytes))) {
    throw qssError("AUTH", `Cannot read shard header of shard ${shardIndex}: tag mismatch`);
  }
  return {
    shardIndex,
    dataShards: view.getUint16(12),
    parityShards: view.getUint16(14),
    frameBytes: view.getUint32(16),
    stripeFrames: view.getUint16(20),
    objectId: bytes.slice(24, 40),
  };
}

export interface PieceFields {
  shardIndex: number;
  stripeIndex: number;
  encryptedBytes: number;
  final: boolean;
}

export function pieceTag(
  context: PieceContext,
  fields: PieceFields,
  piece: Uint8Array,
): Uint8Array {
  const header = new Uint8Array(9);
  const view = new DataView(header.buffer);
  view.setUint32(0, piece.length);
  view.setUint32(4, fields.encryptedBytes);
  header[8] = fields.final ? 1 : 0;
  const nonce = tagNonce(fields.shardIndex, BigInt(fields.stripeIndex));
  return gmac(context.macKey, nonce, [pieceAadLabel, context.objectId, header, piece]);
}

/** A stored piece is its bytes followed by their tag. */
export function pieceIsAuthentic(
  context: PieceContext,
  fields: PieceFields,
  stored: Uint8Array,
): boolean {
  if (stored.length < pieceTagBytes) return false;
  const piece = stored.subarray(0, stored.length - pieceTagBytes);
  return equalTags(pieceTag(context, fields, piece), stored.subarray(piece.length));
}

export function pieceBytesFor(encryptedBytes: number, dataShards: number): number {
  return Math.ceil(encryptedBytes / dataShards);
}

/** Byte offset of each stripe's stored piece in every shard, plus the total shard length. */
export function stripeOffsets(
  stripeEncryptedBytes: number[],
  dataShards: number,
): { offsets: number[]; shardBytes: number } {
  const offsets: number[] = [];
  let offset = shardHeaderBytes;
  for (const encrypted of stripeEncryptedBytes) {
    offsets.push(offset);
    offset += pieceBytesFor(encrypted, dataShards) + pieceTagBytes;
  }
  return { offsets, shardBytes: offset };
}
