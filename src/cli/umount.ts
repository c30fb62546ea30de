/** `qss umount <path>`: unmount a qss mount; a busy one is detached (lazy unmount). */
import { defineCommand } from "citty";
import { isQssError } from "../base/errors.ts";
import { unmountFuse } from "../fuse/mount.ts";

export const umountCommand = defineCommand({
  meta: { name: "umount", description: "Unmount a qss filesystem" },
  args: {
    path: { type: "positional", description: "Mount point", required: true },
  },
  run({ args }) {
    try {
      const how = unmountFuse(args.path);
      if (how === "detached") console.log(`qss: ${args.path} was busy: detached (lazy unmount)`);
    } catch (error) {
      console.error(`qss umount: ${isQssError(error) ? error.message : String(error)}`);
      process.exit(1);
    }
  },
});
