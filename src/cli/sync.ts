/**
 * `qss sync <path>…`: make everything written to a qss mount durable, as syncfs(2) would.
 * Linux forwards syncfs only to virtiofs, never to a /dev/fuse server, so `sync -f` cannot
 * reach qss; an fsync can, and qss treats every fsync as a barrier for the whole filesystem.
 */
import { closeSync, fsyncSync, openSync } from "node:fs";
import { defineCommand } from "citty";

export const syncCommand = defineCommand({
  meta: {
    name: "sync",
    description: "Make everything written to a qss mount durable (what syncfs would do)",
  },
  args: {
    path: {
      type: "positional",
      description: "Any path on the mount (e.g. the mount point)",
      required: true,
    },
  },
  run({ args }) {
    try {
      const fd = openSync(args.path, "r");
      try {
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
    } catch (error) {
      console.error(`qss sync: cannot sync ${args.path}: ${(error as Error).message}`);
      process.exit(1);
    }
  },
});
