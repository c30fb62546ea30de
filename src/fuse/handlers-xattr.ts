/**
 * Extended attributes: setxattr, getxattr, listxattr, removexattr. With a request size of 0
 * the caller only wants the length; a value longer than the size asked is ERANGE.
 */
import type { Call } from "./call.ts";
import type * as D from "./decode.ts";

const errno = (value: unknown): value is number => typeof value === "number";
const ERANGE = 34;

export async function handleSetxattr(c: Call, a: D.SetxattrArgs): Promise<void> {
  const r = await c.ops.setxattr?.(c.nodeId, a.name, a.value, a.flags, c);
  if (r === undefined) return c.error(38);
  return r === 0 ? c.ok() : c.error(r);
}

function sizedReply(c: Call, value: Uint8Array, sizeAsked: number): void {
  if (sizeAsked === 0) c.size32(value.length);
  else if (value.length > sizeAsked) c.error(ERANGE);
  else c.data(value);
}

export async function handleGetxattr(c: Call, a: D.GetxattrArgs): Promise<void> {
  const r = await c.ops.getxattr?.(c.nodeId, a.name, c);
  if (r === undefined) return c.error(38);
  return errno(r) ? c.error(r) : sizedReply(c, r, a.size);
}

/** The names, each followed by a NUL, in one buffer. */
export function joinXattrNames(names: Uint8Array[]): Uint8Array {
  let total = 0;
  for (const name of names) total += name.length + 1;
  const joined = new Uint8Array(total);
  let at = 0;
  for (const name of names) {
    joined.set(name, at);
    at += name.length + 1;
  }
  return joined;
}

export async function handleListxattr(c: Call, a: D.SizeArgs): Promise<void> {
  const r = await c.ops.listxattr?.(c.nodeId, c);
  if (r === undefined) return c.error(38);
  return errno(r) ? c.error(r) : sizedReply(c, joinXattrNames(r), a.size);
}

export async function handleRemovexattr(c: Call, a: D.NameArgs): Promise<void> {
  const r = await c.ops.removexattr?.(c.nodeId, a.name, c);
  if (r === undefined) return c.error(38);
  return r === 0 ? c.ok() : c.error(r);
}
