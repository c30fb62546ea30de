import { expect, test } from "bun:test";
import { join } from "node:path";
import { openEngine } from "../../src/zdb/engine.ts";
import { removeDir, str, tempDir, utf8 } from "./helpers.ts";

test("--sync: concurrent writes share fsyncs (group commit) and all are acknowledged", async () => {
  const dir = tempDir();
  try {
    const engine = await openEngine({
      dataDir: join(dir, "data"),
      indexDir: join(dir, "index"),
      sync: true,
    });
    const ns = engine.namespace("default");
    if (!ns) throw new Error("default missing");
    let fsyncs = 0;
    const original = ns.store.fsyncAsync.bind(ns.store);
    ns.store.fsyncAsync = () => {
      fsyncs++;
      return original();
    };
    const writes = [];
    for (let i = 0; i < 100; i++) writes.push(ns.set(utf8(`k${i}`), utf8(`v${i}`)));
    await Promise.all(writes);
    expect(fsyncs).toBeGreaterThanOrEqual(1);
    expect(fsyncs).toBeLessThan(100);
    expect(ns.store.unsyncedWrites).toBe(0);
    expect(str(await ns.get(utf8("k99")))).toBe("v99");
    await ns.sync();
    await engine.close();
  } finally {
    removeDir(dir);
  }
});

test("sync() with nothing pending resolves at once; a second engine on the directory is refused", async () => {
  const dir = tempDir();
  try {
    const options = { dataDir: join(dir, "data"), indexDir: join(dir, "index") };
    const engine = await openEngine(options);
    await engine.namespace("default")?.sync();
    await expect(openEngine(options)).rejects.toThrow("used by pid");
    await engine.close();
    const reopened = await openEngine(options);
    await reopened.close();
  } finally {
    removeDir(dir);
  }
});
