/**
 * Keeps the test double honest: the same operations on `MemoryNamespace` and on the real
 * engine's namespace must give the same answers (review #19).
 */
import { afterEach, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openEngine } from "../../src/zdb/engine.ts";
import type { NamespaceMode, ZdbNamespace } from "../../src/zdb/namespace.ts";
import { MemoryNamespace } from "./memory-namespace.ts";

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** Small deterministic PRNG (xorshift32), so a failure replays. */
function random(seed: number): () => number {
  let state = seed >>> 0 || 1;
  return () => {
    state ^= state << 13;
    state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    return state / 0x1_0000_0000;
  };
}

async function outcome(run: () => Promise<unknown>): Promise<string> {
  try {
    const value = await run();
    if (value instanceof Uint8Array) return `bytes:${Buffer.from(value).toString("hex")}`;
    return `value:${JSON.stringify(value)}`;
  } catch {
    return "error";
  }
}

async function listing(ns: ZdbNamespace): Promise<string[]> {
  const keys: string[] = [];
  let cursor: Uint8Array | undefined;
  for (let page = 0; page < 1000; page += 1) {
    const result = await ns.scan(cursor);
    for (const entry of result.entries) {
      keys.push(`${Buffer.from(entry.key).toString("hex")}:${entry.sizeBytes}`);
    }
    if (result.nextCursor === null) break;
    cursor = result.nextCursor;
  }
  return keys;
}

for (const mode of ["user", "seq"] as NamespaceMode[]) {
  test(`MemoryNamespace answers like the engine (${mode} mode)`, async () => {
    const dir = mkdtempSync(join(tmpdir(), "qss-fs-diff-"));
    dirs.push(dir);
    const engine = await openEngine({ dataDir: join(dir, "data"), indexDir: join(dir, "index") });
    try {
      engine.create("diff");
      if (mode === "seq") engine.setProperty("diff", "mode", "seq");
      const real = engine.namespace("diff");
      if (!real) throw new Error("namespace missing");
      const double = new MemoryNamespace("diff", mode);
      const next = random(mode === "seq" ? 7 : 3);
      const seqKeys: Uint8Array[] = [];
      const keyOf = () => {
        if (mode === "user") return Buffer.from(`k${Math.floor(next() * 40)}`);
        if (seqKeys.length === 0 || next() < 0.3) return new Uint8Array(0);
        return seqKeys[Math.floor(next() * seqKeys.length)] as Uint8Array;
      };
      for (let step = 0; step < 600; step += 1) {
        const key = keyOf();
        const choice = next();
        const value = Buffer.from(`v${Math.floor(next() * 5)}`);
        const run = (ns: ZdbNamespace) =>
          choice < 0.5
            ? ns.set(key, value)
            : choice < 0.65
              ? ns.del(key)
              : choice < 0.85
                ? ns.get(key)
                : ns.exists(key);
        const got = await outcome(() => run(real));
        const expected = await outcome(() => run(double));
        expect(`${step}: ${expected}`).toBe(`${step}: ${got}`);
        if (mode === "seq" && choice < 0.5 && key.length === 0 && got.startsWith("bytes:")) {
          seqKeys.push(Buffer.from(got.slice("bytes:".length), "hex"));
        }
      }
      expect(await listing(double)).toEqual(await listing(real));
      expect((await double.stats()).entries).toBe((await real.stats()).entries);
    } finally {
      await engine.close();
    }
  });
}
