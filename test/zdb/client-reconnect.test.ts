/**
 * A remote namespace survives its server going away: calls fail (UNAVAILABLE) while it is
 * down, and once it is back the client opens a new connection, selects its namespace again
 * (with its password) and only then sends commands, so nothing lands in namespace "default".
 */
import { afterEach, expect, test } from "bun:test";
import * as net from "node:net";
import { isQssError } from "../../src/base/errors.ts";
import { connectNamespace, reconnectBackoffMs } from "../../src/zdb/client.ts";
import { openRemoteNamespace } from "../../src/zdb/remote.ts";
import { removeDir, startTestServer, tempDir } from "./helpers.ts";

const dirs: string[] = [];
const stops: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const stop of stops.splice(0)) await stop().catch(() => undefined);
  for (const dir of dirs.splice(0)) removeDir(dir);
});

test("after a server restart the client reconnects into its own namespace", async () => {
  const dir = tempDir("qss-reconnect-");
  dirs.push(dir);
  let daemon = await startTestServer(dir);
  stops.push(() => daemon.stop());
  const port = daemon.port;
  const url = `tcp://127.0.0.1:${port}`;
  const created = await openRemoteNamespace(url, {
    namespace: "files",
    password: "ns-pass",
    adminPassword: "admin-test",
    create: true,
  });
  await created.close();
  const ns = await connectNamespace({ port, namespace: "files", password: "ns-pass" });
  stops.push(() => ns.close());
  await ns.set(Buffer.from("before"), Buffer.from("1"));

  await daemon.stop();
  let error: unknown;
  await ns.set(Buffer.from("during"), Buffer.from("2")).catch((e) => {
    error = e;
  });
  expect(isQssError(error, "UNAVAILABLE")).toBe(true);

  daemon = await startTestServer(dir, { port });
  await Bun.sleep(reconnectBackoffMs + 50);
  await ns.set(Buffer.from("after"), Buffer.from("3"));
  expect((await ns.get(Buffer.from("before")))?.toString()).toBe("1");
  expect((await ns.get(Buffer.from("after")))?.toString()).toBe("3");

  const other = await connectNamespace({ port, namespace: "default" });
  stops.push(() => other.close());
  expect(await other.get(Buffer.from("after"))).toBeNull();
  expect(await other.get(Buffer.from("during"))).toBeNull();
});

test("a closed namespace does not reconnect", async () => {
  const dir = tempDir("qss-reconnect-closed-");
  dirs.push(dir);
  const daemon = await startTestServer(dir);
  stops.push(() => daemon.stop());
  const ns = await connectNamespace({ port: daemon.port, namespace: "default" });
  await ns.close();
  await expect(ns.get(Buffer.from("k"))).rejects.toThrow();
});

test("a namespace closed while it reconnects keeps no connection and answers no call", async () => {
  const dir = tempDir("qss-reconnect-close-");
  dirs.push(dir);
  let daemon = await startTestServer(dir);
  stops.push(() => daemon.stop());
  const port = daemon.port;
  const ns = await connectNamespace({ port, namespace: "default" });
  await daemon.stop();
  for (let wait = 0; wait < 100 && ns.redis.status !== "end"; wait++) await Bun.sleep(10);
  daemon = await startTestServer(dir, { port });
  const pending = ns.get(Buffer.from("k")); // starts the reconnect
  await ns.close();
  await expect(pending).rejects.toThrow("closed");
  expect(ns.redis.status).toBe("end");
});

test("a server that accepts but never answers SELECT is given up after the connect timeout", async () => {
  const sockets = new Set<net.Socket>();
  const silent = net.createServer((socket) => {
    socket.on("error", () => undefined);
    sockets.add(socket);
  });
  await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
  stops.push(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise<void>((resolve) => silent.close(() => resolve()));
  });
  const port = (silent.address() as net.AddressInfo).port;
  const started = performance.now();
  let error: unknown;
  await connectNamespace({ port, namespace: "n", connectTimeoutMs: 300 }).catch((e) => {
    error = e;
  });
  expect(isQssError(error, "UNAVAILABLE")).toBe(true);
  expect(performance.now() - started).toBeLessThan(5_000);
});
