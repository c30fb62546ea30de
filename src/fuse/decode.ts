/**
 * Byte-exact decoding of kernel requests (fuse.h 7.38 layouts). Every decoder takes the
 * request payload (the bytes after `fuse_in_header`, extensions excluded) and returns the
 * decoded arguments, or `malformed` when the payload is too short or a name lacks its NUL.
 * Names and data are views into the payload: no copy.
 */
import { Size } from "./abi.ts";

/** Returned by a decoder for a payload it cannot decode; the request is answered EINVAL. */
export const malformed = Symbol("malformed");
export type Decoded<T> = T | typeof malformed;

export interface Payload {
  bytes: Uint8Array;
  view: DataView;
}

export function payloadOf(bytes: Uint8Array): Payload {
  return { bytes, view: new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength) };
}

export interface InHeader {
  len: number;
  opcode: number;
  unique: number;
  nodeId: number;
  uid: number;
  gid: number;
  pid: number;
  /** Length of the extensions after the payload, in bytes. */
  extensionsBytes: number;
}

/** Reads a u64 as a number (exact below 2^53; larger values saturate to the next double). */
export function u64(view: DataView, offset: number): number {
  return view.getUint32(offset, true) + view.getUint32(offset + 4, true) * 4294967296;
}

/** Decodes `fuse_in_header`; `malformed` if shorter than the header or inconsistent. */
export function decodeInHeader(view: DataView, readBytes: number): Decoded<InHeader> {
  if (readBytes < Size.inHeader || view.byteLength < Size.inHeader) return malformed;
  const len = view.getUint32(0, true);
  const extensionsBytes = view.getUint16(36, true) * 8;
  if (len !== readBytes || len < Size.inHeader + extensionsBytes) return malformed;
  return {
    len,
    opcode: view.getUint32(4, true),
    unique: u64(view, 8),
    nodeId: u64(view, 16),
    uid: view.getUint32(24, true),
    gid: view.getUint32(28, true),
    pid: view.getUint32(32, true),
    extensionsBytes,
  };
}

/** The NUL-terminated name starting at `start`, as a view, and where the next byte is. */
function nameAt(bytes: Uint8Array, start: number): { name: Uint8Array; next: number } | undefined {
  const end = bytes.indexOf(0, start);
  if (end < 0 || end === start) return undefined;
  return { name: bytes.subarray(start, end), next: end + 1 };
}

export interface NameArgs {
  name: Uint8Array;
}
/** LOOKUP, UNLINK, RMDIR, REMOVEXATTR: one name. */
export function decodeName(p: Payload): Decoded<NameArgs> {
  const found = nameAt(p.bytes, 0);
  return found === undefined ? malformed : { name: found.name };
}

export type NoArgs = Record<string, never>;
const none: NoArgs = {};
/** Requests without a body (READLINK, STATFS, DESTROY). */
export function decodeNothing(_p: Payload): Decoded<NoArgs> {
  return none;
}

export interface ForgetArgs {
  nlookup: number;
}
export function decodeForget(p: Payload): Decoded<ForgetArgs> {
  if (p.bytes.length < Size.forgetIn) return malformed;
  return { nlookup: u64(p.view, 0) };
}

export interface BatchForgetArgs {
  items: { nodeId: number; nlookup: number }[];
}
export function decodeBatchForget(p: Payload): Decoded<BatchForgetArgs> {
  if (p.bytes.length < Size.batchForgetIn) return malformed;
  const count = p.view.getUint32(0, true);
  if (p.bytes.length < Size.batchForgetIn + count * Size.forgetOne) return malformed;
  const items: { nodeId: number; nlookup: number }[] = [];
  for (let i = 0; i < count; i++) {
    const at = Size.batchForgetIn + i * Size.forgetOne;
    items.push({ nodeId: u64(p.view, at), nlookup: u64(p.view, at + 8) });
  }
  return { items };
}

export interface GetattrArgs {
  fh: number | undefined;
}
export function decodeGetattr(p: Payload): Decoded<GetattrArgs> {
  if (p.bytes.length < Size.getattrIn) return malformed;
  const flags = p.view.getUint32(0, true);
  return { fh: (flags & 1) !== 0 ? u64(p.view, 8) : undefined };
}

