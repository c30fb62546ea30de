import { expect, test } from "bun:test";
import {
  bulkFrameRoomBytes,
  bulkInlineBytesMax,
  markFramable,
  ReplyWriter,
} from "../../src/zdb/reply-writer.ts";

function joined(writer: ReplyWriter): Buffer {
  const expected = writer.bytes;
  const batch = writer.take();
  const out = Buffer.concat(batch.parts);
  expect(out.length).toBe(expected);
  ReplyWriter.release(batch.chunks);
  return out;
}

test("every reply kind encodes as RESP2", () => {
  const writer = new ReplyWriter();
  writer.simple("OK");
  writer.error("bad\r\nthing");
  writer.integer(0);
  writer.integer(-42);
  writer.integer(2 ** 53 + 2);
  writer.nil();
  writer.arrayHeader(2);
  writer.bulk("héllo");
  writer.bulk(new Uint8Array(0));
  expect(joined(writer).toString("utf8")).toBe(
    "+OK\r\n-bad  thing\r\n:0\r\n:-42\r\n:9007199254740994\r\n$-1\r\n*2\r\n$6\r\nhéllo\r\n$0\r\n\r\n",
  );
});

test("values of every size, across chunk boundaries, framed or not, come out intact", () => {
  const writer = new ReplyWriter();
  const expected: Buffer[] = [];
  const sizes = [1, 4096, 30_000, bulkInlineBytesMax - 1, bulkInlineBytesMax, 200_000, 7, 60_000];
  sizes.forEach((size, n) => {
    const value = Buffer.alloc(size, n + 1);
    if (n % 2 === 0 && size >= bulkInlineBytesMax) {
      const roomy = Buffer.alloc(size + 2 * bulkFrameRoomBytes, 0xee);
      const view = roomy.subarray(bulkFrameRoomBytes, bulkFrameRoomBytes + size);
      view.set(value);
      markFramable(view);
      writer.bulk(view);
    } else writer.bulk(value);
    expected.push(Buffer.from(`$${size}\r\n`), value, Buffer.from("\r\n"));
  });
  expect(joined(writer).equals(Buffer.concat(expected))).toBe(true);
});

test("a reserved bulk is filled in place, or taken back", () => {
  const writer = new ReplyWriter();
  writer.simple("A");
  writer.bulkReserve(5).set(Buffer.from("hello"));
  writer.bulkReserve(3);
  writer.unreserve();
  writer.nil();
  expect(joined(writer).toString()).toBe("+A\r\n$5\r\nhello\r\n$-1\r\n");
  // Pooled chunks come back clean of old content only where written.
  writer.integer(7);
  expect(joined(writer).toString()).toBe(":7\r\n");
  writer.simple("dropped");
  writer.discard();
  expect(writer.bytes).toBe(0);
  expect(writer.take().parts.length).toBe(0);
});
