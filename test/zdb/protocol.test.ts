import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createHash } from "node:crypto";
import * as net from "node:net";
import Redis from "ioredis";
import type { RunningDaemon } from "../../src/zdb/daemon.ts";
import { removeDir, startTestServer, tempDir } from "./helpers.ts";

let dir: string;
let daemon: RunningDaemon;
const clients: Redis[] = [];

function client(): Redis {
  const redis = new Redis({ port: daemon.port, host: "127.0.0.1", protocol: 2, lazyConnect: true });
  clients.push(redis);
  return redis;
}

/**
 * A client that never reconnects or retries: a dropped connection stays dropped (a resent
 * command would land in the default namespace of a new session).
 */
function clientWithoutRetry(): Redis {
  const redis = new Redis({
    port: daemon.port,
    host: "127.0.0.1",
    protocol: 2,
    lazyConnect: true,
    retryStrategy: () => null,
    maxRetriesPerRequest: 0,
  });
  clients.push(redis);
  return redis;
}

/** redis-cli runs as a child; async so the in-process server keeps serving meanwhile. */
async function redisCli(...args: string[]): Promise<string> {
  const child = Bun.spawn(["redis-cli", "-p", String(daemon.port), ...args], {
    stdout: "pipe",
    stderr: "pipe",
  });
  const output = await new Response(child.stdout).text();
  await child.exited;
  return output.trimEnd();
}

/** Send raw bytes, collect what the server answers within `waitMs`. */
function raw(bytes: Uint8Array | string, waitMs = 150): Promise<string> {
  return new Promise((resolve) => {
    const socket = net.connect(daemon.port, "127.0.0.1");
    let answer = "";
    socket.on("data", (chunk) => {
      answer += chunk.toString("latin1");
    });
    socket.on("error", () => undefined);
    socket.on("connect", () => socket.write(bytes));
    setTimeout(() => {
      socket.destroy();
      resolve(answer);
    }, waitMs);
  });
}

beforeAll(async () => {
  dir = tempDir("qss-zdb-proto-");
  daemon = await startTestServer(dir);
});

afterAll(async () => {
  for (const redis of clients) redis.disconnect();
  await daemon.stop();
  removeDir(dir);
});

