import { spawn } from "node:child_process";
import { defineCommand } from "citty";
import { isQssError, qssError } from "../base/errors.ts";
import { startDaemon } from "../zdb/daemon.ts";
import { hookRunMsMaxDefault } from "../zdb/limits.ts";
import { parseInteger, parseSizeBytes } from "./parse.ts";
import {
  adminEnvVariable,
  adminFromArgs,
  privateLogWriter,
  withoutAdminArgument,
} from "./zdb-admin.ts";

/** The reference accepts data files of 512 KiB … 4 GiB (offsets are u32). */
const dataFileBytesMin = 512 * 1024;
const dataFileBytesMax = 4 * 1024 ** 3;
/** Bound for the period flags (seconds): about 115 days. */
const periodSecondsMax = 9_999_999;

interface ParsedNumbers {
  port: number;
  dataFileBytesMax: number;
  rotateSeconds: number;
  hookRunMsMax: number;
  maxSizeBytes: number;
  syncTimeSeconds: number;
}

/** Every numeric flag, checked before anything starts (a typo must not become 0). */
function parseNumbers(args: Record<string, string>): ParsedNumbers {
  const datasize = parseSizeBytes(args.datasize ?? "", "--datasize");
  if (datasize < dataFileBytesMin || datasize > dataFileBytesMax) {
    throw qssError("USAGE", `--datasize: expected 512K … 4G, got "${args.datasize}"`);
  }
  return {
    // 0 asks the kernel for a free port (tests, side-by-side benchmarks).
    port: parseInteger(args.port ?? "", "--port", 0, 65535),
    dataFileBytesMax: datasize,
    rotateSeconds: parseInteger(args.rotate ?? "", "--rotate", 0, periodSecondsMax),
    hookRunMsMax:
      parseInteger(args["hook-timeout"] ?? "", "--hook-timeout", 1, periodSecondsMax) * 1000,
    maxSizeBytes: parseSizeBytes(args.maxsize ?? "", "--maxsize"),
    syncTimeSeconds: parseInteger(args.synctime ?? "", "--synctime", 0, periodSecondsMax),
  };
}

function relaunchInBackground(): void {
  // Compiled binary: argv[1] is the embedded entry; from source it is the script to run.
  const compiled = (process.argv[1] ?? "").startsWith("/$bunfs/");
  const all = process.argv.slice(compiled ? 2 : 1).filter((arg) => arg !== "--background");
  // The child gets --admin through the environment, not on its (visible) command line.
  const { argv, admin } = withoutAdminArgument(all);
  const env = admin === null ? process.env : { ...process.env, [adminEnvVariable]: admin };
  const child = spawn(process.execPath, argv, { detached: true, stdio: "ignore", env });
  child.unref();
  console.log(`qss zdb started in background, pid ${child.pid}`);
}

export const zdbCommand = defineCommand({
  meta: {
    name: "zdb",
    description: "Run a 0-db compatible server (drop-in for the reference zdb)",
  },
  args: {
    data: { type: "string", description: "Data directory", default: "./zdb-data" },
    index: { type: "string", description: "Index directory", default: "./zdb-index" },
    listen: { type: "string", description: "Listen address", default: "::" },
    port: { type: "string", description: "TCP port", default: "9900" },
    socket: { type: "string", description: "Unix socket path (instead of TCP unless --dualnet)" },
    dualnet: { type: "boolean", description: "Listen on TCP and the unix socket", default: false },
    mode: { type: "string", description: "user | seq (default: mixed, per namespace)" },
    datasize: { type: "string", description: "Rotate data files at this size", default: "256M" },
    rotate: {
      type: "string",
      description: "Rotate changed namespaces every N seconds",
      default: "0",
    },
    hook: { type: "string", description: "Hook executable" },
    "hook-timeout": {
      type: "string",
      description: "Kill a hook run after N seconds and count it as failed",
      default: String(hookRunMsMaxDefault / 1000),
    },
    admin: {
      type: "string",
      description: `Admin password (visible in ps: prefer --admin-file or ${adminEnvVariable})`,
    },
    "admin-file": {
      type: "string",
      description: "File (mode 0600) holding the admin password (default: generated secret)",
    },
    protect: {
      type: "boolean",
      description: "Default namespace needs the admin password to write",
      default: false,
    },
    maxsize: { type: "string", description: "Size limit of new namespaces", default: "0" },
    sync: { type: "boolean", description: "Every write durable before its reply", default: false },
    synctime: { type: "string", description: "Fsync at least every N seconds", default: "0" },
    background: { type: "boolean", description: "Run in the background", default: false },
    logfile: { type: "string", description: "Append log lines to this file" },
  },
  async run({ args }) {
    let numbers: ParsedNumbers;
    try {
      numbers = parseNumbers(args as Record<string, string>);
    } catch (error) {
      console.error(`qss zdb: ${isQssError(error) ? error.message : String(error)}`);
      process.exit(2);
    }
    if (args.background) return relaunchInBackground();
    const logFile = args.logfile;
    const log = logFile
      ? privateLogWriter(logFile, (line) => console.error(`[!] ${line}`))
      : (line: string) => console.log(line);
    const admin = adminFromArgs(args.admin, args["admin-file"], process.env);
    if (admin.warning !== null) console.error(`[!] ${admin.warning}`);
    const mode = args.mode === undefined ? "mixed" : args.mode;
    if (mode !== "mixed" && mode !== "user" && mode !== "seq") {
      throw new Error(`--mode must be user or seq, not "${mode}"`);
    }
    const daemon = await startDaemon({
      dataDir: args.data,
      indexDir: args.index,
      listen: args.listen,
      port: numbers.port,
      ...(args.socket !== undefined ? { socketPath: args.socket } : {}),
      dualnet: args.dualnet,
      mode,
      dataFileBytesMax: numbers.dataFileBytesMax,
      rotateSeconds: numbers.rotateSeconds,
      hook: args.hook ?? null,
      hookRunMsMax: numbers.hookRunMsMax,
      adminPassword: admin.password,
      adminOrigin: admin.origin,
      protect: args.protect,
      maxSizeBytes: numbers.maxSizeBytes,
      sync: args.sync,
      syncTimeSeconds: numbers.syncTimeSeconds,
      log,
    });
    const shutdown = () => {
      daemon.stop().then(
        () => process.exit(0),
        () => process.exit(1),
      );
    };
    process.on("SIGINT", shutdown);
    process.on("SIGTERM", shutdown);
    process.on("uncaughtException", (error) => {
      log(`[-] fatal: ${String(error)}`);
      daemon.engine.hooks.fire("crash", []);
      setTimeout(() => process.exit(1), 100);
    });
  },
});
