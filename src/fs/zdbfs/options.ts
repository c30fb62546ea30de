/** Options of the 0-db filesystem, with their defaults. */

import type { ZdbNamespace } from "../../zdb/namespace.ts";
import type { Timespec } from "../operations.ts";
import type { RecoverySummary } from "./recover.ts";

export interface ZdbFsOptions {
  /** Superblock, lock, inodes, directories, bitmaps, xattrs (user mode). */
  meta: ZdbNamespace;
  /** File blocks (user mode). */
  data: ZdbNamespace;
  /** Capacity reported by statfs and enforced on new blocks (default 10 GiB). */
  capacityBytes?: number;
  /** Inodes reported by statfs (default 2^32). */
  inodesMax?: number;
  /** Dirty data and metadata are written and synced at least this often (default 5000). */
  flushIntervalMs?: number;
  /** Dirty file data kept in memory before writes wait for a flush (default 32 MiB). */
  writebackBytesMax?: number;
  /** Clean blocks kept as read cache (default 32 MiB). */
  readCacheBytesMax?: number;
  /**
   * Clean metadata records kept in memory (default 65,536). A record costs 0.6–3 KB of heap
   * (measured: 10,133 after 10,000 creates held 6 MB; 18,341 after an untar of /usr/include
   * 58 MB, directory pages being the large ones), so this bounds them to ~200 MB at worst.
   */
  metaRecordsMax?: number;
  /** Records used more recently than this are never evicted (default 2000). */
  metaEvictAgeMs?: number;
  /** Dirty metadata records before a flush is started (default 50,000). */
  metaDirtyMax?: number;
  /** Blocks read ahead on sequential reads (default 16, 512 KiB). */
  readaheadBlocks?: number;
  entryTimeoutMs?: number;
  attrTimeoutMs?: number;
  /** A mount lock whose heartbeat is older than this is stale (default 30,000). */
  lockStaleMs?: number;
  lockOwner?: string;
  lockHost?: string;
  lockPid?: number;
  /** Owner of a freshly formatted root directory (default 0:0, mode 0755). */
  rootUid?: number;
  rootGid?: number;
  rootMode?: number;
  /**
   * Called once when the mount found the previous mount ended uncleanly (its lock record was
   * still there) and ran the recovery sweep; `qss mount` logs the summary (default: ignore).
   */
  onRecovery?: (summary: RecoverySummary) => void;
  /** Clock (default: the system clock, nanoseconds from performance.timeOrigin). */
  now?: () => Timespec;
}

export type ResolvedOptions = Required<Omit<ZdbFsOptions, "lockOwner" | "lockHost" | "lockPid">> &
  Pick<ZdbFsOptions, "lockOwner" | "lockHost" | "lockPid">;

function systemNow(): Timespec {
  const ms = Date.now();
  const sec = Math.floor(ms / 1000);
  const nsec = (ms - sec * 1000) * 1_000_000 + Math.floor((performance.now() % 1) * 1_000_000);
  return { sec, nsec: Math.min(nsec, 999_999_999) };
}

export function resolveOptions(options: ZdbFsOptions): ResolvedOptions {
  return {
    capacityBytes: 10 * 2 ** 30,
    inodesMax: 2 ** 32,
    flushIntervalMs: 5000,
    writebackBytesMax: 32 * 2 ** 20,
    readCacheBytesMax: 32 * 2 ** 20,
    metaRecordsMax: 65_536,
    metaDirtyMax: 50_000,
    metaEvictAgeMs: 2000,
    readaheadBlocks: 16,
    entryTimeoutMs: 1000,
    attrTimeoutMs: 1000,
    lockStaleMs: 30_000,
    rootUid: 0,
    rootGid: 0,
    rootMode: 0o755,
    now: systemNow,
    onRecovery: () => {},
    ...options,
  };
}
