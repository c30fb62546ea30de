/**
 * The inode-based operations interface a filesystem implements to be served over FUSE (the
 * shape of libfuse's low-level API). `src/fuse/` decodes kernel requests into these calls and
 * encodes their results; a filesystem never sees wire bytes. It lives here, below the wire, so
 * that `src/fuse` imports it and nothing imports upward.
 *
 * Error convention: an operation resolves to its result, or to a positive errno number
 * (`Errno.ENOENT`, …) on failure. The three operations whose result is itself a number
 * (`write`, `lseek`, `copyFileRange`) resolve to that number (≥ 0) or to a NEGATIVE errno.
 * It does not throw; anything thrown is a bug and the server
 * answers EIO at exactly one place. Operations left undefined are answered ENOSYS.
 *
 * Names are bytes (Linux file names need not be UTF-8). Buffers passed in (names, write data,
 * xattr values) are views into the request buffer, valid only until the returned promise
 * settles: copy what you keep.
 */

/** errno values (Linux). */
export const Errno = {
  EPERM: 1,
  ENOENT: 2,
  EIO: 5,
  EBADF: 9,
  EAGAIN: 11,
  ENOMEM: 12,
  EACCES: 13,
  EBUSY: 16,
  EEXIST: 17,
  EXDEV: 18,
  ENOTDIR: 20,
  EISDIR: 21,
  EINVAL: 22,
  EFBIG: 27,
  ENOSPC: 28,
  ESPIPE: 29,
  EROFS: 30,
  EMLINK: 31,
  ERANGE: 34,
  ENAMETOOLONG: 36,
  ENOSYS: 38,
  ENOTEMPTY: 39,
  ELOOP: 40,
  ENODATA: 61,
  EOVERFLOW: 75,
  ENOTSUP: 95,
  EINTR: 4,
} as const;
export type ErrnoValue = (typeof Errno)[keyof typeof Errno];

/** A failed operation: a positive errno. */
export type Errnum = number;
export type Result<T> = Promise<T | Errnum>;

export interface Timespec {
  sec: number;
  nsec: number;
}

/** struct fuse_attr, with numbers (sizes and inode numbers stay below 2^53). */
export interface Attr {
  ino: number;
  size: number;
  blocks: number;
  atime: Timespec;
  mtime: Timespec;
  ctime: Timespec;
  /** File type and permission bits, as st_mode. */
  mode: number;
  nlink: number;
  uid: number;
  gid: number;
  rdev: number;
  blksize: number;
}

/** The reply to lookup/mkdir/create/…: the node and how long the kernel may cache it. */
export interface Entry {
  attr: Attr;
  generation: number;
  entryTimeoutMs: number;
  attrTimeoutMs: number;
}

export interface AttrReply {
  attr: Attr;
  attrTimeoutMs: number;
}

/** Who asks, and a signal that fires when the kernel interrupts the request. */
export interface RequestContext {
  uid: number;
  gid: number;
  pid: number;
  signal: AbortSignal;
  /**
   * Read requests only, when the server has it: memory that `read` may fill and return a view
   * of (no allocation per read). It stays untouched until this request is answered.
   */
  readRoom?: Uint8Array;
  /** Read requests only, when the server has it: see ReadSink. */
  readSink?: ReadSink;
  /**
   * Write requests only, when the server has it: answers the write now with `byteCount` while
   * `write` goes on storing it, so the writer's next request is on its way meanwhile. Call it
   * only once the bytes are the filesystem's to keep (any later request sees them; storing
   * them can no longer be refused, or a refusal is kept and reported by fsync). The data
   * stays valid until `write` settles.
   */
  acceptWrite?: (byteCount: number) => void;
}

/**
 * A read reply written piece by piece in one synchronous run, file ranges moved by the kernel
 * (splice) instead of being copied through user memory. Every call returns false once the
 * sink failed: nothing was sent then, and the filesystem answers the usual way. A `read` that
 * answered through the sink (`end()` returned true) resolves to anything: it is not sent.
 */
