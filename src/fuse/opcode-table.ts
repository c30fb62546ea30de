/**
 * The dispatch table: opcode → name, payload decoder, handler, and whether a reply is sent.
 * An opcode missing here is answered ENOSYS. Requests the session itself owns (INIT,
 * INTERRUPT, FORGET, BATCH_FORGET, DESTROY) reach it through `SessionControl`.
 */
import { Opcode } from "./abi.ts";
import type { Call } from "./call.ts";
import * as D from "./decode.ts";
import * as Dir from "./handlers-dir.ts";
import * as File from "./handlers-file.ts";
import * as Node from "./handlers-node.ts";
import * as Xattr from "./handlers-xattr.ts";

/** What handlers of session-level requests may ask of the session. */
export interface SessionControl {
  init(c: Call, args: D.InitArgs): void;
  interrupt(c: Call, args: D.InterruptArgs): void;
  forget(items: { nodeId: number; nlookup: number }[]): void;
  destroy(c: Call): Promise<void>;
}

export interface OpcodeEntry {
  name: string;
  decode: (p: D.Payload) => unknown;
  handle: (c: Call, args: never, session: SessionControl) => Promise<void> | void;
  /** FORGET and BATCH_FORGET are never answered. */
  replies: boolean;
}

function op<A>(
  name: string,
  decode: (p: D.Payload) => D.Decoded<A>,
  handle: (c: Call, args: A, session: SessionControl) => Promise<void> | void,
  replies = true,
): OpcodeEntry {
  return { name, decode, handle: handle as OpcodeEntry["handle"], replies };
}

const entries: [number, OpcodeEntry][] = [
  [Opcode.LOOKUP, op("LOOKUP", D.decodeName, Node.handleLookup)], // name → entry
  [
    Opcode.FORGET, // drop lookups of one node
    op("FORGET", D.decodeForget, (c, a, s) => s.forget([{ nodeId: c.nodeId, ...a }]), false),
  ],
  [Opcode.GETATTR, op("GETATTR", D.decodeGetattr, Node.handleGetattr)], // stat
  [Opcode.SETATTR, op("SETATTR", D.decodeSetattr, Node.handleSetattr)], // chmod/chown/truncate/utimes
  [Opcode.READLINK, op("READLINK", D.decodeNothing, Node.handleReadlink)], // symlink target
  [Opcode.SYMLINK, op("SYMLINK", D.decodeSymlink, Node.handleSymlink)], // new symlink
  [Opcode.MKNOD, op("MKNOD", D.decodeMknod, Node.handleMknod)], // new node (file, fifo, dev)
  [Opcode.MKDIR, op("MKDIR", D.decodeMkdir, Node.handleMkdir)], // new directory
  [Opcode.UNLINK, op("UNLINK", D.decodeName, Node.handleUnlink)], // remove a name
  [Opcode.RMDIR, op("RMDIR", D.decodeName, Node.handleRmdir)], // remove an empty directory
  [Opcode.RENAME, op("RENAME", D.decodeRename, Node.handleRename)], // move a name
  [Opcode.LINK, op("LINK", D.decodeLink, Node.handleLink)], // hard link
  [Opcode.OPEN, op("OPEN", D.decodeOpen, File.handleOpen)], // open a file
  [Opcode.READ, op("READ", D.decodeRead, File.handleRead)], // read data
  [Opcode.WRITE, op("WRITE", D.decodeWrite, File.handleWrite)], // write data
  [Opcode.STATFS, op("STATFS", D.decodeNothing, Node.handleStatfs)], // df
  [Opcode.RELEASE, op("RELEASE", D.decodeRelease, File.handleRelease)], // last close of a file
  [Opcode.FSYNC, op("FSYNC", D.decodeFsync, File.handleFsync)], // fsync/fdatasync
  [Opcode.SETXATTR, op("SETXATTR", D.decodeSetxattr, Xattr.handleSetxattr)],
  [Opcode.GETXATTR, op("GETXATTR", D.decodeGetxattr, Xattr.handleGetxattr)],
  [Opcode.LISTXATTR, op("LISTXATTR", D.decodeListxattr, Xattr.handleListxattr)],
  [Opcode.REMOVEXATTR, op("REMOVEXATTR", D.decodeName, Xattr.handleRemovexattr)],
  [Opcode.FLUSH, op("FLUSH", D.decodeFlush, File.handleFlush)], // each close()
  [Opcode.INIT, op("INIT", D.decodeInit, (c, a, s) => s.init(c, a))], // negotiate
  [Opcode.OPENDIR, op("OPENDIR", D.decodeOpen, Dir.handleOpendir)],
  [Opcode.READDIR, op("READDIR", D.decodeRead, Dir.handleReaddir)],
  [Opcode.RELEASEDIR, op("RELEASEDIR", D.decodeRelease, Dir.handleReleasedir)],
  [Opcode.FSYNCDIR, op("FSYNCDIR", D.decodeFsync, Dir.handleFsyncdir)],
  [Opcode.SYNCFS, op("SYNCFS", D.decodeNothing, Node.handleSyncfs)], // syncfs(2) of the mount
  [Opcode.ACCESS, op("ACCESS", D.decodeAccess, Node.handleAccess)], // access(2) without default_permissions
  [Opcode.CREATE, op("CREATE", D.decodeCreate, File.handleCreate)], // open(O_CREAT)
  [
    Opcode.INTERRUPT, // abort a request in flight
    op("INTERRUPT", D.decodeInterrupt, (c, a, s) => s.interrupt(c, a), false),
  ],
  [Opcode.DESTROY, op("DESTROY", D.decodeNothing, (c, _a, s) => s.destroy(c))], // unmount
  [Opcode.POLL, op("POLL", D.decodePoll, File.handlePoll)], // always ready
  [
    Opcode.BATCH_FORGET, // drop lookups of many nodes
    op("BATCH_FORGET", D.decodeBatchForget, (_c, a, s) => s.forget(a.items), false),
  ],
  [Opcode.FALLOCATE, op("FALLOCATE", D.decodeFallocate, File.handleFallocate)],
  [Opcode.READDIRPLUS, op("READDIRPLUS", D.decodeRead, Dir.handleReaddirplus)],
  [Opcode.RENAME2, op("RENAME2", D.decodeRename2, Node.handleRename)], // NOREPLACE/EXCHANGE
  [Opcode.LSEEK, op("LSEEK", D.decodeLseek, File.handleLseek)], // SEEK_DATA/SEEK_HOLE
  [Opcode.COPY_FILE_RANGE, op("COPY_FILE_RANGE", D.decodeCopyFileRange, File.handleCopyFileRange)],
  [Opcode.TMPFILE, op("TMPFILE", D.decodeTmpfile, File.handleTmpfile)], // open(dir, O_TMPFILE)
];

/** Indexed by opcode; holes are answered ENOSYS. */
export const opcodeTable: (OpcodeEntry | undefined)[] = [];
for (const [opcode, entry] of entries) opcodeTable[opcode] = entry;

export function opcodeName(opcode: number): string {
  return opcodeTable[opcode]?.name ?? `opcode ${opcode}`;
}
