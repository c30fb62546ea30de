/**
 * Assemble the hand-written WAT kernels (src/stor/*.wat, src/zdb/*.wat) into committed TypeScript modules
 * (`<name>.wasm.ts`, the bytes as base64), so the binary needs no assembler at run time.
 *
 *   npx bun scripts/gen-wasm.ts          # regenerate
 *   npx bun scripts/gen-wasm.ts --check  # exit 1 if a committed module differs (used by a test)
 */
import { readFileSync, writeFileSync } from "node:fs";
import wabtFactory from "wabt";

export const wasmSources = ["gf-simd", "blake2b"] as const;
/** Kernels of src/zdb (checked by test/zdb/crc32c.test.ts). */
export const zdbWasmSources = ["crc32c"] as const;

export async function assembleWat(name: string, folder = "stor"): Promise<string> {
  const wabt = await wabtFactory();
  const url = new URL(`../src/${folder}/${name}.wat`, import.meta.url);
  const module = wabt.parseWat(`${name}.wat`, readFileSync(url, "utf8"), { simd: true });
  try {
    module.validate();
    const bytes = module.toBinary({ log: false, write_debug_names: false }).buffer;
    return renderModule(name, folder, Buffer.from(bytes).toString("base64"));
  } finally {
    module.destroy();
  }
}

function renderModule(name: string, folder: string, base64: string): string {
  const lines = base64.match(/.{1,96}/g) ?? [];
  const checker =
    folder === "stor" ? "test/stor/wasm-generated.test.ts" : `test/${folder}/${name}.test.ts`;
  return [
    `// GENERATED from src/${folder}/${name}.wat by scripts/gen-wasm.ts: do not edit.`,
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
  const sources = [
    ...wasmSources.map((name) => ({ name, folder: "stor" })),
    ...zdbWasmSources.map((name) => ({ name, folder: "zdb" })),
  ];
  for (const { name, folder } of sources) {
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
