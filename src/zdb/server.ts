/**
 * The RESP server over node:net: TCP and/or unix socket, one Session per connection, requests
 * of one client answered in order, others never stalled (reads are short synchronous calls;
 * waits — fsync, missing-data, WAIT — are asynchronous and only hold their own client).
 */
import * as fs from "node:fs";
import * as net from "node:net";
import { releaseBuffer } from "./buffer-pool.ts";
import type { CommandCall } from "./command-helpers.ts";
import { commandTable } from "./commands.ts";
import type { Engine } from "./engine.ts";
import { ReplyWriter } from "./reply-writer.ts";
import { type ParsedItem, RespParser } from "./resp.ts";
import { type ServerContext, Session } from "./server-session.ts";

/** Parsed requests queued per client before its socket is paused. */
const queuedRequestsMax = 256;
/** Reply bytes pending on a socket before its reads (and its queued requests) are paused. */
const pendingReplyBytesMax = 16 * 1024 * 1024;
/** Connections accepted per listening socket; more are refused. */
const connectionsMax = 10_000;
/**
 * Buffered SET bytes past which replies (and the stores) are flushed at once. Below it, the
 * values of a turn share one pwritev and each client one reply write (pipelined 128 KiB SETs:
 * ~1.6x the throughput of flushing at 64 KiB).
 */
const deferBytesMax = 1024 * 1024;
/** Replies of one client past this size are written at once instead of at the end of the turn. */
const outputBytesMax = 256 * 1024;

export interface ServerOptions {
  engine: Engine;
  adminPassword: string | null;
  host?: string;
  port?: number;
  socketPath?: string;
  log?: (line: string) => void;
}

export class ZdbServer {
  readonly context: ServerContext;
  private readonly servers: net.Server[] = [];
  private readonly sockets = new Set<net.Socket>();
  private nextSessionId = 1;

  constructor(private readonly options: ServerOptions) {
    this.context = {
      engine: options.engine,
      adminPassword: options.adminPassword,
      instanceId: options.engine.options.instanceId,
      stats: {
        bootSeconds: Math.floor(Date.now() / 1000),
        clientsLifetime: 0,
        commandsExecuted: 0,
        commandsFailed: 0,
        commandsUnauthorized: 0,
        networkRxBytes: 0,
        networkTxBytes: 0,
      },
      watchers: new Set(),
      pendingStores: new Set(),
      pendingBytes: 0,
      turnBuffers: [],
      scheduledReplies: new Set(),
    };
  }

  /** Listen on what the options ask; resolves with the bound TCP port (0 when none). */
  async listen(): Promise<number> {
    let port = 0;
    if (this.options.port !== undefined) {
      const server = net.createServer((socket) => this.accept(socket));
      await new Promise<void>((resolve, reject) => {
        server.once("error", reject);
        server.listen(this.options.port, this.options.host ?? "::", () => resolve());
      });
      port = (server.address() as net.AddressInfo).port;
      this.watchErrors(server);
    }
    if (this.options.socketPath !== undefined) {
      removeStaleSocket(this.options.socketPath);
      const server = net.createServer((socket) => this.accept(socket));
      await new Promise<void>((resolve, reject) => {
        server.once("error", reject);
        server.listen(this.options.socketPath, () => resolve());
      });
      this.watchErrors(server);
    }
    return port;
  }

  /** After listening, errors (EMFILE on accept, ...) are logged, never fatal. */
  private watchErrors(server: net.Server): void {
    server.on("error", (error) => this.options.log?.(`[-] server: ${String(error)}`));
    server.maxConnections = connectionsMax;
    this.servers.push(server);
  }

