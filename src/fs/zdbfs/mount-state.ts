/**
 * Opening a namespace set: format it when empty, otherwise load the superblock and delete the
 * orphans a crash left behind (inodes unlinked while open). After an unclean end (the previous
 * mount's lock was taken over), the recovery sweep runs first, before anything is cached.
 */
import { qssError } from "../../base/errors.ts";
import type { FsCore } from "./core.ts";
import { S_IFDIR } from "./inode-codec.ts";
import { destroyInode, getInode, putInode } from "./inode-table.ts";
import { orphansKey, superblockKey } from "./keys.ts";
import { blockSizeBytes, inodeReserveCount } from "./limits.ts";
import { type RecoverySummary, recover } from "./recover.ts";
import { decodeOrphans, decodeSuperblock } from "./superblock.ts";

export const rootIno = 1;

function format(core: FsCore): void {
  core.superblock = {
    blockSizeBytes,
    inodeReservedUpTo: rootIno + 1 + inodeReserveCount,
    usedBlocks: 0,
    usedInodes: 1,
    rootIno,
  };
  core.nextIno = rootIno + 1;
  core.markSuperblockDirty();
  const time = core.options.now();
  putInode(core, {
    ino: rootIno,
    mode: S_IFDIR | (core.options.rootMode & 0o7777),
    nlink: 2,
    flags: 0,
    uid: core.options.rootUid,
    gid: core.options.rootGid,
    size: 0,
    rdev: 0,
    parent: rootIno,
    entryCount: 0,
    blockCount: 0,
    atime: time,
    mtime: time,
    ctime: time,
    target: null,
  });
}

/**
 * Delete the inodes listed as orphans that no name reaches (nlink 0). One that cannot be
 * deleted (a record it owns is unreadable) stays listed for the next mount and never stops
 * this one: `qss fsck` reports what is wrong with it.
 */
async function cleanOrphans(core: FsCore): Promise<number> {
  const orphans = (await core.records.load(orphansKey(), decodeOrphans)) ?? new Set<number>();
  core.orphans = new Set(orphans);
  let cleaned = 0;
  for (const ino of orphans) {
    try {
      const inode = await getInode(core, ino);
      if (inode !== null && inode.nlink === 0) {
        await destroyInode(core, inode);
        cleaned++;
      }
    } catch {
      continue;
    }
    core.orphans.delete(ino);
  }
  if (orphans.size > 0) core.markOrphansDirty();
  return cleaned;
}

/** Both namespaces must be in user mode (keys chosen by the filesystem). */
export function checkModes(core: FsCore): void {
  for (const ns of [core.meta, core.data]) {
    if (ns.mode !== "user") {
      throw qssError("UNSUPPORTED", `Cannot mount: namespace ${ns.name} must be in user mode`);
    }
  }
}

export interface OpenedState {
  /** Orphans (unlinked while open) deleted, by the sweep or the orphan list. */
  orphansCleaned: number;
  /** The recovery sweep's summary, null when the previous mount ended cleanly. */
  recovery: RecoverySummary | null;
}

/** Format or load; after an unclean end, run the recovery sweep first (`recover.ts`). */
export async function openState(core: FsCore, unclean = false): Promise<OpenedState> {
  const bytes = await core.meta.get(superblockKey());
  if (bytes === null) {
    format(core);
    await core.syncAll();
    return { orphansCleaned: 0, recovery: null };
  }
  core.superblock = decodeSuperblock(bytes);
  if (core.superblock.blockSizeBytes !== blockSizeBytes) {
    throw qssError(
      "CORRUPT",
      `Cannot mount: block size ${core.superblock.blockSizeBytes} unsupported`,
    );
  }
  const recovery = unclean ? await recover(core.meta, core.data) : null;
  if (recovery !== null) {
    core.superblock = decodeSuperblock((await core.meta.get(superblockKey())) ?? bytes);
    core.options.onRecovery(recovery);
  }
  core.nextIno = core.superblock.inodeReservedUpTo;
  const cleaned = await cleanOrphans(core);
  await core.syncAll();
  return { orphansCleaned: cleaned + (recovery?.pendingOrphans ?? 0), recovery };
}
