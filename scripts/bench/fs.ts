/**
 * The qss filesystem against a plain directory of the local disk, in one run.
 *
 *   npx bun scripts/bench/fs.ts [--quick] [--json] [--keep]
 *
 * fio (psync, one job, best of 2): sequential 1 MiB write (end_fsync=1) and read, random 4 KiB
 * write and read; then metadata from a shell (create, `ls -l`, delete 10,000 files) and an untar of
 * /usr/include followed by `diff -r`. The page cache is dropped before every read job. Ratios
 * are oriented so that higher is better for qss; peak RSS of the qss process is reported too.
 */
import { rmSync } from "node:fs";
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { peakRssBytes, startQssMount } from "../lib/qss-process.ts";
import { type BenchRow, printRows } from "./report.ts";

const { values } = parseArgs({
  options: { quick: { type: "boolean" }, json: { type: "boolean" }, keep: { type: "boolean" } },
});
const quick = values.quick === true;
const sequentialSize = quick ? "256m" : "2g";
const randomSize = quick ? "16m" : "64m";
const metadataFiles = quick ? 2_000 : 10_000;

interface FioJob {
  name: string;
  rw: "write" | "read" | "randwrite" | "randread";
  blockSize: string;
  size: string;
  unit: "MB/s" | "IOPS";
  target: number;
}

const fioJobs: FioJob[] = [
  {
    name: "seq-write-1M",
    rw: "write",
    blockSize: "1m",
    size: sequentialSize,
    unit: "MB/s",
    target: 0.6,
  },
  {
    name: "seq-read-1M",
    rw: "read",
    blockSize: "1m",
    size: sequentialSize,
    unit: "MB/s",
    target: 0.6,
  },
  {
    name: "rand-write-4k",
    rw: "randwrite",
    blockSize: "4k",
    size: randomSize,
    unit: "IOPS",
    target: 0.12,
  },
  {
    name: "rand-read-4k",
    rw: "randread",
    blockSize: "4k",
    size: randomSize,
    unit: "IOPS",
    target: 0.4,
  },
];

function dropCaches(): void {
  Bun.spawnSync(["sync"]);
  Bun.spawnSync(["sh", "-c", "echo 3 > /proc/sys/vm/drop_caches"]);
}

/**
 * Best of `fioRepeats` runs: on this shared VM a single run moves by 2x or more, the plain
 * disk's as much as qss's (the first cold read after a large write, whoever does it, costs up
 * to 4x the CPU of the next one). Write jobs start from a fresh file each time.
 */
const fioRepeats = 2;

function runFio(directory: string, job: FioJob): number {
  let best = 0;
  for (let run = 0; run < fioRepeats; run++) best = Math.max(best, runFioOnce(directory, job));
  return best;
}

function runFioOnce(directory: string, job: FioJob): number {
  if (job.rw === "write" || job.rw === "randwrite") {
    rmSync(join(directory, `bench-${job.blockSize}`), { force: true });
  }
  if (job.rw === "read" || job.rw === "randread") dropCaches();
  const args = [
    "fio",
    `--name=${job.name}`,
    `--directory=${directory}`,
    `--filename=bench-${job.blockSize}`,
    "--ioengine=psync",
    "--numjobs=1",
    `--rw=${job.rw}`,
    `--bs=${job.blockSize}`,
    `--size=${job.size}`,
    "--output-format=json",
    ...(job.rw === "write" || job.rw === "randwrite" ? ["--end_fsync=1"] : []),
    ...(job.rw === "randwrite" ? ["--fsync_on_close=1"] : []),
  ];
  const result = Bun.spawnSync(args, { stdout: "pipe", stderr: "pipe" });
  if (!result.success)
    throw new Error(`fio ${job.name} in ${directory} failed: ${result.stderr.toString()}`);
  const report = JSON.parse(result.stdout.toString());
  const side = job.rw.includes("write") ? report.jobs[0].write : report.jobs[0].read;
  return job.unit === "IOPS" ? side.iops : side.bw_bytes / 1e6;
}

function timeShell(directory: string, script: string): number {
  const start = performance.now();
  const result = Bun.spawnSync(["bash", "-c", script], {
    cwd: directory,
    stdout: "ignore",
    stderr: "pipe",
  });
  const seconds = (performance.now() - start) / 1000;
  if (!result.success)
    throw new Error(`${script} in ${directory} failed: ${result.stderr.toString()}`);
  return seconds;
}

function shellCases(directory: string): Record<string, number> {
  // In the bench's own work directory, so it goes with it. Made again before each side: that
  // also reads /usr/include, so both sides' `diff -r` start from the same warm page cache.
  const tarball = join(work, "include.tar");
  Bun.spawnSync(["tar", "-cf", tarball, "-C", "/usr", "include"]);
  const times = {
    "create-files": timeShell(
      directory,
      `mkdir meta && cd meta && for i in $(seq 1 ${metadataFiles}); do : > f$i; done`,
    ),
    "ls-l": timeShell(directory, "ls -l meta > /dev/null"),
    "delete-files": timeShell(
      directory,
      `cd meta && for i in $(seq 1 ${metadataFiles}); do rm f$i; done`,
    ),
    "untar-diff": timeShell(
      directory,
      `mkdir u && tar -xf ${tarball} -C u && diff -r /usr/include u/include`,
    ),
  };
  return times;
}

async function runAll(directory: string): Promise<Record<string, number>> {
  const figures: Record<string, number> = {};
  for (const job of fioJobs) figures[job.name] = runFio(directory, job);
  Object.assign(figures, shellCases(directory));
  return figures;
}

const work = await mkdtemp(join(tmpdir(), "qss-bench-fs-"));
const plainDir = join(work, "plain");
const mountpoint = join(work, "mnt");
const stateDir = join(work, "state");
await Promise.all([mkdir(plainDir), mkdir(mountpoint), mkdir(stateDir)]);
try {
  const plain = await runAll(plainDir);
  const mount = await startQssMount(mountpoint, ["--state", stateDir]);
  let qss: Record<string, number>;
  let rssBytes = 0;
  try {
    qss = await runAll(mountpoint);
    rssBytes = peakRssBytes(mount.process.pid);
  } finally {
    await mount.stop();
  }
  const rows: BenchRow[] = [];
  for (const job of fioJobs) {
    const value = qss[job.name] ?? 0;
    const comparator = plain[job.name] ?? 0;
    rows.push({
      bench: "fs",
      case: job.name,
      unit: job.unit,
      qss: value,
      comparator,
      ref: "plain disk",
      ratio: value / comparator,
      target: job.target,
    });
  }
  for (const name of ["create-files", "ls-l", "delete-files", "untar-diff"]) {
    const value = qss[name] ?? 0;
    const comparator = plain[name] ?? 0;
    // Times: the ratio is plain/qss so higher is better; "≤ 3× the plain time" is a ratio of 1/3.
    // The issue sets that bar for creating files and the untar; ls -l and delete have none (0).
    rows.push({
      bench: "fs",
      case: name,
      unit: "s",
      qss: value,
      comparator,
      ref: "plain disk",
      ratio: comparator / value,
      target: name === "create-files" || name === "untar-diff" ? 1 / 3 : 0,
    });
  }
  rows.push({
    bench: "fs",
    case: "peak-rss",
    unit: "MB",
    qss: rssBytes / 1e6,
    comparator: 400,
    ref: "target",
    ratio: 400 / (rssBytes / 1e6),
    target: 1,
  });
  printRows(rows, values.json === true);
} finally {
  if (values.keep !== true) await rm(work, { recursive: true, force: true });
}
