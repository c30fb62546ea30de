/**
 * Every request decoder against byte layouts written by hand from fuse.h (7.38), including
 * short payloads and names without their NUL.
 */
import { describe, expect, test } from "bun:test";
import * as D from "../../src/fuse/decode.ts";
import { Bytes, concat, cstr } from "./request-bytes.ts";

const p = (bytes: Uint8Array) => D.payloadOf(bytes);
const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

describe("fuse_in_header", () => {
  test("decodes every field at its offset", () => {
    const b = new Bytes(48)
      .u32(0, 48)
      .u32(4, 15)
      .u64(8, 0x1_0000_0002n)
      .u64(16, 77)
      .u32(24, 1000)
      .u32(28, 1001)
      .u32(32, 4242)
      .u16(36, 1);
    const h = D.decodeInHeader(b.view, 48);
    expect(h).toEqual({
      len: 48,
      opcode: 15,
      unique: 0x1_0000_0002,
      nodeId: 77,
      uid: 1000,
      gid: 1001,
      pid: 4242,
      extensionsBytes: 8,
    });
  });
  test("short, inconsistent or lying headers are malformed", () => {
    expect(D.decodeInHeader(new Bytes(39).view, 39)).toBe(D.malformed);
    expect(D.decodeInHeader(new Bytes(40).u32(0, 41).view, 40)).toBe(D.malformed);
    expect(D.decodeInHeader(new Bytes(40).u32(0, 40).u16(36, 1).view, 40)).toBe(D.malformed);
  });
});

