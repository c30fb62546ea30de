/**
 * The few libc calls qss needs that Node's API lacks: mount(2), umount2(2), ioctl(2) on
 * /dev/fuse, and socketpair/recvmsg for the fd that `fusermount3` passes back (SCM_RIGHTS).
 * Each returns 0 (or a result) on success and a negative errno on failure, never throws.
 *
 * @example
 * const rc = sysMount("qss", "/mnt/x", "fuse.qss", 0, "fd=5,rootmode=40000,user_id=0,group_id=0");
 */
import { dlopen, FFIType, ptr, read } from "bun:ffi";

const libc = dlopen("libc.so.6", {
  mount: {
    args: [FFIType.ptr, FFIType.ptr, FFIType.ptr, FFIType.u64, FFIType.ptr],
    returns: FFIType.i32,
  },
  umount2: { args: [FFIType.ptr, FFIType.i32], returns: FFIType.i32 },
  ioctl: { args: [FFIType.i32, FFIType.u64, FFIType.ptr], returns: FFIType.i32 },
  socketpair: { args: [FFIType.i32, FFIType.i32, FFIType.i32, FFIType.ptr], returns: FFIType.i32 },
  recvmsg: { args: [FFIType.i32, FFIType.ptr, FFIType.i32], returns: FFIType.i64 },
  close: { args: [FFIType.i32], returns: FFIType.i32 },
  read: { args: [FFIType.i32, FFIType.ptr, FFIType.u64], returns: FFIType.i64 },
  poll: { args: [FFIType.ptr, FFIType.u64, FFIType.i32], returns: FFIType.i32 },
  fcntl: { args: [FFIType.i32, FFIType.i32, FFIType.i32], returns: FFIType.i32 },
  sync_file_range: {
    args: [FFIType.i32, FFIType.i64, FFIType.i64, FFIType.u32],
    returns: FFIType.i32,
  },
  pipe2: { args: [FFIType.ptr, FFIType.i32], returns: FFIType.i32 },
  splice: {
    args: [FFIType.i32, FFIType.ptr, FFIType.i32, FFIType.ptr, FFIType.u64, FFIType.u32],
    returns: FFIType.i64,
  },
  write: { args: [FFIType.i32, FFIType.ptr, FFIType.u64], returns: FFIType.i64 },
  posix_fadvise: {
    args: [FFIType.i32, FFIType.i64, FFIType.i64, FFIType.i32],
    returns: FFIType.i32,
  },
  __errno_location: { args: [], returns: FFIType.ptr },
});

/** umount2 flags. */
export const UmountFlags = { FORCE: 1, DETACH: 2, EXPIRE: 4, NOFOLLOW: 8 } as const;
/** mount flags (MS_*). */
export const MountFlags = { RDONLY: 1, NOSUID: 2, NODEV: 4 } as const;

const encoder = new TextEncoder();

function cString(text: string): Uint8Array {
  return encoder.encode(`${text}\0`);
}

function errno(): number {
  const location = libc.symbols.__errno_location();
  return location === null ? 5 : read.i32(location, 0);
}

function result(rc: number | bigint): number {
  const value = Number(rc);
  return value < 0 ? -errno() : value;
}

/** mount(2). Returns 0 or -errno. */
export function sysMount(
  source: string,
  target: string,
  type: string,
  flags: number,
  data: string,
): number {
  const rc = libc.symbols.mount(
    cString(source),
    cString(target),
    cString(type),
    BigInt(flags),
    cString(data),
  );
  return result(rc);
}

/** umount2(2). Returns 0 or -errno. */
export function sysUmount2(target: string, flags: number): number {
  return result(libc.symbols.umount2(cString(target), flags));
}

/** FUSE_DEV_IOC_CLONE = _IOR(229, 0, uint32_t): attach `cloneFd` to the session of `fd`. */
const fuseDevIocClone = 0x8004e500n;

/** Makes a freshly opened /dev/fuse fd a clone of `sessionFd`. Returns 0 or -errno. */
export function fuseDeviceClone(cloneFd: number, sessionFd: number): number {
  const argument = new Uint32Array([sessionFd]);
  return result(libc.symbols.ioctl(cloneFd, fuseDevIocClone, argument));
}

/** A connected AF_UNIX SOCK_STREAM pair, or -errno. */
export function unixSocketPair(): [number, number] | number {
  const fds = new Int32Array(2);
  const rc = result(libc.symbols.socketpair(1, 1, 0, fds));
  if (rc < 0) return rc;
  return [fds[0] as number, fds[1] as number];
}

export function sysClose(fd: number): number {
  return result(libc.symbols.close(fd));
}

/**
 * Receives one message on `socketFd` and returns the first file descriptor carried in its
 * SCM_RIGHTS control data, or -errno (-EPROTO if none came).
 */
