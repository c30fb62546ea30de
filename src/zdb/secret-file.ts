/**
 * Reading secret files (admin secret, password files): refused when group/world-accessible
 * or owned by another user, so a secret another local user could read is never used silently.
 */
import * as fs from "node:fs";
import { qssError } from "../base/errors.ts";

/** Secrets are short; a bigger file is not one. */
export const secretFileBytesMax = 4096;

/** The trimmed first line of `path`, after checking its mode and owner. */
export function readSecretFile(path: string, what: string): string {
  let fd: number;
  try {
    fd = fs.openSync(path, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw qssError("CONFIG_INVALID", `Cannot read ${what} ${path}: ${reason}`);
  }
  try {
    const stat = fs.fstatSync(fd);
    if (!stat.isFile()) throw qssError("CONFIG_INVALID", `Cannot use ${what} ${path}: not a file`);
    if ((stat.mode & 0o077) !== 0) {
      const mode = (stat.mode & 0o777).toString(8);
      throw qssError(
        "CONFIG_INVALID",
        `Refusing ${what} ${path}: mode ${mode} lets other users read it (chmod 600 ${path})`,
      );
    }
    const euid = process.geteuid?.();
    if (euid !== undefined && stat.uid !== euid) {
      throw qssError(
        "CONFIG_INVALID",
        `Refusing ${what} ${path}: owned by uid ${stat.uid}, not by this user (${euid})`,
      );
    }
    if (stat.size > secretFileBytesMax) {
      throw qssError(
        "CONFIG_INVALID",
        `Refusing ${what} ${path}: larger than ${secretFileBytesMax} bytes`,
      );
    }
    const text = fs.readFileSync(fd, "utf8");
    const secret = (text.split("\n")[0] ?? "").trim();
    if (secret === "") throw qssError("CONFIG_INVALID", `Cannot use ${what} ${path}: it is empty`);
    return secret;
  } finally {
    fs.closeSync(fd);
  }
}
