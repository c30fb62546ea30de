/**
 * Syscalls the conformance suite needs that node:fs lacks (lseek SEEK_DATA/SEEK_HOLE,
 * renameat2, xattrs, open with raw flags such as O_TMPFILE, linkat with flags), through
 * bun:ffi. Each returns the result or -errno. Only call them on a mount served by ANOTHER
 * process: they block the calling thread.
 */
import { dlopen, FFIType, read } from "bun:ffi";

const libc = dlopen("libc.so.6", {
  lseek: { args: [FFIType.i32, FFIType.i64, FFIType.i32], returns: FFIType.i64 },
  renameat2: {
    args: [FFIType.i32, FFIType.ptr, FFIType.i32, FFIType.ptr, FFIType.u32],
    returns: FFIType.i32,
  },
  setxattr: {
    args: [FFIType.ptr, FFIType.ptr, FFIType.ptr, FFIType.u64, FFIType.i32],
    returns: FFIType.i32,
  },
  getxattr: { args: [FFIType.ptr, FFIType.ptr, FFIType.ptr, FFIType.u64], returns: FFIType.i64 },
  listxattr: { args: [FFIType.ptr, FFIType.ptr, FFIType.u64], returns: FFIType.i64 },
  removexattr: { args: [FFIType.ptr, FFIType.ptr], returns: FFIType.i32 },
  open: { args: [FFIType.ptr, FFIType.i32, FFIType.u32], returns: FFIType.i32 },
  linkat: {
    args: [FFIType.i32, FFIType.ptr, FFIType.i32, FFIType.ptr, FFIType.i32],
    returns: FFIType.i32,
  },
  write: { args: [FFIType.i32, FFIType.ptr, FFIType.u64], returns: FFIType.i64 },
  close: { args: [FFIType.i32], returns: FFIType.i32 },
  __errno_location: { args: [], returns: FFIType.ptr },
});

const AT_FDCWD = -100;
export const O_RDWR = 0o2;
export const O_EXCL = 0o200;
/** __O_TMPFILE | O_DIRECTORY, whose value differs between architectures. */
export const O_TMPFILE = process.arch === "arm64" ? 0o20040000 : 0o20200000;
export const AT_SYMLINK_FOLLOW = 0x400;
export const AT_EMPTY_PATH = 0x1000;
export const SEEK_DATA = 3;
export const SEEK_HOLE = 4;
export const RENAME_NOREPLACE = 1;
export const RENAME_EXCHANGE = 2;
export const XATTR_CREATE = 1;
export const XATTR_REPLACE = 2;

const encoder = new TextEncoder();
const c = (text: string): Uint8Array => encoder.encode(`${text}\0`);

function check(rc: number | bigint): number {
  const value = Number(rc);
  if (value >= 0) return value;
  const at = libc.symbols.__errno_location();
  return at === null ? -5 : -read.i32(at, 0);
}

export function lseek(fd: number, offset: number, whence: number): number {
  return check(libc.symbols.lseek(fd, BigInt(offset), whence));
}

export function renameat2(from: string, to: string, flags: number): number {
  return check(libc.symbols.renameat2(AT_FDCWD, c(from), AT_FDCWD, c(to), flags));
}

export function setxattr(path: string, name: string, value: Uint8Array, flags = 0): number {
  const buffer = value.length === 0 ? new Uint8Array(1) : value;
  return check(libc.symbols.setxattr(c(path), c(name), buffer, BigInt(value.length), flags));
}

export function getxattr(path: string, name: string): Uint8Array | number {
  const size = check(libc.symbols.getxattr(c(path), c(name), null, 0n));
  if (size < 0) return size;
  const buffer = new Uint8Array(Math.max(size, 1));
  const got = check(libc.symbols.getxattr(c(path), c(name), buffer, BigInt(size)));
  return got < 0 ? got : buffer.subarray(0, got);
}

/** getxattr into a buffer of exactly `size` bytes (ERANGE checks). */
export function getxattrSized(path: string, name: string, size: number): number {
  const buffer = new Uint8Array(Math.max(size, 1));
  return check(libc.symbols.getxattr(c(path), c(name), buffer, BigInt(size)));
}

export function listxattr(path: string): string[] | number {
  const size = check(libc.symbols.listxattr(c(path), null, 0n));
  if (size <= 0) return size < 0 ? size : [];
  const buffer = new Uint8Array(size);
  const got = check(libc.symbols.listxattr(c(path), buffer, BigInt(size)));
  if (got < 0) return got;
  return new TextDecoder()
    .decode(buffer.subarray(0, got))
    .split("\0")
    .filter((n) => n !== "");
}

export function removexattr(path: string, name: string): number {
  return check(libc.symbols.removexattr(c(path), c(name)));
}

/** open(2) with raw flags (O_TMPFILE): a file descriptor, or -errno. */
export function open(path: string, flags: number, mode = 0o600): number {
  return check(libc.symbols.open(c(path), flags, mode));
}

/** linkat(AT_FDCWD, from, AT_FDCWD, to, flags). */
export function linkat(from: string, to: string, flags: number): number {
  return check(libc.symbols.linkat(AT_FDCWD, c(from), AT_FDCWD, c(to), flags));
}

/** linkat(fd, "", AT_FDCWD, to, AT_EMPTY_PATH): names what `fd` is open on (needs root). */
export function linkatEmptyPath(fd: number, to: string): number {
  return check(libc.symbols.linkat(fd, c(""), AT_FDCWD, c(to), AT_EMPTY_PATH));
}

/** write(2) at the descriptor's offset: bytes written, or -errno. */
export function write(fd: number, data: Uint8Array): number {
  const buffer = data.length === 0 ? new Uint8Array(1) : data;
  return check(libc.symbols.write(fd, buffer, BigInt(data.length)));
}

export function close(fd: number): number {
  return check(libc.symbols.close(fd));
}
