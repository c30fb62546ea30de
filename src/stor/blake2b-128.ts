/**
 * BLAKE2b with a 16-byte digest (BLAKE2b-128, as `b2sum -l 128` prints it), streaming, on the
 * hand-written WebAssembly compression function in blake2b.wat. The digest length is part of
 * BLAKE2b's parameter block, so this is not a truncated BLAKE2b-512. About ten times faster than
 * the pure-JS @noble/hashes blake2b on Bun (see docs/performance.md).
 *
 * @example
 * const hash = createBlake2b128();
 * hash.update(bytes);
 * hex(hash.digest()); // same as `b2sum -l 128`
 */
import { assert } from "../base/assert.ts";
import { wasmBase64 } from "./blake2b.wasm.ts";

export const blake2bDigestBytes = 16;
const blockBytes = 128;
const inputBase = 1024;
/** Input buffered in the module's memory before compressing (fits its two pages). */
const bufferBytes = 64 * 1024;

interface Blake2bExports {
  memory: WebAssembly.Memory;
  init(outlen: number): void;
  update(ptr: number, count: number): void;
  final(ptr: number, len: number): void;
}

let compiled: WebAssembly.Module | undefined;

export interface Blake2b128 {
  update(data: Uint8Array): void;
  /** The 16-byte digest; the hasher must not be used afterwards. */
  digest(): Uint8Array;
}

export function createBlake2b128(): Blake2b128 {
  compiled ??= new WebAssembly.Module(Uint8Array.from(atob(wasmBase64), (c) => c.charCodeAt(0)));
  const wasm = new WebAssembly.Instance(compiled, {}).exports as unknown as Blake2bExports;
  const memory = new Uint8Array(wasm.memory.buffer);
  wasm.init(blake2bDigestBytes);
  let pending = 0;
  let finished = false;
  return {
    update(data) {
      assert(!finished, "BLAKE2b hasher used after digest()");
      let offset = 0;
      while (offset < data.length) {
        // Compress a full buffer only once more input is known to follow it.
        if (pending === bufferBytes) {
          wasm.update(inputBase, bufferBytes / blockBytes);
          pending = 0;
        }
        const take = Math.min(bufferBytes - pending, data.length - offset);
        memory.set(data.subarray(offset, offset + take), inputBase + pending);
        pending += take;
        offset += take;
      }
    },
    digest() {
      assert(!finished, "BLAKE2b digest() called twice");
      finished = true;
      const fullBlocks = pending === 0 ? 0 : Math.ceil(pending / blockBytes) - 1;
      wasm.update(inputBase, fullBlocks);
      const lastBase = inputBase + fullBlocks * blockBytes;
      const lastLength = pending - fullBlocks * blockBytes;
      memory.fill(0, lastBase + lastLength, lastBase + blockBytes);
      wasm.final(lastBase, lastLength);
      return memory.slice(0, blake2bDigestBytes);
    },
  };
}

/** One-shot BLAKE2b-128 of a buffer. */
export function blake2b128(data: Uint8Array): Uint8Array {
  const hash = createBlake2b128();
  hash.update(data);
  return hash.digest();
}
