/**
 * Benchmark `qss zdb` against Debian's redis-server (appendonly off) with redis-benchmark, in the
 * same run: SET and GET, 50 clients, 4 KiB and 128 KiB values, with and without `-P 16`.
 * Also: start-up time and RSS of a namespace with 1,000,000 user-mode keys.
 *
 *   npx bun scripts/bench/zdb.ts [--quick] [--json] [--only <text>] [--rounds <n>]
 *
 * `--only` keeps the cases whose name contains the text (and skips the 1M-key start-up part);
 * `--rounds` overrides how many alternating runs per case count (best of them is kept).
 *
 * Ratios are qss / redis-server (higher is better). Targets (issue 3): 4 KiB ops/s >= 0.5,
 * 128 KiB MB/s >= 0.8, RSS with 1M keys <= 200 MB.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openEngine } from "../../src/zdb/engine.ts";
import { type BenchRow, printRows } from "./report.ts";

const quick = process.argv.includes("--quick");
const json = process.argv.includes("--json");
const repoRoot = new URL("../../", import.meta.url).pathname;
const clients = 50;
/** Each case runs this many times, alternating servers; the best run of each counts (the
 * machine is shared, so the best run is the least disturbed one). */
function option(name: string): string | undefined {
  const at = process.argv.indexOf(name);
  return at >= 0 ? process.argv[at + 1] : undefined;
}
const only = option("--only");
const rounds = Number(option("--rounds") ?? (quick ? 1 : 3));
const rows: BenchRow[] = [];

interface Case {
  name: string;
  command: "set" | "get";
  valueBytes: number;
  pipeline: number;
  requests: number;
}

