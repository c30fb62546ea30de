/**
 * Keeps the test double honest: the same seeded random operations on `MemoryNamespace` and on
 * the real engine's namespace give the same results, SCAN order included. User mode only: it is
 * what the filesystem uses; in seq mode the engine follows the reference (an update takes a new
 * id slot for its history copy, a deleted id may be written again), which the double does not.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Engine, openEngine } from "../../src/zdb/engine.ts";
import type { ZdbNamespace } from "../../src/zdb/namespace.ts";
import { MemoryNamespace } from "./memory-namespace.ts";

let work = "";
let engine: Engine;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "qss-double-"));
  engine = await openEngine({ dataDir: join(work, "data"), indexDir: join(work, "index") });
});

afterAll(async () => {
  await engine.close();
  await rm(work, { recursive: true, force: true });
});

function xorshift(seed: number): () => number {
  let state = seed >>> 0 || 1;
  return () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 2 ** 32;
  };
}

const hex = (bytes: Uint8Array | null) =>
  bytes === null ? null : Buffer.from(bytes).toString("hex");

async function scanAll(ns: ZdbNamespace): Promise<string[]> {
  const keys: string[] = [];
  let cursor: Uint8Array | undefined;
  for (let page = 0; page < 10_000; page++) {
    const result = await ns.scan(cursor);
    for (const entry of result.entries) keys.push(`${hex(entry.key)}:${entry.sizeBytes}`);
    if (result.nextCursor === null) return keys;
    cursor = result.nextCursor;
  }
  throw new Error("scan did not end");
}

async function runBoth(mode: "user", seed: number): Promise<void> {
  const name = `double-${mode}-${seed}`;
  const real = engine.create(name);
  const fake = new MemoryNamespace(name, mode, false);
  const random = xorshift(seed);
  const keys: Uint8Array[] = [];
  for (let step = 0; step < 600; step++) {
    const choice = random();
    const known = keys.length > 0 ? keys[Math.floor(random() * keys.length)] : undefined;
    const value = new Uint8Array(Math.floor(random() * 300)).fill(Math.floor(random() * 4));
    if (choice < 0.45 || known === undefined) {
      const key = new TextEncoder().encode(`k${Math.floor(random() * 80)}`);
      const [a, b] = [await real.set(key, value), await fake.set(key, value)];
      expect(hex(b)).toBe(hex(a));
      if (a !== null && !keys.some((k) => hex(k) === hex(a))) keys.push(a);
    } else if (choice < 0.65) {
      expect(hex(await fake.set(known, value))).toBe(hex(await real.set(known, value)));
    } else if (choice < 0.8) {
      expect(await fake.del(known)).toBe(await real.del(known));
    } else if (choice < 0.9) {
      expect(await fake.exists(known)).toBe(await real.exists(known));
    } else {
      expect(hex(await fake.get(known))).toBe(hex(await real.get(known)));
    }
  }
  expect(await scanAll(fake)).toEqual(await scanAll(real));
}

test("user mode: the double answers like the engine", async () => {
  for (const seed of [1, 2, 3]) await runBoth("user", seed);
});