export function receiveFileDescriptor(socketFd: number): number {
  const data = new Uint8Array(8);
  const control = new Uint8Array(64);
  const iovec = new BigUint64Array(2);
  iovec[0] = BigInt(pointerOf(data));
  iovec[1] = BigInt(data.length);
  // struct msghdr (x86_64/aarch64): name, namelen(+pad), iov, iovlen, control, controllen, flags.
  const header = new BigUint64Array(7);
  header[2] = BigInt(pointerOf(iovec));
  header[3] = 1n;
  header[4] = BigInt(pointerOf(control));
  header[5] = BigInt(control.length);
  const received = result(libc.symbols.recvmsg(socketFd, header, 0));
  if (received < 0) return received;
  // struct cmsghdr: len (u64), level (i32), type (i32), data.
  const view = new DataView(control.buffer);
  const controlLength = Number(header[5]);
  if (controlLength < 20) return -71;
  const level = view.getInt32(8, true);
  const type = view.getInt32(12, true);
  if (level !== 1 || type !== 1) return -71; // SOL_SOCKET, SCM_RIGHTS
  return view.getInt32(16, true);
}

function pointerOf(array: Uint8Array | BigUint64Array): number {
  return ptr(array);
}

/** read(2) without exceptions: the byte count, or -errno (-EAGAIN on an empty O_NONBLOCK fd). */
export function sysRead(fd: number, buffer: Uint8Array): number {
  return result(libc.symbols.read(fd, buffer, BigInt(buffer.length)));
}

export const PollEvents = { IN: 0x1, ERR: 0x8, HUP: 0x10, NVAL: 0x20 } as const;

/** poll(2) on one fd: the revents, 0 on timeout, or -errno. */
export function pollOne(fd: number, events: number, timeoutMs: number): number {
  const pollfd = new Int32Array([fd, events]);
  const rc = result(libc.symbols.poll(pollfd, 1n, timeoutMs));
  if (rc <= 0) return rc;
  return (pollfd[1] as number) >>> 16;
}

const F_GETFL = 3;
const F_SETFL = 4;
const O_NONBLOCK = 0o4000;

/** Sets O_NONBLOCK on `fd`. Returns 0 or -errno. */
export function setNonBlocking(fd: number): number {
  const flags = result(libc.symbols.fcntl(fd, F_GETFL, 0));
  if (flags < 0) return flags;
  return result(libc.symbols.fcntl(fd, F_SETFL, flags | O_NONBLOCK));
}

/**
 * sync_file_range(2) with SYNC_FILE_RANGE_WRITE: start writing the dirty pages of the range
 * to the disk without waiting for them. Returns 0 or -errno.
 */
export function startWriteback(fd: number, offset: number, length: number): number {
  return result(libc.symbols.sync_file_range(fd, BigInt(offset), BigInt(length), 2));
}

/**
 * posix_fadvise(2) with POSIX_FADV_DONTNEED: drop the clean cached pages of the range (length
 * 0: to the end of the file). Dirty pages and pages under writeback stay. Returns 0 or -errno.
 */
export function dropCachedPages(fd: number, offset: number, length: number): number {
  // posix_fadvise returns the error number itself instead of setting errno.
  return -libc.symbols.posix_fadvise(fd, BigInt(offset), BigInt(length), 4);
}

const O_CLOEXEC = 0o2000000;
const F_SETPIPE_SZ = 1031;
/** splice(2) flags. */
export const SpliceFlags = { MOVE: 1, NONBLOCK: 2 } as const;

/** pipe2(2), non-blocking and close-on-exec: [read end, write end], or -errno. */
export function sysPipe(): [number, number] | number {
  const fds = new Int32Array(2);
  const rc = result(libc.symbols.pipe2(fds, O_NONBLOCK | O_CLOEXEC));
  return rc < 0 ? rc : [fds[0] as number, fds[1] as number];
}

/** F_SETPIPE_SZ: the capacity the kernel granted (bytes), or -errno. */
export function setPipeCapacity(fd: number, bytes: number): number {
  return result(libc.symbols.fcntl(fd, F_SETPIPE_SZ, bytes));
}

const spliceOffset = new BigInt64Array(1);

/**
 * splice(2) from `fdIn` (at `offsetIn`, or its own position when null, as for a pipe) to
 * `fdOut`: the bytes moved (0 at end of file), or -errno.
 */
export function sysSplice(
  fdIn: number,
  offsetIn: number | null,
  fdOut: number,
  length: number,
  flags: number,
): number {
  if (offsetIn !== null) spliceOffset[0] = BigInt(offsetIn);
  const offset = offsetIn === null ? null : spliceOffset;
  return result(libc.symbols.splice(fdIn, offset, fdOut, null, BigInt(length), flags));
}

/** write(2) without exceptions: the bytes written, or -errno. */
export function sysWrite(fd: number, bytes: Uint8Array): number {
  if (bytes.length === 0) return 0;
  return result(libc.symbols.write(fd, bytes, BigInt(bytes.length)));
}
