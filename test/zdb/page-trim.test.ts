/**
 * A namespace that leaves caching to its owner keeps its data file's written pages out of
 * the page cache once they are on disk (fincore counts the resident bytes), and the pages
 * behind a sequential read; a namespace that does not keeps them, as do random reads. The
 * data itself is unaffected.
 */
import { afterEach, expect, test } from "bun:test";
import { join } from "node:path";
import { openEngine } from "../../src/zdb/engine.ts";
import { trimStepBytes } from "../../src/zdb/page-trim.ts";
import { removeDir, tempDir, utf8 } from "./helpers.ts";

/** Removed after each test, also one that timed out midway. */
const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) removeDir(dir);
});

function residentBytes(path: string): number {
  const result = Bun.spawnSync(["fincore", "--bytes", "--noheadings", "--output", "RES", path]);
  if (!result.success) throw new Error(`fincore ${path}: ${result.stderr.toString()}`);
  return Number(result.stdout.toString().trim());
}

async function writeAndSync(leaveCaching: boolean) {
  const dir = tempDir();
  dirs.push(dir);
  const engine = await openEngine({ dataDir: join(dir, "data"), indexDir: join(dir, "index") });
  const ns = engine.namespace("default");
  if (!ns) throw new Error("default missing");
  if (leaveCaching) ns.leaveCachingToOwner();
  const value = new Uint8Array(1024 * 1024);
  const total = 3 * trimStepBytes;
  for (let i = 0; i < total / value.length; i++) {
    value.fill(i & 0xff);
    await ns.set(utf8(`block-${i}`), value);
  }
  await ns.sync();
  // The pages are dropped by a Worker: wait (bounded) for it when they should go.
  const dataFile = join(dir, "data", "default", "d0");
  let resident = residentBytes(dataFile);
  for (let wait = 0; leaveCaching && wait < 100 && resident >= total / 4; wait++) {
    await Bun.sleep(20);
    resident = residentBytes(dataFile);
  }
  const back = await ns.get(utf8("block-5"));
  await engine.close();
  removeDir(dir);
  return { resident, total, backOk: back?.every((v) => v === 5) === true };
}

test("leaving caching to the owner drops the data file's pages once written; values still read", async () => {
  const trimmed = await writeAndSync(true);
  expect(trimmed.backOk).toBe(true);
  expect(trimmed.resident).toBeLessThan(trimmed.total / 4);
  const kept = await writeAndSync(false);
  expect(kept.backOk).toBe(true);
  expect(kept.resident).toBeGreaterThan(kept.total / 2);
}, 60_000);

/** Resident bytes of the data file once every value was read back in `order`. */
async function readBack(order: "sequential" | "shuffled") {
  const dir = tempDir();
  dirs.push(dir);
  const engine = await openEngine({ dataDir: join(dir, "data"), indexDir: join(dir, "index") });
  const ns = engine.namespace("default");
  if (!ns) throw new Error("default missing");
  ns.leaveCachingToOwner();
  const value = new Uint8Array(1024 * 1024);
  const count = (6 * trimStepBytes) / value.length;
  for (let i = 0; i < count; i++) {
    value.fill(i & 0xff);
    await ns.set(utf8(`block-${i}`), value);
  }
  await ns.sync();
  const dataFile = join(dir, "data", "default", "d0");
  for (let wait = 0; wait < 100 && residentBytes(dataFile) > 0; wait++) await Bun.sleep(20);
  const before = residentBytes(dataFile);
  const indexes = Array.from({ length: count }, (_v, i) => i);
  if (order === "shuffled") indexes.sort((a, b) => ((a * 7919) % count) - ((b * 7919) % count));
  let allOk = true;
  for (const i of indexes) {
    const length = await ns.getInto(utf8(`block-${i}`), value);
    allOk &&= length === value.length && value.every((v) => v === (i & 0xff));
  }
  let resident = residentBytes(dataFile);
  for (
    let wait = 0;
    order === "sequential" && wait < 100 && resident >= (count * value.length) / 4;
    wait++
  ) {
    await Bun.sleep(20);
    resident = residentBytes(dataFile);
  }
  await engine.close();
  removeDir(dir);
  return { before, resident, total: count * value.length, allOk };
}

test("a sequential read drops the pages behind it; a shuffled one keeps what it read", async () => {
  const sequential = await readBack("sequential");
  expect(sequential.allOk).toBe(true);
  expect(sequential.before).toBeLessThan(sequential.total / 8);
  expect(sequential.resident).toBeLessThan(sequential.total / 4);
  const shuffled = await readBack("shuffled");
  expect(shuffled.allOk).toBe(true);
  expect(shuffled.resident).toBeGreaterThan(shuffled.total / 2);
}, 60_000);
