/** Handlers for open directories: opendir, readdir, readdirplus, releasedir, fsyncdir. */
import { requestBufferBytes, Size } from "./abi.ts";
import type { Call } from "./call.ts";
import type * as D from "./decode.ts";

const errno = (value: unknown): value is number => typeof value === "number";
const replyBodyBytesMax = requestBufferBytes - Size.outHeader;

export async function handleOpendir(c: Call, a: D.OpenArgs): Promise<void> {
  const r = await c.ops.opendir?.(c.nodeId, a.flags, c);
  if (r === undefined) return c.open({ fh: 0 });
  return errno(r) ? c.error(r) : c.open(r);
}

export async function handleReaddir(c: Call, a: D.ReadArgs): Promise<void> {
  const r = await c.ops.readdir?.(c.nodeId, a.fh, a.offset, a.size, c);
  if (r === undefined) return c.error(38);
  return errno(r) ? c.error(r) : c.dirents(r, Math.min(a.size, replyBodyBytesMax));
}

function isDotOrDotDot(name: Uint8Array): boolean {
  return name[0] === 0x2e && (name.length === 1 || (name.length === 2 && name[1] === 0x2e));
}

/**
 * Each entry but "." and ".." counted as a lookup in the filesystem; entries that did not fit
 * in the reply never reached the kernel, so their lookup is forgotten here.
 */
export async function handleReaddirplus(c: Call, a: D.ReadArgs): Promise<void> {
  const r = await c.ops.readdirplus?.(c.nodeId, a.fh, a.offset, a.size, c);
  if (r === undefined) return c.error(38);
  if (errno(r)) return c.error(r);
  const sent = c.direntplus(r, Math.min(a.size, replyBodyBytesMax));
  for (let i = sent; i < r.length; i++) {
    const entry = r[i];
    if (entry !== undefined && entry.entry.attr.ino !== 0 && !isDotOrDotDot(entry.name)) {
      c.ops.forget?.(entry.entry.attr.ino, 1);
    }
  }
}

export async function handleReleasedir(c: Call, a: D.ReleaseArgs): Promise<void> {
  const r = (await c.ops.releasedir?.(c.nodeId, a.fh, c)) ?? 0;
  return r === 0 ? c.ok() : c.error(r);
}

export async function handleFsyncdir(c: Call, a: D.FsyncArgs): Promise<void> {
  const r = (await c.ops.fsyncdir?.(c.nodeId, a.fh, a.dataOnly, c)) ?? 38;
  return r === 0 ? c.ok() : c.error(r);
}
