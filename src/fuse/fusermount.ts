/**
 * The unprivileged road: `fusermount3` (setuid root, Debian package fuse3) mounts for us and
 * sends the /dev/fuse fd back over a socketpair named by `_FUSE_COMMFD` (SCM_RIGHTS).
 */
import { spawn, spawnSync } from "node:child_process";
import { qssError } from "../base/errors.ts";
import { receiveFileDescriptor, sysClose, unixSocketPair } from "../platform/libc.ts";
import type { MountOptions } from "./mount.ts";

const fusermountBinary = "fusermount3";

function fusermountOptions(options: MountOptions): string {
  const list = ["nosuid", "nodev", options.readOnly ? "ro" : "rw"];
  list.push(`fsname=${options.fsName ?? "qss"}`, `subtype=${options.subtype ?? "qss"}`);
  if (options.defaultPermissions) list.push("default_permissions");
  if (options.allowOther) list.push("allow_other");
  if (options.maxReadBytes !== undefined) list.push(`max_read=${options.maxReadBytes}`);
  return list.join(",");
}

export function mountWithFusermount(mountPoint: string, options: MountOptions): number {
  const pair = unixSocketPair();
  if (typeof pair === "number") {
    throw qssError("IO", `Cannot mount ${mountPoint}: socketpair failed with errno ${-pair}`);
  }
  const [ours, theirs] = pair;
  try {
    const child = spawnSync(
      fusermountBinary,
      ["-o", fusermountOptions(options), "--", mountPoint],
      {
        stdio: ["ignore", "ignore", "pipe", theirs],
        env: { ...process.env, _FUSE_COMMFD: "3" },
      },
    );
    if (child.error !== undefined || child.status !== 0) {
      const why = child.error?.message ?? String(child.stderr ?? "").trim();
      throw qssError("IO", `Cannot mount ${mountPoint} with ${fusermountBinary}: ${why}`);
    }
    const fd = receiveFileDescriptor(ours);
    if (fd < 0) {
      throw qssError(
        "PROTOCOL",
        `Cannot mount ${mountPoint}: no fd from ${fusermountBinary} (errno ${-fd})`,
      );
    }
    return fd;
  } finally {
    sysClose(ours);
    sysClose(theirs);
  }
}

/** `fusermount3 -u`, lazily (`-z`) if the mount is busy. */
export function unmountWithFusermount(mountPoint: string, lazy = false): void {
  const args = lazy ? ["-u", "-z", "--", mountPoint] : ["-u", "--", mountPoint];
  const child = spawnSync(fusermountBinary, args, { stdio: ["ignore", "ignore", "pipe"] });
  if (child.status === 0) return;
  const why = String(child.stderr ?? "").trim();
  if (lazy || !/busy/i.test(why)) {
    throw qssError("IO", `Cannot unmount ${mountPoint} with ${fusermountBinary}: ${why}`);
  }
  unmountWithFusermount(mountPoint, true);
}

/**
 * The same from the process that serves the mount: the kernel sends DESTROY during the unmount
 * and waits for the reply, so this process must stay free to answer (no spawnSync).
 */
export function unmountWithFusermountAsync(mountPoint: string, lazy = false): Promise<void> {
  const args = lazy ? ["-u", "-z", "--", mountPoint] : ["-u", "--", mountPoint];
  return new Promise((resolve, reject) => {
    const child = spawn(fusermountBinary, args, { stdio: ["ignore", "ignore", "pipe"] });
    let why = "";
    child.stderr?.on("data", (chunk: Uint8Array) => {
      why += String(chunk);
    });
    child.on("error", reject);
    child.on("close", (status: number | null) => {
      if (status === 0) return resolve();
      if (!lazy && /busy/i.test(why)) {
        unmountWithFusermountAsync(mountPoint, true).then(resolve, reject);
        return;
      }
      reject(
        qssError("IO", `Cannot unmount ${mountPoint} with ${fusermountBinary}: ${why.trim()}`),
      );
    });
  });
}
