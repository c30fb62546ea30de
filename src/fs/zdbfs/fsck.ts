/**
 * Read-only consistency check of a 0-db filesystem (`qss fsck`). It scans both namespaces,
 * walks the tree from the root and reports:
 *   dangling-entry   a name whose inode record is missing (must never happen after a crash),
 *   orphan-inode     an inode no name reaches and no orphan list holds (leaked by a crash),
 *   pending-orphan   an unlinked-while-open inode, deleted at the next mount,
 *   orphan-record    a page, bitmap or xattr record of no live owner,
 *   orphan-block     a data block of no inode or not marked present in its bitmap,
 *   missing-block    a block marked present but absent (reads as zeros),
 *   link-count / entry-count / bad-parent / missing-page / corrupt-record.
 * Only `get` and `scan` are called: it never writes.
 */

import type { ZdbNamespace } from "../../zdb/namespace.ts";
import { type FsckProblem, type FsckReport, fsckFatalKinds } from "./fsck-types.ts";
import { Checker, checkBlocks, checkInodes, scanMeta } from "./fsck-walk.ts";
import { orphansKey, superblockKey } from "./keys.ts";
import { decodeOrphans, decodeSuperblock } from "./superblock.ts";

export type { FsckProblem, FsckProblemKind, FsckReport } from "./fsck-types.ts";
export { fsckFatalKinds, fsckProblemsMax } from "./fsck-types.ts";

export async function fsck(meta: ZdbNamespace, data: ZdbNamespace): Promise<FsckReport> {
  const superBytes = await meta.get(superblockKey());
  const report = (problems: FsckProblem[], extra: Partial<FsckReport> = {}): FsckReport => ({
    inodes: 0,
    directories: 0,
    entries: 0,
    blocks: 0,
    problems,
    clean: problems.every((p) => p.kind === "pending-orphan"),
    consistent: problems.every((p) => !fsckFatalKinds.has(p.kind)),
    ...extra,
  });
  if (superBytes === null) {
    return report([
      { kind: "corrupt-record", ino: 0, detail: "no superblock: not a qss filesystem" },
    ]);
  }
  const superblock = decodeSuperblock(superBytes);
  const orphansBytes = await meta.get(orphansKey());
  const orphans = orphansBytes === null ? new Set<number>() : decodeOrphans(orphansBytes);
  const checker = new Checker(meta, data, await scanMeta(meta));
  await checker.walk(superblock.rootIno);
  await checkInodes(checker, orphans, superblock.rootIno);
  const blocks = await checkBlocks(checker);
  return report(checker.problems, {
    inodes: checker.keys.inodes.size,
    directories: checker.directories,
    entries: checker.entries,
    blocks,
  });
}

/** A report as text lines for `qss fsck` (counts, then one line per problem). */
export function formatFsckReport(report: FsckReport): string {
  const lines = [
    `${report.inodes} inodes, ${report.directories} directories, ${report.entries} entries, ` +
      `${report.blocks} blocks: ` +
      (report.clean
        ? "clean"
        : `${report.problems.length} problem(s), ${report.consistent ? "consistent (leaks only)" : "INCONSISTENT"}`),
  ];
  for (const p of report.problems) lines.push(`${p.kind}: inode ${p.ino}: ${p.detail}`);
  return lines.join("\n");
}