function cases(): Case[] {
  const list: Case[] = [];
  for (const valueBytes of [4096, 131072]) {
    for (const pipeline of [1, 16]) {
      for (const command of ["set", "get"] as const) {
        const full = valueBytes === 4096 ? 50_000 : 3_000;
        list.push({
          name: `${command} ${valueBytes / 1024}KiB c${clients} P${pipeline}`,
          command,
          valueBytes,
          pipeline,
          requests: quick ? Math.floor(full / 8) : full,
        });
      }
    }
  }
  return only === undefined ? list : list.filter((c) => c.name.includes(only));
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function waitForPort(port: number): Promise<void> {
  for (let attempt = 0; attempt < 100; attempt++) {
    const probe = Bun.spawnSync(["redis-cli", "-p", String(port), "PING"], { stdout: "pipe" });
    if (probe.stdout.toString().includes("PONG")) return;
    await sleep(100);
  }
  throw new Error(`server on port ${port} did not start`);
}

async function redisBenchmark(port: number, args: string[]): Promise<number> {
  const child = Bun.spawn(
    ["redis-benchmark", "-h", "127.0.0.1", "-p", String(port), "--csv", ...args],
    { stdout: "pipe", stderr: "pipe" },
  );
  const output = await new Response(child.stdout).text();
  await child.exited;
  const line = output
    .trim()
    .split("\n")
    .find((row) => /^"(SET|GET)"/.test(row));
  if (!line) throw new Error(`redis-benchmark printed no result: ${output}`);
  return Number((line.split(",")[1] as string).replaceAll('"', ""));
}

/** ops/s of one case against one server. */
async function runCase(port: number, c: Case): Promise<number> {
  const common = ["-c", String(clients), "-d", String(c.valueBytes), "-P", String(c.pipeline)];
  if (c.command === "set") {
    return redisBenchmark(port, [
      "-t",
      "set",
      "-r",
      "100000000",
      "-n",
      String(c.requests),
      ...common,
    ]);
  }
  // GET reads one key preloaded at the right size (both servers alike).
  await redisBenchmark(port, ["-t", "set", "-n", "1", "-c", "1", "-d", String(c.valueBytes)]);
  return redisBenchmark(port, ["-t", "get", "-n", String(c.requests), ...common]);
}

interface Server {
  name: string;
  port: number;
  stop: () => Promise<void>;
}

async function startQss(dir: string, port: number): Promise<Server> {
  const child = Bun.spawn(
    [
      process.execPath,
      join(repoRoot, "src/cli/main.ts"),
      "zdb",
      "--data",
      join(dir, "data"),
      "--index",
      join(dir, "index"),
      "--listen",
      "127.0.0.1",
      "--port",
      String(port),
    ],
    // The admin password through the environment, as operators should pass it.
    { stdout: "ignore", stderr: "inherit", env: { ...process.env, QSS_ZDB_ADMIN: "bench" } },
  );
  await waitForPort(port);
  return {
    name: "qss zdb",
    port,
    stop: async () => {
      child.kill("SIGTERM");
      await child.exited;
    },
  };
}

async function startRedis(dir: string, port: number): Promise<Server> {
  const child = Bun.spawn(
    [
      "redis-server",
      "--port",
      String(port),
      "--bind",
      "127.0.0.1",
      "--appendonly",
      "no",
      "--save",
      "",
      "--dir",
      dir,
    ],
    { stdout: "ignore", stderr: "inherit" },
  );
  await waitForPort(port);
  return {
    name: "redis-server",
    port,
    stop: async () => {
      child.kill("SIGTERM");
      await child.exited;
    },
  };
}

function report(row: {
  case: string;
  unit: string;
  qss: number;
  comparator: number;
  target: number;
}): void {
  const ratio = row.comparator > 0 ? row.qss / row.comparator : 0;
  rows.push({
    bench: "zdb",
    case: row.case,
    unit: row.unit,
    qss: Math.round(row.qss * 100) / 100,
    comparator: Math.round(row.comparator * 100) / 100,
    ref: "redis-server",
    ratio: Math.round(ratio * 1000) / 1000,
    target: row.target,
  });
}

async function throughput(): Promise<void> {
  const qssDir = mkdtempSync(join(tmpdir(), "qss-bench-zdb-"));
  const redisDir = mkdtempSync(join(tmpdir(), "qss-bench-redis-"));
  const qss = await startQss(qssDir, 19_931);
  const redis = await startRedis(redisDir, 19_932);
  try {
    // Warm-up (not measured): the JIT of qss and the caches of both servers.
    for (const server of [qss, redis]) {
      for (const size of ["4096", "131072"]) {
        await redisBenchmark(server.port, ["-t", "set,get", "-n", "3000", "-c", "50", "-d", size]);
      }
    }
    for (const c of cases()) {
      let qssOps = 0;
      let redisOps = 0;
      for (let round = 0; round < rounds; round++) {
        qssOps = Math.max(qssOps, await runCase(qss.port, c));
        redisOps = Math.max(redisOps, await runCase(redis.port, c));
      }
      const big = c.valueBytes > 4096;
      const toUnit = (ops: number) => (big ? (ops * c.valueBytes) / (1024 * 1024) : ops);
      report({
        case: c.name,
        unit: big ? "MB/s" : "ops/s",
        qss: toUnit(qssOps),
        comparator: toUnit(redisOps),
        target: big ? 0.8 : 0.5,
      });
    }
  } finally {
    await qss.stop();
    await redis.stop();
    rmSync(qssDir, { recursive: true, force: true });
    rmSync(redisDir, { recursive: true, force: true });
  }
}

/** Fill a namespace with user-mode keys, then measure a fresh process opening it. */
async function startup(): Promise<void> {
  const keys = quick ? 200_000 : 1_000_000;
  const dir = mkdtempSync(join(tmpdir(), "qss-bench-zdb-keys-"));
  try {
    const engine = await openEngine({ dataDir: join(dir, "data"), indexDir: join(dir, "index") });
    const ns = engine.namespace("default");
    if (!ns) throw new Error("default namespace missing");
    const value = new Uint8Array(32);
    const encoder = new TextEncoder();
    for (let i = 0; i < keys; i++) ns.setNow(encoder.encode(`key-${i}`), value);
    await engine.close();
    const child = Bun.spawn([process.execPath, join(repoRoot, "scripts/bench/zdb-open.ts"), dir], {
      stdout: "pipe",
      stderr: "inherit",
    });
    const result = JSON.parse(await new Response(child.stdout).text()) as {
      openMs: number;
      rssBytes: number;
      entries: number;
    };
    await child.exited;
    if (result.entries !== keys) throw new Error(`reopened ${result.entries} of ${keys} keys`);
    const label = `${keys / 1000}k user keys`;
    rows.push({
      bench: "zdb",
      case: `open ${label}`,
      unit: "ms",
      qss: Math.round(result.openMs),
      comparator: 3000,
      ref: "target 3 s",
      ratio: Math.round((3000 / result.openMs) * 100) / 100,
      target: 1,
    });
    rows.push({
      bench: "zdb",
      case: `rss ${label}`,
      unit: "MB",
      qss: Math.round(result.rssBytes / 1e6),
      comparator: 200,
      ref: "target 200 MB",
      ratio: Math.round((200e6 / result.rssBytes) * 100) / 100,
      target: 1,
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (!json)
  console.log(
    `zdb benchmark${quick ? " (quick)" : ""}: qss zdb vs redis-server, redis-benchmark -c ${clients}`,
  );
await throughput();
if (only === undefined) await startup();
printRows(rows, json);