export interface ReadSink {
  /** A reply of exactly `byteCount` data bytes begins; false when it cannot take that many. */
  begin(byteCount: number): boolean;
  /** Appends a copy of `bytes`. */
  bytes(bytes: Uint8Array): boolean;
  /** Appends `length` bytes of the open file `fd` from `offset`. */
  file(fd: number, offset: number, length: number): boolean;
  /** Sends the reply; everything `begin` announced must have been appended. */
  end(): boolean;
  /** Drops what was appended: nothing is sent. */
  abort(): void;
}

export interface OpenReply {
  fh: number;
  directIo?: boolean;
  keepCache?: boolean;
  nonSeekable?: boolean;
  cacheDir?: boolean;
}

export interface CreateReply {
  entry: Entry;
  open: OpenReply;
}

/** setattr: only the fields present are changed. "now" means the server's current time. */
export interface SetattrChanges {
  mode?: number;
  uid?: number;
  gid?: number;
  size?: number;
  atime?: Timespec | "now";
  mtime?: Timespec | "now";
  ctime?: Timespec;
  fh?: number;
}

/** One directory entry for readdir; `offset` is the cookie that resumes after this entry. */
export interface DirEntry {
  ino: number;
  name: Uint8Array;
  /** File type bits (mode & S_IFMT), or 0 if unknown. */
  type: number;
  offset: number;
}

/** One entry for readdirplus: the plain entry plus a lookup reply (which counts as a lookup). */
export interface DirEntryPlus extends DirEntry {
  entry: Entry;
}

export interface StatfsReply {
  blocks: number;
  blocksFree: number;
  blocksAvailable: number;
  files: number;
  filesFree: number;
  blockSize: number;
  nameLengthMax: number;
  fragmentSize: number;
}

export const RenameFlags = { NOREPLACE: 1, EXCHANGE: 2, WHITEOUT: 4 } as const;
export const Whence = { SET: 0, CUR: 1, END: 2, DATA: 3, HOLE: 4 } as const;

export interface FileSystemOperations {
  init?(): Promise<void>;
  destroy?(): Promise<void>;
  /**
   * Called by the server when no request is waiting: do one short piece of background work
   * (write-back, readahead) and resolve true when more remains. No request is read while it
   * runs, so each piece must be short.
   */
  idle?(): Promise<boolean>;

  /**
   * An entry whose `attr.ino` is 0 means "no such name" and lets the kernel cache that absence
   * for `entryTimeoutMs` (no lookup is counted); ENOENT means the same, uncached.
   */
  lookup?(parent: number, name: Uint8Array, ctx: RequestContext): Result<Entry>;
  /** The kernel drops `nlookup` references to `ino`; no reply is sent. */
  forget?(ino: number, nlookup: number): void;
  getattr?(ino: number, fh: number | undefined, ctx: RequestContext): Result<AttrReply>;
  setattr?(ino: number, changes: SetattrChanges, ctx: RequestContext): Result<AttrReply>;
  readlink?(ino: number, ctx: RequestContext): Result<Uint8Array>;
  mknod?(
    parent: number,
    name: Uint8Array,
    mode: number,
    rdev: number,
    umask: number,
    ctx: RequestContext,
  ): Result<Entry>;
  mkdir?(
    parent: number,
    name: Uint8Array,
    mode: number,
    umask: number,
    ctx: RequestContext,
  ): Result<Entry>;
  unlink?(parent: number, name: Uint8Array, ctx: RequestContext): Result<0>;
  rmdir?(parent: number, name: Uint8Array, ctx: RequestContext): Result<0>;
  symlink?(
    parent: number,
    name: Uint8Array,
    target: Uint8Array,
    ctx: RequestContext,
  ): Result<Entry>;
  rename?(
    parent: number,
    name: Uint8Array,
    newParent: number,
    newName: Uint8Array,
    flags: number,
    ctx: RequestContext,
  ): Result<0>;
  link?(ino: number, newParent: number, newName: Uint8Array, ctx: RequestContext): Result<Entry>;

