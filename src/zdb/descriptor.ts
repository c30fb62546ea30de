/**
 * The `zdb-namespace` descriptor file: version u32 (1), name length u8, password length u8,
 * maxsize u64, flags u8 (1 public, 2 worm, 4 extended), then the name and the password bytes.
 * The mode is not stored here: it lives in the index header of `i0`.
 */
import { qssError } from "../base/errors.ts";

export const descriptorVersion = 1;
const headerBytes = 15;
const flagPublic = 1;
const flagWorm = 2;
const flagExtended = 4;

export interface NamespaceDescriptor {
  name: string;
  password: string | null;
  maxSizeBytes: number;
  public: boolean;
  worm: boolean;
}

export function encodeDescriptor(descriptor: NamespaceDescriptor): Uint8Array {
  const name = new TextEncoder().encode(descriptor.name);
  const password = new TextEncoder().encode(descriptor.password ?? "");
  const bytes = new Uint8Array(headerBytes + name.length + password.length);
  const view = new DataView(bytes.buffer);
  view.setUint32(0, descriptorVersion, true);
  bytes[4] = name.length;
  bytes[5] = password.length;
  view.setBigUint64(6, BigInt(descriptor.maxSizeBytes), true);
  bytes[14] =
    flagExtended | (descriptor.public ? flagPublic : 0) | (descriptor.worm ? flagWorm : 0);
  bytes.set(name, headerBytes);
  bytes.set(password, headerBytes + name.length);
  return bytes;
}

export function decodeDescriptor(bytes: Uint8Array, path: string): NamespaceDescriptor {
  if (bytes.length < headerBytes) {
    throw qssError("CORRUPT", `Cannot parse namespace descriptor ${path}: file too short`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  const version = view.getUint32(0, true);
  const nameBytes = bytes[4] as number;
  const passwordBytes = bytes[5] as number;
  if (version !== descriptorVersion || bytes.length < headerBytes + nameBytes + passwordBytes) {
    throw qssError("CORRUPT", `Cannot parse namespace descriptor ${path}: bad version or size`);
  }
  const decoder = new TextDecoder();
  const flags = bytes[14] as number;
  const start = headerBytes;
  return {
    name: decoder.decode(bytes.subarray(start, start + nameBytes)),
    password:
      passwordBytes === 0
        ? null
        : decoder.decode(bytes.subarray(start + nameBytes, start + nameBytes + passwordBytes)),
    maxSizeBytes: Number(view.getBigUint64(6, true)),
    public: (flags & flagPublic) !== 0,
    worm: (flags & flagWorm) !== 0,
  };
}
