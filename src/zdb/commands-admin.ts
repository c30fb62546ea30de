/**
 * Namespace and admin commands: NSNEW NSDEL NSLIST NSINFO NSSET NSJUMP SELECT FLUSH INDEX HOOKS.
 */
import { createHash } from "node:crypto";
import { isQssError } from "../base/errors.ts";
import {
  adminOnly,
  argsValid,
  type CommandCall,
  type CommandHandler,
  equalSecret,
  nameText,
  replyError,
  text,
} from "./command-helpers.ts";
import type { EngineNamespace } from "./engine-namespace.ts";
import { namespaceNameBytesMax, propertyValueBytesMax } from "./limits.ts";

/** The name argument; a name that is not valid UTF-8 cannot exist (`invalidReply`). */
function nameArgument(call: CommandCall, invalidReply = "Namespace not found"): string | null {
  if (!argsValid(call, 2)) return null;
  if ((call.args[1] as Uint8Array).length > namespaceNameBytesMax) {
    call.out.error("Namespace too long");
    return null;
  }
  const name = nameText(call.args[1]);
  if (name === null) call.out.error(invalidReply);
  return name;
}

const nsnew: CommandHandler = (call) => {
  if (!adminOnly(call)) return;
  const name = nameArgument(call, "This name is not allowed");
  if (name === null) return;
  try {
    call.context.engine.create(name);
    call.out.simple("OK");
  } catch (error) {
    replyError(call.out, error);
  }
};

const nsdel: CommandHandler = (call) => {
  if (!adminOnly(call)) return;
  const name = nameArgument(call);
  if (name === null) return;
  if (
    name !== "default" &&
    call.context.engine.namespace(name) &&
    call.session.namespaceName === name
  ) {
    return call.out.error("Cannot remove namespace you're currently using.");
  }
  try {
    call.context.engine.remove(name);
    call.out.simple("OK");
  } catch (error) {
    replyError(call.out, error);
  }
};

const nslist: CommandHandler = (call) => {
  const names = call.context.engine.names();
  call.out.arrayHeader(names.length);
  for (const name of names) call.out.bulk(name);
};

function megabytes(bytes: number): string {
  return (bytes / (1024 * 1024)).toFixed(2);
}

function nsinfoText(ns: EngineNamespace, admin: boolean): string {
  const stats = ns.statsNow();
  const store = ns.store;
  const lines = [
    "# namespace",
    `name: ${ns.name}`,
    `entries: ${stats.entries}`,
    `public: ${stats.public ? "yes" : "no"}`,
    `worm: ${stats.worm ? "yes" : "no"}`,
    `locked: ${ns.properties.locked ? "yes" : "no"}`,
    `frozen: ${ns.properties.frozen ? "yes" : "no"}`,
    `password: ${stats.passwordProtected ? "yes" : "no"}`,
    `data_size_bytes: ${stats.dataSizeBytes}`,
    `data_size_mb: ${megabytes(stats.dataSizeBytes)}`,
    `data_limits_bytes: ${stats.dataLimitBytes}`,
    `index_size_bytes: ${stats.indexSizeBytes}`,
    `index_size_kb: ${(stats.indexSizeBytes / 1024).toFixed(2)}`,
    `mode: ${ns.mode === "seq" ? "sequential" : "userkey"}`,
    `next_internal_id: 0x${store.slots.count.toString(16).padStart(8, "0")}`,
    `stats_index_io_errors: 0`,
    `stats_data_io_errors: 0`,
    `index_disk_freespace_bytes: ${stats.diskFreeBytes}`,
    `index_disk_freespace_mb: ${megabytes(stats.diskFreeBytes)}`,
    `data_disk_freespace_bytes: ${stats.diskFreeBytes}`,
    `data_disk_freespace_mb: ${megabytes(stats.diskFreeBytes)}`,
  ];
  if (admin) {
    lines.push(
      `data_path: ${store.options.dataDir}`,
      `index_path: ${store.options.indexDir}`,
      `data_current_id: ${store.currentId}`,
      `data_current_offset: ${store.currentDataOffset()}`,
    );
  }
  return `${lines.join("\n")}\n`;
}

const nsinfo: CommandHandler = (call) => {
  const name = nameArgument(call);
  if (name === null) return;
  const ns = call.context.engine.namespace(name);
  if (!ns) return call.out.error("Namespace not found");
  call.out.bulk(nsinfoText(ns, call.session.admin));
};

const nsset: CommandHandler = (call) => {
  if (!adminOnly(call)) return;
  if (!argsValid(call, 4)) return;
  if ((call.args[1] as Uint8Array).length > namespaceNameBytesMax) {
    return call.out.error("Namespace too long");
  }
  if ((call.args[3] as Uint8Array).length > propertyValueBytesMax) {
    return call.out.error("Invalid value");
  }
  const name = nameText(call.args[1]);
  if (name === null) return call.out.error("Namespace not found");
  if (name === "default") return call.out.error("Cannot update default namespace");
  try {
    call.context.engine.setProperty(name, text(call.args[2]), text(call.args[3]));
    call.out.simple("OK");
  } catch (error) {
    replyError(call.out, error);
  }
};

