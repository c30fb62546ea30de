/**
 * The session against hand-built requests, with replies written to a temp file standing in for
 * /dev/fuse: INIT negotiation, ENOSYS for unknown opcodes, EINVAL for malformed payloads, no
 * reply for FORGET, EIO for a throwing handler, INTERRUPT aborting a request in flight, and the
 * reply struct layouts (entry_out, attr_out, open_out, dirents).
 */
import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { MemoryFileSystem } from "../../src/fs/memory/memory-fs.ts";
import type { FileSystemOperations, RequestContext } from "../../src/fs/operations.ts";
import { InitFlag, Opcode } from "../../src/fuse/abi.ts";
import { FuseSession } from "../../src/fuse/session.ts";
import { Bytes, concat, cstr, request } from "./request-bytes.ts";

interface Reply {
  len: number;
  error: number;
  unique: number;
  body: DataView;
  bytes: Uint8Array;
}

let dir = "";
let fd = -1;
let path = "";
const logs: string[] = [];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "qss-session-"));
  path = join(dir, "device");
  fd = openSync(path, "w+");
  logs.length = 0;
});
afterEach(() => {
  closeSync(fd);
  rmSync(dir, { recursive: true, force: true });
});

function replies(): Reply[] {
  const all = new Uint8Array(readFileSync(path));
  const view = new DataView(all.buffer);
  const out: Reply[] = [];
  for (let at = 0; at < all.length; ) {
    const len = view.getUint32(at, true);
    out.push({
      len,
      error: view.getInt32(at + 4, true),
      unique: Number(view.getBigUint64(at + 8, true)),
      body: new DataView(all.buffer, at + 16, len - 16),
      bytes: all.subarray(at + 16, at + len),
    });
    at += len;
  }
  return out;
}

function session(ops: FileSystemOperations = new MemoryFileSystem()): FuseSession {
  return new FuseSession(ops, {
    writebackCache: false,
    maxWriteBytes: 1 << 20,
    maxBackground: 64,
    log: (m) => logs.push(m),
  });
}

function initRequest(minor = 45, flags = 0x3fffffff): Uint8Array {
  return request(
    Opcode.INIT,
    1,
    new Bytes(64).u32(0, 7).u32(4, minor).u32(8, 131072).u32(12, flags).bytes,
  );
}

async function send(s: FuseSession, bytes: Uint8Array): Promise<void> {
  await s.handle(bytes, fd);
}

