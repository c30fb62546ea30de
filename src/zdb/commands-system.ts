/**
 * System commands: PING TIME AUTH INFO WAIT.
 */
import { createHash, randomBytes } from "node:crypto";
import { argsValid, type CommandHandler, equalSecret, text } from "./command-helpers.ts";
import {
  passwordBytesMax,
  waitTimeoutMsDefault,
  waitTimeoutMsMax,
  waitTimeoutMsMin,
} from "./limits.ts";

const ping: CommandHandler = (call) => call.out.simple("PONG");

const time: CommandHandler = (call) => {
  const nowMs = Date.now();
  call.out.arrayHeader(2);
  call.out.bulk(String(Math.floor(nowMs / 1000)));
  call.out.bulk(String((nowMs % 1000) * 1000));
};

/** AUTH <password> | AUTH SECURE CHALLENGE | AUTH SECURE <sha1hex(challenge:password)>. */
const auth: CommandHandler = (call) => {
  const { args, session, context, out } = call;
  const admin = context.adminPassword;
  if (args.length === 2) {
    if (admin === null) return out.error("Authentication disabled");
    if (!argsValid(call, 2)) return;
    if ((args[1] as Uint8Array).length > passwordBytesMax) return out.error("Password too long");
    if (!equalSecret(text(args[1]), admin)) return out.error("Access denied");
    session.admin = true;
    return out.simple("OK");
  }
  if (args.length !== 3) return out.error("Unexpected arguments");
  if (text(args[1]).toUpperCase() !== "SECURE") {
    return out.error("Only SECURE extra method supported");
  }
  if (text(args[2]).toUpperCase() === "CHALLENGE") {
    session.nonce = randomBytes(8).toString("hex");
    return out.simple(session.nonce);
  }
  if (admin === null) return out.error("Authentication disabled");
  const nonce = session.nonce;
  session.nonce = null;
  if (nonce === null) {
    return out.error("No CHALLENGE requested, secure authentication not available");
  }
  if ((args[2] as Uint8Array).length !== 40) return out.error("Invalid hash length");
  const expected = createHash("sha1").update(`${nonce}:${admin}`).digest("hex");
  if (!equalSecret(text(args[2]).toLowerCase(), expected)) return out.error("Access denied");
  session.admin = true;
  out.simple("OK");
};

const info: CommandHandler = (call) => {
  const { stats, instanceId } = call.context;
  const nowSeconds = Math.floor(Date.now() / 1000);
  const lines = [
    "# server",
    "server_name: 0-db (zdb) [qss]",
    "server_revision: qss",
    "engine_revision: qss",
    `instance_id: ${instanceId}`,
    `boot_time: ${stats.bootSeconds}`,
    `uptime: ${nowSeconds - stats.bootSeconds}`,
    "# clients",
    `clients_lifetime: ${stats.clientsLifetime}`,
    "# internals",
    "sequential_key_size: 8",
    "data_version: 3",
    "index_version: 4",
    "# stats",
    `commands_executed: ${stats.commandsExecuted}`,
    `commands_failed: ${stats.commandsFailed}`,
    `commands_unauthorized: ${stats.commandsUnauthorized}`,
    `network_rx_bytes: ${stats.networkRxBytes}`,
    `network_tx_bytes: ${stats.networkTxBytes}`,
  ];
  call.out.bulk(`${lines.join("\n")}\n`);
};

/** WAIT cmd|* [timeout_ms]: reply `+<command>` when another client of the namespace runs it. */
const wait: CommandHandler = (call) => {
  const { args, out, context, session } = call;
  if (args.length !== 2 && args.length !== 3) return out.error("Invalid arguments");
  const command = text(args[1]).toUpperCase();
  let timeoutMs = waitTimeoutMsDefault;
  if (args.length === 3) {
    timeoutMs = Number(text(args[2]));
    if (
      !Number.isInteger(timeoutMs) ||
      timeoutMs < waitTimeoutMsMin ||
      timeoutMs > waitTimeoutMsMax
    ) {
      return out.error("Invalid timeout");
    }
  }
  return new Promise<void>((resolve) => {
    const watcher = {
      session,
      command,
      resolve: (seen: string | null) => {
        clearTimeout(timer);
        context.watchers.delete(watcher);
        if (seen === null) out.error("Timeout");
        else out.simple(seen);
        resolve();
      },
    };
    const timer = setTimeout(() => watcher.resolve(null), timeoutMs);
    context.watchers.add(watcher);
  });
};

export const systemCommands: Record<string, CommandHandler> = {
  PING: ping,
  TIME: time,
  AUTH: auth,
  INFO: info,
  WAIT: wait,
};