  open?(ino: number, flags: number, ctx: RequestContext): Result<OpenReply>;
  create?(
    parent: number,
    name: Uint8Array,
    mode: number,
    flags: number,
    umask: number,
    ctx: RequestContext,
  ): Result<CreateReply>;
  /**
   * open(dir, O_TMPFILE): a new regular file in directory `parent` with no name (nlink 0), open
   * through the returned handle; link() may give it a name (the kernel already refuses that when
   * `flags` has O_EXCL), and it is freed at its last release if it never got one. Left undefined:
   * the kernel answers EOPNOTSUPP to open(O_TMPFILE) from then on.
   */
  tmpfile?(
    parent: number,
    mode: number,
    flags: number,
    umask: number,
    ctx: RequestContext,
  ): Result<CreateReply>;
  /** Up to `size` bytes at `offset`; fewer only at end of file. */
  read?(
    ino: number,
    fh: number,
    offset: number,
    size: number,
    ctx: RequestContext,
  ): Result<Uint8Array>;
  /** Resolves to the number of bytes written, or to -errno. */
  write?(
    ino: number,
    fh: number,
    offset: number,
    data: Uint8Array,
    flags: number,
    ctx: RequestContext,
  ): Promise<number>;
  flush?(ino: number, fh: number, lockOwner: bigint, ctx: RequestContext): Result<0>;
  release?(ino: number, fh: number, flags: number, ctx: RequestContext): Result<0>;
  fsync?(ino: number, fh: number, dataOnly: boolean, ctx: RequestContext): Result<0>;
  fallocate?(
    ino: number,
    fh: number,
    offset: number,
    length: number,
    mode: number,
    ctx: RequestContext,
  ): Result<0>;
  /** SEEK_DATA / SEEK_HOLE (others are handled by the kernel): the offset, or -errno. */
  lseek?(
    ino: number,
    fh: number,
    offset: number,
    whence: number,
    ctx: RequestContext,
  ): Promise<number>;
  copyFileRange?(
    inIno: number,
    inFh: number,
    inOffset: number,
    outIno: number,
    outFh: number,
    outOffset: number,
    length: number,
    flags: number,
    ctx: RequestContext,
  ): Promise<number>;

  opendir?(ino: number, flags: number, ctx: RequestContext): Result<OpenReply>;
  /** Entries after cookie `offset` (0 = from the start) whose encoded size fits `size` bytes. */
  readdir?(
    ino: number,
    fh: number,
    offset: number,
    size: number,
    ctx: RequestContext,
  ): Result<DirEntry[]>;
  /**
   * Like readdir, each entry with its lookup reply. Every entry except "." and ".." counts as
   * one lookup; entries the wire layer cannot fit in `size` are given back with forget(ino, 1).
   */
  readdirplus?(
    ino: number,
    fh: number,
    offset: number,
    size: number,
    ctx: RequestContext,
  ): Result<DirEntryPlus[]>;
  releasedir?(ino: number, fh: number, ctx: RequestContext): Result<0>;
  fsyncdir?(ino: number, fh: number, dataOnly: boolean, ctx: RequestContext): Result<0>;

  /** syncfs(2): everything written so far becomes durable. */
  syncfs?(ctx: RequestContext): Result<0>;
  statfs?(ino: number, ctx: RequestContext): Result<StatfsReply>;
  access?(ino: number, mask: number, ctx: RequestContext): Result<0>;

  setxattr?(
    ino: number,
    name: Uint8Array,
    value: Uint8Array,
    flags: number,
    ctx: RequestContext,
  ): Result<0>;
  /** With size 0 the caller only wants the length: return the whole value, the wire layer sizes it. */
  getxattr?(ino: number, name: Uint8Array, ctx: RequestContext): Result<Uint8Array>;
  /** The names, each without its terminating NUL. */
  listxattr?(ino: number, ctx: RequestContext): Result<Uint8Array[]>;
  removexattr?(ino: number, name: Uint8Array, ctx: RequestContext): Result<0>;
}
