/**
 * Pipelined traffic over raw sockets with slow readers: the server reuses pooled output
 * chunks, reply buffers and SET value buffers, so every reply byte is checked.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import * as net from "node:net";
import type { RunningDaemon } from "../../src/zdb/daemon.ts";
import { removeDir, startTestServer, tempDir } from "./helpers.ts";

let dir: string;
let daemon: RunningDaemon;

beforeAll(async () => {
  dir = tempDir("qss-zdb-pipeline-");
  daemon = await startTestServer(dir);
});

afterAll(async () => {
  await daemon.stop();
  removeDir(dir);
});

function command(...args: (string | Uint8Array)[]): Buffer {
  const parts: Buffer[] = [Buffer.from(`*${args.length}\r\n`)];
  for (const arg of args) {
    const bytes = typeof arg === "string" ? Buffer.from(arg) : Buffer.from(arg);
    parts.push(Buffer.from(`$${bytes.length}\r\n`), bytes, Buffer.from("\r\n"));
  }
  return Buffer.concat(parts);
}

function bulk(value: Uint8Array): Buffer {
  return Buffer.concat([Buffer.from(`$${value.length}\r\n`), value, Buffer.from("\r\n")]);
}

/** Write `request`, read until `expectedBytes` arrived, pausing now and then (a slow reader). */
function exchange(request: Buffer, expectedBytes: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(daemon.port, "127.0.0.1");
    const chunks: Buffer[] = [];
    let received = 0;
    let reads = 0;
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`timed out with ${received} of ${expectedBytes} bytes`));
    }, 20_000);
    socket.on("error", reject);
    socket.on("connect", () => {
      // Sent in uneven pieces so bulks are split across the server's reads.
      for (let at = 0; at < request.length; at += 7001)
        socket.write(request.subarray(at, at + 7001));
    });
    socket.on("data", (chunk: Buffer) => {
      chunks.push(chunk);
      received += chunk.length;
      if (received >= expectedBytes) {
        clearTimeout(timer);
        socket.destroy();
        resolve(Buffer.concat(chunks));
        return;
      }
      if (++reads % 5 === 0) {
        socket.pause();
        setTimeout(() => socket.resume(), 2);
      }
    });
  });
}

function patternValue(index: number, length: number): Buffer {
  const value = Buffer.allocUnsafe(length);
  for (let i = 0; i < length; i++) value[i] = (index * 31 + i * 7) & 0xff;
  return value;
}

test("pipelined SETs and GETs of mixed sizes from several slow clients come back intact", async () => {
  const sizes = [1, 1000, 4096, 30_000, 65_535, 65_536, 70_000, 131_072, 300_000];
  const values = sizes.map((size, index) => patternValue(index, size));
  // Each client writes its own keys, then reads every key of its own several times.
  const clientsCount = 4;
  const runs = Array.from({ length: clientsCount }, async (_, client) => {
    const keys = values.map((_, index) => `c${client}-k${index}`);
    const requests: Buffer[] = [];
    const expected: Buffer[] = [];
    keys.forEach((key, index) => {
      requests.push(command("SET", key, values[index] as Buffer));
      expected.push(bulk(Buffer.from(key)));
    });
    for (let round = 0; round < 25; round++) {
      keys.forEach((key, index) => {
        requests.push(command("GET", key));
        expected.push(bulk(values[index] as Buffer));
      });
      requests.push(command("GET", `c${client}-missing`));
      expected.push(Buffer.from("$-1\r\n"));
    }
    const want = Buffer.concat(expected);
    const got = await exchange(Buffer.concat(requests), want.length);
    expect(got.length).toBe(want.length);
    expect(got.equals(want)).toBe(true);
  });
  await Promise.all(runs);
}, 60_000);
