import { expect, test } from "bun:test";
import { existsSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { openEngine } from "../../src/zdb/engine.ts";
import { engineDirs, type PreparedEngine, str, utf8 } from "./helpers.ts";

const prepareEngine = engineDirs("qss-zdb-desc-");

async function prepared(): Promise<PreparedEngine> {
  const result = await prepareEngine(async (engine) => {
    engine.create("private");
    engine.setProperty("private", "password", "pw");
    engine.setProperty("private", "public", "0");
    await engine.namespace("private")?.set(utf8("k"), utf8("secret"));
    engine.create("other");
    await engine.namespace("other")?.set(utf8("k"), utf8("fine"));
  });
  expect(existsSync(join(result.dir, "index", "private", "zdb-namespace.tmp"))).toBe(false);
  return result;
}

test("a deleted descriptor fails closed: the namespace is frozen and private, never public", async () => {
  const { dir, options } = await prepared();
  rmSync(join(dir, "index", "private", "zdb-namespace"));
  const lines: string[] = [];
  const engine = await openEngine({ ...options, log: (line) => lines.push(line) });
  try {
    const ns = engine.namespace("private");
    expect(ns?.properties.public).toBe(false);
    expect(ns?.properties.frozen).toBe(true);
    await expect(ns?.get(utf8("k")) as Promise<unknown>).rejects.toThrow("frozen");
    expect(lines.some((line) => line.includes("private") && line.includes("missing"))).toBe(true);
    expect(str((await engine.namespace("other")?.get(utf8("k"))) ?? null)).toBe("fine");
    // An admin setting its properties again brings it back.
    engine.setProperty("private", "password", "pw2");
    engine.setProperty("private", "freeze", "0");
    expect(str((await ns?.get(utf8("k"))) ?? null)).toBe("secret");
  } finally {
    await engine.close();
  }
});

test("a damaged descriptor of one namespace does not stop the others", async () => {
  const { dir, options } = await prepared();
  writeFileSync(join(dir, "index", "private", "zdb-namespace"), new Uint8Array(3));
  const lines: string[] = [];
  const engine = await openEngine({ ...options, log: (line) => lines.push(line) });
  try {
    expect(engine.names().sort()).toEqual(["default", "other", "private"]);
    expect(engine.namespace("private")?.properties.frozen).toBe(true);
    expect(engine.namespace("private")?.properties.public).toBe(false);
    expect(lines.some((line) => line.includes("too short"))).toBe(true);
    expect(str((await engine.namespace("other")?.get(utf8("k"))) ?? null)).toBe("fine");
  } finally {
    await engine.close();
  }
});

test("RELOAD with a damaged descriptor refuses and leaves the namespace serving", async () => {
  const { dir, options } = await prepared();
  const engine = await openEngine(options);
  try {
    writeFileSync(join(dir, "index", "other", "zdb-namespace"), new Uint8Array(5));
    await expect(engine.reload("other")).rejects.toThrow("other");
    expect(str((await engine.namespace("other")?.get(utf8("k"))) ?? null)).toBe("fine");
  } finally {
    await engine.close();
  }
});
