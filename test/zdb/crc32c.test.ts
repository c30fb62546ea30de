import { expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { assembleWat } from "../../scripts/gen-wasm.ts";
import { loadNativeCrc32c } from "../../src/platform/crc32c-native.ts";
import { crc32c, crc32cJs, crc32cKernel, crc32cWasm } from "../../src/zdb/crc32c.ts";

const cpuHasSse42 =
  process.arch === "x64" && /\bsse4_2\b/.test(readFileSync("/proc/cpuinfo", "utf8"));

const ascii = (text: string) => new TextEncoder().encode(text);
/** The standard (inverted) CRC32C from the raw function the reference uses. */
const standard = (bytes: Uint8Array, run: typeof crc32c) =>
  (run(bytes, 0xffffffff) ^ 0xffffffff) >>> 0;

function pseudoRandom(length: number, seed: number): Uint8Array {
  const bytes = new Uint8Array(length);
  let state = seed >>> 0;
  for (let i = 0; i < length; i++) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    bytes[i] = state >>> 24;
  }
  return bytes;
}

test("the CPU instruction is in use where the CPU has it, else the WebAssembly kernel", () => {
  expect(crc32cKernel).toBe(cpuHasSse42 ? "native" : "wasm");
  expect(loadNativeCrc32c() !== null).toBe(cpuHasSse42);
});

test("a portable run (QSS_CRC32C_PORTABLE=1) uses the WebAssembly kernel", () => {
  const child = Bun.spawnSync(
    [
      process.execPath,
      "-e",
      'import("./src/zdb/crc32c.ts").then((m) => console.log(m.crc32cKernel))',
    ],
    {
      cwd: new URL("../../", import.meta.url).pathname,
      env: { ...process.env, QSS_CRC32C_PORTABLE: "1" },
    },
  );
  expect(child.stdout.toString().trim()).toBe("wasm");
});

test("known CRC32C vectors (RFC 3720 B.4 and the check value), both kernels", () => {
  for (const run of [crc32c, crc32cJs, crc32cWasm]) {
    expect(standard(ascii("123456789"), run)).toBe(0xe3069283);
    expect(standard(new Uint8Array(32), run)).toBe(0x8a9136aa);
    expect(standard(new Uint8Array(32).fill(0xff), run)).toBe(0x62a8ab43);
    const ascending = Uint8Array.from({ length: 32 }, (_, i) => i);
    expect(standard(ascending, run)).toBe(0x46dd794e);
  }
  expect(crc32c(ascii("v"))).toBe(0x5739b3e5);
});

test("native, wasm and JS agree on every length, offset and seed", () => {
  const data = pseudoRandom(300_000, 7);
  for (const length of [
    0, 1, 7, 8, 9, 15, 16, 17, 127, 128, 129, 511, 512, 513, 4096, 12_287, 12_288, 12_289, 24_583,
    65535, 65536, 65537, 131072, 299_993,
  ]) {
    for (const offset of [0, 1, 3, 7]) {
      const view = data.subarray(offset, offset + length);
      expect(crc32c(view)).toBe(crc32cJs(view));
      expect(crc32c(view, 0xdeadbeef)).toBe(crc32cJs(view, 0xdeadbeef));
      expect(crc32cWasm(view, 0xdeadbeef)).toBe(crc32cJs(view, 0xdeadbeef));
    }
  }
  // Continuing from a seed equals checksumming the concatenation.
  const whole = data.subarray(0, 200_001);
  expect(crc32c(whole.subarray(70_001), crc32c(whole.subarray(0, 70_001)))).toBe(crc32c(whole));
});

test("a flipped bit changes the checksum", () => {
  const data = pseudoRandom(131072, 3);
  const before = crc32c(data);
  data[100_000] = (data[100_000] as number) ^ 0x10;
  expect(crc32c(data)).not.toBe(before);
});

test("the committed crc32c.wasm.ts is exactly what crc32c.wat assembles to", async () => {
  const committed = readFileSync(new URL("../../src/zdb/crc32c.wasm.ts", import.meta.url), "utf8");
  expect(committed.startsWith("// GENERATED")).toBe(true);
  expect(await assembleWat("crc32c", "zdb")).toBe(committed);
});
