#!/usr/bin/env bun
/**
 * The `qss` command. Each subcommand lives in its own file and stays thin: parse, validate,
 * call a library, print. Only commands that really work are listed here.
 */
import { defineCommand, runMain } from "citty";
import { buildInfo, formatBuildInfo } from "../platform/build-info.ts";
import { fsckCommand } from "./fsck.ts";
import { keygenCommand } from "./keygen.ts";
import { mountCommand } from "./mount.ts";
import { selftestCommand } from "./selftest.ts";
import { syncCommand } from "./sync.ts";
import { umountCommand } from "./umount.ts";
import { versionCommand } from "./version.ts";
import { zdbCommand } from "./zdb.ts";

const info = buildInfo();

export const main = defineCommand({
  meta: {
    name: "qss",
    version: info.version,
    description: "QSS Quantum Storage: quantum-safe, erasure-coded storage behind a FUSE mount",
  },
  subCommands: {
    version: versionCommand,
    mount: mountCommand,
    umount: umountCommand,
    zdb: zdbCommand,
    keygen: keygenCommand,
    fsck: fsckCommand,
    sync: syncCommand,
    selftest: selftestCommand,
  },
});

if (import.meta.main) {
  // `--version` prints the whole build line (commit, target), not only the number citty shows.
  const argv = process.argv.slice(2);
  if (argv.length === 1 && (argv[0] === "--version" || argv[0] === "-v")) {
    console.log(formatBuildInfo(info));
  } else {
    await runMain(main);
  }
}
