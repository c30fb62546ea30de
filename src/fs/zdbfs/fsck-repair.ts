/**
 * Reclaim what fsck reported as leaked (`qss fsck --repair`): delete orphan blocks and
 * records, and hand orphan inodes to the orphan list with nlink 0, so that the next mount
 * deletes them with everything they own. Never touches reachable data. Takes the mount lock
 * for its duration, so it refuses to run on a mounted filesystem.
 *
 * @example
 * const report = await fsck(meta, data);
 * if (report.consistent && !report.clean) await repairLeaks(meta, data, report);
 */
import type { ZdbNamespace } from "../../zdb/namespace.ts";
import type { FsckReport } from "./fsck-types.ts";
import { decodeInode, encodeInode } from "./inode-codec.ts";
import { inodeKey, orphansKey } from "./keys.ts";
import { MountLock } from "./mount-lock.ts";
import { decodeOrphans, encodeOrphans } from "./superblock.ts";

export interface RepairResult {
  deletedRecords: number;
  deletedBlocks: number;
  /** Orphan inodes listed for deletion at the next mount. */
  listedInodes: number;
}

const lockStaleMs = 30_000;

async function listOrphanInodes(meta: ZdbNamespace, inos: number[]): Promise<number> {
  const bytes = await meta.get(orphansKey());
  const orphans = bytes === null ? new Set<number>() : decodeOrphans(bytes);
  let listed = 0;
  for (const ino of inos) {
    const record = await meta.get(inodeKey(ino));
    if (record === null) continue;
    const inode = decodeInode(ino, record);
    if (inode.nlink !== 0) await meta.set(inodeKey(ino), encodeInode({ ...inode, nlink: 0 }));
    orphans.add(ino);
    listed++;
  }
  if (listed > 0) await meta.set(orphansKey(), encodeOrphans(orphans));
  return listed;
}

export async function repairLeaks(
  meta: ZdbNamespace,
  data: ZdbNamespace,
  report: FsckReport,
): Promise<RepairResult> {
  const lock = new MountLock(meta, { staleMs: lockStaleMs });
  await lock.acquire();
  try {
    const result: RepairResult = { deletedRecords: 0, deletedBlocks: 0, listedInodes: 0 };
    for (const problem of report.problems) {
      if (problem.leak === undefined) continue;
      const ns = problem.leak.namespace === "meta" ? meta : data;
      if (!(await ns.del(problem.leak.key))) continue;
      if (problem.leak.namespace === "data") result.deletedBlocks++;
      else result.deletedRecords++;
    }
    const orphanInodes = report.problems.filter((p) => p.kind === "orphan-inode").map((p) => p.ino);
    result.listedInodes = await listOrphanInodes(meta, orphanInodes);
    await data.sync();
    await meta.sync();
    return result;
  } finally {
    await lock.release();
  }
}