describe("session", () => {
  test("INIT: lower minor, max_write 1 MiB with max_pages 256, only implemented flags", async () => {
    const s = session();
    await send(s, initRequest());
    const [r] = replies();
    expect(r?.error).toBe(0);
    expect(r?.len).toBe(16 + 64);
    const body = r?.body as DataView;
    expect([body.getUint32(0, true), body.getUint32(4, true)]).toEqual([7, 38]);
    const flags = body.getUint32(12, true);
    expect(flags & InitFlag.MAX_PAGES).toBeTruthy();
    expect(flags & InitFlag.WRITEBACK_CACHE).toBe(0);
    expect(flags & InitFlag.POSIX_LOCKS).toBe(0);
    expect(body.getUint32(20, true)).toBe(1 << 20);
    expect(body.getUint16(28, true)).toBe(256);
    expect(s.initialized).toBe(true);
  });

  test("INIT keeps an older kernel's minor; requests before INIT get EIO", async () => {
    const s = session();
    await send(s, request(Opcode.GETATTR, 2, new Bytes(16).bytes));
    await send(s, initRequest(31));
    const [early, init] = replies();
    expect(early?.error).toBe(-5);
    expect(init?.body.getUint32(4, true)).toBe(31);
  });

  test("INIT with writeback asked for takes it; a too old or wrong-major kernel gets EPROTO", async () => {
    const s = new FuseSession(new MemoryFileSystem(), {
      writebackCache: true,
      maxWriteBytes: 1 << 20,
      maxBackground: 64,
      log: (m) => logs.push(m),
    });
    await send(s, initRequest(12));
    expect(s.initialized).toBe(false);
    await send(
      s,
      request(Opcode.INIT, 3, new Bytes(64).u32(0, 8).u32(4, 45).u32(12, 0xffff).bytes),
    );
    await send(s, initRequest(45, InitFlag.WRITEBACK_CACHE | InitFlag.ASYNC_READ));
    const [old, wrongMajor, ok] = replies();
    expect(old?.error).toBe(-71);
    expect(wrongMajor?.error).toBe(-71);
    expect(ok?.body.getUint32(12, true)).toBe(InitFlag.WRITEBACK_CACHE | InitFlag.ASYNC_READ);
    expect(ok?.body.getUint32(20, true)).toBe(128 * 1024); // no MAX_PAGES offered: 128 KiB
    expect(s.initialized).toBe(true);
  });

  test("unknown opcodes get ENOSYS; malformed payloads EINVAL; a garbage header EIO", async () => {
    const s = session();
    await send(s, initRequest());
    await send(s, request(9999, 3, new Uint8Array(8)));
    await send(s, request(Opcode.IOCTL, 4, new Uint8Array(32)));
    await send(s, request(Opcode.LOOKUP, 5, new TextEncoder().encode("no-nul")));
    await send(s, request(Opcode.READ, 6, new Uint8Array(10)));
    const garbage = new Bytes(24).u32(0, 999).u64(8, 7).bytes;
    await send(s, garbage);
    const r = replies().slice(1);
    expect(r.map((x) => [x.unique, x.error])).toEqual([
      [3, -38],
      [4, -38],
      [5, -22],
      [6, -22],
      [7, -5],
    ]);
    expect(s.stats.malformed).toBe(3);
  });

  test("FORGET and BATCH_FORGET are never answered", async () => {
    const s = session();
    await send(s, initRequest());
    await send(s, request(Opcode.FORGET, 8, new Bytes(8).u64(0, 1).bytes, { nodeId: 5 }));
    await send(s, request(Opcode.BATCH_FORGET, 10, new Bytes(8).u32(0, 0).bytes));
    expect(replies().length).toBe(1);
  });

  test("a throwing handler is answered EIO once, and logged", async () => {
    const s = session({
      getattr: async () => {
        throw new Error("boom");
      },
    });
    await send(s, initRequest());
    await send(s, request(Opcode.GETATTR, 12, new Bytes(16).bytes));
    const r = replies();
    expect(r.length).toBe(2);
    expect(r[1]?.error).toBe(-5);
    expect(logs.some((l) => l.includes("boom"))).toBe(true);
  });

  test("INTERRUPT aborts the request in flight, which answers EINTR once", async () => {
    let seen: RequestContext | undefined;
    const s = session({
      getattr: (_ino, _fh, ctx) =>
        new Promise((resolve) => {
          seen = ctx;
          ctx.signal.addEventListener("abort", () => resolve(4));
        }),
    });
    await send(s, initRequest());
    const pending = s.handle(request(Opcode.GETATTR, 20, new Bytes(16).bytes), fd);
    expect(s.inflight.has(20)).toBe(true);
    await send(s, request(Opcode.INTERRUPT, 21, new Bytes(8).u64(0, 20).bytes));
    await pending;
    expect(seen?.signal.aborted).toBe(true);
    await send(s, request(Opcode.INTERRUPT, 23, new Bytes(8).u64(0, 999).bytes));
    const r = replies().slice(1);
    expect(r.map((x) => [x.unique, x.error])).toEqual([
      [20, -4],
      [23, -11],
    ]);
    expect(s.inflight.size).toBe(0);
  });

  test("MKDIR → fuse_entry_out, GETATTR → fuse_attr_out, READDIR → fuse_dirent", async () => {
    const s = session(new MemoryFileSystem({ cacheTimeoutMs: 1500 }));
    await send(s, initRequest());
    await send(s, request(Opcode.MKDIR, 30, concat(new Bytes(8).u32(0, 0o755).bytes, cstr("sub"))));
    await send(s, request(Opcode.GETATTR, 32, new Bytes(16).bytes, { nodeId: 2 }));
    await send(s, request(Opcode.OPENDIR, 34, new Bytes(8).bytes));
    const fh = Number(replies()[3]?.body.getBigUint64(0, true));
    const readIn = new Bytes(40).u64(0, fh).u64(8, 0).u32(16, 4096);
    await send(s, request(Opcode.READDIR, 36, readIn.bytes));
    const [, entry, attr, , dirents] = replies();
    const e = entry?.body as DataView;
    expect(entry?.len).toBe(16 + 128);
    expect(Number(e.getBigUint64(0, true))).toBe(2); // nodeid
    expect(Number(e.getBigUint64(16, true))).toBe(1); // entry_valid (s)
    expect(e.getUint32(32, true)).toBe(500_000_000); // entry_valid_nsec
    expect(e.getUint32(40 + 60, true)).toBe(0o040755); // attr.mode
    expect(e.getUint32(40 + 64, true)).toBe(2); // attr.nlink
    const a = attr?.body as DataView;
    expect(attr?.len).toBe(16 + 104);
    expect(Number(a.getBigUint64(16, true))).toBe(2); // attr.ino
    const d = dirents?.body as DataView;
    const names: string[] = [];
    for (let at = 0; at < d.byteLength; ) {
      const namelen = d.getUint32(at + 16, true);
      names.push(new TextDecoder().decode(dirents?.bytes.subarray(at + 24, at + 24 + namelen)));
      at += (24 + namelen + 7) & ~7;
    }
    expect(names).toEqual([".", "..", "sub"]);
  });

  test("WRITE then READ through the session, and getxattr size probing", async () => {
    const s = session();
    await send(s, initRequest());
    const create = concat(new Bytes(16).u32(0, 0o2).u32(4, 0o644).bytes, cstr("f"));
    await send(s, request(Opcode.CREATE, 40, create));
    const fh = Number(replies()[1]?.body.getBigUint64(128, true));
    const data = new TextEncoder().encode("payload");
    const write = concat(new Bytes(40).u64(0, fh).u64(8, 0).u32(16, data.length).bytes, data);
    await send(s, request(Opcode.WRITE, 42, write, { nodeId: 2 }));
    const read = new Bytes(40).u64(0, fh).u64(8, 3).u32(16, 100);
    await send(s, request(Opcode.READ, 44, read.bytes, { nodeId: 2 }));
    const set = concat(new Bytes(8).u32(0, 3).bytes, cstr("user.k"), new Uint8Array([1, 2, 3]));
    await send(s, request(Opcode.SETXATTR, 46, set, { nodeId: 2 }));
    const probe = concat(new Bytes(8).u32(0, 0).bytes, cstr("user.k"));
    await send(s, request(Opcode.GETXATTR, 48, probe, { nodeId: 2 }));
    const small = concat(new Bytes(8).u32(0, 2).bytes, cstr("user.k"));
    await send(s, request(Opcode.GETXATTR, 50, small, { nodeId: 2 }));
    const r = replies();
    expect(r[2]?.body.getUint32(0, true)).toBe(7);
    expect(new TextDecoder().decode(r[3]?.bytes)).toBe("load");
    expect(r[4]?.error).toBe(0);
    expect(r[5]?.body.getUint32(0, true)).toBe(3);
    expect(r[6]?.error).toBe(-34);
  });
});

