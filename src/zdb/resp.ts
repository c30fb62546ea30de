/**
 * Incremental, bounded RESP2 request parser (arrays of bulk strings only) and reply encoders.
 * A bulk that arrives whole in one chunk is returned as a view of that chunk (no copy); one
 * split across chunks is copied once into a buffer of its announced size.
 */
import { requestArgumentsMax, valueBytesMax } from "./limits.ts";

/** Lines (`*<n>` / `$<n>`) longer than this are malformed. */
const headerLineBytesMax = 32;
/**
 * All bulks of one request together (bounds a client's memory: the largest legit request is a
 * SET of an 8 MiB value, or an MGET of 1023 keys of 255 bytes).
 */
export const requestBytesMax = valueBytesMax + 1024 * 1024;

export const malformedArray = "Malformed request, array expected";
export const malformedBulk = "Malformed request, bulk string expected";

export type ParsedItem =
  | { kind: "request"; args: Uint8Array[] }
  /** `fatal`: the stream cannot be resynchronised; reply and close the connection. */
  | { kind: "error"; message: string; fatal: boolean };

type State = "array" | "bulkHeader" | "bulkBody" | "bulkEnd";

export class RespParser {
  private state: State = "array";
  private line: number[] = [];
  private argc = 0;
  private args: Uint8Array[] = [];
  private bulk: Buffer | null = null;
  private bulkFilled = 0;
  private endSeen = 0;
  private requestBytes = 0;
  /** After a fatal error nothing more is parsed. */
  private dead = false;

  constructor(
    private readonly argumentsMax = requestArgumentsMax,
    private readonly argumentBytesMax = valueBytesMax,
  ) {}

  /** Bytes held for a partial request (for per-client memory accounting). */
  get pendingBytes(): number {
    return this.bulkFilled + this.args.reduce((sum, arg) => sum + arg.length, 0);
  }

  feed(chunk: Uint8Array, out: ParsedItem[]): void {
    let at = 0;
    while (at < chunk.length && !this.dead) {
      if (this.state === "array" || this.state === "bulkHeader")
        at = this.readHeader(chunk, at, out);
      else if (this.state === "bulkBody") at = this.readBody(chunk, at);
      else at = this.readEnd(chunk, at, out);
    }
  }

  private fail(out: ParsedItem[], message: string): number {
    out.push({ kind: "error", message, fatal: true });
    this.dead = true;
    return Number.MAX_SAFE_INTEGER;
  }

  /** Accumulate a `*n` or `$n` line; returns the next position. */
  private readHeader(chunk: Uint8Array, start: number, out: ParsedItem[]): number {
    const expected = this.state === "array" ? 0x2a : 0x24;
    let at = start;
    while (at < chunk.length) {
      const byte = chunk[at++] as number;
      if (this.line.length === 0 && byte !== expected) {
        return this.fail(out, expected === 0x2a ? malformedArray : malformedBulk);
      }
      if (byte === 0x0a) return this.headerDone(out, at);
      if (this.line.length >= headerLineBytesMax) return this.fail(out, malformedArray);
      this.line.push(byte);
    }
    return at;
  }

  private headerDone(out: ParsedItem[], at: number): number {
    const line = this.line;
    this.line = [];
    if (line[line.length - 1] !== 0x0d) return this.fail(out, malformedArray);
    const text = String.fromCharCode(...line.slice(1, -1));
    if (!/^-?\d{1,20}$/.test(text)) return this.fail(out, malformedArray);
    const value = Number(text);
    if (this.state === "array") {
      if (value <= 0) return at;
      if (value > this.argumentsMax) return this.fail(out, "Too many arguments");
      this.argc = value;
      this.args = [];
      this.requestBytes = 0;
      this.state = "bulkHeader";
      return at;
    }
    if (value < 0) return this.fail(out, malformedBulk);
    if (value > this.argumentBytesMax) return this.fail(out, "Payload too big");
    this.requestBytes += value;
    if (this.requestBytes > requestBytesMax) return this.fail(out, "Request too large");
    this.bulk = null;
    this.bulkFilled = value;
    this.state = "bulkBody";
    return at;
  }

