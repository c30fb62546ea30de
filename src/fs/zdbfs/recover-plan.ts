/**
 * The repairs of one recovery, gathered from the fsck problems as they are found (the walk
 * must finish before anything is written: deleting keys would disturb its scans), then applied
 * in a crash-safe order: data deletes, inode updates, bitmap clears, record deletes, and the
 * inode records last (so an interrupted recovery leaves the inode, found again next time).
 */

import type { ZdbNamespace as Ns } from "../../zdb/namespace.ts";
import { decodeBitmapPage, encodeBitmapPage } from "./bitmap.ts";
import { decodeDirPage, encodeDirPage } from "./dir-codec.ts";
import type { FsckFix, FsckProblem, InodeRepairField } from "./fsck-types.ts";
import { decodeInode, encodeInode } from "./inode-codec.ts";
import { bitmapKey, dirPageKey, inodeKey, KeyTag, parseKey } from "./keys.ts";
import { bitmapPageBlocks } from "./limits.ts";
import type { RecoverySummary } from "./recover.ts";

type InodeChanges = Partial<Record<InodeRepairField, number>>;
type EntryRemoval = Extract<FsckFix, { op: "remove-entry" }>;

export class RepairPlan {
  readonly dataDeletes: Uint8Array[] = [];
  readonly recordDeletes: Uint8Array[] = [];
  readonly inodeDeletes: Uint8Array[] = [];
  readonly deletedInodes = new Set<number>();
  readonly inodeChanges = new Map<number, InodeChanges>();
  readonly entryRemovals: EntryRemoval[] = [];
  /** Bitmap pages ("ino:page") → blocks whose bits to clear. */
  readonly bitClears = new Map<string, { ino: number; page: number; blocks: number[] }>();
  readonly counts = { orphanBlocks: 0, orphanInodes: 0, pendingOrphans: 0, orphanRecords: 0 };
  countsFixed = 0;
  unrepaired = 0;
  readonly unrepairedSample: FsckProblem[] = [];

  constructor(readonly unrepairedSampleMax: number) {}

  /** Record one problem's fix (dispatch on the fix). */
  add(problem: FsckProblem): void {
    const fix = problem.fix;
    if (fix === undefined) {
      this.unrepaired++;
      if (this.unrepairedSample.length < this.unrepairedSampleMax) {
        this.unrepairedSample.push(problem);
      }
      return;
    }
    this.#count(problem);
    this.#fixers[fix.op](fix as never);
  }

  #count(problem: FsckProblem): void {
    const { counts } = this;
    if (problem.kind === "orphan-block") counts.orphanBlocks++;
    else if (problem.kind === "orphan-inode") counts.orphanInodes++;
    else if (problem.kind === "pending-orphan") counts.pendingOrphans++;
    else if (problem.kind === "orphan-record") counts.orphanRecords++;
    else if (problem.kind !== "counter") this.countsFixed++;
  }

  readonly #fixers: { [Op in FsckFix["op"]]: (fix: Extract<FsckFix, { op: Op }>) => void } = {
    delete: (fix) => {
      for (const key of fix.data) this.dataDeletes.push(key);
      for (const key of fix.meta) {
        const parsed = parseKey(key);
        const isInode = parsed !== null && parsed.tag === KeyTag.inode && parsed.index < 0;
        if (isInode) this.deletedInodes.add(parsed.ino);
        (isInode ? this.inodeDeletes : this.recordDeletes).push(key);
      }
    },
    "set-inode": (fix) => {
      const changes = this.inodeChanges.get(fix.ino) ?? {};
      changes[fix.field] = fix.value;
      this.inodeChanges.set(fix.ino, changes);
    },
    "clear-block": (fix) => {
      const page = Math.floor(fix.block / bitmapPageBlocks);
      const id = `${fix.ino}:${page}`;
      const entry = this.bitClears.get(id) ?? { ino: fix.ino, page, blocks: [] };
      entry.blocks.push(fix.block);
      this.bitClears.set(id, entry);
    },
    "remove-entry": (fix) => {
      this.entryRemovals.push(fix);
    },
    // The counters are always recomputed after the other repairs (recover.ts).
    "set-counters": () => {},
  };

  async apply(meta: Ns, data: Ns, concurrency: number): Promise<void> {
    await eachLimited(this.dataDeletes, concurrency, (key) => data.del(key));
    // One at a time: two removals may touch the same page.
    for (const removal of this.entryRemovals) await removeEntry(meta, removal);
    const updates = [...this.inodeChanges].filter(([ino]) => !this.deletedInodes.has(ino));
    await eachLimited(updates, concurrency, ([ino, changes]) => updateInode(meta, ino, changes));
    const clears = [...this.bitClears.values()].filter((c) => !this.deletedInodes.has(c.ino));
    await eachLimited(clears, concurrency, (c) => clearBits(meta, c.ino, c.page, c.blocks));
    await eachLimited(this.recordDeletes, concurrency, (key) => meta.del(key));
    await eachLimited(this.inodeDeletes, concurrency, (key) => meta.del(key));
  }

  summary(durationMs: number): RecoverySummary {
    const { counts } = this;
    return {
      orphanBlocks: counts.orphanBlocks,
      orphanInodes: counts.orphanInodes + counts.pendingOrphans,
      pendingOrphans: counts.pendingOrphans,
      orphanRecords: counts.orphanRecords,
      countsFixed: this.countsFixed,
      unrepaired: this.unrepaired,
      unrepairedSample: this.unrepairedSample,
      durationMs,
    };
  }
}

/** Run `task` over `items` with at most `limit` in flight. */
async function eachLimited<T>(items: T[], limit: number, task: (item: T) => Promise<unknown>) {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) await task(items[next++] as T);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

async function updateInode(meta: Ns, ino: number, changes: InodeChanges): Promise<void> {
  const bytes = await meta.get(inodeKey(ino));
  if (bytes === null) return;
  await meta.set(inodeKey(ino), encodeInode({ ...decodeInode(ino, bytes), ...changes }));
}

async function removeEntry(meta: Ns, removal: EntryRemoval): Promise<void> {
  const key = dirPageKey(removal.dir, removal.page);
  const bytes = await meta.get(key);
  if (bytes === null) return;
  const page = decodeDirPage(bytes);
  const same = (name: Uint8Array) =>
    name.length === removal.name.length && name.every((byte, i) => byte === removal.name[i]);
  const entries = page.entries.filter((e) => !(e.ino === removal.ino && same(e.name)));
  if (entries.length !== page.entries.length) await meta.set(key, encodeDirPage({ entries }));
}

async function clearBits(meta: Ns, ino: number, page: number, blocks: number[]): Promise<void> {
  const key = bitmapKey(ino, page);
  const bytes = await meta.get(key);
  if (bytes === null) return;
  const bits = decodeBitmapPage(bytes);
  for (const block of blocks) {
    const bit = block % bitmapPageBlocks;
    bits[bit >> 3] = (bits[bit >> 3] ?? 0) & ~(1 << (bit & 7));
  }
  if (bits.every((byte) => byte === 0)) await meta.del(key);
  else await meta.set(key, encodeBitmapPage(bits));
}