describe("early write answers", () => {
  /** A filesystem whose write accepts at once (when offered) and settles when released. */
  function acceptingFs() {
    let release = () => {};
    const offered: boolean[] = [];
    class AcceptingFs extends MemoryFileSystem {
      override write(
        _ino: number,
        _fh: number,
        _offset: number,
        data: Uint8Array,
        _flags?: number,
        ctx?: RequestContext,
      ): Promise<number> {
        offered.push(ctx?.acceptWrite !== undefined);
        ctx?.acceptWrite?.(data.length);
        return new Promise<number>((resolve) => {
          release = () => resolve(data.length);
        });
      }
    }
    return { ops: new AcceptingFs(), offered, release: () => release() };
  }
  const writeIn = (length: number, writeFlags = 0) =>
    concat(
      new Bytes(40).u64(0, 1).u32(16, length).u32(20, writeFlags).bytes,
      new Uint8Array(length),
    );

  test("a write accepted early is answered before it settles, and only once", async () => {
    const fs = acceptingFs();
    const s = session(fs.ops);
    await send(s, initRequest());
    const pending = s.handle(request(Opcode.WRITE, 90, writeIn(300), { nodeId: 1 }), fd);
    for (let turn = 0; turn < 10; turn++) await null;
    expect(replies().map((r) => [r.unique, r.error, r.body.getUint32(0, true)])[1]).toEqual([
      90, 0, 300,
    ]);
    fs.release();
    await pending;
    expect(replies().length).toBe(2);
    expect(logs).toEqual([]);
  });

  test("a write that must drop privileges is not offered an early answer", async () => {
    const fs = acceptingFs();
    const s = session(fs.ops);
    await send(s, initRequest());
    const pending = s.handle(request(Opcode.WRITE, 92, writeIn(10, 1 << 2), { nodeId: 1 }), fd);
    for (let turn = 0; turn < 10; turn++) await null;
    expect(replies().length).toBe(1);
    fs.release();
    await pending;
    expect(fs.offered).toEqual([false]);
    expect(replies()[1]?.body.getUint32(0, true)).toBe(10);
  });
});

