import { afterAll, beforeAll, expect, test } from "bun:test";
import * as net from "node:net";
import Redis from "ioredis";
import type { RunningDaemon } from "../../src/zdb/daemon.ts";
import { type ParsedItem, RespParser } from "../../src/zdb/resp.ts";
import { removeDir, startTestServer, tempDir } from "./helpers.ts";

/** Small deterministic PRNG (mulberry32) so a failure replays with its seed. */
function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const valid = [
  "*1\r\n$4\r\nPING\r\n",
  "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$5\r\nvalue\r\n",
  "*2\r\n$3\r\nGET\r\n$1\r\nk\r\n",
  "*2\r\n$4\r\nSCAN\r\n$8\r\n\x00\x00\x00\x00\x00\x00\x00\x00\r\n",
  "*3\r\n$7\r\nHISTORY\r\n$1\r\nk\r\n$8\r\n\xff\xff\xff\xff\x10\x00\x00\x00\r\n",
];

function mutate(random: () => number): Uint8Array {
  const base = Buffer.from(valid[Math.floor(random() * valid.length)] as string, "latin1");
  const bytes = Buffer.from(base);
  const edits = 1 + Math.floor(random() * 4);
  for (let i = 0; i < edits; i++) {
    const at = Math.floor(random() * bytes.length);
    const choice = random();
    if (choice < 0.5) bytes[at] = Math.floor(random() * 256);
    else if (choice < 0.75) bytes[at] = "0123456789*$\r\n-".charCodeAt(Math.floor(random() * 16));
    else return bytes.subarray(0, at);
  }
  return bytes;
}

test("parser: split at every byte gives the same requests", () => {
  const stream = Buffer.from(valid.join(""), "latin1");
  const whole: ParsedItem[] = [];
  new RespParser().feed(stream, whole);
  for (let cut = 1; cut < stream.length; cut++) {
    const parts: ParsedItem[] = [];
    const parser = new RespParser();
    parser.feed(stream.subarray(0, cut), parts);
    parser.feed(stream.subarray(cut), parts);
    expect(parts).toEqual(whole);
  }
  expect(whole.length).toBe(valid.length);
});

test("parser: one request cannot hold more than requestBytesMax", () => {
  const out: ParsedItem[] = [];
  const parser = new RespParser();
  const header = `*3\r\n$3\r\nSET\r\n$${8 * 1024 * 1024}\r\n`;
  parser.feed(Buffer.from(header), out);
  parser.feed(Buffer.alloc(8 * 1024 * 1024), out);
  parser.feed(Buffer.from(`\r\n$${8 * 1024 * 1024}\r\n`), out);
  expect(out).toEqual([{ kind: "error", message: "Request too large", fatal: true }]);
});

test("parser: random bytes never throw", () => {
  const random = prng(7);
  for (let round = 0; round < 2000; round++) {
    const parser = new RespParser();
    const out: ParsedItem[] = [];
    const length = Math.floor(random() * 64);
    const bytes = new Uint8Array(length).map(() => Math.floor(random() * 256));
    expect(() => parser.feed(bytes, out)).not.toThrow();
    expect(() => parser.feed(mutate(random), out)).not.toThrow();
  }
});

let dir: string;
let daemon: RunningDaemon;

beforeAll(async () => {
  dir = tempDir("qss-zdb-fuzz-");
  daemon = await startTestServer(dir);
});

afterAll(async () => {
  await daemon.stop();
  removeDir(dir);
});

function blast(payload: Uint8Array, closeAfterMs: number): Promise<void> {
  return new Promise((resolve) => {
    const socket = net.connect(daemon.port, "127.0.0.1");
    socket.on("error", () => undefined);
    socket.on("data", () => undefined);
    socket.on("connect", () => socket.write(payload));
    setTimeout(() => {
      socket.destroy();
      resolve();
    }, closeAfterMs);
  });
}

test("server keeps serving under random and mutated RESP, slow and vanishing clients", async () => {
  const random = prng(42);
  const healthy = new Redis({
    port: daemon.port,
    host: "127.0.0.1",
    protocol: 2,
    lazyConnect: true,
  });
  await healthy.connect();
  try {
    // A slowloris client holding a half request open the whole time.
    const slow = net.connect(daemon.port, "127.0.0.1");
    slow.on("error", () => undefined);
    slow.write("*3\r\n$3\r\nSET\r\n$1\r\nz\r\n$1000000\r\nabc");
    for (let round = 0; round < 30; round++) {
      const batch: Promise<void>[] = [];
      for (let i = 0; i < 10; i++) {
        const noise =
          random() < 0.3
            ? new Uint8Array(Math.floor(random() * 512)).map(() => Math.floor(random() * 256))
            : Buffer.concat([mutate(random), mutate(random), mutate(random)]);
        batch.push(blast(noise, 5 + Math.floor(random() * 20)));
      }
      await Promise.all(batch);
      expect(await healthy.ping()).toBe("PONG");
    }
    slow.destroy();
    expect(await healthy.call("SET", ["still", "alive"])).toBe("still");
    expect(await healthy.get("still")).toBe("alive");
  } finally {
    healthy.disconnect();
  }
}, 30_000);
