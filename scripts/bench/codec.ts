/**
 * Benchmarks of the stor core (issue 5), comparator in the same run:
 * - Reed-Solomon encode / reconstruct (2 data shards lost), 4+2, 10+4, 16+4, 1 MiB shards, one
 *   thread, vs @ronomon/reed-solomon (native addon, run under Node: codec-ronomon.mjs), both
 *   sides in MB per second of the process's CPU time (robust to other jobs on the machine);
 *   the WASM SIMD kernel (target 1.0x) and the TS fallback (reported only, target 0).
 * - BLAKE2b-128 (WASM) vs @noble/hashes blake2b dkLen 16.
 * - AES-256-GCM framed (1 MiB frames) encrypt / decrypt vs raw WebCrypto on one buffer (0.9x),
 *   and vs raw node:crypto on one buffer.
 * - Compression candidates on text (speed vs zstd-1, the default; size ratio in the case name).
 * - Whole pipeline (checksum, compress, encrypt, encode 10+4) of a 256 MiB incompressible
 *   segment on the stor pool (one stripe worker per core plus the hash worker), in a child
 *   process, best of 3 encodes: MB/s (target 600) and peak RSS (target <= 300 MB); then the
 *   same with one stripe worker (reported only).
 *
 *   npx bun scripts/bench/codec.ts [--quick] [--json] [--only rs,checksum,aes,compression,pipeline]
 */
import { spawnSync } from "node:child_process";
import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { type FileHandle, open } from "node:fs/promises";
import { availableParallelism, tmpdir } from "node:os";
import { join } from "node:path";
import * as zlib from "node:zlib";
import { blake2b } from "@noble/hashes/blake2.js";
import { blake2b128 } from "../../src/stor/blake2b-128.ts";
import { type CompressionName, compressFrame } from "../../src/stor/compression.ts";
import { createStorPool, poolExecutor, type StripeExecutor } from "../../src/stor/executor.ts";
import { openFrame, sealFrame } from "../../src/stor/frames.ts";
import type { GfKernel } from "../../src/stor/kernel.ts";
import { tryWasmKernel } from "../../src/stor/kernel-select.ts";
import { tsKernel } from "../../src/stor/kernel-ts.ts";
import { deriveKeyring, type Keyring, parseMasterSecret } from "../../src/stor/keyring.ts";
import { decodeObject } from "../../src/stor/object-decode.ts";
import { encodeObject } from "../../src/stor/object-encode.ts";
import { createReedSolomon } from "../../src/stor/reed-solomon.ts";
import { type ByteSource, openFileSource, type ShardSource } from "../../src/stor/sources.ts";
import { type BenchRow, printRows } from "./report.ts";

const MiB = 1024 * 1024;
const bench = "codec";
const args = process.argv.slice(2);
const quick = args.includes("--quick");
const json = args.includes("--json");
const shapes = [
  [4, 2],
  [10, 4],
  [16, 4],
] as const;
const roundMs = quick ? 80 : 400;
const rounds = quick ? 3 : 5;
/** Encodes of the pipeline segment per child; the best counts (the machine is shared). */
const encodeRuns = quick ? 2 : 3;

/** Seconds of wall-clock time, or of CPU time used by this whole process (all its threads). */
type Clock = () => number;
const wallSeconds: Clock = () => performance.now() / 1000;
const cpuSeconds: Clock = () => {
  const used = process.cpuUsage();
  return (used.user + used.system) / 1e6;
};

/**
 * Best of `rounds` timed rounds (a shared machine is noisy; warm-up excluded): MB of `bytes`
 * per call, per second of `clock`. Single-thread cases use the CPU clock: what one core does
 * when it runs the code, without the time other jobs on the machine take the core away.
 */