  private accept(socket: net.Socket): void {
    this.context.stats.clientsLifetime++;
    this.sockets.add(socket);
    socket.setNoDelay?.(true);
    const session = new Session(this.nextSessionId++, this.context.adminPassword === null);
    // A protected default namespace (password set, e.g. --protect) starts read-only.
    session.writable = this.context.engine.namespace("default")?.properties.password == null;
    const connection = new Connection(socket, session, this.context);
    socket.on("data", (chunk: Buffer) => connection.onData(chunk));
    socket.on("drain", () => connection.onDrain());
    socket.on("error", () => socket.destroy());
    socket.on("close", () => {
      this.sockets.delete(socket);
      connection.closed = true;
      for (const watcher of this.context.watchers) {
        if (watcher.session === session) this.context.watchers.delete(watcher);
      }
    });
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await Promise.all(
      this.servers.map((server) => new Promise<void>((resolve) => server.close(() => resolve()))),
    );
    if (this.options.socketPath !== undefined) removeStaleSocket(this.options.socketPath);
  }
}

/** Remove what is at `path` only if it is a socket (a mistyped --socket must not delete a file). */
function removeStaleSocket(path: string): void {
  let stat: fs.Stats;
  try {
    stat = fs.lstatSync(path);
  } catch {
    return;
  }
  if (!stat.isSocket()) throw new Error(`Refusing to replace ${path}: it is not a socket`);
  fs.rmSync(path, { force: true });
}

/** Longer first arguments name no command. */
const commandNameBytesMax = 32;
/** Command names are ASCII, matched case-insensitively (no Buffer or toUpperCase per call). */
function commandName(bytes: Uint8Array): string {
  if (bytes.length > commandNameBytesMax) return "";
  let name = "";
  for (let i = 0; i < bytes.length; i++) {
    const byte = bytes[i] as number;
    name += String.fromCharCode(byte >= 0x61 && byte <= 0x7a ? byte - 0x20 : byte);
  }
  return name;
}

/**
 * Write the buffered appends of this turn. False when a write failed (disk full, I/O error):
 * the replies of this turn must then not be sent, they would acknowledge lost writes.
 */
function flushStores(context: ServerContext): boolean {
  let ok = true;
  for (const store of context.pendingStores) {
    try {
      store.flushPending();
    } catch (error) {
      ok = false;
      context.engine.options.log(`[-] write failed on ${store.options.name}: ${String(error)}`);
    }
    // Every store here took a write this turn, so it was sound then: a failure now was met by
    // an earlier flush of this turn (a full buffer, a read), whose writes are lost as well.
    if (store.failure !== null) ok = false;
  }
  context.pendingStores.clear();
  context.pendingBytes = 0;
  // Written (or dropped with a failed write): nothing reads these values any more.
  for (const buffer of context.turnBuffers) releaseBuffer(buffer);
  context.turnBuffers.length = 0;
  return ok;
}

function flushTurn(context: ServerContext): void {
  const ok = flushStores(context);
  const connections = [...context.scheduledReplies];
  context.scheduledReplies.clear();
  for (const connection of connections) {
    if (ok) connection.writeOut();
    else connection.abort();
  }
}

class Connection {
  private readonly parser = new RespParser();
  private readonly queue: ParsedItem[] = [];
  private readonly out = new ReplyWriter();
  private busy = false;
  /** Output chunks handed to the socket, not yet known to be written. */
  private written: Buffer[] = [];
  closed = false;

  constructor(
    private readonly socket: net.Socket,
    private readonly session: Session,
    private readonly context: ServerContext,
  ) {}

  onData(chunk: Buffer): void {
    this.context.stats.networkRxBytes += chunk.length;
    this.parser.feed(chunk, this.queue);
    if (this.queue.length > queuedRequestsMax) this.socket.pause();
    if (!this.busy) this.drain();
  }

  onDrain(): void {
    this.releaseWritten();
    if (this.busy) return;
    if (this.queue.length > 0) this.drain();
    else this.socket.resume();
  }

