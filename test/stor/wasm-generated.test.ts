import { expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { assembleWat, wasmSources } from "../../scripts/gen-wasm.ts";

test("committed .wasm.ts modules are exactly what the WAT sources assemble to", async () => {
  for (const name of wasmSources) {
    const committed = readFileSync(
      new URL(`../../src/stor/${name}.wasm.ts`, import.meta.url),
      "utf8",
    );
    expect(committed.startsWith("// GENERATED")).toBe(true);
    expect(await assembleWat(name)).toBe(committed);
  }
});
