/**
 * A remote namespace survives its server going away: calls fail (UNAVAILABLE) while it is
 * down, and once it is back the client opens a new connection, selects its namespace again
 * (with its password) and only then sends commands, so nothing lands in namespace "default".
 */
import { afterEach, expect, test } from "bun:test";
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