  private readBody(chunk: Uint8Array, at: number): number {
    const available = chunk.length - at;
    if (this.bulk === null) {
      const length = this.bulkFilled;
      if (available >= length) {
        this.args.push(chunk.subarray(at, at + length));
        this.bulkFilled = 0;
        this.endSeen = 0;
        this.state = "bulkEnd";
        return at + length;
      }
      this.bulk = Buffer.allocUnsafe(length);
      this.bulkFilled = 0;
    }
    const missing = this.bulk.length - this.bulkFilled;
    const take = Math.min(missing, available);
    this.bulk.set(chunk.subarray(at, at + take), this.bulkFilled);
    this.bulkFilled += take;
    if (this.bulkFilled === this.bulk.length) {
      this.args.push(this.bulk);
      this.bulk = null;
      this.bulkFilled = 0;
      this.endSeen = 0;
      this.state = "bulkEnd";
    }
    return at + take;
  }

  private readEnd(chunk: Uint8Array, start: number, out: ParsedItem[]): number {
    let at = start;
    while (at < chunk.length && this.endSeen < 2) {
      const byte = chunk[at++];
      if (byte !== (this.endSeen === 0 ? 0x0d : 0x0a)) return this.fail(out, malformedBulk);
      this.endSeen++;
    }
    if (this.endSeen < 2) return at;
    if (this.args.length === this.argc) {
      out.push({ kind: "request", args: this.args });
      this.args = [];
      this.state = "array";
    } else {
      this.state = "bulkHeader";
    }
    return at;
  }
}

const crlf = Buffer.from("\r\n");
/** Spare bytes a value needs around it to be framed in place (`$8388608\r\n` … `\r\n`). */
export const bulkFrameRoomBytes = 16;
/** Views known to own `bulkFrameRoomBytes` spare bytes on each side (see `markFramable`). */
const framable = new WeakSet<Uint8Array>();

/** Declare that `view` was allocated with `bulkFrameRoomBytes` of its own on each side. */
export function markFramable(view: Uint8Array): void {
  framable.add(view);
}

/** Reply builder: collects encoded pieces for one write. */
export class ReplyWriter {
  parts: Uint8Array[] = [];
  bytes = 0;

  private push(part: Uint8Array): void {
    this.parts.push(part);
    this.bytes += part.length;
  }

  simple(text: string): void {
    this.push(Buffer.from(`+${text}\r\n`));
  }

  error(text: string): void {
    this.push(Buffer.from(`-${text.replace(/[\r\n]/g, " ")}\r\n`));
  }

  integer(value: number): void {
    this.push(Buffer.from(`:${value}\r\n`));
  }

  nil(): void {
    this.push(Buffer.from("$-1\r\n"));
  }

  bulk(value: Uint8Array | string | null): void {
    if (value === null) {
      this.nil();
      return;
    }
    const bytes = typeof value === "string" ? Buffer.from(value) : value;
    if (bytes.length < 1024) {
      const out = Buffer.allocUnsafe(bytes.length + 16);
      let at = out.write(`$${bytes.length}\r\n`, 0, "latin1");
      out.set(bytes, at);
      at += bytes.length;
      out[at++] = 0x0d;
      out[at++] = 0x0a;
      this.push(out.subarray(0, at));
      return;
    }
    const header = `$${bytes.length}\r\n`;
    const before = bytes.byteOffset;
    const after = bytes.buffer.byteLength - before - bytes.length;
    if (framable.has(bytes) && before >= header.length && after >= 2) {
      // Framed in place: the value was read with spare room around it (no copy).
      const framed = Buffer.from(
        bytes.buffer,
        before - header.length,
        header.length + bytes.length + 2,
      );
      framed.write(header, 0, "latin1");
      framed[framed.length - 2] = 0x0d;
      framed[framed.length - 1] = 0x0a;
      this.push(framed);
      return;
    }
    this.push(Buffer.from(header));
    this.push(bytes);
    this.push(crlf);
  }

  arrayHeader(count: number): void {
    this.push(Buffer.from(`*${count}\r\n`));
  }

  take(): Uint8Array[] {
    const parts = this.parts;
    this.parts = [];
    this.bytes = 0;
    return parts;
  }
}
