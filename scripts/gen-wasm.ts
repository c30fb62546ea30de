/**
 * Assemble the hand-written WAT kernels (src/stor/*.wat, src/zdb/*.wat) into committed TypeScript
 * modules (`<name>.wasm.ts`, the bytes as base64), so the binary needs no assembler at run time.
 *
 *   npx bun scripts/gen-wasm.ts          # regenerate
 *   npx bun scripts/gen-wasm.ts --check  # exit 1 if a committed module differs (used by a test)
 */
import { readFileSync, writeFileSync } from "node:fs";
import wabtFactory from "wabt";

interface WasmModule {
  folder: "stor" | "zdb";
  /** The .wat it is assembled from (in `folder`). */
  source: string;
  /** An optional rewrite of the text before assembly. */
  rewrite?: (wat: string) => string;
}

/**
 * Each module by output name. The relaxed GF kernel is the same source with
 * `i8x16.relaxed_swizzle` (a bare byte shuffle; exact for the 0..15 indices the kernel uses) for
 * runtimes that have relaxed SIMD.
 */
const wasmModules: Record<string, WasmModule> = {
  "gf-simd": { folder: "stor", source: "gf-simd" },
  "gf-simd-relaxed": {
    folder: "stor",
    source: "gf-simd",
    rewrite: (wat) => wat.replaceAll("i8x16.swizzle", "i8x16.relaxed_swizzle"),
  },
  blake2b: { folder: "stor", source: "blake2b" },
  crc32c: { folder: "zdb", source: "crc32c" },
};

/** Modules of src/stor (checked by test/stor/wasm-generated.test.ts). */
export const wasmSources = Object.keys(wasmModules).filter(
  (name) => wasmModules[name]?.folder === "stor",
);

export async function assembleWat(name: string, folder: "stor" | "zdb" = "stor"): Promise<string> {
  const wabt = await wabtFactory();
  const { source, rewrite } = wasmModules[name] ?? { folder, source: name };
  const text = readFileSync(new URL(`../src/${folder}/${source}.wat`, import.meta.url), "utf8");
  const features = { simd: true, relaxed_simd: true };
  const module = wabt.parseWat(`${source}.wat`, rewrite ? rewrite(text) : text, features);
  try {
    module.validate();
    const bytes = module.toBinary({ log: false, write_debug_names: false }).buffer;
    return renderModule(name, { folder, source }, Buffer.from(bytes).toString("base64"));
  } finally {
    module.destroy();
  }
}

function renderModule(name: string, from: WasmModule, base64: string): string {
  const lines = base64.match(/.{1,96}/g) ?? [];
  const variant = name === from.source ? "" : ` (variant ${name})`;
  const checker =
    from.folder === "stor"
      ? "test/stor/wasm-generated.test.ts"
      : `test/${from.folder}/${name}.test.ts`;
  return [
    `// GENERATED from src/${from.folder}/${from.source}.wat${variant} by scripts/gen-wasm.ts: do not edit.`,
    `// Regenerate with \`npx bun scripts/gen-wasm.ts\`; ${checker} checks it.`,
    "export const wasmBase64: string = [",
    ...lines.map((line) => `  "${line}",`),
    '].join("");',
    "",
  ].join("\n");
}

if (import.meta.main) {
  const check = process.argv.includes("--check");
  let stale = 0;
  for (const [name, { folder }] of Object.entries(wasmModules)) {
    const path = new URL(`../src/${folder}/${name}.wasm.ts`, import.meta.url);
    const text = await assembleWat(name, folder);
    if (check) {
      const same = readFileSync(path, "utf8") === text;
      if (!same) stale++;
      console.log(`${name}.wasm.ts ${same ? "up to date" : "STALE"}`);
    } else {
      writeFileSync(path, text);
      console.log(`wrote src/${folder}/${name}.wasm.ts`);
    }
  }
  process.exit(stale === 0 ? 0 : 1);
}