async function rate(
  bytesPerCall: number,
  call: () => unknown | Promise<unknown>,
  clock: Clock = wallSeconds,
): Promise<number> {
  await call();
  let best = 0;
  for (let round = 0; round < rounds; round++) {
    let calls = 0;
    const start = performance.now();
    const clockStart = clock();
    while (performance.now() - start < roundMs) {
      await call();
      calls++;
    }
    best = Math.max(best, (calls * bytesPerCall) / 1e6 / (clock() - clockStart));
  }
  return best;
}

function row(
  name: string,
  unit: string,
  qss: number,
  comparator: number,
  ref: string,
  target: number,
  higherIsBetter = true,
): BenchRow {
  const ratio = higherIsBetter ? qss / comparator : comparator / qss;
  return { bench, case: name, unit, qss, comparator, ref, ratio, target };
}

function ronomon(
  shapeList: readonly (readonly [number, number])[],
): Map<string, { encodeMBps: number; reconstructMBps: number }> {
  const script = new URL("./codec-ronomon.mjs", import.meta.url).pathname;
  const input = JSON.stringify({
    shapes: shapeList,
    shardBytes: MiB,
    roundMs,
    rounds,
    clock: "cpu",
  });
  const run = spawnSync("node", [script, input], { encoding: "utf8", timeout: 300_000 });
  if (run.status !== 0)
    throw new Error(
      `Cannot run the @ronomon/reed-solomon comparator under node: ${run.stderr || run.error}`,
    );
  const results = new Map();
  for (const line of run.stdout.trim().split("\n")) {
    const result = JSON.parse(line);
    results.set(`${result.k}+${result.m}`, result);
  }
  return results;
}

/**
 * Each shape's comparator runs right before qss's rounds of that shape, so both sides see about
 * the same load on this shared machine.
 */
async function reedSolomonRows(): Promise<BenchRow[]> {
  const comparator = new Map<string, { encodeMBps: number; reconstructMBps: number }>();
  const wasm = tryWasmKernel();
  if (!wasm) throw new Error("the WASM SIMD kernel is unavailable on this runtime");
  const rows: BenchRow[] = [];
  for (const kernel of [wasm, tsKernel] as GfKernel[]) {
    const target = kernel === wasm ? 1 : 0;
    for (const [k, m] of shapes) {
      const rs = createReedSolomon({ dataShards: k, parityShards: m, kernel });
      // Shards in the codec's own buffer (as the stripe pipeline uses it): coded in place.
      const shards = rs.allocateShards(MiB);
      for (const shard of shards) shard.set(randomBytes(MiB));
      if (!comparator.has(`${k}+${m}`)) {
        for (const [shape, result] of ronomon([[k, m]])) comparator.set(shape, result);
      }
      const ref = comparator.get(`${k}+${m}`) as { encodeMBps: number; reconstructMBps: number };
      const encode = await rate(k * MiB, () => rs.encode(shards), cpuSeconds);
      const reconstruct = await rate(
        k * MiB,
        () => {
          const damaged: (Uint8Array | null)[] = shards.slice();
          damaged[0] = null;
          damaged[1] = null;
          rs.reconstruct(damaged);
        },
        cpuSeconds,
      );
      rows.push(
        row(
          `rs encode ${k}+${m}x1M ${kernel.name}`,
          "MB/cpu-s",
          encode,
          ref.encodeMBps,
          "@ronomon/reed-solomon",
          target,
        ),
      );
      rows.push(
        row(
          `rs reconstruct-2 ${k}+${m}x1M ${kernel.name}`,
          "MB/cpu-s",
          reconstruct,
          ref.reconstructMBps,
          "@ronomon/reed-solomon",
          target,
        ),
      );
    }
  }
  return rows;
}

async function checksumRows(): Promise<BenchRow[]> {
  const data = new Uint8Array(randomBytes(16 * MiB));
  const ours = await rate(data.length, () => blake2b128(data));
  const noble = await rate(data.length, () => blake2b(data, { dkLen: 16 }));
  return [row("blake2b-128 16M", "MB/s", ours, noble, "@noble/hashes blake2b", 1)];
}

