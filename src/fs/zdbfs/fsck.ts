/**
 * Read-only consistency check of a 0-db filesystem (`qss fsck`). It scans both namespaces,
 * walks the tree from the root and reports:
 *   dangling-entry   a name whose inode record is missing (must never happen after a crash),
 *   orphan-inode     an inode no name reaches and no orphan list holds (leaked by a crash),
 *   pending-orphan   an unlinked-while-open inode, deleted at the next mount,
 *   orphan-record    a page, bitmap or xattr record of no live owner,
 *   orphan-block     a data block of no inode or not marked present in its bitmap,
 *   missing-block    a block marked present but absent (reads as zeros),
 *   block-count      an inode's block count differs from its present blocks,
 *   counter          the superblock's used inodes/blocks differ from what is stored,
 *   link-count / entry-count / bad-parent / missing-page / corrupt-record.
 * Only `get` and `scan` are called: it never writes. Each problem carries its fix, which
 * `recover()` (`recover.ts`) applies.
 */

import type { ZdbNamespace } from "../../zdb/namespace.ts";
import { checkBlocks, checkCounters, checkInodes } from "./fsck-checks.ts";
import { scanData, scanMeta } from "./fsck-scan.ts";
import type { FsckProblem, FsckReport, FsckSink } from "./fsck-types.ts";
import { Checker } from "./fsck-walk.ts";
import { orphansKey, superblockKey } from "./keys.ts";
import { decodeOrphans, decodeSuperblock, type Superblock } from "./superblock.ts";

export type {
  FsckFix,
  FsckProblem,
  FsckProblemKind,
  FsckReport,
  FsckSink,
} from "./fsck-types.ts";
export { fsckFatalKinds, fsckProblemsMax } from "./fsck-types.ts";

/** The result of a whole check: the checker's state is what a repair needs. */
export interface CheckResult {
  superblock: Superblock;
  orphans: Set<number>;
  checker: Checker;
  blocks: number;
}

const noSuperblock: FsckProblem = {
  kind: "corrupt-record",
  ino: 0,
  detail: "no superblock: not a qss filesystem",
};

/** Run every check, sending each problem to `sink`; null when there is no superblock. */
export async function checkFilesystem(
  meta: ZdbNamespace,
  data: ZdbNamespace,
  sink?: FsckSink,
): Promise<CheckResult | null> {
  const superBytes = await meta.get(superblockKey());
  if (superBytes === null) {
    sink?.(noSuperblock);
    return null;
  }
  const superblock = decodeSuperblock(superBytes);
  const orphansBytes = await meta.get(orphansKey());
  const orphans = orphansBytes === null ? new Set<number>() : decodeOrphans(orphansBytes);
  const keys = await scanMeta(meta);
  const checker = new Checker(meta, data, keys, await scanData(data), sink);
  await checker.walk(superblock.rootIno);
  await checkInodes(checker, orphans, superblock.rootIno);
  const blocks = await checkBlocks(checker);
  checkCounters(checker, superblock);
  return { superblock, orphans, checker, blocks };
}

export async function fsck(meta: ZdbNamespace, data: ZdbNamespace): Promise<FsckReport> {
  const result = await checkFilesystem(meta, data);
  if (result === null) return reportOf([noSuperblock]);
  const { checker } = result;
  return reportOf(checker.problems, {
    inodes: checker.keys.inodes.size,
    directories: checker.directories,
    entries: checker.entries,
    blocks: result.blocks,
    problemCount: checker.problemCount,
    clean: !checker.unclean,
  });
}

function reportOf(problems: FsckProblem[], extra: Partial<FsckReport> = {}): FsckReport {
  return {
    inodes: 0,
    directories: 0,
    entries: 0,
    blocks: 0,
    problems,
    problemCount: problems.length,
    clean: problems.every((p) => p.kind === "pending-orphan"),
    ...extra,
  };
}

/** A report as text lines for `qss fsck` (counts, then one line per problem). */
export function formatFsckReport(report: FsckReport): string {
  const lines = [
    `${report.inodes} inodes, ${report.directories} directories, ${report.entries} entries, ` +
      `${report.blocks} blocks: ${report.clean ? "clean" : `${report.problemCount} problem(s)`}`,
  ];
  for (const p of report.problems) lines.push(`${p.kind}: inode ${p.ino}: ${p.detail}`);
  return lines.join("\n");
}

/** JSON of a report, keys as hex strings. */
export function fsckReportJson(report: FsckReport): string {
  const hex = (bytes: Uint8Array) =>
    Array.from(bytes, (byte) => byte.toString(16).padStart(2, "0")).join("");
  return JSON.stringify(report, (_key, value) =>
    value instanceof Uint8Array ? hex(value) : value,
  );
}
