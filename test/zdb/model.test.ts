import { expect, test } from "bun:test";
import { join } from "node:path";
import { type Engine, openEngine } from "../../src/zdb/engine.ts";
import type { EngineNamespace } from "../../src/zdb/engine-namespace.ts";
import { removeDir, seqKey, tempDir } from "./helpers.ts";

/** mulberry32: a failure replays with its seed. */
function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function value(random: () => number): Uint8Array {
  const size =
    random() < 0.1 ? 60_000 + Math.floor(random() * 60_000) : Math.floor(random() * 3000);
  const bytes = new Uint8Array(size);
  const fill = Math.floor(random() * 256);
  for (let i = 0; i < size; i += 97) bytes[i] = (fill + i) & 0xff;
  return bytes;
}

async function open(dir: string): Promise<Engine> {
  return openEngine({
    dataDir: join(dir, "data"),
    indexDir: join(dir, "index"),
    dataFileBytesMax: 512 * 1024,
  });
}

async function checkAll(
  ns: EngineNamespace,
  model: Map<string, Uint8Array>,
  keyOf: (k: string) => Uint8Array,
) {
  for (const [key, expected] of model) {
    const got = await ns.get(keyOf(key));
    expect(got === null ? null : Buffer.from(got).equals(expected)).toBe(true);
  }
  expect(ns.store.entries).toBe(model.size);
}

test("user mode: random SET/DEL/NSJUMP/restart agree with an in-memory model", async () => {
  const dir = tempDir("qss-zdb-model-");
  const random = prng(1234);
  const model = new Map<string, Uint8Array>();
  const keyOf = (k: string) => new TextEncoder().encode(k);
  try {
    let engine = await open(dir);
    engine.create("m");
    for (let step = 0; step < 1500; step++) {
      const ns = engine.namespace("m") as EngineNamespace;
      const key = `key-${Math.floor(random() * 60)}`;
      const dice = random();
      if (dice < 0.6) {
        const v = value(random);
        await ns.set(keyOf(key), v);
        model.set(key, v);
      } else if (dice < 0.8) {
        expect(await ns.del(keyOf(key))).toBe(model.delete(key));
      } else if (dice < 0.95) {
        const got = await ns.get(keyOf(key));
        const expected = model.get(key) ?? null;
        expect(got === null ? null : Buffer.from(got).equals(expected as Uint8Array)).toBe(
          expected === null ? null : true,
        );
      } else if (dice < 0.98) {
        ns.store.jump();
      } else {
        await engine.close();
        engine = await open(dir);
        await checkAll(engine.namespace("m") as EngineNamespace, model, keyOf);
      }
    }
    await engine.close();
    engine = await open(dir);
    await checkAll(engine.namespace("m") as EngineNamespace, model, keyOf);
    await engine.close();
  } finally {
    removeDir(dir);
  }
}, 60_000);

test("seq mode: random insert/update/DEL/restart agree with an in-memory model", async () => {
  const dir = tempDir("qss-zdb-model-seq-");
  const random = prng(99);
  const model = new Map<string, Uint8Array>();
  const ids: number[] = [];
  const keyOf = (k: string) => seqKey(Number(k));
  try {
    let engine = await open(dir);
    engine.create("s");
    engine.setProperty("s", "mode", "seq");
    for (let step = 0; step < 1200; step++) {
      const ns = engine.namespace("s") as EngineNamespace;
      const dice = random();
      const live = [...model.keys()];
      const pick = live[Math.floor(random() * live.length)];
      if (dice < 0.45 || pick === undefined) {
        const v = value(random);
        const id = await ns.set(new Uint8Array(0), v);
        const number = Number(Buffer.from(id as Uint8Array).readBigUInt64LE(0));
        expect(ids.includes(number)).toBe(false);
        ids.push(number);
        model.set(String(number), v);
      } else if (dice < 0.7) {
        const v = value(random);
        await ns.set(keyOf(pick), v);
        model.set(pick, v);
      } else if (dice < 0.8) {
        expect(await ns.del(keyOf(pick))).toBe(true);
        model.delete(pick);
      } else if (dice < 0.95) {
        const got = await ns.get(keyOf(pick));
        expect(Buffer.from(got as Uint8Array).equals(model.get(pick) as Uint8Array)).toBe(true);
      } else if (dice < 0.98) {
        ns.store.jump();
      } else {
        await engine.close();
        engine = await open(dir);
        await checkAll(engine.namespace("s") as EngineNamespace, model, keyOf);
      }
    }
    await engine.close();
    engine = await open(dir);
    await checkAll(engine.namespace("s") as EngineNamespace, model, keyOf);
    await engine.close();
  } finally {
    removeDir(dir);
  }
}, 60_000);
