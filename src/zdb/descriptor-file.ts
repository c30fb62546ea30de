/**
 * The `zdb-namespace` descriptor on disk: written durably (temporary file, fsync, rename,
 * fsync of the directory) so a crash leaves the old or the new one, never a torn one; read
 * without throwing, so one bad descriptor costs only its own namespace.
 */
import * as fs from "node:fs";
import { dirname } from "node:path";
import { decodeDescriptor, encodeDescriptor, type NamespaceDescriptor } from "./descriptor.ts";

/** Descriptors are name (≤ 255) + password (≤ 255) + 15 bytes; anything bigger is not one. */
export const descriptorFileBytesMax = 1024;

function fsyncDirectory(dir: string): void {
  const fd = fs.openSync(dir, "r");
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

export function writeDescriptorFile(path: string, descriptor: NamespaceDescriptor): void {
  const temporary = `${path}.tmp`;
  const fd = fs.openSync(temporary, "w", 0o600);
  try {
    fs.writeFileSync(fd, encodeDescriptor(descriptor));
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(temporary, path);
  fsyncDirectory(dirname(path));
}

export type DescriptorRead =
  | { descriptor: NamespaceDescriptor; problem: null }
  | { descriptor: null; problem: string };

/** The descriptor at `path`, or why there is none usable (missing, unreadable, corrupt). */
export function readDescriptorFile(path: string): DescriptorRead {
  try {
    const size = fs.statSync(path).size;
    if (size > descriptorFileBytesMax) {
      return { descriptor: null, problem: `descriptor ${path} is ${size} bytes, too big` };
    }
    return { descriptor: decodeDescriptor(fs.readFileSync(path), path), problem: null };
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === "ENOENT") return { descriptor: null, problem: `descriptor ${path} is missing` };
    return { descriptor: null, problem: error instanceof Error ? error.message : String(error) };
  }
}
