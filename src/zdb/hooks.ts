/**
 * Hooks: the reference contract `hook <event> <instance-id> args…` (an executable, no shell),
 * plus in-process listeners for qss's own use. Blocking events wait for the hook to exit.
 * `missing-data` runs asynchronously so only the requests that need the file wait.
 *
 * Every run is bounded by `runMsMax` (the reference waits forever): a blocking hook that
 * outlives it is killed and counts as failed, so a hung hook cannot freeze the server for
 * good; a missing-data run (executable or listener) past it counts as not restored.
 */
import { spawn, spawnSync } from "node:child_process";
import { hookRunMsMaxDefault, hookRunsRemembered } from "./limits.ts";

export type HookEventName =
  | "ready"
  | "close"
  | "crash"
  | "namespaces-init"
  | "namespace-created"
  | "namespace-updated"
  | "namespace-deleted"
  | "namespace-reloaded"
  | "namespace-closing"
  | "jump-index"
  | "jump-data"
  | "missing-data";

export interface HookEvent {
  name: HookEventName;
  /** Extra arguments after the instance id, exactly as the executable receives them. */
  args: string[];
}

/**
 * An in-process listener. For `missing-data` a returned promise is awaited before the retry;
 * resolving `false` (or throwing) counts as a failed restore.
 */
export type HookListener = (event: HookEvent) => undefined | boolean | Promise<undefined | boolean>;

export interface HookRun {
  name: string;
  args: string[];
  pid: number;
  createdSeconds: number;
  finishedSeconds: number;
  status: number;
}

export class Hooks {
  readonly listeners = new Set<HookListener>();
  readonly runs: HookRun[] = [];
  /** Non-blocking runs still going (waited for, bounded, at close). */
  private readonly running = new Set<Promise<boolean>>();

  constructor(
    private readonly command: string | null,
    public instanceId: string,
    /** Longest a hook may run before it is killed and counted as failed. */
    readonly runMsMax: number = hookRunMsMaxDefault,
  ) {}

  private remember(run: HookRun): void {
    this.runs.push(run);
    if (this.runs.length > hookRunsRemembered) this.runs.shift();
  }

  private notifyListeners(event: HookEvent): void {
    for (const listener of this.listeners) {
      try {
        const result = listener(event);
        if (result instanceof Promise) result.catch(() => undefined);
      } catch {
        // A listener failing never breaks the engine.
      }
    }
  }

  /** Run and wait; true when there is no hook or it exited 0. */
  runBlocking(name: HookEventName, args: string[]): boolean {
    this.notifyListeners({ name, args });
    if (this.command === null) return true;
    const createdSeconds = Math.floor(Date.now() / 1000);
    const result = spawnSync(this.command, [name, this.instanceId, ...args], {
      stdio: "inherit",
      timeout: this.runMsMax,
      killSignal: "SIGKILL",
    });
    const status = result.error === undefined ? (result.status ?? -1) : -1;
    this.remember({
      name,
      args,
      pid: result.pid ?? 0,
      createdSeconds,
      finishedSeconds: Math.floor(Date.now() / 1000),
      status,
    });
    return status === 0;
  }

  /** Start without waiting. */
  fire(name: HookEventName, args: string[]): void {
    this.notifyListeners({ name, args });
    if (this.command === null) return;
    const run = this.spawnAsync(name, args);
    this.running.add(run);
    void run.finally(() => this.running.delete(run));
  }

  /** Wait for the non-blocking runs still going, at most `timeoutMs`. */
  async settle(timeoutMs: number): Promise<void> {
    if (this.running.size === 0) return;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, timeoutMs);
    });
    await Promise.race([Promise.all([...this.running]).then(() => undefined), timeout]);
    clearTimeout(timer);
  }

  private spawnAsync(name: HookEventName, args: string[]): Promise<boolean> {
    const command = this.command;
    if (command === null) return Promise.resolve(true);
    const createdSeconds = Math.floor(Date.now() / 1000);
    return new Promise((resolve) => {
      const child = spawn(command, [name, this.instanceId, ...args], { stdio: "inherit" });
      const run: HookRun = {
        name,
        args,
        pid: child.pid ?? 0,
        createdSeconds,
        finishedSeconds: 0,
        status: -1,
      };
      this.remember(run);
      const timer = setTimeout(() => {
        child.kill("SIGKILL");
        resolve(false);
      }, this.runMsMax);
      child.on("error", () => {
        clearTimeout(timer);
        resolve(false);
      });
      child.on("exit", (code) => {
        clearTimeout(timer);
        run.finishedSeconds = Math.floor(Date.now() / 1000);
        run.status = code ?? -1;
        resolve(code === 0);
      });
    });
  }

  /** `promise`, or false once `runMsMax` has passed. */
  private async bounded<T>(promise: Promise<T>): Promise<T | false> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const late = new Promise<false>((resolve) => {
      timer = setTimeout(() => resolve(false), this.runMsMax);
    });
    try {
      return await Promise.race([promise, late]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** missing-data: listeners and the executable; true when one of them restored the file. */
  async missingData(path: string): Promise<boolean> {
    const event: HookEvent = { name: "missing-data", args: [path] };
    let restored = false;
    for (const listener of this.listeners) {
      try {
        const result = await this.bounded(Promise.resolve(listener(event)));
        if (result === true) restored = true;
      } catch {
        // counted as not restored
      }
    }
    if (this.command !== null && (await this.spawnAsync("missing-data", [path]))) restored = true;
    return restored;
  }
}