describe("TMPFILE", () => {
  const tmpfileIn = (flags: number) =>
    concat(new Bytes(16).u32(0, flags).u32(4, 0o100644).u32(8, 0o22).bytes, cstr("/"));

  test("answered like CREATE with nlink 0; LINK names it; a never-linked one is freed", async () => {
    const fs = new MemoryFileSystem();
    const s = session(fs);
    await send(s, initRequest());
    await send(s, request(Opcode.TMPFILE, 60, tmpfileIn(0o20200002)));
    const made = replies()[1] as Reply;
    expect([made.error, made.len]).toEqual([0, 16 + 128 + 16]);
    const ino = Number(made.body.getBigUint64(0, true));
    const fh = Number(made.body.getBigUint64(128, true));
    expect(made.body.getUint32(40 + 60, true)).toBe(0o100644 & ~0o22); // attr.mode
    expect(made.body.getUint32(40 + 64, true)).toBe(0); // attr.nlink
    const data = new TextEncoder().encode("tmp");
    const write = concat(new Bytes(40).u64(0, fh).u32(16, data.length).bytes, data);
    await send(s, request(Opcode.WRITE, 62, write, { nodeId: ino }));
    const link = concat(new Bytes(8).u64(0, ino).bytes, cstr("kept"));
    await send(s, request(Opcode.LINK, 64, link));
    await send(s, request(Opcode.LOOKUP, 66, cstr("kept")));
    const [, , written, linked, found] = replies();
    expect(written?.body.getUint32(0, true)).toBe(3);
    expect(linked?.error).toBe(0);
    expect(linked?.body.getUint32(40 + 64, true)).toBe(1); // nlink after LINK
    expect(Number(found?.body.getBigUint64(0, true))).toBe(ino);
    expect(Number(found?.body.getBigUint64(48, true))).toBe(3); // attr.size

    await send(s, request(Opcode.TMPFILE, 68, tmpfileIn(0o20200002)));
    const other = replies()[5] as Reply;
    const otherIno = Number(other.body.getBigUint64(0, true));
    const otherFh = Number(other.body.getBigUint64(128, true));
    await send(
      s,
      request(Opcode.RELEASE, 70, new Bytes(24).u64(0, otherFh).bytes, { nodeId: otherIno }),
    );
    await send(s, request(Opcode.FORGET, 72, new Bytes(8).u64(0, 1).bytes, { nodeId: otherIno }));
    expect(fs.inodes.has(otherIno)).toBe(false);
    expect(fs.inodes.has(ino)).toBe(true);
    const readdir = await fs.readdir(1, 0, 0, 4096);
    expect(typeof readdir === "number" ? [] : readdir.map((e) => e.ino)).toEqual([1, 1, ino]);
  });

  test("O_EXCL makes it unlinkable; no tmpfile operation is ENOSYS", async () => {
    const s = session();
    await send(s, initRequest());
    await send(s, request(Opcode.TMPFILE, 80, tmpfileIn(0o20200202)));
    const ino = Number(replies()[1]?.body.getBigUint64(0, true));
    await send(s, request(Opcode.LINK, 82, concat(new Bytes(8).u64(0, ino).bytes, cstr("x"))));
    expect(replies()[2]?.error).toBe(-2);
    const bare = session({});
    await send(bare, initRequest());
    await send(bare, request(Opcode.TMPFILE, 84, tmpfileIn(0o20200002)));
    await send(bare, request(Opcode.TMPFILE, 86, new Uint8Array(8)));
    expect(
      replies()
        .slice(4)
        .map((r) => [r.unique, r.error]),
    ).toEqual([
      [84, -38],
      [86, -22],
    ]);
  });
});

describe("reply writer", () => {
  test("a reply the device refuses is logged and counted, never thrown", async () => {
    const s = session();
    const full = openSync("/dev/full", "w"); // every write fails with ENOSPC
    try {
      await s.handle(initRequest(), full);
      expect(s.writer.failedCount).toBe(1);
      expect(logs.some((l) => l.includes("refused a reply"))).toBe(true);
    } finally {
      closeSync(full);
    }
  });
});

describe("random requests", () => {
  test("5000 random requests: never a throw, at most one reply each, always well-formed", async () => {
    const s = session();
    await send(s, initRequest());
    let state = 12345;
    const random = (n: number) => {
      state = (state * 1103515245 + 12345) >>> 0;
      return state % n;
    };
    const opcodes = [...Array(52).keys(), 4096, 9999];
    let expectedMax = 1;
    for (let i = 0; i < 5000; i++) {
      const payload = new Uint8Array(random(200)).map(() => random(256));
      const opcode = opcodes[random(opcodes.length)] as number;
      const bytes = request(opcode, 100 + i * 2, payload, { nodeId: 1 + random(4) });
      if (random(10) === 0) new DataView(bytes.buffer).setUint32(0, random(300), true);
      await send(s, bytes);
      expectedMax++;
    }
    const all = replies();
    expect(all.length).toBeLessThanOrEqual(expectedMax);
    expect(all.length).toBeGreaterThan(1000);
    const uniques = new Set(all.map((r) => r.unique));
    expect(uniques.size).toBe(all.length);
    for (const r of all) expect(r.error <= 0 && r.error >= -133).toBe(true);
    expect(s.stats.handlerErrors).toBe(0);
  });
});
