/**
 * The splice reply path against a regular file standing in for /dev/fuse: a reply is the
 * out-header plus exactly the pieces given, in order; a failed reply sends nothing and the
 * next one is whole again.
 */
import { afterAll, expect, test } from "bun:test";
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SplicePipe } from "../../src/fuse/splice-reply.ts";

const dir = mkdtempSync(join(tmpdir(), "qss-splice-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const source = join(dir, "source");
const sourceBytes = Uint8Array.from({ length: 100_000 }, (_v, i) => (i * 7) % 251);
writeFileSync(source, sourceBytes);

function header(bytes: Uint8Array) {
  const view = new DataView(bytes.buffer, bytes.byteOffset);
  return {
    len: view.getUint32(0, true),
    error: view.getInt32(4, true),
    unique: view.getUint32(8, true),
  };
}

test("a spliced reply is the header, then the bytes and file ranges in order", () => {
  const pipe = new SplicePipe();
  const device = join(dir, "device-1");
  const deviceFd = openSync(device, "w");
  const sourceFd = openSync(source, "r");
  let sent = 0;
  try {
    const sink = pipe.sink(deviceFd, 77, () => sent++);
    const prefix = new Uint8Array([1, 2, 3]);
    expect(sink.begin(3 + 40_000 + 5)).toBe(true);
    expect(sink.bytes(prefix)).toBe(true);
    expect(sink.file(sourceFd, 12_345, 40_000)).toBe(true);
    expect(sink.bytes(new Uint8Array(5))).toBe(true);
    expect(sink.end()).toBe(true);
    expect(sent).toBe(1);
  } finally {
    closeSync(deviceFd);
    closeSync(sourceFd);
    pipe.close();
  }
  const written = readFileSync(device);
  expect(header(written)).toEqual({ len: 16 + 40_008, error: 0, unique: 77 });
  expect([...written.subarray(16, 19)]).toEqual([1, 2, 3]);
  expect(
    Buffer.from(written.subarray(19, 19 + 40_000)).equals(
      Buffer.from(sourceBytes.subarray(12_345, 52_345)),
    ),
  ).toBe(true);
  expect(written.subarray(40_019).every((v) => v === 0)).toBe(true);
  expect(written.length).toBe(16 + 40_008);
});

test("a reply that fails sends nothing; the next one is whole", () => {
  const pipe = new SplicePipe();
  const device = join(dir, "device-2");
  const deviceFd = openSync(device, "w");
  const sourceFd = openSync(source, "r");
  try {
    const failing = pipe.sink(deviceFd, 1, () => {});
    expect(failing.begin(1000)).toBe(true);
    expect(failing.bytes(new Uint8Array(10))).toBe(true);
    // Past the end of the file: splice moves nothing.
    expect(failing.file(sourceFd, sourceBytes.length, 990)).toBe(false);
    expect(failing.end()).toBe(false);
    // Announced more than given: refused at the end.
    const short = pipe.sink(deviceFd, 2, () => {});
    expect(short.begin(20)).toBe(true);
    expect(short.bytes(new Uint8Array(10))).toBe(true);
    expect(short.end()).toBe(false);
    // Aborted.
    const aborted = pipe.sink(deviceFd, 3, () => {});
    expect(aborted.begin(4)).toBe(true);
    expect(aborted.bytes(new Uint8Array(4))).toBe(true);
    aborted.abort();
    // Then a good one.
    const good = pipe.sink(deviceFd, 4, () => {});
    expect(good.begin(100)).toBe(true);
    expect(good.file(sourceFd, 0, 100)).toBe(true);
    expect(good.end()).toBe(true);
  } finally {
    closeSync(deviceFd);
    closeSync(sourceFd);
    pipe.close();
  }
  const written = readFileSync(device);
  expect(written.length).toBe(116);
  expect(header(written)).toEqual({ len: 116, error: 0, unique: 4 });
  expect(Buffer.from(written.subarray(16)).equals(Buffer.from(sourceBytes.subarray(0, 100)))).toBe(
    true,
  );
});

test("a reply larger than the pipe can hold is refused at begin", () => {
  const pipe = new SplicePipe();
  const deviceFd = openSync(join(dir, "device-3"), "w");
  try {
    expect(pipe.sink(deviceFd, 5, () => {}).begin(64 * 1024 * 1024)).toBe(false);
  } finally {
    closeSync(deviceFd);
    pipe.close();
  }
});

test("replies the filesystem abandons never turn splicing off", () => {
  const pipe = new SplicePipe();
  const deviceFd = openSync(join(dir, "device-4"), "w");
  const sourceFd = openSync(source, "r");
  try {
    for (let i = 0; i < 40; i++) {
      const sink = pipe.sink(deviceFd, i, () => {});
      expect(sink.begin(8)).toBe(true);
      sink.abort();
    }
    const good = pipe.sink(deviceFd, 99, () => {});
    expect(good.begin(8)).toBe(true);
    expect(good.file(sourceFd, 0, 8)).toBe(true);
    expect(good.end()).toBe(true);
    expect(pipe.failed).toBe(0);
  } finally {
    closeSync(deviceFd);
    closeSync(sourceFd);
    pipe.close();
  }
});