export interface SetattrArgs {
  valid: number;
  fh: number;
  size: number;
  atimeSec: number;
  mtimeSec: number;
  ctimeSec: number;
  atimeNsec: number;
  mtimeNsec: number;
  ctimeNsec: number;
  mode: number;
  uid: number;
  gid: number;
}
export function decodeSetattr(p: Payload): Decoded<SetattrArgs> {
  if (p.bytes.length < Size.setattrIn) return malformed;
  const v = p.view;
  return {
    valid: v.getUint32(0, true),
    fh: u64(v, 8),
    size: u64(v, 16),
    atimeSec: Number(v.getBigInt64(32, true)),
    mtimeSec: Number(v.getBigInt64(40, true)),
    ctimeSec: Number(v.getBigInt64(48, true)),
    atimeNsec: v.getUint32(56, true),
    mtimeNsec: v.getUint32(60, true),
    ctimeNsec: v.getUint32(64, true),
    mode: v.getUint32(68, true),
    uid: v.getUint32(76, true),
    gid: v.getUint32(80, true),
  };
}

export interface SymlinkArgs {
  name: Uint8Array;
  target: Uint8Array;
}
/** SYMLINK: the new name, then the target, both NUL-terminated. */
export function decodeSymlink(p: Payload): Decoded<SymlinkArgs> {
  const name = nameAt(p.bytes, 0);
  if (name === undefined) return malformed;
  const target = nameAt(p.bytes, name.next);
  if (target === undefined) return malformed;
  return { name: name.name, target: target.name };
}

export interface MknodArgs {
  mode: number;
  rdev: number;
  umask: number;
  name: Uint8Array;
}
export function decodeMknod(p: Payload): Decoded<MknodArgs> {
  if (p.bytes.length < Size.mknodIn) return malformed;
  const name = nameAt(p.bytes, Size.mknodIn);
  if (name === undefined) return malformed;
  return {
    mode: p.view.getUint32(0, true),
    rdev: p.view.getUint32(4, true),
    umask: p.view.getUint32(8, true),
    name: name.name,
  };
}

export interface MkdirArgs {
  mode: number;
  umask: number;
  name: Uint8Array;
}
export function decodeMkdir(p: Payload): Decoded<MkdirArgs> {
  if (p.bytes.length < Size.mkdirIn) return malformed;
  const name = nameAt(p.bytes, Size.mkdirIn);
  if (name === undefined) return malformed;
  return { mode: p.view.getUint32(0, true), umask: p.view.getUint32(4, true), name: name.name };
}

export interface RenameArgs {
  newDir: number;
  flags: number;
  name: Uint8Array;
  newName: Uint8Array;
}
function decodeRenameNames(
  p: Payload,
  start: number,
  newDir: number,
  flags: number,
): Decoded<RenameArgs> {
  const name = nameAt(p.bytes, start);
  if (name === undefined) return malformed;
  const newName = nameAt(p.bytes, name.next);
  if (newName === undefined) return malformed;
  return { newDir, flags, name: name.name, newName: newName.name };
}
export function decodeRename(p: Payload): Decoded<RenameArgs> {
  if (p.bytes.length < Size.renameIn) return malformed;
  return decodeRenameNames(p, Size.renameIn, u64(p.view, 0), 0);
}
export function decodeRename2(p: Payload): Decoded<RenameArgs> {
  if (p.bytes.length < Size.rename2In) return malformed;
  return decodeRenameNames(p, Size.rename2In, u64(p.view, 0), p.view.getUint32(8, true));
}

export interface LinkArgs {
  oldNodeId: number;
  name: Uint8Array;
}
export function decodeLink(p: Payload): Decoded<LinkArgs> {
  if (p.bytes.length < Size.linkIn) return malformed;
  const name = nameAt(p.bytes, Size.linkIn);
  if (name === undefined) return malformed;
  return { oldNodeId: u64(p.view, 0), name: name.name };
}

