import { describe, expect, test } from "bun:test";
import { isQssError } from "../../src/base/errors.ts";
import { gfInv, gfMul } from "../../src/stor/gf256.ts";
import type { GfKernel } from "../../src/stor/kernel.ts";
import { tryWasmKernel } from "../../src/stor/kernel-select.ts";
import { tsKernel } from "../../src/stor/kernel-ts.ts";
import { createReedSolomon } from "../../src/stor/reed-solomon.ts";
import { textbookDecode, textbookEncode } from "./textbook-rs.ts";

const wasmKernel = tryWasmKernel();
/** The plain-SIMD build: what runtimes without relaxed SIMD get. */
const plainWasmKernel = tryWasmKernel(["plain"]);
const wasmKernels = [wasmKernel, plainWasmKernel].filter((k) => k !== undefined);
const kernels: GfKernel[] = [tsKernel, ...wasmKernels];

/** Seeded xorshift so a failure replays. */
function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s;
  };
}

function randomBytes(next: () => number, length: number): Uint8Array {
  return Uint8Array.from({ length }, () => next() & 255);
}

function carrylessMul(a: number, b: number): number {
  let product = 0;
  for (let bit = 0; bit < 8; bit++) if (b & (1 << bit)) product ^= a << bit;
  for (let bit = 15; bit >= 8; bit--) if (product & (1 << bit)) product ^= 0x11d << (bit - 8);
  return product;
}

test("both WASM SIMD builds run on this runtime, relaxed preferred", () => {
  expect(wasmKernel?.name).toBe("wasm-relaxed-simd");
  expect(plainWasmKernel?.name).toBe("wasm-simd");
});

test("GF(2^8) multiplication matches shift-and-reduce, inverses multiply to 1", () => {
  for (let a = 0; a < 256; a++) {
    for (let b = 0; b < 256; b++) expect(gfMul(a, b)).toBe(carrylessMul(a, b));
    if (a > 0) expect(gfMul(a, gfInv(a))).toBe(1);
  }
});

describe.each(kernels.map((k) => [k.name, k] as const))("kernel %s", (_name, kernel) => {
  test("encode equals the textbook encoder on random shapes and lengths", () => {
    const next = rng(7);
    for (let round = 0; round < 40; round++) {
      const k = 1 + (next() % 20);
      const m = next() % 7;
      const length = round < 4 ? ([1, 63, 65, 200_003][round] as number) : 1 + (next() % 3000);
      const data = Array.from({ length: k }, () => randomBytes(next, length));
      const shards = [...data, ...Array.from({ length: m }, () => new Uint8Array(length))];
      createReedSolomon({ dataShards: k, parityShards: m, kernel }).encode(shards);
      expect(shards).toEqual(textbookEncode(data, m));
    }
  });

  test("every erasure pattern up to m is rebuilt for small shapes", () => {
    const next = rng(11);
    for (const [k, m] of [
      [4, 2],
      [3, 3],
      [5, 1],
      [2, 2],
      [1, 3],
      [6, 3],
    ] as const) {
      const rs = createReedSolomon({ dataShards: k, parityShards: m, kernel });
      const original = Array.from({ length: k + m }, () => randomBytes(next, 97));
      rs.encode(original);
      for (let mask = 0; mask < 1 << (k + m); mask++) {
        const lost = popcount(mask);
        if (lost === 0 || lost > m) continue;
        const shards: (Uint8Array | null)[] = original.map((shard, i) =>
          mask & (1 << i) ? null : shard.slice(),
        );
        rs.reconstruct(shards);
        expect(shards).toEqual(original as (Uint8Array | null)[]);
      }
    }
  });

  test("random large shapes and erasures agree with the textbook decoder", () => {
    const next = rng(23);
    const shapes = [
      [255, 1],
      [200, 56],
      [17, 9],
      [10, 4],
      [16, 4],
      [1, 1],
      [128, 128],
    ] as const;
    for (const [k, m] of shapes) {
      const rs = createReedSolomon({ dataShards: k, parityShards: m, kernel });
      const length = 1 + (next() % 300);
      const original = Array.from({ length: k + m }, () => randomBytes(next, length));
      rs.encode(original);
      const shards: (Uint8Array | null)[] = original.map((s) => s.slice());
      const expected: (Uint8Array | null)[] = original;
      for (let i = 0; i < m; i++) shards[next() % (k + m)] = null;
      expect(textbookDecode(shards, k, m)).toEqual(original.slice(0, k));
      rs.reconstruct(shards);
      expect(shards).toEqual(expected);
      expect(rs.verify(shards as Uint8Array[])).toBe(true);
    }
  });

  test("allocated shards are coded in place and lost ones rebuilt into their own slots", () => {
    const next = rng(31);
    const cases = [
      [4, 2, 1],
      [4, 2, 63],
      [10, 4, 64],
      [16, 4, 65],
      [3, 5, 70_001],
      [10, 4, 131_072],
    ] as const;
    for (const [k, m, length] of cases) {
      const rs = createReedSolomon({ dataShards: k, parityShards: m, kernel });
      const allocated = rs.allocateShards(length);
      expect(allocated.length).toBe(k + m);
      const data = Array.from({ length: k }, () => randomBytes(next, length));
      for (const [i, bytes] of data.entries()) allocated[i]?.set(bytes);
      rs.encode(allocated);
      const expected = textbookEncode(data, m);
      expect(allocated).toEqual(expected);
      const shards: (Uint8Array | null)[] = allocated.slice();
      const lost = new Set<number>();
      while (lost.size < m) lost.add(next() % (k + m));
      for (const index of lost) {
        (shards[index] as Uint8Array).fill(0xee); // stale bytes in the slot must be overwritten
        shards[index] = null;
      }
      rs.reconstruct(shards);
      expect(shards as Uint8Array[]).toEqual(expected);
      for (const index of lost) expect(shards[index]).toBe(allocated[index] as Uint8Array);
    }
  });

  test("verify notices a flipped byte; too many losses is a clear CORRUPT error", () => {
    const rs = createReedSolomon({ dataShards: 4, parityShards: 2, kernel });
    const shards = Array.from({ length: 6 }, (_, i) => new Uint8Array(64).fill(i * 9));
    rs.encode(shards);
    expect(rs.verify(shards)).toBe(true);
    const victim = shards[2] as Uint8Array;
    victim[5] = (victim[5] as number) ^ 1;
    expect(rs.verify(shards)).toBe(false);
    let error: unknown;
    try {
      rs.reconstruct([
        null,
        null,
        null,
        shards[3] as Uint8Array,
        shards[4] as Uint8Array,
        shards[5] as Uint8Array,
      ]);
    } catch (caught) {
      error = caught;
    }
    expect(isQssError(error, "CORRUPT")).toBe(true);
  });
});

