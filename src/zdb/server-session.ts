/**
 * Per-connection state of the RESP server and the shared server context the commands see.
 */
import type { Engine } from "./engine.ts";
import type { EngineNamespace } from "./engine-namespace.ts";
import type { Store } from "./store.ts";

export interface ServerStats {
  bootSeconds: number;
  clientsLifetime: number;
  commandsExecuted: number;
  commandsFailed: number;
  commandsUnauthorized: number;
  networkRxBytes: number;
  networkTxBytes: number;
}

export interface Watcher {
  session: Session;
  command: string;
  resolve: (command: string | null) => void;
}

export interface ServerContext {
  engine: Engine;
  /** null: no admin password configured (every client is admin, reference behaviour). */
  adminPassword: string | null;
  instanceId: string;
  stats: ServerStats;
  watchers: Set<Watcher>;
  /** Stores with buffered appends, flushed before the replies of this event-loop turn. */
  pendingStores: Set<Store>;
  /** Value bytes buffered in `pendingStores` this turn. */
  pendingBytes: number;
  /** Pooled SET values of this turn, released once the stores are written. */
  turnBuffers: Uint8Array[];
  /** Connections whose replies go out at the end of this turn. */
  scheduledReplies: Set<{ writeOut(): void; abort(): void }>;
}

export class Session {
  namespaceName = "default";
  admin: boolean;
  writable = true;
  nonce: string | null = null;
  readonly id: number;

  constructor(id: number, adminByDefault: boolean) {
    this.id = id;
    this.admin = adminByDefault;
  }

  namespace(context: ServerContext): EngineNamespace | null {
    return context.engine.namespace(this.namespaceName);
  }
}
