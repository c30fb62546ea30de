/**
 * Reads answered through a read sink (the FUSE server's splice path) over the embedded
 * engine: the bytes the sink receives — copies for cached blocks and zeros, file ranges
 * located in the engine's files — are exactly the file's, and a sink that fails midway
 * leaves the usual read to answer, with the same bytes.
 */
import { expect, test } from "bun:test";
import { readSync } from "node:fs";
import type { ReadSink } from "../../src/fs/operations.ts";
import { blockSizeBytes } from "../../src/fs/zdbfs/limits.ts";
import { b, engineTracker, mount, mountTracker, ok, root, rootCtx } from "./helpers.ts";

const block = blockSizeBytes;
const mounts = mountTracker();
const engines = engineTracker();

/** A sink that assembles what it is given; `failAfter` pieces, it fails. */
function recordingSink(failAfter = Number.POSITIVE_INFINITY) {
  let out = new Uint8Array(0);
  let at = 0;
  let pieces = 0;
  let fileRanges = 0;
  let sent = false;
  const sink: ReadSink = {
    begin: (count) => {
      out = new Uint8Array(count).fill(0xee);
      return true;
    },
    bytes: (bytes) => {
      if (++pieces > failAfter) return false;
      out.set(bytes, at);
      at += bytes.length;
      return true;
    },
    file: (fd, offset, length) => {
      if (++pieces > failAfter) return false;
      fileRanges++;
      at += readSync(fd, out, at, length, offset) === length ? length : Number.NaN;
      return true;
    },
    end: () => {
      sent = at === out.length;
      return sent;
    },
    abort: () => {},
  };
  return { sink, result: () => ({ out, sent, fileRanges }) };
}

async function fileWithEverything() {
  const { data } = await engines.open("qss-sink-");
  // No read cache: stored blocks are read from the engine's files, not from memory.
  const options = { flushIntervalMs: 3_600_000, readCacheBytesMax: 0 };
  const { fs } = await mount(options, undefined, data as never);
  mounts.track(fs);
  const created = ok(await fs.create(root, b("f"), 0o644, 2, 0, rootCtx));
  const { ino } = created.entry.attr;
  const fh = created.open.fh;
  // Block 0 short (stored), 1 a hole, 2 whole (stored), 3 whole (dirty in the cache), 4 short.
  const expected = new Uint8Array(4 * block + 777);
  const pattern = (from: number, to: number) => {
    for (let i = from; i < to; i++) expected[i] = 1 + (i % 251);
  };
  pattern(0, 1000);
  pattern(2 * block, 3 * block);
  pattern(4 * block, expected.length);
  await fs.write(ino, fh, 0, expected.subarray(0, 1000), 0, rootCtx);
  await fs.write(ino, fh, 2 * block, expected.subarray(2 * block, 3 * block), 0, rootCtx);
  await fs.write(ino, fh, 4 * block, expected.subarray(4 * block), 0, rootCtx);
  await fs.fsync(ino, fh, false, rootCtx); // blocks 0, 2, 4 in the engine's files
  pattern(3 * block, 4 * block);
  await fs.write(ino, fh, 3 * block, expected.subarray(3 * block, 4 * block), 0, rootCtx);
  return { fs, ino, fh, expected };
}

test("a read through the sink sends exactly the file's bytes, stored blocks as file ranges", async () => {
  const { fs, ino, fh, expected } = await fileWithEverything();
  const { sink, result } = recordingSink();
  await fs.read(ino, fh, 0, 8 * block, { ...rootCtx, readSink: sink });
  const { out, sent, fileRanges } = result();
  expect(sent).toBe(true);
  expect(fileRanges).toBeGreaterThanOrEqual(2);
  expect(Buffer.from(out).equals(Buffer.from(expected))).toBe(true);
  // An unaligned window too.
  const window = recordingSink();
  await fs.read(ino, fh, 500, 3 * block, { ...rootCtx, readSink: window.sink });
  expect(
    Buffer.from(window.result().out).equals(Buffer.from(expected.subarray(500, 500 + 3 * block))),
  ).toBe(true);
});

test("a sink failing midway leaves the usual read, with the same bytes", async () => {
  const { fs, ino, fh, expected } = await fileWithEverything();
  const { sink, result } = recordingSink(2);
  const back = ok(await fs.read(ino, fh, 0, 8 * block, { ...rootCtx, readSink: sink }));
  expect(result().sent).toBe(false);
  expect(Buffer.from(back).equals(Buffer.from(expected))).toBe(true);
});
