import { afterEach, expect, test } from "bun:test";
import { createHash } from "node:crypto";
import * as net from "node:net";
import { inspect } from "node:util";
import { isQssError } from "../../src/base/errors.ts";
import { connectNamespace, replyBytesMax } from "../../src/zdb/client.ts";
import { openRemoteNamespace } from "../../src/zdb/remote.ts";
import { removeDir, startTestServer, tempDir } from "./helpers.ts";

type Handler = (args: string[], socket: net.Socket) => string | null;

interface Fake {
  port: number;
  received: string[][];
  close: () => Promise<void>;
}

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

/** Parse complete RESP requests (arrays of bulk strings) off the front of `buffer`. */
function takeRequests(buffer: Buffer): { requests: string[][]; rest: Buffer } {
  const requests: string[][] = [];
  let at = 0;
  for (;;) {
    const start = at;
    const line = (from: number) => {
      const end = buffer.indexOf("\r\n", from);
      return end < 0 ? null : { text: buffer.subarray(from, end).toString(), next: end + 2 };
    };
    const head = line(at);
    if (head === null) break;
    const count = Number(head.text.slice(1));
    let position = head.next;
    const args: string[] = [];
    for (let i = 0; i < count; i += 1) {
      const size = line(position);
      if (size === null) break;
      const bytes = Number(size.text.slice(1));
      if (buffer.length < size.next + bytes + 2) break;
      args.push(buffer.subarray(size.next, size.next + bytes).toString("latin1"));
      position = size.next + bytes + 2;
    }
    if (args.length !== count) {
      at = start;
      break;
    }
    requests.push(args);
    at = position;
  }
  return { requests, rest: buffer.subarray(at) };
}