const nsjump: CommandHandler = (call) => {
  if (!adminOnly(call)) return;
  const ns = call.session.namespace(call.context);
  if (!ns) return call.out.error("Namespace not found");
  try {
    ns.store.jump();
  } catch (error) {
    return replyError(call.out, error);
  }
  call.out.simple("OK");
};

function sha1Hex(input: string): string {
  return createHash("sha1").update(input).digest("hex");
}

/** SELECT ns [password] | SELECT ns SECURE <sha1hex(nonce:password)>. */
const select: CommandHandler = (call) => {
  const args = call.args;
  if (args.length < 2 || args.length > 4) return call.out.error("Invalid argument");
  if ((args[1] as Uint8Array).length > namespaceNameBytesMax) {
    return call.out.error("Namespace too long");
  }
  const name = nameText(args[1]);
  const ns = name === null ? null : call.context.engine.namespace(name);
  if (!ns) return call.out.error("Namespace not found");
  const secure = args.length === 4 && text(args[2]).toUpperCase() === "SECURE";
  if (args.length === 4 && !secure) return call.out.error("Invalid argument");
  let writable = true;
  const password = ns.properties.password;
  if (password !== null) {
    if (args.length === 2) {
      if (!ns.properties.public) return call.out.error("Namespace protected and private");
      writable = false;
    } else if (secure) {
      const nonce = call.session.nonce;
      call.session.nonce = null;
      if (nonce === null) {
        return call.out.error("No CHALLENGE requested, secure authentication not available");
      }
      if (!equalSecret(text(args[3]).toLowerCase(), sha1Hex(`${nonce}:${password}`))) {
        return call.out.error("Access denied");
      }
    } else if (!equalSecret(text(args[2]), password)) {
      return call.out.error("Access denied");
    }
  }
  call.session.namespaceName = ns.name;
  call.session.writable = writable;
  call.out.simple("OK");
};

/** RELOAD ns (admin): replay the namespace from disk. */
const reload: CommandHandler = (call) => {
  if (!adminOnly(call)) return;
  const name = nameArgument(call);
  if (name === null) return;
  return call.context.engine.reload(name).then(
    () => call.out.simple("OK"),
    (error) => replyError(call.out, error),
  );
};

const flush: CommandHandler = (call) => {
  const ns = call.session.namespace(call.context);
  if (!ns) return call.out.error("Namespace not found");
  if (ns.properties.public || ns.properties.password === null) {
    return call.out.error("Flushing public namespace denied");
  }
  if (!call.session.writable) return call.out.error("Namespace is in read-only mode");
  try {
    call.context.engine.flush(ns.name);
    call.out.simple("OK");
  } catch (error) {
    if (isQssError(error)) return replyError(call.out, error);
    call.out.error("Internal Server Error");
  }
};

/** INDEX DIRTY [RESET]. */
const index: CommandHandler = (call) => {
  if (!adminOnly(call)) return;
  const sub = text(call.args[1]).toUpperCase();
  const reset = text(call.args[2]).toUpperCase() === "RESET";
  if (sub !== "DIRTY" || call.args.length > 3) return call.out.error("Invalid arguments");
  const ns = call.session.namespace(call.context);
  if (!ns) return call.out.error("Namespace not found");
  const ids = [...ns.store.dirtyIndexIds].sort((a, b) => a - b);
  if (reset) {
    ns.store.dirtyIndexIds.clear();
    return call.out.simple("OK");
  }
  call.out.arrayHeader(ids.length);
  for (const id of ids) call.out.integer(id);
};

const hooks: CommandHandler = (call) => {
  if (!adminOnly(call)) return;
  const runs = call.context.engine.hooks.runs;
  call.out.arrayHeader(runs.length);
  for (const run of runs) {
    call.out.arrayHeader(6);
    call.out.bulk(run.name);
    call.out.arrayHeader(run.args.length);
    for (const arg of run.args) call.out.bulk(arg);
    call.out.integer(run.pid);
    call.out.integer(run.createdSeconds);
    call.out.integer(run.finishedSeconds);
    call.out.integer(run.status);
  }
};

export const adminCommands: Record<string, CommandHandler> = {
  NSNEW: nsnew,
  NSDEL: nsdel,
  NSLIST: nslist,
  NSINFO: nsinfo,
  NSSET: nsset,
  NSJUMP: nsjump,
  SELECT: select,
  FLUSH: flush,
  RELOAD: reload,
  INDEX: index,
  HOOKS: hooks,
};
