/** Report types of the consistency check (`fsck.ts`) and of its repairs (`recover.ts`). */

export type FsckProblemKind =
  | "dangling-entry"
  | "orphan-inode"
  | "pending-orphan"
  | "orphan-record"
  | "orphan-block"
  | "missing-block"
  | "link-count"
  | "entry-count"
  | "block-count"
  | "counter"
  | "bad-parent"
  | "missing-page"
  | "corrupt-record";

/** Inode fields a repair may set (counts and the parent of a directory). */
export type InodeRepairField = "nlink" | "entryCount" | "blockCount" | "parent";

/**
 * What repairing a problem means, with the exact keys: never anything reachable from the root.
 *   delete        remove these keys (unreachable records, blocks, or a whole orphan inode);
 *   set-inode     set one field of a reachable inode to the value the tree implies;
 *   clear-block   clear the bitmap bit of a block that is marked present but absent;
 *   remove-entry  drop the stale second name of a directory (a rename caught midway);
 *   set-counters  the superblock's usage counters are recomputed after the other repairs.
 * Problems without a fix (dangling entries, missing pages, corrupt records) are left alone.
 */
export type FsckFix =
  | { op: "delete"; meta: Uint8Array[]; data: Uint8Array[] }
  | { op: "set-inode"; ino: number; field: InodeRepairField; value: number }
  | { op: "clear-block"; ino: number; block: number }
  | { op: "remove-entry"; dir: number; page: number; ino: number; name: Uint8Array }
  | { op: "set-counters" };

export interface FsckProblem {
  kind: FsckProblemKind;
  ino: number;
  detail: string;
  /** Absent when the problem cannot be repaired safely. */
  fix?: FsckFix;
}

export interface FsckReport {
  inodes: number;
  directories: number;
  entries: number;
  blocks: number;
  /** The first `fsckProblemsMax` problems. */
  problems: FsckProblem[];
  /** All problems found (more than `problems` holds past the bound). */
  problemCount: number;
  /** No problem other than pending orphans (which the next mount cleans). */
  clean: boolean;
}

/** Receives every problem as it is found (the sweep needs all of them, the report a bound). */
export type FsckSink = (problem: FsckProblem) => void;

/** Bound on the problems listed in a report. */
export const fsckProblemsMax = 10_000;

/** Problems a crash must never cause (the write order rules them out); leaks are not among them. */
export const fsckFatalKinds: ReadonlySet<FsckProblemKind> = new Set([
  "dangling-entry",
  "missing-page",
  "corrupt-record",
]);
