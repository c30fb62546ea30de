import { describe, expect, test } from "bun:test";
import {
  copyFileSync,
  readdirSync,
  readFileSync,
  statSync,
  truncateSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { openEngine } from "../../src/zdb/engine.ts";
import { removeDir, seqKey, str, tempDir, utf8 } from "./helpers.ts";

async function open(dir: string, dataFileBytesMax = 512 * 1024) {
  return openEngine({ dataDir: join(dir, "data"), indexDir: join(dir, "index"), dataFileBytesMax });
}

describe("restart and replay", () => {
  test("user and seq namespaces survive a restart, with rotation", async () => {
    const dir = tempDir();
    try {
      let engine = await open(dir);
      engine.create("u");
      engine.create("s");
      engine.setProperty("s", "mode", "seq");
      const u = engine.namespace("u");
      const s = engine.namespace("s");
      if (!u || !s) throw new Error("namespaces missing");
      const big = new Uint8Array(100_000).fill(7);
      for (let i = 0; i < 20; i++) {
        await u.set(utf8(`key-${i}`), i % 2 ? big : utf8(`value-${i}`));
        await s.set(new Uint8Array(0), utf8(`seq-${i}`));
      }
      await u.set(utf8("key-0"), utf8("changed"));
      await u.del(utf8("key-2"));
      await s.set(seqKey(3), utf8("seq-3-updated"));
      expect(u.store.currentId).toBeGreaterThan(0);
      await engine.close();
      engine = await open(dir);
      const u2 = engine.namespace("u");
      const s2 = engine.namespace("s");
      if (!u2 || !s2) throw new Error("namespaces missing after restart");
      expect(str(await u2.get(utf8("key-0")))).toBe("changed");
      expect(await u2.get(utf8("key-2"))).toBeNull();
      expect((await u2.get(utf8("key-5")))?.length).toBe(100_000);
      expect(str(await u2.get(utf8("key-4")))).toBe("value-4");
      expect(u2.store.entries).toBe(19);
      expect(s2.mode).toBe("seq");
      expect(str(await s2.get(seqKey(3)))).toBe("seq-3-updated");
      expect(str(await s2.get(seqKey(19)))).toBe("seq-19");
      await engine.close();
    } finally {
      removeDir(dir);
    }
  });
});

/** Write entries, then cut the last file at every byte of its last entry and reopen. */
async function tornTail(kind: "data" | "index", mode: "user" | "seq") {
  const dir = tempDir();
  try {
    const engine = await open(dir);
    engine.create("t");
    if (mode === "seq") engine.setProperty("t", "mode", "seq");
    const ns = engine.namespace("t");
    if (!ns) throw new Error("namespace missing");
    const keyOf = (i: number) => (mode === "seq" ? new Uint8Array(0) : utf8(`k${i}`));
    for (let i = 0; i < 5; i++) await ns.set(keyOf(i), utf8(`value-${i}`));
    const folder = join(dir, kind, "t");
    const file = join(folder, kind === "data" ? "d0" : "i0");
    const before = statSync(file).size;
    await ns.set(keyOf(5), utf8("the last value, torn"));
    const after = statSync(file).size;
    await engine.close();
    const pristine = `${file}.pristine`;
    copyFileSync(file, pristine);
    for (let cut = before; cut < after; cut++) {
      copyFileSync(pristine, file);
      truncateSync(file, cut);
      const again = await open(dir);
      const t = again.namespace("t");
      if (!t) throw new Error("namespace missing after reopen");
      for (let i = 0; i < 5; i++) {
        const key = mode === "seq" ? seqKey(i) : utf8(`k${i}`);
        expect(str(await t.get(key))).toBe(`value-${i}`);
      }
      const last = mode === "seq" ? seqKey(5) : utf8("k5");
      expect(await t.get(last)).toBeNull();
      expect(t.store.entries).toBe(5);
      // The store keeps working after the cut.
      const written = await t.set(mode === "seq" ? new Uint8Array(0) : last, utf8("again"));
      expect(str(await t.get(written as Uint8Array))).toBe("again");
      await again.close();
    }
    expect(readdirSync(folder).length).toBeGreaterThan(0);
  } finally {
    removeDir(dir);
  }
}

describe("torn tail at every byte offset of the last entry", () => {
  test("data file, user mode", () => tornTail("data", "user"));
  test("index file, user mode", () => tornTail("index", "user"));
  test("data file, seq mode", () => tornTail("data", "seq"));
  test("index file, seq mode", () => tornTail("index", "seq"));
});

test("a torn overwrite brings the previous version back", async () => {
  const dir = tempDir();
  try {
    const engine = await open(dir);
    const ns = engine.namespace("default");
    if (!ns) throw new Error("default missing");
    await ns.set(utf8("k"), utf8("old"));
    const file = join(dir, "data", "default", "d0");
    const size = statSync(file).size;
    await ns.set(utf8("k"), utf8("new value"));
    await engine.close();
    truncateSync(file, size + 5);
    const again = await open(dir);
    expect(str((await again.namespace("default")?.get(utf8("k"))) ?? null)).toBe("old");
    await again.close();
  } finally {
    removeDir(dir);
  }
});

test("a fixed-mode server makes new namespaces in its mode and refuses other-mode ones", async () => {
  const dir = tempDir();
  try {
    const options = { dataDir: join(dir, "data"), indexDir: join(dir, "index") };
    const mixed = await openEngine(options);
    mixed.create("users");
    await mixed.close();
    await expect(openEngine({ ...options, mode: "seq" })).rejects.toThrow("user mode, not seq");
    const dir2 = tempDir();
    try {
      const seq = await openEngine({
        dataDir: join(dir2, "d"),
        indexDir: join(dir2, "i"),
        mode: "seq",
      });
      const ns = seq.create("s");
      expect(ns.mode).toBe("seq");
      expect(() => seq.setProperty("s", "mode", "user")).toThrow("fixed mode");
      await seq.close();
    } finally {
      removeDir(dir2);
    }
  } finally {
    removeDir(dir);
  }
});

test("CHECK reports a corrupted payload (0) and a good one (1)", async () => {
  const dir = tempDir();
  try {
    let engine = await open(dir);
    const ns = engine.namespace("default");
    if (!ns) throw new Error("default missing");
    await ns.set(utf8("first"), utf8("payload-one"));
    await ns.set(utf8("second"), utf8("payload-two"));
    await engine.close();
    const file = join(dir, "data", "default", "d0");
    const bytes = readFileSync(file);
    const at = bytes.indexOf("payload-one");
    bytes[at] = bytes[at] === 0x41 ? 0x42 : 0x41;
    writeFileSync(file, bytes);
    engine = await open(dir);
    const again = engine.namespace("default");
    expect(again?.store.check(utf8("first"))).toBe(0);
    expect(again?.store.check(utf8("second"))).toBe(1);
    expect(again?.store.check(utf8("missing"))).toBeNull();
    await engine.close();
  } finally {
    removeDir(dir);
  }
});
