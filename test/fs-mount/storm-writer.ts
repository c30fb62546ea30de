/**
 * A write storm for the crash test: writes files into a directory, fsyncs each one, and only
 * then records its name and SHA-256 in a log outside the mount (itself fsync'ed). Every line of
 * the log is a promise the filesystem made. Some files are written without fsync as noise.
 * Runs until killed or until the filesystem fails under it.
 *
 *   bun storm-writer.ts <directory> <log file> <seed>
 */
import { createHash } from "node:crypto";
import { closeSync, fsyncSync, mkdirSync, openSync, writeSync } from "node:fs";
import { join } from "node:path";

const [directory, logPath, seedText] = process.argv.slice(2);
if (directory === undefined || logPath === undefined)
  throw new Error("usage: storm-writer <dir> <log> [seed]");
let seed = Number(seedText ?? 1) >>> 0 || 1;
function random(): number {
  seed ^= seed << 13;
  seed ^= seed >>> 17;
  seed ^= seed << 5;
  return (seed >>> 0) / 2 ** 32;
}

const log = openSync(logPath, "a");
const filesMax = 100_000;
for (let index = 0; index < filesMax; index++) {
  const subdirectory = join(directory, `d${index % 16}`);
  mkdirSync(subdirectory, { recursive: true });
  const sizeBytes = Math.floor(random() * (random() < 0.2 ? 3_000_000 : 40_000));
  const data = new Uint8Array(sizeBytes);
  for (let at = 0; at < sizeBytes; at += 4096) data[at] = Math.floor(random() * 256);
  data.fill(index & 0xff, 0, Math.min(64, sizeBytes));
  const name = join(subdirectory, `f${index}`);
  const durable = random() < 0.7;
  const fd = openSync(name, "w");
  writeSync(fd, data);
  if (durable) fsyncSync(fd);
  closeSync(fd);
  if (durable) {
    writeSync(log, `${name} ${createHash("sha256").update(data).digest("hex")}\n`);
    fsyncSync(log);
  }
}
