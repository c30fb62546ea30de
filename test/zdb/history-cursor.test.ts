import { afterEach, expect, test } from "bun:test";
import * as net from "node:net";
import { join } from "node:path";
import { openEngine } from "../../src/zdb/engine.ts";
import { removeDir, startTestServer, str, tempDir, utf8 } from "./helpers.ts";

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) removeDir(dir);
});

function encode(args: (string | Buffer)[]): Buffer {
  const parts: Buffer[] = [Buffer.from(`*${args.length}\r\n`)];
  for (const arg of args) {
    const bytes = Buffer.isBuffer(arg) ? arg : Buffer.from(arg);
    parts.push(Buffer.from(`$${bytes.length}\r\n`), bytes, Buffer.from("\r\n"));
  }
  return Buffer.concat(parts);
}

/** A key whose bytes are a forged index entry header (key "Z", data file `dataId`) + "Z". */
function forgedKey(dataId: number): Buffer {
  const header = Buffer.alloc(34);
  header[0] = 1;
  header.writeUInt32LE(0, 1);
  header.writeUInt32LE(16, 5);
  header.writeUInt32LE(dataId, 14);
  return Buffer.concat([header, Buffer.from("Z")]);
}

test("a forged HISTORY cursor pointing inside a stored key is refused, no missing-data", async () => {
  const dir = tempDir();
  dirs.push(dir);
  const daemon = await startTestServer(dir);
  const missing: string[] = [];
  daemon.engine.on((event) => {
    if (event.name === "missing-data") missing.push(event.args.join(" "));
    return undefined;
  });
  const socket = net.connect(daemon.port, "127.0.0.1");
  try {
    await new Promise((resolve) => socket.once("connect", resolve));
    let replies = "";
    socket.on("data", (chunk) => {
      replies += chunk.toString("latin1");
    });
    const cursor = Buffer.alloc(8);
    // index header (29) + first entry header (34) + its key (17) + second entry header (34).
    cursor.writeUInt32LE(29 + 34 + 17 + 34, 4);
    socket.write(encode(["SET", "secret-of-someone", "TOP-SECRET-PAYLOAD"]));
    socket.write(encode(["SET", forgedKey(7), "x"]));
    socket.write(encode(["HISTORY", "Z", cursor]));
    socket.write(encode(["PING"]));
    for (let i = 0; i < 100 && !replies.includes("+PONG"); i += 1) await Bun.sleep(20);
    expect(replies).toContain("+PONG");
    expect(replies).toContain("-Invalid arguments (index query)");
    expect(missing).toEqual([]);
  } finally {
    socket.destroy();
    await daemon.stop();
  }
});

test("a cursor at a real entry of another key is refused; the real chain walks after restart", async () => {
  const dir = tempDir();
  dirs.push(dir);
  const options = { dataDir: join(dir, "data"), indexDir: join(dir, "index") };
  const cursors: Uint8Array[] = [];
  let engine = await openEngine(options);
  try {
    engine.create("h");
    const ns = engine.namespace("h");
    if (!ns) throw new Error("namespace h missing");
    for (let version = 0; version < 5; version += 1) {
      await ns.set(utf8("k"), utf8(`v${version}`));
      await ns.set(utf8("other"), utf8(`o${version}`));
    }
    const otherPrevious = ns.historyNow(utf8("other"), null).previous;
    expect(otherPrevious).not.toBeNull();
    // A genuine location, but of another key's chain.
    expect(() => ns.historyNow(utf8("k"), otherPrevious)).toThrow("Invalid arguments");
    let cursor = ns.historyNow(utf8("k"), null).previous;
    for (let step = 0; step < 10 && cursor !== null; step += 1) {
      cursors.push(Uint8Array.from(cursor));
      cursor = ns.historyNow(utf8("k"), cursor).previous;
    }
    expect(cursors.length).toBe(4);
  } finally {
    await engine.close();
  }
  engine = await openEngine(options);
  try {
    const ns = engine.namespace("h");
    if (!ns) throw new Error("namespace h missing");
    // Fresh process, nothing issued yet: the cursor is recognised by walking the chain.
    expect(str(ns.historyNow(utf8("k"), cursors[2] as Uint8Array).payload)).toBe("v1");
    const real = cursors[1] as Uint8Array;
    const shifted = Uint8Array.from(real);
    const offset = new DataView(real.buffer).getUint32(4, true);
    new DataView(shifted.buffer).setUint32(4, offset + 1, true);
    expect(() => ns.historyNow(utf8("k"), shifted)).toThrow("Invalid arguments");
    expect(str(ns.historyNow(utf8("k"), real).payload)).toBe("v2");
  } finally {
    await engine.close();
  }
});
