/**
 * One mount per namespace set: a lock record ("L", meta namespace, JSON) names the owner and a
 * heartbeat. A second mount is refused while the heartbeat is fresh and the owner is alive; a
 * stale lock (heartbeat older than `staleMs`, or owner pid dead on this host) is taken over.
 */
import { hostname } from "node:os";
import process from "node:process";
import { qssError } from "../../base/errors.ts";
import type { ZdbNamespace } from "../../zdb/namespace.ts";
import { lockKey } from "./keys.ts";

export interface LockRecord {
  owner: string;
  host: string;
  pid: number;
  heartbeatMs: number;
}

export interface MountLockOptions {
  staleMs: number;
  /** Defaults: a random owner id, this host, this pid, Date.now. */
  owner?: string;
  host?: string;
  pid?: number;
  nowMs?: () => number;
  /** Whether `pid` runs on this host (default: signal 0). */
  isAlive?: (pid: number) => boolean;
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as { code?: string }).code === "EPERM";
  }
}

const encoder = new TextEncoder();
const heartbeatMsMin = 1000;
const decoder = new TextDecoder();

export class MountLock {
  readonly #ns: ZdbNamespace;
  readonly #record: LockRecord;
  readonly #options: MountLockOptions;
  #timer: ReturnType<typeof setInterval> | null = null;

  constructor(ns: ZdbNamespace, options: MountLockOptions) {
    this.#ns = ns;
    this.#options = options;
    this.#record = {
      owner: options.owner ?? crypto.randomUUID(),
      host: options.host ?? hostname(),
      pid: options.pid ?? process.pid,
      heartbeatMs: 0,
    };
  }

  #now(): number {
    return (this.#options.nowMs ?? Date.now)();
  }

  /**
   * Take the lock or throw QssError UNAVAILABLE saying who holds it. Returns the record that
   * was taken over (a previous mount that did not end cleanly), or null.
   */
  async acquire(): Promise<LockRecord | null> {
    const held = await this.read();
    if (held !== null && held.owner !== this.#record.owner && !this.#isStale(held)) {
      const ageSeconds = Math.round((this.#now() - held.heartbeatMs) / 1000);
      throw qssError(
        "UNAVAILABLE",
        `Cannot mount: namespace ${this.#ns.name} is already mounted by pid ${held.pid} on ` +
          `host ${held.host} (heartbeat ${ageSeconds}s ago); unmount it first`,
      );
    }
    await this.#write();
    const check = await this.read();
    if (check?.owner !== this.#record.owner) {
      throw qssError("UNAVAILABLE", `Cannot mount: lost the mount lock of ${this.#ns.name}`);
    }
    const heartbeatMs = Math.max(heartbeatMsMin, this.#options.staleMs / 3);
    this.#timer = setInterval(() => void this.#write().catch(() => {}), heartbeatMs);
    (this.#timer as { unref?: () => void }).unref?.();
    return held;
  }

  #isStale(held: LockRecord): boolean {
    if (this.#now() - held.heartbeatMs > this.#options.staleMs) return true;
    const alive = this.#options.isAlive ?? pidAlive;
    return held.host === this.#record.host && !alive(held.pid);
  }

  async #write(): Promise<void> {
    this.#record.heartbeatMs = this.#now();
    await this.#ns.set(lockKey(), encoder.encode(JSON.stringify(this.#record)));
  }

  async read(): Promise<LockRecord | null> {
    const bytes = await this.#ns.get(lockKey());
    if (bytes === null) return null;
    try {
      return JSON.parse(decoder.decode(bytes)) as LockRecord;
    } catch {
      return null;
    }
  }

  /** Throw QssError UNAVAILABLE when another mount has taken the lock over (before writing). */
  async verify(): Promise<void> {
    const held = await this.read();
    if (held?.owner === this.#record.owner) return;
    if (this.#timer !== null) clearInterval(this.#timer);
    this.#timer = null;
    const who =
      held === null ? "nobody (lock record deleted)" : `pid ${held.pid} on host ${held.host}`;
    throw qssError(
      "UNAVAILABLE",
      `Cannot write: the mount lock of namespace ${this.#ns.name} is now held by ${who}`,
    );
  }

  /**
   * Stop the heartbeat but leave the record: the last flush failed, so the next mount must see
   * an unclean end (and run the recovery sweep) once the heartbeat is stale.
   */
  abandon(): void {
    if (this.#timer !== null) clearInterval(this.#timer);
    this.#timer = null;
  }

  /** Delete the record (clean end), or put `restore` back (a record taken over, still unclean). */
  async release(restore?: LockRecord): Promise<void> {
    if (this.#timer !== null) clearInterval(this.#timer);
    this.#timer = null;
    const held = await this.read();
    if (held?.owner !== this.#record.owner) return;
    if (restore === undefined) await this.#ns.del(lockKey());
    else await this.#ns.set(lockKey(), encoder.encode(JSON.stringify(restore)));
  }
}
