/** Child of scripts/bench/zdb.ts: open an engine directory, print open time and RSS as JSON. */
import { join } from "node:path";
import { openEngine } from "../../src/zdb/engine.ts";

const dir = process.argv[2] as string;
const started = performance.now();
const engine = await openEngine({ dataDir: join(dir, "data"), indexDir: join(dir, "index") });
const openMs = performance.now() - started;
Bun.gc(true);
const entries = engine.namespace("default")?.store.entries ?? 0;
console.log(JSON.stringify({ openMs, rssBytes: process.memoryUsage().rss, entries }));
await engine.close();
