/**
 * `qss mount <path>`: mount the qss filesystem and serve it in the foreground until it is
 * unmounted (`qss umount <path>`, SIGINT/SIGTERM, or `umount`). By default the filesystem lives
 * in the embedded 0-db under the state directory; `--zdb` puts it on a remote 0-db instead;
 * `--memory` serves the in-memory filesystem (demos, measuring the protocol layer).
 */
import { defineCommand } from "citty";
import { isQssError, qssError } from "../base/errors.ts";
import { MemoryFileSystem } from "../fs/memory/memory-fs.ts";
import type { FileSystemOperations } from "../fs/operations.ts";
import { defaultStateDir, openZdbFs } from "../fs/zdbfs/open.ts";
import { formatRecovery } from "../fs/zdbfs/recover.ts";
import { serveFilesystem } from "../fuse/serve.ts";
import { startMemoryGuard } from "../platform/memory.ts";
import { parseInteger, parseSizeBytes } from "./parse.ts";

interface MountArgs {
  memory: boolean;
  state?: string;
  zdb?: string;
  "meta-ns": string;
  "data-ns": string;
  size: string;
  "flush-interval": string;
  "read-cache": string;
  writeback: string;
  "memory-soft-limit": string;
}

/** How often the memory guard looks at the resident set (see src/platform/memory.ts). */
const memoryGuardIntervalMs = 100;

interface OpenedFilesystem {
  fs: FileSystemOperations;
  description: string;
  close(): Promise<void>;
}

/** Which filesystem to serve: the 0-db one by default, the in-memory one with --memory. */
async function openFilesystem(args: MountArgs): Promise<OpenedFilesystem> {
  if (args.memory) {
    const fs = new MemoryFileSystem({ uid: process.getuid?.() ?? 0, gid: process.getgid?.() ?? 0 });
    return { fs, description: "in-memory filesystem (nothing is kept)", close: async () => {} };
  }
  const capacityBytes = parseSizeBytes(args.size, "--size");
  const flushIntervalMs = parseInteger(args["flush-interval"], "--flush-interval", 1, 3600) * 1000;
  const stateDir = args.state ?? defaultStateDir();
  const opened = await openZdbFs({
    ...(args.zdb === undefined ? { stateDir } : { zdbUrl: args.zdb }),
    metaNamespace: args["meta-ns"],
    dataNamespace: args["data-ns"],
    // Passwords come from the environment, never from argv (visible to every user in ps).
    namespacePassword: process.env.QSS_NS_PASSWORD,
    adminPassword: process.env.QSS_ZDB_ADMIN,
    fs: {
      capacityBytes,
      flushIntervalMs,
      readCacheBytesMax: parseSizeBytes(args["read-cache"], "--read-cache"),
      writebackBytesMax: parseSizeBytes(args.writeback, "--writeback"),
      onRecovery: (summary) =>
        console.error(`qss mount: ${formatRecovery(summary, "recovered after unclean shutdown")}`),
    },
  });
  return opened;
}

