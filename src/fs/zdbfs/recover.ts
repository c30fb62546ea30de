/**
 * Crash recovery: run the fsck walk and apply the fixes its problems carry. A crash can leave
 * data blocks of files whose inode record was never written (the commit writes blocks first),
 * inodes no name reaches, pages no index lists, and counts that drifted; recovery deletes the
 * unreachable keys and sets the counts the tree implies. Nothing reachable from the root is
 * deleted (asserted), and problems without a safe fix (dangling entries, missing pages,
 * corrupt records) are left and counted.
 *
 * Run by the mount after an unclean end (the previous mount's lock record was still there),
 * before anything is served, and by `qss fsck --repair` offline. Each step is idempotent: a
 * crash during recovery leaves the lock behind, so the next mount simply runs it again.
 * Writes: data deletes, inode updates, bitmap clears, record deletes, inode deletes last,
 * orphan list and superblock counters; then sync of data, then meta.
 *
 * @example
 * const summary = await recover(meta, data);
 * console.error(formatRecovery(summary, "recovered after unclean shutdown"));
 */
import { assert } from "../../base/assert.ts";
import type { ZdbNamespace } from "../../zdb/namespace.ts";
import { checkFilesystem } from "./fsck.ts";
import type { FsckProblem } from "./fsck-types.ts";
import { orphansKey, superblockKey } from "./keys.ts";
import { flushConcurrencyMax } from "./limits.ts";
import { RepairPlan } from "./recover-plan.ts";
import { decodeSuperblock, encodeOrphans, encodeSuperblock } from "./superblock.ts";

export interface RecoverySummary {
  /** Data blocks of no inode, or not marked present (orphan-block problems). */
  orphanBlocks: number;
  /** Inodes no name reaches, deleted with everything they own (pending orphans included). */
  orphanInodes: number;
  /** Of those, inodes unlinked while open (listed in the orphan list). */
  pendingOrphans: number;
  /** Directory pages and indexes, bitmaps and xattrs of no live owner. */
  orphanRecords: number;
  /** Link, entry and block counts, parents, absent blocks' bits, superblock counters. */
  countsFixed: number;
  /** Problems recovery cannot fix safely (`qss fsck` lists them). */
  unrepaired: number;
  /** The first of those, for the log. */
  unrepairedSample: FsckProblem[];
  durationMs: number;
}

/** Unrepaired problems kept for the summary. */
const unrepairedSampleMax = 20;

export async function recover(meta: ZdbNamespace, data: ZdbNamespace): Promise<RecoverySummary> {
  const startedMs = Date.now();
  const plan = new RepairPlan(unrepairedSampleMax);
  const checked = await checkFilesystem(meta, data, (problem) => plan.add(problem));
  if (checked === null) return plan.summary(Date.now() - startedMs);
  const { checker } = checked;
  for (const ino of plan.deletedInodes) {
    assert(!checker.names.has(ino), `recover: inode ${ino} is reachable, never deleted`);
  }
  await plan.apply(meta, data, flushConcurrencyMax);
  await writeOrphans(meta, checked.orphans, plan.deletedInodes);
  const usedInodes = checker.inodes.size - checker.doomed.size;
  if (await writeCounters(meta, usedInodes, checker.usage.blocksKept)) plan.countsFixed++;
  await data.sync();
  await meta.sync();
  return plan.summary(Date.now() - startedMs);
}

/** Drop deleted inodes from the orphan list (deleting it once empty). */
async function writeOrphans(meta: ZdbNamespace, orphans: Set<number>, deleted: Set<number>) {
  let changed = false;
  for (const ino of deleted) changed = orphans.delete(ino) || changed;
  if (!changed) return;
  if (orphans.size === 0) await meta.del(orphansKey());
  else await meta.set(orphansKey(), encodeOrphans(orphans));
}

/** Set the statfs counters to what is stored; returns whether they changed. */
async function writeCounters(meta: ZdbNamespace, usedInodes: number, usedBlocks: number) {
  const bytes = await meta.get(superblockKey());
  assert(bytes !== null, "recover: the superblock disappeared");
  const superblock = decodeSuperblock(bytes);
  if (superblock.usedInodes === usedInodes && superblock.usedBlocks === usedBlocks) return false;
  await meta.set(superblockKey(), encodeSuperblock({ ...superblock, usedInodes, usedBlocks }));
  return true;
}

/** One line for a log: "<prefix>: 3 orphan blocks, 1 orphan inodes removed, …". */
export function formatRecovery(summary: RecoverySummary, prefix: string): string {
  const parts = [
    `${summary.orphanBlocks} orphan blocks, ${summary.orphanInodes} orphan inodes removed`,
  ];
  if (summary.orphanRecords > 0) parts.push(`${summary.orphanRecords} orphan records removed`);
  if (summary.countsFixed > 0) parts.push(`${summary.countsFixed} counts fixed`);
  parts.push(`in ${summary.durationMs} ms`);
  let line = `${prefix}: ${parts.join(", ")}`;
  if (summary.unrepaired > 0) {
    const first = summary.unrepairedSample[0];
    line += `; ${summary.unrepaired} problems left (first: ${first?.kind} inode ${first?.ino}: ${first?.detail}), run qss fsck`;
  }
  return line;
}