async function aesRows(): Promise<BenchRow[]> {
  const total = (quick ? 16 : 64) * MiB;
  const data = new Uint8Array(randomBytes(total));
  const key = new Uint8Array(randomBytes(32));
  const context = { objectId: new Uint8Array(16), frameKey: key };
  const frames = total / MiB;
  const sealAll = () =>
    Array.from({ length: frames }, (_, i) =>
      sealFrame(context, "none", data.subarray(i * MiB, (i + 1) * MiB), i, i === frames - 1),
    );
  const sealed = sealAll();
  const openAll = () =>
    sealed.map((frame, i) => openFrame(context, frame.subarray(4), i, i === frames - 1, MiB));
  const cryptoKey = await crypto.subtle.importKey("raw", key, "AES-GCM", false, [
    "encrypt",
    "decrypt",
  ]);
  const iv = new Uint8Array(12);
  const webSealed = await crypto.subtle.encrypt({ name: "AES-GCM", iv }, cryptoKey, data);
  const webEncrypt = await rate(total, () =>
    crypto.subtle.encrypt({ name: "AES-GCM", iv }, cryptoKey, data),
  );
  const webDecrypt = await rate(total, () =>
    crypto.subtle.decrypt({ name: "AES-GCM", iv }, cryptoKey, webSealed),
  );
  const nodeEncrypt = await rate(total, () => {
    const cipher = createCipheriv("aes-256-gcm", key, iv);
    cipher.update(data);
    cipher.final();
    return cipher.getAuthTag();
  });
  const ours = await rate(total, sealAll);
  const oursOpen = await rate(total, openAll);
  const nodeSealed = (() => {
    const cipher = createCipheriv("aes-256-gcm", key, iv);
    const out = Buffer.concat([cipher.update(data), cipher.final()]);
    return { out, tag: cipher.getAuthTag() };
  })();
  const nodeDecrypt = await rate(total, () => {
    const decipher = createDecipheriv("aes-256-gcm", key, iv);
    decipher.setAuthTag(nodeSealed.tag);
    decipher.update(nodeSealed.out);
    decipher.final();
  });
  const size = `${total / MiB}M`;
  return [
    row(
      `aes-256-gcm framed encrypt ${size}`,
      "MB/s",
      ours,
      webEncrypt,
      "WebCrypto one buffer",
      0.9,
    ),
    row(
      `aes-256-gcm framed decrypt ${size}`,
      "MB/s",
      oursOpen,
      webDecrypt,
      "WebCrypto one buffer",
      0.9,
    ),
    row(
      `aes-256-gcm framed encrypt ${size}`,
      "MB/s",
      ours,
      nodeEncrypt,
      "node:crypto one buffer", // informational: the bar is against WebCrypto
      0,
    ),
    row(
      `aes-256-gcm framed decrypt ${size}`,
      "MB/s",
      oursOpen,
      nodeDecrypt,
      "node:crypto one buffer", // informational: the bar is against WebCrypto
      0,
    ),
  ];
}

/** Text-like input without long-range repeats: the JavaScript of the installed packages. */
function textCorpus(bytes: number): Uint8Array {
  const glob = new Bun.Glob("node_modules/**/*.js");
  const root = new URL("../../", import.meta.url).pathname;
  const parts = [...glob.scanSync({ cwd: root })].map((file) => readFileSync(join(root, file)));
  const source = Buffer.concat(parts);
  const out = new Uint8Array(bytes);
  for (let offset = 0; offset < bytes; offset += source.length)
    out.set(source.subarray(0, Math.min(source.length, bytes - offset)), offset);
  return out;
}