describe("ioredis (RESP2)", () => {
  test("basic commands and reply shapes", async () => {
    const redis = client();
    await redis.connect();
    expect(await redis.ping()).toBe("PONG");
    const time = (await redis.call("TIME")) as string[];
    expect(Math.abs(Number(time[0]) - Date.now() / 1000)).toBeLessThan(5);
    expect(await redis.call("SET", ["a", "1"])).toBe("a");
    expect(await redis.call("SET", ["a", "1"])).toBeNull();
    expect(await redis.get("a")).toBe("1");
    expect(await redis.exists("a")).toBe(1);
    expect(await redis.call("LENGTH", ["a"])).toBe(1);
    expect(await redis.call("CHECK", ["a"])).toBe(1);
    expect(await redis.call("CHECK", ["zz"])).toBeNull();
    expect(Number(await redis.call("KEYTIME", ["a"]))).toBeGreaterThan(1_600_000_000);
    await redis.set("b", "22");
    type ScanReply = [Buffer, [Buffer, number, number][]];
    const scan = (await redis.callBuffer("SCAN", [])) as ScanReply;
    expect(scan[1].map(([key, size]) => [key.toString(), size])).toEqual([
      ["a", 1],
      ["b", 2],
    ]);
    await expect(redis.callBuffer("SCAN", [scan[0]])).rejects.toThrow("No more data");
    await expect(redis.callBuffer("SCAN", ["garbage"])).rejects.toThrow("Invalid key format");
    const rscan = (await redis.callBuffer("RSCAN", [])) as ScanReply;
    expect(rscan[1].map(([key]) => key.toString())).toEqual(["b", "a"]);
    const cursor = (await redis.callBuffer("KEYCUR", ["a"])) as Buffer;
    const fromCursor = (await redis.callBuffer("SCAN", [cursor])) as ScanReply;
    expect(fromCursor[1].map(([key]) => key.toString())).toEqual(["b"]);
    expect(await redis.del("a")).toBe("OK" as unknown as number);
    await expect(redis.del("a")).rejects.toThrow("Key not found");
    expect(await redis.dbsize()).toBe(1);
    await expect(redis.call("NOPE")).rejects.toThrow("Command not supported");
    await expect(redis.set(Buffer.alloc(256, 1), "x")).rejects.toThrow("Key too large");
  });

  test("admin is required and AUTH SECURE works", async () => {
    const redis = client();
    await redis.connect();
    await expect(redis.call("NSNEW", ["x"])).rejects.toThrow("Permission denied");
    const challenge = (await redis.call("AUTH", ["SECURE", "CHALLENGE"])) as string;
    expect(challenge).toMatch(/^[0-9a-f]{16}$/);
    const wrong = createHash("sha1").update(`${challenge}:nope`).digest("hex");
    await expect(redis.call("AUTH", ["SECURE", wrong])).rejects.toThrow("Access denied");
    const again = (await redis.call("AUTH", ["SECURE", "CHALLENGE"])) as string;
    const right = createHash("sha1").update(`${again}:admin-test`).digest("hex");
    expect(await redis.call("AUTH", ["SECURE", right])).toBe("OK");
    // A challenge is single-use.
    await expect(redis.call("AUTH", ["SECURE", right])).rejects.toThrow("No CHALLENGE requested");
    expect(await redis.call("NSNEW", ["seqspace"])).toBe("OK");
    expect(await redis.call("NSSET", ["seqspace", "mode", "seq"])).toBe("OK");
    expect(await redis.call("NSSET", ["seqspace", "password", "pw"])).toBe("OK");
    expect(await redis.call("NSSET", ["seqspace", "public", "0"])).toBe("OK");
    await expect(redis.call("NSSET", ["seqspace", "color", "1"])).rejects.toThrow(
      "Invalid property",
    );
    expect(await redis.call("NSLIST")).toContain("seqspace");
    const info = (await redis.call("NSINFO", ["seqspace"])) as string;
    expect(info).toContain("mode: sequential");
    expect(info).toContain("password: yes");
    const user = client();
    await user.connect();
    const nonce = (await user.call("AUTH", ["SECURE", "CHALLENGE"])) as string;
    const proof = createHash("sha1").update(`${nonce}:pw`).digest("hex");
    expect(await user.call("SELECT", ["seqspace", "SECURE", proof])).toBe("OK");
    const id = (await user.callBuffer("SET", ["", "hello"])) as Buffer;
    expect(id.length).toBe(8);
    expect((await user.getBuffer(id))?.toString()).toBe("hello");
    await expect(user.call("SET", [Buffer.from([9, 0, 0, 0, 0, 0, 0, 0]), "x"])).rejects.toThrow(
      "Invalid key, only update authorized",
    );
    expect(await user.call("FLUSH")).toBe("OK");
    expect(await user.dbsize()).toBe(0);
  });

  test("worm, lock, freeze and maxsize", async () => {
    const admin = client();
    await admin.connect();
    await admin.call("AUTH", ["admin-test"]);
    await admin.call("NSNEW", ["props"]);
    await admin.call("SELECT", ["props"]);
    await admin.set("k", "v");
    await admin.call("NSSET", ["props", "worm", "1"]);
    await expect(admin.set("k", "w")).rejects.toThrow("Namespace is protected by worm mode");
    await expect(admin.del("k")).rejects.toThrow(
      "Cannot delete a key when namespace is in worm mode",
    );
    await admin.call("NSSET", ["props", "worm", "0"]);
    await admin.call("NSSET", ["props", "lock", "1"]);
    await expect(admin.set("k", "w")).rejects.toThrow(
      "Namespace is temporarily locked (read-only)",
    );
    expect(await admin.get("k")).toBe("v");
    await admin.call("NSSET", ["props", "lock", "0"]);
    await admin.call("NSSET", ["props", "freeze", "1"]);
    await expect(admin.get("k")).rejects.toThrow("Namespace is temporarily frozen");
    await admin.call("NSSET", ["props", "freeze", "0"]);
    await admin.call("NSSET", ["props", "maxsize", "10"]);
    await expect(admin.set("big", "0123456789abc")).rejects.toThrow(
      "No space left on this namespace",
    );
  });

  test("INDEX DIRTY tracks closed index files changed in place; HOOKS lists runs", async () => {
    const admin = client();
    await admin.connect();
    await admin.call("AUTH", ["admin-test"]);
    await admin.call("NSNEW", ["dirty"]);
    await admin.call("SELECT", ["dirty"]);
    await admin.call("SET", ["k", "1"]);
    await admin.call("NSJUMP");
    expect(await admin.call("INDEX", ["DIRTY"])).toEqual([]);
    await admin.call("SET", ["k", "2"]);
    expect(await admin.call("INDEX", ["DIRTY"])).toEqual([0]);
    expect(await admin.call("INDEX", ["DIRTY", "RESET"])).toBe("OK");
    expect(await admin.call("INDEX", ["DIRTY"])).toEqual([]);
    expect(Array.isArray(await admin.call("HOOKS"))).toBe(true);
    const history = (await admin.callBuffer("HISTORY", ["k"])) as [Buffer, Buffer, Buffer];
    expect(history[2].toString()).toBe("2");
    const older = (await admin.callBuffer("HISTORY", ["k", history[0]])) as [null, Buffer, Buffer];
    expect(older[2].toString()).toBe("1");
    expect(await admin.call("RELOAD", ["dirty"])).toBe("OK");
    expect(await admin.get("k")).toBe("2");
    await expect(admin.callBuffer("HISTORY", ["other", history[0]])).rejects.toThrow(
      "Invalid arguments (invalid key)",
    );
  });

  test("WAIT wakes on another client's command, or times out", async () => {
    const waiter = client();
    const writer = client();
    await waiter.connect();
    await writer.connect();
    const waiting = waiter.call("WAIT", ["SET", "2000"]);
    await new Promise((resolve) => setTimeout(resolve, 50));
    await writer.set("w", "1");
    expect(await waiting).toBe("SET");
    await expect(waiter.call("WAIT", ["DEL", "100"])).rejects.toThrow("Timeout");
  });
});

