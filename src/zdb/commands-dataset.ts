/**
 * Dataset commands: SET GET MGET DEL EXISTS CHECK LENGTH KEYTIME KEYCUR SCAN RSCAN HISTORY DBSIZE.
 */
import {
  adminOnly,
  argsValid,
  type CommandCall,
  type CommandHandler,
  replyError,
} from "./command-helpers.ts";
import type { EngineNamespace } from "./engine-namespace.ts";
import { MissingDataError } from "./errors.ts";
import { keyBytesMax } from "./limits.ts";
import { parseUnsigned } from "./parse.ts";
import { bulkFrameRoomBytes, markFramable } from "./reply-writer.ts";
import { encodeScanCursor } from "./store-io.ts";

/** The session's namespace (always set: NSDEL refuses the namespace a client is using). */
function nsOf(call: CommandCall): EngineNamespace | null {
  const ns = call.session.namespace(call.context);
  if (ns === null)
    call.out.error("Your active namespace is not available anymore (probably removed).");
  return ns;
}

function keyArgument(call: CommandCall): Uint8Array | null {
  if (!argsValid(call, 2)) return null;
  const key = call.args[1] as Uint8Array;
  if (key.length > keyBytesMax) {
    call.out.error("Invalid key");
    return null;
  }
  return key;
}

/** A value read with frame room: the reply writer may frame it without a copy. */
function framed(value: Uint8Array | null): Uint8Array | null {
  if (value !== null) markFramable(value);
  return value;
}

/** Run a read; a missing closed data file switches to the async restore path. */
function read<T>(
  call: CommandCall,
  ns: EngineNamespace,
  run: () => T,
  reply: (value: T) => void,
): undefined | Promise<void> {
  try {
    reply(run());
    return undefined;
  } catch (error) {
    if (!(error instanceof MissingDataError)) {
      replyError(call.out, error);
      return undefined;
    }
    return ns.withRestore(run).then(reply, (failure) => replyError(call.out, failure));
  }
}

/**
 * Reply to a write. Under `--sync` the reply is written only once the write is durable, and a
 * failed fsync answers an error instead: one reply per request, never an early OK.
 */
function replyAfterWrite(
  call: CommandCall,
  ns: EngineNamespace,
  reply: () => void,
): undefined | Promise<void> {
  if (!call.context.engine.options.sync) {
    reply();
    return undefined;
  }
  return ns.durable().then(reply, () => call.out.error("Cannot write data right now"));
}

const set: CommandHandler = (call) => {
  if (call.args.length === 4) {
    if (!adminOnly(call)) return;
  } else if (!argsValid(call, 3, true)) return;
  const key = call.args[1] as Uint8Array;
  if (key.length > keyBytesMax) return call.out.error("Key too large");
  if (!call.session.writable) return call.out.error("Namespace is in read-only mode");
  const ns = nsOf(call);
  if (!ns) return;
  const ts = call.args[3]
    ? parseUnsigned(Buffer.from(call.args[3]).toString(), 0xffffffff)
    : undefined;
  if (ts === null) return call.out.error("Invalid timestamp");
  let stored: Uint8Array | null;
  try {
    stored = ns.setNow(key, call.args[2] as Uint8Array, ts, true);
    call.context.pendingStores.add(ns.store);
    call.context.pendingBytes += (call.args[2] as Uint8Array).length;
  } catch (error) {
    return replyError(call.out, error);
  }
  return replyAfterWrite(call, ns, () => call.out.bulk(stored));
};

const get: CommandHandler = (call) => {
  const key = keyArgument(call);
  const ns = key && nsOf(call);
  if (!key || !ns) return;
  try {
    // Fast path: the value is read straight into the reply.
    const slot = ns.findNow(key);
    if (slot < 0) return call.out.nil();
    const target = call.out.bulkReserve(ns.store.slots.payloadBytes[slot] as number);
    try {
      ns.store.readPayloadInto(slot, target);
      return;
    } catch (error) {
      call.out.unreserve();
      throw error;
    }
  } catch (error) {
    if (!(error instanceof MissingDataError)) return replyError(call.out, error);
  }
  // A closed data file to restore first.
  return read(
    call,
    ns,
    () => framed(ns.getNow(key, bulkFrameRoomBytes)),
    (value) => call.out.bulk(value),
  );
};

const mget: CommandHandler = (call) => {
  if (call.args.length < 2) return call.out.error("Unexpected arguments");
  const ns = nsOf(call);
  if (!ns) return;
  const keys = call.args.slice(1);
  return read(
    call,
    ns,
    () =>
      keys.map((key) =>
        key.length > keyBytesMax ? null : framed(ns.getNow(key, bulkFrameRoomBytes)),
      ),
    (values) => {
      call.out.arrayHeader(values.length);
      for (const value of values) call.out.bulk(value);
    },
  );
};