export interface OpenArgs {
  flags: number;
  /** FUSE_OPEN_* (FUSE_OPEN_KILL_SUIDGID). */
  openFlags: number;
}
export function decodeOpen(p: Payload): Decoded<OpenArgs> {
  if (p.bytes.length < Size.openIn) return malformed;
  return { flags: p.view.getUint32(0, true), openFlags: p.view.getUint32(4, true) };
}

export interface CreateArgs {
  flags: number;
  mode: number;
  umask: number;
  name: Uint8Array;
}
export function decodeCreate(p: Payload): Decoded<CreateArgs> {
  if (p.bytes.length < Size.createIn) return malformed;
  const name = nameAt(p.bytes, Size.createIn);
  if (name === undefined) return malformed;
  return {
    flags: p.view.getUint32(0, true),
    mode: p.view.getUint32(4, true),
    umask: p.view.getUint32(8, true),
    name: name.name,
  };
}

export interface TmpfileArgs {
  flags: number;
  mode: number;
  umask: number;
}
/**
 * TMPFILE: fuse_create_in, then the name of the kernel's placeholder dentry (Linux sends "/").
 * The file has no name, so those bytes are ignored: missing, empty or unterminated is fine.
 */
export function decodeTmpfile(p: Payload): Decoded<TmpfileArgs> {
  if (p.bytes.length < Size.createIn) return malformed;
  return {
    flags: p.view.getUint32(0, true),
    mode: p.view.getUint32(4, true),
    umask: p.view.getUint32(8, true),
  };
}

export interface ReleaseArgs {
  fh: number;
  flags: number;
  releaseFlags: number;
}
export function decodeRelease(p: Payload): Decoded<ReleaseArgs> {
  if (p.bytes.length < Size.releaseIn) return malformed;
  return {
    fh: u64(p.view, 0),
    flags: p.view.getUint32(8, true),
    releaseFlags: p.view.getUint32(12, true),
  };
}

export interface FlushArgs {
  fh: number;
  lockOwner: bigint;
}
export function decodeFlush(p: Payload): Decoded<FlushArgs> {
  if (p.bytes.length < Size.flushIn) return malformed;
  return { fh: u64(p.view, 0), lockOwner: p.view.getBigUint64(16, true) };
}

export interface ReadArgs {
  fh: number;
  offset: number;
  size: number;
  flags: number;
}
export function decodeRead(p: Payload): Decoded<ReadArgs> {
  if (p.bytes.length < Size.readIn) return malformed;
  return {
    fh: u64(p.view, 0),
    offset: u64(p.view, 8),
    size: p.view.getUint32(16, true),
    flags: p.view.getUint32(32, true),
  };
}

export interface WriteArgs {
  fh: number;
  offset: number;
  writeFlags: number;
  flags: number;
  data: Uint8Array;
}
/** WRITE: fuse_write_in then exactly `size` bytes of data. */
export function decodeWrite(p: Payload): Decoded<WriteArgs> {
  if (p.bytes.length < Size.writeIn) return malformed;
  const size = p.view.getUint32(16, true);
  if (p.bytes.length < Size.writeIn + size) return malformed;
  return {
    fh: u64(p.view, 0),
    offset: u64(p.view, 8),
    writeFlags: p.view.getUint32(20, true),
    flags: p.view.getUint32(32, true),
    data: p.bytes.subarray(Size.writeIn, Size.writeIn + size),
  };
}

export interface FsyncArgs {
  fh: number;
  dataOnly: boolean;
}
export function decodeFsync(p: Payload): Decoded<FsyncArgs> {
  if (p.bytes.length < Size.fsyncIn) return malformed;
  return { fh: u64(p.view, 0), dataOnly: (p.view.getUint32(8, true) & 1) !== 0 };
}

