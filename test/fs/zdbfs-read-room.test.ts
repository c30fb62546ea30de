import { expect, test } from "bun:test";
import { blockSizeBytes } from "../../src/fs/zdbfs/limits.ts";
import { b, mount, mountTracker, ok, root, rootCtx } from "./helpers.ts";

const block = blockSizeBytes;
const mounts = mountTracker();

test("a read into lent memory full of old bytes returns exactly the file: holes and short blocks zeroed", async () => {
  const { fs } = await mount({ flushIntervalMs: 3_600_000 });
  mounts.track(fs);
  const created = ok(await fs.create(root, b("sparse"), 0o644, 2, 0, rootCtx));
  const { ino } = created.entry.attr;
  const fh = created.open.fh;
  // Block 0: 100 bytes then nothing (short block); block 1: a hole; block 2: whole; block 3:
  // 10 bytes at its middle (the file ends there).
  const expected = new Uint8Array(3 * block + block / 2 + 10);
  expected.fill(1, 0, 100);
  expected.fill(2, 2 * block, 3 * block);
  expected.fill(3, 3 * block + block / 2);
  await fs.write(ino, fh, 0, expected.subarray(0, 100), 0, rootCtx);
  await fs.write(ino, fh, 2 * block, expected.subarray(2 * block, 3 * block), 0, rootCtx);
  await fs.write(
    ino,
    fh,
    3 * block + block / 2,
    expected.subarray(3 * block + block / 2),
    0,
    rootCtx,
  );
  for (const flushed of [false, true]) {
    if (flushed) await fs.core.commit(); // then some blocks come from the store, not the cache
    const readRoom = new Uint8Array(8 * block).fill(0xee);
    const back = ok(await fs.read(ino, fh, 0, 8 * block, { ...rootCtx, readRoom }));
    expect(back.buffer).toBe(readRoom.buffer); // no allocation: the lent memory came back
    expect(back.length).toBe(expected.length);
    expect(Buffer.from(back).equals(Buffer.from(expected))).toBe(true);
  }
  // Room too small for the read: fresh memory, same bytes.
  const small = new Uint8Array(16).fill(0xee);
  const whole = ok(await fs.read(ino, fh, 0, 8 * block, { ...rootCtx, readRoom: small }));
  expect(whole.buffer).not.toBe(small.buffer);
  expect(Buffer.from(whole).equals(Buffer.from(expected))).toBe(true);
});