test.each(wasmKernels.map((k) => [k.name, k] as const))(
  "%s and TS kernels produce identical bytes for random matrices",
  (_name, wasm) => {
    const next = rng(99);
    for (let round = 0; round < 30; round++) {
      const columns = 1 + (next() % 40);
      const rows = 1 + (next() % 8);
      const length = 1 + (next() % 140_000);
      const inputs = Array.from({ length: columns }, () => randomBytes(next, length));
      const coefficients = randomBytes(next, rows * columns);
      const a = Array.from({ length: rows }, () => new Uint8Array(length).fill(7));
      const b = Array.from({ length: rows }, () => new Uint8Array(length));
      wasm.multiply(coefficients, inputs, a, length);
      tsKernel.multiply(coefficients, inputs, b, length);
      expect(a).toEqual(b);
    }
  },
);

test.each(wasmKernels.map((k) => [k.name, k] as const))(
  "%s in place on any views of one allocated buffer equals TS and writes nothing else",
  (_name, wasmKernel) => {
    const next = rng(57);
    for (let round = 0; round < 20; round++) {
      const columns = 1 + (next() % 12);
      const rows = 1 + (next() % 5);
      const length = 1 + (next() % 20_000);
      const buffer = wasmKernel.allocate((columns + rows) * (length + 7) + 100);
      buffer.set(randomBytes(next, buffer.length));
      const before = buffer.slice();
      // Odd offsets, gaps between shards: nothing is 64-byte aligned.
      const views = Array.from({ length: columns + rows }, (_, i) =>
        buffer.subarray(3 + i * (length + 7), 3 + i * (length + 7) + length),
      );
      const [inputs, outputs] = [views.slice(0, columns), views.slice(columns)];
      const coefficients = randomBytes(next, rows * columns);
      const expected = outputs.map(() => new Uint8Array(length));
      tsKernel.multiply(coefficients, inputs, expected, length);
      wasmKernel.multiply(coefficients, inputs, outputs, length);
      expect(outputs).toEqual(expected);
      for (const output of outputs)
        output.set(before.subarray(output.byteOffset - buffer.byteOffset).subarray(0, length));
      expect(buffer).toEqual(before);
    }
  },
);

test("invalid shapes are rejected with CONFIG_INVALID", () => {
  for (const [k, m] of [
    [0, 2],
    [200, 57],
    [2.5, 1],
    [3, -1],
  ]) {
    expect(() => createReedSolomon({ dataShards: k as number, parityShards: m as number })).toThrow(
      /Cannot use/,
    );
  }
});

function popcount(value: number): number {
  let count = 0;
  for (let v = value; v; v &= v - 1) count++;
  return count;
}