  private drain(): void {
    while (this.queue.length > 0 && !this.closed) {
      // A client that does not read its replies stops being served until they drain.
      if (this.socket.writableLength + this.out.bytes > pendingReplyBytesMax) {
        this.flushNow();
        this.socket.pause();
        return;
      }
      const item = this.queue.shift() as ParsedItem;
      if (item.kind === "error") {
        this.out.error(item.message);
        if (item.fatal) {
          this.flushNow();
          this.queue.length = 0;
          this.socket.end();
          return;
        }
        continue;
      }
      const pending = this.execute(item.args);
      if (pending) {
        this.busy = true;
        this.flush();
        pending.then(
          () => this.resumeAfter(),
          () => this.resumeAfter(),
        );
        return;
      }
      if (this.out.bytes >= outputBytesMax) this.flushNow();
    }
    this.flush();
    if (
      this.queue.length <= queuedRequestsMax &&
      this.socket.writableLength < pendingReplyBytesMax
    ) {
      this.socket.resume();
    }
  }

  private resumeAfter(): void {
    this.busy = false;
    this.flush();
    this.drain();
  }

  private execute(args: Uint8Array[]): Promise<void> | undefined {
    const stats = this.context.stats;
    const name = commandName(args[0] as Uint8Array);
    const handler = commandTable[name];
    stats.commandsExecuted++;
    if (!handler) {
      stats.commandsFailed++;
      this.out.error("Command not supported");
      return undefined;
    }
    const call: CommandCall = { context: this.context, session: this.session, args, out: this.out };
    let result: void | Promise<void>;
    try {
      result = handler(call);
    } catch (error) {
      this.context.engine.options.log(`[-] command ${name} failed: ${String(error)}`);
      this.out.error("Internal Error");
      return undefined;
    }
    if (name !== "WAIT") this.notifyWatchers(name);
    if (result instanceof Promise) return result;
    // A SET value is only referenced by the store's pending appends, written this turn.
    if (name === "SET" && args.length >= 3) this.context.turnBuffers.push(args[2] as Uint8Array);
    return undefined;
  }

  private notifyWatchers(command: string): void {
    if (this.context.watchers.size === 0) return;
    for (const watcher of [...this.context.watchers]) {
      if (watcher.session === this.session) continue;
      if (watcher.session.namespaceName !== this.session.namespaceName) continue;
      if (watcher.command === "*" || watcher.command === command) watcher.resolve(command);
    }
  }

  /**
   * Replies go out at the end of the event-loop turn, after one flush of every store written
   * in it: the SETs of all clients that arrived together share one write per file.
   */
  private flush(): void {
    if (this.out.bytes === 0) return;
    // Past deferBytesMax, waiting for the end of the turn only holds memory.
    if (this.context.pendingBytes >= deferBytesMax) {
      this.flushNow();
      return;
    }
    const scheduled = this.context.scheduledReplies;
    scheduled.add(this);
    if (scheduled.size === 1) setImmediate(() => flushTurn(this.context));
  }

  flushNow(): void {
    if (flushStores(this.context)) this.writeOut();
    else this.abort();
  }

  /** Drop the connection without its pending replies (clients see an error, not a false OK). */
  abort(): void {
    this.out.discard();
    this.queue.length = 0;
    this.socket.destroy();
  }

  writeOut(): void {
    if (this.out.bytes === 0 || this.closed) {
      this.out.discard();
      return;
    }
    this.context.stats.networkTxBytes += this.out.bytes;
    const { parts, chunks } = this.out.take();
    this.releaseWritten();
    let ok = true;
    for (const part of parts) ok = this.socket.write(part) && ok;
    // The chunks are reused once the socket holds nothing more (never, if it fails: GC'd).
    for (const chunk of chunks) this.written.push(chunk);
    this.releaseWritten();
    if (!ok || this.socket.writableLength > pendingReplyBytesMax) this.socket.pause();
  }

  /** Output chunks go back to the pool once the socket has nothing buffered. */
  releaseWritten(): void {
    if (this.written.length === 0 || this.socket.writableLength > 0) return;
    ReplyWriter.release(this.written);
    this.written = [];
  }
}
