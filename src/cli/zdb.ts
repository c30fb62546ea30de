import { spawn } from "node:child_process";
import { defineCommand } from "citty";
import { startDaemon } from "../zdb/daemon.ts";
import { hookRunMsMaxDefault } from "../zdb/limits.ts";
import {
  adminEnvVariable,
  adminFromArgs,
  privateLogWriter,
  withoutAdminArgument,
} from "./zdb-admin.ts";

/** Parse sizes like 524288, 512K, 256M, 4G. */
function parseSize(text: string, flag: string): number {
  const match = /^(\d+)([kKmMgG]?)$/.exec(text.trim());
  if (!match) throw new Error(`${flag}: cannot parse size "${text}"`);
  const units: Record<string, number> = { "": 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 };
  return Number(match[1]) * (units[(match[2] as string).toLowerCase()] as number);
}

/** A whole number of seconds, at least 1. */
function parseSeconds(text: string, flag: string): number {
  const match = /^\d{1,7}$/.exec(text.trim());
  const seconds = match ? Number(match[0]) : 0;
  if (seconds < 1) throw new Error(`${flag}: expected a whole number of seconds, not "${text}"`);
  return seconds;
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
      port: Number.parseInt(args.port, 10),
      ...(args.socket !== undefined ? { socketPath: args.socket } : {}),
      dualnet: args.dualnet,
      mode,
      dataFileBytesMax: parseSize(args.datasize, "--datasize"),
      rotateSeconds: Number.parseInt(args.rotate, 10) || 0,
      hook: args.hook ?? null,
      hookRunMsMax: parseSeconds(args["hook-timeout"], "--hook-timeout") * 1000,
      adminPassword: admin.password,
      adminOrigin: admin.origin,
      protect: args.protect,
      maxSizeBytes: parseSize(args.maxsize, "--maxsize"),
      sync: args.sync,
      syncTimeSeconds: Number.parseInt(args.synctime, 10) || 0,
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
