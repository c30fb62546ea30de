import { expect, test } from "bun:test";
import { DataTail } from "../../src/zdb/data-tail.ts";
import { tailsMax } from "../../src/zdb/limits.ts";

/** Random appends against a plain "file"; every read the tail accepts must match the file. */
test("the tail serves exactly the file's bytes, across wraps, big entries and restarts", () => {
  const ringBytes = 1000;
  const tail = new DataTail(ringBytes, 300);
  const file = new Uint8Array(200_000);
  let end = 24;
  tail.reset(end);
  let state = 12345;
  const random = (below: number) => {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    return (state >>> 8) % below;
  };
  const part = (length: number) => Uint8Array.from({ length }, () => random(256));
  let served = 0;
  let refused = 0;
  for (let step = 0; step < 2000 && end < file.length - 1000; step++) {
    const header = part(8);
    const key = part(random(10));
    const value = part(random(20) === 0 ? 400 : random(200));
    if (random(50) === 0) end += 7; // a gap: the tail must not serve across it
    tail.appendEntry(end, header, key, value);
    file.set(header, end);
    file.set(key, end + header.length);
    file.set(value, end + header.length + key.length);
    end += header.length + key.length + value.length;
    for (let probe = 0; probe < 4; probe++) {
      const length = 1 + random(250);
      const offset = end - length - random(ringBytes + 200);
      if (offset < 0) continue;
      const target = new Uint8Array(length);
      if (tail.readInto(target, offset)) {
        expect(target).toEqual(file.subarray(offset, offset + length));
        served++;
      } else refused++;
    }
  }
  // The newest bytes after a small entry are always held.
  const last = part(50);
  tail.appendEntry(end, new Uint8Array(8), new Uint8Array(0), last);
  const back = new Uint8Array(50);
  expect(tail.readInto(back, end + 8)).toBe(true);
  expect(back).toEqual(last);
  // Nothing past the end, nothing after a reset, nothing after release.
  expect(tail.readInto(new Uint8Array(1), end + 58)).toBe(false);
  tail.reset(end + 58);
  expect(tail.readInto(back, end + 8)).toBe(false);
  tail.release();
  expect(tail.readInto(new Uint8Array(1), 0)).toBe(false);
  expect(served).toBeGreaterThan(1000);
  expect(refused).toBeGreaterThan(100);
});

test("at most tailsMax rings exist at once; a released one frees its place", () => {
  const tails = Array.from({ length: tailsMax + 1 }, () => new DataTail(64, 32));
  const value = new Uint8Array([1, 2, 3]);
  for (const tail of tails) {
    tail.reset(0);
    tail.appendEntry(0, new Uint8Array(2), new Uint8Array(0), value);
  }
  const served = tails.map((tail) => tail.readInto(new Uint8Array(3), 2));
  expect(served.filter(Boolean).length).toBe(tailsMax);
  expect(served[tailsMax]).toBe(false);
  (tails[0] as DataTail).release();
  const last = tails[tailsMax] as DataTail;
  last.appendEntry(5, new Uint8Array(2), new Uint8Array(0), value);
  const back = new Uint8Array(3);
  expect(last.readInto(back, 7)).toBe(true);
  expect(back).toEqual(value);
  for (const tail of tails) tail.release();
});

test("a disabled tail keeps nothing and serves nothing, and gives its ring back", () => {
  const tail = new DataTail(1000, 300);
  tail.reset(24);
  const value = new Uint8Array(50).fill(7);
  tail.appendEntry(24, new Uint8Array(8), new Uint8Array(2), value);
  const back = new Uint8Array(50);
  expect(tail.readInto(back, 34)).toBe(true);
  tail.disable();
  tail.appendEntry(84, new Uint8Array(8), new Uint8Array(2), value);
  expect(tail.readInto(back, 34)).toBe(false);
  expect(tail.readInto(back, 94)).toBe(false);
  // The ring went back to the process-wide budget: as many others as ever can get one.
  const others = Array.from({ length: tailsMax }, () => new DataTail(100, 50));
  for (const other of others) {
    other.reset(0);
    other.appendEntry(0, new Uint8Array(8), new Uint8Array(2), new Uint8Array(10));
    expect(other.readInto(new Uint8Array(10), 10)).toBe(true);
  }
  for (const other of others) other.release();
});
