/**
 * Where `qss zdb` takes its admin password from, best first: `--admin-file <path>` (a 0600
 * file), the `QSS_ZDB_ADMIN` environment variable, `--admin <password>` (kept for drop-in
 * compatibility with the reference, but argv is visible to every local user in ps and
 * /proc/<pid>/cmdline, so it warns). None: the daemon uses or generates its 0600 secret file.
 */
import * as fs from "node:fs";
import { readSecretFile } from "../zdb/secret-file.ts";

export const adminEnvVariable = "QSS_ZDB_ADMIN";

export interface AdminSource {
  password: string | null;
  /** For the start-up line; never the password. */
  origin: string;
  warning: string | null;
}

export function adminFromArgs(
  admin: string | undefined,
  adminFile: string | undefined,
  env: Record<string, string | undefined>,
): AdminSource {
  const fromEnv = env[adminEnvVariable];
  const given = [admin, adminFile, fromEnv].filter((value) => value !== undefined).length;
  if (given > 1) {
    throw new Error(
      `give the admin password one way only: --admin-file, ${adminEnvVariable} or --admin`,
    );
  }
  if (adminFile !== undefined) {
    return {
      password: readSecretFile(adminFile, "admin password file"),
      origin: `admin password from ${adminFile}`,
      warning: null,
    };
  }
  if (fromEnv !== undefined && fromEnv !== "") {
    return { password: fromEnv, origin: `admin password from ${adminEnvVariable}`, warning: null };
  }
  if (admin !== undefined) {
    return {
      password: admin,
      origin: "admin password from --admin",
      warning: `--admin puts the password on the command line, visible to every local user (ps); use --admin-file or ${adminEnvVariable}`,
    };
  }
  return { password: null, origin: "", warning: null };
}

/** argv without `--admin <value>` / `--admin=<value>` (the value goes through the env). */
export function withoutAdminArgument(argv: string[]): { argv: string[]; admin: string | null } {
  const kept: string[] = [];
  let admin: string | null = null;
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i] as string;
    if (arg === "--admin" && i + 1 < argv.length) {
      admin = argv[i + 1] as string;
      i += 1;
    } else if (arg.startsWith("--admin=")) {
      admin = arg.slice("--admin=".length);
    } else {
      kept.push(arg);
    }
  }
  return { argv: kept, admin };
}

/** A log writer that creates the file 0600 and warns once if an existing one is readable. */
export function privateLogWriter(
  path: string,
  warn: (line: string) => void,
): (line: string) => void {
  try {
    const mode = fs.statSync(path).mode;
    if ((mode & 0o077) !== 0) {
      warn(`log file ${path} has mode ${(mode & 0o777).toString(8)}: other users can read it`);
    }
  } catch {
    // Not there yet: created 0600 by the first append.
  }
  return (line: string) =>
    fs.appendFileSync(path, `${new Date().toISOString()} ${line}\n`, { mode: 0o600 });
}
