/**
 * FUSE protocol benchmark: `qss mount --memory` against Debian's bindfs (C, libfuse) mirroring
 * a tmpfs, in the same run, with fio: sequential write/read with 1 MiB blocks, random 4 KiB
 * read/write, and a metadata run (create, stat, delete N files). Runs alternate qss and bindfs
 * per case and keep each side's best round (the machine is shared; best-of is the least noisy).
 *
 *   npx bun scripts/bench/fuse.ts [--quick] [--json] [--read-mode poll|workers] [--rounds N]
 *
 * Needs root, fio and bindfs (`.ci/apt-packages.txt`).
 */
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sysUmount2, UmountFlags } from "../../src/platform/libc.ts";

const args = process.argv.slice(2);
const quick = args.includes("--quick");
const json = args.includes("--json");
const optionValue = (name: string, fallback: string): string => {
  const at = args.indexOf(name);
  return at >= 0 && args[at + 1] !== undefined ? (args[at + 1] as string) : fallback;
};
const readMode = optionValue("--read-mode", "poll");
/** Empty: the mount's own default. */
const spinMs = optionValue("--spin-ms", "");
const cloneDevice = args.includes("--clone-device") ? ["--clone-device"] : [];
const rounds = Number(optionValue("--rounds", quick ? "1" : "3"));
const repoRoot = new URL("../../", import.meta.url).pathname;

const seqSize = quick ? "256M" : "1G";
const randSize = quick ? "128M" : "256M";
const randSeconds = quick ? 2 : 5;
const metaFiles = quick ? 2000 : 10_000;

interface Case {
  name: string;
  unit: string;
  target: number;
  /** Runs the case in `dir`; returns the figure (higher = better). */
  run(dir: string): number;
}

function fio(dir: string, fioArgs: string[]): { read: FioSide; write: FioSide } {
  const result = Bun.spawnSync(
    ["fio", "--name=bench", `--directory=${dir}`, "--output-format=json", ...fioArgs],
    { cwd: dir, stdout: "pipe", stderr: "pipe" },
  );
  if (result.exitCode !== 0) throw new Error(`fio failed: ${result.stderr.toString()}`);
  const parsed = JSON.parse(result.stdout.toString()) as {
    jobs: { read: FioSide; write: FioSide }[];
  };
  const job = parsed.jobs[0];
  if (job === undefined) throw new Error("fio printed no job");
  return job;
}

interface FioSide {
  bw_bytes: number;
  iops: number;
}

const MBps = (bytes: number): number => bytes / 1e6;

const cases: Case[] = [
  {
    name: `seq write 1M (${seqSize})`,
    unit: "MB/s",
    target: 1.0,
    run: (dir) =>
      MBps(
        fio(dir, ["--rw=write", "--bs=1M", `--size=${seqSize}`, "--ioengine=psync"]).write.bw_bytes,
      ),
  },
  {
    name: `seq read 1M (${seqSize})`,
    unit: "MB/s",
    target: 1.0,
    run: (dir) =>
      MBps(
        fio(dir, ["--rw=read", "--bs=1M", `--size=${seqSize}`, "--ioengine=psync"]).read.bw_bytes,
      ),
  },
  {
    name: "rand read 4k",
    unit: "IOPS",
    target: 0.7,
    run: (dir) =>
      fio(dir, [
        "--rw=randread",
        "--bs=4k",
        `--size=${randSize}`,
        `--runtime=${randSeconds}`,
        "--time_based",
        "--ioengine=psync",
      ]).read.iops,
  },
  {
    name: "rand write 4k",
    unit: "IOPS",
    target: 0.7,
    run: (dir) =>
      fio(dir, [
        "--rw=randwrite",
        "--bs=4k",
        `--size=${randSize}`,
        `--runtime=${randSeconds}`,
        "--time_based",
        "--ioengine=psync",
      ]).write.iops,
  },
  ...(["filecreate", "filestat", "filedelete"] as const).map(
    (engine): Case => ({
      name: `metadata ${engine.slice(4)} ${metaFiles} files`,
      unit: "ops/s",
      target: 0.7,
      run: (dir) =>
        fio(join(dir, "meta"), [
          `--ioengine=${engine}`,
          `--nrfiles=${metaFiles}`,
          "--filesize=4k",
          "--bs=4k",
          "--openfiles=1",
          "--fallocate=none",
        ]).read.iops,
    }),
  ),
];

