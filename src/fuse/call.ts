/**
 * One request in flight: who asked (the `RequestContext` handed to the filesystem), its
 * interrupt signal (created only if someone looks), and the reply methods. A call is answered
 * at most once; later attempts are ignored and counted as a bug by the server.
 */
import type {
  AttrReply,
  CreateReply,
  DirEntry,
  DirEntryPlus,
  Entry,
  FileSystemOperations,
  OpenReply,
  ReadSink,
  RequestContext,
  StatfsReply,
} from "../fs/operations.ts";
import { Size } from "./abi.ts";
import type { InHeader } from "./decode.ts";
import {
  encodeAttrOut,
  encodeDirentplus,
  encodeDirents,
  encodeEntryOut,
  encodeOpenOut,
  encodeStatfsOut,
  setU64,
} from "./encode.ts";
import type { ReplyWriter } from "./reply-writer.ts";

const body = Size.outHeader;

export class Call implements RequestContext {
  readonly unique: number;
  readonly nodeId: number;
  readonly uid: number;
  readonly gid: number;
  readonly pid: number;
  replied = false;
  /** See RequestContext.readRoom. */
  readRoom: Uint8Array | undefined;
  /** See RequestContext.acceptWrite. */
  acceptWrite: ((byteCount: number) => void) | undefined;
  /** Makes the read sink on first use (most filesystems never ask for it). */
  sinkFactory: (() => ReadSink) | undefined;
  #sink: ReadSink | undefined;
  private controller: AbortController | undefined;

  constructor(
    header: InHeader,
    readonly fd: number,
    private readonly writer: ReplyWriter,
    readonly ops: FileSystemOperations,
  ) {
    this.unique = header.unique;
    this.nodeId = header.nodeId;
    this.uid = header.uid;
    this.gid = header.gid;
    this.pid = header.pid;
  }

  get signal(): AbortSignal {
    this.controller ??= new AbortController();
    return this.controller.signal;
  }

  /** FUSE_INTERRUPT named this call. */
  interrupt(): void {
    this.controller ??= new AbortController();
    this.controller.abort();
  }

  /** See RequestContext.readSink. */
  get readSink(): ReadSink | undefined {
    if (this.#sink === undefined && this.sinkFactory !== undefined) this.#sink = this.sinkFactory();
    return this.#sink;
  }

  /** The reply went out another way (a read sink). */
  markReplied(): void {
    this.replied = true;
  }

  private begin(): boolean {
    if (this.replied) return false;
    this.replied = true;
    return true;
  }

  error(errno: number): void {
    if (this.begin()) this.writer.sendError(this.fd, this.unique, errno);
  }

  /** Success without a body. */
  ok(): void {
    if (this.begin()) this.writer.send(this.fd, this.unique, 0);
  }

  entry(entry: Entry): void {
    if (!this.begin()) return;
    this.writer.send(this.fd, this.unique, encodeEntryOut(this.writer.view, body, entry));
  }

  attr(reply: AttrReply): void {
    if (!this.begin()) return;
    const bytes = encodeAttrOut(this.writer.view, body, reply.attr, reply.attrTimeoutMs);
    this.writer.send(this.fd, this.unique, bytes);
  }

  open(reply: OpenReply): void {
    if (!this.begin()) return;
    this.writer.send(this.fd, this.unique, encodeOpenOut(this.writer.view, body, reply));
  }

  create(reply: CreateReply): void {
    if (!this.begin()) return;
    const view = this.writer.view;
    const entryBytes = encodeEntryOut(view, body, reply.entry);
    const openBytes = encodeOpenOut(view, body + entryBytes, reply.open);
    this.writer.send(this.fd, this.unique, entryBytes + openBytes);
  }

  /** write_out / getxattr_out with size 0: a u32 and padding. */
  size32(value: number): void {
    if (!this.begin()) return;
    this.writer.view.setUint32(body, value, true);
    this.writer.view.setUint32(body + 4, 0, true);
    this.writer.send(this.fd, this.unique, 8);
  }

  u64(value: number): void {
    if (!this.begin()) return;
    setU64(this.writer.view, body, value);
    this.writer.send(this.fd, this.unique, 8);
  }

  statfs(reply: StatfsReply): void {
    if (!this.begin()) return;
    this.writer.send(this.fd, this.unique, encodeStatfsOut(this.writer.view, body, reply));
  }

  /** Raw bytes (read data, readlink target, xattr value), written without a copy. */
  data(bytes: Uint8Array): void {
    if (this.begin()) this.writer.sendData(this.fd, this.unique, bytes);
  }

  /** Encodes a body with `encode(bytes, view, offset)` into the scratch and sends it. */
  encoded(encode: (bytes: Uint8Array, view: DataView, offset: number) => number): void {
    if (!this.begin()) return;
    this.writer.send(this.fd, this.unique, encode(this.writer.bytes, this.writer.view, body));
  }

  dirents(entries: DirEntry[], sizeMax: number): void {
    if (!this.begin()) return;
    const w = this.writer;
    const { bytesUsed } = encodeDirents(w.bytes, w.view, body, entries, sizeMax);
    w.send(this.fd, this.unique, bytesUsed);
  }

  /** Returns how many entries were sent; the rest never reached the kernel. */
  direntplus(entries: DirEntryPlus[], sizeMax: number): number {
    if (!this.begin()) return 0;
    const w = this.writer;
    const { bytesUsed, count } = encodeDirentplus(w.bytes, w.view, body, entries, sizeMax);
    w.send(this.fd, this.unique, bytesUsed);
    return count;
  }
}
