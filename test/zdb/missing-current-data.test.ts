import { expect, test } from "bun:test";
import { mkdirSync, renameSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { openEngine } from "../../src/zdb/engine.ts";
import { engineDirs, type PreparedEngine, str, utf8 } from "./helpers.ts";

const prepareEngine = engineDirs("qss-zdb-nodata-");

function prepared(): Promise<PreparedEngine> {
  return prepareEngine(async (engine) => {
    engine.create("keep");
    engine.setProperty("keep", "password", "pw");
    await engine.namespace("keep")?.set(utf8("k"), utf8("precious"));
    engine.create("other");
    await engine.namespace("other")?.set(utf8("k"), utf8("fine"));
  });
}

test("a missing current data file is not recreated over a live index (#18)", async () => {
  const { dir, options } = await prepared();
  const d0 = join(dir, "data", "keep", "d0");
  const i0 = join(dir, "index", "keep", "i0");
  const indexBytes = statSync(i0).size;
  mkdirSync(join(dir, "aside"));
  renameSync(d0, join(dir, "aside", "d0"));
  const lines: string[] = [];
  const engine = await openEngine({ ...options, log: (line) => lines.push(line) });
  try {
    expect(engine.namespace("keep")).toBeNull();
    expect(lines.some((line) => line.includes("keep") && line.includes("missing"))).toBe(true);
    expect(str((await engine.namespace("other")?.get(utf8("k"))) ?? null)).toBe("fine");
    // Its index is untouched, and a new namespace cannot take its place.
    expect(statSync(i0).size).toBe(indexBytes);
    expect(() => engine.create("keep")).toThrow("not available");
  } finally {
    await engine.close();
  }
  // Once the file is back, everything is there, password included.
  renameSync(join(dir, "aside", "d0"), d0);
  const again = await openEngine(options);
  try {
    expect(str((await again.namespace("keep")?.get(utf8("k"))) ?? null)).toBe("precious");
    expect(again.namespace("keep")?.properties.password).toBe("pw");
  } finally {
    await again.close();
  }
});

test("the missing-data hook restores a missing current data file at start-up (#18)", async () => {
  const { dir, options } = await prepared();
  const d0 = join(dir, "data", "keep", "d0");
  mkdirSync(join(dir, "aside"));
  renameSync(d0, join(dir, "aside", "d0"));
  const hook = join(dir, "hook.sh");
  writeFileSync(
    hook,
    `#!/bin/sh\nif [ "$1" = "missing-data" ]; then cp "${join(dir, "aside")}/$(basename "$3")" "$3"; fi\nexit 0\n`,
    { mode: 0o755 },
  );
  const engine = await openEngine({ ...options, hook });
  try {
    expect(str((await engine.namespace("keep")?.get(utf8("k"))) ?? null)).toBe("precious");
  } finally {
    await engine.close();
  }
});
