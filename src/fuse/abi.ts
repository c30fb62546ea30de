/**
 * Numbers of the kernel FUSE protocol, from `/usr/include/linux/fuse.h` (7.38 here; the kernel
 * may speak newer, and INIT settles on the lower minor). All structs are little-endian with
 * natural alignment; sizes below are `sizeof` of each struct.
 */

/** The protocol version qss implements: the structs in this file are the 7.38 ones. */
export const kernelMajorVersion = 7;
export const kernelMinorVersion = 38;
/** Minor versions below this have smaller structs we do not speak. */
export const kernelMinorVersionMin = 31;

export const rootNodeId = 1;

export const Opcode = {
  LOOKUP: 1,
  FORGET: 2,
  GETATTR: 3,
  SETATTR: 4,
  READLINK: 5,
  SYMLINK: 6,
  MKNOD: 8,
  MKDIR: 9,
  UNLINK: 10,
  RMDIR: 11,
  RENAME: 12,
  LINK: 13,
  OPEN: 14,
  READ: 15,
  WRITE: 16,
  STATFS: 17,
  RELEASE: 18,
  FSYNC: 20,
  SETXATTR: 21,
  GETXATTR: 22,
  LISTXATTR: 23,
  REMOVEXATTR: 24,
  FLUSH: 25,
  INIT: 26,
  OPENDIR: 27,
  READDIR: 28,
  RELEASEDIR: 29,
  FSYNCDIR: 30,
  GETLK: 31,
  SETLK: 32,
  SETLKW: 33,
  ACCESS: 34,
  CREATE: 35,
  INTERRUPT: 36,
  BMAP: 37,
  DESTROY: 38,
  IOCTL: 39,
  POLL: 40,
  NOTIFY_REPLY: 41,
  BATCH_FORGET: 42,
  FALLOCATE: 43,
  READDIRPLUS: 44,
  RENAME2: 45,
  LSEEK: 46,
  COPY_FILE_RANGE: 47,
  SETUPMAPPING: 48,
  REMOVEMAPPING: 49,
  SYNCFS: 50,
  TMPFILE: 51,
} as const;

/** INIT flags (fuse_init_in.flags / fuse_init_out.flags). */
export const InitFlag = {
  ASYNC_READ: 1 << 0,
  POSIX_LOCKS: 1 << 1,
  ATOMIC_O_TRUNC: 1 << 3,
  EXPORT_SUPPORT: 1 << 4,
  BIG_WRITES: 1 << 5,
  DONT_MASK: 1 << 6,
  FLOCK_LOCKS: 1 << 10,
  AUTO_INVAL_DATA: 1 << 12,
  DO_READDIRPLUS: 1 << 13,
  READDIRPLUS_AUTO: 1 << 14,
  ASYNC_DIO: 1 << 15,
  WRITEBACK_CACHE: 1 << 16,
  NO_OPEN_SUPPORT: 1 << 17,
  PARALLEL_DIROPS: 1 << 18,
  HANDLE_KILLPRIV: 1 << 19,
  POSIX_ACL: 1 << 20,
  ABORT_ERROR: 1 << 21,
  MAX_PAGES: 1 << 22,
  CACHE_SYMLINKS: 1 << 23,
  NO_OPENDIR_SUPPORT: 1 << 24,
  EXPLICIT_INVAL_DATA: 1 << 25,
  HANDLE_KILLPRIV_V2: 1 << 28,
  INIT_EXT: 1 << 30,
} as const;

/** fuse_setattr_in.valid bits. */
export const SetattrValid = {
  MODE: 1 << 0,
  UID: 1 << 1,
  GID: 1 << 2,
  SIZE: 1 << 3,
  ATIME: 1 << 4,
  MTIME: 1 << 5,
  FH: 1 << 6,
  ATIME_NOW: 1 << 7,
  MTIME_NOW: 1 << 8,
  LOCKOWNER: 1 << 9,
  CTIME: 1 << 10,
  KILL_SUIDGID: 1 << 11,
} as const;

/** fuse_open_out.open_flags. */
export const OpenOutFlag = {
  DIRECT_IO: 1 << 0,
  KEEP_CACHE: 1 << 1,
  NONSEEKABLE: 1 << 2,
  CACHE_DIR: 1 << 3,
} as const;

export const GetattrFlagFh = 1;
export const FsyncFlagFdatasync = 1;
/** The `unique` of an INTERRUPT request has this bit set. */
export const interruptUniqueBit = 1;

/** sizeof of the structs qss reads and writes. */
export const Size = {
  inHeader: 40,
  outHeader: 16,
  attr: 88,
  entryOut: 128,
  attrOut: 104,
  openOut: 16,
  writeOut: 8,
  statfsOut: 80,
  getxattrOut: 8,
  lseekOut: 8,
  initIn: 64,
  initOut: 64,
  forgetIn: 8,
  forgetOne: 16,
  batchForgetIn: 8,
  getattrIn: 16,
  setattrIn: 88,
  mknodIn: 16,
  mkdirIn: 8,
  renameIn: 8,
  rename2In: 16,
  linkIn: 8,
  openIn: 8,
  createIn: 16,
  releaseIn: 24,
  flushIn: 24,
  readIn: 40,
  writeIn: 40,
  fsyncIn: 16,
  setxattrIn: 8,
  setxattrInExt: 16,
  getxattrIn: 8,
  accessIn: 8,
  interruptIn: 8,
  fallocateIn: 32,
  lseekIn: 24,
  copyFileRangeIn: 56,
  pollIn: 24,
  pollOut: 8,
  dirent: 24,
  direntplus: 152,
} as const;

/** Largest write the kernel sends us, and largest read it asks (1 MiB with FUSE_MAX_PAGES). */
export const maxWriteBytesMax = 1024 * 1024;
export const maxPagesMax = 256;
/** A device read buffer: the largest write plus headroom for headers and names. */
export const requestBufferBytes = maxWriteBytesMax + 4096 * 2;
