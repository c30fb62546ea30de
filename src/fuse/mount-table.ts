/**
 * What is mounted where: /proc/self/mountinfo, and whether a path is a dead FUSE mount
 * ("Transport endpoint is not connected": its server died without unmounting).
 */
import { readFileSync, statSync } from "node:fs";

export interface MountInfo {
  mountPoint: string;
  fsType: string;
  source: string;
}

/** mountinfo escapes space, tab, newline and backslash as \ooo. */
function unescapeOctal(text: string): string {
  return text.replace(/\\([0-7]{3})/g, (_m, octal: string) =>
    String.fromCharCode(Number.parseInt(octal, 8)),
  );
}

export function readMountTable(): MountInfo[] {
  const mounts: MountInfo[] = [];
  for (const line of readFileSync("/proc/self/mountinfo", "utf8").split("\n")) {
    const fields = line.split(" ");
    const separator = fields.indexOf("-");
    if (separator < 0 || fields.length < separator + 3) continue;
    mounts.push({
      mountPoint: unescapeOctal(fields[4] ?? ""),
      fsType: fields[separator + 1] ?? "",
      source: unescapeOctal(fields[separator + 2] ?? ""),
    });
  }
  return mounts;
}

export function findMount(mountPoint: string): MountInfo | undefined {
  const table = readMountTable();
  for (let i = table.length - 1; i >= 0; i--) {
    if (table[i]?.mountPoint === mountPoint) return table[i];
  }
  return undefined;
}

/** "live", "stale" (ENOTCONN), or "absent". */
export function mountState(mountPoint: string): "live" | "stale" | "absent" {
  try {
    statSync(mountPoint);
  } catch (error) {
    if ((error as { code?: string }).code === "ENOTCONN") return "stale";
    return findMount(mountPoint) === undefined ? "absent" : "live";
  }
  return findMount(mountPoint) === undefined ? "absent" : "live";
}