describe("request structs", () => {
  test("names: LOOKUP, and a name without NUL or empty", () => {
    expect(text((D.decodeName(p(cstr("abc"))) as D.NameArgs).name)).toBe("abc");
    expect(D.decodeName(p(new TextEncoder().encode("abc")))).toBe(D.malformed);
    expect(D.decodeName(p(new Uint8Array([0])))).toBe(D.malformed);
    expect(D.decodeName(p(new Uint8Array(0)))).toBe(D.malformed);
  });

  test("fuse_forget_in and fuse_batch_forget_in + fuse_forget_one[]", () => {
    expect(D.decodeForget(p(new Bytes(8).u64(0, 5).bytes))).toEqual({ nlookup: 5 });
    expect(D.decodeForget(p(new Bytes(7).bytes))).toBe(D.malformed);
    const b = new Bytes(8 + 32).u32(0, 2).u64(8, 10).u64(16, 1).u64(24, 11).u64(32, 3);
    expect(D.decodeBatchForget(p(b.bytes))).toEqual({
      items: [
        { nodeId: 10, nlookup: 1 },
        { nodeId: 11, nlookup: 3 },
      ],
    });
    expect(D.decodeBatchForget(p(new Bytes(8 + 16).u32(0, 2).bytes))).toBe(D.malformed);
  });

  test("fuse_getattr_in: fh only with FUSE_GETATTR_FH", () => {
    expect(D.decodeGetattr(p(new Bytes(16).u32(0, 1).u64(8, 9).bytes))).toEqual({ fh: 9 });
    expect(D.decodeGetattr(p(new Bytes(16).u64(8, 9).bytes))).toEqual({ fh: undefined });
    expect(D.decodeGetattr(p(new Bytes(15).bytes))).toBe(D.malformed);
  });

  test("fuse_setattr_in (88 bytes)", () => {
    const b = new Bytes(88)
      .u32(0, 0x3ff)
      .u64(8, 3)
      .u64(16, 5 * 2 ** 30)
      .u64(32, 100)
      .u64(40, 200)
      .u64(48, 300)
      .u32(56, 1)
      .u32(60, 2)
      .u32(64, 3)
      .u32(68, 0o644)
      .u32(76, 10)
      .u32(80, 20);
    expect(D.decodeSetattr(p(b.bytes))).toEqual({
      valid: 0x3ff,
      fh: 3,
      size: 5 * 2 ** 30,
      atimeSec: 100,
      mtimeSec: 200,
      ctimeSec: 300,
      atimeNsec: 1,
      mtimeNsec: 2,
      ctimeNsec: 3,
      mode: 0o644,
      uid: 10,
      gid: 20,
    });
    expect(D.decodeSetattr(p(new Bytes(87).bytes))).toBe(D.malformed);
  });

  test("SYMLINK: name then target", () => {
    const a = D.decodeSymlink(p(concat(cstr("ln"), cstr("/t")))) as D.SymlinkArgs;
    expect([text(a.name), text(a.target)]).toEqual(["ln", "/t"]);
    expect(D.decodeSymlink(p(cstr("ln")))).toBe(D.malformed);
  });

  test("fuse_mknod_in, fuse_mkdir_in + name", () => {
    const mk = concat(new Bytes(16).u32(0, 0o100644).u32(4, 7).u32(8, 0o22).bytes, cstr("n"));
    const m = D.decodeMknod(p(mk)) as D.MknodArgs;
    expect([m.mode, m.rdev, m.umask, text(m.name)]).toEqual([0o100644, 7, 0o22, "n"]);
    expect(D.decodeMknod(p(new Bytes(16).bytes))).toBe(D.malformed);
    const d = D.decodeMkdir(p(concat(new Bytes(8).u32(0, 0o755).u32(4, 2).bytes, cstr("d"))));
    expect(d).toEqual({ mode: 0o755, umask: 2, name: cstr("d").subarray(0, 1) });
    expect(D.decodeMkdir(p(new Bytes(4).bytes))).toBe(D.malformed);
  });

  test("fuse_rename_in / fuse_rename2_in + two names", () => {
    const r = D.decodeRename(p(concat(new Bytes(8).u64(0, 4).bytes, cstr("a"), cstr("b"))));
    expect((r as D.RenameArgs).newDir).toBe(4);
    expect(text((r as D.RenameArgs).newName)).toBe("b");
    const r2 = D.decodeRename2(
      p(concat(new Bytes(16).u64(0, 6).u32(8, 2).bytes, cstr("a"), cstr("b"))),
    ) as D.RenameArgs;
    expect([r2.newDir, r2.flags, text(r2.name)]).toEqual([6, 2, "a"]);
    expect(D.decodeRename2(p(concat(new Bytes(16).bytes, cstr("a"))))).toBe(D.malformed);
  });

  test("fuse_link_in, fuse_open_in, fuse_create_in", () => {
    const l = D.decodeLink(p(concat(new Bytes(8).u64(0, 12).bytes, cstr("h")))) as D.LinkArgs;
    expect(l.oldNodeId).toBe(12);
    expect(D.decodeOpen(p(new Bytes(8).u32(0, 0o2).bytes))).toEqual({ flags: 2, openFlags: 0 });
    expect(D.decodeOpen(p(new Bytes(8).u32(0, 0o1001).u32(4, 1).bytes))).toEqual({
      flags: 0o1001,
      openFlags: 1,
    });
    expect(D.decodeOpen(p(new Bytes(4).bytes))).toBe(D.malformed);
    const c = D.decodeCreate(
      p(concat(new Bytes(16).u32(0, 0o1101).u32(4, 0o644).u32(8, 0o22).bytes, cstr("f"))),
    ) as D.CreateArgs;
    expect([c.flags, c.mode, c.umask, text(c.name)]).toEqual([0o1101, 0o644, 0o22, "f"]);
  });

  test("TMPFILE: fuse_create_in, then a placeholder name that may be missing", () => {
    const head = new Bytes(16).u32(0, 0o20200002).u32(4, 0o100600).u32(8, 0o22).u32(12, 1).bytes;
    const expected = { flags: 0o20200002, mode: 0o100600, umask: 0o22 };
    expect(D.decodeTmpfile(p(concat(head, cstr("/"))))).toEqual(expected); // what Linux sends
    expect(D.decodeTmpfile(p(head))).toEqual(expected); // no name at all
    expect(D.decodeTmpfile(p(concat(head, new Uint8Array([0]))))).toEqual(expected); // empty
    expect(D.decodeTmpfile(p(concat(head, new Uint8Array([0x2f]))))).toEqual(expected); // no NUL
    expect(D.decodeTmpfile(p(head.subarray(0, 15)))).toBe(D.malformed);
    expect(D.decodeTmpfile(p(new Uint8Array(0)))).toBe(D.malformed);
    // The same bytes are a malformed CREATE: CREATE needs its name.
    expect(D.decodeCreate(p(head))).toBe(D.malformed);
  });

  test("fuse_release_in, fuse_flush_in, fuse_fsync_in", () => {
    const r = new Bytes(24).u64(0, 8).u32(8, 2).u32(12, 1).u64(16, 99);
    expect(D.decodeRelease(p(r.bytes))).toEqual({ fh: 8, flags: 2, releaseFlags: 1 });
    expect(D.decodeRelease(p(new Bytes(16).bytes))).toBe(D.malformed);
    const f = new Bytes(24).u64(0, 8).u64(16, 0xffff_ffff_ffff_fff0n);
    expect(D.decodeFlush(p(f.bytes))).toEqual({ fh: 8, lockOwner: 0xffff_ffff_ffff_fff0n });
    expect(D.decodeFsync(p(new Bytes(16).u64(0, 3).u32(8, 1).bytes))).toEqual({
      fh: 3,
      dataOnly: true,
    });
  });

  test("fuse_read_in (40 bytes) with a 64-bit offset", () => {
    const r = new Bytes(40)
      .u64(0, 7)
      .u64(8, 5 * 2 ** 32 + 3)
      .u32(16, 131072)
      .u32(32, 0o2);
    expect(D.decodeRead(p(r.bytes))).toEqual({
      fh: 7,
      offset: 5 * 2 ** 32 + 3,
      size: 131072,
      flags: 2,
    });
    expect(D.decodeRead(p(new Bytes(39).bytes))).toBe(D.malformed);
  });

  test("fuse_write_in + data as a view; data shorter than size is malformed", () => {
    const body = concat(
      new Bytes(40).u64(0, 1).u64(8, 4096).u32(16, 3).u32(20, 1).u32(32, 0o2).bytes,
      new Uint8Array([7, 8, 9]),
    );
    const w = D.decodeWrite(p(body)) as D.WriteArgs;
    expect([w.fh, w.offset, w.writeFlags, w.flags]).toEqual([1, 4096, 1, 2]);
    expect([...w.data]).toEqual([7, 8, 9]);
    expect(w.data.buffer).toBe(body.buffer);
    expect(D.decodeWrite(p(body.subarray(0, 42)))).toBe(D.malformed);
  });

  test("xattrs: fuse_setxattr_in, fuse_getxattr_in, listxattr", () => {
    const s = D.decodeSetxattr(
      p(concat(new Bytes(8).u32(0, 2).u32(4, 1).bytes, cstr("user.a"), new Uint8Array([1, 2]))),
    ) as D.SetxattrArgs;
    expect([text(s.name), [...s.value], s.flags]).toEqual(["user.a", [1, 2], 1]);
    expect(
      D.decodeSetxattr(p(concat(new Bytes(8).u32(0, 5).bytes, cstr("user.a"), new Uint8Array(2)))),
    ).toBe(D.malformed);
    const g = D.decodeGetxattr(p(concat(new Bytes(8).u32(0, 64).bytes, cstr("user.b"))));
    expect((g as D.GetxattrArgs).size).toBe(64);
    expect(D.decodeListxattr(p(new Bytes(8).u32(0, 0).bytes))).toEqual({ size: 0 });
    expect(D.decodeListxattr(p(new Bytes(2).bytes))).toBe(D.malformed);
  });

  test("fuse_access_in, fuse_init_in, fuse_interrupt_in", () => {
    expect(D.decodeAccess(p(new Bytes(8).u32(0, 4).bytes))).toEqual({ mask: 4 });
    const init = new Bytes(64).u32(0, 7).u32(4, 45).u32(8, 131072).u32(12, 0x7ffff).u32(16, 3);
    expect(D.decodeInit(p(init.bytes))).toEqual({
      major: 7,
      minor: 45,
      maxReadahead: 131072,
      flags: 0x7ffff,
      flags2: 3,
    });
    expect(D.decodeInit(p(new Bytes(12).bytes))).toBe(D.malformed);
    expect(D.decodeInterrupt(p(new Bytes(8).u64(0, 42).bytes))).toEqual({ unique: 42 });
  });

  test("fuse_fallocate_in, fuse_lseek_in, fuse_copy_file_range_in, fuse_poll_in", () => {
    const f = new Bytes(32)
      .u64(0, 1)
      .u64(8, 2 ** 33)
      .u64(16, 4096)
      .u32(24, 3);
    expect(D.decodeFallocate(p(f.bytes))).toEqual({
      fh: 1,
      offset: 2 ** 33,
      length: 4096,
      mode: 3,
    });
    const l = new Bytes(24).u64(0, 1).u64(8, 100).u32(16, 4);
    expect(D.decodeLseek(p(l.bytes))).toEqual({ fh: 1, offset: 100, whence: 4 });
    const c = new Bytes(56)
      .u64(0, 1)
      .u64(8, 2)
      .u64(16, 3)
      .u64(24, 4)
      .u64(32, 5)
      .u64(40, 6)
      .u64(48, 0);
    expect(D.decodeCopyFileRange(p(c.bytes))).toEqual({
      fhIn: 1,
      offsetIn: 2,
      nodeIdOut: 3,
      fhOut: 4,
      offsetOut: 5,
      length: 6,
      flags: 0,
    });
    expect(D.decodeCopyFileRange(p(new Bytes(48).bytes))).toBe(D.malformed);
    const poll = new Bytes(24).u64(0, 1).u64(8, 2).u32(16, 1).u32(20, 5);
    expect(D.decodePoll(p(poll.bytes))).toEqual({ fh: 1, kh: 2n, flags: 1, events: 5 });
    for (const decode of [D.decodeFallocate, D.decodeLseek, D.decodePoll, D.decodeAccess]) {
      expect(decode(p(new Bytes(3).bytes))).toBe(D.malformed);
    }
  });
});
