import { expect, test } from "bun:test";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { blake2b } from "@noble/hashes/blake2.js";
import { blake2b128, createBlake2b128 } from "../../src/stor/blake2b-128.ts";

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString("hex");

test("BLAKE2b-128 equals `b2sum -l 128` (coreutils) on edge sizes", () => {
  const dir = mkdtempSync(join(tmpdir(), "qss-b2-"));
  try {
    for (const size of [0, 1, 127, 128, 129, 65_536, 65_537, 300_001]) {
      const data = crypto.getRandomValues(new Uint8Array(size));
      const path = join(dir, `f${size}`);
      writeFileSync(path, data);
      const b2sum = spawnSync("b2sum", ["-l", "128", path], { encoding: "utf8" });
      expect(b2sum.status).toBe(0);
      expect(hex(blake2b128(data))).toBe(b2sum.stdout.split(" ")[0] as string);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("streaming in odd pieces equals one-shot and @noble/hashes with dkLen 16", () => {
  const data = crypto.getRandomValues(new Uint8Array(400_000));
  const hash = createBlake2b128();
  let offset = 0;
  for (const piece of [1, 127, 128, 65_535, 3, 100_000]) {
    hash.update(data.subarray(offset, offset + piece));
    offset += piece;
  }
  hash.update(data.subarray(offset));
  const streamed = hex(hash.digest());
  expect(streamed).toBe(hex(blake2b128(data)));
  expect(streamed).toBe(hex(blake2b(data, { dkLen: 16 })));
  expect(hex(blake2b128(new Uint8Array(0)))).toBe("cae66941d9efbd404e4d88758ea67670");
});
