/** Named limits of the 0-db filesystem layout (see docs/formats/fs.md). */

/**
 * File data is cut in blocks of this size; one 0-db value per present block. 32 KiB measured
 * 3x faster than 128 KiB for 4 KiB random I/O (less read-modify-write) at equal sequential speed.
 */
export const blockSizeBytes = 32 * 1024;
/** Largest file: 16 TiB (2^29 blocks of 32 KiB; block indexes fit a u32). */
export const fileSizeBytesMax = 2 ** 44;
/** A name component (NAME_MAX). */
export const nameLengthBytesMax = 255;
/** A symlink target (PATH_MAX - 1). */
export const symlinkTargetBytesMax = 4095;
/** A directory page splits when it holds more entries than this. */
export const dirPageEntriesMax = 256;
/** Names of one directory sharing one 46-bit hash (the cookie encodes the rank below this). */
export const hashCollisionsMax = 64;
/** Blocks covered by one presence-bitmap page (4 KiB of bits = 1 GiB of file). */
export const bitmapPageBlocks = 32768;
/** xattr limits (Linux XATTR_NAME_MAX / XATTR_SIZE_MAX), and all xattrs of one inode together. */
export const xattrNameBytesMax = 255;
export const xattrValueBytesMax = 65536;
export const xattrTotalBytesMax = 1024 * 1024;
/** Inode numbers are reserved in the superblock this many at a time, before being handed out. */
export const inodeReserveCount = 1024;
/** 0-db limits the layout must respect. */
export const zdbKeyBytesMax = 255;
export const zdbValueBytesMax = 8 * 1024 * 1024;
/** Spare whole-block buffers kept for reuse by new dirty blocks (see block-cache.ts). */
export const spareBlockBytesMax = 16 * 1024 * 1024;
/**
 * Idle-time write-back (see FsCore.idle): whole dirty blocks are written while no request
 * waits once dirty data passes 1/`idleWritebackFraction` of the write-back bound, this many per
 * step (a step must stay short: no request is read while it runs).
 */
export const idleWritebackFraction = 4;
export const idleWriteBlocksMax = 8;
/** Readaheads waiting for idle time; older ones are dropped past this. */
export const pendingReadaheadsMax = 8;
/**
 * Writes at least this large store their whole blocks directly (see file-data.ts writeData):
 * streams skip the copy into the write-back cache. Smaller writes are cached, so a block
 * rewritten again and again is stored once per flush, not once per write.
 */
export const directWriteBytesMin = 128 * 1024;
/** Parallel requests one flush keeps in flight per namespace. */
export const flushConcurrencyMax = 16;
/** Bytes one copy_file_range step moves. */
export const copyChunkBytesMax = 1024 * 1024;
/** Largest read served at once (the kernel asks at most max_read, 1 MiB). */
export const readBytesMax = 16 * 1024 * 1024;
