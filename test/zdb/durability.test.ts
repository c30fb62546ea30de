import { expect, test } from "bun:test";
import { readFileSync, renameSync } from "node:fs";
import { join } from "node:path";
import { type Engine, openEngine } from "../../src/zdb/engine.ts";
import { type EngineNamespace, replayIntervalMs } from "../../src/zdb/engine-namespace.ts";
import { removeDir, str, tempDir, utf8 } from "./helpers.ts";

const dirOptions = (dir: string) => ({ dataDir: join(dir, "data"), indexDir: join(dir, "index") });

/** `body` on namespace "default" of an engine over a fresh directory, removed afterwards. */
async function withDefault(
  body: (ns: EngineNamespace, engine: Engine, dir: string) => Promise<void>,
): Promise<void> {
  const dir = tempDir();
  try {
    const engine = await openEngine(dirOptions(dir));
    const ns = engine.namespace("default");
    if (!ns) throw new Error("default missing");
    await body(ns, engine, dir);
    await engine.close();
  } finally {
    removeDir(dir);
  }
}

/**
 * From now on the current store's data file fails every write and sync (EBADF, as a full disk
 * or EIO would); the returned function gives it its descriptor back.
 */
function breakDataFile(ns: EngineNamespace): () => void {
  const store = ns.store;
  const dataFd = store.dataFd;
  store.dataFd = 1_000_000;
  return () => {
    store.dataFd = dataFd;
  };
}

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

test("in-process sets of one synchronous run share one flush; a failed flush rejects them all", async () => {
  const dir = tempDir();
  try {
    const engine = await openEngine({ dataDir: join(dir, "data"), indexDir: join(dir, "index") });
    const ns = engine.namespace("default");
    if (!ns) throw new Error("default missing");
    let flushes = 0;
    const realFlush = ns.store.flushPending.bind(ns.store);
    ns.store.flushPending = () => {
      flushes++;
      realFlush();
    };
    const value = new Uint8Array(32 * 1024).fill(9);
    await Promise.all(Array.from({ length: 32 }, (_v, i) => ns.set(utf8(`b${i}`), value)));
    expect(flushes).toBe(1);
    value.fill(0); // the caller's buffer is free again once the promises settled
    expect((await ns.get(utf8("b31")))?.every((v) => v === 9)).toBe(true);

    ns.store.flushPending = () => {
      ns.store.failure = "simulated EIO";
      throw new Error("simulated EIO");
    };
    const failing = Array.from({ length: 4 }, (_v, i) => ns.set(utf8(`c${i}`), value));
    const results = await Promise.allSettled(failing);
    expect(results.map((r) => r.status)).toEqual(["rejected", "rejected", "rejected", "rejected"]);
    expect(String((results[0] as PromiseRejectedResult).reason)).toContain("simulated EIO");
    ns.store.flushPending = realFlush;
    await expect(ns.set(utf8("after"), value)).rejects.toThrow("Cannot write data right now");
    await engine.close();
  } finally {
    removeDir(dir);
  }
});

test("stage: a refusal throws at once, a staged value reads back before its flush", () =>
  withDefault(async (ns) => {
    ns.leaveCachingToOwner(); // as the filesystem's data namespace: reads go to the file
    let flushes = 0;
    const realFlush = ns.store.flushPending.bind(ns.store);
    ns.store.flushPending = () => {
      flushes++;
      realFlush();
    };
    const staged = ns.stage(utf8("s"), utf8("staged value"));
    expect(flushes).toBe(0); // not written yet
    expect(str(ns.getNow(utf8("s")))).toBe("staged value"); // the read writes it first
    expect(flushes).toBe(1);
    await staged;
    // Refusals come as throws, not as rejected promises.
    const thrown = (stage: () => Promise<void>) => {
      try {
        void stage().catch(() => {});
        return "";
      } catch (error) {
        return String(error);
      }
    };
    expect(thrown(() => ns.stage(utf8("x".repeat(300)), utf8("v")))).toContain("Key too large");
    ns.store.failure = "simulated EIO";
    expect(thrown(() => ns.stage(utf8("t"), utf8("v")))).toContain("Cannot write data right now");
  }));

test("a staged value whose write failed in another caller's flush rejects; no index entry names it", () =>
  withDefault(async (ns, _engine, dir) => {
    ns.leaveCachingToOwner();
    await ns.set(utf8("before"), utf8("kept"));
    await ns.sync();
    const indexFile = join(dir, "index", "default", "i0");
    const indexBytes = readFileSync(indexFile).length;
    const staged = ns.stage(utf8("lost"), new Uint8Array(64 * 1024).fill(3));
    const repair = breakDataFile(ns);
    expect(() => ns.getNow(utf8("lost"))).toThrow(); // this read's flush hits the error
    repair();
    await expect(staged).rejects.toThrow("Cannot write data right now");
    ns.store.flushPending();
    // The index entry of the value that never reached the data file was not written either.
    expect(readFileSync(indexFile).length).toBe(indexBytes);
    // The next sync replays the files (a failed write is recovered): the lost value is absent
    // from the replayed store, not named by an index entry pointing at nothing.
    await ns.sync();
    expect(await ns.get(utf8("lost"))).toBeNull();
    expect(str(ns.getNow(utf8("before")))).toBe("kept");
  }));

