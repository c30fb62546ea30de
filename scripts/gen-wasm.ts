/**
 * Assemble the hand-written WAT kernels in src/stor/*.wat into committed TypeScript modules
 * (`<name>.wasm.ts`, the bytes as base64), so the binary needs no assembler at run time.
 *
 *   npx bun scripts/gen-wasm.ts          # regenerate
 *   npx bun scripts/gen-wasm.ts --check  # exit 1 if a committed module differs (used by a test)
 */
import { readFileSync, writeFileSync } from "node:fs";
import wabtFactory from "wabt";

/**
 * Each module: the .wat it is assembled from, and an optional rewrite of its text. The relaxed
 * GF kernel is the same source with `i8x16.relaxed_swizzle` (a bare byte shuffle; exact for the
 * 0..15 indices the kernel uses) for runtimes that have relaxed SIMD.
 */
const wasmModules: Record<string, { source: string; rewrite?: (wat: string) => string }> = {
  "gf-simd": { source: "gf-simd" },
  "gf-simd-relaxed": {
    source: "gf-simd",
    rewrite: (wat) => wat.replaceAll("i8x16.swizzle", "i8x16.relaxed_swizzle"),
  },
  blake2b: { source: "blake2b" },
};

export const wasmSources = Object.keys(wasmModules);

export async function assembleWat(name: string): Promise<string> {
  const wabt = await wabtFactory();
  const { source, rewrite } = wasmModules[name] ?? { source: name };
  const text = readFileSync(new URL(`../src/stor/${source}.wat`, import.meta.url), "utf8");
  const features = { simd: true, relaxed_simd: true };
  const module = wabt.parseWat(`${source}.wat`, rewrite ? rewrite(text) : text, features);
  try {
    module.validate();
    const bytes = module.toBinary({ log: false, write_debug_names: false }).buffer;
    return renderModule(name, source, Buffer.from(bytes).toString("base64"));
  } finally {
    module.destroy();
  }
}

function renderModule(name: string, source: string, base64: string): string {
  const lines = base64.match(/.{1,96}/g) ?? [];
  const variant = name === source ? "" : ` (variant ${name})`;
  return [
    `// GENERATED from src/stor/${source}.wat${variant} by scripts/gen-wasm.ts: do not edit.`,
    "// Regenerate with `npx bun scripts/gen-wasm.ts`; test/stor/wasm-generated.test.ts checks it.",
    "export const wasmBase64: string = [",
    ...lines.map((line) => `  "${line}",`),
    '].join("");',
    "",
  ].join("\n");
}

if (import.meta.main) {
  const check = process.argv.includes("--check");
  let stale = 0;
  for (const name of wasmSources) {
    const path = new URL(`../src/stor/${name}.wasm.ts`, import.meta.url);
    const text = await assembleWat(name);
    if (check) {
      const same = readFileSync(path, "utf8") === text;
      if (!same) stale++;
      console.log(`${name}.wasm.ts ${same ? "up to date" : "STALE"}`);
    } else {
      writeFileSync(path, text);
      console.log(`wrote src/stor/${name}.wasm.ts`);
    }
  }
  process.exit(stale === 0 ? 0 : 1);
}