function must(command: string[]): void {
  const result = Bun.spawnSync(command, { stdout: "pipe", stderr: "pipe" });
  if (result.exitCode !== 0) {
    throw new Error(`${command.join(" ")} failed: ${result.stderr.toString().trim()}`);
  }
}

async function waitForMount(dir: string, child: { exitCode: number | null }): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    const mounts = await Bun.file("/proc/self/mounts").text();
    if (mounts.includes(` ${dir} `)) return;
    if (child.exitCode !== null) throw new Error("qss mount exited");
    await Bun.sleep(50);
  }
  throw new Error(`${dir} did not mount`);
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
}

async function main(): Promise<void> {
  const root = mkdtempSync(join(tmpdir(), "qss-bench-fuse-"));
  const tmpfs = join(root, "tmpfs");
  const bindfs = join(root, "bindfs");
  const qss = join(root, "qss");
  for (const dir of [tmpfs, bindfs, qss]) mkdirSync(dir);
  const mounted: string[] = [];
  let server: ReturnType<typeof Bun.spawn> | undefined;
  try {
    must(["mount", "-t", "tmpfs", "-o", "size=3g", "tmpfs", tmpfs]);
    mounted.push(tmpfs);
    must(["bindfs", tmpfs, bindfs]);
    mounted.push(bindfs);
    server = Bun.spawn(
      [
        process.execPath,
        join(repoRoot, "src/cli/main.ts"),
        "mount",
        "--memory",
        "--read-mode",
        readMode,
        ...(spinMs === "" ? [] : ["--spin-ms", spinMs]),
        ...cloneDevice,
        qss,
      ],
      { stdout: "ignore", stderr: "inherit" },
    );
    await waitForMount(qss, server);
    mounted.push(qss);
    if (!json) {
      console.log(
        `fuse bench: qss --memory (read mode ${readMode}) vs bindfs on tmpfs; best of ${rounds}`,
      );
    }
    for (const dir of [qss, bindfs]) mkdirSync(join(dir, "meta"));
    for (const c of cases) {
      const figures = { qss: [] as number[], bindfs: [] as number[] };
      for (let round = 0; round < rounds; round++) {
        figures.qss.push(c.run(qss));
        figures.bindfs.push(c.run(bindfs));
      }
      const best = { qss: Math.max(...figures.qss), bindfs: Math.max(...figures.bindfs) };
      const ratio = best.qss / best.bindfs;
      if (json) {
        console.log(
          JSON.stringify({
            bench: "fuse",
            case: c.name,
            unit: c.unit,
            qss: Math.round(best.qss),
            comparator: Math.round(best.bindfs),
            ref: "bindfs",
            ratio: Number(ratio.toFixed(2)),
            target: c.target,
          }),
        );
      } else {
        const line = `${c.name.padEnd(32)} qss ${best.qss.toFixed(0).padStart(7)} ${c.unit.padEnd(5)} bindfs ${best.bindfs.toFixed(0).padStart(7)}  ratio ${ratio.toFixed(2)} (target ≥ ${c.target}, median ratio ${(median(figures.qss) / median(figures.bindfs)).toFixed(2)})`;
        console.log(line);
      }
    }
  } finally {
    for (const dir of mounted.reverse()) {
      if (sysUmount2(dir, 0) !== 0) sysUmount2(dir, UmountFlags.DETACH);
    }
    if (server !== undefined) {
      const timeout = Bun.sleep(5000).then(() => "timeout");
      if ((await Promise.race([server.exited, timeout])) === "timeout") server.kill("SIGKILL");
    }
    rmSync(root, { recursive: true, force: true });
  }
}

await main();