test("a failed fsync fails the store: the next sync does not report success", () =>
  withDefault(async (ns) => {
    ns.setNow(utf8("k"), utf8("v")); // written, not yet synced
    const repair = breakDataFile(ns);
    await expect(ns.sync()).rejects.toThrow();
    repair();
    await expect(ns.sync()).rejects.toThrow("Cannot write data right now");
    expect(ns.store.failure).toContain("sync failed");
  }));

test("a store whose file write failed is replayed by the next set or sync, keeping what reached the files", () =>
  withDefault(async (ns, engine, dir) => {
    ns.leaveCachingToOwner();
    await ns.set(utf8("a"), utf8("1"));
    await ns.sync();
    let repair = breakDataFile(ns); // the write fails, as on a full disk
    await expect(ns.set(utf8("b"), utf8("2"))).rejects.toThrow();
    repair(); // space again
    const failed = ns.store;
    await ns.set(utf8("c"), utf8("3")); // replays the files first
    expect(ns.store).not.toBe(failed);
    expect(ns.store.cachingLeftToOwner).toBe(true);
    expect(str(await ns.get(utf8("a")))).toBe("1");
    expect(await ns.get(utf8("b"))).toBeNull(); // never acknowledged
    expect(str(await ns.get(utf8("c")))).toBe("3");
    await ns.sync();
    // A second failure within the interval is not replayed at once.
    repair = breakDataFile(ns);
    await expect(ns.set(utf8("d"), utf8("4"))).rejects.toThrow();
    repair();
    await expect(ns.set(utf8("e"), utf8("5"))).rejects.toThrow("Cannot write data right now");
    await engine.close();
    const reopened = await openEngine(dirOptions(dir));
    const back = reopened.namespace("default");
    expect(str((await back?.get(utf8("c"))) ?? null)).toBe("3");
    await reopened.close();
  }));

test("a store whose sync failed is not replayed: it stays failed", () =>
  withDefault(async (ns) => {
    ns.setNow(utf8("k"), utf8("v"));
    const repair = breakDataFile(ns);
    await expect(ns.sync()).rejects.toThrow();
    repair();
    const failed = ns.store;
    await expect(ns.set(utf8("k2"), utf8("v"))).rejects.toThrow("Cannot write data right now");
    expect(ns.store).toBe(failed);
  }));

test(
  "replay guards: a sync failing after a write failure, unreplayable files, a close meanwhile",
  () =>
    withDefault(async (ns, engine, dir) => {
      // A failed write, then a failed sync of the same store: never replayed.
      ns.setNow(utf8("x"), utf8("1"));
      let repair = breakDataFile(ns);
      const syncing = ns.durable();
      expect(() => ns.setNow(utf8("y"), utf8("2"))).toThrow();
      await expect(syncing).rejects.toThrow();
      repair();
      const failed = ns.store;
      await expect(ns.sync()).rejects.toThrow();
      expect(ns.store).toBe(failed);
      await engine.close();

      // Files that cannot be replayed: the failed store stays, still readable.
      const second = await openEngine(dirOptions(dir));
      const ns2 = second.namespace("default");
      if (!ns2) throw new Error("default missing");
      await ns2.set(utf8("z"), utf8("3"));
      repair = breakDataFile(ns2);
      await expect(ns2.set(utf8("w"), utf8("4"))).rejects.toThrow();
      repair();
      const d0 = join(dir, "data", "default", "d0");
      renameSync(d0, `${d0}.away`);
      const stuck = ns2.store;
      await expect(ns2.set(utf8("v"), utf8("5"))).rejects.toThrow();
      expect(ns2.store).toBe(stuck);
      expect(str(await ns2.get(utf8("z")))).toBe("3");
      renameSync(`${d0}.away`, d0);

      // A close while the replay runs waits for it and closes the replayed store.
      await Bun.sleep(replayIntervalMs + 20);
      const replaying = ns2.sync();
      const closing = second.close();
      await replaying;
      await closing;
      const third = await openEngine(dirOptions(dir)); // the lock was released
      expect(str((await third.namespace("default")?.get(utf8("z"))) ?? null)).toBe("3");
      await third.close();
    }),
  20_000,
);
