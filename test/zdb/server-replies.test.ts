import { afterEach, expect, test } from "bun:test";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import * as net from "node:net";
import { join } from "node:path";
import type { RunningDaemon } from "../../src/zdb/daemon.ts";
import { removeDir, startTestServer, tempDir } from "./helpers.ts";

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function server(extra: Parameters<typeof startTestServer>[1] = {}): Promise<RunningDaemon> {
  const dir = tempDir("qss-zdb-replies-");
  cleanups.push(async () => removeDir(dir));
  const daemon = await startTestServer(dir, extra);
  cleanups.push(() => daemon.stop());
  return daemon;
}

async function client(port: number): Promise<{ socket: net.Socket; received: () => string }> {
  const socket = net.connect(port, "127.0.0.1");
  cleanups.push(async () => {
    socket.destroy();
  });
  await new Promise((resolve) => socket.once("connect", resolve));
  let text = "";
  socket.on("data", (chunk: Buffer) => {
    text += chunk.toString("latin1");
  });
  return { socket, received: () => text };
}

/** Hold the next fsync of `daemon`'s default namespace until the returned function is called. */
function gateFsync(daemon: RunningDaemon, fail: boolean): () => void {
  const store = daemon.engine.namespace("default")?.store;
  if (!store) throw new Error("default namespace missing");
  const original = store.fsyncAsync.bind(store);
  let release!: () => void;
  const gate = new Promise<void>((resolve) => {
    release = resolve;
  });
  store.fsyncAsync = () =>
    gate.then(() => (fail ? Promise.reject(new Error("EIO (simulated)")) : original()));
  return release;
}

const setK = "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n";
const ping = "*1\r\n$4\r\nPING\r\n";

test("--sync: the SET reply waits for the fsync (#1)", async () => {
  const daemon = await server({ sync: true });
  const release = gateFsync(daemon, false);
  const { socket, received } = await client(daemon.port);
  socket.write(setK + ping);
  await Bun.sleep(300);
  expect(received()).toBe("");
  release();
  for (let i = 0; i < 100 && !received().includes("PONG"); i += 1) await Bun.sleep(10);
  expect(received()).toBe("$1\r\nk\r\n+PONG\r\n");
});

test("--sync: a failed fsync gives one error reply, not a second reply (#1)", async () => {
  const daemon = await server({ sync: true });
  const release = gateFsync(daemon, true);
  const { socket, received } = await client(daemon.port);
  socket.write(`${ping}${setK}${ping}`);
  await Bun.sleep(200);
  release();
  for (let i = 0; i < 100 && received().split("PONG").length < 3; i += 1) await Bun.sleep(10);
  await Bun.sleep(50);
  expect(received()).toBe("+PONG\r\n-Cannot write data right now\r\n+PONG\r\n");
});

test("a client that does not read its replies is not served past the bound (#2)", async () => {
  const daemon = await server();
  const valueBytes = 1024 * 1024;
  const { socket, received } = await client(daemon.port);
  socket.write(`*3\r\n$3\r\nSET\r\n$3\r\nbig\r\n$${valueBytes}\r\n`);
  socket.write(Buffer.alloc(valueBytes, 0x62));
  socket.write("\r\n");
  for (let i = 0; i < 200 && !received().includes("big"); i += 1) await Bun.sleep(10);
  socket.pause();
  const gets = 100;
  socket.write("*2\r\n$3\r\nGET\r\n$3\r\nbig\r\n".repeat(gets));
  await Bun.sleep(500);
  const sentBytes = daemon.server.context.stats.networkTxBytes;
  // Unbounded, the server would have queued all 100 MiB for this client.
  expect(sentBytes).toBeLessThan(48 * 1024 * 1024);
  let total = 0;
  socket.removeAllListeners("data");
  socket.on("data", (chunk: Buffer) => {
    total += chunk.length;
  });
  socket.resume();
  const expected = gets * (valueBytes + `$${valueBytes}\r\n\r\n`.length);
  for (let i = 0; i < 1000 && total < expected; i += 1) await Bun.sleep(10);
  expect(total).toBe(expected);
}, 20_000);

test("--socket never deletes a file that is not a socket (#17)", async () => {
  const dir = tempDir("qss-zdb-sockpath-");
  cleanups.push(async () => removeDir(dir));
  const precious = join(dir, "precious.txt");
  writeFileSync(precious, "keep me");
  await expect(startTestServer(dir, { socketPath: precious, dualnet: false })).rejects.toThrow();
  expect(existsSync(precious)).toBe(true);
  expect(readFileSync(precious, "utf8")).toBe("keep me");
});