export interface SetxattrArgs {
  flags: number;
  name: Uint8Array;
  value: Uint8Array;
}
/** SETXATTR without FUSE_SETXATTR_EXT: size, flags, name NUL, value. */
export function decodeSetxattr(p: Payload): Decoded<SetxattrArgs> {
  if (p.bytes.length < Size.setxattrIn) return malformed;
  const size = p.view.getUint32(0, true);
  const name = nameAt(p.bytes, Size.setxattrIn);
  if (name === undefined || p.bytes.length < name.next + size) return malformed;
  return {
    flags: p.view.getUint32(4, true),
    name: name.name,
    value: p.bytes.subarray(name.next, name.next + size),
  };
}

export interface GetxattrArgs {
  size: number;
  name: Uint8Array;
}
export function decodeGetxattr(p: Payload): Decoded<GetxattrArgs> {
  if (p.bytes.length < Size.getxattrIn) return malformed;
  const name = nameAt(p.bytes, Size.getxattrIn);
  if (name === undefined) return malformed;
  return { size: p.view.getUint32(0, true), name: name.name };
}

export interface SizeArgs {
  size: number;
}
/** LISTXATTR: fuse_getxattr_in without a name. */
export function decodeListxattr(p: Payload): Decoded<SizeArgs> {
  if (p.bytes.length < Size.getxattrIn) return malformed;
  return { size: p.view.getUint32(0, true) };
}

export interface AccessArgs {
  mask: number;
}
export function decodeAccess(p: Payload): Decoded<AccessArgs> {
  if (p.bytes.length < Size.accessIn) return malformed;
  return { mask: p.view.getUint32(0, true) };
}

export interface InitArgs {
  major: number;
  minor: number;
  maxReadahead: number;
  flags: number;
  flags2: number;
}
/** INIT: old kernels send only 16 bytes (no flags2). */
export function decodeInit(p: Payload): Decoded<InitArgs> {
  if (p.bytes.length < 16) return malformed;
  const v = p.view;
  return {
    major: v.getUint32(0, true),
    minor: v.getUint32(4, true),
    maxReadahead: v.getUint32(8, true),
    flags: v.getUint32(12, true),
    flags2: p.bytes.length >= 20 ? v.getUint32(16, true) : 0,
  };
}

export interface InterruptArgs {
  unique: number;
}
export function decodeInterrupt(p: Payload): Decoded<InterruptArgs> {
  if (p.bytes.length < Size.interruptIn) return malformed;
  return { unique: u64(p.view, 0) };
}

export interface FallocateArgs {
  fh: number;
  offset: number;
  length: number;
  mode: number;
}
export function decodeFallocate(p: Payload): Decoded<FallocateArgs> {
  if (p.bytes.length < Size.fallocateIn) return malformed;
  return {
    fh: u64(p.view, 0),
    offset: u64(p.view, 8),
    length: u64(p.view, 16),
    mode: p.view.getUint32(24, true),
  };
}

export interface LseekArgs {
  fh: number;
  offset: number;
  whence: number;
}
export function decodeLseek(p: Payload): Decoded<LseekArgs> {
  if (p.bytes.length < Size.lseekIn) return malformed;
  return { fh: u64(p.view, 0), offset: u64(p.view, 8), whence: p.view.getUint32(16, true) };
}

export interface CopyFileRangeArgs {
  fhIn: number;
  offsetIn: number;
  nodeIdOut: number;
  fhOut: number;
  offsetOut: number;
  length: number;
  flags: number;
}
export function decodeCopyFileRange(p: Payload): Decoded<CopyFileRangeArgs> {
  if (p.bytes.length < Size.copyFileRangeIn) return malformed;
  const v = p.view;
  return {
    fhIn: u64(v, 0),
    offsetIn: u64(v, 8),
    nodeIdOut: u64(v, 16),
    fhOut: u64(v, 24),
    offsetOut: u64(v, 32),
    length: u64(v, 40),
    flags: u64(v, 48),
  };
}

export interface PollArgs {
  fh: number;
  kh: bigint;
  flags: number;
  events: number;
}
export function decodePoll(p: Payload): Decoded<PollArgs> {
  if (p.bytes.length < Size.pollIn) return malformed;
  return {
    fh: u64(p.view, 0),
    kh: p.view.getBigUint64(8, true),
    flags: p.view.getUint32(16, true),
    events: p.view.getUint32(20, true),
  };
}
