import { describe, expect, test } from "bun:test";
import { MemoryNamespace } from "./memory-namespace.ts";

const k = (...bytes: number[]) => Uint8Array.from(bytes);

describe("MemoryNamespace (test double of ZdbNamespace)", () => {
  test("seq mode: empty key inserts with 8-byte little-endian ids; unknown ids are refused", async () => {
    const ns = new MemoryNamespace("s", "seq");
    const first = await ns.set(new Uint8Array(0), k(1));
    const second = await ns.set(new Uint8Array(0), k(2));
    expect(first).toEqual(k(0, 0, 0, 0, 0, 0, 0, 0));
    expect(second).toEqual(k(1, 0, 0, 0, 0, 0, 0, 0));
    expect(await ns.set(second as Uint8Array, k(3))).toEqual(second);
    expect(await ns.get(second as Uint8Array)).toEqual(k(3));
    await expect(ns.set(k(9, 0, 0, 0, 0, 0, 0, 0), k(1))).rejects.toThrow("only update");
  });

  test("user mode: identical SET returns null, DEL, EXISTS, key limits", async () => {
    const ns = new MemoryNamespace("u");
    expect(await ns.set(k(1), k(5))).toEqual(k(1));
    expect(await ns.set(k(1), k(5))).toBeNull();
    expect(await ns.exists(k(1))).toBe(true);
    expect(await ns.del(k(1))).toBe(true);
    expect(await ns.del(k(1))).toBe(false);
    expect(await ns.get(k(1))).toBeNull();
    await expect(ns.set(new Uint8Array(0), k(1))).rejects.toThrow();
    await expect(ns.set(new Uint8Array(256), k(1))).rejects.toThrow("Key too large");
  });

  test("scan pages through every key once, in insertion order", async () => {
    const ns = new MemoryNamespace("u");
    for (let i = 0; i < 100; i++) await ns.set(k(i + 1), k(i));
    const keys: number[] = [];
    let cursor: Uint8Array | undefined;
    for (let round = 0; round < 10; round++) {
      const page = await ns.scan(cursor);
      keys.push(...page.entries.map((e) => e.key[0] as number));
      if (page.nextCursor === null) break;
      cursor = page.nextCursor;
    }
    expect(keys).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
    expect((await ns.stats()).entries).toBe(100);
  });
});
