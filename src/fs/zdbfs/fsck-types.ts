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
  /** For leaked records and blocks: the stored key, and where (what a repair deletes). */
  leak?: { namespace: "meta" | "data"; key: Uint8Array };
}

export interface FsckReport {
  inodes: number;
  directories: number;
  entries: number;
  blocks: number;
  problems: FsckProblem[];
  /** No problem other than pending orphans (which the next mount cleans). */
  clean: boolean;
  /**
   * No problem a crash must never cause: no dangling entry, missing page or corrupt record.
   * Leaks (orphan inodes, records and blocks), pending orphans, zero-filled blocks of data
   * never fsync'ed, and a link count left high by an interrupted rename keep it true.
   */
  consistent: boolean;
}

/** Bound on the problems listed. */
export const fsckProblemsMax = 10_000;

/** Problems that make a filesystem inconsistent (see `FsckReport.consistent`). */
export const fsckFatalKinds: ReadonlySet<FsckProblemKind> = new Set([
  "dangling-entry",
  "missing-page",
  "corrupt-record",
]);
