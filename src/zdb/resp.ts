/**
 * Incremental, bounded RESP2 request parser (arrays of bulk strings only) and reply encoders.
 * A bulk that arrives whole in one chunk is returned as a view of that chunk (no copy); one
 * split across chunks is copied once into a buffer of its announced size. Replies: see
 * `reply-writer.ts`.
 */
import { acquireBuffer } from "./buffer-pool.ts";
import { requestArgumentsMax, valueBytesMax } from "./limits.ts";

/** Lines (`*<n>` / `$<n>`) longer than this are malformed. */
const headerLineBytesMax = 32;
/**
 * All bulks of one request together (bounds a client's memory: the largest legit request is a
 * SET of an 8 MiB value, or an MGET of 1023 keys of 255 bytes).
 */
export const requestBytesMax = valueBytesMax + 1024 * 1024;

/** Split bulks this big are assembled in pooled buffers (`buffer-pool.ts`). */
const pooledBulkBytesMin = 32 * 1024;

export const malformedArray = "Malformed request, array expected";
export const malformedBulk = "Malformed request, bulk string expected";

export type ParsedItem =
  | { kind: "request"; args: Uint8Array[] }
  /** `fatal`: the stream cannot be resynchronised; reply and close the connection. */
  | { kind: "error"; message: string; fatal: boolean };

type State = "array" | "bulkHeader" | "bulkBody" | "bulkEnd";

export class RespParser {
  private state: State = "array";
  /** The `*n` / `$n` line being read: bytes so far, and its number parsed on the fly. */
  private lineBytes = 0;
  private lineDigits = 0;
  private lineValue = 0;
  private lineNegative = false;
  private lineEnding = false;
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

  /** Read a `*n` or `$n` line (`-?\d{1,20}\r\n` after the type byte); returns the next position. */
  private readHeader(chunk: Uint8Array, start: number, out: ParsedItem[]): number {
    const expected = this.state === "array" ? 0x2a : 0x24;
    let at = start;
    while (at < chunk.length) {
      const byte = chunk[at++] as number;
      if (this.lineBytes === 0) {
        if (byte !== expected)
          return this.fail(out, expected === 0x2a ? malformedArray : malformedBulk);
        this.lineBytes = 1;
        continue;
      }
      if (byte === 0x0a) return this.headerDone(out, at);
      if (this.lineBytes >= headerLineBytesMax || this.lineEnding) {
        return this.fail(out, malformedArray);
      }
      this.lineBytes++;
      if (byte === 0x0d) this.lineEnding = true;
      else if (byte === 0x2d && this.lineBytes === 2) this.lineNegative = true;
      else if (byte >= 0x30 && byte <= 0x39 && this.lineDigits < 20) {
        this.lineValue = this.lineValue * 10 + (byte - 0x30);
        this.lineDigits++;
      } else return this.fail(out, malformedArray);
    }
    return at;
  }

  private headerDone(out: ParsedItem[], at: number): number {
    const complete = this.lineEnding && this.lineDigits > 0;
    const value = this.lineNegative ? -this.lineValue : this.lineValue;
    this.lineBytes = 0;
    this.lineDigits = 0;
    this.lineValue = 0;
    this.lineNegative = false;
    this.lineEnding = false;
    if (!complete) return this.fail(out, malformedArray);
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
      // Big bulks come from the pool (the server gives SET values back once written).
      this.bulk = length >= pooledBulkBytesMin ? acquireBuffer(length) : Buffer.allocUnsafe(length);
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
