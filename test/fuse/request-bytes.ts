/** Builds request bytes by hand, at the offsets fuse.h gives, for decoder and session tests. */
export class Bytes {
  readonly bytes: Uint8Array;
  readonly view: DataView;
  constructor(length: number) {
    this.bytes = new Uint8Array(length);
    this.view = new DataView(this.bytes.buffer);
  }
  u16(at: number, v: number): this {
    this.view.setUint16(at, v, true);
    return this;
  }
  u32(at: number, v: number): this {
    this.view.setUint32(at, v, true);
    return this;
  }
  u64(at: number, v: number | bigint): this {
    this.view.setBigUint64(at, BigInt(v), true);
    return this;
  }
  text(at: number, s: string, nul = true): this {
    const encoded = new TextEncoder().encode(s);
    this.bytes.set(encoded, at);
    if (nul) this.bytes[at + encoded.length] = 0;
    return this;
  }
}

/** fuse_in_header (40 bytes) followed by `payload`. */
export function request(
  opcode: number,
  unique: number,
  payload: Uint8Array,
  fields: { nodeId?: number; uid?: number; gid?: number; pid?: number } = {},
): Uint8Array {
  const b = new Bytes(40 + payload.length);
  b.u32(0, 40 + payload.length)
    .u32(4, opcode)
    .u64(8, unique)
    .u64(16, fields.nodeId ?? 1)
    .u32(24, fields.uid ?? 0)
    .u32(28, fields.gid ?? 0)
    .u32(32, fields.pid ?? 1);
  b.bytes.set(payload, 40);
  return b.bytes;
}

export function cstr(s: string): Uint8Array {
  return new TextEncoder().encode(`${s}\0`);
}

export function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
