import { afterEach, expect, test } from "bun:test";
import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { openEngine } from "../../src/zdb/engine.ts";
import { removeDir, tempDir, utf8 } from "./helpers.ts";

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) removeDir(dir);
});

/** A hook that hangs (5 s) on `event` and exits 0 at once on anything else. */
function hangingHook(dir: string, event: string): string {
  const script = join(dir, "hook.sh");
  writeFileSync(script, `#!/bin/sh\nif [ "$1" = "${event}" ]; then exec sleep 5; fi\nexit 0\n`, {
    mode: 0o755,
  });
  return script;
}

test("a hung blocking hook (jump-index) is killed after hookRunMsMax and counted as failed", async () => {
  const dir = tempDir("qss-zdb-hooktime-");
  dirs.push(dir);
  const engine = await openEngine({
    dataDir: join(dir, "data"),
    indexDir: join(dir, "index"),
    hook: hangingHook(dir, "jump-index"),
    hookRunMsMax: 300,
  });
  try {
    engine.create("n");
    const ns = engine.namespace("n");
    if (!ns) throw new Error("namespace n missing");
    await ns.set(utf8("k"), utf8("v"));
    const started = Date.now();
    ns.store.jump();
    expect(Date.now() - started).toBeLessThan(2500);
    const run = engine.hooks.runs.findLast((entry) => entry.name === "jump-index");
    expect(run?.status).not.toBe(0);
    // The namespace still works after the failed hook.
    await ns.set(utf8("k2"), utf8("v2"));
    expect(new TextDecoder().decode((await ns.get(utf8("k2"))) ?? new Uint8Array())).toBe("v2");
  } finally {
    await engine.close();
  }
}, 15_000);

test("a hung missing-data hook or listener fails the read after hookRunMsMax", async () => {
  const dir = tempDir("qss-zdb-hooktime-");
  dirs.push(dir);
  const engine = await openEngine({
    dataDir: join(dir, "data"),
    indexDir: join(dir, "index"),
    hook: hangingHook(dir, "missing-data"),
    hookRunMsMax: 300,
  });
  try {
    engine.create("n");
    const ns = engine.namespace("n");
    if (!ns) throw new Error("namespace n missing");
    await ns.set(utf8("old"), utf8("v"));
    ns.store.jump();
    rmSync(join(dir, "data", "n", "d0"));
    let started = Date.now();
    await expect(ns.get(utf8("old"))).rejects.toThrow();
    expect(Date.now() - started).toBeLessThan(2500);
    // An in-process listener that never settles is bounded the same way.
    const stop = engine.on((event) =>
      event.name === "missing-data" ? new Promise<boolean>(() => undefined) : undefined,
    );
    started = Date.now();
    await expect(ns.get(utf8("old"))).rejects.toThrow();
    expect(Date.now() - started).toBeLessThan(2500);
    stop();
  } finally {
    await engine.close();
  }
}, 15_000);