test("2000 idle connections do not stop others from being served", async () => {
  const idle: net.Socket[] = [];
  try {
    await Promise.all(
      Array.from(
        { length: 2000 },
        () =>
          new Promise<void>((resolve) => {
            const socket = net.connect(daemon.port, "127.0.0.1", () => resolve());
            socket.on("error", () => resolve());
            idle.push(socket);
          }),
      ),
    );
    // Half of them hold a partial request.
    for (const socket of idle.slice(0, 1000)) socket.write("*2\r\n$3\r\nGET\r\n$5\r\nab");
    const redis = client();
    await redis.connect();
    expect(await redis.ping()).toBe("PONG");
    expect(await redis.call("SET", ["busy", "yes"])).toBe("busy");
  } finally {
    for (const socket of idle) socket.destroy();
  }
}, 20_000);

test("a failed disk write drops the clients of that turn and refuses later writes", async () => {
  const admin = client();
  await admin.connect();
  await admin.call("AUTH", ["admin-test"]);
  await admin.call("NSNEW", ["failing"]);
  const ns = daemon.engine.namespace("failing");
  if (!ns) throw new Error("namespace missing");
  const store = ns.store;
  const realFlush = store.flushPending.bind(store);
  store.flushPending = () => {
    store.failure = "simulated ENOSPC";
    throw new Error("simulated ENOSPC");
  };
  const victim = clientWithoutRetry();
  await victim.connect();
  await victim.call("SELECT", ["failing"]);
  await expect(victim.call("SET", ["k", "v"])).rejects.toThrow();
  store.flushPending = realFlush;
  await admin.call("SELECT", ["failing"]);
  await expect(admin.call("SET", ["k2", "v"])).rejects.toThrow("Cannot write data right now");
  expect(await admin.ping()).toBe("PONG");
});

