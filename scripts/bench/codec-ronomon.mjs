// Comparator for scripts/bench/codec.ts, run under Node (the addon is a Node native module):
// @ronomon/reed-solomon encode and reconstruct (2 data shards lost), one call at a time, best of
// `rounds` timed rounds of `roundMs` each (the same rule as the qss side of the bench); with
// "clock":"cpu" the rate is per second of this process's CPU time (all threads: the addon
// encodes on the libuv pool), else per second of wall-clock time.
//   node scripts/bench/codec-ronomon.mjs '{"shapes":[[4,2]],"shardBytes":1048576,"roundMs":400,"rounds":5}'
// Prints one JSON line per shape: {"k","m","encodeMBps","reconstructMBps"}.
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
const ReedSolomon = require("@ronomon/reed-solomon");
const { shapes, shardBytes, roundMs, rounds, clock } = JSON.parse(process.argv[2] ?? "{}");
const seconds =
  clock === "cpu"
    ? () => {
        const used = process.cpuUsage();
        return (used.user + used.system) / 1e6;
      }
    : () => performance.now() / 1000;

function call(context, sources, targets, data, parity) {
  return new Promise((resolve, reject) => {
    ReedSolomon.encode(
      context,
      sources,
      targets,
      data,
      0,
      data.length,
      parity,
      0,
      parity.length,
      (error) => (error ? reject(error) : resolve()),
    );
  });
}

async function rate(k, run) {
  await run();
  let best = 0;
  for (let round = 0; round < rounds; round++) {
    let calls = 0;
    const start = performance.now();
    const clockStart = seconds();
    while (performance.now() - start < roundMs) {
      await run();
      calls++;
    }
    best = Math.max(best, (calls * k * shardBytes) / 1e6 / (seconds() - clockStart));
  }
  return best;
}

for (const [k, m] of shapes) {
  const context = ReedSolomon.create(k, m);
  const data = require("node:crypto").randomBytes(k * shardBytes);
  const parity = Buffer.alloc(m * shardBytes);
  let allData = 0;
  for (let i = 0; i < k; i++) allData |= 1 << i;
  let allParity = 0;
  for (let i = k; i < k + m; i++) allParity |= 1 << i;
  const encodeMBps = await rate(k, () => call(context, allData, allParity, data, parity));
  const lost = (1 << 0) | (1 << 1);
  let survivors = 0;
  for (let i = 0; i < k + m; i++) if (!(lost & (1 << i))) survivors |= 1 << i;
  const reconstructMBps = await rate(k, () => call(context, survivors, lost, data, parity));
  console.log(JSON.stringify({ k, m, encodeMBps, reconstructMBps }));
}
