import { defineCommand } from "citty";
import { buildInfo, formatBuildInfo } from "../platform/build-info.ts";

export const versionCommand = defineCommand({
  meta: { name: "version", description: "Print the version and build details (also: --version)" },
  args: {
    json: { type: "boolean", description: "Print as JSON", default: false },
  },
  run({ args }) {
    const info = buildInfo();
    console.log(args.json ? JSON.stringify(info) : formatBuildInfo(info));
  },
});