async function compressionRows(): Promise<BenchRow[]> {
  const text = textCorpus(8 * MiB);
  const frames = Array.from({ length: 8 }, (_, i) => text.subarray(i * MiB, (i + 1) * MiB));
  const candidates: [string, (frame: Uint8Array) => Uint8Array][] = [
    ["zstd-1", (f) => compressFrame("zstd", f).bytes],
    [
      "zstd-3",
      (f) => zlib.zstdCompressSync(f, { params: { [zlib.constants.ZSTD_c_compressionLevel]: 3 } }),
    ],
    ["deflate-1", (f) => compressFrame("deflate", f).bytes],
    ["brotli-1", (f) => compressFrame("brotli", f).bytes],
  ];
  const measured = [];
  for (const [name, compress] of candidates) {
    const speed = await rate(text.length, () => frames.map(compress));
    const size = frames.reduce((sum, frame) => sum + compress(frame).length, 0) / text.length;
    measured.push({ name, speed, size });
  }
  const base = measured[0] as { speed: number };
  const incompressible = new Uint8Array(randomBytes(8 * MiB));
  const rawFrames = Array.from({ length: 8 }, (_, i) =>
    incompressible.subarray(i * MiB, (i + 1) * MiB),
  );
  const detect = await rate(incompressible.length, () =>
    rawFrames.map((f) => compressFrame("zstd" as CompressionName, f)),
  );
  return [
    ...measured.map((m) =>
      row(
        `compress text ${m.name} (size ${m.size.toFixed(3)})`,
        "MB/s",
        m.speed,
        base.speed,
        "zstd-1",
        0,
      ),
    ),
    row(
      "compress random zstd-1 (sampled, stored raw)",
      "MB/s",
      detect,
      base.speed,
      "zstd-1 on text",
      0,
    ),
  ];
}

/** Encode again into shard files (not timed), then time decoding it with 2 data shards lost. */
async function decodeFromFiles(
  dir: string,
  source: ByteSource,
  executor: StripeExecutor,
  keyring: Keyring,
): Promise<number> {
  const files = await Promise.all(
    Array.from({ length: 14 }, (_, i) => open(join(dir, `shard-${i}`), "w+")),
  );
  try {
    const manifest = await encodeObject(
      source,
      { keyring, dataShards: 10, parityShards: 4, executor },
      async (i, bytes) => {
        await (files[i] as FileHandle).write(bytes);
      },
    );
    const opened = await Promise.all(files.map((_, i) => openFileSource(join(dir, `shard-${i}`))));
    const sources: (ShardSource | null)[] = opened.slice();
    sources[0] = null;
    sources[1] = null;
    const start = performance.now();
    let bytes = 0;
    for await (const piece of decodeObject(manifest, sources, { keys: { keyring }, executor })) {
      bytes += piece.length;
    }
    const seconds = (performance.now() - start) / 1000;
    await Promise.all(opened.map((shard) => shard.close()));
    return bytes / 1e6 / seconds;
  } finally {
    await Promise.all(files.map((file) => file.close()));
  }
}

