/**
 * The RESP command table: one entry per command family file, each a thin handler over the
 * engine. Reply shapes and error strings follow the reference server (../shared/spec/0-db.md).
 */

import type { CommandHandler } from "./command-helpers.ts";
import { adminCommands } from "./commands-admin.ts";
import { datasetCommands } from "./commands-dataset.ts";
import { systemCommands } from "./commands-system.ts";

export const commandTable: Record<string, CommandHandler> = {
  ...systemCommands,
  ...datasetCommands,
  ...adminCommands,
};
