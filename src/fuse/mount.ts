/**
 * Mounting: open /dev/fuse and mount(2) it (as root), or let `fusermount3` do it (as any
 * user; see `fusermount.ts`). A stale mount at the same path is cleared first; a live one is
 * refused. Unmounting tries a plain umount and falls back to a lazy one when busy.
 */
import { closeSync, openSync, realpathSync } from "node:fs";
import { qssError } from "../base/errors.ts";
import { MountFlags, sysMount, sysUmount2, UmountFlags } from "../platform/libc.ts";
import { mountWithFusermount, unmountWithFusermount } from "./fusermount.ts";
import { mountState } from "./mount-table.ts";

export interface MountOptions {
  mountPoint: string;
  fsName?: string;
  subtype?: string;
  allowOther?: boolean;
  defaultPermissions?: boolean;
  readOnly?: boolean;
  maxReadBytes?: number;
  /** Force the fusermount3 road even as root (tests). */
  useFusermount?: boolean;
}

export interface Mounted {
  fd: number;
  mountPoint: string;
  viaFusermount: boolean;
}

const EBUSY = 16;
const EINVAL = 22;

/** The `-o` style option list the kernel (or fusermount3) understands. */
export function kernelOptions(options: MountOptions, fd?: number): string[] {
  const list: string[] = [];
  if (fd !== undefined) {
    const uid = process.getuid?.() ?? 0;
    const gid = process.getgid?.() ?? 0;
    list.push(`fd=${fd}`, "rootmode=40000", `user_id=${uid}`, `group_id=${gid}`);
  }
  if (options.defaultPermissions) list.push("default_permissions");
  if (options.allowOther) list.push("allow_other");
  if (options.maxReadBytes !== undefined) list.push(`max_read=${options.maxReadBytes}`);
  return list;
}

/** Clears a dead mount at `mountPoint`; refuses a live one. */
export function clearStaleMount(mountPoint: string): "cleared" | "none" {
  const state = mountState(mountPoint);
  if (state === "live") {
    throw qssError("USAGE", `Cannot mount on ${mountPoint}: something is already mounted there`);
  }
  if (state === "absent") return "none";
  const rc = sysUmount2(mountPoint, UmountFlags.DETACH);
  if (rc < 0 && rc !== -EINVAL) {
    throw qssError("IO", `Cannot clear the stale mount at ${mountPoint}: errno ${-rc}`);
  }
  return "cleared";
}

export function mountFuse(options: MountOptions): Mounted {
  const mountPoint = resolveMountPoint(options.mountPoint);
  clearStaleMount(mountPoint);
  const root = (process.getuid?.() ?? 0) === 0;
  if (!root || options.useFusermount) {
    const fd = mountWithFusermount(mountPoint, options);
    return { fd, mountPoint, viaFusermount: true };
  }
  const fd = openSync("/dev/fuse", "r+");
  const subtype = options.subtype ?? "qss";
  let flags = MountFlags.NOSUID | MountFlags.NODEV;
  if (options.readOnly) flags |= MountFlags.RDONLY;
  const data = kernelOptions(options, fd).join(",");
  const rc = sysMount(options.fsName ?? "qss", mountPoint, `fuse.${subtype}`, flags, data);
  if (rc < 0) {
    closeSync(fd);
    throw qssError("IO", `Cannot mount FUSE on ${mountPoint}: mount(2) failed with errno ${-rc}`);
  }
  return { fd, mountPoint, viaFusermount: false };
}

function resolveMountPoint(path: string): string {
  try {
    return realpathSync(path);
  } catch (error) {
    if ((error as { code?: string }).code === "ENOTCONN") return path;
    throw qssError("USAGE", `Cannot mount on ${path}: ${(error as Error).message}`);
  }
}

/**
 * Unmounts from a process that does not serve the mount (the CLI). Busy → lazy unmount.
 * Returns how it went.
 */
export function unmountFuse(mountPoint: string): "unmounted" | "detached" {
  const root = (process.getuid?.() ?? 0) === 0;
  if (!root) {
    unmountWithFusermount(mountPoint);
    return "unmounted";
  }
  const rc = sysUmount2(mountPoint, 0);
  if (rc === 0) return "unmounted";
  if (rc === -EBUSY && sysUmount2(mountPoint, UmountFlags.DETACH) === 0) return "detached";
  throw qssError("IO", `Cannot unmount ${mountPoint}: umount2 failed with errno ${-rc}`);
}
