/**
 * `qss fsck`: read-only consistency check of a 0-db filesystem. Exit 0 when consistent,
 * 1 when it found problems, 2 on bad usage. `--repair` first runs the recovery sweep a mount
 * runs after an unclean shutdown (holding the mount lock, so never while mounted), then checks.
 */
import { defineCommand } from "citty";
import { isQssError } from "../base/errors.ts";
import { fsck, fsckReportJson } from "../fs/zdbfs/fsck.ts";
import { MountLock } from "../fs/zdbfs/mount-lock.ts";
import { defaultStateDir, openStorage } from "../fs/zdbfs/open.ts";
import { formatRecovery, recover } from "../fs/zdbfs/recover.ts";
import type { ZdbNamespace } from "../zdb/namespace.ts";

const problemsShownMax = 50;
/** As the mount's default: a lock whose heartbeat is older than this is a dead mount's. */
const lockStaleMs = 30_000;

/** The recovery sweep under the mount lock (a live mount refuses it with a clear error). */
async function repair(meta: ZdbNamespace, data: ZdbNamespace): Promise<void> {
  const lock = new MountLock(meta, { staleMs: lockStaleMs });
  await lock.acquire();
  try {
    console.log(`qss fsck: ${formatRecovery(await recover(meta, data), "repaired")}`);
  } finally {
    await lock.release();
  }
}

export const fsckCommand = defineCommand({
  meta: {
    name: "fsck",
    description: "Check a qss filesystem for orphans and dangling entries (--repair fixes them)",
  },
  args: {
    state: {
      type: "string",
      description: "State directory of the embedded 0-db (default as for mount)",
    },
    zdb: { type: "string", description: "Remote 0-db: tcp://host:port or unix:///path" },
    "meta-ns": { type: "string", description: "Namespace of the metadata", default: "qss-meta" },
    "data-ns": { type: "string", description: "Namespace of the file blocks", default: "qss-data" },
    json: { type: "boolean", description: "Print the whole report as JSON", default: false },
    repair: {
      type: "boolean",
      description: "Remove orphans and fix counts first (refused while mounted)",
      default: false,
    },
  },
  async run({ args }) {
    let exitCode = 0;
    try {
      const storage = await openStorage({
        ...(args.zdb === undefined
          ? { stateDir: args.state ?? defaultStateDir() }
          : { zdbUrl: args.zdb }),
        metaNamespace: args["meta-ns"],
        dataNamespace: args["data-ns"],
        namespacePassword: process.env.QSS_NS_PASSWORD,
      });
      try {
        if (args.repair) await repair(storage.meta, storage.data);
        const report = await fsck(storage.meta, storage.data);
        if (args.json) console.log(fsckReportJson(report));
        const counts = `${report.inodes} inodes, ${report.directories} directories, ${report.entries} entries, ${report.blocks} blocks`;
        for (const problem of report.problems.slice(0, problemsShownMax)) {
          console.log(`${problem.kind} inode ${problem.ino}: ${problem.detail}`);
        }
        if (report.problemCount > problemsShownMax) {
          console.log(`… and ${report.problemCount - problemsShownMax} more`);
        }
        const verdict = report.clean ? "consistent" : `${report.problemCount} problems`;
        console.log(`qss fsck: ${storage.description}: ${counts}: ${verdict}`);
        exitCode = report.clean ? 0 : 1;
      } finally {
        await storage.close();
      }
    } catch (error) {
      console.error(`qss fsck: ${isQssError(error) ? error.message : String(error)}`);
      exitCode = isQssError(error, "USAGE") ? 2 : 1;
    }
    process.exit(exitCode);
  },
});
