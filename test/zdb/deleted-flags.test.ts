/**
 * An overwrite flags the replaced version deleted on disk with the next flush (after the new
 * version's appends), or directly in the buffered bytes when the replaced entry is not
 * written yet: never a flush per overwrite.
 */
import { expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { openEngine } from "../../src/zdb/engine.ts";
import { flagDeleted, indexEntryFlagsOffset } from "../../src/zdb/format.ts";
import { removeDir, tempDir, utf8 } from "./helpers.ts";

test("overwritten versions are flagged deleted on disk once flushed, without a flush each", async () => {
  const dir = tempDir();
  try {
    const engine = await openEngine({ dataDir: join(dir, "data"), indexDir: join(dir, "index") });
    const ns = engine.namespace("default");
    if (!ns) throw new Error("default missing");
    const store = ns.store;
    const indexFile = join(dir, "index", "default", "i0");
    const flagOnDisk = (slot: number) =>
      readFileSync(indexFile)[(store.slots.indexOffset[slot] as number) + indexEntryFlagsOffset];
    let flushes = 0;
    const realFlush = store.flushPending.bind(store);
    store.flushPending = () => {
      flushes++;
      realFlush();
    };

    ns.setNow(utf8("k"), utf8("v1")); // written at once
    const first = store.find(utf8("k"));
    flushes = 0;
    ns.setNow(utf8("k"), utf8("v2"), undefined, true); // deferred overwrite
    expect(flushes).toBe(0); // the overwrite did not force a flush
    expect(flagOnDisk(first)).toBe(0);
    store.flushPending();
    expect((flagOnDisk(first) ?? 0) & flagDeleted).toBe(flagDeleted);

    // Both versions buffered: the older one is flagged in the bytes before they are written.
    ns.setNow(utf8("j"), utf8("a"), undefined, true);
    const older = store.find(utf8("j"));
    ns.setNow(utf8("j"), utf8("b"), undefined, true);
    const newer = store.find(utf8("j"));
    store.flushPending();
    expect((flagOnDisk(older) ?? 0) & flagDeleted).toBe(flagDeleted);
    expect(flagOnDisk(newer)).toBe(0);

    // And a restart replays the same: the latest versions are current.
    await engine.close();
    const again = await openEngine({ dataDir: join(dir, "data"), indexDir: join(dir, "index") });
    const reopened = again.namespace("default");
    expect(new TextDecoder().decode((await reopened?.get(utf8("k"))) ?? undefined)).toBe("v2");
    expect(new TextDecoder().decode((await reopened?.get(utf8("j"))) ?? undefined)).toBe("b");
    await again.close();
  } finally {
    removeDir(dir);
  }
});
