/**
 * The RESP server over node:net: TCP and/or unix socket, one Session per connection, requests
 * of one client answered in order, others never stalled (reads are short synchronous calls;
 * waits — fsync, missing-data, WAIT — are asynchronous and only hold their own client).
 */
import * as fs from "node:fs";
import * as net from "node:net";
import type { CommandCall } from "./command-helpers.ts";
import { commandTable } from "./commands.ts";
import type { Engine } from "./engine.ts";
import { type ParsedItem, ReplyWriter, RespParser } from "./resp.ts";
import { type ServerContext, Session } from "./server-session.ts";

/** Parsed requests queued per client before its socket is paused. */
const queuedRequestsMax = 256;
/** Reply bytes pending on a socket before its reads (and its queued requests) are paused. */
const pendingReplyBytesMax = 16 * 1024 * 1024;
/** Connections accepted per listening socket; more are refused. */
const connectionsMax = 10_000;
/** Buffered SET bytes past which replies (and the stores) are flushed at once. */
const deferBytesMax = 64 * 1024;
/** Reply pieces are merged (copied) into writes of up to this size: fewer socket writes. */
const mergeBytesMax = 256 * 1024;
/** Pieces this big are written as they are (a copy would cost more than the extra write). */
const soloBytesMin = 64 * 1024;

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

/** Copy parts into one buffer (cheaper than Buffer.concat here). */
function merge(parts: Uint8Array[], total: number): Buffer {
  const out = Buffer.allocUnsafe(total);
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
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
  }
  context.pendingStores.clear();
  context.pendingBytes = 0;
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
    if (this.busy) return;
    if (this.queue.length > 0) this.drain();
    else this.socket.resume();
  }

  private drain(): void {
    while (this.queue.length > 0 && !this.closed) {
      // A client that does not read its replies stops being served until they drain.
      if (this.socket.writableLength + this.out.bytes > pendingReplyBytesMax) {
        this.flush();
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
      const mark = this.out.parts.length;
      const markBytes = this.out.bytes;
      const pending = this.execute(item.args);
      if (pending) {
        // Hold this command's early reply (SET under --sync) until its promise settles.
        this.busy = true;
        const held = this.out.parts.splice(mark);
        const heldBytes = this.out.bytes - markBytes;
        this.out.bytes = markBytes;
        if (markBytes > 0) this.flushNow();
        pending.then(
          () => this.resumeAfter(held, heldBytes),
          () => this.resumeAfter(held, heldBytes),
        );
        return;
      }
      if (this.out.bytes >= mergeBytesMax) this.flushNow();
    }
    this.flush();
    if (
      this.queue.length <= queuedRequestsMax &&
      this.socket.writableLength < pendingReplyBytesMax
    ) {
      this.socket.resume();
    }
  }

  private resumeAfter(held: Uint8Array[], heldBytes: number): void {
    this.busy = false;
    // A handler that wrote after settling replaced its early reply (a failed fsync's error).
    if (this.out.bytes === 0) {
      this.out.parts.push(...held);
      this.out.bytes += heldBytes;
    }
    this.flush();
    this.drain();
  }

  private execute(args: Uint8Array[]): Promise<void> | undefined {
    const stats = this.context.stats;
    const name = Buffer.from(args[0] as Uint8Array)
      .toString("latin1")
      .toUpperCase();
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
    return result instanceof Promise ? result : undefined;
  }

  private notifyWatchers(command: string): void {
    if (this.context.watchers.size === 0) return;
    for (const watcher of [...this.context.watchers]) {
      if (watcher.session === this.session) continue;
      if (watcher.session.namespaceName !== this.session.namespaceName) continue;
      if (watcher.command === "*" || watcher.command === command) watcher.resolve(command);
    }
  }

  /** Merge small parts into writes of up to mergeBytesMax; big parts go out without a copy. */
  private writeLarge(parts: Uint8Array[]): boolean {
    let ok = true;
    let run: Uint8Array[] = [];
    let runBytes = 0;
    const emit = () => {
      if (runBytes === 0) return;
      ok =
        this.socket.write(run.length === 1 ? (run[0] as Uint8Array) : merge(run, runBytes)) && ok;
      run = [];
      runBytes = 0;
    };
    for (const part of parts) {
      if (part.length >= soloBytesMin) {
        emit();
        ok = this.socket.write(part) && ok;
        continue;
      }
      if (runBytes + part.length > mergeBytesMax) emit();
      run.push(part);
      runBytes += part.length;
    }
    emit();
    return ok;
  }

  /**
   * Replies go out at the end of the event-loop turn, after one flush of every store written
   * in it: the SETs of all clients that arrived together share one write per file.
   */
  private flush(): void {
    if (this.out.bytes === 0) return;
    // Big writes gain nothing from waiting for the end of the turn.
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
    this.out.take();
    this.queue.length = 0;
    this.socket.destroy();
  }

  writeOut(): void {
    if (this.out.bytes === 0 || this.closed) {
      this.out.take();
      return;
    }
    const total = this.out.bytes;
    const parts = this.out.take();
    this.context.stats.networkTxBytes += total;
    let ok = true;
    if (parts.length === 1) ok = this.socket.write(parts[0] as Uint8Array);
    else if (total <= soloBytesMin) ok = this.socket.write(merge(parts, total));
    else ok = this.writeLarge(parts);
    if (!ok || this.socket.writableLength > pendingReplyBytesMax) this.socket.pause();
  }
}
