/**
 * `qss mount [--memory] <path>`: mount a qss filesystem and serve it in the foreground until
 * it is unmounted (`qss umount <path>`, SIGINT/SIGTERM, or `umount`). `--memory` selects the
 * in-memory filesystem; the 0-db filesystem will become the default mode (see `openFilesystem`).
 */
import { defineCommand } from "citty";
import { isQssError, qssError } from "../base/errors.ts";
import { MemoryFileSystem } from "../fs/memory/memory-fs.ts";
import type { FileSystemOperations } from "../fs/operations.ts";
import { serveFilesystem } from "../fuse/serve.ts";

interface MountArgs {
  memory: boolean;
}

/** Which filesystem to serve. The 0-db mode plugs in here as the default. */
async function openFilesystem(args: MountArgs): Promise<FileSystemOperations> {
  if (args.memory) {
    return new MemoryFileSystem({ uid: process.getuid?.() ?? 0, gid: process.getgid?.() ?? 0 });
  }
  throw qssError("USAGE", "Cannot mount: only --memory is available in this build");
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
    "writeback-cache": { type: "boolean", description: "Kernel write-back cache", default: false },
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
      description: "poll mode: busy-poll time after a request",
      default: "0",
    },
  },
  async run({ args }) {
    try {
      const fs = await openFilesystem({ memory: args.memory });
      const readers = Number.parseInt(args.readers, 10);
      if (!(readers >= 1 && readers <= 64)) throw qssError("USAGE", "--readers must be 1…64");
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
      const served = await serveFilesystem(fs, {
        mountPoint: args.path,
        allowOther: args["allow-other"],
        defaultPermissions: args["default-permissions"],
        readOnly: args["read-only"],
        maxReadBytes: maxRead,
        writebackCache: args["writeback-cache"],
        readerCount: readers,
        readMode,
        spinMs,
        cloneDevice: args["clone-device"],
      });
      const stop = (): void => {
        served.unmount().catch((error) => console.error(`qss mount: ${String(error)}`));
      };
      process.on("SIGINT", stop);
      process.on("SIGTERM", stop);
      console.log(`qss: mounted at ${served.mountPoint}`);
      if (process.env.QSS_FUSE_COUNT_OPCODES === "1") served.session.opcodeCounts = [];
      const result = await served.closed;
      const counts = served.session.opcodeCounts;
      if (counts !== undefined)
        console.error(JSON.stringify(Object.entries(counts).filter(([, n]) => n)));
      if (result.error !== undefined) throw qssError("IO", `FUSE session failed: ${result.error}`);
      console.log(`qss: unmounted ${served.mountPoint}`);
      process.exit(0);
    } catch (error) {
      console.error(`qss mount: ${isQssError(error) ? error.message : String(error)}`);
      process.exit(isQssError(error, "USAGE") ? 2 : 1);
    }
  },
});
