/** Report types of the read-only consistency check (`fsck.ts`). */

export type FsckProblemKind =
  | "dangling-entry"
  | "orphan-inode"
  | "pending-orphan"
  | "orphan-record"
  | "orphan-block"
  | "missing-block"
  | "link-count"
  | "entry-count"
  | "bad-parent"
  | "missing-page"
  | "corrupt-record";

export interface FsckProblem {
  kind: FsckProblemKind;
  ino: number;
  detail: string;
}

export interface FsckReport {
  inodes: number;
  directories: number;
  entries: number;
  blocks: number;
  problems: FsckProblem[];
  /** No problem other than pending orphans (which the next mount cleans). */
  clean: boolean;
}

/** Bound on the problems listed. */
export const fsckProblemsMax = 10_000;