test("a write failing in the middle of a turn answers none of that turn's writes", async () => {
  const admin = client();
  await admin.connect();
  await admin.call("AUTH", ["admin-test"]);
  await admin.call("NSNEW", ["midturn"]);
  const ns = daemon.engine.namespace("midturn");
  if (!ns) throw new Error("namespace missing");
  const writer = clientWithoutRetry();
  await writer.connect();
  await writer.call("SELECT", ["midturn"]);
  const dataFd = ns.store.dataFd;
  ns.store.dataFd = 1_000_000; // the first flush of the turn (a full buffer) fails: EBADF
  const pipeline = writer.pipeline();
  for (let i = 0; i < 300; i++) pipeline.call("SET", [`k${i}`, `v${i}`]);
  const results = (await pipeline.exec().catch(() => null)) ?? [];
  ns.store.dataFd = dataFd;
  const answered = results.flatMap(([error, value], i) => (error === null ? [[i, value]] : []));
  await admin.call("SELECT", ["midturn"]);
  for (const [i] of answered) expect(await admin.call("GET", [`k${i}`])).toBe(`v${i}`);
  expect(answered.length).toBeLessThan(300);
});

describe("redis-cli", () => {
  test("commands through the reference CLI", async () => {
    expect(await redisCli("PING")).toBe("PONG");
    expect(await redisCli("SET", "cli-key", "cli-value")).toBe("cli-key");
    expect(await redisCli("GET", "cli-key")).toBe("cli-value");
    expect(await redisCli("NSNEW", "nope")).toContain("Permission denied");
    expect(await redisCli("INFO")).toContain("sequential_key_size: 8");
  });
});

describe("limits and malformed input", () => {
  test("not an array, too many arguments, payload too big", async () => {
    expect(await raw("PING\r\n")).toBe("-Malformed request, array expected\r\n");
    expect(await raw(`*1025\r\n`)).toBe("-Too many arguments\r\n");
    expect(await raw(`*2\r\n$3\r\nGET\r\n$${8 * 1024 * 1024 + 1}\r\n`)).toBe(
      "-Payload too big\r\n",
    );
    expect(await raw("*1\r\n$4\r\nPING\r\n*1\r\n$4\r\nPING\r\n")).toBe("+PONG\r\n+PONG\r\n");
  });

  test("an 8 MiB value in small pieces round-trips", async () => {
    const redis = client();
    await redis.connect();
    const value = Buffer.alloc(8 * 1024 * 1024, 0x5a);
    value[12345] = 1;
    expect(String(await redis.callBuffer("SET", ["huge", value]))).toBe("huge");
    expect((await redis.getBuffer("huge"))?.equals(value)).toBe(true);
  });
});

describe("--protect", () => {
  test("the default namespace is read-only until SELECT with the admin password", async () => {
    const protectedDir = tempDir("qss-zdb-protect-");
    const server = await startTestServer(protectedDir, { protect: true });
    const redis = new Redis({
      port: server.port,
      host: "127.0.0.1",
      protocol: 2,
      lazyConnect: true,
    });
    try {
      await redis.connect();
      expect(await redis.ping()).toBe("PONG");
      await expect(redis.call("SET", ["k", "v"])).rejects.toThrow("Namespace is in read-only mode");
      expect(await redis.call("SELECT", ["default", "admin-test"])).toBe("OK");
      expect(await redis.call("SET", ["k", "v"])).toBe("k");
    } finally {
      redis.disconnect();
      await server.stop();
      removeDir(protectedDir);
    }
  });
});

describe("--socket with --dualnet", () => {
  test("answers on the unix socket and on TCP", async () => {
    const socketDir = tempDir("qss-zdb-sock-");
    const socketPath = `${socketDir}/zdb.sock`;
    const server = await startTestServer(socketDir, { socketPath, dualnet: true });
    const overUnix = new Redis({ path: socketPath, protocol: 2, lazyConnect: true });
    const overTcp = new Redis({
      port: server.port,
      host: "127.0.0.1",
      protocol: 2,
      lazyConnect: true,
    });
    try {
      await overUnix.connect();
      await overTcp.connect();
      expect(await overUnix.call("SET", ["u", "1"])).toBe("u");
      expect(await overTcp.get("u")).toBe("1");
    } finally {
      overUnix.disconnect();
      overTcp.disconnect();
      await server.stop();
      removeDir(socketDir);
    }
  });
});