/** CPU seconds used so far by each thread of this process (Linux /proc, 10 ms ticks). */
function threadCpuSeconds(): Map<string, number> {
  const seconds = new Map<string, number>();
  for (const thread of readdirSync("/proc/self/task")) {
    try {
      const stat = readFileSync(`/proc/self/task/${thread}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      seconds.set(thread, (Number(fields[11]) + Number(fields[12])) / 100); // utime + stime
    } catch {
      // the thread ended meanwhile
    }
  }
  return seconds;
}

/**
 * What the run would reach with every core to itself: the bytes over the larger of the busiest
 * thread's CPU time (the hash worker: hashing is sequential) and all threads' CPU time spread
 * over the cores. Information only; the target is judged on the measured wall-clock rate.
 */
function idleProjectionMBps(bytes: number, before: Map<string, number>): number {
  const used = [...threadCpuSeconds()].map(([thread, cpu]) => cpu - (before.get(thread) ?? 0));
  const busiest = Math.max(...used);
  const spread = used.reduce((sum, cpu) => sum + cpu, 0) / availableParallelism();
  return bytes / 1e6 / Math.max(busiest, spread);
}

/**
 * Child process: encode one segment on the pool `encodeRuns` times (best run counts), then
 * decode it once; print {mbps, rssPeakMB, decodeMBps, workers}.
 */
async function pipelineChild(segmentBytes: number, workers: number): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "qss-bench-"));
  try {
    const path = join(dir, "segment");
    const chunk = new Uint8Array(randomBytes(8 * MiB));
    const writer = Bun.file(path).writer();
    for (let offset = 0; offset < segmentBytes; offset += chunk.length) {
      chunk[0] = offset & 255;
      writer.write(chunk);
    }
    await writer.end();
    const keyring = deriveKeyring(parseMasterSecret("5a".repeat(32)));
    const pool = createStorPool({ size: workers });
    const executor = poolExecutor(pool);
    const source = await openFileSource(path);
    let best = 0;
    let projected = 0;
    for (let run = 0; run < encodeRuns; run++) {
      const [start, cpuBefore] = [performance.now(), threadCpuSeconds()];
      await encodeObject(
        source,
        { keyring, dataShards: 10, parityShards: 4, executor },
        async () => {},
      );
      best = Math.max(best, segmentBytes / 1e6 / ((performance.now() - start) / 1000));
      projected = Math.max(projected, idleProjectionMBps(segmentBytes, cpuBefore));
    }
    const status = readFileSync("/proc/self/status", "utf8");
    const rssPeakKB = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0);
    const decodeMBps = await decodeFromFiles(dir, source, executor, keyring);
    await source.close();
    pool.close();
    console.log(
      JSON.stringify({
        mbps: best,
        projectedMBps: projected,
        rssPeakMB: rssPeakKB / 1024,
        decodeMBps,
        workers: pool.size,
      }),
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The default pool (one stripe worker per core, plus the hash worker), then one stripe worker. */
function pipelineRows(): BenchRow[] {
  const segmentMiB = quick ? 64 : 256;
  const rows: BenchRow[] = [];
  for (const workers of [availableParallelism(), 1]) {
    const script = new URL(import.meta.url).pathname;
    const child = [script, "--pipeline-child", String(segmentMiB), String(workers)];
    const run = spawnSync(process.execPath, child, { encoding: "utf8", timeout: 600_000 });
    if (run.status !== 0) throw new Error(`pipeline child failed: ${run.stderr}`);
    const result = JSON.parse(run.stdout.trim().split("\n").pop() as string);
    const isDefault = workers === availableParallelism();
    const name = `pipeline encode ${segmentMiB}M random 10+4 pool=${result.workers}`;
    const decodeName = `pipeline decode ${segmentMiB}M random 10+4 2 lost pool=${result.workers}`;
    rows.push(
      row(name, "MB/s", result.mbps, 600, "target 600 MB/s", isDefault ? 1 : 0),
      row(`${name} idle-core projection`, "MB/s", result.projectedMBps, 600, "info", 0),
      row(decodeName, "MB/s", result.decodeMBps, 600, "encode target (info)", 0),
      row(
        `${name} peak RSS`,
        "MB",
        result.rssPeakMB,
        300,
        "limit 300 MB",
        isDefault ? 1 : 0,
        false,
      ),
    );
  }
  return rows;
}

async function main(): Promise<void> {
  if (args[0] === "--pipeline-child") {
    return pipelineChild(Number(args[1]) * MiB, Number(args[2]));
  }
  const kernel = tryWasmKernel()?.name ?? "ts";
  if (!json)
    console.log(
      `kernel: ${kernel}; ${quick ? "quick" : "full"} run, best of ${rounds} rounds of ${roundMs} ms`,
    );
  const sections: [string, () => BenchRow[] | Promise<BenchRow[]>][] = [
    ["rs", reedSolomonRows],
    ["checksum", checksumRows],
    ["aes", aesRows],
    ["compression", compressionRows],
    ["pipeline", pipelineRows],
  ];
  const only = args.includes("--only") ? args[args.indexOf("--only") + 1]?.split(",") : undefined;
  const rows: BenchRow[] = [];
  for (const [name, section] of sections) {
    if (!only || only.includes(name)) rows.push(...(await section()));
  }
  printRows(rows, json);
}

await main();
