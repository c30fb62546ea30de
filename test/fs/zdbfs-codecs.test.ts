import { describe, expect, test } from "bun:test";
import { isQssError } from "../../src/base/errors.ts";
import {
  decodeDirIndex,
  decodeDirPage,
  encodeDirIndex,
  encodeDirPage,
} from "../../src/fs/zdbfs/dir-codec.ts";
import { decodeInode, encodeInode, type Inode } from "../../src/fs/zdbfs/inode-codec.ts";
import { nameHash } from "../../src/fs/zdbfs/name-hash.ts";
import {
  decodeOrphans,
  decodeSuperblock,
  encodeOrphans,
  encodeSuperblock,
} from "../../src/fs/zdbfs/superblock.ts";
import { decodeXattrs, encodeXattrs } from "../../src/fs/zdbfs/xattr-codec.ts";

const inode: Inode = {
  ino: 2 ** 40 + 3,
  mode: 0o120777,
  nlink: 7,
  flags: 1,
  uid: 2 ** 52,
  gid: 4_000_000_000,
  size: 2 ** 44,
  rdev: 0x0801,
  parent: 9,
  entryCount: 1_000_000,
  blockCount: 2 ** 27,
  atime: { sec: -1, nsec: 999_999_999 },
  mtime: { sec: 2 ** 40, nsec: 1 },
  ctime: { sec: 0, nsec: 0 },
  target: Uint8Array.of(0x2f, 0xff, 0x00, 0x41),
};

function expectCorrupt(fn: () => unknown) {
  let error: unknown;
  try {
    fn();
  } catch (e) {
    error = e;
  }
  expect(isQssError(error, "CORRUPT")).toBe(true);
}

describe("codecs", () => {
  test("inode round-trips 64-bit ids and signed nanosecond times", () => {
    const bytes = encodeInode(inode);
    expect(bytes.length).toBe(108 + 4);
    expect(decodeInode(inode.ino, bytes)).toEqual(inode);
    expectCorrupt(() => decodeInode(1, bytes.subarray(0, 50)));
    const wrongVersion = bytes.slice();
    wrongVersion[0] = 9;
    expectCorrupt(() => decodeInode(1, wrongVersion));
  });

  test("directory page and index round-trip; truncation is detected", () => {
    const names = ["a", "bb", "\xff"].map((n) => Uint8Array.from(n, (c) => c.charCodeAt(0)));
    const page = {
      entries: names.map((name, i) => ({ name, hash: nameHash(name), ino: 2 ** 45 + i, type: 8 })),
    };
    expect(decodeDirPage(encodeDirPage(page))).toEqual(page);
    expectCorrupt(() => decodeDirPage(encodeDirPage(page).subarray(0, 12)));
    const index = { nextPageId: 7, lows: [0, 2 ** 45 + 5, 2 ** 46 - 1], ids: [3, 5, 6] };
    expect(decodeDirIndex(encodeDirIndex(index))).toEqual(index);
    expectCorrupt(() => decodeDirIndex(new Uint8Array(5)));
  });

  test("superblock, orphans and xattrs round-trip", () => {
    const sb = {
      blockSizeBytes: 131072,
      inodeReservedUpTo: 2 ** 50,
      usedBlocks: 3,
      usedInodes: 4,
      rootIno: 1,
    };
    expect(decodeSuperblock(encodeSuperblock(sb))).toEqual(sb);
    expectCorrupt(() => decodeSuperblock(new Uint8Array(48)));
    const orphans = new Set([1, 2 ** 50, 77]);
    expect(decodeOrphans(encodeOrphans(orphans))).toEqual(orphans);
    const xattrs = new Map([
      ["user.a", Uint8Array.of(1, 2, 3)],
      ["trusted.\xff", new Uint8Array(0)],
    ]);
    expect(decodeXattrs(encodeXattrs(xattrs))).toEqual(xattrs);
    expectCorrupt(() => decodeXattrs(encodeXattrs(xattrs).subarray(0, 10)));
  });

  test("the name hash uses 46 bits and spreads similar names", () => {
    const hashes = new Set<number>();
    for (let i = 0; i < 100_000; i++) {
      const h = nameHash(new TextEncoder().encode(`file-${i}`));
      expect(h).toBeLessThan(2 ** 46);
      hashes.add(h);
    }
    expect(hashes.size).toBe(100_000);
  });
});