/** A hostile 0-db on 127.0.0.1: answers each request with what `handler` returns. */
async function fakeServer(handler: Handler): Promise<Fake> {
  const received: string[][] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on("error", () => undefined);
    socket.on("close", () => sockets.delete(socket));
    let pending: Buffer = Buffer.alloc(0);
    socket.on("data", (chunk: Buffer) => {
      const { requests, rest } = takeRequests(Buffer.concat([pending, chunk]));
      pending = rest;
      for (const args of requests) {
        received.push(args);
        const command = (args[0] ?? "").toUpperCase();
        const reply = command === "CLIENT" ? "+OK\r\n" : handler(args, socket);
        if (reply !== null) socket.write(reply);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as net.AddressInfo).port;
  const fake = {
    port,
    received,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  cleanups.push(fake.close);
  return fake;
}

const goodInfo = "$46\r\nentries: 3\nmode: userkey\npublic: yes\nworm: no\n\r\n";

function bulk(text: string): string {
  return `$${Buffer.byteLength(text)}\r\n${text}\r\n`;
}

/** A backend that is fine for SELECT/NSINFO and hostile for one command. */
function hostile(command: string, reply: string): Handler {
  return (args) => {
    const name = (args[0] ?? "").toUpperCase();
    if (name === "AUTH") return "+abcdef0123456789\r\n";
    if (name === "SELECT") return "+OK\r\n";
    if (name === "NSINFO") return goodInfo;
    if (name === command) return reply;
    return "-Unexpected\r\n";
  };
}

async function protocolError(run: () => Promise<unknown>): Promise<string> {
  try {
    await run();
  } catch (error) {
    expect(isQssError(error, "PROTOCOL")).toBe(true);
    return (error as Error).message;
  }
  throw new Error("expected a PROTOCOL error");
}

const sha1 = (text: string) => createHash("sha1").update(text).digest("hex");

test("SELECT uses the challenge: the password never crosses the wire", async () => {
  const fake = await fakeServer((args) => {
    const name = (args[0] ?? "").toUpperCase();
    if (name === "AUTH") return args[2] === "CHALLENGE" ? "+0011223344556677\r\n" : "-No\r\n";
    if (name === "SELECT") {
      const good = args[2] === "SECURE" && args[3] === sha1("0011223344556677:pw-secret-1");
      return good ? "+OK\r\n" : "-Access denied\r\n";
    }
    if (name === "NSINFO") return goodInfo;
    return "-Unexpected\r\n";
  });
  const ns = await connectNamespace({ port: fake.port, namespace: "n", password: "pw-secret-1" });
  await ns.close();
  expect(fake.received.some((args) => args[0] === "SELECT" && args[2] === "SECURE")).toBe(true);
  expect(JSON.stringify(fake.received)).not.toContain("pw-secret-1");
});

test("plain SELECT only when SECURE is not supported, logged without the password", async () => {
  const fake = await fakeServer((args) => {
    const name = (args[0] ?? "").toUpperCase();
    if (name === "AUTH") return "-Command not supported\r\n";
    if (name === "SELECT") return args[2] === "pw-plain" ? "+OK\r\n" : "-Access denied\r\n";
    if (name === "NSINFO") return goodInfo;
    return "-Unexpected\r\n";
  });
  const logs: string[] = [];
  const ns = await connectNamespace({
    port: fake.port,
    namespace: "n",
    password: "pw-plain",
    log: (line) => logs.push(line),
  });
  await ns.close();
  expect(logs.length).toBe(1);
  expect(logs[0]).toContain("plain");
  expect(logs[0]).not.toContain("pw-plain");
});

test("a refused password leaves no trace of itself in the error", async () => {
  const fake = await fakeServer((args) => {
    const name = (args[0] ?? "").toUpperCase();
    if (name === "AUTH") return "-Command not supported\r\n";
    return "-Access denied\r\n";
  });
  let caught: unknown = null;
  try {
    await connectNamespace({ port: fake.port, namespace: "n", password: "pw-leak-me" });
  } catch (error) {
    caught = error;
  }
  expect(caught).not.toBeNull();
  expect((caught as Error).message).toContain("Access denied");
  const dump = inspect(caught, { depth: Number.POSITIVE_INFINITY, showHidden: true });
  expect(dump).not.toContain("pw-leak-me");
  expect(JSON.stringify(caught)).not.toContain("pw-leak-me");
});

test("SECURE and plain paths against the real server", async () => {
  const dir = tempDir();
  const daemon = await startTestServer(dir);
  cleanups.push(async () => {
    await daemon.stop();
    removeDir(dir);
  });
  const url = `tcp://127.0.0.1:${daemon.port}`;
  const created = await openRemoteNamespace(url, {
    namespace: "locked",
    password: "ns-pass",
    adminPassword: "admin-test",
    create: true,
  });
  await created.set(Buffer.from("k"), Buffer.from("v"));
  await created.close();
  const again = await connectNamespace({
    port: daemon.port,
    namespace: "locked",
    password: "ns-pass",
  });
  expect((await again.get(Buffer.from("k")))?.toString()).toBe("v");
  await again.close();
  await expect(
    connectNamespace({ port: daemon.port, namespace: "locked", password: "wrong" }),
  ).rejects.toThrow("Access denied");
});

test("admin AUTH for namespace creation uses the challenge", async () => {
  const fake = await fakeServer((args) => {
    const name = (args[0] ?? "").toUpperCase();
    if (name === "AUTH" && args[2] === "CHALLENGE") return "+aa55aa55aa55aa55\r\n";
    if (name === "AUTH")
      return args[2] === sha1("aa55aa55aa55aa55:adm-1") ? "+OK\r\n" : "-Denied\r\n";
    if (name === "SELECT")
      return fake.received.some((a) => a[0] === "NSNEW") ? "+OK\r\n" : "-Namespace not found\r\n";
    if (name === "NSNEW" || name === "NSSET") return "+OK\r\n";
    if (name === "NSINFO") return goodInfo;
    return "-Unexpected\r\n";
  });
  const ns = await openRemoteNamespace(`tcp://127.0.0.1:${fake.port}`, {
    namespace: "fresh",
    adminPassword: "adm-1",
    create: true,
  });
  await ns.close();
  expect(fake.received.some((args) => args[0] === "NSNEW")).toBe(true);
  expect(JSON.stringify(fake.received)).not.toContain("adm-1");
});

test("wrong reply shapes become PROTOCOL errors, never data", async () => {
  const cases: [
    string,
    string,
    (ns: Awaited<ReturnType<typeof connectNamespace>>) => Promise<unknown>,
  ][] = [
    ["GET", ":7\r\n", (ns) => ns.get(Buffer.from("k"))],
    ["GET", "*1\r\n$1\r\nx\r\n", (ns) => ns.get(Buffer.from("k"))],
    ["SET", "*0\r\n", (ns) => ns.set(Buffer.from("k"), Buffer.from("v"))],
    ["SET", ":1\r\n", (ns) => ns.set(Buffer.from("k"), Buffer.from("v"))],
    ["EXISTS", "$1\r\n1\r\n", (ns) => ns.exists(Buffer.from("k"))],
    ["SCAN", "*2\r\n$1\r\nc\r\n:5\r\n", (ns) => ns.scan()],
    ["SCAN", "*2\r\n$1\r\nc\r\n*1\r\n*3\r\n$1\r\nk\r\n:-4\r\n:1\r\n", (ns) => ns.scan()],
    ["SCAN", "$1\r\nc\r\n", (ns) => ns.scan()],
  ];
  for (const [command, reply, run] of cases) {
    const fake = await fakeServer(hostile(command, reply));
    const ns = await connectNamespace({ port: fake.port, namespace: "n" });
    try {
      expect(await protocolError(() => run(ns))).toContain(command);
    } finally {
      await ns.close();
    }
  }
});

test("a bad NSINFO refuses the connection with a PROTOCOL error", async () => {
  for (const info of [
    "$-1\r\n",
    bulk("entries: lots\nmode: userkey\n"),
    bulk("entries: 1\nmode: x\n"),
    bulk("entries: 1e3\nmode: userkey\n"),
    ":5\r\n",
  ]) {
    const fake = await fakeServer((args) => {
      const name = (args[0] ?? "").toUpperCase();
      if (name === "SELECT") return "+OK\r\n";
      if (name === "NSINFO") return info;
      return "-Unexpected\r\n";
    });
    expect(
      await protocolError(() => connectNamespace({ port: fake.port, namespace: "n" })),
    ).toContain("NSINFO");
  }
});

test("a reply larger than replyBytesMax drops the connection", async () => {
  const junk = Buffer.alloc(1024 * 1024, 0x61);
  const fake = await fakeServer((args, socket) => {
    const name = (args[0] ?? "").toUpperCase();
    if (name === "SELECT") return "+OK\r\n";
    if (name === "NSINFO") return goodInfo;
    if (name === "GET") {
      socket.write("$4000000000\r\n");
      let sent = 0;
      const pump = () => {
        while (!socket.destroyed && sent < replyBytesMax + 4 * junk.length) {
          sent += junk.length;
          if (!socket.write(junk)) return void socket.once("drain", pump);
        }
      };
      pump();
      return null;
    }
    return "-Unexpected\r\n";
  });
  const ns = await connectNamespace({ port: fake.port, namespace: "n" });
  try {
    expect(await protocolError(() => ns.get(Buffer.from("k")))).toContain(String(replyBytesMax));
  } finally {
    await ns.close();
  }
});
