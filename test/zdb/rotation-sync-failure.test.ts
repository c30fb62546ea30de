import { afterEach, expect, test } from "bun:test";
import * as fs from "node:fs";
import { join } from "node:path";
import { openEngine } from "../../src/zdb/engine.ts";
import { removeDir, tempDir, utf8 } from "./helpers.ts";

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) removeDir(dir);
});

test("a failed sync of a rotated pair is logged and fails the store, no unhandled rejection", async () => {
  const dir = tempDir("qss-zdb-jumpfail-");
  dirs.push(dir);
  const lines: string[] = [];
  const engine = await openEngine({
    dataDir: join(dir, "data"),
    indexDir: join(dir, "index"),
    log: (line) => lines.push(line),
  });
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown) => unhandled.push(reason);
  process.on("unhandledRejection", onUnhandled);
  const ns = engine.namespace("default");
  if (!ns) throw new Error("default namespace missing");
  const store = ns.store;
  const realDataFd = store.dataFd;
  const announced: string[] = [];
  engine.on((event) => {
    if (event.name === "jump-data") announced.push(event.args[0] as string);
    return undefined;
  });
  try {
    ns.setNow(utf8("a"), utf8("b"));
    store.flushPending();
    // The closed pair's data fsync fails (as EIO would): a descriptor number never opened.
    store.dataFd = 999_999;
    store.jump();
    for (let i = 0; i < 50 && store.failure === null; i += 1) await Bun.sleep(10);
    await Bun.sleep(50);
    expect(unhandled).toEqual([]);
    expect(store.failure).toContain("sync of a rotated file failed");
    expect(lines.some((line) => line.includes("sync of a rotated file failed"))).toBe(true);
    // Not durable, so not announced for upload.
    expect(announced).toEqual([]);
  } finally {
    process.off("unhandledRejection", onUnhandled);
    fs.closeSync(realDataFd);
    await engine.close().catch(() => undefined);
  }
});

test("jump-data is announced once the closed pair is synced", async () => {
  const dir = tempDir("qss-zdb-jumpok-");
  dirs.push(dir);
  const engine = await openEngine({ dataDir: join(dir, "data"), indexDir: join(dir, "index") });
  try {
    const announced: string[] = [];
    engine.on((event) => {
      if (event.name === "jump-data") announced.push(event.args[0] as string);
      return undefined;
    });
    const ns = engine.namespace("default");
    if (!ns) throw new Error("default namespace missing");
    ns.setNow(utf8("a"), utf8("b"));
    ns.store.jump();
    await ns.store.settle();
    await Bun.sleep(10);
    expect(announced).toEqual([join(dir, "data", "default", "d0")]);
  } finally {
    await engine.close();
  }
});

test("a rotation that cannot create the next pair keeps writing to the current one", async () => {
  const dir = tempDir("qss-zdb-jumpcreate-");
  dirs.push(dir);
  const options = { dataDir: join(dir, "data"), indexDir: join(dir, "index") };
  const engine = await openEngine(options);
  const ns = engine.namespace("default");
  if (!ns) throw new Error("default namespace missing");
  ns.setNow(utf8("a"), utf8("1"));
  // The next data file's name is taken by a directory: the pair cannot be created.
  const nextIndex = join(dir, "index", "default", "i1");
  const nextData = join(dir, "data", "default", "d1");
  fs.mkdirSync(nextData);
  expect(() => ns.store.jump()).toThrow();
  expect(ns.store.currentId).toBe(0);
  expect(fs.existsSync(nextIndex)).toBe(false); // the half-made pair is gone
  ns.setNow(utf8("b"), utf8("2")); // still written, to the current pair
  fs.rmdirSync(nextData);
  ns.store.jump();
  expect(ns.store.currentId).toBe(1);
  ns.setNow(utf8("c"), utf8("3"));
  await engine.close();
  const reopened = await openEngine(options);
  const back = reopened.namespace("default");
  for (const [key, value] of [
    ["a", "1"],
    ["b", "2"],
    ["c", "3"],
  ] as const) {
    expect(new TextDecoder().decode((await back?.get(utf8(key))) ?? new Uint8Array())).toBe(value);
  }
  await reopened.close();
});
