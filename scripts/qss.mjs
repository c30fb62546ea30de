#!/usr/bin/env node
// `npx qss …` after `npm ci`: run the CLI from source on the Bun that npm installed.
// Node only launches; qss itself runs on Bun, exactly as in the compiled binary.
import { spawnSync } from "node:child_process";
import { createRequire } from "node:module";
import { constants } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const require = createRequire(import.meta.url);
const bunBinary = join(dirname(require.resolve("bun/package.json")), "bin", "bun.exe");
const cliEntry = join(dirname(fileURLToPath(import.meta.url)), "..", "src", "cli", "main.ts");
const result = spawnSync(bunBinary, [cliEntry, ...process.argv.slice(2)], { stdio: "inherit" });
if (result.error) {
  console.error(`qss: cannot start bun at ${bunBinary}: ${result.error.message}`);
  process.exit(1);
}
process.exit(result.status ?? 128 + (constants.signals[result.signal] ?? 0));
