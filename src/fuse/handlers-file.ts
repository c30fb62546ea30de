/**
 * Handlers for open files: open, create, tmpfile, read, write, flush, release, fsync, fallocate,
 * lseek, copy_file_range, poll.
 */
import type { Call } from "./call.ts";
import type * as D from "./decode.ts";
import { killPrivileges, openKillSuidgid, writeKillSuidgid } from "./kill-privileges.ts";

const errno = (value: unknown): value is number => typeof value === "number";

export async function handleOpen(c: Call, a: D.OpenArgs): Promise<void> {
  const r = await c.ops.open?.(c.nodeId, a.flags, c);
  if (r === undefined) return c.error(38);
  if (typeof r !== "number" && (a.openFlags & openKillSuidgid) !== 0) {
    await killPrivileges(c.ops, c.nodeId, c);
  }
  return errno(r) ? c.error(r) : c.open(r);
}

export async function handleCreate(c: Call, a: D.CreateArgs): Promise<void> {
  const r = await c.ops.create?.(c.nodeId, a.name, a.mode, a.flags, a.umask, c);
  if (r === undefined) return c.error(38);
  return errno(r) ? c.error(r) : c.create(r);
}

/** O_TMPFILE: answered like CREATE; ENOSYS makes the kernel answer EOPNOTSUPP from then on. */
export async function handleTmpfile(c: Call, a: D.TmpfileArgs): Promise<void> {
  const r = await c.ops.tmpfile?.(c.nodeId, a.mode, a.flags, a.umask, c);
  if (r === undefined) return c.error(38);
  return errno(r) ? c.error(r) : c.create(r);
}

export async function handleRead(c: Call, a: D.ReadArgs): Promise<void> {
  const r = await c.ops.read?.(c.nodeId, a.fh, a.offset, a.size, c);
  if (r === undefined) return c.error(38);
  if (errno(r)) return c.error(r);
  return c.data(r.length > a.size ? r.subarray(0, a.size) : r);
}

export async function handleWrite(c: Call, a: D.WriteArgs): Promise<void> {
  // Privileges are dropped after the write and before the answer: no early answer then.
  if ((a.writeFlags & writeKillSuidgid) === 0) c.acceptWrite = (count) => c.size32(count);
  const r = await c.ops.write?.(c.nodeId, a.fh, a.offset, a.data, a.flags, c);
  if (r === undefined) return c.error(38);
  if (r > 0 && (a.writeFlags & writeKillSuidgid) !== 0) await killPrivileges(c.ops, c.nodeId, c);
  return r < 0 ? c.error(-r) : c.size32(r);
}

export async function handleFlush(c: Call, a: D.FlushArgs): Promise<void> {
  const r = await c.ops.flush?.(c.nodeId, a.fh, a.lockOwner, c);
  if (r === undefined) return c.error(38);
  return r === 0 ? c.ok() : c.error(r);
}

export async function handleRelease(c: Call, a: D.ReleaseArgs): Promise<void> {
  const r = (await c.ops.release?.(c.nodeId, a.fh, a.flags, c)) ?? 0;
  return r === 0 ? c.ok() : c.error(r);
}

export async function handleFsync(c: Call, a: D.FsyncArgs): Promise<void> {
  const r = (await c.ops.fsync?.(c.nodeId, a.fh, a.dataOnly, c)) ?? 38;
  return r === 0 ? c.ok() : c.error(r);
}

export async function handleFallocate(c: Call, a: D.FallocateArgs): Promise<void> {
  const r = await c.ops.fallocate?.(c.nodeId, a.fh, a.offset, a.length, a.mode, c);
  if (r === undefined) return c.error(38);
  return r === 0 ? c.ok() : c.error(r);
}

export async function handleLseek(c: Call, a: D.LseekArgs): Promise<void> {
  const r = await c.ops.lseek?.(c.nodeId, a.fh, a.offset, a.whence, c);
  if (r === undefined) return c.error(38);
  return r < 0 ? c.error(-r) : c.u64(r);
}

export async function handleCopyFileRange(c: Call, a: D.CopyFileRangeArgs): Promise<void> {
  const r = await c.ops.copyFileRange?.(
    c.nodeId,
    a.fhIn,
    a.offsetIn,
    a.nodeIdOut,
    a.fhOut,
    a.offsetOut,
    a.length,
    a.flags,
    c,
  );
  if (r === undefined) return c.error(38);
  return r < 0 ? c.error(-r) : c.size32(r);
}

const pollReadyMask = 0x1 | 0x4 | 0x40 | 0x100; // POLLIN | POLLOUT | POLLRDNORM | POLLWRNORM

/** Files of a filesystem are always ready; poll answers at once with what was asked. */
export function handlePoll(c: Call, a: D.PollArgs): void {
  c.size32(a.events & pollReadyMask);
}