export const mountCommand = defineCommand({
  meta: { name: "mount", description: "Mount a qss filesystem at <path> and serve it" },
  args: {
    path: {
      type: "positional",
      description: "Mount point (an existing directory)",
      required: true,
    },
    memory: { type: "boolean", description: "Serve the in-memory filesystem", default: false },
    state: {
      type: "string",
      description:
        "State directory of the embedded 0-db (default /var/lib/qss as root, else ~/.local/share/qss)",
    },
    zdb: {
      type: "string",
      description:
        "Keep the filesystem on a remote 0-db: tcp://host:port or unix:///path (passwords: env QSS_NS_PASSWORD, QSS_ZDB_ADMIN)",
    },
    "meta-ns": { type: "string", description: "Namespace of the metadata", default: "qss-meta" },
    "data-ns": { type: "string", description: "Namespace of the file blocks", default: "qss-data" },
    size: { type: "string", description: "Capacity reported by statfs", default: "10G" },
    "flush-interval": {
      type: "string",
      description: "Seconds after which unsynced writes are made durable",
      default: "5",
    },
    "read-cache": {
      type: "string",
      description: "Clean file blocks kept in memory (read cache)",
      default: "32M",
    },
    writeback: {
      type: "string",
      description: "Dirty file data kept in memory before writes wait for a flush",
      default: "32M",
    },
    "memory-soft-limit": {
      type: "string",
      description: "Collect garbage while the resident set is above this (0: never force)",
      default: "256M",
    },
    "allow-other": {
      type: "boolean",
      description: "Let other users in (allow_other)",
      default: false,
    },
    "default-permissions": {
      type: "boolean",
      description: "Let the kernel check permissions from the mode bits",
      default: true,
    },
    "max-read": { type: "string", description: "Largest read request, in bytes (max_read)" },
    "read-only": { type: "boolean", description: "Mount read-only", default: false },
    "writeback-cache": {
      type: "boolean",
      description:
        "Kernel write-back cache (default: on for the 0-db filesystem, off for --memory; --no-writeback-cache: write-through)",
    },
    readers: {
      type: "string",
      description: "Device reader threads (--read-mode workers)",
      default: "4",
    },
    "clone-device": {
      type: "boolean",
      description: "--read-mode workers: one cloned /dev/fuse fd per reader",
      default: false,
    },
    "read-mode": { type: "string", description: "poll (main thread) or workers", default: "poll" },
    "spin-ms": {
      type: "string",
      description: "poll mode: busy-poll time after a request (0 = sleep at once)",
      default: "0.2",
    },
  },
  async run({ args }) {
    try {
      const readers = parseInteger(args.readers, "--readers", 1, 64);
      const readMode = args["read-mode"];
      if (readMode !== "poll" && readMode !== "workers") {
        throw qssError("USAGE", "--read-mode must be poll or workers");
      }
      const maxRead = args["max-read"] === undefined ? undefined : Number(args["max-read"]);
      if (maxRead !== undefined && !(Number.isInteger(maxRead) && maxRead >= 4096)) {
        throw qssError("USAGE", "--max-read must be an integer ≥ 4096");
      }
      const spinMs = Number(args["spin-ms"]);
      if (!(spinMs >= 0 && spinMs <= 10)) throw qssError("USAGE", "--spin-ms must be 0…10");
      const softLimitBytes = parseSizeBytes(args["memory-soft-limit"], "--memory-soft-limit");
      const opened = await openFilesystem(args);
      const served = await serveFilesystem(opened.fs, {
        mountPoint: args.path,
        allowOther: args["allow-other"],
        defaultPermissions: args["default-permissions"],
        readOnly: args["read-only"],
        maxReadBytes: maxRead,
        writebackCache: args["writeback-cache"] ?? !args.memory,
        readerCount: readers,
        readMode,
        spinMs,
        cloneDevice: args["clone-device"],
      }).catch(async (error) => {
        await opened.close();
        throw error;
      });
      const stop = (): void => {
        served.unmount().catch((error) => console.error(`qss mount: ${String(error)}`));
      };
      // Only the 0-db filesystem streams data through short-lived buffers; the in-memory one
      // holds its data live anyway.
      const guard =
        args.memory || softLimitBytes === 0
          ? null
          : startMemoryGuard({ softLimitBytes, intervalMs: memoryGuardIntervalMs });
      process.on("SIGINT", stop);
      process.on("SIGTERM", stop);
      console.log(`qss: mounted at ${served.mountPoint} (${opened.description})`);
      if (process.env.QSS_FUSE_COUNT_OPCODES === "1") served.session.opcodeCounts = [];
      const result = await served.closed;
      guard?.stop();
      const counts = served.session.opcodeCounts;
      if (counts !== undefined)
        console.error(JSON.stringify(Object.entries(counts).filter(([, n]) => n)));
      await opened.close();
      if (result.error !== undefined) throw qssError("IO", `FUSE session failed: ${result.error}`);
      console.log(`qss: unmounted ${served.mountPoint}`);
      process.exit(0);
    } catch (error) {
      console.error(`qss mount: ${isQssError(error) ? error.message : String(error)}`);
      process.exit(isQssError(error, "USAGE") ? 2 : 1);
    }
  },
});
