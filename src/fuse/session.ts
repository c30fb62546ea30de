/**
 * One FUSE session on an open /dev/fuse fd: dispatches each request through the opcode table
 * to the filesystem, tracks requests in flight (for INTERRUPT, and so that each is answered
 * exactly once), and owns INIT, FORGET and DESTROY. It does not read the device itself: the
 * readers (`device-readers.ts`) hand it requests as views into their buffers.
 */
import type { FileSystemOperations } from "../fs/operations.ts";
import { Opcode, Size } from "./abi.ts";
import type { Call as CallType } from "./call.ts";
import { Call } from "./call.ts";
import * as D from "./decode.ts";
import { encodeInitOut } from "./encode.ts";
import { type NegotiateOptions, negotiateInit } from "./negotiate.ts";
import { opcodeTable, type SessionControl } from "./opcode-table.ts";
import { ReplyWriter } from "./reply-writer.ts";
import { SplicePipe } from "./splice-reply.ts";

const EIO = 5;
const ENOSYS = 38;
const EINVAL = 22;
const EAGAIN = 11;

export interface SessionOptions extends NegotiateOptions {
  /** Called for bugs and protocol oddities; never for ordinary errno results. */
  log: (message: string) => void;
}

export class FuseSession implements SessionControl {
  readonly writer: ReplyWriter;
  /** READ replies through a pipe (splice-reply.ts), for filesystems that ask for a sink. */
  readonly splice = new SplicePipe();
  readonly inflight = new Map<number, CallType>();
  initialized = false;
  /** Requests per opcode, when counting is on (`countOpcodes`). */
  opcodeCounts: number[] | undefined;
  destroyed = false;
  /** Counts per outcome, for tests and diagnostics. */
  readonly stats = { requests: 0, malformed: 0, unknown: 0, interrupts: 0, handlerErrors: 0 };

  constructor(
    readonly ops: FileSystemOperations,
    readonly options: SessionOptions,
  ) {
    this.writer = new ReplyWriter(options.log);
  }

  /**
   * Handles one request read from `fd`. `bytes` is valid until the returned promise settles
   * (or at once if nothing is returned); so is `slot`, the whole buffer `bytes` was read into
   * (starting with it): what the request does not fill is lent to a READ as its reply room.
   */
  handle(bytes: Uint8Array, fd: number, slot?: Uint8Array): Promise<void> | undefined {
    this.stats.requests++;
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const header = D.decodeInHeader(view, bytes.byteLength);
    if (header === D.malformed) return this.rejectMalformed(bytes, view, fd);
    const entry = opcodeTable[header.opcode];
    if (this.opcodeCounts !== undefined) {
      this.opcodeCounts[header.opcode] = (this.opcodeCounts[header.opcode] ?? 0) + 1;
    }
    const call = new Call(header, fd, this.writer, this.ops);
    if (header.opcode === Opcode.READ) {
      if (slot !== undefined) call.readRoom = roomAfter(bytes, slot);
      call.sinkFactory = () => this.splice.sink(fd, header.unique, () => call.markReplied());
    }
    if (entry === undefined) {
      this.stats.unknown++;
      call.error(ENOSYS);
      return undefined;
    }
    if (!this.initialized && header.opcode !== Opcode.INIT) {
      call.error(EIO);
      return undefined;
    }
    const payload = D.payloadOf(bytes.subarray(Size.inHeader, header.len - header.extensionsBytes));
    const args = entry.decode(payload);
    if (args === D.malformed) {
      this.stats.malformed++;
      if (entry.replies) call.error(EINVAL);
      return undefined;
    }
    if (entry.replies) this.inflight.set(call.unique, call);
    let pending: Promise<void> | void;
    try {
      pending = entry.handle(call, args as never, this);
    } catch (error) {
      this.handlerFailed(call, entry.name, error);
      return undefined;
    }
    if (pending === undefined) {
      this.finish(call, entry.replies, entry.name);
      return undefined;
    }
    return pending.then(
      () => this.finish(call, entry.replies, entry.name),
      (error) => this.handlerFailed(call, entry.name, error),
    );
  }

  private finish(call: CallType, replies: boolean, name: string): void {
    if (!replies) return;
    this.inflight.delete(call.unique);
    if (!call.replied) {
      this.options.log(`bug: ${name} handler returned without a reply; answered EIO`);
      call.error(EIO);
    }
  }

  /** The one place a thrown error becomes EIO. */
  private handlerFailed(call: CallType, name: string, error: unknown): void {
    this.stats.handlerErrors++;
    this.options.log(`bug: ${name} handler threw: ${String(error)}`);
    this.inflight.delete(call.unique);
    if (!call.replied) call.error(EIO);
  }

  /** A request whose header cannot be trusted: answer EIO if its unique can be read. */
  private rejectMalformed(bytes: Uint8Array, view: DataView, fd: number): undefined {
    this.stats.malformed++;
    this.options.log(`malformed request of ${bytes.byteLength} bytes`);
    if (bytes.byteLength >= 16) {
      const unique = D.u64(view, 8);
      this.writer.sendError(fd, unique, EIO);
    }
    return undefined;
  }

  async init(c: CallType, args: D.InitArgs): Promise<void> {
    const reply = negotiateInit(args, this.options);
    if (typeof reply === "number") return c.error(reply);
    await this.ops.init?.();
    this.initialized = true;
    c.encoded((_bytes, view, offset) => encodeInitOut(view, offset, reply));
  }

  /** Aborts the named request; if it is not here yet, asks the kernel to resend (EAGAIN). */
  interrupt(c: CallType, args: D.InterruptArgs): void {
    this.stats.interrupts++;
    const target = this.inflight.get(args.unique);
    if (target !== undefined) target.interrupt();
    else c.error(EAGAIN);
  }

  forget(items: { nodeId: number; nlookup: number }[]): void {
    const forget = this.ops.forget;
    if (forget === undefined) return;
    for (const item of items) forget.call(this.ops, item.nodeId, item.nlookup);
  }

  async destroy(c: CallType): Promise<void> {
    if (!this.destroyed) {
      this.destroyed = true;
      await this.ops.destroy?.();
    }
    c.ok();
  }
}

/** The part of `slot` after `bytes`, when `bytes` is its beginning. */
function roomAfter(bytes: Uint8Array, slot: Uint8Array): Uint8Array | undefined {
  if (bytes.buffer !== slot.buffer || bytes.byteOffset !== slot.byteOffset) return undefined;
  return slot.subarray(bytes.byteLength);
}