const del: CommandHandler = (call) => {
  const key = keyArgument(call);
  if (!key) return;
  if (!call.session.writable) return call.out.error("Namespace is in read-only mode");
  const ns = nsOf(call);
  if (!ns) return;
  try {
    if (!ns.delNow(key)) return call.out.error("Key not found");
  } catch (error) {
    return replyError(call.out, error);
  }
  return replyAfterWrite(call, ns, () => call.out.simple("OK"));
};

const exists: CommandHandler = (call) => {
  const key = keyArgument(call);
  const ns = key && nsOf(call);
  if (!key || !ns) return;
  try {
    call.out.integer(ns.existsNow(key) ? 1 : 0);
  } catch (error) {
    replyError(call.out, error);
  }
};

const check: CommandHandler = (call) => {
  const key = keyArgument(call);
  const ns = key && nsOf(call);
  if (!key || !ns) return;
  return read(
    call,
    ns,
    () => (ns.existsNow(key) ? ns.store.check(key) : null),
    (status) => (status === null ? call.out.nil() : call.out.integer(status)),
  );
};

/** LENGTH / KEYTIME / KEYCUR: a field of the key's current slot. */
function slotField(
  reply: (call: CommandCall, ns: EngineNamespace, slot: number) => void,
  missing: (call: CommandCall) => void,
): CommandHandler {
  return (call) => {
    const key = keyArgument(call);
    const ns = key && nsOf(call);
    if (!key || !ns) return;
    if (ns.properties.frozen)
      return call.out.error("Namespace is temporarily frozen (read-write disabled)");
    const slot = ns.store.find(key);
    if (slot < 0) return missing(call);
    reply(call, ns, slot);
  };
}

const length = slotField(
  (call, ns, slot) => call.out.integer(ns.store.slots.payloadBytes[slot] as number),
  (call) => call.out.nil(),
);
const keytime = slotField(
  (call, ns, slot) => call.out.integer(ns.store.slots.timestampSeconds[slot] as number),
  (call) => call.out.nil(),
);
const keycur = slotField(
  (call, _ns, slot) => call.out.bulk(encodeScanCursor(slot)),
  (call) => call.out.error("Key not found"),
);

/** Entries per SCAN/RSCAN reply (the reference fills a time slice; a count is steadier). */
const scanEntriesPerReplyMax = 128;

function scanner(reverse: boolean): CommandHandler {
  return (call) => {
    if (call.args.length > 2) return call.out.error("Invalid arguments");
    const ns = nsOf(call);
    if (!ns) return;
    if (ns.properties.frozen) {
      return call.out.error("Namespace is temporarily frozen (read-write disabled)");
    }
    let found: ReturnType<typeof ns.store.scan>;
    try {
      found = ns.store.scan(call.args[1] ?? null, scanEntriesPerReplyMax, reverse);
    } catch {
      return call.out.error("Invalid key format");
    }
    const last = found[found.length - 1];
    if (!last) return call.out.error("No more data");
    call.out.arrayHeader(2);
    call.out.bulk(last.cursor);
    call.out.arrayHeader(found.length);
    for (const entry of found) {
      call.out.arrayHeader(3);
      call.out.bulk(entry.key);
      call.out.integer(entry.sizeBytes);
      call.out.integer(entry.timestampSeconds);
    }
  };
}

const history: CommandHandler = (call) => {
  if (call.args.length !== 2 && call.args.length !== 3) return call.out.error("Invalid arguments");
  const ns = nsOf(call);
  if (!ns) return;
  const key = call.args[1] as Uint8Array;
  return read(
    call,
    ns,
    () => ns.historyNow(key, call.args[2] ?? null),
    (version) => {
      call.out.arrayHeader(3);
      call.out.bulk(version.previous);
      call.out.bulk(String(version.timestampSeconds));
      call.out.bulk(version.payload);
    },
  );
};

const dbsize: CommandHandler = (call) => {
  const ns = nsOf(call);
  if (ns) call.out.integer(ns.store.entries);
};

export const datasetCommands: Record<string, CommandHandler> = {
  SET: set,
  SETX: set,
  GET: get,
  MGET: mget,
  DEL: del,
  EXISTS: exists,
  CHECK: check,
  LENGTH: length,
  KEYTIME: keytime,
  KEYCUR: keycur,
  SCAN: scanner(false),
  SCANX: scanner(false),
  RSCAN: scanner(true),
  HISTORY: history,
  DBSIZE: dbsize,
};
